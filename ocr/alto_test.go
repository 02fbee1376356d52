package ocr

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/testenv"
)

// altoFile is what the tests read back from an ALTO file.
type altoFile struct {
	XMLName  xml.Name `xml:"http://www.loc.gov/standards/alto/ns-v4# alto"`
	FileName string   `xml:"Description>sourceImageInformation>fileName"`
	Software string   `xml:"Description>Processing>processingSoftware>softwareName"`
	Version  string   `xml:"Description>Processing>processingSoftware>softwareVersion"`
	DateTime string   `xml:"Description>Processing>processingDateTime"`
	Page     struct {
		ID         string  `xml:"ID,attr"`
		Number     string  `xml:"PHYSICAL_IMG_NR,attr"`
		Width      int     `xml:"WIDTH,attr"`
		Height     int     `xml:"HEIGHT,attr"`
		Lang       string  `xml:"LANG,attr"`
		OtherLangs string  `xml:"OTHERLANGS,attr"`
		PC         float64 `xml:"PC,attr"`
		Blocks     []struct {
			ID    string `xml:"ID,attr"`
			Dir   string `xml:"BASEDIRECTION,attr"`
			Lines []struct {
				altoBox
				ID       string       `xml:"ID,attr"`
				Dir      string       `xml:"BASEDIRECTION,attr"`
				Baseline string       `xml:"BASELINE,attr"`
				Strings  []altoString `xml:"String"`
				Spaces   []altoBox    `xml:"SP"`
			} `xml:"TextLine"`
		} `xml:"PrintSpace>TextBlock"`
	} `xml:"Layout>Page"`
}

type altoBox struct {
	HPOS   int `xml:"HPOS,attr"`
	VPOS   int `xml:"VPOS,attr"`
	WIDTH  int `xml:"WIDTH,attr"`
	HEIGHT int `xml:"HEIGHT,attr"`
}

func (b altoBox) box() Box { return Box{b.HPOS, b.VPOS, b.HPOS + b.WIDTH, b.VPOS + b.HEIGHT} }

type altoString struct {
	altoBox
	ID      string  `xml:"ID,attr"`
	Content string  `xml:"CONTENT,attr"`
	WC      float64 `xml:"WC,attr"`
	Lang    string  `xml:"LANG,attr"`
}

