package pipeline_test

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pipeline"
)

// altoWords gives the CONTENT of an ALTO file's strings, in order.
func altoWords(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "String" {
			for _, a := range se.Attr {
				if a.Name.Local == "CONTENT" {
					words = append(words, a.Value)
				}
			}
		}
	}
	return words
}

func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r) })
}

// Each page's ALTO file validates against the ALTO 4 schema and holds the
// words of the PDF's text layer; the hOCR files are there too, and a
// second run does not replace them without --force.
func TestExports(t *testing.T) {
	testenv.Require(t, "xmllint")
	dir := t.TempDir()
	alto, hocr := filepath.Join(dir, "alto"), filepath.Join(dir, "hocr")
	os.Mkdir(alto, 0o755)
	os.Mkdir(hocr, 0o755)
	out := filepath.Join(dir, "lettre.pdf")
	opt := pipeline.Options{Languages: []string{"fra", "ara", "eng"}, Jobs: 2, ALTO: alto, HOCR: hocr}
	if _, err := pipeline.Process(context.Background(), []string{testenv.Testdata("letter-fr-ar.png"), testenv.Testdata("phototest.tif")}, out, opt); err != nil {
		t.Fatal(err)
	}
	noLeftovers(t, alto, "lettre-0001.xml", "lettre-0002.xml")
	noLeftovers(t, hocr, "lettre-0001.hocr", "lettre-0002.hocr")
	pages := strings.Split(testenv.PDFText(t, out), "\f")
	for i, name := range []string{"lettre-0001.xml", "lettre-0002.xml"} {
		path := filepath.Join(alto, name)
		cmd := exec.Command("xmllint", "--nonet", "--noout", "--schema", testenv.Testdata("alto/alto-4-4.xsd"), path)
		cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+testenv.Testdata("alto/catalog.xml"))
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s does not validate: %v\n%s", name, err, msg)
		}
		// Compared as runs of letters and digits: pdftotext moves the
		// punctuation of right-to-left words and adds direction marks.
		got := tokens(strings.Join(altoWords(t, path), " "))
		want := tokens(pages[i])
		slices.Sort(got)
		slices.Sort(want)
		if len(got) < 20 || !slices.Equal(got, want) {
			t.Errorf("%s: ALTO words\n%q\ntext layer's\n%q", name, got, want)
		}
	}
	if h, err := os.ReadFile(filepath.Join(hocr, "lettre-0001.hocr")); err != nil || !strings.Contains(string(h), "ocrx_word") || !strings.Contains(string(h), "المغربية") {
		t.Errorf("hOCR page 1: %v", err)
	}
	os.Remove(out)
	if _, err := pipeline.Process(context.Background(), []string{testenv.Testdata("phototest.tif")}, out, opt); err == nil {
		t.Error("the ALTO files of an earlier run were replaced without Force")
	}
	opt.Force = true
	if _, err := pipeline.Process(context.Background(), []string{testenv.Testdata("phototest.tif")}, out, opt); err != nil {
		t.Errorf("with Force: %v", err)
	}
}
