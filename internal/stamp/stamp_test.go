package stamp

import (
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/receipt"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
)

func TestPayload(t *testing.T) {
	at := time.Date(2026, 3, 9, 10, 42, 7, 0, time.FixedZone("", 3600))
	for _, p := range []Payload{
		{Number: "AJR/2026/A/000123", Time: at},
		{Number: "2026/A 12;x=%", Time: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), DateOnly: true},
		{Number: "ع/2026/45", Time: at},
	} {
		s := p.String()
		if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' }) || strings.Count(s, ";") != 2 {
			t.Errorf("%q: not one ASCII line of three fields", s)
		}
		got, err := ParsePayload(s)
		if err != nil || got.Number != p.Number || !got.Time.Equal(p.Time) || got.DateOnly != p.DateOnly {
			t.Errorf("ParsePayload(%q) = %+v, %v; want %+v", s, got, err, p)
		}
	}
	if s := (Payload{Number: "AJR/2026/A/000123", Time: at}).String(); s != "DEMATS1;n=AJR/2026/A/000123;t=2026-03-09T09:42:07Z" {
		t.Errorf("payload %q", s)
	}
	for _, bad := range []string{"DEMATR1;n=1;t=2026-03-09", "DEMATS1;n=;t=2026-03-09", "DEMATS1;n=1;t=yesterday", "DEMATS1;n=1"} {
		if _, err := ParsePayload(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestStampPDF draws the stamp on a blank A4 page in each language and
// checks the PDF with the real tools: it validates as PDF/A-2b, its
// words are in the text layer (Arabic in logical order, the number as
// it reads), and its QR code, rendered at 150 dpi, reads back.
func TestStampPDF(t *testing.T) {
	testenv.Require(t, "pdftoppm", "pdftotext", "qpdf")
	dir := t.TempDir()
	at := time.Date(2026, 3, 9, 10, 42, 0, 0, time.UTC)
	for _, tt := range []struct {
		lang, kind string
		want       []string
	}{
		{"fr", "incoming", []string{"ARRIVÉE", "Bureau d'ordre — Direction X", "N° AJR/2026/A/000123", "Reçu le 09/03/2026 à 10:42"}},
		{"ar", "incoming", []string{"وارد", "مكتب الضبط", "AJR/2026/A/000123", "بتاريخ", "09/03/2026", "10:42"}},
		{"en", "outgoing", []string{"DISPATCHED", "No. AJR/2026/A/000123", "Registered 2026-03-09 at 10:42"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			service := "Bureau d'ordre — Direction X"
			if tt.lang == "ar" {
				service = "مكتب الضبط — مديرية س"
			}
			s := Stamp{Number: "AJR/2026/A/000123", Kind: tt.kind, Received: at, Service: service, Lang: tt.lang, Location: time.UTC}
			path := filepath.Join(dir, tt.lang+".pdf")
			pl := writeStamped(t, path, s)
			if !pl.Free || pl.Zone != "top-right" {
				t.Errorf("placement on a blank page: %+v", pl)
			}
			pdftest.Validate(t, path, true)
			text := testenv.Normalise(testenv.PDFText(t, path))
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text layer %q lacks %q", text, w)
				}
			}
			base := filepath.Join(dir, tt.lang)
			testenv.Run(t, "pdftoppm", "-png", "-r", "150", "-singlefile", path, base)
			f, err := os.Open(base + ".png")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, _, err := image.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := receipt.Decode(img)
			if err != nil {
				t.Fatalf("QR code at 150 dpi: %v", err)
			}
			if p, err := ParsePayload(got); err != nil || p.Number != s.Number || !p.Time.Equal(at) {
				t.Errorf("QR code %q: %+v %v", got, p, err)
			}
		})
	}
}

// writeStamped writes a one-page PDF/A-2b of a blank A4 page with s on
// it.
func writeStamped(t *testing.T, path string, s Stamp) Placement {
	t.Helper()
	const dpi = 100
	img := image.NewGray(image.Rect(0, 0, 827, 1169))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	page := scan.NewPage(img, dpi, dpi, "blank")
	w, h := page.Size()
	ov, pl, err := Apply(s, Page{W: w, H: h, Ink: Ink(img, dpi, dpi)})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := pdf.EncodeImage(&page, pdf.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pw, err := pdf.NewWriter(f, pdf.Options{Meta: pdf.Metadata{Title: "stamp", Language: s.Lang}})
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.AddEncodedPage(enc, w, h, nil, ov); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return pl
}
