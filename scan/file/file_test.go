package file_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/file"
)

func readAll(t *testing.T, inputs ...string) ([]scan.Page, error) {
	t.Helper()
	var pages []scan.Page
	err := file.Read(context.Background(), inputs, file.Options{}, func(p scan.Page) error {
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

// a4JPEG is an A4 page at 300 dpi as a JPEG without any resolution.
func a4JPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 2480, 3508))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(300, 300, 2000, 400), &image.Uniform{color.Black}, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngChunk(typ string, body []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(body)))
	b.WriteString(typ)
	b.Write(body)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), body...)))
	return b.Bytes()
}

// bombPNG claims w×h pixels in a valid header, with almost no data.
func bombPNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFormats(t *testing.T) {
	dir := t.TempDir()
	jpg := write(t, dir, "a4.jpg", a4JPEG(t))
	tests := []struct {
		name   string
		path   string
		pages  int
		dpi    []float64
		format []scan.Format // of each page's Original; 0 = none
		warn   bool
		w, h   float64 // first page size in points, 0 = not checked
	}{
		{"bi-level TIFF", testenv.Testdata("phototest.tif"), 1, []float64{200}, []scan.Format{0}, false, 230.4, 172.8},
		// Page 1 has several G4 strips (decoded), page 2 one (kept as is).
		{"multi-page G4 TIFF", testenv.Testdata("multipage-g4.tif"), 2, []float64{200, 300}, []scan.Format{0, scan.CCITTG4}, false, 0, 0},
		{"grey PNG with pHYs", testenv.Testdata("letter-fr-ar.png"), 1, []float64{300}, []scan.Format{scan.PNG}, false, 0, 0},
		{"JPEG without resolution", jpg, 1, []float64{300}, []scan.Format{scan.JPEG}, true, 595.2, 841.92},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := readAll(t, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != tc.pages {
				t.Fatalf("%d pages, want %d", len(pages), tc.pages)
			}
			for i, p := range pages {
				if err := p.Validate(); err != nil {
					t.Error(err)
				}
				if math.Abs(p.XDPI-tc.dpi[i]) > 0.5 || math.Abs(p.YDPI-tc.dpi[i]) > 0.5 {
					t.Errorf("page %d at %gx%g dpi, want %g", i+1, p.XDPI, p.YDPI, tc.dpi[i])
				}
				switch f := tc.format[i]; {
				case f == 0 && p.Original != nil:
					t.Errorf("page %d has an original %v", i+1, p.Original.Format)
				case f != 0 && (p.Original == nil || p.Original.Format != f):
					t.Errorf("page %d original = %+v, want format %v", i+1, p.Original, f)
				}
				if (len(p.Warnings) > 0) != tc.warn {
					t.Errorf("page %d warnings = %q", i+1, p.Warnings)
				}
			}
			if tc.w > 0 {
				w, h := pages[0].Size()
				if math.Abs(w-tc.w) > 1 || math.Abs(h-tc.h) > 1 {
					t.Errorf("page size %.1fx%.1f pt, want %.1fx%.1f ± 1", w, h, tc.w, tc.h)
				}
			}
		})
	}
}

func TestForcedDPI(t *testing.T) {
	var got []float64
	err := file.Read(context.Background(), []string{testenv.Testdata("multipage-g4.tif")}, file.Options{DPI: 150}, func(p scan.Page) error {
		got = append(got, p.XDPI, p.YDPI)
		return nil
	})
	if err != nil || len(got) != 4 || got[0] != 150 || got[3] != 150 {
		t.Errorf("forced 150 dpi: %v, %v", got, err)
	}
}

