package clean

import (
	"image"
	"testing"

	"github.com/disintegration/imaging"
)

// With OrientSideways, the detector is asked about pages lying on their
// side only.
func TestOrientSideways(t *testing.T) {
	up := loadGray(t, "letter-fr-ar.png")
	for _, tc := range []struct {
		name  string
		img   image.Image
		asked bool
	}{
		{"upright", up, false},
		{"upside down", imaging.Rotate180(up), false},
		{"left", imaging.Rotate90(up), true},
		{"right", imaging.Rotate270(up), true},
	} {
		asked := false
		_, rep := Auto(tc.img, 300, Options{OrientSideways: true, Orient: func(image.Image, float64) (int, float64, error) {
			asked = true
			return 0, 0, nil
		}})
		if asked != tc.asked {
			t.Errorf("%s: detector asked = %v, want %v", tc.name, asked, tc.asked)
		}
		if tc.asked && !rep.Sideways {
			t.Errorf("%s: a sideways page the detector left alone is not reported sideways", tc.name)
		}
	}
}
