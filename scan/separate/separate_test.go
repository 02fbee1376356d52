package separate_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/boombuler/barcode/code128"
	"github.com/disintegration/imaging"
	"golang.org/x/image/tiff"

	"github.com/demat-app/demat/internal/sheet"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/internal/typeset"
	"github.com/demat-app/demat/scan/separate"
)

var rules = &separate.Rules{
	Marker: separate.DefaultMarker,
	Patch:  true,
	Patterns: []separate.Pattern{{
		Match: regexp.MustCompile(`^DOS-(?P<reference>\d+)-(?P<year>\d{4})$`),
		Meta:  map[string]string{"document_type": "dossier", "date": "{year}"},
	}},
}

// render prints sheets to a PDF and renders its pages with pdftoppm, as
// a printer and a scanner would turn them into pixels.
func render(t *testing.T, sheets []sheet.Sheet, dpi int) []image.Image {
	t.Helper()
	testenv.Require(t, "pdftoppm")
	dir := t.TempDir()
	var b bytes.Buffer
	if err := sheet.Write(&b, sheets, time.Now()); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "sheets.pdf")
	os.WriteFile(in, b.Bytes(), 0o644)
	testenv.Run(t, "pdftoppm", "-png", "-gray", "-r", fmt.Sprint(dpi), in, filepath.Join(dir, "p"))
	var out []image.Image
	for i := range sheets {
		name := filepath.Join(dir, fmt.Sprintf("p-%d.png", i+1))
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, img)
	}
	return out
}

// jpegged gives img through JPEG at a low quality: the noise of a scanner
// that saves JPEG.
func jpegged(t *testing.T, img image.Image) image.Image {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 50}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSeparatorSheetsReadBack(t *testing.T) {
	sheets := []sheet.Sheet{
		{Kind: sheet.QR, Value: "DOS-12-2024", Marker: separate.DefaultMarker},
		{Kind: sheet.Code128, Value: "DOS-7-2023", Marker: separate.DefaultMarker},
		{Kind: sheet.PatchT},
		{Kind: sheet.QR, Value: "Boîte 4", Marker: separate.DefaultMarker, Fields: map[string]string{"sender": "وزارة الداخلية"}},
	}
	want := []map[string]string{
		{"reference": "12", "year": "2024", "document_type": "dossier", "date": "2024"},
		{"reference": "7", "year": "2023", "document_type": "dossier", "date": "2023"},
		{},
		{"sender": "وزارة الداخلية"},
	}
	opt := separate.Options{Codes: true, Patch: true}
	for _, dpi := range []int{150, 200, 300} {
		pages := render(t, sheets, dpi)
		for i, page := range pages {
			for _, v := range []struct {
				name string
				img  image.Image
			}{
				{"upright", page},
				{"upside-down", imaging.Rotate180(page)},
				{"jpeg", jpegged(t, page)},
				{"upside-down-jpeg", jpegged(t, imaging.Rotate180(page))},
				{"skewed-1.5deg", imaging.Rotate(page, 1.5, color.White)},
			} {
				t.Run(fmt.Sprintf("%s-%q-%ddpi-%s", sheets[i].Kind, sheets[i].Value, dpi, v.name), func(t *testing.T) {
					start := time.Now()
					f := separate.Detect(v.img, float64(dpi), opt)
					took := time.Since(start)
					s, ok := rules.Separator(f)
					if !ok {
						t.Fatalf("not a separator: found %+v (%v)", f, took)
					}
					if s.Value != sheets[i].Value {
						t.Errorf("value %q, want %q", s.Value, sheets[i].Value)
					}
					if fmt.Sprint(s.Fields) != fmt.Sprint(want[i]) {
						t.Errorf("fields %v, want %v", s.Fields, want[i])
					}
					t.Logf("%v", took.Round(time.Millisecond))
				})
			}
		}
	}
}

