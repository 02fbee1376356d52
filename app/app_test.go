package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/folder"
	"github.com/demat-app/demat/upload/outbox"
)

func TestMain(m *testing.M) {
	if os.Getenv(saneChildEnv) == "1" {
		saneChild() // the SANE driver's child process, in capture_test.go
	}
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// A private Secret Service: the passphrases the window stores never
	// reach the developer's keyring.
	testenv.MainWithSecretService(m)
}

// day is the date the tests' forms are prefilled with.
var day = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// fixture is a window over a real outbox and a real folder target in a
// temporary folder, with the outbox running as the program runs it.
type fixture struct {
	w    *Window
	ui   *loopDriver
	win  fyne.Window
	ob   *outbox.Outbox
	reg  *register.Register // in the outbox's data folder, as the program has it
	root string             // the folder target's folder
}

// newFixture opens the window in language code ("" for the system's).
func newFixture(t *testing.T, code string, change func(*Services)) *fixture {
	t.Setenv("LANGUAGE", os.Getenv("LANGUAGE")) // restored after the test
	a, ui := newLoopApp(t)
	a.Preferences().SetString(prefLanguage, code)
	dir := t.TempDir()
	root := filepath.Join(dir, "documents")
	ft, err := folder.New(root)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.Open(context.Background(), filepath.Join(dir, "data"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := register.Open(context.Background(), filepath.Join(dir, "data"), register.Options{Now: func() time.Time { return day }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() }) // after the window's last load
	svc := Services{
		Targets: func() []string { return []string{"documents"} },
		Send: func(ctx context.Context, target, path string, meta map[string]string) (outbox.Delivery, error) {
			name, err := upload.Path("", map[string]string{"name": strings.TrimSuffix(filepath.Base(path), ".pdf")}, day)
			if err != nil {
				return outbox.Delivery{}, err
			}
			return ob.Add(ctx, target, path, name, meta)
		},
		Outbox:    ob,
		Register:  reg,
		Languages: []string{"eng"}, // small English pages: fast OCR
		Now:       func() time.Time { return day },
	}
	if change != nil {
		change(&svc)
	}
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(900, 640))
	w := New(a, win, svc)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ob.Run(ctx, outbox.RunOptions{
			Targets: outbox.TargetsFunc(func(string) (upload.Target, outbox.Limits, error) { return ft, outbox.Limits{}, nil }),
			Mode:    outbox.Forever, Poll: 50 * time.Millisecond, Notify: w.DeliveryChanged,
		})
	}()
	t.Cleanup(func() {
		cancel()
		ui.drain(done) // the outbox may still be reporting
		ob.Close()
	})
	return &fixture{w: w, ui: ui, win: win, ob: ob, reg: reg, root: root}
}

// importPages drops files on the window and waits until they are read.
func (f *fixture) importPages(t *testing.T, names ...string) {
	t.Helper()
	var uris []fyne.URI
	for _, n := range names {
		uris = append(uris, storage.NewFileURI(testenv.Testdata(n)))
	}
	f.w.Drop(uris)
	if !f.w.busy() {
		t.Fatal("dropping files started no import")
	}
	f.ui.until(t, "the import", func() bool { return !f.w.busy() })
}

