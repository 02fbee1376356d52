package clean

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"slices"
	"testing"

	"github.com/disintegration/imaging"
)

// turned gives img turned k quarter turns clockwise (with imaging).
func turned(img image.Image, k int) *image.Gray {
	switch k & 3 {
	case 1:
		return toGray(imaging.Rotate270(img))
	case 2:
		return toGray(imaging.Rotate180(img))
	case 3:
		return toGray(imaging.Rotate90(img))
	}
	return toGray(img)
}

func TestSideways(t *testing.T) {
	for _, name := range []string{phototest, letter} {
		g := loadGray(t, name)
		for k := 0; k < 4; k++ {
			for _, tilt := range []float64{0, 4} {
				img := image.Image(turned(g, k))
				if tilt != 0 {
					img = rotated(img, tilt)
				}
				side, ok := Sideways(img, fixtureDPI[name])
				if !ok || side != (k%2 == 1) {
					t.Errorf("%s turned %d°, tilted %g°: sideways %v (ok %v)", name, 90*k, tilt, side, ok)
				}
			}
		}
	}
	// Nothing to tell on a blank page.
	if _, ok := Sideways(canvas(800, 1100, nil, 0, 0), 100); ok {
		t.Error("a blank page has a line direction")
	}
}

// orient is an orientation detector that answers what it is told, to test
// how Auto weighs a detector's answers (the real one is tested in package
// ocr).
func orient(turns int, conf float64, err error) func(image.Image, float64) (int, float64, error) {
	return func(image.Image, float64) (int, float64, error) { return turns, conf, err }
}

func TestAutoOrient(t *testing.T) {
	lett := loadGray(t, letter)
	for _, c := range []struct {
		name     string
		k        int // quarter turns clockwise given to the page
		detector func(image.Image, float64) (int, float64, error)
		turns    int // the Rotate edit wanted (0: none)
		sideways bool
		upright  bool // the rendered page is the letter
		guessed  bool // WarnTurnGuessed
	}{
		{"upright", 0, orient(0, 12, nil), 0, false, true, false},
		{"turned right", 1, orient(3, 9, nil), 3, false, true, false},
		{"upside down", 2, orient(2, 10, nil), 2, false, true, false},
		{"turned left", 3, orient(1, 9, nil), 1, false, true, false},
		{"turned right, detector unsure", 1, orient(3, 0.8, nil), 0, true, false, false},
		{"turned right, unsure detector agrees with the lines", 1, orient(3, 1.1, nil), 3, false, true, true},
		{"upside down, detector unsure", 2, orient(2, 1.5, nil), 0, false, false, false},
		{"detector wrongly says sideways", 0, orient(1, 6, nil), 0, false, true, false},
		{"detector fails", 2, orient(0, 0, errors.New("no osd")), 0, false, false, false},
		{"no detector, sideways", 1, nil, 0, true, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := turned(lett, c.k)
			edits, rep := Auto(img, 300, Options{Orient: c.detector})
			got := 0
			for _, e := range edits {
				if e.Kind == Rotate {
					got = e.Turns
				}
			}
			if got != c.turns || rep.Turns != c.turns {
				t.Errorf("edits %v (report turns %d), want %d turns", edits, rep.Turns, c.turns)
			}
			if rep.Sideways != c.sideways || slices.Contains(rep.Warnings, WarnSideways) != c.sideways {
				t.Errorf("sideways %v, warnings %v; want sideways %v", rep.Sideways, rep.Warnings, c.sideways)
			}
			if slices.Contains(rep.Warnings, WarnTurnGuessed) != c.guessed {
				t.Errorf("warnings %v: turn guessed %v", rep.Warnings, c.guessed)
			}
			if out := toGray(Render(img, edits)); c.upright != (out.Rect == lett.Rect && bytes.Equal(out.Pix, lett.Pix)) {
				t.Errorf("rendered page is the upright letter: %v, want %v", !c.upright, c.upright)
			}
		})
	}
}

