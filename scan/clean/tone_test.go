package clean

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
)

func TestPageTone(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	photo, lett := loadGray(t, phototest), loadGray(t, letter)
	withNoise := func(g *image.Gray) *image.Gray { addNoise(g, 3, rng); return g }
	onPaper := func(c color.RGBA) *image.RGBA { return colourPage(withNoise(canvas(2240, 1076, lett, 0, 0)), c) }
	white := color.RGBA{255, 255, 255, 255}

	// A photograph on the letter: a 40×30 mm grey gradient with grain.
	pictured := withNoise(canvas(2240, 1300, lett, 0, 0))
	for y := 0; y < 354; y++ {
		for x := 0; x < 472; x++ {
			pictured.Pix[(900+y)*pictured.Stride+1600+x] = sat(60 + float64(x)/3 + float64(y)/4 + rng.NormFloat64()*6)
		}
	}
	stamped := onPaper(white)
	ring(stamped, 1800, 500, 170, 6, color.RGBA{190, 30, 40, 255})
	signed := onPaper(white)
	bezier(signed, [4]Point{{1500, 800}, {1600, 650}, {1700, 950}, {1850, 760}}, 3, color.RGBA{30, 50, 150, 255})

	for _, c := range []struct {
		name string
		img  image.Image
		want Tone
	}{
		{"1-bit scan", photo, BiLevel},
		{"grey scan of black print", withNoise(canvas(2240, 1076, lett, 0, 0)), BiLevel},
		{"colour JPEG of black print", toYCbCr(onPaper(white)), BiLevel},
		{"cream paper", onPaper(color.RGBA{255, 247, 225, 255}), BiLevel},
		{"bleed-through", func() *image.Gray {
			g := withNoise(canvas(2240, 1076, lett, 0, 0))
			faded(g, toGray(imaging.FlipH(lett)), 0.12, 0, 0)
			return g
		}(), BiLevel},
		{"photograph", pictured, Gray},
		{"red stamp", stamped, Color},
		{"blue signature", toYCbCr(signed), Color},
		{"teal paper", onPaper(color.RGBA{150, 205, 200, 255}), Color},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := PageTone(c.img, 300); got != c.want {
				p := reduce(c.img, 3)
				s := p.survey(p.findBorders(300), 300)
				t.Errorf("tone %v, want %v (colour %.1f mm², paper chroma %d, flat mid-grey %.1f mm²)", got, c.want, s.colourMM2, s.paperChroma, s.midtoneMM2)
			}
		})
	}
}

func TestSauvola(t *testing.T) {
	// The letter under light that fades to half across the page, with
	// noise: binarised, it is the letter again.
	lett := loadGray(t, letter)
	g := image.NewGray(lett.Rect)
	rng := rand.New(rand.NewPCG(13, 14))
	for y := 0; y < lett.Rect.Dy(); y++ {
		for x := 0; x < lett.Rect.Dx(); x++ {
			light := 1 - 0.5*float64(x)/float64(lett.Rect.Dx())
			g.Pix[y*g.Stride+x] = sat(float64(lett.Pix[y*lett.Stride+x])*light + rng.NormFloat64()*4)
		}
	}
	// Paper: pixels with no print within 2 pixels.
	near := func(x, y int) bool {
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				p := image.Pt(x+dx, y+dy)
				if p.In(lett.Rect) && lett.Pix[lett.PixOffset(p.X, p.Y)] < 200 {
					return true
				}
			}
		}
		return false
	}
	for _, img := range []image.Image{g, toRGBA(g)} {
		bw := Sauvola(img, 0, 0)
		var core, coreLost, paper, paperInked, other int
		for y := 0; y < lett.Rect.Dy(); y++ {
			for x := 0; x < lett.Rect.Dx(); x++ {
				i := y*lett.Stride + x
				v := bw.Pix[i]
				if v != 0 && v != 255 {
					other++
				}
				switch {
				case lett.Pix[i] < 64:
					core++
					if v != 0 {
						coreLost++
					}
				case !near(x, y):
					paper++
					if v == 0 {
						paperInked++
					}
				}
			}
		}
		if other > 0 {
			t.Errorf("%T: %d pixels neither black nor white", img, other)
		}
		if f := float64(coreLost) / float64(core); f > 0.01 {
			t.Errorf("%T: %.2f%% of the strokes' core came out white", img, 100*f)
		}
		if f := float64(paperInked) / float64(paper); f > 0.001 {
			t.Errorf("%T: %.3f%% of the paper came out black", img, 100*f)
		}
		// A global threshold cannot do it: on the dim side noise and
		// paper go black.
		global, th := 0, otsuOf(g)
		for y := 0; y < lett.Rect.Dy(); y++ {
			for x := 0; x < lett.Rect.Dx(); x++ {
				if i := y*lett.Stride + x; !near(x, y) && g.Pix[i] < th {
					global++
				}
			}
		}
		if global <= 10*paperInked {
			t.Errorf("a global threshold blackens %d paper pixels, Sauvola %d: the test page is too easy", global, paperInked)
		}
		t.Logf("%T: stroke cores lost %d/%d, paper blackened %d/%d (global threshold: %d)", img, coreLost, core, paperInked, paper, global)
	}
}

func otsuOf(g *image.Gray) uint8 {
	h := histogram(g.Pix, g.Stride, g.Rect)
	return otsu(&h)
}
