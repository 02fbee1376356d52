package raster

import (
	"bytes"
	"image"
	"image/color"
	"testing"
)

func TestAppendRGB(t *testing.T) {
	n := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	n.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 255})
	n.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 0}) // transparent: white paper
	y := image.NewYCbCr(image.Rect(0, 0, 2, 1), image.YCbCrSubsampleRatio444)
	for i := range y.Y {
		y.Y[i], y.Cb[i], y.Cr[i] = 0, 128, 128 // black
	}
	p := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.RGBA{200, 100, 50, 255}})
	for _, tc := range []struct {
		name string
		img  image.Image
		want []byte
	}{
		{"nrgba", n, []byte{10, 20, 30, 255, 255, 255}},
		{"ycbcr", y, []byte{0, 0, 0, 0, 0, 0}},
		{"paletted", p, []byte{200, 100, 50}},
	} {
		if got := AppendRGB(nil, tc.img); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []byte{1, 2, 3, 4, 5, 6})
	if got := AppendGray(nil, g.SubImage(image.Rect(1, 0, 3, 2)).(*image.Gray)); !bytes.Equal(got, []byte{2, 3, 5, 6}) {
		t.Errorf("AppendGray of a sub-image = %v", got)
	}
}
