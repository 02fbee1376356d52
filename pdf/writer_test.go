package pdf_test

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/file"
)

// page is a white page of w×h pixels at dpi.
func page(w, h int, dpi float64) scan.Page {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	return scan.NewPage(img, dpi, dpi, "test")
}

// result is a hand-made recognition: an English line, an Arabic line (in
// logical order) and a French line, on a 2480×3508 page at 300 dpi.
func result() *ocr.Result {
	return &ocr.Result{Width: 2480, Height: 3508, DPI: 300, Lines: []ocr.Line{
		{Box: ocr.Box{X0: 300, Y0: 300, X1: 1400, Y1: 360}, Offset: -12, Size: 60, Dir: ocr.DirLTR, Block: 1, Para: 1, Words: []ocr.Word{
			{Text: "Registered", Box: ocr.Box{X0: 300, Y0: 300, X1: 700, Y1: 348}},
			{Text: "mail", Box: ocr.Box{X0: 740, Y0: 300, X1: 900, Y1: 348}},
			{Text: "2026/123", Box: ocr.Box{X0: 940, Y0: 300, X1: 1400, Y1: 348}},
		}},
		{Box: ocr.Box{X0: 1380, Y0: 500, X1: 2180, Y1: 570}, Offset: -15, Size: 70, Dir: ocr.DirRTL, Block: 2, Para: 2, Words: []ocr.Word{
			{Text: "المملكة", Box: ocr.Box{X0: 1800, Y0: 500, X1: 2180, Y1: 555}},
			{Text: "المغربية", Box: ocr.Box{X0: 1380, Y0: 500, X1: 1780, Y1: 555}},
		}},
		{Box: ocr.Box{X0: 300, Y0: 700, X1: 1500, Y1: 760}, Offset: -12, Size: 60, Dir: ocr.DirLTR, Block: 3, Para: 3, Words: []ocr.Word{
			{Text: "Accusé", Box: ocr.Box{X0: 300, Y0: 704, X1: 650, Y1: 748}},
			{Text: "réception", Box: ocr.Box{X0: 700, Y0: 704, X1: 1500, Y1: 760}},
		}},
	}}
}

