package app

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestRescan: from the page view, a page is scanned again in its place
// (one sheet, even from the feeder), and pages are scanned in after it,
// on the SANE test backend.
func TestRescan(t *testing.T) {
	f := newFixture(t, "fr", func(s *Services) { s.Scanners = saneDrivers(t, nil) })
	w := f.w
	waitScanners(t, f)
	b := w.pages.scanBar
	b.resolution.SetSelected("75 ppp")
	f.importPages(t, "phototest.tif", "multipage-g4.tif")
	if len(w.doc.pages) != 3 {
		t.Fatalf("%d pages imported", len(w.doc.pages))
	}
	first, second, third := w.doc.pages[0], w.doc.pages[1], w.doc.pages[2]

	w.pages.Open(1)
	pv := w.pages.page
	if pv.rescan.Disabled() || pv.scanAfter.Disabled() {
		t.Fatal("the page view offers no scanning")
	}
	// From the feeder: one sheet only replaces the page.
	b.input.SetSelected(tr("fr", "scan.feeder"))
	test.Tap(pv.rescan)
	if !w.busy() || pv.scanCancel.Hidden {
		t.Fatal("rescanning shows no Cancel")
	}
	f.ui.until(t, "the page scanned again", func() bool { return !w.busy() })
	if n := len(w.doc.pages); n != 3 {
		t.Fatalf("%d pages after scanning one again (status %q)", n, pv.scanStatus.Text)
	}
	if w.doc.pages[1] == second || w.doc.pages[1].scan.XDPI != 75 || w.doc.pages[0] != first || w.doc.pages[2] != third {
		t.Error("the page was not replaced in its place")
	}
	if pv.p != w.doc.pages[1] {
		t.Error("the view does not show the new scan")
	}

	// The glass: one page after the first.
	w.pages.Open(0)
	b.input.SetSelected(tr("fr", "scan.flatbed"))
	test.Tap(pv.scanAfter)
	f.ui.until(t, "the page scanned in", func() bool { return !w.busy() })
	if n := len(w.doc.pages); n != 4 {
		t.Fatalf("%d pages after scanning one in", n)
	}
	if w.doc.pages[0] != first || w.doc.pages[1].scan.XDPI != 75 || w.doc.pages[3] != third {
		t.Error("the page scanned in is not after the first")
	}
	if pv.p != first || pv.title.Text == "" {
		t.Error("the view left the page it showed")
	}
}
