package clean

import (
	"fmt"
	"image"
	_ "image/jpeg"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
)

// corpusPages gives the page images of the shared corpus
// (../shared/corpus, or $DEMAT_CORPUS), which a plain clone does not have.
func corpusPages(t testing.TB) []string {
	dir := os.Getenv("DEMAT_CORPUS")
	if dir == "" {
		dir = filepath.Join(filepath.Dir(testenv.Testdata("x")), "..", "..", "shared", "corpus")
	}
	var pages []string
	for _, pat := range []string{"01_*/*.tif", "02_*/*.png", "02_*/*.jpg", "03_*/*.jpg", "03_*/*.png", "04_*/pages_no_gt/*", "05_*/*.png"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		pages = append(pages, m...)
	}
	if len(pages) == 0 {
		t.Skipf("the corpus is not in %s (set DEMAT_CORPUS): the tests on real scans did not run", dir)
	}
	if raceDetector {
		// The code under test starts no goroutine: the race detector
		// has nothing to find here, and slows the corpus to minutes.
		t.Skip("the tests on real scans run without -race")
	}
	return pages
}

func decodeFile(t testing.TB, path string) image.Image {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		// x/image/tiff reads no RGB with extra samples
		// (Bayhaqi.Asma_000003.tif): not this package's concern.
		t.Skipf("%s: %v", path, err)
	}
	return img
}

// TestCorpus runs the measures on real scans: the corpus pages are upright
// and hold print; turned, their lines run the other way; tilted, the skew
// changes by the tilt.
func TestCorpus(t *testing.T) {
	for _, path := range corpusPages(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			img := decodeFile(t, path)
			g := toGray(img)
			// Tesseract's rotated copies of phototest are turned on purpose.
			turnedOnPurpose := slices.Contains([]string{"phototest-rotated-L.png", "phototest-rotated-R.png", "phototestrot.tif"}, name)
			edits, rep := Auto(img, 300, Options{})
			if rep.Blank {
				t.Errorf("a page of print called blank: %+v", rep)
			}
			t.Logf("edits %v; skew %.2f° (ok %v), tone %v, ink %.0f mm², warnings %v", edits, rep.Skew, rep.SkewOK, rep.Tone, rep.Ink, rep.Warnings)
			for k := 0; k < 2; k++ {
				side, ok := Sideways(turned(g, k), 300)
				if ok && side != (k == 1) != turnedOnPurpose {
					t.Errorf("turned %d°: sideways %v", 90*k, side)
				}
				if !ok {
					t.Logf("turned %d°: line direction unknown", 90*k)
				}
			}
			// The tilt test is for pages of text: not a line cut out
			// of a page (arabic.tif, HelloGoogle.tif), not a map whose
			// labels run every way (baiona_color.jpg).
			if !rep.SkewOK || turnedOnPurpose || max(g.Rect.Dx(), g.Rect.Dy()) < 1200 || name == "baiona_color.jpg" {
				return
			}
			for _, a := range []float64{-3, 2} {
				s, ok := Skew(rotated(g, a), 300)
				if !ok || math.Abs(s-rep.Skew-a) > 0.15 {
					t.Errorf("tilted %+g°: skew %.2f° (ok %v), want %.2f°", a, s, ok, rep.Skew+a)
				}
			}
		})
	}
}

// TestCorpusHoles checks a real scan with scanner background, two punch
// holes and a red mark (tapuscorpus bljd_DSN355_00001).
func TestCorpusHoles(t *testing.T) {
	var path string
	for _, p := range corpusPages(t) {
		if filepath.Base(p) == "bljd_DSN355_00001.jpg" {
			path = p
		}
	}
	if path == "" {
		t.Skip("bljd_DSN355_00001.jpg is not in the corpus")
	}
	img := decodeFile(t, path)
	edits, rep := Auto(img, 300, Options{})
	if rep.Holes != 2 || rep.Crop == image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()) || rep.Tone != Color {
		t.Errorf("edits %v, report %+v: want a crop, two holes filled, colour", edits, rep)
	}
}

func BenchmarkCorpusAuto(b *testing.B) {
	for _, path := range corpusPages(b) {
		img := decodeFile(b, path)
		b.Run(fmt.Sprintf("%s-%dx%d", filepath.Base(path), img.Bounds().Dx(), img.Bounds().Dy()), func(b *testing.B) {
			for b.Loop() {
				Auto(img, 300, Options{})
			}
		})
	}
}
