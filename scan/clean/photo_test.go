package clean

import (
	"image"
	"image/draw"
	"math"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/demat-app/demat/internal/testenv"
)

// a4At200 is an A4 page at 200 dpi with phototest at the top and the
// letter (reduced to 200 dpi) below it.
func a4At200(t testing.TB) *image.Gray {
	t.Helper()
	g := canvas(a4w, a4h, loadGray(t, phototest), 160, 200)
	l := imaging.Resize(loadGray(t, letter), 1493, 0, imaging.Lanczos)
	draw.Draw(g, l.Bounds().Add(image.Pt(80, 900)), l, image.Point{}, draw.Src)
	return g
}

type photoCase struct {
	name       string
	tx, ty, rl float64
}

var photoCases = []photoCase{
	{"square on", 0, 0, 0},
	{"tilted", 18, -8, 3},
	{"tilted the other way", -15, 10, -5},
}

func TestFindSheet(t *testing.T) {
	page := a4At200(t)
	worst := 0.0
	for i, c := range photoCases {
		t.Run(c.name, func(t *testing.T) {
			truth := testenv.Camera(c.tx, c.ty, c.rl, 1800, 2400)
			photo := testenv.Photograph(page, truth, 1800, 2400, uint64(i))
			got, ok := FindSheet(photo)
			if !ok {
				t.Fatal("no sheet found")
			}
			for k := range got {
				d := math.Hypot(got[k].X-truth[k][0], got[k].Y-truth[k][1])
				worst = max(worst, d)
				if d > 3 {
					t.Errorf("corner %d at (%.1f, %.1f), want (%.1f, %.1f): %.1f px off", k, got[k].X, got[k].Y, truth[k][0], truth[k][1], d)
				}
			}
			var cs [4]Point
			for k := range cs {
				cs[k] = Point{truth[k][0], truth[k][1]}
			}
			if a, ok := sheetAspect(cs, 900, 1200); c.tx != 0 && (!ok || math.Abs(a-210.0/297) > 0.005) {
				t.Errorf("sheet proportions %.4f (ok %v), want %.4f", a, ok, 210.0/297)
			}
		})
	}
	t.Logf("largest corner error: %.2f px", worst)
}

func TestFindSheetNone(t *testing.T) {
	// A scan has no background around the sheet.
	if c, ok := FindSheet(a4At200(t)); ok {
		t.Errorf("sheet %v found on a scan", c)
	}
}

// TestPhoto flattens photos of a page and compares them with the page.
func TestPhoto(t *testing.T) {
	page := a4At200(t)
	want := inkBox(page, 128)
	for i, c := range photoCases {
		t.Run(c.name, func(t *testing.T) {
			truth := testenv.Camera(c.tx, c.ty, c.rl, 1800, 2400)
			photo := testenv.Photograph(page, truth, 1800, 2400, uint64(10+i))
			edits, rep := Auto(photo, 0, Options{Photo: true, PhotoDPI: 200})
			if !rep.Photo || len(edits) < 2 || edits[0].Kind != Perspective || edits[1].Kind != Flatten {
				t.Fatalf("edits %v, report %+v: want a perspective correction and flattened light", edits, rep)
			}
			if rep.DPI != 200 || edits[0].Size != image.Pt(a4w, a4h) {
				t.Errorf("flattened to %v at %g dpi, want A4 at 200 dpi (%dx%d)", edits[0].Size, rep.DPI, a4w, a4h)
			}
			out := luma(Render(photo, edits))
			// Upright and in place: the print's box is where it is on
			// the page, within a millimetre, and the lines are level.
			got := inkBox(out, 128)
			if d := max(abs(got.Min.X-want.Min.X), abs(got.Min.Y-want.Min.Y), abs(got.Max.X-want.Max.X), abs(got.Max.Y-want.Max.Y)); d > 8 {
				t.Errorf("print at %v, want %v (%d px off)", got, want, d)
			}
			if s, ok := Skew(out, 200); !ok || math.Abs(s) > 0.15 {
				t.Errorf("flattened page tilted %.2f° (ok %v)", s, ok)
			}
			// Even light: the paper is as bright in every part of the
			// page (the photo's light went from 60% to 100%).
			lo, hi := 255, 0
			for by := 0; by < 4; by++ {
				for bx := 0; bx < 3; bx++ {
					r := image.Rect(bx*a4w/3, by*a4h/4, (bx+1)*a4w/3, (by+1)*a4h/4)
					var h [256]int
					for y := r.Min.Y; y < r.Max.Y; y++ {
						for x := r.Min.X; x < r.Max.X; x++ {
							h[out.Pix[y*out.Stride+x]]++
						}
					}
					v := int(percentile(&h, 0.9))
					lo, hi = min(lo, v), max(hi, v)
				}
			}
			if hi-lo > 20 {
				t.Errorf("paper brightness ranges from %d to %d across the page", lo, hi)
			}
			t.Logf("corners %.1f, print box %v (page %v), paper %d–%d", rep.Corners, got, want, lo, hi)
		})
	}
}

func TestPhotoCornersGiven(t *testing.T) {
	page := a4At200(t)
	truth := testenv.Camera(12, 6, 2, 1800, 2400)
	photo := testenv.Photograph(page, truth, 1800, 2400, 42)
	var cs [4]Point
	for k := range cs {
		cs[k] = Point{truth[k][0], truth[k][1]}
	}
	edits, rep := Auto(photo, 0, Options{Corners: &cs, PhotoDPI: 200})
	if len(edits) == 0 || edits[0].Kind != Perspective || edits[0].Auto || edits[0].Corners != cs {
		t.Fatalf("edits %v: want the given corners, not marked automatic", edits)
	}
	out := luma(Render(photo, edits))
	if got, want := inkBox(out, 128), inkBox(page, 128); got.Min.Sub(want.Min).X > 4 || got.Max.Sub(want.Max).Y > 4 {
		t.Errorf("print at %v, want %v (report %+v)", got, want, rep)
	}
}
