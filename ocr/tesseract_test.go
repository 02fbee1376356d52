package ocr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/testenv"
)

func TestMain(m *testing.M) {
	if err := EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func newEngine(t testing.TB, langs ...string) *Tesseract {
	t.Helper()
	e, err := NewTesseract(Options{Languages: langs, Workers: 2})
	if err != nil {
		t.Fatalf("%v (run make deps)", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Testdata(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecognizePhototest(t *testing.T) {
	e := newEngine(t, "eng")
	r, err := e.Recognize(context.Background(), Image{Data: fixture(t, "phototest.tif"), DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	if r.Width != 640 || r.Height != 480 || r.DPI != 200 {
		t.Errorf("result is %dx%d at %g dpi, want 640x480 at 200", r.Width, r.Height, r.DPI)
	}
	if cer := testenv.CER(r.Text(), string(fixture(t, "phototest.txt"))); cer > 0.01 {
		t.Errorf("CER %.3f > 1%%:\n%s", cer, r.Text())
	}
	first := r.Lines[0].Words[0]
	// "This" sits at the top left of the page.
	if first.Text != "This" || first.Box.X0 > 60 || first.Box.Y0 > 120 || first.Conf < 80 || first.Box.Dx() <= 0 {
		t.Errorf("first word = %+v", first)
	}
	if r.Lines[0].Size <= 0 || r.Lines[0].Offset >= 0 {
		t.Errorf("line metrics missing: %+v", r.Lines[0])
	}
}

func TestRecognizeFrenchAndArabic(t *testing.T) {
	e := newEngine(t, "fra", "ara")
	r, err := e.Recognize(context.Background(), Image{Data: fixture(t, "letter-fr-ar.png"), DPI: 300})
	if err != nil {
		t.Fatal(err)
	}
	text := r.Text()
	for _, w := range []string{"Royaume", "résidence", "accompagnée", "pièces", "المملكة", "المغربية", "شهادة", "السكنى"} {
		if !strings.Contains(text, w) {
			t.Errorf("%q not recognised in:\n%s", w, text)
		}
	}
	var rtl, ltr int
	for _, l := range r.Lines {
		switch l.Dir {
		case DirRTL:
			rtl++
		case DirLTR:
			ltr++
		}
	}
	if rtl < 3 || ltr < 3 {
		t.Errorf("%d rtl and %d ltr lines, want the Arabic lines rtl and the French ltr", rtl, ltr)
	}
	// Arabic words are in logical order: the first letter of "المملكة" is alef.
	for _, l := range r.Lines {
		for _, w := range l.Words {
			if strings.Contains(w.Text, "ملكة") && !strings.HasPrefix(w.Text, "ا") {
				t.Errorf("Arabic word stored in visual order: %q", w.Text)
			}
		}
	}
}

func TestRecognizeConcurrent(t *testing.T) {
	e := newEngine(t, "eng")
	img := Image{Data: fixture(t, "phototest.tif"), DPI: 200}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.Recognize(context.Background(), img)
			if err == nil && r.WordCount() < 50 {
				err = fmt.Errorf("only %d words", r.WordCount())
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestRecognizeCancelAndTimeout(t *testing.T) {
	e, err := NewTesseract(Options{Languages: []string{"eng"}, Workers: 1, PageTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	img := Image{Data: fixture(t, "phototest.tif"), DPI: 200}
	if _, err := e.Recognize(context.Background(), img); !errors.Is(err, ErrTimeout) {
		t.Errorf("1 ms budget: err = %v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Recognize(ctx, img); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	// The worker comes back once its page is done: the engine still works.
	e.opt.PageTimeout = time.Minute
	if r, err := e.Recognize(context.Background(), img); err != nil || r.WordCount() == 0 {
		t.Errorf("after timeout: %v, %v", r, err)
	}
}

func TestMissingLanguage(t *testing.T) {
	_, err := NewTesseract(Options{Languages: []string{"eng", "xyz"}})
	if err == nil || !strings.Contains(err.Error(), "xyz") || !strings.Contains(err.Error(), "tesseract-ocr-xyz") {
		t.Errorf("err = %v, want one naming the language and its package", err)
	}
}

func TestBadImage(t *testing.T) {
	e := newEngine(t, "eng")
	if _, err := e.Recognize(context.Background(), Image{Data: []byte("not an image"), DPI: 300}); err == nil {
		t.Error("garbage recognised without error")
	}
}

func BenchmarkParseHOCR(b *testing.B) {
	e := newEngine(b, "eng")
	_ = e
	c := <-e.pool
	c.c.SetImageFromBytes(fixture(b, "phototest.tif"))
	h, err := c.c.HOCRText()
	e.pool <- c
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(h)))
	for b.Loop() {
		if _, err := ParseHOCR([]byte(h)); err != nil {
			b.Fatal(err)
		}
	}
}