func TestAutoScanned(t *testing.T) {
	g := scannedA4(t)
	edits, rep := Auto(g, 300, Options{})
	if len(edits) != 2 || edits[0].Kind != Deskew || edits[1].Kind != Crop || !edits[0].Auto || !edits[1].Auto {
		t.Fatalf("edits %v, want automatic deskew and crop", edits)
	}
	if math.Abs(rep.Skew-2) > 0.1 || !rep.SkewOK || rep.Blank || rep.Tone != BiLevel {
		t.Errorf("report %+v", rep)
	}
	if !slices.Equal(rep.Warnings, []Warning{WarnSkewed}) {
		t.Errorf("warnings %v, want only %v", rep.Warnings, WarnSkewed)
	}
	out := toGray(Render(g, edits))
	if s, ok := Skew(out, 300); !ok || math.Abs(s) > 0.1 {
		t.Errorf("cleaned page tilted %.2f°", s)
	}
	// No scanner background left along the edges.
	b := out.Rect
	for _, r := range []image.Rectangle{image.Rect(0, 0, b.Dx(), 3), image.Rect(b.Dx()-3, 0, b.Dx(), b.Dy())} {
		dark := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if out.Pix[out.PixOffset(x, y)] < 100 {
					dark++
				}
			}
		}
		if dark > r.Dx()*r.Dy()/100 {
			t.Errorf("%d dark pixels along the edge %v of the cleaned page", dark, r)
		}
	}
	// Binarize adds the edit; the page comes out black and white.
	edits, _ = Auto(g, 300, Options{Binarize: true})
	if e := edits[len(edits)-1]; e.Kind != Binarize || e.Radius != SauvolaRadius {
		t.Fatalf("edits %v, want a final binarisation", edits)
	}
	for _, v := range Render(g, edits).(*image.Gray).Pix {
		if v != 0 && v != 255 {
			t.Fatalf("binarised page has grey %d", v)
		}
	}
}

func TestAutoSteps(t *testing.T) {
	g := scannedA4(t)
	edits, rep := Auto(g, 300, Options{NoDeskew: true, NoCrop: true, NoBlank: true})
	if len(edits) != 0 {
		t.Errorf("edits %v with deskew and crop off", edits)
	}
	if !slices.Contains(rep.Warnings, WarnSkewed) || !rep.SkewOK {
		t.Errorf("the skew is still measured and reported: %+v", rep)
	}
	_, rep = Auto(canvas(a4w, a4h, nil, 0, 0), 200, Options{NoBlank: true})
	if rep.Blank {
		t.Error("blank reported with NoBlank")
	}
}

func TestAutoWarnings(t *testing.T) {
	lett := loadGray(t, letter)
	adjust := func(f func(v uint8) uint8) *image.Gray {
		g := image.NewGray(lett.Rect)
		for i, v := range lett.Pix {
			g.Pix[i] = f(v)
		}
		return g
	}
	lowRes := toGray(imaging.Resize(canvas(a4w, a4h, loadGray(t, phototest), 100, 100), 827, 0, imaging.Box))
	for _, c := range []struct {
		name string
		img  image.Image
		dpi  float64
		want []Warning
	}{
		{"good scan", lett, 300, nil},
		{"dark paper", adjust(func(v uint8) uint8 { return uint8(float64(v)*0.5) + 10 }), 300, []Warning{WarnDark}},
		{"faint print", adjust(func(v uint8) uint8 { return 150 + v/3 }), 300, []Warning{WarnFaint}},
		{"grey on grey", adjust(func(v uint8) uint8 { return 165 + v/4 }), 300, []Warning{WarnFaint, WarnLowContrast}},
		{"100 dpi", lowRes, 100, []Warning{WarnLowResolution}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, rep := Auto(c.img, c.dpi, Options{})
			if !slices.Equal(rep.Warnings, c.want) {
				t.Errorf("warnings %v, want %v (paper %d, print %d, text %.0f px)", rep.Warnings, c.want, rep.Paper, rep.Print, rep.TextHeight)
			}
		})
	}
}

func TestWarningText(t *testing.T) {
	for w := WarnSkewed; w <= WarnBlank; w++ {
		if s := w.String(); s == "" || s == fmt.Sprintf("Warning(%d)", w) {
			t.Errorf("warning %d has no text", w)
		}
	}
	_ = draw.Src
}