// TestFlow is the clerk's flow, in each language: import a page, see it,
// describe the document, send it to the folder target, and see it
// delivered in the outbox. The real pipeline (Tesseract) makes the PDF;
// the outbox delivers it.
func TestFlow(t *testing.T) {
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			f := newFixture(t, l.Code, nil)
			w := f.w
			if got := CurrentLanguage(); got != l.Code {
				t.Fatalf("the window speaks %q, want %q", got, l.Code)
			}
			golden(t, f.win.Canvas(), l.Code+"/pages-empty.xml")
			f.importPages(t, "phototest.tif")
			if len(w.doc.pages) != 1 || w.pages.grid.Length() != 1 {
				t.Fatalf("%d pages after importing one", len(w.doc.pages))
			}
			golden(t, f.win.Canvas(), l.Code+"/pages.xml")

			w.tabs.SelectIndex(1)
			d := w.describe
			if got := d.entries["received"].Text; got != "2025-03-14" {
				t.Errorf("received prefilled with %q", got)
			}
			test.Type(d.entries["title"], "Lettre")
			test.Type(d.entries["sender"], "وزارة الداخلية")
			test.Type(d.entries["registration_number"], "2025-001")
			d.direction.SetSelected(directions()[0].label)
			test.Type(d.entries["date"], "14/03/2025")
			golden(t, f.win.Canvas(), l.Code+"/describe.xml")

			// An invalid date stops the send and says which field.
			w.tabs.SelectIndex(2)
			test.Tap(w.finish.send)
			if w.busy() || !strings.Contains(d.status.Text, tr(l.Code, "field.date")) {
				t.Fatalf("send with a bad date: busy %v, status %q", w.busy(), d.status.Text)
			}
			if w.tabs.Selected().Content != d.content {
				t.Error("the form is not shown after a refused send")
			}
			d.entries["date"].SetText("2025-03-10")

			w.tabs.SelectIndex(2)
			test.Tap(w.finish.send)
			if !w.busy() || w.finish.progress.Hidden || !w.finish.send.Disabled() {
				t.Fatal("sending shows no progress, or Send stays enabled")
			}
			f.ui.until(t, "the delivery", func() bool {
				o := w.outbox
				return len(o.items) == 1 && o.items[0].State == outbox.Delivered
			})
			if w.tabs.Selected().Content != w.outbox.content {
				t.Error("the outbox is not shown after sending")
			}
			// The document sent is selected, its receipt shown; the
			// receipt's time and hash change with every run, so the
			// golden file is taken without it.
			if o := w.outbox; o.selected != o.items[0].ID || !strings.Contains(o.details.Text, o.items[0].Receipt.SHA256) {
				t.Errorf("the receipt of the document sent is not shown: %q", o.details.Text)
			}
			w.outbox.list.UnselectAll()
			golden(t, f.win.Canvas(), l.Code+"/outbox.xml")
			w.tabs.SelectIndex(2)
			golden(t, f.win.Canvas(), l.Code+"/finish.xml")
			w.show(w.settings.content)
			golden(t, f.win.Canvas(), l.Code+"/settings.xml")

			out := filepath.Join(f.root, "Lettre.pdf")
			if !strings.Contains(testenv.PDFText(t, out), "lazy fox") {
				t.Error("the delivered PDF has no text")
			}
			desc, err := pdf.Describe(out)
			if err != nil {
				t.Fatal(err)
			}
			m := desc.Meta
			if m.Title != "Lettre" || m.Sender != "وزارة الداخلية" || m.Direction != "incoming" || m.Date != "2025-03-10" || m.Received != "2025-03-14" || m.RegistrationNumber != "2025-001" {
				t.Errorf("delivered metadata %+v", m)
			}
			ents, _ := os.ReadDir(f.root)
			if len(ents) != 1 {
				t.Errorf("%d files in the target, want the PDF alone", len(ents))
			}
			if f.ui.n.Load() == 0 {
				t.Error("no UI update went through fyne.Do")
			}
		})
	}
}

// tr gives the translation of key in language code, from the files.
func tr(code, key string) string {
	return translations(code)[key].(string)
}

