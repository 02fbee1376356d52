package clean

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
)

// A4 at 200 dpi, the size of the blank-detection pages.
const a4w, a4h = 1654, 2339

// paper gives an A4 page at 200 dpi of grey level v with noise.
func paper(v uint8, sigma float64, rng *rand.Rand) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, a4w, a4h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	if sigma > 0 {
		addNoise(g, sigma, rng)
	}
	return g
}

// faded mixes img into g at the given contrast (1 = as printed), at (x, y).
func faded(g *image.Gray, img *image.Gray, contrast float64, x, y int) {
	for yy := 0; yy < img.Rect.Dy(); yy++ {
		for xx := 0; xx < img.Rect.Dx(); xx++ {
			i := g.PixOffset(x+xx, y+yy)
			ink := 255 - float64(img.Pix[yy*img.Stride+xx])
			g.Pix[i] = sat(float64(g.Pix[i]) - contrast*ink*float64(g.Pix[i])/255)
		}
	}
}

// tinted draws the dark parts of a grey image in colour c.
func tinted(dst draw.Image, img *image.Gray, c color.RGBA, x, y int) {
	for yy := 0; yy < img.Rect.Dy(); yy++ {
		for xx := 0; xx < img.Rect.Dx(); xx++ {
			if img.Pix[yy*img.Stride+xx] < 128 {
				dst.Set(x+xx, y+yy, c)
			}
		}
	}
}

func colourPage(g *image.Gray, tint color.RGBA) *image.RGBA {
	r := image.NewRGBA(g.Rect)
	for i, v := range g.Pix {
		f := float64(v) / 255
		r.Pix[4*i], r.Pix[4*i+1], r.Pix[4*i+2], r.Pix[4*i+3] = uint8(f*float64(tint.R)), uint8(f*float64(tint.G)), uint8(f*float64(tint.B)), 255
	}
	return r
}

type blankCase struct {
	name  string
	img   image.Image
	blank bool
}

func blankCases(t *testing.T) []blankCase {
	rng := rand.New(rand.NewPCG(7, 8))
	photo, lett := loadGray(t, phototest), loadGray(t, letter)
	var cs []blankCase
	add := func(name string, img image.Image, blank bool) { cs = append(cs, blankCase{name, img, blank}) }

	add("white", paper(255, 0, rng), true)
	add("white, noise σ=8", paper(245, 8, rng), true)
	add("white, noise σ=15", paper(240, 15, rng), true)
	{
		g := paper(245, 4, rng)
		for range 300 { // specks of one to three pixels (0.1–0.4 mm)
			x, y, s := 20+rng.IntN(a4w-40), 20+rng.IntN(a4h-40), 1+rng.IntN(3)
			fillGray(g, image.Rect(x, y, x+s, y+s), uint8(rng.IntN(80)))
		}
		for range 25 { // dust up to 0.8 mm
			disc(g, 40+rng.IntN(a4w-80), 40+rng.IntN(a4h-80), 2+rng.IntN(2), uint8(rng.IntN(60)))
		}
		add("specks and dust", g, true)
	}
	for _, c := range []float64{0.08, 0.12, 0.15} {
		// The back of a printed sheet showing through: mirrored, faded.
		g := paper(245, 4, rng)
		faded(g, toGray(imaging.FlipH(lett)), c, 100, 200)
		faded(g, toGray(imaging.FlipH(photo)), c, 500, 1400)
		faded(g, toGray(imaging.FlipH(lett)), c, 100, 1000)
		add("bleed-through "+pct(c), g, true)
	}
	{
		g := paper(240, 10, rng)
		faded(g, toGray(imaging.FlipH(lett)), 0.15, 100, 600)
		add("bleed-through 15%, noise σ=10", g, true)
	}
	{
		// A blank sheet smaller than the glass, on a grey lid, with
		// the shadow of its edge.
		g := paper(245, 0, rng)
		fillGray(g, image.Rect(0, 0, 70, a4h), 170)
		fillGray(g, image.Rect(0, a4h-90, a4w, a4h), 170)
		fillGray(g, image.Rect(70, 0, 73, a4h-90), 90)
		fillGray(g, image.Rect(70, a4h-93, a4w, a4h-90), 90)
		addNoise(g, 4, rng)
		add("grey scanner background", g, true)
	}
	add("recycled grey paper", paper(205, 6, rng), true)
	add("cream paper", colourPage(paper(250, 3, rng), color.RGBA{255, 246, 222, 255}), true)

	// Pages that must never be called blank.
	line := toGray(imaging.Crop(photo, image.Rect(30, 88, 610, 120))) // "This is a lot of 12 point text to test the"
	{
		g := paper(245, 4, rng)
		draw.Draw(g, line.Rect.Add(image.Pt(300, 500)), line, image.Point{}, draw.Src)
		add("one line of text", g, false)
	}
	{
		// A faded photocopy: print at 30% contrast.
		g := paper(245, 4, rng)
		faded(g, lett, 0.30, 100, 300)
		add("faint photocopy", g, false)
	}
	{
		// A page number, "12" at about 8 points, bottom centre.
		num := toGray(imaging.Resize(imaging.Crop(photo, image.Rect(245, 89, 288, 116)), 30, 0, imaging.Lanczos))
		g := paper(245, 4, rng)
		draw.Draw(g, num.Rect.Add(image.Pt(a4w/2, a4h-250)), num, image.Point{}, draw.Src)
		add("page number", g, false)
	}
	{
		// A signature: a thin blue ballpoint scribble.
		r := colourPage(paper(245, 4, rng), color.RGBA{255, 255, 255, 255})
		blue := color.RGBA{35, 55, 150, 255}
		bezier(r, [4]Point{{1000, 1900}, {1100, 1750}, {1150, 2050}, {1250, 1880}}, 2, blue)
		bezier(r, [4]Point{{1250, 1880}, {1300, 1800}, {1350, 1990}, {1420, 1860}}, 2, blue)
		add("blue signature", r, false)
	}
	{
		// A hairline signature in black pencil-grey, 1.5 px (0.2 mm).
		g := paper(245, 4, rng)
		bezier(g, [4]Point{{300, 1900}, {420, 1760}, {480, 2040}, {620, 1870}}, 1.5, color.Gray{90})
		add("hairline signature", g, false)
	}
	{
		// A red stamp: a ring 35 mm across with a word inside.
		r := colourPage(paper(245, 4, rng), color.RGBA{255, 255, 255, 255})
		red := color.RGBA{200, 40, 50, 255}
		ring(r, 1200, 600, 138, 5, red)
		tinted(r, toGray(imaging.Crop(photo, image.Rect(300, 180, 420, 215))), red, 1140, 585) // "brown"
		add("red stamp", r, false)
	}
	{
		// The same stamp faded to pink.
		r := colourPage(paper(245, 4, rng), color.RGBA{255, 255, 255, 255})
		pink := color.RGBA{235, 150, 160, 255}
		ring(r, 400, 600, 138, 4, pink)
		tinted(r, toGray(imaging.Crop(photo, image.Rect(300, 180, 420, 215))), pink, 340, 585)
		add("faded stamp", r, false)
	}
	return cs
}

