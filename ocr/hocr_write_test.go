package ocr

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func writeHOCR(t *testing.T, r *Result, p PageInfo) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHOCR(&b, r, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// validateXHTML checks data against the XHTML 1.0 Transitional DTD it
// declares, which xmllint finds through the system catalog (Debian's
// w3c-sgml-lib), never on the network.
func validateXHTML(t *testing.T, data []byte) {
	t.Helper()
	xmllint(t, data, "", "--valid")
}

// roundTrip writes r as hOCR, checks the page is valid XHTML, parses it
// back and wants r again.
func roundTrip(t *testing.T, r *Result, p PageInfo) {
	t.Helper()
	data := writeHOCR(t, r, p)
	validateXHTML(t, data)
	got, err := ParseHOCR(data)
	if err != nil {
		t.Fatalf("written hOCR does not parse: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("hOCR round trip changed the result:\n%s\nhOCR:\n%s", resultDiff(got, r), data)
	}
}

// resultDiff names the first lines that differ, which is more readable
// than two dumps of a whole page.
func resultDiff(got, want *Result) string {
	var b strings.Builder
	if got.Width != want.Width || got.Height != want.Height || got.DPI != want.DPI {
		fmt.Fprintf(&b, "page %dx%d at %g dpi, want %dx%d at %g\n", got.Width, got.Height, got.DPI, want.Width, want.Height, want.DPI)
	}
	if len(got.Lines) != len(want.Lines) {
		fmt.Fprintf(&b, "%d lines, want %d\n", len(got.Lines), len(want.Lines))
	}
	for i := 0; i < min(len(got.Lines), len(want.Lines)); i++ {
		if !reflect.DeepEqual(got.Lines[i], want.Lines[i]) {
			fmt.Fprintf(&b, "line %d:\n got  %+v\n want %+v\n", i, got.Lines[i], want.Lines[i])
		}
	}
	return b.String()
}

// TestWriteHOCRRoundTrip parses hOCR, writes it and parses it again: the
// writer keeps everything the parser reads.
func TestWriteHOCRRoundTrip(t *testing.T) {
	sources := map[string][]byte{"sample": []byte(sampleHOCR)}
	if b, err := os.ReadFile("testdata/phototest.hocr"); err == nil {
		sources["phototest.hocr"] = b
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			r, err := ParseHOCR(src)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, r, PageInfo{Image: "page.png", Languages: []string{"fra", "ara"}})
		})
	}
}

// TestWriteHOCRRecognized round-trips real recognitions: Tesseract's
// English test page and a French and Arabic letter.
func TestWriteHOCRRecognized(t *testing.T) {
	for _, tc := range []struct {
		image string
		dpi   float64
		langs []string
	}{
		{"phototest.tif", 200, []string{"eng"}},
		{"letter-fr-ar.png", 300, []string{"fra", "ara"}},
	} {
		t.Run(tc.image, func(t *testing.T) {
			r := recognize(t, tc.image, tc.dpi, tc.langs...)
			roundTrip(t, r, PageInfo{Image: tc.image, Number: 1, Software: "demat", Version: "test", Languages: tc.langs})
		})
	}
}