// page loads a testdata page.
func page(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(testenv.Testdata(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var img image.Image
	if filepath.Ext(name) == ".tif" {
		img, err = tiff.Decode(f)
	} else {
		img, _, err = image.Decode(f)
	}
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// withCodes lays a page of text on an A4 sheet at 300 dpi, with a Code
// 128 and a QR code of ordinary documents (an invoice number, a web
// address) at the bottom, 0.34 mm and 0.68 mm a module.
func withCodes(t *testing.T, img image.Image) *image.Gray {
	b := image.Rect(0, 0, 2480, 3508)
	g := image.NewGray(b)
	draw.Draw(g, b, image.White, image.Point{}, draw.Src)
	draw.Draw(g, img.Bounds(), img, img.Bounds().Min, draw.Src)
	bc, err := code128.Encode("INV-2024-0042")
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; x < bc.Bounds().Dx(); x++ {
		if r, _, _, _ := bc.At(x, 0).RGBA(); r < 0x8000 {
			draw.Draw(g, image.Rect(200+4*x, 3000, 204+4*x, 3200), image.Black, image.Point{}, draw.Src)
		}
	}
	qr, err := typeset.QR("https://example.org/invoice/42")
	if err != nil {
		t.Fatal(err)
	}
	for y, row := range qr {
		for x, dark := range row {
			if dark {
				draw.Draw(g, image.Rect(b.Dx()-500+8*x, 2900+8*y, b.Dx()-492+8*x, 2908+8*y), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	return g
}

// An ordinary page with barcodes is no separator: its codes are read, but
// they do not carry the marker.
func TestOrdinaryPageWithBarcodes(t *testing.T) {
	img := withCodes(t, page(t, "letter-fr-ar.png"))
	f := separate.Detect(img, 300, separate.Options{Codes: true, Patch: true})
	if len(f.Codes) == 0 {
		t.Fatalf("the page's barcodes were not read: %+v", f)
	}
	t.Logf("read: %+v", f.Codes)
	if s, ok := rules.Separator(f); ok {
		t.Errorf("an ordinary page is a separator: %+v", s)
	}
	if f.PatchT {
		t.Error("an ordinary page carries Patch T")
	}
	// Without a marker, only a pattern's match makes a separator.
	open := &separate.Rules{Patterns: rules.Patterns}
	if s, ok := open.Separator(f); ok {
		t.Errorf("an ordinary page is a separator without a marker: %+v", s)
	}
	if s, ok := open.Separator(separate.Found{Codes: []separate.Code{{separate.Code128, "DOS-3-2022"}}}); !ok || s.Fields["reference"] != "3" {
		t.Errorf("DOS-3-2022 without marker: %+v %v", s, ok)
	}
	for _, name := range []string{"phototest.tif", "letter-fr-ar.png"} {
		f := separate.Detect(page(t, name), 300, separate.Options{Codes: true, Patch: true, Blank: true})
		if f.Blank || f.PatchT || len(f.Codes) > 0 {
			t.Errorf("%s: %+v", name, f)
		}
	}
}

func TestBlank(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 1240, 1754)) // A4 at 150 dpi
	for i := range blank.Pix {
		blank.Pix[i] = 240 - uint8(i*7%13) // paper grain
	}
	if f := separate.Detect(jpegged(t, blank), 150, separate.Options{Blank: true, Codes: true}); !f.Blank {
		t.Errorf("blank page: %+v", f)
	}
	if f := separate.Detect(page(t, "phototest.tif"), 300, separate.Options{Blank: true}); f.Blank {
		t.Errorf("page of text: %+v", f)
	}
}

func TestRulesCheck(t *testing.T) {
	for _, r := range []*separate.Rules{
		{},
		{Marker: "SEP:", Patterns: []separate.Pattern{{Match: regexp.MustCompile(`^(?P<ref>\d+)$`), Meta: map[string]string{"title": "Dossier {reference}"}}}},
	} {
		if err := r.Check(); err == nil {
			t.Errorf("%+v: no error", r)
		} else {
			t.Log(err)
		}
	}
	if err := rules.Check(); err != nil {
		t.Error(err)
	}
	if _, err := separate.Payload("SEP:", "a?b", nil); err == nil {
		t.Error("a value with ? is accepted")
	}
}

func BenchmarkDetect(b *testing.B) {
	img := page(b, "phototest.tif")
	b.Run("text-page", func(b *testing.B) {
		for range b.N {
			separate.Detect(img, 300, separate.Options{Codes: true, Patch: true})
		}
	})
	a4 := image.NewGray(image.Rect(0, 0, 2480, 3508))
	draw.Draw(a4, a4.Bounds(), image.White, image.Point{}, draw.Src)
	letter := page(b, "letter-fr-ar.png")
	for y := 0; y < 3; y++ {
		draw.Draw(a4, letter.Bounds().Add(image.Pt(100, 100+y*1100)), letter, image.Point{}, draw.Src)
	}
	b.Run("a4-text-300dpi", func(b *testing.B) {
		for range b.N {
			separate.Detect(a4, 300, separate.Options{Codes: true, Patch: true})
		}
	})
	s, _ := sheet.Draw(sheet.Sheet{Kind: sheet.QR, Value: "DOS-12-2024", Marker: separate.DefaultMarker})
	b.Run("qr-sheet-300dpi", func(b *testing.B) {
		for range b.N {
			separate.Detect(s, 300, separate.Options{Codes: true, Patch: true})
		}
	})
}

// patchSheet draws four bars 130 mm long at 300 dpi with Kodak's widths,
// wide where the pattern says, the narrow space between them.
func patchSheet(pattern []bool) *image.Gray {
	px := 300 / 25.4
	g := image.NewGray(image.Rect(0, 0, 2480, 3508))
	draw.Draw(g, g.Rect, image.White, image.Point{}, draw.Src)
	x := 90.0
	for _, wide := range pattern {
		w := separate.PatchNarrowMM
		if wide {
			w = separate.PatchWideMM
		}
		draw.Draw(g, image.Rect(int(x*px), int(60*px), int((x+w)*px), int(190*px)), image.Black, image.Point{}, draw.Src)
		x += w + separate.PatchGapMM
	}
	return g
}

// Only Patch T (and its reading backwards, Patch 3) cuts: the other patch
// codes, which scanners give other meanings, and a ruled table do not.
func TestPatchCodes(t *testing.T) {
	opt := separate.Options{Patch: true}
	for _, c := range []struct {
		name    string
		pattern []bool
		want    bool
	}{
		{"patch T", []bool{false, true, false, true}, true},
		{"patch 3 (T backwards)", []bool{true, false, true, false}, true},
		{"patch 1", []bool{true, true, false, false}, false},
		{"patch 2", []bool{true, false, false, true}, false},
		{"patch 4", []bool{false, true, true, false}, false},
		{"patch 6", []bool{false, false, true, true}, false},
		{"four narrow bars", []bool{false, false, false, false}, false},
	} {
		g := patchSheet(c.pattern)
		if got := separate.Detect(g, 300, opt).PatchT; got != c.want {
			t.Errorf("%s: Patch T %v, want %v", c.name, got, c.want)
		}
		if c.want {
			turned := imaging.Rotate(g, 5, color.White)
			if !separate.Detect(turned, 300, opt).PatchT {
				t.Errorf("%s turned 5°: not found", c.name)
			}
			lying := imaging.Rotate90(g)
			if !separate.Detect(lying, 300, opt).PatchT {
				t.Errorf("%s lying: not found", c.name)
			}
		}
	}
	// A ruled table: long lines 2 mm apart, in both directions.
	px := 300 / 25.4
	g := image.NewGray(image.Rect(0, 0, 2480, 3508))
	draw.Draw(g, g.Rect, image.White, image.Point{}, draw.Src)
	for i := 0; i < 40; i++ {
		x := int((20 + 4*float64(i)) * px)
		draw.Draw(g, image.Rect(x, int(20*px), x+int(2*px), int(200*px)), image.Black, image.Point{}, draw.Src)
		y := int((210 + 2*float64(i)) * px)
		draw.Draw(g, image.Rect(int(20*px), y, int(190*px), y+3), image.Black, image.Point{}, draw.Src)
	}
	if separate.Detect(g, 300, opt).PatchT {
		t.Error("a ruled table is Patch T")
	}
}
