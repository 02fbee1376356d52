package pdf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
)

// registryMeta is metadata in French and Arabic, with characters XML and
// PDF strings must escape.
func registryMeta() pdf.Metadata {
	return pdf.Metadata{
		Title:              "Demande d'autorisation — طلب ترخيص",
		Author:             "Bureau d'ordre <Rabat> & co",
		Subject:            "Réclamation (urgente) \\ سؤال",
		Keywords:           []string{"courrier", "مراسلة", "été"},
		Language:           "fr",
		Date:               "2026-11-20",
		Reference:          "REF/2026/ﻉ-17",
		Sender:             "وزارة الداخلية",
		Recipient:          "Service des affaires générales",
		Direction:          "incoming",
		DocumentType:       "lettre",
		Confidentiality:    "interne",
		RegistrationNumber: "AJR/2026/A/000123",
		Received:           "2026-11-23T09:15:00+01:00",
	}
}

func TestPDFAStructure(t *testing.T) {
	created := time.Date(2026, 11, 23, 9, 30, 12, 0, time.FixedZone("", 3600))
	out := writePDF(t, []scan.Page{page(2480, 3508, 300)}, []*ocr.Result{result()}, pdf.Options{Meta: registryMeta(), Created: created})
	pdftest.Validate(t, out, true)
	d, err := pdf.Describe(out)
	if err != nil {
		t.Fatal(err)
	}
	if d.PDFA != "2b" {
		t.Errorf("claims PDF/A %q, want 2b", d.PDFA)
	}
	if d.Created != "2026-11-23T09:30:12+01:00" {
		t.Errorf("created %q", d.Created)
	}

	// The check must catch what breaks PDF/A. Each defect is made by
	// changing bytes in place, which keeps the file readable.
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"output intent subtype", "/GTS_PDFA1", "/GTS_PDFX1", "GTS_PDFA1"},
		{"PDF/A part", "<pdfaid:part>2<", "<pdfaid:part>7<", "pdfaid:part"},
		{"font not embedded", "/FontFile2", "/FontFileX", "not embedded"},
		{"XMP and Info disagree", "<pdf:Producer>demat", "<pdf:Producer>dumat", "differ"},
		{"undescribed property", "<pdfaProperty:name>Sender<", "<pdfaProperty:name>Sendor<", "extension schema"},
		{"JavaScript", "/Filter/FlateDecode", "/JS/FlateDecodeXXX", "/JS"},
		{"interpolated image", "/BitsPerComponent 1", "/Interpolate true  ", "interpolated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Contains(data, []byte(c.from)) {
				t.Fatalf("%q not in the file", c.from)
			}
			bad := bytes.Replace(data, []byte(c.from), []byte(c.to), 1)
			p := filepath.Join(t.TempDir(), "bad.pdf")
			if err := os.WriteFile(p, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			err := pdf.CheckPDFA(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("check = %v, want a problem mentioning %q", err, c.want)
			}
		})
	}
	// Without PDF/A, the file claims nothing and the check says so.
	off := writePDF(t, []scan.Page{page(100, 100, 300)}, []*ocr.Result{nil}, pdf.Options{PDFA: pdf.PDFAOff})
	pdftest.Validate(t, off, false)
	if err := pdf.CheckPDFA(off); err == nil || !strings.Contains(err.Error(), "OutputIntents") {
		t.Errorf("a PDF without PDF/A passed the check: %v", err)
	}
}

