package clean

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"slices"
	"testing"
)

// A JPEG page is resampled in its own planes; the result must match
// resampling its RGB conversion, for the subsamplings scanners write.
func TestRenderYCbCr(t *testing.T) {
	src := loadGray(t, "letter-fr-ar.png")
	// Colour it: a red stamp-like square and a blue band, so that chroma
	// matters.
	rgba := image.NewRGBA(src.Bounds())
	draw.Draw(rgba, rgba.Rect, src, src.Rect.Min, draw.Src)
	draw.Draw(rgba, image.Rect(100, 100, 400, 300), &image.Uniform{color.RGBA{200, 30, 40, 255}}, image.Point{}, draw.Src)
	draw.Draw(rgba, image.Rect(0, 500, rgba.Rect.Dx(), 560), &image.Uniform{color.RGBA{40, 60, 210, 255}}, image.Point{}, draw.Src)
	// A punch hole filled half on the stamp, half on the paper: the
	// planes are painted as they are, the chroma at its resolution.
	edits := Edits{{Kind: Deskew, Angle: 2.3}, {Kind: Crop, Rect: image.Rect(31, 17, rgba.Rect.Dx()-40, rgba.Rect.Dy()-25)},
		{Kind: Fill, Rects: []image.Rectangle{image.Rect(300, 150, 380, 230), image.Rect(601, 401, 660, 460)}}}
	for _, q := range []int{100} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		dec, err := jpeg.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		y, ok := dec.(*image.YCbCr)
		if !ok || y.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("decoded %T, want 4:2:0 YCbCr", dec)
		}
		got := Render(y, edits)
		if _, ok := got.(*image.YCbCr); !ok {
			t.Fatalf("Render of a YCbCr page gave %T", got)
		}
		want := Render(working(y), edits)
		if got.Bounds() != want.Bounds() {
			t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
		}
		var diffs []float64
		b := got.Bounds()
		for yy := b.Min.Y; yy < b.Max.Y; yy += 3 {
			for x := b.Min.X; x < b.Max.X; x += 3 {
				r1, g1, b1, _ := got.At(x, yy).RGBA()
				r2, g2, b2, _ := want.At(x, yy).RGBA()
				d := (math.Abs(float64(r1)-float64(r2)) + math.Abs(float64(g1)-float64(g2)) + math.Abs(float64(b1)-float64(b2))) / 3 / 257
				diffs = append(diffs, d)
			}
		}
		// Chroma is interpolated at its own resolution: colour edges
		// differ by a little, the rest not at all. A misplaced chroma
		// plane shows along every colour edge.
		slices.Sort(diffs)
		p999 := diffs[len(diffs)*999/1000]
		t.Logf("99.9th percentile difference %.1f levels, worst %.1f", p999, diffs[len(diffs)-1])
		if p999 > 25 { // 18 measured; a chroma plane off by half its translation gives 32
			t.Errorf("99.9th percentile difference %.1f levels", p999)
		}
	}
}
