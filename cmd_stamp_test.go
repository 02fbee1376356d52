package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/stamp"
	"github.com/demat-app/demat/internal/testenv"
)

// bboxWord is a word of pdftotext -bbox, in points from the page's
// top-left corner.
type bboxWord struct {
	Text                   string
	XMin, YMin, XMax, YMax float64
}

// pageWords gives the words of a PDF's first page as pdftotext -bbox
// sees them.
func pageWords(t *testing.T, path string) []bboxWord {
	t.Helper()
	out := testenv.Run(t, "pdftotext", "-bbox", "-f", "1", "-l", "1", path, "-")
	// encoding/xml reads one attribute per field: read the four by hand.
	var doc struct {
		Words []struct {
			Text  string     `xml:",chardata"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"body>doc>page>word"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("pdftotext -bbox: %v", err)
	}
	var ws []bboxWord
	for _, w := range doc.Words {
		b := bboxWord{Text: w.Text}
		for _, a := range w.Attrs {
			var v float64
			fmt.Sscan(a.Value, &v)
			switch a.Name.Local {
			case "xMin":
				b.XMin = v
			case "yMin":
				b.YMin = v
			case "xMax":
				b.XMax = v
			case "yMax":
				b.YMax = v
			}
		}
		ws = append(ws, b)
	}
	return ws
}

func (w bboxWord) in(r stamp.Rect) bool {
	cx, cy := (w.XMin+w.XMax)/2, (w.YMin+w.YMax)/2
	return cx >= r.X && cx <= r.X+r.W && cy >= r.Y && cy <= r.Y+r.H
}

func (w bboxWord) meets(r stamp.Rect) bool {
	return w.XMax > r.X && w.XMin < r.X+r.W && w.YMax > r.Y && w.YMin < r.Y+r.H
}

// stampResult runs demat process with args and gives the result line's
// stamp placement and warnings, and the number registered.
func stampResult(t *testing.T, args ...string) (pl *stamp.Placement, number string, warnings []string) {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"process", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("process %v: %d %s %s", args, code, stdout, stderr)
	}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r struct {
			Type     string           `json:"type"`
			Stamp    *stamp.Placement `json:"stamp"`
			Number   string           `json:"number"`
			Warnings []string         `json:"warnings"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		switch r.Type {
		case "result":
			pl, warnings = r.Stamp, r.Warnings
		case "registered":
			number = r.Number
		}
	}
	return pl, number, warnings
}

// The acceptance of the arrival stamp: a letter registered as incoming
// mail and signed (with a visible signature block) carries the stamp on
// its first page, where it covers none of the letter's words; the PDF is
// PDF/A, the signature valid over the whole file, stamp included; the
// QR code, rendered at 150 dpi, reads with zbarimg; the number is
// printed (OCR reads it on the rendered page) and in the text layer.
func TestStampCLI(t *testing.T) {
	testenv.Require(t, "pdftotext", "pdftoppm", "pdfsig", "zbarimg", "tesseract", "qpdf")
	cfg, _ := registerEnv(t)
	os.WriteFile(cfg, []byte("[register]\nformat = \"AJR/{year}/{code}/{seq:6}\"\nservice = \"Bureau d'ordre — Direction X\"\n"), 0o600)
	dir := t.TempDir()
	p12, caPEM := testPKI(t, dir, "pass")
	if code, _, stderr := runCLIIn("pass", "credentials", "set", "--stdin", "demat-stamp-test"); code != 0 {
		t.Fatal(stderr)
	}
	t.Cleanup(func() { runCLI("credentials", "delete", "demat-stamp-test") })
	letter := testenv.Testdata("letter-fr-ar.png")

	doc := filepath.Join(dir, "courrier.pdf")
	before := time.Now().Truncate(time.Second)
	pl, number, warnings := stampResult(t, "-l", "fra+ara", "--register", "incoming", "--sign", p12, "--cert-credential", "demat-stamp-test",
		"--visible", "-o", doc, letter)
	if pl == nil || !pl.Free || pl.Zone != "top-right" || len(warnings) > 0 {
		t.Fatalf("stamp %+v; warnings %q", pl, warnings)
	}
	t.Logf("stamp at %.0f,%.0f pt, %.0f × %.0f", pl.Rect.X, pl.Rect.Y, pl.Rect.W, pl.Rect.H)

	pdftest.Validate(t, doc, true)
	sig := testenv.Run(t, "pdfsig", doc)
	for _, want := range []string{"Total document signed", "Signature Validation: Signature is Valid."} {
		if !strings.Contains(sig, want) {
			t.Errorf("pdfsig lacks %q:\n%s", want, sig)
		}
	}
	code, stdout, _ := runCLI("verify", "--json", "--trust", caPEM, doc)
	var rep struct {
		Verdict    string `json:"verdict"`
		Signatures []struct {
			CoversDocument bool `json:"covers_document"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || rep.Verdict != "valid" || len(rep.Signatures) != 1 || !rep.Signatures[0].CoversDocument {
		t.Errorf("verify: %d %v %s", code, err, stdout)
	}

	// The text layer: the stamp's words are inside the stamp, in
	// French, and none of the letter's words is under it.
	var inStamp, letterWords []string
	for _, w := range pageWords(t, doc) {
		if w.in(pl.Rect) {
			inStamp = append(inStamp, w.Text)
			continue
		}
		letterWords = append(letterWords, w.Text)
		if w.meets(pl.Rect) {
			t.Errorf("the stamp %+v covers the word %q (%+v)", pl.Rect, w.Text, w)
		}
	}
	want := "ARRIVÉE Bureau d'ordre — Direction X N° " + number + " Reçu le " + before.Format("02/01/2006") + " à"
	if got := strings.Join(inStamp, " "); !strings.HasPrefix(got, want) {
		t.Errorf("the stamp's words: %q, want %q…", got, want)
	}
	// In reading order, the stamp is one block after the letter, not
	// lines interleaved with the letter's.
	if text := testenv.Normalise(testenv.PDFText(t, doc, "-f", "1", "-l", "1")); !strings.Contains(text, want) {
		t.Errorf("the page's text does not read the stamp as one block: %s", text)
	}
	if len(letterWords) < 20 || !strings.Contains(strings.Join(letterWords, " "), "certificat") {
		t.Errorf("the letter's words: %q", letterWords)
	}

	// The page as printed: the QR code reads, and OCR reads the number.
	png := filepath.Join(dir, "page")
	testenv.Run(t, "pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", doc, png)
	// Two codes: the stamp's, and the signature block's.
	var payload string
	for _, l := range strings.Split(testenv.Run(t, "zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", png+".png"), "\n") {
		if strings.HasPrefix(l, stamp.PayloadPrefix+";") {
			payload = l
		}
	}
	p, err := stamp.ParsePayload(payload)
	if err != nil || p.Number != number || p.Time.Before(before) || p.Time.After(time.Now()) || p.DateOnly {
		t.Errorf("zbarimg read %q: %+v %v", payload, p, err)
	}
	// What the QR code says finds the entry, as a barcode reader types it.
	if code, stdout, stderr := runCLI("register", "show", payload); code != 0 || !strings.Contains(stdout, number) {
		t.Errorf("register show %q: %d %s %s", payload, code, stdout, stderr)
	}
	crop := filepath.Join(dir, "stamp")
	testenv.Run(t, "pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-singlefile",
		"-x", fmt.Sprint(int(pl.Rect.X*300/72)), "-y", fmt.Sprint(int(pl.Rect.Y*300/72)),
		"-W", fmt.Sprint(int(pl.Rect.W*300/72)), "-H", fmt.Sprint(int(pl.Rect.H*300/72)), doc, crop)
	if seen := testenv.Run(t, "tesseract", crop+".png", "-", "-l", "eng", "--psm", "6"); !strings.Contains(strings.ToUpper(strings.ReplaceAll(seen, " ", "")), strings.ToUpper(number)) {
		t.Errorf("the number %s is not printed in the stamp; OCR read:\n%s", number, seen)
	}

	// In Arabic (the document's language, from --lang): the labels are
	// Arabic, in logical order, the number reads as it is.
	ar := filepath.Join(dir, "ar.pdf")
	pl, number, _ = stampResult(t, "-l", "ara+fra", "--register", "incoming", "-o", ar, letter)
	if pl == nil || !pl.Free {
		t.Fatalf("Arabic stamp %+v", pl)
	}
	pdftest.Validate(t, ar, true)
	text := testenv.Normalise(testenv.PDFText(t, ar, "-f", "1", "-l", "1"))
	for _, want := range []string{"وارد", "رقم", number, "بتاريخ", "على الساعة"} {
		if !strings.Contains(text, want) {
			t.Errorf("Arabic stamp: the text lacks %q: %s", want, text)
		}
	}

	// A page with no free area: stamped where it covers least, with a
	// warning; the document is made and registered.
	full := filepath.Join(dir, "full.pdf")
	pl, _, warnings = stampResult(t, "-l", "eng", "--register", "incoming", "-o", full, testenv.Testdata("phototest.tif"))
	if pl == nil || pl.Free || pl.Covered <= 0 || len(warnings) != 1 || !strings.Contains(warnings[0], "no free area is big enough for the arrival stamp") {
		t.Errorf("a full page: %+v %q", pl, warnings)
	}
	if code, _, stderr := runCLI("process", "-l", "eng", "--register", "incoming", "-o", filepath.Join(dir, "full2.pdf"), testenv.Testdata("phototest.tif")); code != 0 ||
		!strings.Contains(stderr, "warning: phototest.tif: no free area") {
		t.Errorf("a full page without --json: %d %s", code, stderr)
	}

	// Outgoing mail is not stamped unless asked; --stamp=false; a stamp
	// needs a register.
	out := filepath.Join(dir, "depart.pdf")
	if pl, _, _ = stampResult(t, "-l", "fra", "--register", "outgoing", "-o", out, letter); pl != nil {
		t.Errorf("outgoing mail stamped: %+v", pl)
	}
	pl, _, _ = stampResult(t, "-l", "fra", "--register", "outgoing", "--stamp-place", "bottom-left", "--stamp-lang", "en", "-f", "-o", out, letter)
	if pl == nil || pl.Zone != "bottom-left" || !strings.Contains(testenv.PDFText(t, out), "DISPATCHED") {
		t.Errorf("--stamp-place bottom-left --stamp-lang en: %+v", pl)
	}
	if pl, _, _ = stampResult(t, "-l", "fra", "--register", "incoming", "--stamp=false", "-f", "-o", out, letter); pl != nil || strings.Contains(testenv.PDFText(t, out), "ARRIVÉE") {
		t.Errorf("--stamp=false: %+v", pl)
	}
	for _, args := range [][]string{
		{"--stamp"},
		{"--register", "incoming", "--stamp-place", "middle"},
		{"--register", "incoming", "--stamp-lang", "de"},
		{"--register", "incoming", "--stamp=false", "--stamp-place", "top-left"},
	} {
		a := append(append([]string{"process", "-l", "fra"}, args...), "-o", filepath.Join(dir, "x.pdf"), letter)
		if code, _, stderr := runCLI(a...); code != 2 {
			t.Errorf("%v: exit %d %s", args, code, stderr)
		}
	}
}
