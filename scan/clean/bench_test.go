package clean

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
)

// a4Page composes an A4 page at 300 dpi (2480×3508) from the fixtures:
// the letter three times down the page and phototest scaled to 300 dpi,
// like a dense letter.
func a4Page(t testing.TB) *image.Gray {
	t.Helper()
	l := loadGray(t, letter)
	p := imaging.Resize(loadGray(t, phototest), 960, 0, imaging.Lanczos)
	g := canvas(2480, 3508, nil, 0, 0)
	draw.Draw(g, l.Bounds().Add(image.Pt(120, 150)), l, image.Point{}, draw.Src)
	draw.Draw(g, p.Bounds().Add(image.Pt(200, 1250)), p, image.Point{}, draw.Src)
	draw.Draw(g, p.Bounds().Add(image.Pt(1250, 1250)), p, image.Point{}, draw.Src)
	draw.Draw(g, l.Bounds().Add(image.Pt(120, 2000)), l, image.Point{}, draw.Src)
	return g
}

// scannedA4 is a4Page as a scanner gives it: 2° crooked, with a dark band
// of scanner background along two edges and some noise.
func scannedA4(t testing.TB) *image.Gray {
	t.Helper()
	g := rotated(a4Page(t), 2)
	g = toGray(imaging.CropCenter(g, 2480, 3508))
	fillGray(g, image.Rect(0, 0, 2480, 40), 30)
	fillGray(g, image.Rect(2440, 0, 2480, 3508), 30)
	addNoise(g, 4, rand.New(rand.NewPCG(1, 2)))
	return g
}

func toYCbCr(g image.Image) *image.YCbCr {
	b := g.Bounds()
	y := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for yy := b.Min.Y; yy < b.Max.Y; yy++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gg, bl, _ := g.At(x, yy).RGBA()
			Y, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(gg>>8), uint8(bl>>8))
			y.Y[y.YOffset(x, yy)] = Y
			y.Cb[y.COffset(x, yy)] = cb
			y.Cr[y.COffset(x, yy)] = cr
		}
	}
	return y
}

func BenchmarkAuto(b *testing.B) {
	g := scannedA4(b)
	b.ResetTimer()
	for b.Loop() {
		Auto(g, 300, Options{})
	}
}

func BenchmarkAutoYCbCr(b *testing.B) {
	g := toYCbCr(scannedA4(b))
	b.ResetTimer()
	for b.Loop() {
		Auto(g, 300, Options{})
	}
}

func BenchmarkRender(b *testing.B) {
	g := scannedA4(b)
	edits, _ := Auto(g, 300, Options{})
	b.ResetTimer()
	for b.Loop() {
		Render(g, edits)
	}
}

func BenchmarkRenderRGBA(b *testing.B) {
	g := toRGBA(scannedA4(b))
	edits, _ := Auto(g, 300, Options{})
	b.ResetTimer()
	for b.Loop() {
		Render(g, edits)
	}
}

func BenchmarkSauvola(b *testing.B) {
	g := scannedA4(b)
	b.ResetTimer()
	for b.Loop() {
		Sauvola(g, 0, 0)
	}
}
