package app

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/internal/sheet"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan/separate"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/sign"
)

// batchRules are a configuration's separator rules: demat's marker, and
// a pattern that makes a file reference of the value.
func batchRules() (*separate.Rules, error) {
	return &separate.Rules{Marker: separate.DefaultMarker, Patch: true, Patterns: []separate.Pattern{{
		Match: regexp.MustCompile(`^(?P<year>\d{4})-(?P<seq>\d{3})$`),
		Meta:  map[string]string{"reference": "{value}", "date": "{year}", "document_type": "dossier"},
	}}}, nil
}

// writeBatch lays out a 7-page feeder batch as files: two pages of a
// document, the separator sheet of 2024-017, two pages, the separator
// sheet of 2024-018, one page. The sheets are drawn as demat separator
// prints them, at 300 dpi.
func writeBatch(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "batch")
	os.Mkdir(dir, 0o755)
	doc, err := os.ReadFile(testenv.Testdata("phototest.tif"))
	if err != nil {
		t.Fatal(err)
	}
	for i, what := range []string{"doc", "doc", "2024-017", "doc", "doc", "2024-018", "doc"} {
		name := filepath.Join(dir, fmt.Sprintf("scan-%02d", i+1))
		if what == "doc" {
			os.WriteFile(name+".tif", doc, 0o644)
			continue
		}
		img, err := sheet.Draw(sheet.Sheet{Kind: sheet.QR, Value: what, Marker: separate.DefaultMarker})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		os.WriteFile(name+".png", b.Bytes(), 0o644)
	}
	return dir
}

// TestBatch is the archive agent's flow, in each language: import a
// batch with two separator sheets, see the sheets marked with their codes
// and three documents, unmark a sheet detection was right about but the
// agent wants kept (two documents), and make the documents into a
// folder: their pages and the metadata the pattern gives.
func TestBatch(t *testing.T) {
	batch := writeBatch(t)
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			f := newFixture(t, l.Code, func(s *Services) { s.SeparatorRules = batchRules })
			f.win.Resize(fyne.NewSize(1400, 1000))
			w := f.w
			v := w.batch
			w.show(v.content)
			w.Drop([]fyne.URI{storage.NewFileURI(batch)}) // on the Batch screen: into the batch
			if !w.busy() {
				t.Fatal("the import did not start")
			}
			f.ui.until(t, "the import and detection", func() bool { return !w.busy() })
			if len(v.st.pages) != 7 || len(w.doc.pages) != 0 {
				t.Fatalf("%d pages in the batch, %d in the document; want 7 and 0", len(v.st.pages), len(w.doc.pages))
			}
			for i, want := range map[int]string{2: "SEP:2024-017", 5: "SEP:2024-018"} {
				if got, _ := v.badge(i); got != want {
					t.Errorf("page %d: badge %q, want %q", i+1, got, want)
				}
			}
			if got, _ := v.badge(0); got != v.partLabel(1) {
				t.Errorf("page 1: badge %q", got)
			}
			markup := test.RenderToMarkup(f.win.Canvas())
			for _, s := range []string{"SEP:2024-017", "SEP:2024-018", "reference 2024-017", "reference 2024-018"} {
				if !strings.Contains(markup, s) {
					t.Errorf("the screen does not show %q", s)
				}
			}
			if got := docsText(v); len(v.st.parts) != 3 ||
				!strings.Contains(got[1], "2024-017") || !strings.Contains(got[2], "date 2024") || strings.Contains(got[0], "reference") {
				t.Fatalf("documents: %q", got)
			}

			// The second sheet is a page of the document after all.
			v.grid.Select(5)
			if v.toggle.Text != tr(l.Code, "batch.unmark") {
				t.Errorf("the button on a separator says %q", v.toggle.Text)
			}
			test.Tap(v.toggle)
			if got := docsText(v); len(v.st.parts) != 2 || len(v.st.parts[1].Pages) != 4 {
				t.Fatalf("after unmarking: %q", got)
			}
			if got, _ := v.badge(5); got != v.partLabel(2) {
				t.Errorf("the page unmarked shows %q", got)
			}

			out := t.TempDir()
			v.template.SetText("{n:2}-{reference}")
			v.outDir.SetText(out)
			test.Tap(v.make)
			if !w.busy() {
				t.Fatal("Make the documents started nothing")
			}
			f.ui.until(t, "the documents", func() bool { return !w.busy() })
			t.Log(v.status.Text)
			want := []struct {
				name, reference string
				pages           int
			}{{"001.pdf", "", 2}, {"02-2024-017.pdf", "2024-017", 4}}
			for _, c := range want {
				d, err := pdf.Describe(filepath.Join(out, c.name))
				if err != nil {
					t.Errorf("%s: %v (status %q)", c.name, err, v.status.Text)
					continue
				}
				if d.Pages != c.pages || d.Meta.Reference != c.reference {
					t.Errorf("%s: %d pages, reference %q; want %d, %q", c.name, d.Pages, d.Meta.Reference, c.pages, c.reference)
				}
				if c.reference != "" && (d.Meta.Date != "2024" || d.Meta.DocumentType != "dossier" || d.Record == nil) {
					t.Errorf("%s: metadata %+v, record %v", c.name, d.Meta, d.Record != nil)
				}
			}
			if !strings.Contains(v.status.Text, "02-2024-017.pdf") {
				t.Errorf("summary: %q", v.status.Text)
			}
			// The window rebuilt (the language changed) still shows it.
			w.Rebuild()
			if v = w.batch; !strings.Contains(v.status.Text, "02-2024-017.pdf") {
				t.Errorf("after a rebuild the summary is %q", v.status.Text)
			}

			if l.Code != "en" {
				return
			}
			// Again into the same folder: nothing is overwritten, and the
			// pages stay for a third time.
			test.Tap(v.make)
			f.ui.until(t, "the documents again", func() bool { return !w.busy() })
			entries, _ := os.ReadDir(out)
			if len(entries) != 4 {
				t.Errorf("%d files after the second run, want 4", len(entries))
			}
			if _, err := os.Stat(filepath.Join(out, "02-2024-017-2.pdf")); err != nil {
				t.Errorf("second run: %v; status %q", err, v.status.Text)
			}
			if len(v.st.pages) != 7 {
				t.Errorf("%d pages left after making the documents", len(v.st.pages))
			}
		})
	}
}

