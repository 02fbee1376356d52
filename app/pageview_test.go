package app

import (
	"context"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/disintegration/imaging"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
)

// letterPage is testdata's French and Arabic letter head (300 dpi).
func letterPage(t *testing.T) image.Image {
	t.Helper()
	img, err := imaging.Open(testenv.Testdata("letter-fr-ar.png"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// testPages are pages as a scanner would deliver them, by name: the
// letter fed 3° crooked onto the scanner's dark lid, a blank sheet, the
// letter at 100 dpi, and a phone photo of it (which states no
// resolution).
func testPages(t *testing.T) map[string]scan.Page {
	letter := letterPage(t)
	sheet := imaging.Rotate(letter, 3, color.White)
	crooked := imaging.Paste(imaging.New(sheet.Bounds().Dx()+120, sheet.Bounds().Dy()+120, color.Gray{40}), sheet, image.Pt(60, 60))
	a4 := imaging.Paste(imaging.New(1654, 2339, color.White), letter, image.Pt(0, 200)) // A4 at 200 dpi
	photo := testenv.Photograph(a4, testenv.Camera(12, -6, 2, 1500, 2000), 1500, 2000, 7)
	ph := scan.NewPage(photo, 72, 72, "photo")
	ph.GuessedDPI = true
	return map[string]scan.Page{
		"crooked": scan.NewPage(crooked, 300, 300, "crooked"),
		"blank":   scan.NewPage(imaging.New(1240, 1754, color.White), 150, 150, "blank"),
		"low":     scan.NewPage(imaging.Resize(letter, letter.Bounds().Dx()/3, 0, imaging.Lanczos), 100, 100, "low"),
		"photo":   ph,
	}
}

// servePages makes Read deliver testPages by name.
func servePages(t *testing.T) func(*Services) {
	pages := testPages(t)
	return func(s *Services) {
		s.Read = func(ctx context.Context, names []string, emit func(scan.Page) error) error {
			for _, n := range names {
				if err := emit(pages[n]); err != nil {
					return err
				}
			}
			return nil
		}
	}
}

// readPages imports pages by name and waits until they are read.
func (f *fixture) readPages(t *testing.T, names ...string) {
	t.Helper()
	f.w.pages.Import(names...)
	f.ui.until(t, "the import", func() bool { return !f.w.busy() })
	if len(f.w.doc.pages) != len(names) {
		t.Fatalf("%d pages read, want %d (%s)", len(f.w.doc.pages), len(names), f.w.pages.status.Text)
	}
}

// thumbFor is the grid's thumbnail of page i.
func thumbFor(v *pagesView, i int) *thumb {
	th := newThumb()
	v.grid.UpdateItem(i, th)
	return th
}

func hasWarning(p *page, key string) bool {
	prefix, _, _ := strings.Cut(tr("en", key), "{{")
	return slices.ContainsFunc(p.warnings(), func(w string) bool { return strings.HasPrefix(w, prefix) })
}

// The page view opens on a double tap, shows the page cleaned, lets the
// deskew be undone (the page then shows crooked, with a warning), zooms,
// and the PDF made afterwards has the page as the person left it. Blank
// and low-resolution pages are warned about, in the view and on their
// thumbnails.
func TestPageView(t *testing.T) {
	testenv.Require(t, "pdfimages")
	var built []scan.Page
	f := newFixture(t, "en", func(s *Services) {
		servePages(t)(s)
		s.Build = func(ctx context.Context, pages []scan.Page, out string, opt pipeline.Options) (*pipeline.Result, error) {
			built = pages
			return BuildPages(ctx, pages, out, opt)
		}
	})
	w, v, pv := f.w, f.w.pages, f.w.pages.page
	f.readPages(t, "crooked", "blank", "low")
	crooked, blank, low := w.doc.pages[0], w.doc.pages[1], w.doc.pages[2]

	if ws := crooked.warnings(); len(ws) != 0 {
		t.Errorf("the crooked page, straightened, is warned about: %q", ws)
	}
	if !hasWarning(blank, "pageview.warn_blank") {
		t.Errorf("the blank page's warnings: %q", blank.warnings())
	}
	if !hasWarning(low, "pageview.warn_low_dpi") || !slices.ContainsFunc(low.warnings(), func(s string) bool { return strings.Contains(s, "100 dpi") }) {
		t.Errorf("the 100 dpi page's warnings: %q", low.warnings())
	}
	for i, want := range []bool{false, true, true} {
		if got := thumbFor(v, i).mark.Visible(); got != want {
			t.Errorf("page %d's thumbnail warning mark shown %v, want %v", i+1, got, want)
		}
	}

	if v.view.Disabled() == false {
		t.Error("View enabled with no page selected")
	}
	test.DoubleTap(thumbFor(v, 0))
	if pv.p != crooked || v.browse.Visible() || !pv.content.Visible() {
		t.Fatal("a double tap on the first thumbnail does not open it in the page view")
	}
	f.ui.until(t, "the page shown", func() bool { return pv.shown != nil })
	if s, ok := clean.Skew(pv.shown, 300); !ok || math.Abs(s) > 0.3 {
		t.Errorf("the page view shows the page tilted %.2f° (measured: %v)", s, ok)
	}
	if b := pv.shown.Bounds(); b.Dx() > 2300 {
		t.Errorf("the page shown is %v: the dark border is not cropped", b)
	}
	check := pv.checks[clean.Deskew]
	if check == nil || !check.Checked || check.Text != "Straightened by 3.0°" {
		t.Fatalf("the deskew is listed as %+v", check)
	}
	if c := pv.checks[clean.Crop]; c == nil || !c.Checked {
		t.Fatal("the crop is not listed")
	}
	if pv.title.Text != "Page 1 of 3" {
		t.Errorf("title %q", pv.title.Text)
	}

	// Undo the deskew.
	test.Tap(check)
	if check.Checked || !crooked.off[clean.Deskew] {
		t.Fatal("tapping the deskew does not undo it")
	}
	if !hasWarning(crooked, "pageview.warn_skewed") || !thumbFor(v, 0).mark.Visible() {
		t.Errorf("the page left crooked is not warned about: %q", crooked.warnings())
	}
	if !slices.ContainsFunc(pv.warnings.Objects, func(o fyne.CanvasObject) bool { return strings.Contains(labelsIn(o), "crooked") }) {
		t.Error("the page view does not show the crooked page's warning")
	}
	f.ui.until(t, "the page shown again", func() bool { return pv.shown != nil && pv.loading.Hidden })
	if s, _ := clean.Skew(pv.shown, 300); math.Abs(s-3) > 0.3 {
		t.Errorf("with the deskew undone, the page shown is tilted %.2f°, want 3°", s)
	}

	// Zoom: 100 %, +, fit, with the keys and the buttons.
	test.Tap(pv.zoom1)
	scale := w.win.Canvas().Scale()
	if got, want := pv.picture.MinSize().Width, float32(pv.shown.Bounds().Dx())/scale; pv.zoom != 1 || math.Abs(float64(got-want)) > 1 {
		t.Errorf("at 100 %% the picture is %v wide, want %v", got, want)
	}
	test.TypeOnCanvas(w.win.Canvas(), "+")
	if math.Abs(float64(pv.zoom-zoomStep)) > 1e-3 {
		t.Errorf("+ zooms to %v, want %v", pv.zoom, zoomStep)
	}
	test.TypeOnCanvas(w.win.Canvas(), "-0")
	if pv.zoom != 0 || pv.picture.MinSize().Width > 2 {
		t.Errorf("0 does not fit the page (zoom %v, min %v)", pv.zoom, pv.picture.MinSize())
	}

	// Next page: the blank one, its warning in the view.
	test.Tap(pv.next)
	if pv.p != blank || pv.title.Text != "Page 2 of 3" {
		t.Fatalf("Next shows %q", pv.title.Text)
	}
	if !strings.Contains(labelsIn(pv.warnings), "blank") {
		t.Errorf("the blank page's view shows %q", labelsIn(pv.warnings))
	}
	test.Tap(pv.prev)
	f.ui.until(t, "the first page again", func() bool { return pv.shown != nil })
	w.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if pv.p != nil || !v.browse.Visible() || pv.content.Visible() || v.selected != 0 {
		t.Fatalf("Escape does not go back to the grid with the page selected (selected %d)", v.selected)
	}

	// The PDF has the page as the person left it.
	out := filepath.Join(t.TempDir(), "view.pdf")
	w.finish.Save(out)
	f.ui.until(t, "the PDF", func() bool { return !w.busy() })
	if len(built) != 3 {
		t.Fatalf("Build had %d pages (status %q)", len(built), w.finish.status.Text)
	}
	if e := built[0].Edits; e == nil || slices.ContainsFunc(e, func(e clean.Edit) bool { return e.Kind == clean.Deskew }) ||
		!slices.ContainsFunc(e, func(e clean.Edit) bool { return e.Kind == clean.Crop }) {
		t.Errorf("the crooked page went to the pipeline with edits %v: want the crop and no deskew", e)
	}
	if built[1].Edits != nil || built[2].Edits != nil {
		t.Error("pages left as they were go to the pipeline with edits chosen")
	}
	dir := t.TempDir()
	testenv.Run(t, "pdfimages", "-f", "1", "-l", "1", "-png", out, filepath.Join(dir, "p"))
	img, err := imaging.Open(filepath.Join(dir, "p-000.png"))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := clean.Skew(img, 300); math.Abs(s-3) > 0.3 {
		t.Errorf("the PDF's first page is tilted %.2f°, want the 3° left by the person", s)
	}
	if b := img.Bounds(); b.Dx() > 2300 {
		t.Errorf("the PDF's first page is %v: the crop kept is not applied", b)
	}
}

// labelsIn gathers the text of the labels in o.
func labelsIn(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *container.ThemeOverride:
			walk(x.Content)
		}
	}
	walk(o)
	return b.String()
}

// A phone photo is flattened from its corners; moving a corner decides
// the edits again from there, and the page goes to the pipeline with the
// person's corners.
func TestPageViewCorners(t *testing.T) {
	f := newFixture(t, "fr", servePages(t))
	v, pv := f.w.pages, f.w.pages.page
	f.readPages(t, "photo")
	p := f.w.doc.pages[0]
	if p.report == nil || !p.report.Photo || !p.has(clean.Perspective) {
		t.Fatalf("the photo is not flattened: %v", p.auto)
	}
	if slices.ContainsFunc(p.warnings(), func(s string) bool { return strings.Contains(s, "ppp") }) {
		t.Errorf("a flattened photo is warned about its resolution: %q", p.warnings())
	}
	v.grid.Select(0)
	test.Tap(v.view)
	f.ui.until(t, "the photo shown", func() bool { return pv.shown != nil })
	if pv.adjust.Hidden || pv.checks[clean.Perspective].Text != tr("fr", "pageview.edit_perspective") {
		t.Fatal("no perspective correction offered for the photo")
	}
	found := p.report.Corners
	test.Tap(pv.adjust)
	if !pv.adjusting || pv.corners.Hidden {
		t.Fatal("the corners are not shown")
	}
	h := pv.corners.handles[0]
	start := h.Position()
	h.Dragged(&fyne.DragEvent{Dragged: fyne.NewDelta(10, 5)})
	h.DragEnd()
	if got := h.Position(); got.X-start.X < 9 || got.Y-start.Y < 4 {
		t.Errorf("the handle dragged by (10, 5) moved from %v to %v", start, got)
	}
	moved := pv.corners.corners[0]
	if moved.X <= found[0].X+5 || moved.Y <= found[0].Y {
		t.Fatalf("corner dragged to %v from %v", moved, found[0])
	}
	test.Tap(pv.applyCorners)
	f.ui.until(t, "the photo flattened again", func() bool { return p.corners != nil && pv.shown != nil && pv.loading.Hidden })
	sp, err := p.captured()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sp.Edits, func(e clean.Edit) bool { return e.Kind == clean.Perspective })
	if i < 0 || sp.Edits[i].Corners[0] != moved {
		t.Errorf("the page goes to the pipeline with %v, want the perspective from %v", sp.Edits, moved)
	}
	// Undoing the perspective shows the photo as it came.
	test.Tap(pv.checks[clean.Perspective])
	f.ui.until(t, "the photo as it came", func() bool { return pv.loading.Hidden && pv.shown != nil })
	if pv.shown.Bounds() != image.Rect(0, 0, 1500, 2000) {
		t.Errorf("with the perspective undone, the page shown is %v", pv.shown.Bounds())
	}
}

