package clean

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
)

// borderCase is a page with scanner background added around it: page is
// the whole picture, content the box of its print, sheet is white where
// the paper is and black where the background is.
type borderCase struct {
	name    string
	page    *image.Gray
	content image.Rectangle
	sheet   *image.Gray
	dpi     float64
}

// sheetRect is a sheet mask for an upright sheet.
func sheetRect(w, h int, r image.Rectangle) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	fillGray(g, r, 255)
	return g
}

func borderCases(t *testing.T) []borderCase {
	rng := rand.New(rand.NewPCG(5, 6))
	photo, lett := loadGray(t, phototest), loadGray(t, letter)
	var cs []borderCase

	// Black bands of uneven width on three sides; phototest's text ends
	// 2.5 mm from its right edge.
	{
		g := canvas(640+60+45, 480+30, photo, 60, 30)
		fillGray(g, image.Rect(0, 0, 60, 510), 15)
		fillGray(g, image.Rect(0, 0, 745, 30), 15)
		fillGray(g, image.Rect(700, 0, 745, 510), 15)
		addNoise(g, 5, rng)
		cs = append(cs, borderCase{"black bands", g, inkBox(photo, 128).Add(image.Pt(60, 30)), sheetRect(745, 510, image.Rect(60, 30, 700, 510)), 200})
	}
	// A grey lid all round.
	{
		g := canvas(2240+160, 1076+160, lett, 80, 80)
		for _, r := range []image.Rectangle{image.Rect(0, 0, 2400, 80), image.Rect(0, 1156, 2400, 1236), image.Rect(0, 0, 80, 1236), image.Rect(2320, 0, 2400, 1236)} {
			fillGray(g, r, 165)
		}
		addNoise(g, 4, rng)
		cs = append(cs, borderCase{"grey lid", g, inkBox(lett, 128).Add(image.Pt(80, 80)), sheetRect(2400, 1236, image.Rect(80, 80, 2320, 1156)), 300})
	}
	// A sheet 3° crooked on a black background: wedges on every side.
	{
		page := rotated(lett, 3)
		sheet := toGray(imaging.Rotate(canvas(2240, 1076, nil, 0, 0), 3, color.Black))
		g := image.NewGray(page.Rect)
		for i := range g.Pix {
			g.Pix[i] = page.Pix[i]
			if sheet.Pix[i] < 128 {
				g.Pix[i] = 20
			}
		}
		addNoise(g, 4, rng)
		cs = append(cs, borderCase{"crooked on black", g, inkBox(page, 128), sheet, 300})
	}
	// A band that ends 1.3 mm from the print: the print wins.
	{
		g := canvas(2240, 1076, lett, 0, 0)
		c := inkBox(lett, 128)
		fillGray(g, image.Rect(0, 0, c.Min.X-15, 1076), 10)
		cs = append(cs, borderCase{"band next to print", g, c, sheetRect(2240, 1076, image.Rect(c.Min.X-15, 0, 2240, 1076)), 300})
	}
	return cs
}

func invert(g *image.Gray) *image.Gray {
	o := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		o.Pix[i] = 255 - v
	}
	return o
}

func TestBorder(t *testing.T) {
	for _, c := range borderCases(t) {
		t.Run(c.name, func(t *testing.T) {
			crop, holes := Border(c.page, c.dpi)
			if len(holes) != 0 {
				t.Errorf("holes %v on a page without any", holes)
			}
			if !c.content.In(crop) {
				t.Fatalf("crop %v cuts the print %v", crop, c.content)
			}
			// What is left of the background: dark pixels in the crop
			// outside the sheet.
			left := 0
			for y := crop.Min.Y; y < crop.Max.Y; y++ {
				for x := crop.Min.X; x < crop.Max.X; x++ {
					if c.sheet.Pix[y*c.sheet.Stride+x] < 128 && c.page.Pix[y*c.page.Stride+x] < 128 {
						left++
					}
				}
			}
			// Wedge tips stay (the sides stop at 1% of background), and
			// a band next to print stays entirely.
			limit := crop.Dx() * crop.Dy() / 200
			if c.name == "band next to print" {
				limit = crop.Dy() * 16
			}
			if left > limit {
				t.Errorf("crop %v leaves %d background pixels (limit %d)", crop, left, limit)
			}
			t.Logf("crop %v of %v, print %v, %d background pixels left (%.2f%%)", crop, c.page.Rect, c.content, left, 100*float64(left)/float64(crop.Dx()*crop.Dy()))
		})
	}
}

func TestBorderNone(t *testing.T) {
	for _, name := range []string{phototest, letter} {
		g := loadGray(t, name)
		if crop, holes := Border(g, fixtureDPI[name]); crop != g.Rect || len(holes) > 0 {
			t.Errorf("%s: crop %v holes %v on a page without background, want the whole page", name, crop, holes)
		}
		if edits, _ := Auto(g, fixtureDPI[name], Options{}); len(edits) != 0 {
			t.Errorf("%s: Auto edits %v on a clean upright page", name, edits)
		}
	}
}

func TestBorderTitleBar(t *testing.T) {
	// A black bar across the top of a page with white text in it is
	// print, not scanner background.
	lett := loadGray(t, letter)
	g := canvas(2240, 1300, lett, 0, 224)
	fillGray(g, image.Rect(0, 0, 2240, 200), 0)
	word := invert(toGray(imaging.Crop(lett, image.Rect(110, 120, 1200, 380))))
	draw.Draw(g, word.Rect.Add(image.Pt(300, 0)).Sub(word.Rect.Min).Add(image.Pt(0, 20)), word, word.Rect.Min, draw.Src)
	crop, _ := Border(g, 300)
	if crop.Min.Y > 0 {
		t.Errorf("crop %v cuts into the title bar", crop)
	}
}

func TestPunchHoles(t *testing.T) {
	// phototest on a 200 dpi page with two 6 mm holes 12 mm from the
	// left edge, black as the feeder's backing shows them.
	g := canvas(1000, 1400, loadGray(t, phototest), 250, 300)
	for _, cy := range []int{400, 1000} {
		disc(g, 94, cy, 24, 10)
	}
	edits, rep := Auto(g, 200, Options{})
	if rep.Holes != 2 {
		t.Fatalf("found %d holes, want 2 (edits %v)", rep.Holes, edits)
	}
	out := toGray(Render(g, edits))
	geo := edits.Geometry(g.Rect)
	for _, cy := range []int{400, 1000} {
		c := geo.FromOriginal(Point{94.5, float64(cy) + 0.5})
		for dy := -20; dy <= 20; dy++ {
			for dx := -20; dx <= 20; dx++ {
				x, y := int(c.X)+dx, int(c.Y)+dy
				if (image.Point{x, y}).In(out.Rect) && out.Pix[out.PixOffset(x, y)] < 200 {
					t.Fatalf("hole at %v still dark at (%d,%d): %d", c, x, y, out.Pix[out.PixOffset(x, y)])
				}
			}
		}
	}
	// The print is untouched.
	if got, want := inkBox(out, 128).Size(), inkBox(loadGray(t, phototest), 128).Size(); got != want {
		t.Errorf("print box %v after filling holes, want %v", got, want)
	}
}

// disc paints a filled disc of radius r.
func disc(g *image.Gray, cx, cy, r int, v uint8) {
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
				g.Pix[g.PixOffset(x, y)] = v
			}
		}
	}
}