// TestBatchModes: blank pages and every N pages cut the same pages
// without looking again, and a separator marked by hand cuts in every
// mode.
func TestBatchModes(t *testing.T) {
	f := newFixture(t, "en", func(s *Services) { s.SeparatorRules = batchRules })
	w, v := f.w, f.w.batch
	v.Import(writeBatch(t))
	f.ui.until(t, "the import", func() bool { return !w.busy() })
	v.mode.SetSelected(modeLabels()[splitEvery])
	v.every.SetText("3")
	if got := docsText(v); len(got) != 3 || len(v.st.parts[0].Pages) != 3 {
		t.Errorf("every 3: %q", got)
	}
	if got, _ := v.badge(2); got != v.partLabel(1) {
		t.Errorf("every 3: the sheet shows %q", got)
	}
	v.mode.SetSelected(modeLabels()[splitBlank])
	if got := docsText(v); len(got) != 1 || len(v.st.parts[0].Pages) != 7 {
		t.Errorf("blank pages (there are none): %q", got)
	}
	v.Toggle(3)
	if got := docsText(v); len(got) != 2 || v.st.parts[1].Separator == nil {
		t.Errorf("a separator marked by hand: %q", got)
	}
	if got, _ := v.badge(3); got != "Separator (marked)" {
		t.Errorf("the page marked shows %q", got)
	}
}

func docsText(v *batchView) []string {
	var out []string
	for i := range v.st.parts {
		out = append(out, v.partText(i))
	}
	return out
}

// TestBatchSigned: with a certificate chosen, the passphrase is asked
// once, before the first page is recognised, and every document of the
// batch is signed (invisibly) and checks valid; the choice is
// remembered for the next batch.
func TestBatchSigned(t *testing.T) {
	const pass = "lot d'archives"
	c := newTestCert(t, t.TempDir(), pass)
	cred := "demat-app-test-batch.p12"
	ring := credentials.New()
	ring.Delete(cred)
	t.Cleanup(func() { ring.Delete(cred) })
	f := newFixture(t, "fr", func(s *Services) {
		s.SeparatorRules = batchRules
		withCert(c, cred)(s)
	})
	w, v := f.w, f.w.batch
	v.Import(writeBatch(t))
	f.ui.until(t, "the import", func() bool { return !w.busy() })
	if v.signWith == nil || len(v.signWith.Options) != 2 {
		t.Fatal("no choice of certificate on the Batch screen")
	}
	v.signWith.SetSelected("agent")
	out := t.TempDir()
	v.outDir.SetText(out)
	test.Tap(v.make)
	f.ui.until(t, "the passphrase dialog", func() bool { return w.finish.secretDialog != nil })
	test.Type(w.finish.secret, pass)
	test.Tap(w.finish.secretOK)
	f.ui.until(t, "the documents", func() bool { return !w.busy() })
	files, _ := filepath.Glob(filepath.Join(out, "*.pdf"))
	if len(files) != 3 {
		t.Fatalf("%d documents, want 3; status %q", len(files), v.status.Text)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := sign.Verify(data, c.pool)
		if err != nil || rep.Verdict != sign.Valid || len(rep.Signatures) != 1 || rep.Signatures[0].Block != nil {
			t.Errorf("%s: %v %+v, want one valid invisible signature", filepath.Base(p), err, rep)
		}
		d, err := pdf.Describe(p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Meta.Title != strings.TrimSuffix(filepath.Base(p), ".pdf") {
			t.Errorf("%s: title %q, want the document's name", filepath.Base(p), d.Meta.Title)
		}
	}
	if !strings.Contains(v.status.Text, tr("fr", "batch.signed")[:20]) {
		t.Errorf("the summary does not say the documents are signed: %q", v.status.Text)
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	w.Rebuild()
	if w.batch.signWith.Selected != "agent" {
		t.Error("the certificate chosen for batches is not remembered")
	}
}
