package app

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/pdf"
)

// TestTwentyPages: while 20 pages are recognised, the window goes on
// taking the person's typing and tab changes, and shows the progress
// page by page. The test goroutine plays the UI goroutine (loopDriver):
// it acts between the updates the job sends through fyne.Do, so the
// actions below only happen if the job never holds it; and under the
// race detector any widget the job touched without fyne.Do fails the
// test.
func TestTwentyPages(t *testing.T) {
	f := newFixture(t, "fr", nil)
	w := f.w
	names := make([]string, 20)
	for i := range names {
		names[i] = "phototest.tif"
	}
	f.importPages(t, names...)
	if len(w.doc.pages) != 20 {
		t.Fatalf("%d pages imported, want 20", len(w.doc.pages))
	}
	before := f.ui.n.Load()
	out := filepath.Join(t.TempDir(), "vingt.pdf")
	w.finish.Save(out)
	if !w.busy() {
		t.Fatalf("the build did not start: %q", w.finish.status.Text)
	}
	shown := map[float64]bool{}
	acted, busyActs := 0, 0
	f.ui.until(t, "the 20 pages", func() bool {
		shown[w.finish.ocrBar.Value] = true
		if w.busy() && acted < 20 {
			// A person goes on working meanwhile: types a title,
			// looks at another tab.
			test.Type(w.describe.entries["title"], "x")
			w.tabs.SelectIndex(acted % 3)
			acted++
			if w.busy() {
				busyActs++
			}
		}
		return !w.busy()
	})
	if busyActs < 20 {
		t.Errorf("the window took %d actions while the pages were recognised, want 20", busyActs)
	}
	// 0, the pages as they are done (several may land in one frame),
	// and 20.
	if len(shown) < 6 || !shown[20] {
		t.Errorf("the recognition progress showed %v: not page by page", shown)
	}
	if n := f.ui.n.Load() - before; n < 20 {
		t.Errorf("%d updates went through fyne.Do, want one per page at least", n)
	}
	d, err := pdf.Describe(out)
	if err != nil {
		t.Fatalf("%v (status %q)", err, w.finish.status.Text)
	}
	if d.Pages != 20 {
		t.Errorf("%d pages in the PDF", d.Pages)
	}
}