func writeALTO(t *testing.T, r *Result, p PageInfo) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteALTO(&b, r, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readALTO(t *testing.T, data []byte) altoFile {
	t.Helper()
	var f altoFile
	if err := xml.Unmarshal(data, &f); err != nil {
		t.Fatalf("ALTO does not parse: %v\n%s", err, data)
	}
	return f
}

// xmllint runs xmllint on data and fails the test with xmllint's
// complaint when it rejects the file. catalog is the XML catalog that
// resolves the schemas and DTDs the file names; "" means the system's.
// --nonet makes a schema missing from the catalog an error, never a
// download.
func xmllint(t *testing.T, data []byte, catalog string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint not found: run make deps")
	}
	f := filepath.Join(t.TempDir(), "page.xml")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("xmllint", append(append([]string{"--nonet", "--noout"}, args...), f)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XML_CATALOG_FILES=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if catalog != "" {
		cmd.Env = append(cmd.Env, "XML_CATALOG_FILES="+catalog)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmllint %s: %v (run make deps if a schema or DTD is missing)\n%s", strings.Join(args, " "), err, out)
	}
}

// validateALTO checks data against the ALTO 4.4 schema shipped in
// testdata/alto, whose catalog maps the schemas' URLs to the local files.
func validateALTO(t *testing.T, data []byte) {
	t.Helper()
	xmllint(t, data, testenv.Testdata("alto/catalog.xml"), "--schema", testenv.Testdata("alto/alto-4-4.xsd"))
}

// recognize runs real Tesseract on a fixture.
func recognize(t *testing.T, name string, dpi float64, langs ...string) *Result {
	t.Helper()
	r, err := newEngine(t, langs...).Recognize(context.Background(), Image{Data: fixture(t, name), DPI: dpi})
	if err != nil {
		t.Fatal(err)
	}
	if r.WordCount() == 0 {
		t.Fatalf("%s: nothing recognised", name)
	}
	return r
}

// TestWriteALTORecognized writes real recognitions as ALTO, validates
// them against the ALTO 4.4 schema and reads them back: every word, in
// order, with its box.
func TestWriteALTORecognized(t *testing.T) {
	for _, tc := range []struct {
		image    string
		dpi      float64
		langs    []string
		lang     string
		others   string
		rtlLines bool
	}{
		{"phototest.tif", 200, []string{"eng"}, "en", "", false},
		{"letter-fr-ar.png", 300, []string{"fra", "ara"}, "fr", "ar", true},
	} {
		t.Run(tc.image, func(t *testing.T) {
			r := recognize(t, tc.image, tc.dpi, tc.langs...)
			data := writeALTO(t, r, PageInfo{Image: tc.image, Number: 3, Software: "demat", Version: "test", Languages: tc.langs})
			validateALTO(t, data)

			f := readALTO(t, data)
			if f.FileName != tc.image || f.Software != "demat" || f.Version != "test" || f.DateTime != "" {
				t.Errorf("description: file %q, software %q %q, time %q", f.FileName, f.Software, f.Version, f.DateTime)
			}
			pg := f.Page
			if pg.ID != "page_3" || pg.Number != "3" || pg.Width != r.Width || pg.Height != r.Height {
				t.Errorf("page %s nr %s %dx%d, want page_3 nr 3 %dx%d", pg.ID, pg.Number, pg.Width, pg.Height, r.Width, r.Height)
			}
			if pg.Lang != tc.lang || pg.OtherLangs != tc.others {
				t.Errorf("LANG %q OTHERLANGS %q, want %q %q", pg.Lang, pg.OtherLangs, tc.lang, tc.others)
			}
			if conf, _ := r.MeanConfidence(); math.Abs(pg.PC-conf/100) > 1e-4 {
				t.Errorf("PC %g, want %g", pg.PC, conf/100)
			}

			var strs []altoString
			var rtl int
			var lines int
			for _, b := range pg.Blocks {
				for _, l := range b.Lines {
					lines++
					strs = append(strs, l.Strings...)
					if len(l.Spaces) != len(l.Strings)-1 {
						t.Errorf("line %s: %d SP for %d strings", l.ID, len(l.Spaces), len(l.Strings))
					}
					if l.Dir == "rtl" {
						rtl++
					}
				}
			}
			var words []Word
			var wantRTL int
			for _, l := range r.Lines {
				words = append(words, l.Words...)
				if l.Dir == DirRTL {
					wantRTL++
				}
			}
			if lines != len(r.Lines) || rtl != wantRTL || (wantRTL > 0) != tc.rtlLines {
				t.Errorf("%d lines (%d rtl), want %d (%d rtl)", lines, rtl, len(r.Lines), wantRTL)
			}
			if len(strs) != len(words) {
				t.Fatalf("%d strings for %d words", len(strs), len(words))
			}
			for i, w := range words {
				s := strs[i]
				if s.Content != w.Text || s.box() != w.Box || math.Abs(s.WC-w.Conf/100) > 1e-4 {
					t.Errorf("string %d = %q %+v WC %g, want %q %+v conf %g", i, s.Content, s.box(), s.WC, w.Text, w.Box, w.Conf)
				}
			}
		})
	}
}

// TestWriteALTOText checks what ALTO must carry through untouched or
// well-formed: XML-special characters, Arabic, odd page data, and pages
// without text.
func TestWriteALTOText(t *testing.T) {
	ar := Line{Box: Box{100, 300, 900, 360}, Slope: 0.01, Offset: -12, Size: 50, Dir: DirRTL, Block: 2, Para: 2, Words: []Word{
		{Text: "المملكة", Box: Box{600, 300, 900, 350}, Conf: 88, Lang: "ara"},
		{Text: "2026", Box: Box{400, 300, 580, 350}, Conf: 80, Dir: DirLTR},
		{Text: "«ب&ت»", Box: Box{100, 300, 380, 350}, Conf: 101},
	}}
	for _, tc := range []struct {
		name string
		r    *Result
		p    PageInfo
	}{
		{"special characters", &Result{Width: 1000, Height: 800, DPI: 300, Lines: []Line{
			{Box: Box{100, 100, 900, 150}, Offset: -10, Size: 40, Dir: DirLTR, Block: 1, Para: 1, Words: []Word{
				{Text: "R&D", Box: Box{100, 110, 200, 140}, Conf: 96},
				{Text: "<b>", Box: Box{210, 110, 260, 140}, Conf: 91.5},
				{Text: `"cité"`, Box: Box{270, 110, 400, 140}, Conf: 90},
				{Text: "l'an\u00a0:", Box: Box{410, 110, 500, 140}, Conf: -3},
				{Text: "a\tb\nc", Box: Box{510, 110, 600, 140}, Conf: 50},
				{Text: "]]>", Box: Box{610, 110, 700, 140}, Conf: 50},
			}},
			ar,
		}}, PageInfo{Image: `scan "1" & <2>.png`, Number: 2, Software: `dé"mat`, Version: "1.0 <beta>",
			Languages: []string{"fra", "ara", "osd"}, Time: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}},
		{"empty page", &Result{Width: 10, Height: 20}, PageInfo{}},
		{"no size", &Result{}, PageInfo{Languages: []string{"chi_sim", "xyz"}}},
		{"blank words and empty lines", &Result{Width: 1000, Height: 800, Lines: []Line{
			{Box: Box{1, 2, 3, 4}, Block: 1, Para: 1},
			{Box: Box{1, 2, 3, 4}, Block: 1, Para: 1, Words: []Word{{Text: " "}, {Text: ""}}},
			ar,
		}}, PageInfo{Number: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := writeALTO(t, tc.r, tc.p)
			validateALTO(t, data)
			if again := writeALTO(t, tc.r, tc.p); !bytes.Equal(data, again) {
				t.Error("two writes of the same page differ")
			}
			f := readALTO(t, data)
			if f.FileName != tc.p.Image {
				t.Errorf("fileName %q, want %q", f.FileName, tc.p.Image)
			}
			if want := cmp.Or(tc.p.Software, "demat"); f.Software != want || f.Version != tc.p.Version {
				t.Errorf("software %q %q, want %q %q", f.Software, f.Version, want, tc.p.Version)
			}
			if !tc.p.Time.IsZero() && f.DateTime != "2026-03-04T05:06:07Z" {
				t.Errorf("processingDateTime %q", f.DateTime)
			}
			var want []Word
			for _, l := range tc.r.Lines {
				for _, w := range l.Words {
					if strings.TrimSpace(w.Text) != "" {
						want = append(want, w)
					}
				}
			}
			var got []altoString
			for _, b := range f.Page.Blocks {
				for _, l := range b.Lines {
					got = append(got, l.Strings...)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d strings, want %d", len(got), len(want))
			}
			for i, w := range want {
				if got[i].Content != w.Text || got[i].box() != w.Box {
					t.Errorf("string %d = %q %+v, want %q %+v", i, got[i].Content, got[i].box(), w.Text, w.Box)
				}
				if got[i].WC < 0 || got[i].WC > 1 {
					t.Errorf("string %d: WC %g outside [0, 1]", i, got[i].WC)
				}
			}
		})
	}
}

// TestWriteALTOLayout checks the parts of the layout a reader of the
// file relies on: blocks, directions, baselines and spaces.
func TestWriteALTOLayout(t *testing.T) {
	r, err := ParseHOCR([]byte(sampleHOCR))
	if err != nil {
		t.Fatal(err)
	}
	f := readALTO(t, writeALTO(t, r, PageInfo{Languages: []string{"fra", "ara"}}))
	blocks := f.Page.Blocks
	if len(blocks) != 2 || blocks[0].Dir != "ltr" || blocks[1].Dir != "rtl" {
		t.Fatalf("blocks = %+v, want an ltr block then an rtl one", blocks)
	}
	l := blocks[1].Lines[0]
	if l.Dir != "rtl" || l.box() != (Box{100, 300, 900, 360}) || l.Baseline != "100,348 900,348" {
		t.Errorf("Arabic line = %+v", l)
	}
	// Logical order: the first word is the rightmost; the space between
	// the two words lies between their boxes, right to left.
	if l.Strings[0].Content != "المملكة" || len(l.Spaces) != 1 || l.Spaces[0].box() != (Box{580, 300, 600, 360}) {
		t.Errorf("Arabic words %+v, spaces %+v", l.Strings, l.Spaces)
	}
	if b := blocks[0].Lines[0].Baseline; b != "100,140 900,148" {
		t.Errorf("sloped baseline = %q, want 100,140 900,148", b)
	}
	if f.Page.ID != "page_1" || blocks[0].ID != "block_1_1" || l.Strings[1].ID != "string_1_4" {
		t.Errorf("IDs: page %s, block %s, string %s", f.Page.ID, blocks[0].ID, l.Strings[1].ID)
	}
}

func TestWriteALTONil(t *testing.T) {
	if err := WriteALTO(&bytes.Buffer{}, nil, PageInfo{}); err == nil {
		t.Error("nil result written without error")
	}
}

func TestISOLanguage(t *testing.T) {
	for _, tc := range []struct {
		code, want string
		ok         bool
	}{
		{"fra", "fr", true},
		{"ara", "ar", true},
		{"eng", "en", true},
		{"deu", "de", true},
		{"chi_sim", "zh-Hans", true},
		{"chi_tra", "zh-Hant", true},
		{"aze_cyrl", "az-Cyrl", true},
		{"jpn_vert", "ja", true},
		{"ita_old", "it", true},
		{"kmr", "kmr", true},
		{"FRA", "fr", true},
		{"osd", "", false},
		{"equ", "", false},
		{"script/Arabic", "", false},
		{"", "", false},
		{"fra;rm", "", false},
	} {
		if got, ok := isoLanguage(tc.code); got != tc.want || ok != tc.ok {
			t.Errorf("isoLanguage(%q) = %q, %v, want %q, %v", tc.code, got, ok, tc.want, tc.ok)
		}
	}
}