func TestPageActions(t *testing.T) {
	f := newFixture(t, "en", nil)
	w, v := f.w, f.w.pages
	f.importPages(t, "multipage-g4.tif", "phototest.tif")
	sources := func() (s []string) {
		for _, p := range w.doc.pages {
			s = append(s, p.scan.Source)
		}
		return s
	}
	if n := len(w.doc.pages); n != 3 {
		t.Fatalf("%d pages, want 3 (%q)", n, sources())
	}
	first := sources()
	if !v.rotate.Disabled() || !v.remove.Disabled() {
		t.Error("page actions enabled with no page selected")
	}

	v.grid.Select(2)
	if !v.later.Disabled() || v.earlier.Disabled() {
		t.Error("the last page can be moved later, or not earlier")
	}
	test.Tap(v.earlier)
	if got := sources(); got[1] != first[2] || got[2] != first[1] || v.selected != 1 {
		t.Errorf("after Earlier: %q (selected %d)", got, v.selected)
	}

	p := w.doc.pages[1] // phototest, 640×480 at 200 dpi
	tw, th := p.thumb.Bounds().Dx(), p.thumb.Bounds().Dy()
	test.Tap(v.rotate)
	if b := p.thumb.Bounds(); b.Dx() != th || b.Dy() != tw {
		t.Errorf("turned thumbnail is %v, was %d×%d", b, tw, th)
	}
	sp, err := p.captured()
	if err != nil {
		t.Fatal(err)
	}
	if sp.Width != 480 || sp.Height != 640 || sp.File != nil {
		t.Errorf("turned page is %d×%d (file kept: %v)", sp.Width, sp.Height, sp.File != nil)
	}
	for range 3 {
		test.Tap(v.rotate)
	}
	if sp, _ := p.captured(); sp.Width != 640 || sp.File == nil {
		t.Error("four turns do not give the page as it came")
	}

	test.Tap(v.remove)
	if got := sources(); len(got) != 2 || got[0] != first[0] || got[1] != first[1] {
		t.Errorf("after Remove: %q", got)
	}
	if !v.remove.Disabled() {
		t.Error("Remove stays enabled with no page selected")
	}
}

func TestCancelBuild(t *testing.T) {
	started := make(chan struct{})
	f := newFixture(t, "fr", func(s *Services) {
		s.Build = func(ctx context.Context, pages []scan.Page, out string, opt pipeline.Options) (*pipeline.Result, error) {
			close(started)
			<-ctx.Done() // the pipeline stops on cancel with this error
			return BuildPages(ctx, pages, out, opt)
		}
	})
	w := f.w
	f.importPages(t, "phototest.tif")
	out := filepath.Join(t.TempDir(), "out.pdf")
	w.finish.Save(out)
	<-started
	if w.finish.cancel.Disabled() || w.finish.progress.Hidden {
		t.Fatal("no Cancel while the PDF is being made")
	}
	test.Tap(w.finish.cancel)
	f.ui.until(t, "the cancelled job", func() bool { return !w.busy() })
	if got, want := w.finish.status.Text, tr("fr", "finish.cancelled"); got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a cancelled job wrote its output")
	}
	if w.finish.save.Disabled() || len(w.doc.pages) != 1 {
		t.Error("after Cancel, the pages are gone or Save stays disabled")
	}
}

func TestSave(t *testing.T) {
	f := newFixture(t, "en", nil)
	w := f.w
	f.importPages(t, "phototest.tif")
	out := filepath.Join(t.TempDir(), "saved.pdf")
	w.finish.Save(out)
	f.ui.until(t, "the PDF", func() bool { return !w.busy() })
	if s := w.finish.status.Text; !strings.HasPrefix(s, "Saved "+out) || !strings.Contains(s, "1 page(s)") {
		t.Errorf("status %q", s)
	}
	if w.finish.readBar.Value != 1 || w.finish.ocrBar.Value != 1 {
		t.Errorf("progress read %v, recognised %v of 1", w.finish.readBar.Value, w.finish.ocrBar.Value)
	}
	if !strings.Contains(testenv.PDFText(t, out), "lazy fox") {
		t.Error("the PDF has no text")
	}
}

// Files dropped while other files are being read are read afterwards,
// and files dropped on another screen than Pages go to the document's
// pages, whose screen is shown.
func TestDropWhileBusy(t *testing.T) {
	f := newFixture(t, "en", nil)
	f.w.show(f.w.describe.content)
	one := []fyne.URI{storage.NewFileURI(testenv.Testdata("phototest.tif"))}
	f.w.Drop(one)
	if !f.w.busy() || f.w.tabs.Selected().Content != f.w.pages.content {
		t.Fatal("a drop on Describe did not start reading into Pages")
	}
	f.w.Drop(one) // while the first is read
	f.w.Drop(one)
	f.ui.until(t, "the three drops read", func() bool { return !f.w.busy() && len(f.w.doc.pages) == 3 })
}

