package clean

import (
	"image"
	"image/color"
	"image/draw"
	_ "image/png"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/tiff"

	"github.com/demat-app/demat/internal/testenv"
)

// The fixtures every test draws its pages from (see testdata/README.md).
const (
	phototest = "phototest.tif"    // 640×480, 1-bit, 200 dpi, 12 pt English
	letter    = "letter-fr-ar.png" // 2240×1076, grey, 300 dpi, French and Arabic
)

var fixtureDPI = map[string]float64{phototest: 200, letter: 300}

func loadGray(t testing.TB, name string) *image.Gray {
	t.Helper()
	f, err := os.Open(testenv.Testdata(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return toGray(img)
}

func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(g, g.Rect, img, b.Min, draw.Over)
	return g
}

func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(r, r.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(r, r.Rect, img, b.Min, draw.Over)
	return r
}

// rotated turns img deg degrees counter-clockwise with imaging (not with
// this package's own code), on a canvas large enough to hold it.
func rotated(img image.Image, deg float64) *image.Gray {
	return toGray(imaging.Rotate(img, deg, color.White))
}

// canvas is a white page of w×h pixels with img pasted at (x, y).
func canvas(w, h int, img image.Image, x, y int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	fillGray(g, g.Rect, 255)
	if img != nil {
		draw.Draw(g, img.Bounds().Sub(img.Bounds().Min).Add(image.Pt(x, y)), img, img.Bounds().Min, draw.Src)
	}
	return g
}

func fillGray(g *image.Gray, r image.Rectangle, v uint8) {
	r = r.Intersect(g.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g.Pix[g.PixOffset(x, y)] = v
		}
	}
}

// inkBox is the bounding box of the pixels darker than t.
func inkBox(g *image.Gray, t uint8) image.Rectangle {
	var r image.Rectangle
	first := true
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		for x := g.Rect.Min.X; x < g.Rect.Max.X; x++ {
			if g.Pix[g.PixOffset(x, y)] < t {
				p := image.Rect(x, y, x+1, y+1)
				if first {
					r, first = p, false
				} else {
					r = r.Union(p)
				}
			}
		}
	}
	return r
}

// addNoise adds Gaussian noise of standard deviation sigma grey levels.
func addNoise(g *image.Gray, sigma float64, rng *rand.Rand) {
	for i, v := range g.Pix {
		g.Pix[i] = sat(float64(v) + rng.NormFloat64()*sigma)
	}
}

func sat(v float64) uint8 {
	return uint8(max(0, min(255, math.Round(v))))
}

// stroke draws a round-tipped line of width wd from a to b, blending
// colour c at full strength.
func stroke(img draw.Image, a, b Point, wd float64, c color.Color) {
	minX, maxX := int(math.Min(a.X, b.X)-wd), int(math.Max(a.X, b.X)+wd+1)
	minY, maxY := int(math.Min(a.Y, b.Y)-wd), int(math.Max(a.Y, b.Y)+wd+1)
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	for y := minY; y <= maxY; y++ {
		for x := minX; x <= maxX; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, ((px-a.X)*dx+(py-a.Y)*dy)/l2))
			}
			d := math.Hypot(px-(a.X+t*dx), py-(a.Y+t*dy))
			if d <= wd/2 {
				img.Set(x, y, c)
			}
		}
	}
}

// bezier draws a cubic Bézier curve through control points p.
func bezier(img draw.Image, p [4]Point, wd float64, c color.Color) {
	prev := p[0]
	for i := 1; i <= 200; i++ {
		t := float64(i) / 200
		u := 1 - t
		q := Point{
			u*u*u*p[0].X + 3*u*u*t*p[1].X + 3*u*t*t*p[2].X + t*t*t*p[3].X,
			u*u*u*p[0].Y + 3*u*u*t*p[1].Y + 3*u*t*t*p[2].Y + t*t*t*p[3].Y,
		}
		stroke(img, prev, q, wd, c)
		prev = q
	}
}

func absf(v float64) float64 { return math.Abs(v) }