func pct(f float64) string {
	return string(rune('0'+int(f*100)/10)) + string(rune('0'+int(f*100)%10)) + "%"
}

// ring draws a circle outline of radius r and width wd.
func ring(img draw.Image, cx, cy int, r, wd float64, c color.Color) {
	for y := cy - int(r) - 5; y <= cy+int(r)+5; y++ {
		for x := cx - int(r) - 5; x <= cx+int(r)+5; x++ {
			d := (float64(x-cx)*float64(x-cx) + float64(y-cy)*float64(y-cy))
			if d >= (r-wd/2)*(r-wd/2) && d <= (r+wd/2)*(r+wd/2) {
				img.Set(x, y, c)
			}
		}
	}
}

func TestBlank(t *testing.T) {
	var blanks, pages int
	for _, c := range blankCases(t) {
		t.Run(c.name, func(t *testing.T) {
			b := Blank(c.img, 200, 0)
			t.Logf("ink %.2f mm² in %d marks", b.Ink, b.Marks)
			if b.Blank != c.blank {
				t.Errorf("blank = %v, want %v (ink %.2f mm², %d marks)", b.Blank, c.blank, b.Ink, b.Marks)
			}
			// Auto says the same, with a warning on blank pages only.
			_, rep := Auto(c.img, 200, Options{})
			warned := false
			for _, w := range rep.Warnings {
				warned = warned || w == WarnBlank
			}
			if rep.Blank != c.blank || warned != c.blank {
				t.Errorf("Auto: blank %v, warnings %v; want blank %v", rep.Blank, rep.Warnings, c.blank)
			}
		})
		if c.blank {
			blanks++
		} else {
			pages++
		}
	}
	t.Logf("%d blank pages, %d pages with content", blanks, pages)
}

func TestBlankThreshold(t *testing.T) {
	// The threshold is the user's: raised above a page number's ink, the
	// page counts as blank.
	rng := rand.New(rand.NewPCG(9, 10))
	num := toGray(imaging.Crop(loadGray(t, phototest), image.Rect(245, 89, 288, 116)))
	g := paper(245, 4, rng)
	draw.Draw(g, num.Rect.Add(image.Pt(800, 2000)), num, image.Point{}, draw.Src)
	b := Blank(g, 200, 0)
	if b.Blank || b.Ink <= 0 {
		t.Fatalf("page number: %+v", b)
	}
	if !Blank(g, 200, b.Ink*2).Blank {
		t.Errorf("with threshold %.2f mm² (twice the ink) the page is not blank", b.Ink*2)
	}
}