// Metadata set in French and Arabic comes back unchanged from demat's own
// reader, from poppler's pdfinfo (Info and XMP) and from exiftool.
func TestMetadataRoundTrip(t *testing.T) {
	m := registryMeta()
	out := writePDF(t, []scan.Page{page(2480, 3508, 300)}, []*ocr.Result{result()}, pdf.Options{Meta: m})
	d, err := pdf.Describe(out)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(d.Meta)
	want, _ := json.Marshal(m)
	if !bytes.Equal(got, want) {
		t.Errorf("read back\n%s\nwant\n%s", got, want)
	}

	info := testenv.Run(t, "pdfinfo", out)
	for _, l := range []string{"Title:           " + m.Title, "Author:          " + m.Author, "Subject:         " + m.Subject, "Keywords:        courrier, مراسلة, été"} {
		if !strings.Contains(info, l+"\n") {
			t.Errorf("pdfinfo lacks %q:\n%s", l, info)
		}
	}
	meta := testenv.Run(t, "pdfinfo", "-meta", out)
	for _, s := range []string{"<demat:Sender>وزارة الداخلية</demat:Sender>", "<demat:RegistrationNumber>AJR/2026/A/000123</demat:RegistrationNumber>", "Bureau d&#39;ordre &lt;Rabat&gt; &amp; co"} {
		if !strings.Contains(meta, s) {
			t.Errorf("pdfinfo -meta lacks %q", s)
		}
	}

	var tags []map[string]any
	if err := json.Unmarshal([]byte(testenv.Run(t, "exiftool", "-j", "-G1", "-XMP:all", "-PDF:all", out)), &tags); err != nil || len(tags) != 1 {
		t.Fatalf("exiftool -j: %v", err)
	}
	for k, v := range map[string]string{
		"XMP-dc:Title": m.Title, "XMP-dc:Creator": m.Author, "XMP-dc:Description": m.Subject,
		"XMP-demat:Sender": m.Sender, "XMP-demat:Reference": m.Reference, "XMP-demat:RegistrationNumber": m.RegistrationNumber,
		"PDF:Title": m.Title, "PDF:Author": m.Author, "XMP-pdfaid:Part": "2",
	} {
		if got := toString(tags[0][k]); got != v {
			t.Errorf("exiftool %s = %q, want %q", k, got, v)
		}
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strings.TrimSuffix(strings.TrimRight(strings.TrimRight(json.Number(jsonNum(x)).String(), "0"), "."), ".")
	}
	return ""
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

// Files attached to a PDF/A-3b document are associated files, listed back
// by demat, qpdf and poppler; the metadata record describes the document.
func TestAttachments(t *testing.T) {
	m := registryMeta()
	annex := pdf.Attachment{Name: "ملحق-annexe.txt", Data: []byte("pièce jointe\n"), Description: "annexe reçue", Relationship: "Source"}
	if _, err := pdf.NewWriter(&bytes.Buffer{}, pdf.Options{Attachments: []pdf.Attachment{annex}}); err == nil {
		t.Error("PDF/A-2b took an attached file")
	}
	out := writePDF(t, []scan.Page{page(2480, 3508, 300), page(2480, 3508, 300)}, []*ocr.Result{result(), nil},
		pdf.Options{Meta: m, PDFA: pdf.PDFA3B, Record: true, Attachments: []pdf.Attachment{annex}})
	pdftest.Validate(t, out, true)
	d, err := pdf.Describe(out)
	if err != nil {
		t.Fatal(err)
	}
	if d.PDFA != "3b" {
		t.Errorf("claims %q, want 3b", d.PDFA)
	}
	var names []string
	for _, a := range d.Attachments {
		names = append(names, a.Name)
	}
	if want := []string{pdf.RecordName, annex.Name}; !slices.Equal(names, want) {
		t.Errorf("attachments %q, want %q", names, want)
	}
	if a := d.Attachments[1]; a.MIME != "text/plain" || a.Size != len(annex.Data) || a.Relationship != "Source" || a.Description != annex.Description {
		t.Errorf("annex read back as %+v", a)
	}
	if d.Record == nil || d.Record.Pages != 2 || d.Record.Metadata.Sender != m.Sender || d.Record.PDFA != "3b" {
		t.Errorf("metadata record %+v", d.Record)
	}
	list := testenv.Run(t, "qpdf", "--list-attachments", out)
	if !strings.Contains(list, pdf.RecordName) {
		t.Errorf("qpdf --list-attachments:\n%s", list)
	}
	got := testenv.Run(t, "qpdf", "--show-attachment="+pdf.RecordName, out)
	var rec pdf.Record
	if err := json.Unmarshal([]byte(got), &rec); err != nil || rec.Schema != pdf.RecordSchema || rec.Metadata.Title != m.Title {
		t.Errorf("the record as qpdf extracts it: %v\n%s", err, got)
	}
	if l := testenv.Run(t, "pdfdetach", "-list", out); !strings.Contains(l, "2 embedded files") {
		t.Errorf("pdfdetach -list:\n%s", l)
	}
}

func TestMetadataKeys(t *testing.T) {
	var m pdf.Metadata
	for _, c := range []struct{ key, value, want string }{
		{"Title", "  Lettre  ", "Lettre"},
		{"lang", "ar", "ar"},
		{"type", "décision", "décision"},
		{"direction", "Outgoing", "outgoing"},
		{"received", "2026-11-23", "2026-11-23"},
		{"keywords", "a, b ,,c", "a, b, c"},
	} {
		if err := m.Set(c.key, c.value); err != nil {
			t.Errorf("Set(%q, %q): %v", c.key, c.value, err)
		} else if got := m.Get(c.key); got != c.want {
			t.Errorf("Get(%q) = %q, want %q", c.key, got, c.want)
		}
	}
	for _, c := range [][2]string{{"colour", "red"}, {"direction", "sideways"}, {"received", "23/11/2026"}, {"received", "2026-11-23T10:00"}, {"language", "french!"}, {"title", "a\x00b"}} {
		if err := m.Set(c[0], c[1]); err == nil {
			t.Errorf("Set(%q, %q) took it", c[0], c[1])
		}
	}
	if _, err := pdf.ParseMetadataJSON([]byte(`{"title": "x", "sendr": "y"}`)); err == nil {
		t.Error("a misspelt key in a metadata file was taken")
	}
	j, err := pdf.ParseMetadataJSON([]byte(`{"title": "عنوان", "keywords": ["a", "ب"], "registration_number": "7"}`))
	if err != nil || j.Title != "عنوان" || !slices.Equal(j.Keywords, []string{"a", "ب"}) || j.RegistrationNumber != "7" {
		t.Errorf("metadata file read as %+v, %v", j, err)
	}
}
