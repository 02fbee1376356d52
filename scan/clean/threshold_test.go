package clean

import (
	"image"
	"image/color"
	"testing"
)

func TestThreshold(t *testing.T) {
	g := image.NewGray(image.Rect(5, 7, 261, 8)) // not at the origin
	for x := 0; x < 256; x++ {
		g.SetGray(5+x, 7, color.Gray{uint8(x)})
	}
	c := image.NewRGBA(g.Rect)
	for x := 0; x < 256; x++ {
		c.Set(5+x, 7, color.RGBA{uint8(x), uint8(x), uint8(x), 255})
	}
	for _, img := range []image.Image{g, c} {
		out := Threshold(img)
		if out.Rect != image.Rect(0, 0, 256, 1) {
			t.Fatalf("%T: bounds %v", img, out.Rect)
		}
		for x, v := range out.Pix {
			if want := uint8(0); x >= 128 && v != 0xff || x < 128 && v != want {
				t.Fatalf("%T: grey %d → %d", img, x, v)
			}
		}
	}
	if g.GrayAt(5+200, 7).Y != 200 {
		t.Error("Threshold modified its input")
	}
}
