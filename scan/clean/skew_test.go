package clean

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// skewAngles are the tilts the deskew tests turn pages by: both ways, from
// barely visible to as crooked as a sheet gets in a feeder.
var skewAngles = []float64{0.5, 0.8, 1.2, 2, 2.7, 3.5, 5, 6.3, 8, 10}

func TestSkew(t *testing.T) {
	worst := 0.0
	for _, name := range []string{phototest, letter} {
		g := loadGray(t, name)
		for _, a := range skewAngles {
			for _, sign := range []float64{1, -1} {
				a := a * sign
				t.Run(fmt.Sprintf("%s/%+.1f", name, a), func(t *testing.T) {
					got, ok := Skew(rotated(g, a), fixtureDPI[name])
					if !ok {
						t.Fatalf("no skew found on a page turned %.1f°", a)
					}
					if err := math.Abs(got - a); err > 0.1 {
						t.Errorf("skew %.3f°, want %.1f° ± 0.1", got, a)
					} else {
						worst = max(worst, err)
					}
				})
			}
		}
	}
	// A whole A4 page at 300 dpi, reduced three times for analysis.
	a4 := a4Page(t)
	for _, a := range []float64{0.5, -0.8, 2.7, -3.5, 8, -10} {
		t.Run(fmt.Sprintf("A4/%+.1f", a), func(t *testing.T) {
			got, ok := Skew(rotated(a4, a), 300)
			if err := math.Abs(got - a); !ok || err > 0.1 {
				t.Errorf("skew %.3f° (ok %v), want %.1f° ± 0.1", got, ok, a)
			} else {
				worst = max(worst, err)
			}
		})
	}
	t.Logf("largest error over %d pages: %.3f°", 2*2*len(skewAngles)+6, worst)
}

func TestSkewUpright(t *testing.T) {
	// An upright page is left alone: what Skew finds is under Auto's
	// default MinSkew.
	for _, name := range []string{phototest, letter} {
		got, ok := Skew(loadGray(t, name), fixtureDPI[name])
		if !ok || math.Abs(got) >= 0.1 {
			t.Errorf("%s upright: skew %.3f° (ok %v), want |skew| < 0.1", name, got, ok)
		}
	}
}

func TestSkewNoText(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	blank := canvas(1654, 2339, nil, 0, 0)
	addNoise(blank, 6, rng)
	grey := canvas(800, 600, nil, 0, 0)
	// A smooth gradient, like a photograph's sky.
	for y := 0; y < 600; y++ {
		for x := 0; x < 800; x++ {
			grey.Pix[y*800+x] = uint8(60 + x/5)
		}
	}
	for name, img := range map[string]image.Image{"blank": blank, "gradient": grey} {
		if a, ok := Skew(img, 200); ok {
			t.Errorf("%s: skew %.2f° reported on a page without text lines", name, a)
		}
	}
}

// TestDeskewRender checks the edit end to end: a page turned by an angle,
// deskewed by Render, is the original page again (within interpolation).
func TestDeskewRender(t *testing.T) {
	g := loadGray(t, letter)
	for _, a := range []float64{-4.5, 3} {
		r := rotated(g, a)
		edits, rep := Auto(r, 300, Options{NoCrop: true})
		if len(edits) != 1 || edits[0].Kind != Deskew || !rep.SkewOK {
			t.Fatalf("turned %.1f°: edits %v, report %+v; want one deskew", a, edits, rep)
		}
		out := toGray(Render(r, edits))
		if s, _ := Skew(out, 300); math.Abs(s) > 0.1 {
			t.Errorf("turned %.1f°: deskewed page still tilted %.2f°", a, s)
		}
		// Same size as the turned canvas; the page sits in its middle.
		b := out.Bounds()
		off := image.Pt((b.Dx()-g.Rect.Dx())/2, (b.Dy()-g.Rect.Dy())/2)
		mismatch, ink := 0, 0
		for y := 0; y < g.Rect.Dy(); y++ {
			for x := 0; x < g.Rect.Dx(); x++ {
				a, c := g.Pix[y*g.Stride+x] < 128, out.Pix[(y+off.Y)*out.Stride+x+off.X] < 128
				if a {
					ink++
				}
				if a != c {
					mismatch++
				}
			}
		}
		// Two rounds of interpolation move stroke edges by a pixel at
		// most: the differing pixels stay a fraction of the ink.
		if f := float64(mismatch) / float64(ink); f > 0.25 {
			t.Errorf("turned %.1f° and back: %.0f%% of the ink differs from the original", a, 100*f)
		}
	}
}
