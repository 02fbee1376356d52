package stamp

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// A4 in points, and the size of a stamp at scale 1 (about 62 × 24 mm).
const (
	a4W, a4H = 595.28, 841.89
	sw, sh   = 62 * mm, 24 * mm
)

// lines makes a block of text lines as word boxes: n lines of words
// 5 mm high every 7 mm, across [x0, x1] mm from y0 mm.
func lines(x0, x1, y0 float64, n int) []Rect {
	var out []Rect
	for i := 0; i < n; i++ {
		for x := x0; x < x1; x += 22 {
			out = append(out, Rect{x * mm, (y0 + 7*float64(i)) * mm, math.Min(18, x1-x) * mm, 5 * mm})
		}
	}
	return out
}

func cat(rs ...[]Rect) (out []Rect) {
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

// clearOf checks that r keeps at least d points from every box.
func clearOf(t *testing.T, r Rect, boxes []Rect, d float64) {
	t.Helper()
	grown := Rect{r.X - d, r.Y - d, r.W + 2*d, r.H + 2*d}
	for _, b := range boxes {
		if grown.overlap(b) > 0 {
			t.Errorf("stamp %v is within %.1f pt of %v", r, d, b)
			return
		}
	}
}

func TestFind(t *testing.T) {
	// A French letter: sender top-left, recipient top-right, date, body.
	letter := cat(lines(20, 90, 15, 5), lines(115, 190, 55, 4), lines(130, 190, 90, 1), lines(20, 190, 110, 20))
	for _, tt := range []struct {
		name     string
		page     Page
		zone     string
		free     bool
		x, y     float64 // the expected top-left corner in mm, when >= 0
		covered0 float64 // the least share covered, when not free
	}{
		{name: "blank page: the top-right corner", page: Page{W: a4W, H: a4H}, zone: "top-right", free: true, x: 210 - 10 - 62, y: 10},
		{name: "a letter: above the recipient, at the top right", page: Page{W: a4W, H: a4H, Words: letter}, zone: "top-right", free: true, x: -1, y: -1},
		{name: "a letterhead across the top right: slides left and down in the corner area",
			page: Page{W: a4W, H: a4H, Words: cat(lines(100, 200, 8, 4), lines(20, 190, 110, 20))}, zone: "top-right", free: true, x: -1, y: -1},
		{name: "the top third full: the bottom right",
			page: Page{W: a4W, H: a4H, Words: cat(lines(8, 202, 8, 14), lines(20, 190, 110, 15))}, zone: "bottom-right", free: true, x: 210 - 10 - 62, y: 297 - 10 - 24},
		{name: "the top full, a signature block reserved bottom right: above it",
			page: Page{W: a4W, H: a4H, Words: cat(lines(8, 202, 8, 14), lines(20, 190, 110, 15)),
				Reserved: []Rect{{(210 - 10 - 80) * mm, (297 - 10 - 30) * mm, 80 * mm, 30 * mm}}}, zone: "bottom-right", free: true, x: -1, y: -1},
		{name: "the top full, the bottom right reserved: the bottom left",
			page: Page{W: a4W, H: a4H, Words: cat(lines(8, 202, 8, 14), lines(20, 190, 110, 15)),
				Reserved: []Rect{{100 * mm, 215 * mm, 110 * mm, 82 * mm}}}, zone: "bottom-left", free: true, x: 10, y: 297 - 10 - 24},
		{name: "text everywhere but a gap mid-page: the gap",
			page: Page{W: a4W, H: a4H, Words: cat(lines(8, 202, 8, 18), lines(8, 202, 170, 18))}, zone: "page", free: true, x: -1, y: -1},
		{name: "a full page: least covered, not free",
			page: Page{W: a4W, H: a4H, Words: lines(8, 202, 8, 41)}, zone: "", free: false, x: -1, y: -1, covered0: 0.6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pl := Find(tt.page, sw, sh, Auto)
			if pl.Free != tt.free || (tt.zone != "" && pl.Zone != tt.zone) {
				t.Fatalf("placement %+v, want zone %s free %v", pl, tt.zone, tt.free)
			}
			if tt.x >= 0 && (math.Abs(pl.Rect.X-tt.x*mm) > 1.5*mm || math.Abs(pl.Rect.Y-tt.y*mm) > 1.5*mm) {
				t.Errorf("at %.1f, %.1f mm, want %.0f, %.0f", pl.Rect.X/mm, pl.Rect.Y/mm, tt.x, tt.y)
			}
			r := pl.Rect
			if r.X < 0 || r.Y < 0 || r.X+r.W > tt.page.W || r.Y+r.H > tt.page.H || r.W != sw || r.H != sh {
				t.Errorf("stamp %v is off the page or resized", r)
			}
			if pl.Free {
				if pl.Covered != 0 {
					t.Errorf("free but covers %.2f", pl.Covered)
				}
				clearOf(t, r, append(tt.page.Words, tt.page.Reserved...), clearMM*mm-0.01)
			} else if pl.Covered <= 0 || pl.Covered > tt.covered0+0.2 {
				t.Errorf("covers %.2f, want about %.2f at most", pl.Covered, tt.covered0)
			}
			if again := Find(tt.page, sw, sh, Auto); again != pl {
				t.Errorf("not deterministic: %+v then %+v", pl, again)
			}
		})
	}
}

