package pipeline_test

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
)

// writePNG saves img with its resolution, as a scanner would.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func letter(t *testing.T) image.Image {
	t.Helper()
	img, err := imaging.Open(testenv.Testdata("letter-fr-ar.png"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Pages that come upside down, on their side or crooked are read as well
// as the upright page.
func TestCleanTurnsAndStraightens(t *testing.T) {
	dir := t.TempDir()
	up := letter(t)
	pages := map[string]image.Image{
		"a-upright.png":  up,
		"b-180.png":      imaging.Rotate180(up),
		"c-left.png":     imaging.Rotate90(up),
		"d-right.png":    imaging.Rotate270(up),
		"e-crooked.png":  imaging.Rotate(up, 3, color.White),
		"f-crooked2.png": imaging.Rotate(up, -2, color.White),
	}
	for name, img := range pages {
		writePNG(t, filepath.Join(dir, name), img)
	}
	out := filepath.Join(t.TempDir(), "out.pdf")
	res, err := pipeline.Process(context.Background(), []string{dir}, out,
		pipeline.Options{Languages: []string{"fra", "ara"}, Jobs: 2, DPI: 300})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 6 {
		t.Fatalf("%d pages", res.Pages)
	}
	text := strings.Split(testenv.PDFText(t, out), "\f")
	want := testenv.Normalise(text[0])
	if !strings.Contains(want, "résidence") || !strings.Contains(want, "المغربية") {
		t.Fatalf("the upright page reads:\n%s", want)
	}
	for i, name := range []string{"b-180.png", "c-left.png", "d-right.png", "e-crooked.png", "f-crooked2.png"} {
		got := testenv.Normalise(text[i+1])
		if cer := testenv.CER(got, want); cer > 0.05 {
			t.Errorf("%s: CER %.3f against the upright page:\n%s", name, cer, got)
		}
	}
	// Without cleanup the upside-down page is not read.
	out2 := filepath.Join(t.TempDir(), "raw.pdf")
	if _, err := pipeline.Process(context.Background(), []string{filepath.Join(dir, "b-180.png")}, out2,
		pipeline.Options{Languages: []string{"fra", "ara"}, Jobs: 2, DPI: 300, NoClean: true}); err != nil {
		t.Fatal(err)
	}
	if cer := testenv.CER(testenv.Normalise(testenv.PDFText(t, out2)), want); cer < 0.3 {
		t.Errorf("without cleanup the upside-down page reads with CER %.3f: the test proves nothing", cer)
	}
}

// Blank pages are kept with a warning, or left out on request; a page
// with one short line is never taken for blank.
func TestBlankPages(t *testing.T) {
	dir := t.TempDir()
	blank := image.NewGray(image.Rect(0, 0, 2480, 3508))
	for i := range blank.Pix {
		blank.Pix[i] = 0xf4 // paper is not pure white
	}
	// Specks of dust.
	for _, p := range []image.Point{{300, 400}, {1200, 2000}, {2000, 3000}} {
		blank.SetGray(p.X, p.Y, color.Gray{0x20})
	}
	writePNG(t, filepath.Join(dir, "p1.png"), letter(t))
	writePNG(t, filepath.Join(dir, "p2.png"), blank)
	line := image.NewGray(blank.Rect)
	copy(line.Pix, blank.Pix)
	src := letter(t)
	// One line of the letter, alone on the page.
	for y := 0; y < 60; y++ {
		for x := 0; x < src.Bounds().Dx() && x < 2480; x++ {
			line.Set(x+200, y+1500, src.At(x, y+src.Bounds().Dy()/4))
		}
	}
	writePNG(t, filepath.Join(dir, "p3.png"), line)

	for _, remove := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out.pdf")
		res, err := pipeline.Process(context.Background(), []string{dir}, out,
			pipeline.Options{Languages: []string{"fra"}, Jobs: 2, DPI: 300, RemoveBlank: remove})
		if err != nil {
			t.Fatal(err)
		}
		want := 3
		if remove {
			want = 2
		}
		if res.Pages != want {
			t.Errorf("remove=%v: %d pages, want %d", remove, res.Pages, want)
		}
		warned := false
		for _, w := range res.Warnings {
			if strings.Contains(w, "p2.png") && strings.Contains(w, "blank") {
				warned = true
			}
			if strings.Contains(w, "p3.png") && strings.Contains(w, "blank") {
				t.Errorf("the page with one line was called blank: %s", w)
			}
		}
		if !warned {
			t.Errorf("remove=%v: no warning for the blank page: %q", remove, res.Warnings)
		}
	}
}

// A JPEG goes into the PDF as it is without cleanup, and with --keep-color
// when it needs no edit; with cleanup, a page of black print is stored
// black and white (G4), much smaller.
func TestJPEGPageStorage(t *testing.T) {
	testenv.Require(t, "pdfimages")
	dir := t.TempDir()
	jpg := filepath.Join(dir, "p.jpg")
	f, _ := os.Create(jpg)
	if err := imaging.Encode(f, letter(t), imaging.JPEG, imaging.JPEGQuality(85)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want, _ := os.ReadFile(jpg)
	for _, c := range []struct {
		name string
		opt  pipeline.Options
		enc  string // pdfimages -list's encoding
	}{
		{"no cleanup", pipeline.Options{NoClean: true}, "jpeg"},
		{"keep colour", pipeline.Options{Image: pdf.ImageOptions{KeepColor: true}}, "jpeg"},
		{"default", pipeline.Options{}, "ccitt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pdf")
			c.opt.Languages, c.opt.Jobs, c.opt.DPI = []string{"fra"}, 1, 300
			if _, err := pipeline.Process(context.Background(), []string{jpg}, out, c.opt); err != nil {
				t.Fatal(err)
			}
			pdftest.Validate(t, out, true)
			list := testenv.Run(t, "pdfimages", "-list", out)
			if !strings.Contains(list, " "+c.enc+" ") {
				t.Fatalf("stored as\n%s\nwant %s", list, c.enc)
			}
			if c.enc != "jpeg" {
				if st, _ := os.Stat(out); st.Size() > int64(len(want))/2 {
					t.Errorf("black-and-white storage made %d bytes of a %d-byte JPEG", st.Size(), len(want))
				}
				return
			}
			testenv.Run(t, "pdfimages", "-j", out, filepath.Join(filepath.Dir(out), "img"))
			got, err := os.ReadFile(filepath.Join(filepath.Dir(out), "img-000.jpg"))
			if err != nil || string(got) != string(want) {
				t.Errorf("the JPEG page was re-encoded (%v)", err)
			}
		})
	}
}