func TestImageOnlyPDF(t *testing.T) {
	testenv.Require(t, "pdftocairo")
	dir := t.TempDir()
	pages, err := readAll(t, testenv.Testdata("multipage-g4.tif"), filepath.Join(dir, "..", filepath.Base(dir), "a4.jpg"))
	if err == nil {
		t.Fatal("a missing file was read")
	}
	write(t, dir, "a4.jpg", a4JPEG(t))
	pages, err = readAll(t, testenv.Testdata("multipage-g4.tif"), filepath.Join(dir, "a4.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := pdf.NewWriter(&b, pdf.Options{Meta: pdf.Metadata{Title: "scan"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pages {
		if err := w.AddPage(&pages[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	in := write(t, dir, "scan.pdf", b.Bytes())
	back, err := readAll(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 {
		t.Fatalf("%d pages read back, want 3", len(back))
	}
	for i, p := range back {
		if p.Width != pages[i].Width || p.Height != pages[i].Height {
			t.Errorf("page %d is %dx%d, want %dx%d", i+1, p.Width, p.Height, pages[i].Width, pages[i].Height)
		}
		if _, err := p.Pixels(); err != nil {
			t.Errorf("page %d: %v", i+1, err)
		}
		if math.Abs(p.XDPI-pages[i].XDPI) > 0.5 {
			t.Errorf("page %d at %g dpi, want %g", i+1, p.XDPI, pages[i].XDPI)
		}
		if !strings.Contains(p.Source, "scan.pdf page") {
			t.Errorf("page %d source %q", i+1, p.Source)
		}
	}
	if back[2].Original == nil || back[2].Original.Format != scan.JPEG {
		t.Errorf("the JPEG page did not come back as the same JPEG: %+v", back[2].Original)
	}

	// A page turned with /Rotate is rendered (by pdftocairo), upright as a
	// viewer shows it.
	turned := filepath.Join(dir, "turned.pdf")
	if err := api.RotateFile(in, turned, 90, []string{"1"}, nil); err != nil {
		t.Fatal(err)
	}
	back, err = readAll(t, turned)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 || back[0].Width != 480 || back[0].Height != 640 || math.Abs(back[0].XDPI-200) > 1 {
		t.Errorf("rotated page 1 read as %dx%d at %g dpi, want 480x640 at 200", back[0].Width, back[0].Height, back[0].XDPI)
	}
	if _, err := back[0].Pixels(); err != nil {
		t.Error(err)
	}
}

func TestFolderNaturalOrder(t *testing.T) {
	dir := t.TempDir()
	tif, _ := os.ReadFile(testenv.Testdata("phototest.tif"))
	for _, n := range []string{"p10.tif", "p2.tif", "p1.TIF", "notes.txt", ".hidden.tif"} {
		write(t, dir, n, tif)
	}
	files, err := file.Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if got := strings.Join(names, " "); got != "p1.TIF p2.tif p10.tif" {
		t.Errorf("folder order = %s", got)
	}
	empty := t.TempDir()
	if _, err := file.Expand([]string{empty}); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty folder: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	jpg := a4JPEG(t)
	tests := []struct {
		name, file string
		data       []byte
		want       error  // nil: only the message is checked
		msg        string // part of the message
	}{
		{"zero bytes", "empty.png", []byte{}, nil, "empty file"},
		{"truncated JPEG", "cut.jpg", jpg[:len(jpg)/2], scan.ErrCorrupt, "scan or copy"},
		{"text named png", "notes.png", []byte("Dear Sir,\nplease find attached.\n"), scan.ErrNotImage, "not an image"},
		{"decompression bomb", "bomb.png", bombPNG(60000, 60000), scan.ErrTooLarge, "60000×60000"},
		{"truncated PNG", "cut.png", bombPNG(100, 100)[:20], scan.ErrCorrupt, ""},
		{"garbage TIFF", "bad.tif", []byte("II*\x00\xff\xff\xff\x7f"), scan.ErrCorrupt, ""},
		{"broken PDF", "bad.pdf", []byte("%PDF-1.4\nnothing else"), scan.ErrCorrupt, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, dir, tc.file, tc.data)
			pages, err := readAll(t, p)
			if err == nil {
				t.Fatalf("read %d pages without error", len(pages))
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, p) || !strings.Contains(msg, tc.msg) || strings.Contains(msg, "\n") {
				t.Errorf("message %q should be one line naming %s and saying %q", msg, p, tc.msg)
			}
		})
	}
	if _, err := readAll(t, filepath.Join(dir, "missing.png")); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing path: %v", err)
	}
}

// A page that cannot be read after good ones: the good ones are delivered
// first.
func TestGoodPagesBeforeError(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "bad.png", []byte("nope"))
	pages, err := readAll(t, testenv.Testdata("multipage-g4.tif"), bad)
	if err == nil || len(pages) != 2 {
		t.Errorf("%d pages, err %v: want the 2 good pages, then the error", len(pages), err)
	}
}

func FuzzReadFile(f *testing.F) {
	for _, n := range []string{"phototest.tif", "multipage-g4.tif", "letter-fr-ar.png"} {
		b, err := os.ReadFile(testenv.Testdata(n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(bombPNG(10, 10))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "in")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			done <- file.ReadFile(context.Background(), p, file.Options{MaxPixels: 4_000_000}, func(pg scan.Page) error {
				return pg.Validate()
			})
		}()
		select {
		case err := <-done:
			if err != nil && strings.Contains(err.Error(), "invalid page") {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadFile still running after 5 s on %d bytes starting %q", len(b), b[:min(len(b), 16)])
		}
	})
}

func BenchmarkReadFile(b *testing.B) {
	for _, name := range []string{"phototest.tif", "multipage-g4.tif", "letter-fr-ar.png"} {
		b.Run(name, func(b *testing.B) {
			path := testenv.Testdata(name)
			for b.Loop() {
				err := file.ReadFile(context.Background(), path, file.Options{}, func(p scan.Page) error {
					_, err := p.Pixels()
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