// TestFindLeastCovered: on a page with no free area, the stamp goes
// where it covers the least, which is the shortest line's end.
func TestFindLeastCovered(t *testing.T) {
	words := lines(8, 202, 8, 41)
	// In the top-right area every other line is missing: no free area
	// yet, but the stamp covers less there than anywhere else.
	var hole []Rect
	for _, r := range words {
		if r.Y < 60*mm && r.X > 100*mm && int(math.Round((r.Y/mm-8)/7))%2 == 1 {
			continue
		}
		hole = append(hole, r)
	}
	full := Find(Page{W: a4W, H: a4H, Words: words}, sw, sh, Auto)
	pl := Find(Page{W: a4W, H: a4H, Words: hole}, sw, sh, Auto)
	if pl.Free || pl.Covered >= full.Covered || pl.Rect.X < 100*mm || pl.Rect.Y > 60*mm {
		t.Errorf("placement %+v (full page: %+v)", pl, full)
	}
}

// TestFindInk: what OCR does not read (a logo, a signature) is avoided
// from the page image's ink; dust is not ink.
func TestFindInk(t *testing.T) {
	const dpi = 150
	px := func(v float64) int { return int(v * dpi / 25.4) } // mm → pixels
	img := image.NewGray(image.Rect(0, 0, px(210), px(297)))
	for i := range img.Pix {
		img.Pix[i] = 0xf4 // slightly grey paper
	}
	// A logo filling the top-right corner area's top.
	for y := px(8); y < px(45); y++ {
		for x := px(120); x < px(202); x++ {
			if (x/3+y/3)%2 == 0 {
				img.Pix[y*img.Stride+x] = 0x40
			}
		}
	}
	// Dust: lone dark pixels all over, every 3 mm.
	for y := px(1); y < px(296); y += px(3) {
		for x := px(1); x < px(209); x += px(3) {
			img.SetGray(x, y, color.Gray{0})
		}
	}
	ink := Ink(img, dpi, dpi)
	if ink.W != 210 || ink.H != 297 {
		t.Fatalf("ink map %d × %d cells, want 210 × 297", ink.W, ink.H)
	}
	if ink.Dark[20*ink.W+50] || !ink.Dark[20*ink.W+150] {
		t.Errorf("dust counted as ink, or the logo not")
	}
	pl := Find(Page{W: a4W, H: a4H, Ink: ink}, sw, sh, Auto)
	if !pl.Free || pl.Zone != "top-right" || pl.Rect.Y < 45*mm {
		t.Errorf("placement %+v: want the top-right area, under the logo", pl)
	}
}

// TestFindFixed: a fixed place is kept, and says what it covers.
func TestFindFixed(t *testing.T) {
	words := lines(20, 190, 15, 6)
	for _, tt := range []struct {
		place Place
		x, y  float64
		free  bool
	}{
		{TopRight, 210 - 10 - 62, 10, false},
		{TopLeft, 10, 10, false},
		{BottomRight, 210 - 10 - 62, 297 - 10 - 24, true},
		{BottomLeft, 10, 297 - 10 - 24, true},
	} {
		pl := Find(Page{W: a4W, H: a4H, Words: words}, sw, sh, tt.place)
		if math.Abs(pl.Rect.X-tt.x*mm) > 0.01 || math.Abs(pl.Rect.Y-tt.y*mm) > 0.01 || pl.Free != tt.free || pl.Zone != tt.place.String() {
			t.Errorf("%s: %+v", tt.place, pl)
		}
		if !tt.free && pl.Covered <= 0 {
			t.Errorf("%s: covers text, Covered %.2f", tt.place, pl.Covered)
		}
	}
}

// TestFindSmallPage: a page smaller than the stamp with its margins
// still gets it, at the top left, and one too small for it too.
func TestFindSmallPage(t *testing.T) {
	card := Page{W: 85.6 * mm, H: 54 * mm}
	pl := Find(card, sw, sh, Auto)
	if !pl.Free || pl.Rect.X+pl.Rect.W > card.W || pl.Rect.Y+pl.Rect.H > card.H {
		t.Errorf("card: %+v", pl)
	}
	tiny := Page{W: 40 * mm, H: 20 * mm}
	if pl := Find(tiny, sw, sh, Auto); pl.Rect.X != 0 || pl.Rect.Y != 0 {
		t.Errorf("tiny page: %+v", pl)
	}
}

func TestParsePlace(t *testing.T) {
	for _, p := range []Place{Auto, TopRight, TopLeft, BottomRight, BottomLeft} {
		if got, err := ParsePlace(p.String()); err != nil || got != p {
			t.Errorf("%s: %v %v", p, got, err)
		}
	}
	if _, err := ParsePlace("middle"); err == nil {
		t.Error("middle accepted")
	}
}
