package ocr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/png"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/tiff"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/scan/clean"
)

func newOSD(t testing.TB) *OSD {
	t.Helper()
	o, err := NewOSD(2)
	if err != nil {
		t.Fatalf("%v (run make deps)", err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func decodeFixture(t testing.TB, name string) *image.Gray {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(fixture(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// turnedCW gives img turned k quarter turns clockwise (imaging turns the
// other way).
func turnedCW(img image.Image, k int) image.Image {
	switch k & 3 {
	case 1:
		return imaging.Rotate270(img)
	case 2:
		return imaging.Rotate180(img)
	case 3:
		return imaging.Rotate90(img)
	}
	return img
}

func pnm(img image.Image) []byte {
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return EncodePNM(g)
}

// The pages turned four ways: Detect must say how to turn them back.
func TestOrientation(t *testing.T) {
	o := newOSD(t)
	arabic := imaging.Crop(decodeFixture(t, "letter-fr-ar.png"), image.Rect(0, 576, 2240, 1076))
	for _, c := range []struct {
		name    string
		img     image.Image
		dpi     float64
		minConf float64
		script  string
	}{
		{"phototest", decodeFixture(t, "phototest.tif"), 200, 2, "Latin"},
		{"French and Arabic letter", decodeFixture(t, "letter-fr-ar.png"), 300, 2, ""},
		// Four short lines of Arabic: too few characters for
		// Tesseract's default, read with the smaller sample.
		{"Arabic alone", arabic, 300, 0.5, "Arabic"},
	} {
		for k := 0; k < 4; k++ {
			t.Run(fmt.Sprintf("%s/%d°", c.name, 90*k), func(t *testing.T) {
				got, err := o.Detect(context.Background(), Image{Data: pnm(turnedCW(c.img, k)), DPI: c.dpi})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("turns %d, confidence %.2f, script %s (%.1f)", got.Turns, got.Confidence, got.Script, got.ScriptConfidence)
				if want := (4 - k) % 4; got.Turns != want {
					t.Errorf("turns %d, want %d", got.Turns, want)
				}
				if got.Confidence < c.minConf {
					t.Errorf("confidence %.2f, want %.1f or more", got.Confidence, c.minConf)
				}
				if c.script != "" && got.Script != c.script {
					t.Errorf("script %q, want %q", got.Script, c.script)
				}
			})
		}
	}
}

func TestOrientationNoText(t *testing.T) {
	o := newOSD(t)
	blank := image.NewGray(image.Rect(0, 0, 1654, 2339))
	for i := range blank.Pix {
		blank.Pix[i] = 250
	}
	got, err := o.Detect(context.Background(), Image{Data: EncodePNM(blank), DPI: 200})
	if err != nil || got.Confidence != 0 || got.Turns != 0 {
		t.Errorf("blank page: %+v, %v; want no orientation and no error", got, err)
	}
	if _, err := o.Detect(context.Background(), Image{Data: []byte("not an image")}); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := o.Detect(context.Background(), Image{}); err == nil {
		t.Error("empty image accepted")
	}
}

func TestOrientationCancel(t *testing.T) {
	o := newOSD(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	page := Image{Data: fixture(t, "letter-fr-ar.png"), DPI: 300}
	if _, err := o.Detect(ctx, page); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// The detector still works after a cancelled call.
	if got, err := o.Detect(context.Background(), page); err != nil || got.Turns != 0 || got.Confidence < 2 {
		t.Errorf("after a cancel: %+v, %v", got, err)
	}
	o.Close()
	if _, err := o.Detect(context.Background(), page); err == nil {
		t.Error("Detect after Close succeeded")
	}
}

func TestOrientationConcurrent(t *testing.T) {
	o := newOSD(t)
	g := decodeFixture(t, "phototest.tif")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			got, err := o.Detect(context.Background(), Image{Data: pnm(turnedCW(g, k)), DPI: 200})
			if err == nil && got.Turns != (4-k%4)%4 {
				err = fmt.Errorf("page turned %d°: turns %d", 90*(k%4), got.Turns)
			}
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDetectOrientation(t *testing.T) {
	got, err := DetectOrientation(context.Background(), Image{Data: pnm(turnedCW(decodeFixture(t, "phototest.tif"), 2)), DPI: 200})
	if err != nil {
		t.Fatalf("%v (run make deps)", err)
	}
	if got.Turns != 2 {
		t.Errorf("upside-down page: %+v", got)
	}
}

// osdOrient is how the pipeline hands OSD to clean.Auto.
func osdOrient(ctx context.Context, o *OSD) func(image.Image, float64) (int, float64, error) {
	return func(img image.Image, dpi float64) (int, float64, error) {
		r, err := o.Detect(ctx, Image{Data: pnm(img), DPI: dpi})
		return r.Turns, r.Confidence, err
	}
}

// TestOrientationAuto runs the whole orientation step: OSD inside
// clean.Auto, held to the direction of the lines, on the bilingual letter
// turned every way and tilted.
func TestOrientationAuto(t *testing.T) {
	o := newOSD(t)
	lett := decodeFixture(t, "letter-fr-ar.png")
	for k := 0; k < 4; k++ {
		for _, tilt := range []float64{0, -3} {
			t.Run(fmt.Sprintf("%d°%+g°", 90*k, tilt), func(t *testing.T) {
				img := turnedCW(lett, k)
				if tilt != 0 {
					img = imaging.Rotate(img, tilt, image.White)
				}
				edits, rep := clean.Auto(img, 300, clean.Options{Orient: osdOrient(context.Background(), o)})
				if rep.Turns != (4-k)%4 || rep.Sideways {
					t.Fatalf("edits %v, report %+v: want %d turns", edits, rep, (4-k)%4)
				}
				out := clean.Render(img, edits)
				if s, ok := clean.Skew(out, 300); !ok || s > 0.1 || s < -0.1 {
					t.Errorf("cleaned page tilted %.2f°", s)
				}
				if side, ok := clean.Sideways(out, 300); !ok || side {
					t.Error("cleaned page lies on its side")
				}
			})
		}
	}
}

// a4Page is an A4 page at 200 dpi: phototest at the top, the letter
// reduced to 200 dpi below it.
func a4Page(t testing.TB) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 1654, 2339))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	p := decodeFixture(t, "phototest.tif")
	draw.Draw(g, p.Rect.Add(image.Pt(160, 200)), p, image.Point{}, draw.Src)
	l := imaging.Resize(decodeFixture(t, "letter-fr-ar.png"), 1493, 0, imaging.Lanczos)
	draw.Draw(g, l.Bounds().Add(image.Pt(80, 900)), l, image.Point{}, draw.Src)
	return g
}

// words splits text into a multiset of words.
func words(s string) map[string]int {
	m := map[string]int{}
	for _, w := range strings.Fields(testenv.Normalise(s)) {
		m[w]++
	}
	return m
}

// count gives the number of words in a multiset.
func count(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// recall is the share of want's words found in got.
func recall(got, want map[string]int) float64 {
	found, total := 0, 0
	for w, n := range want {
		total += n
		found += min(n, got[w])
	}
	return float64(found) / float64(total)
}

// letterText is the text of letter-fr-ar.png, as rendered.
const letterText = `Royaume du Maroc
Objet : demande de certificat de résidence
Monsieur le Directeur, j'ai l'honneur de vous
adresser ma demande accompagnée des pièces.
المملكة المغربية
الموضوع: طلب شهادة السكنى
السيد المدير، يشرفني أن أرفع إليكم طلبي
مرفقا بالوثائق المطلوبة.`

// TestPhotoRecall photographs a page in perspective under uneven light,
// lets clean.Auto find and flatten the sheet, and reads both: the share of
// the page's true words read on the corrected photo must be within 3
// points of the share read on the page itself.
func TestPhotoRecall(t *testing.T) {
	e := newEngine(t, "eng", "fra", "ara")
	page := a4Page(t)
	truth := words(string(fixture(t, "phototest.txt")) + "\n" + letterText)
	read := func(img image.Image) map[string]int {
		t.Helper()
		r, err := e.Recognize(context.Background(), Image{Data: EncodePNM(toGray(img)), DPI: 200})
		if err != nil {
			t.Fatal(err)
		}
		return words(r.Text())
	}
	flat := recall(read(page), truth)
	for i, c := range []struct{ tiltX, tiltY, roll float64 }{{18, -8, 3}, {-15, 10, -5}} {
		t.Run(fmt.Sprintf("tilt %g,%g roll %g", c.tiltX, c.tiltY, c.roll), func(t *testing.T) {
			photo := testenv.Photograph(page, testenv.Camera(c.tiltX, c.tiltY, c.roll, 2400, 3200), 2400, 3200, uint64(i+1))
			edits, rep := clean.Auto(photo, 0, clean.Options{Photo: true, PhotoDPI: 200})
			if !rep.Photo {
				t.Fatalf("no sheet found: %+v", rep)
			}
			got := read(clean.Render(photo, edits))
			r := recall(got, truth)
			t.Logf("word recall: photo %.3f, page %.3f (%d words)", r, flat, count(truth))
			if r < flat-0.03 {
				t.Errorf("word recall on the photo %.3f, on the page %.3f: want within 3 points", r, flat)
				for w, n := range truth {
					if got[w] < n {
						t.Logf("missing %q", w)
					}
				}
			}
		})
	}
}

func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}
