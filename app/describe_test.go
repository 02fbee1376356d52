package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/pdf"
)

// docTypes reads document types as the configuration file gives them.
func docTypes(t *testing.T) []config.DocType {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(p, []byte(`
[[doctype]]
name = "courrier"
label = { fr = "Courrier arrivée", ar = "بريد وارد", en = "Incoming letter" }
direction = "incoming"
[[doctype.field]]
key = "sender"
required = true
label = { fr = "Expéditeur", ar = "المرسل", en = "From" }
[[doctype.field]]
key = "confidentiality"
choices = ["Normal", "Confidentiel"]
default = "Normal"
[[doctype.field]]
key = "reference"
pattern = '[A-Z]{2,4}/\d+'
hint = { fr = "Par exemple DRH/1234", ar = "مثلا DRH/1234", en = "For example DRH/1234" }
[[doctype.field]]
key = "received"
default = "today"

[[doctype]]
name = "dossier"
label = { fr = "Dossier d'archives", ar = "ملف أرشيف", en = "Archive file" }
[[doctype.field]]
key = "box"
required = true
[[doctype.field]]
key = "dates"
`), 0o600)
	c, err := config.LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return c.DocTypes
}

// With document types in the configuration, the Describe screen shows
// the chosen type's fields first, prefilled with its defaults, and
// refuses a description that breaks its rules, saying which field and
// why, in each language; the PDF carries the type.
func TestDescribeDocTypes(t *testing.T) {
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			types := docTypes(t)
			f := newFixture(t, l.Code, func(s *Services) {
				s.DocTypes = func() []config.DocType { return types }
			})
			w, d := f.w, f.w.describe
			if d.docType == nil || d.docType.Selected != types[0].Label.In(l.Code) {
				t.Fatalf("type chooser %v", d.docType)
			}
			items := d.form.Items
			wantFirst := types[0].Fields[0].Label.In(l.Code) + " *"
			if len(items) != 4 || items[0].Text != wantFirst || items[0].HintText != tr(l.Code, "describe.required_hint") {
				t.Fatalf("first of %d lines %q (hint %q), want %q", len(items), items[0].Text, items[0].HintText, wantFirst)
			}
			if got := d.choices["confidentiality"]; got == nil || got.Selected != "Normal" {
				t.Errorf("confidentiality not a choice prefilled with its default: %v", got)
			}
			if got := d.entries["received"].Text; got != "2025-03-14" {
				t.Errorf("received %q, want today's date", got)
			}
			if got := d.direction.Selected; got != tr(l.Code, "direction.incoming") {
				t.Errorf("direction %q, want the type's", got)
			}

			// Required, then the pattern with its hint.
			if _, err := d.Metadata(); err == nil || !strings.Contains(d.status.Text, types[0].Fields[0].Label.In(l.Code)) {
				t.Fatalf("no sender accepted: %v, status %q", err, d.status.Text)
			}
			test.Type(d.entries["sender"], "وزارة الداخلية")
			test.Type(d.entries["reference"], "drh-12")
			if d.entries["reference"].Validate() == nil {
				t.Error("the reference entry does not show its value is wrong")
			}
			if _, err := d.Metadata(); err == nil || !strings.Contains(d.status.Text, types[0].Fields[2].Hint.In(l.Code)) {
				t.Fatalf("bad reference accepted: %v, status %q", err, d.status.Text)
			}
			d.entries["reference"].SetText("DRH/12")
			m, err := d.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if m.DocumentType != "courrier" || m.Sender != "وزارة الداخلية" || m.Confidentiality != "Normal" || m.Direction != "incoming" {
				t.Errorf("metadata %+v", m)
			}

			// Another type: its fields, the values already typed kept.
			d.docType.SetSelected(types[1].Label.In(l.Code))
			if d.form.Items[0].Text != tr(l.Code, "field.box")+" *" || d.entries["box"] == nil {
				t.Fatalf("archive file's first line %q", d.form.Items[0].Text)
			}
			if _, err := d.Metadata(); err == nil {
				t.Error("no box accepted")
			}
			test.Type(d.entries["box"], "B-12")
			if m, err = d.Metadata(); err != nil || m.Box != "B-12" || m.Sender != "وزارة الداخلية" || m.DocumentType != "dossier" {
				t.Errorf("metadata %+v, %v", m, err)
			}
			if got := f.w.app.Preferences().String(prefDocType); got != "dossier" {
				t.Errorf("type remembered %q", got)
			}
			// The window rebuilt in its language keeps type and values.
			w.Rebuild()
			if d := w.describe; d.docType.Selected != types[1].Label.In(l.Code) || d.entries["box"].Text != "B-12" {
				t.Errorf("after rebuild: type %q, box %v", d.docType.Selected, d.entries["box"])
			}
		})
	}
}

// The document type chosen reaches the PDF made from the window.
func TestDescribeDocTypeSave(t *testing.T) {
	types := docTypes(t)
	f := newFixture(t, "fr", func(s *Services) {
		s.DocTypes = func() []config.DocType { return types }
	})
	w, d := f.w, f.w.describe
	f.importPages(t, "phototest.tif")
	test.Type(d.entries["sender"], "Wilaya de Rabat")
	out := filepath.Join(t.TempDir(), "courrier.pdf")
	w.finish.Save(out)
	f.ui.until(t, "the PDF", func() bool { return !w.busy() })
	desc, err := pdf.Describe(out)
	if err != nil {
		t.Fatalf("%v (status %q)", err, w.finish.status.Text)
	}
	if m := desc.Meta; m.DocumentType != "courrier" || m.Sender != "Wilaya de Rabat" || m.Received != "2025-03-14" || m.Confidentiality != "Normal" {
		t.Errorf("metadata %+v", m)
	}
}