func writePDF(t *testing.T, pages []scan.Page, texts []*ocr.Result, opt pdf.Options) string {
	t.Helper()
	var b bytes.Buffer
	w, err := pdf.NewWriter(&b, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pages {
		if err := w.AddPage(&pages[i], texts[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// validate runs qpdf --check, pdfcpu's strict validation and the
// structural PDF/A check (the writer's default is PDF/A-2b).
func validate(t *testing.T, path string) {
	t.Helper()
	pdftest.Validate(t, path, true)
}

func TestTextLayer(t *testing.T) {
	out := writePDF(t, []scan.Page{page(2480, 3508, 300)}, []*ocr.Result{result()}, pdf.Options{Meta: pdf.Metadata{Title: "Courrier المملكة", Language: "fr"}})
	validate(t, out)

	info := testenv.Run(t, "pdfinfo", out)
	if !strings.Contains(info, "595.2 x 841.92 pts") {
		t.Errorf("A4 at 300 dpi should be 595.2 x 841.92 pt:\n%s", info)
	}
	if !strings.Contains(info, "Courrier المملكة") {
		t.Errorf("title lost its Arabic:\n%s", info)
	}

	text := testenv.Normalise(testenv.PDFText(t, out))
	if want := "Registered mail 2026/123 المملكة المغربية Accusé réception"; text != want {
		t.Errorf("pdftotext = %q\nwant        %q", text, want)
	}
	// Every left-to-right word lies within 2 pt of its OCR box. pdftotext
	// -bbox lists a mirrored right-to-left word letter by letter (as for
	// Tesseract's own PDFs): those letters must stay inside their word.
	words := bboxWords(t, out)
	want := map[string]ocr.Box{}
	var arabic []ocr.Box
	for _, l := range result().Lines {
		for _, w := range l.Words {
			want[w.Text] = w.Box
			if l.Dir == ocr.DirRTL {
				arabic = append(arabic, w.Box)
			}
		}
	}
	const pt = 72.0 / 300
	ltr := 0
	for _, w := range words {
		b, ok := want[w.text]
		if !ok {
			inside := false
			for _, a := range arabic {
				inside = inside || (w.xMin >= float64(a.X0)*pt-2 && w.xMax <= float64(a.X1)*pt+2)
			}
			if !inside {
				t.Errorf("%q at x %.1f–%.1f pt is outside every Arabic word box", w.text, w.xMin, w.xMax)
			}
			continue
		}
		ltr++
		if d := math.Max(math.Abs(w.xMin-float64(b.X0)*pt), math.Abs(w.xMax-float64(b.X1)*pt)); d > 2 {
			t.Errorf("%q spans x %.1f–%.1f pt, OCR box %.1f–%.1f (off by %.1f)", w.text, w.xMin, w.xMax, float64(b.X0)*pt, float64(b.X1)*pt, d)
		}
		if d := math.Max(math.Abs(w.yMin-float64(b.Y0)*pt), math.Abs(w.yMax-float64(b.Y1)*pt)); d > 2 {
			t.Errorf("%q spans y %.1f–%.1f pt, OCR box %.1f–%.1f (off by %.1f)", w.text, w.yMin, w.yMax, float64(b.Y0)*pt, float64(b.Y1)*pt, d)
		}
	}
	if ltr != 5 {
		t.Errorf("pdftotext -bbox found %d of the 5 left-to-right words: %v", ltr, words)
	}
}

type bboxWord struct {
	text                   string
	xMin, yMin, xMax, yMax float64
}

// bboxWords reads pdftotext -bbox's word list.
func bboxWords(t *testing.T, path string) []bboxWord {
	t.Helper()
	out := testenv.Run(t, "pdftotext", "-bbox", path, "-")
	var words []bboxWord
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "<word ") {
			continue
		}
		var w bboxWord
		for _, f := range []struct {
			key string
			v   *float64
		}{{"xMin", &w.xMin}, {"yMin", &w.yMin}, {"xMax", &w.xMax}, {"yMax", &w.yMax}} {
			i := strings.Index(line, f.key+"=\"")
			j := strings.Index(line[i+len(f.key)+2:], "\"")
			*f.v, _ = strconv.ParseFloat(line[i+len(f.key)+2:i+len(f.key)+2+j], 64)
		}
		w.text = line[strings.Index(line, ">")+1 : strings.LastIndex(line, "</word>")]
		words = append(words, w)
	}
	return words
}

func TestImageKinds(t *testing.T) {
	var pages []scan.Page
	read := func(name string) {
		err := file.Read(context.Background(), []string{testenv.Testdata(name)}, file.Options{}, func(p scan.Page) error {
			pages = append(pages, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	read("multipage-g4.tif") // decoded bi-level, then G4 as it is
	read("letter-fr-ar.png") // PNG pixels as they are
	rgb := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range rgb.Pix {
		rgb.Pix[i] = uint8(i)
	}
	pages = append(pages, scan.NewPage(rgb, 100, 100, "rgb"))
	grey := image.NewGray(image.Rect(0, 0, 200, 100))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i)
	}
	pages = append(pages, scan.NewPage(grey, 72, 72, "grey"))
	pal := image.NewPaletted(image.Rect(0, 0, 64, 64), color.Palette{color.RGBA{255, 0, 0, 255}, color.White})
	pages = append(pages, scan.NewPage(pal, 72, 72, "palette"))

	out := writePDF(t, pages, make([]*ocr.Result, len(pages)), pdf.Options{})
	validate(t, out)
	list := testenv.Run(t, "pdfimages", "-list", out)
	for _, want := range []string{
		"640   480  gray    1   1  image",  // bi-level stays 1-bit
		"400   200  gray    1   1  ccitt",  // G4 as it was
		"2240  1076  gray    1   8  image", // the PNG's own data
		"300   200  rgb     3   8  image",
		"200   100  gray    1   8  image",
	} {
		if !strings.Contains(strings.Join(strings.Fields(list), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("pdfimages -list lacks %q:\n%s", want, list)
		}
	}
	// The G4 page renders as the original did (black text on white).
	png := filepath.Join(t.TempDir(), "p")
	testenv.Run(t, "pdftoppm", "-f", "2", "-l", "2", "-r", "300", "-gray", "-singlefile", out, png)
	f, err := os.Open(png + ".pgm")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dark := countDark(t, f)
	if dark == 0 || dark > 400*200/4 {
		t.Errorf("G4 page has %d dark pixels of %d: inverted or blank", dark, 400*200)
	}
}

func countDark(t *testing.T, f *os.File) int {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	// PGM: "P5\nW H\n255\n" then pixels.
	fields, i := 0, 0
	for fields < 4 && i < len(b) {
		for i < len(b) && (b[i] == ' ' || b[i] == '\n') {
			i++
		}
		for i < len(b) && b[i] != ' ' && b[i] != '\n' {
			i++
		}
		fields++
	}
	n := 0
	for _, v := range b[i+1:] {
		if v < 128 {
			n++
		}
	}
	return n
}

func TestEmptyDocument(t *testing.T) {
	var b bytes.Buffer
	w, _ := pdf.NewWriter(&b, pdf.Options{})
	if err := w.Close(); err == nil {
		t.Error("a PDF without pages was written")
	}
	w, _ = pdf.NewWriter(&b, pdf.Options{})
	if err := w.AddPage(&scan.Page{Source: "x"}, nil); err == nil {
		t.Error("a page without image was accepted")
	}
}

func BenchmarkAddPage(b *testing.B) {
	var pages []scan.Page
	file.Read(context.Background(), []string{testenv.Testdata("letter-fr-ar.png"), testenv.Testdata("phototest.tif")}, file.Options{}, func(p scan.Page) error {
		pages = append(pages, p)
		return nil
	})
	res := result()
	w, _ := pdf.NewWriter(discard{}, pdf.Options{})
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := w.AddPage(&pages[i%len(pages)], res); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Extraction hazards seen on real scans: OCR boxes that overlap (Arabic)
// must not come out interleaved, and a long word on a slightly tilted line
// must not be cut in two.
func TestExtractionHazards(t *testing.T) {
	r := &ocr.Result{Width: 2480, Height: 3508, DPI: 300, Lines: []ocr.Line{
		{Box: ocr.Box{X0: 1300, Y0: 500, X1: 1800, Y1: 560}, Offset: -12, Size: 60, Dir: ocr.DirRTL, Block: 1, Para: 1, Words: []ocr.Word{
			{Text: "من", Box: ocr.Box{X0: 1700, Y0: 500, X1: 1800, Y1: 550}},
			{Text: "أصحاب", Box: ocr.Box{X0: 1400, Y0: 500, X1: 1795, Y1: 550}}, // overlaps the first
			{Text: "رسول", Box: ocr.Box{X0: 1300, Y0: 500, X1: 1390, Y1: 550}},
		}},
		{Box: ocr.Box{X0: 200, Y0: 800, X1: 2200, Y1: 900}, Slope: -0.02, Offset: -15, Size: 60, Dir: ocr.DirLTR, Block: 2, Para: 2, Words: []ocr.Word{
			{Text: "Administration", Box: ocr.Box{X0: 200, Y0: 820, X1: 1000, Y1: 890}},
			{Text: "départementale", Box: ocr.Box{X0: 1040, Y0: 805, X1: 1900, Y1: 875}},
		}},
	}}
	out := writePDF(t, []scan.Page{page(2480, 3508, 300)}, []*ocr.Result{r}, pdf.Options{})
	validate(t, out)
	text := testenv.Normalise(testenv.PDFText(t, out))
	if want := "من أصحاب رسول Administration départementale"; text != want {
		t.Errorf("pdftotext = %q\nwant        %q", text, want)
	}
}