// TestWriteHOCRBuilt round-trips pages built by hand for what real pages
// rarely show: Arabic with embedded numbers, characters XML and hOCR's
// title syntax treat specially, and gaps in the block and paragraph
// numbering where Tesseract found only noise.
func TestWriteHOCRBuilt(t *testing.T) {
	arabic := Line{Box: Box{100, 300, 900, 360}, Slope: -0.0123, Offset: -12.5, Size: 55.416668, Dir: DirRTL, Block: 2, Para: 3, Words: []Word{
		{Text: "المملكة", Box: Box{600, 300, 900, 350}, Conf: 88, Lang: "ara"},
		{Text: "2026", Box: Box{400, 300, 580, 350}, Conf: 80.5, Dir: DirLTR},
		{Text: "المغربية", Box: Box{100, 300, 380, 350}, Conf: 0},
	}}
	french := Line{Box: Box{100, 100, 900, 150}, Slope: 0.01, Offset: -10, Size: 40, Dir: DirLTR, Block: 1, Para: 1, Words: []Word{
		{Text: "R&D", Box: Box{100, 110, 200, 140}, Conf: 96},
		{Text: `<b>"cité"</b>`, Box: Box{210, 110, 400, 140}, Conf: 91},
		{Text: "l'an\u00a0:", Box: Box{410, 110, 500, 140}, Conf: 95, Dir: DirLTR, Lang: "fra"},
		{Text: "x;y", Box: Box{510, 110, 600, 140}, Conf: 12},
	}}
	gapped := arabic
	gapped.Block, gapped.Para = 5, 9
	for _, tc := range []struct {
		name string
		r    *Result
		p    PageInfo
	}{
		{"french and arabic", &Result{Width: 1000, Height: 800, DPI: 300, Lines: []Line{french, arabic}},
			PageInfo{Image: `scan "1"; 100%.png`, Number: 4, Software: "demat", Version: "1.0", Languages: []string{"fra", "ara"}}},
		{"numbering gaps", &Result{Width: 1000, Height: 800, DPI: 299.5, Lines: []Line{french, gapped}}, PageInfo{}},
		{"two paragraphs in a block", &Result{Width: 1000, Height: 800, Lines: []Line{
			french,
			{Box: Box{100, 160, 300, 200}, Dir: DirLTR, Block: 1, Para: 2, Words: []Word{{Text: "fin", Box: Box{100, 160, 300, 200}, Conf: 90}}},
		}}, PageInfo{Languages: []string{"osd"}}},
		{"empty page", &Result{Width: 10, Height: 20}, PageInfo{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			roundTrip(t, tc.r, tc.p)
			if a, b := writeHOCR(t, tc.r, tc.p), writeHOCR(t, tc.r, tc.p); !bytes.Equal(a, b) {
				t.Error("two writes of the same page differ")
			}
		})
	}
}

// TestWriteHOCRPage checks the page-level markup other hOCR readers
// (hocr-tools, OCRmyPDF) rely on.
func TestWriteHOCRPage(t *testing.T) {
	r := &Result{Width: 1000, Height: 800, DPI: 300, Lines: []Line{{
		Box: Box{100, 300, 900, 360}, Dir: DirRTL, Block: 1, Para: 1,
		Words: []Word{{Text: "شهادة", Box: Box{100, 300, 900, 360}, Conf: 90}},
	}}}
	h := string(writeHOCR(t, r, PageInfo{Image: `a "b"; c.png`, Number: 2, Software: "demat", Version: "1.0", Languages: []string{"fra", "ara", "chi_sim", "osd"}}))
	for _, want := range []string{
		`<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="fr" lang="fr">`,
		`<meta name="ocr-system" content="demat 1.0"/>`,
		`<meta name="ocr-capabilities" content="` + hocrCapabilities + `"/>`,
		`<meta name="ocr-langs" content="fr ar zh"/>`,
		`class="ocr_page" id="page_2" title="image &#34;a %22b%22%3B c.png&#34;; bbox 0 0 1000 800; ppageno 1; scan_res 300 300"`,
		`<p class="ocr_par" id="par_2_1" dir="rtl" title="bbox 100 300 900 360">`,
		`<span class="ocrx_word" id="word_2_1" title="bbox 100 300 900 360; x_wconf 90">شهادة</span>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("hOCR lacks %s:\n%s", want, h)
		}
	}
	if !strings.Contains(string(writeHOCR(t, &Result{}, PageInfo{})), `<meta name="ocr-langs" content="unknown"/>`) {
		t.Error("no languages: ocr-langs is not unknown")
	}
}

func TestWriteHOCRNil(t *testing.T) {
	if err := WriteHOCR(&bytes.Buffer{}, nil, PageInfo{}); err == nil {
		t.Error("nil result written without error")
	}
}