// The recognised text of a page is shown beside it, the Arabic
// paragraph aligned to the right, in an Arabic window.
func TestPageViewText(t *testing.T) {
	f := newFixture(t, "ar", func(s *Services) {
		servePages(t)(s)
		s.Languages = []string{"fra", "ara"}
	})
	v, pv := f.w.pages, f.w.pages.page
	f.readPages(t, "crooked")
	v.Open(0)
	f.ui.until(t, "the page shown", func() bool { return pv.shown != nil })
	test.Tap(pv.recognise)
	if pv.stop.Hidden {
		t.Error("no Cancel while the text is read")
	}
	f.ui.until(t, "the text", func() bool { return pv.reading == nil })
	all := labelsIn(pv.text)
	if !strings.Contains(all, "résidence") || !strings.Contains(all, "المغربية") {
		t.Fatalf("the text shown (%s):\n%s", pv.textStatus.Text, all)
	}
	rtl := 0
	for _, o := range pv.text.Objects {
		l, ok := o.(*widget.Label)
		if th, arabic := o.(*container.ThemeOverride); arabic {
			l = th.Content.(*widget.Label)
		}
		if !ok && strings.Contains(l.Text, "résidence") {
			t.Error("a French paragraph is drawn in the Arabic font")
		}
		if strings.Contains(l.Text, "المغربية") {
			if ok {
				t.Error("an Arabic paragraph is not drawn in the Arabic font")
			}
			rtl++
			if l.Alignment != fyne.TextAlignTrailing {
				t.Error("the Arabic paragraph is not aligned to the right")
			}
		}
	}
	if rtl == 0 {
		t.Error("no paragraph of Arabic")
	}
	// The text stays with the page.
	pv.Close()
	v.Open(0)
	if !strings.Contains(labelsIn(pv.text), "résidence") {
		t.Error("the text read is not shown again")
	}
}
