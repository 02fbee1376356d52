package pdf_test

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
)

func TestMain(m *testing.M) { testenv.Main(m, ocr.EnsureThreadLimit) }

// colourLetter is the French-Arabic letter fixture on cream paper with a
// red stamp and a blue stroke, as a colour scanner gives it (a JPEG).
func colourLetter(t *testing.T) (scan.Page, image.Rectangle, image.Rectangle) {
	t.Helper()
	f, err := os.Open(testenv.Testdata("letter-fr-ar.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	rgba := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := uint32(color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y)
			// Print over cream paper.
			rgba.Set(x, y, color.RGBA{uint8(246 * v / 255), uint8(240 * v / 255), uint8(225 * v / 255), 255})
		}
	}
	stamp := image.Rect(b.Max.X-260, b.Max.Y-200, b.Max.X-120, b.Max.Y-60)
	draw.Draw(rgba, stamp, &image.Uniform{color.RGBA{200, 30, 40, 255}}, image.Point{}, draw.Src)
	stroke := image.Rect(100, b.Max.Y-90, 700, b.Max.Y-84)
	draw.Draw(rgba, stroke, &image.Uniform{color.RGBA{30, 50, 190, 255}}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	dec, _ := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	p := scan.NewPage(dec, 300, 300, "colour letter")
	p.Original = &scan.Encoded{Format: scan.JPEG, Data: buf.Bytes(), Width: b.Dx(), Height: b.Dy(), Components: 3, BitsPerComponent: 8}
	return p, stamp, stroke
}

// render draws page 1 of a PDF at 300 dpi.
func render(t *testing.T, path string) image.Image {
	t.Helper()
	png := filepath.Join(t.TempDir(), "r.png")
	testenv.Run(t, "pdftoppm", "-r", "300", "-singlefile", "-png", path, strings.TrimSuffix(png, ".png"))
	img, err := imaging.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func mean(img image.Image, r image.Rectangle) (float64, float64, float64) {
	var sr, sg, sb, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			sr, sg, sb, n = sr+float64(c.R), sg+float64(c.G), sb+float64(c.B), n+1
		}
	}
	return sr / n, sg / n, sb / n
}

// Each kind of page is stored its way, renders as it should, and the
// compressed kinds are much smaller than the colour JPEG.
func TestStorageByKind(t *testing.T) {
	page, stamp, stroke := colourLetter(t)
	jpegSize := len(page.Original.Data)
	for _, c := range []struct {
		name string
		rep  *clean.Report
		keep bool
		kind string
		// most is the largest share of the JPEG's bytes.
		most float64
	}{
		{"as it came", nil, false, "jpeg", 1.01},
		{"black and white", &clean.Report{Tone: clean.BiLevel}, false, "g4", 0.25},
		{"text in colour", &clean.Report{Tone: clean.Color}, false, "mrc", 0.4},
		{"kept in colour", &clean.Report{Tone: clean.Color}, true, "jpeg", 1.01},
		{"pictures", &clean.Report{Tone: clean.Color, Pictures: true}, false, "jpeg", 1.01},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := page
			img, err := pdf.EncodeImage(&p, pdf.ImageOptions{Report: c.rep, KeepColor: c.keep})
			if err != nil {
				t.Fatal(err)
			}
			if img.Kind != c.kind {
				t.Fatalf("stored as %s, want %s", img.Kind, c.kind)
			}
			if share := float64(img.Size()) / float64(jpegSize); share > c.most {
				t.Errorf("%d bytes, %.0f%% of the JPEG's %d", img.Size(), 100*share, jpegSize)
			}
			var b bytes.Buffer
			w, _ := pdf.NewWriter(&b, pdf.Options{})
			pw, ph := p.Size()
			if err := w.AddEncodedPage(img, pw, ph, nil); err != nil {
				t.Fatal(err)
			}
			w.Close()
			out := filepath.Join(t.TempDir(), "p.pdf")
			os.WriteFile(out, b.Bytes(), 0o644)
			pdftest.Validate(t, out, true)

			r := render(t, out)
			if r.Bounds().Dx() != p.Width || r.Bounds().Dy() != p.Height {
				t.Fatalf("rendered %v, want %dx%d", r.Bounds(), p.Width, p.Height)
			}
			sr, sg, sb := mean(r, stamp.Inset(10))
			br, bg, bb := mean(r, stroke.Inset(2))
			pr, pg, pb := mean(r, image.Rect(20, 20, 60, 60)) // paper
			switch c.kind {
			case "g4":
				// (The stamp, a solid square, comes out as its outline:
				// adaptive thresholds keep strokes, not solid areas.)
				if br > 40 || pr < 250 || pb < 250 {
					t.Errorf("black and white: stroke %.0f should be black, paper %.0f,%.0f,%.0f white", br, pr, pg, pb)
				}
			default:
				if sr < 150 || sg > 80 || sb > 80 {
					t.Errorf("stamp rendered %.0f,%.0f,%.0f, want red", sr, sg, sb)
				}
				if bb < 130 || br > 90 {
					t.Errorf("stroke rendered %.0f,%.0f,%.0f, want blue", br, bg, bb)
				}
				if pr < 230 || pb < 205 || pb > 240 {
					t.Errorf("paper rendered %.0f,%.0f,%.0f, want cream (246,240,225)", pr, pg, pb)
				}
			}
		})
	}
}

// The text of a page stored black and white or mixed reads as well as the
// colour original: OCR of the rendered PDF against OCR of the source.
func TestStorageKeepsText(t *testing.T) {
	page, _, _ := colourLetter(t)
	eng, err := ocr.NewTesseract(ocr.Options{Languages: []string{"fra", "ara"}, Workers: 1})
	if err != nil {
		t.Fatalf("%v (run make deps)", err)
	}
	defer eng.Close()
	read := func(img image.Image) string {
		res, err := eng.Recognize(t.Context(), ocr.Image{Data: ocr.EncodePNM(img), DPI: 300})
		if err != nil {
			t.Fatal(err)
		}
		return res.Text()
	}
	want := read(page.Image)
	for _, rep := range []*clean.Report{{Tone: clean.BiLevel}, {Tone: clean.Color}} {
		p := page
		img, err := pdf.EncodeImage(&p, pdf.ImageOptions{Report: rep})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		w, _ := pdf.NewWriter(&b, pdf.Options{})
		pw, ph := p.Size()
		w.AddEncodedPage(img, pw, ph, nil)
		w.Close()
		out := filepath.Join(t.TempDir(), "p.pdf")
		os.WriteFile(out, b.Bytes(), 0o644)
		got := read(render(t, out))
		if cer := testenv.CER(got, want); cer > 0.02 {
			t.Errorf("%s: text read from the stored page differs from the original's by %.1f%% of characters", img.Kind, 100*cer)
		}
	}
}