func TestImportBadFile(t *testing.T) {
	f := newFixture(t, "en", nil)
	bad := filepath.Join(t.TempDir(), "notes.png")
	os.WriteFile(bad, []byte("not a picture"), 0o644)
	f.w.Drop([]fyne.URI{storage.NewFileURI(testenv.Testdata("phototest.tif")), storage.NewFileURI(bad)})
	f.ui.until(t, "the import", func() bool { return !f.w.busy() })
	if s := f.w.pages.status.Text; !strings.HasPrefix(s, "Some files could not be read") || !strings.Contains(s, "notes.png") {
		t.Errorf("status %q", s)
	}
	if len(f.w.doc.pages) != 1 {
		t.Errorf("%d pages kept, want the good one", len(f.w.doc.pages))
	}
}

// TestLanguageSetting: choosing a language in the settings rebuilds the
// window in it, keeps the document, and is remembered.
func TestLanguageSetting(t *testing.T) {
	f := newFixture(t, "en", nil)
	w := f.w
	f.importPages(t, "phototest.tif")
	test.Type(w.describe.entries["title"], "Facture")
	w.show(w.settings.content)
	w.settings.language.SetSelected("العربية")
	if CurrentLanguage() != "ar" || w.tabs.Items[0].Text != tr("ar", "tab.pages") {
		t.Fatalf("language %q, first tab %q", CurrentLanguage(), w.tabs.Items[0].Text)
	}
	if w.app.Preferences().String(prefLanguage) != "ar" {
		t.Error("the choice is not saved")
	}
	if len(w.doc.pages) != 1 || w.describe.entries["title"].Text != "Facture" || w.tabs.Selected().Content != w.settings.content {
		t.Error("the document or the tab was lost in the change")
	}
	w.settings.language.SetSelected(w.settings.language.Options[0]) // the system's
	if w.app.Preferences().String(prefLanguage) != "" {
		t.Error("the system's language is not saved as no choice")
	}
}

// TestDialogs: the buttons that ask for files and folders open their
// dialog (a file dialog resized before it is shown crashes Fyne).
func TestDialogs(t *testing.T) {
	f := newFixture(t, "ar", nil)
	w := f.w
	f.importPages(t, "phototest.tif")
	for _, b := range []*widget.Button{w.pages.add, w.pages.addFolder, w.finish.save} {
		test.Tap(b)
		overlays := f.win.Canvas().Overlays()
		if overlays.Top() == nil {
			t.Errorf("%q opened no dialog", b.Text)
			continue
		}
		overlays.Remove(overlays.Top())
	}
}

// TestSamplePage: on a first run with nothing to scan or import, the
// sample page goes through the whole pipeline.
func TestSamplePage(t *testing.T) {
	f := newFixture(t, "fr", nil)
	w := f.w
	if w.pages.sample.Hidden {
		t.Fatal("no sample page offered on the empty Pages screen")
	}
	test.Tap(w.pages.sample)
	f.ui.until(t, "the sample page", func() bool { return !w.busy() })
	if len(w.doc.pages) != 1 || !w.pages.sample.Hidden {
		t.Fatalf("%d pages after the sample; button hidden %v", len(w.doc.pages), w.pages.sample.Hidden)
	}
	if p := w.doc.pages[0].scan; p.Width != 1240 || p.XDPI != 150 {
		t.Errorf("sample page %d px at %v dpi", p.Width, p.XDPI)
	}
	out := filepath.Join(t.TempDir(), "sample.pdf")
	w.finish.Save(out)
	f.ui.until(t, "the PDF", func() bool { return !w.busy() })
	if !strings.Contains(testenv.PDFText(t, out), "Bellerive") {
		t.Errorf("the sample's PDF has no text (status %q)", w.finish.status.Text)
	}
}
