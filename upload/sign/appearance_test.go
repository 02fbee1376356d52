package sign_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/upload/sign"
)

var showBlocks = flag.String("show-blocks", "", "write the pages rendered by the signature block tests into this `folder`, to look at them")

const mm = 72 / 25.4

// letterPDF writes a demat PDF/A-2b of pages A4 pages at 150 dpi: the
// French and Arabic letterhead of testdata at the top, lines of "text"
// below it (grey bars) and a text layer, as the pipeline makes them.
// Each page is w × h millimetres when given, else A4.
func letterPDF(t testing.TB, pages int, w, h float64) []byte {
	t.Helper()
	f, err := os.Open(testenv.Testdata("letter-fr-ar.png"))
	if err != nil {
		t.Fatal(err)
	}
	head, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if w == 0 {
		w, h = 210, 297
	}
	const dpi = 150
	pw, ph := int(w/25.4*dpi), int(h/25.4*dpi)
	var b bytes.Buffer
	pwr, err := pdf.NewWriter(&b, pdf.Options{Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < pages; i++ {
		img := image.NewGray(image.Rect(0, 0, pw, ph))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		// The letterhead, at half its 300 dpi: 1120 × 538 pixels.
		hb := head.Bounds()
		for y := 0; y < hb.Dy()/2 && y < ph; y++ {
			for x := 0; x < hb.Dx()/2 && x < pw; x++ {
				r, _, _, _ := head.At(hb.Min.X+2*x, hb.Min.Y+2*y).RGBA()
				img.Pix[y*img.Stride+x] = uint8(r >> 8)
			}
		}
		res := &ocr.Result{Width: pw, Height: ph, DPI: dpi}
		for l, y := 0, 600; y < ph-250 && l < 20; l, y = l+1, y+40 {
			x1 := pw - 150 - (l%3)*120
			draw.Draw(img, image.Rect(120, y, x1, y+14), image.NewUniform(image.Black), image.Point{}, draw.Src)
			res.Lines = append(res.Lines, ocr.Line{Box: ocr.Box{X0: 120, Y0: y, X1: x1, Y1: y + 14}, Size: 14, Dir: ocr.DirLTR,
				Words: []ocr.Word{{Text: fmt.Sprintf("ligne%d", l+1), Box: ocr.Box{X0: 120, Y0: y, X1: 400, Y1: y + 14}, Conf: 90, Dir: ocr.DirLTR}}})
		}
		p := scan.NewPage(img, dpi, dpi, "t")
		if err := pwr.AddPage(&p, res); err != nil {
			t.Fatal(err)
		}
	}
	if err := pwr.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// render renders a page of the PDF at path in grey with poppler's
// pdftoppm, at dpi, and writes it to show-blocks when asked.
func render(t testing.TB, path string, page, dpi int) *image.Gray {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "page")
	testenv.Run(t, "pdftoppm", "-png", "-gray", "-r", fmt.Sprint(dpi), "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), "-singlefile", path, prefix)
	data := readFile(t, prefix+".png")
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		g = image.NewGray(img.Bounds())
		draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	}
	if *showBlocks != "" {
		name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + fmt.Sprintf("-%s-p%d.png", strings.TrimSuffix(filepath.Base(path), ".pdf"), page)
		if err := os.WriteFile(filepath.Join(*showBlocks, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// qrCode is a QR code ZBar found: its text, and which way up it is (UP,
// RIGHT, DOWN or LEFT).
type qrCode struct {
	Orientation string `xml:"orientation,attr"`
	Data        string `xml:"data"`
}

// zbarAll reads the QR codes of a rendered page with zbarimg (ZBar), a
// decoder independent of the encoder demat uses.
func zbarAll(t testing.TB, img *image.Gray) []qrCode {
	t.Helper()
	testenv.Require(t, "zbarimg")
	var b bytes.Buffer
	png.Encode(&b, img)
	p := write(t, "page.png", b.Bytes())
	out, err := exec.Command("zbarimg", "--quiet", "--xml", "-Sdisable", "-Sqrcode.enable", p).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code in the rendered page: %v", err)
	}
	var doc struct {
		Symbols []qrCode `xml:"source>index>symbol"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("zbarimg: %v\n%s", err, out)
	}
	return doc.Symbols
}

// zbar reads the one QR code of a rendered page: its text and which way
// up it is.
func zbar(t testing.TB, img *image.Gray) (text, orientation string) {
	t.Helper()
	codes := zbarAll(t, img)
	if len(codes) != 1 {
		t.Fatalf("zbarimg found %d QR codes, want 1: %+v", len(codes), codes)
	}
	return codes[0].Data, codes[0].Orientation
}

// diff compares two renderings of a page: the bounding box of the pixels
// that changed by more than a rendering's noise, how many of the pixels
// inside want are dark in after, and the largest change outside want
// (grown by two pixels for anti-aliasing at its edges).
func diff(before, after *image.Gray, want image.Rectangle) (changed image.Rectangle, dark, darkMax int, outside uint8) {
	grown := want.Inset(-2)
	for y := before.Rect.Min.Y; y < before.Rect.Max.Y; y++ {
		for x := before.Rect.Min.X; x < before.Rect.Max.X; x++ {
			a, b := before.GrayAt(x, y).Y, after.GrayAt(x, y).Y
			d := uint8(max(int(a)-int(b), int(b)-int(a)))
			pt := image.Pt(x, y)
			if d > 40 {
				changed = changed.Union(image.Rectangle{pt, pt.Add(image.Pt(1, 1))})
			}
			if pt.In(want) {
				darkMax++
				if b < 128 {
					dark++
				}
			} else if !pt.In(grown) && d > outside {
				outside = d
			}
		}
	}
	return changed, dark, darkMax, outside
}

// pixels gives a rectangle of the page as shown, in millimetres from its
// lower-left corner, in the pixels of a rendering at dpi of a page hmm
// millimetres high.
func pixels(r sign.RectMM, hmm float64, dpi int) image.Rectangle {
	k := float64(dpi) / 25.4
	return image.Rect(int(math.Round(r.X*k)), int(math.Round((hmm-r.Y-r.H)*k)), int(math.Round((r.X+r.W)*k)), int(math.Round((hmm-r.Y)*k)))
}

// near says whether two rectangles agree within tol pixels on each side.
func near(a, b image.Rectangle, tol int) bool {
	abs := func(v int) int { return max(v, -v) }
	return abs(a.Min.X-b.Min.X) <= tol && abs(a.Min.Y-b.Min.Y) <= tol && abs(a.Max.X-b.Max.X) <= tol && abs(a.Max.Y-b.Max.Y) <= tol
}

// TestVisibleSignature signs a demat PDF/A with a visible block on its
// last page, for a signer with a Latin name and one with an Arabic name,
// and checks it the way a reader would: pdfsig finds the signature valid
// over the whole document; the file is still PDF/A (qpdf, pdfcpu, the
// structural check); its text is unchanged (the block is drawn, it adds
// no text); the page rendered by poppler changed only inside the block's
// rectangle, which is well inked; ZBar reads the QR code back, and it
// holds the SHA-256 and length of the unsigned file and the registration
// number; Verify reports the block, on its page, as matching.
func TestVisibleSignature(t *testing.T) {
	p := testPKI(t)
	unsigned := letterPDF(t, 2, 0, 0)
	unsignedPath := write(t, "unsigned.pdf", unsigned)
	before := render(t, unsignedPath, 2, 100)
	text := testenv.PDFText(t, unsignedPath)
	sum := sha256.Sum256(unsigned)
	for _, tt := range []struct {
		name, cn, reason, location, reg string
	}{
		{"latin", "Jeanne Dupont", "Accusé de réception", "Rabat", "AJR/2026/A/000123"},
		{"arabic", "محمد العلوي", "مسجل تحت رقم 123", "الرباط", "ع/2026/45"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := p.key(t, "ecdsa", tt.cn)
			at := time.Now().Add(-time.Minute).Truncate(time.Second).In(time.FixedZone("", 3600))
			out := signPDF(t, unsigned, key, sign.Options{Reason: tt.reason, Location: tt.location, Time: at,
				Appearance: &sign.Appearance{Page: -1, Registration: tt.reg}})
			path := write(t, tt.name+".pdf", out)

			report := pdfsig(t, path)
			if v := pdfsigField(report, 1, "Signature Validation"); v != "Signature is Valid." {
				t.Errorf("pdfsig: %q\n%s", v, report)
			}
			if !strings.Contains(report, "- Total document signed") {
				t.Errorf("pdfsig does not say the total document is signed:\n%s", report)
			}
			pdftest.Validate(t, path, true)
			if got := testenv.PDFText(t, path); got != text {
				t.Errorf("the signed file's text differs from the unsigned one's:\n%q\nwant\n%q", got, text)
			}

			after := render(t, path, 2, 100)
			want := pixels(sign.RectMM{X: 210 - 10 - 80, Y: 10, W: 80, H: 30}, 297, 100)
			changed, dark, n, outside := diff(before, after, want)
			if !near(changed, want, 2) {
				t.Errorf("the page changed in %v, want the block's rectangle %v", changed, want)
			}
			if outside > 8 {
				t.Errorf("the page changed outside the block (by %d grey levels)", outside)
			}
			if frac := float64(dark) / float64(n); frac < 0.08 || frac > 0.6 {
				t.Errorf("%.0f %% of the block is dark: is it drawn?", 100*frac)
			}
			if first := render(t, path, 1, 100); !bytes.Equal(first.Pix, render(t, unsignedPath, 1, 100).Pix) {
				t.Error("page 1 changed, and the block is on page 2")
			}

			got, up := zbar(t, render(t, path, 2, 150))
			if up != "UP" {
				t.Errorf("the QR code is %s, not upright", up)
			}
			q, err := sign.ParseQR(got)
			if err != nil {
				t.Fatalf("the QR code read back %q: %v", got, err)
			}
			if q.SHA256 != sum || q.Length != int64(len(unsigned)) || q.Registration != tt.reg {
				t.Errorf("the QR code says %x, %d bytes, %q; want %x, %d, %q", q.SHA256, q.Length, q.Registration, sum, len(unsigned), tt.reg)
			}

			rep, err := sign.Verify(out, p.trust)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict != sign.Valid {
				t.Fatalf("Verify: %v %v %v", rep.Verdict, rep.Problems, rep.Signatures[0].Problems)
			}
			b := rep.Signatures[0].Block
			if b == nil || b.Page != 2 || !b.Matches || b.Text != got || b.QR != q {
				t.Errorf("Verify's block: %+v, want page 2, matching, with the QR code's text %q", b, got)
			}
		})
	}
}

// TestVisibleSignatureLanguages draws the block in French and Arabic and
// reads it as a person would: Tesseract finds the language's words in
// the rendered block; in French the QR code is on the left and the lines
// start at the text column's left edge, in Arabic the block is mirrored:
// QR code on the right, every line ending at the column's right edge.
func TestVisibleSignatureLanguages(t *testing.T) {
	testenv.Require(t, "tesseract")
	p := testPKI(t)
	unsigned := letterPDF(t, 1, 0, 0)
	for _, tt := range []struct {
		lang, tess, cn string
		words          []string
		rtl            bool
	}{
		{"fr", "fra", "Jeanne Dupont", []string{"Signé électroniquement par", "Date", "N° d'ordre", "AJR/2026/A/000123", "Motif", "Lieu"}, false},
		{"ar", "ara", "محمد العلوي", []string{"التاريخ", "التسجيل", "AJR/2026/A/000123", "المكان"}, true},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			labels, ok := sign.LabelsIn(tt.lang)
			if !ok {
				t.Fatalf("LabelsIn(%q): no labels", tt.lang)
			}
			key := p.key(t, "ecdsa", tt.cn)
			out := signPDF(t, unsigned, key, sign.Options{Reason: "Enregistrement", Location: "Rabat",
				Appearance: &sign.Appearance{Registration: "AJR/2026/A/000123", Labels: labels}})
			path := write(t, tt.lang+".pdf", out)
			const dpi = 300
			page := render(t, path, 1, dpi)
			box := pixels(sign.RectMM{X: 210 - 10 - 80, Y: 10, W: 80, H: 30}, 297, dpi).Inset(8) // inside the frame
			block := page.SubImage(box).(*image.Gray)

			// Columns holding ink: the QR code is a solid run of them at
			// one side, the text at the other.
			inked := make([]int, box.Dx())
			for y := box.Min.Y; y < box.Max.Y; y++ {
				for x := box.Min.X; x < box.Max.X; x++ {
					if page.GrayAt(x, y).Y < 128 {
						inked[x-box.Min.X]++
					}
				}
			}
			third := box.Dx() / 3
			left, right := 0, 0
			for i, n := range inked {
				if i < third {
					left += n
				} else if i >= box.Dx()-third {
					right += n
				}
			}
			if qrLeft := left > 2*right; qrLeft == tt.rtl {
				t.Errorf("ink %d in the left third, %d in the right: the QR code is on the wrong side for %s", left, right, tt.lang)
			}

			// Each text line's ink starts (or, right to left, ends) at the
			// same column: the lines are aligned on the reading side.
			qr := image.Rect(box.Min.X, box.Min.Y, box.Min.X+box.Dx()*45/100, box.Max.Y)
			if tt.rtl {
				qr = image.Rect(box.Max.X-box.Dx()*45/100, box.Min.Y, box.Max.X, box.Max.Y)
			}
			text := image.Rect(qr.Max.X, box.Min.Y, box.Max.X, box.Max.Y)
			if tt.rtl {
				text = image.Rect(box.Min.X, box.Min.Y, qr.Min.X, box.Max.Y)
			}
			var edges []int
			for _, l := range inkLines(page, text) {
				if l.Dy() < 12 {
					continue // a row of Arabic dots between two lines
				}
				if tt.rtl {
					edges = append(edges, l.Max.X)
				} else {
					edges = append(edges, l.Min.X)
				}
			}
			if len(edges) != 6 {
				t.Fatalf("found %d lines of text in the block, want 6 (signed by, name, date, number, reason, place)", len(edges))
			}
			// Glyphs' side bearings differ by up to a millimetre.
			if slices.Max(edges)-slices.Min(edges) > 14 {
				t.Errorf("the lines' %s edges are at %v: not aligned", map[bool]string{false: "left", true: "right"}[tt.rtl], edges)
			}

			var b bytes.Buffer
			png.Encode(&b, block)
			seen := testenv.Normalise(testenv.Run(t, "tesseract", write(t, "block.png", b.Bytes()), "-", "-l", tt.tess, "--psm", "6"))
			found := 0
			for _, w := range tt.words {
				if strings.Contains(seen, testenv.Normalise(w)) {
					found++
				}
			}
			if found < len(tt.words)-1 {
				t.Errorf("Tesseract (%s) read %d of the labels %q in the block:\n%s", tt.tess, found, tt.words, seen)
			}
		})
	}
	if _, ok := sign.LabelsIn("de"); ok {
		t.Error("LabelsIn(de) claims German labels")
	}
}

// inkLines gives the bounding boxes of the rows of ink in r of img,
// separated by blank rows.
func inkLines(img *image.Gray, r image.Rectangle) []image.Rectangle {
	var out []image.Rectangle
	var cur image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := image.Rectangle{}
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.GrayAt(x, y).Y < 160 {
				row = row.Union(image.Rect(x, y, x+1, y+1))
			}
		}
		switch {
		case !row.Empty():
			cur = cur.Union(row)
		case !cur.Empty():
			out = append(out, cur)
			cur = image.Rectangle{}
		}
	}
	if !cur.Empty() {
		out = append(out, cur)
	}
	return out
}

// TestVisibleSignaturePlaces puts the block at each kind of place and
// finds it there in poppler's rendering, readable by ZBar: an explicit
// rectangle, the top-left corner, a page too small for the default block
// (scaled down), and a page shown turned a quarter (/Rotate 90), where
// the block must sit at the corner as shown and read upright.
func TestVisibleSignaturePlaces(t *testing.T) {
	p := testPKI(t)
	key := p.key(t, "ecdsa", "Jeanne Dupont")
	rotated := func(t *testing.T) []byte {
		plain := write(t, "plain.pdf", letterPDF(t, 1, 0, 0))
		out := filepath.Join(t.TempDir(), "rotated.pdf")
		testenv.Run(t, "qpdf", "--rotate=+90:1", plain, out)
		return readFile(t, out)
	}
	for _, tt := range []struct {
		name  string
		input func(t *testing.T) []byte
		app   sign.Appearance
		w, h  float64     // the page as shown, mm
		want  sign.RectMM // where the block must be
	}{
		{name: "rect", input: func(t *testing.T) []byte { return letterPDF(t, 1, 0, 0) },
			app: sign.Appearance{Rect: sign.RectMM{X: 20, Y: 40, W: 100, H: 35}}, w: 210, h: 297, want: sign.RectMM{X: 20, Y: 40, W: 100, H: 35}},
		{name: "top-left", input: func(t *testing.T) []byte { return letterPDF(t, 1, 0, 0) },
			app: sign.Appearance{Corner: sign.TopLeft}, w: 210, h: 297, want: sign.RectMM{X: 10, Y: 297 - 10 - 30, W: 80, H: 30}},
		{name: "small-page", input: func(t *testing.T) []byte { return letterPDF(t, 1, 70, 100) },
			app: sign.Appearance{}, w: 70, h: 100, want: sign.RectMM{X: 70 - 7 - 56, Y: 7, W: 56, H: 21}},
		{name: "square", input: func(t *testing.T) []byte { return letterPDF(t, 1, 0, 0) },
			app: sign.Appearance{Rect: sign.RectMM{X: 150, Y: 15, W: 45, H: 45}}, w: 210, h: 297, want: sign.RectMM{X: 150, Y: 15, W: 45, H: 45}},
		{name: "rotated", input: rotated, app: sign.Appearance{}, w: 297, h: 210, want: sign.RectMM{X: 297 - 10 - 80, Y: 10, W: 80, H: 30}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			unsigned := tt.input(t)
			app := tt.app
			app.Registration = "AJR/2026/A/000125"
			out := signPDF(t, unsigned, key, sign.Options{Reason: "Copie conforme", Appearance: &app})
			path := write(t, tt.name+".pdf", out)
			before := render(t, write(t, "unsigned.pdf", unsigned), 1, 100)
			after := render(t, path, 1, 100)
			want := pixels(tt.want, tt.h, 100)
			changed, _, _, outside := diff(before, after, want)
			if !near(changed, want, 2) || outside > 8 {
				t.Errorf("the page changed in %v (and by %d outside), want the block's rectangle %v", changed, outside, want)
			}
			if v := pdfsigField(pdfsig(t, path), 1, "Signature Validation"); v != "Signature is Valid." {
				t.Errorf("pdfsig: %q", v)
			}
			pdftest.Validate(t, path, true)
			text, up := zbar(t, render(t, path, 1, 200))
			q, err := sign.ParseQR(text)
			if err != nil || q.SHA256 != sha256.Sum256(unsigned) {
				t.Errorf("the QR code read back: %+v, %v", q, err)
			}
			if up != "UP" {
				t.Errorf("the QR code is %s on the page as shown: the block does not read upright", up)
			}
		})
	}
}

// TestVisibleSignatureOverOthers adds visible signatures to signed
// documents: after an invisible one, after a certification (a visible
// approval signature adds an appearance and its image, which P 2
// permits), and after another visible one. Every earlier signature stays
// valid for pdfsig and Verify, and each block's QR code matches the
// document it was added to.
func TestVisibleSignatureOverOthers(t *testing.T) {
	p := testPKI(t)
	jeanne, karim := p.key(t, "ecdsa", "Jeanne Dupont"), p.key(t, "rsa", "Karim Benali")
	data := letterPDF(t, 1, 0, 0)
	for _, tt := range []struct {
		name  string
		first sign.Options
	}{
		{"after-invisible", sign.Options{Reason: "Vu"}},
		{"after-certification", sign.Options{Certify: true, Reason: "Copie conforme"}},
		{"after-visible", sign.Options{Appearance: &sign.Appearance{Corner: sign.BottomLeft, Registration: "AJR/2026/A/000126"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			once := signPDF(t, data, jeanne, tt.first)
			twice := signPDF(t, once, karim, sign.Options{Reason: "Approuvé", Appearance: &sign.Appearance{Registration: "AJR/2026/A/000126"}})
			path := write(t, "twice.pdf", twice)
			report := pdfsig(t, path)
			for n := 1; n <= 2; n++ {
				if v := pdfsigField(report, n, "Signature Validation"); v != "Signature is Valid." {
					t.Errorf("pdfsig: signature %d: %q\n%s", n, v, report)
				}
			}
			pdftest.Validate(t, path, true)
			rep, err := sign.Verify(twice, p.trust)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict != sign.Valid || len(rep.Signatures) != 2 {
				t.Fatalf("Verify: %v, %d signatures, %v; first %v", rep.Verdict, len(rep.Signatures), rep.Problems, rep.Signatures[0].Problems)
			}
			first, second := rep.Signatures[0], rep.Signatures[1]
			for _, want := range []string{"added XObject (Image)", "added XObject (Form)", "added signature field (Widget)"} {
				if !containsChange(first.Later, want) {
					t.Errorf("the changes after the first signature %v do not include %q", first.Later, want)
				}
			}
			if b := second.Block; b == nil || !b.Matches || b.QR.Length != int64(len(once)) || b.QR.SHA256 != sha256.Sum256(once) {
				t.Errorf("the second block: %+v, want one matching the once-signed file (%d bytes)", b, len(once))
			}
			if b := first.Block; (tt.first.Appearance != nil) != (b != nil) || b != nil && (!b.Matches || b.QR.Length != int64(len(data))) {
				t.Errorf("the first block: %+v", b)
			}
			if tt.first.Appearance != nil {
				// Both blocks are on page 1, in two corners.
				codes := zbarAll(t, render(t, path, 1, 150))
				var texts []string
				for _, c := range codes {
					texts = append(texts, c.Data)
				}
				slices.Sort(texts)
				want := []string{first.Block.Text, second.Block.Text}
				slices.Sort(want)
				if !slices.Equal(texts, want) {
					t.Errorf("ZBar read %q, want both blocks' QR codes %q", texts, want)
				}
			}
		})
	}
}

// TestVisibleSignatureRefused: a block that cannot be made is refused
// before anything is written, with a message that says why.
func TestVisibleSignatureRefused(t *testing.T) {
	p := testPKI(t)
	key := p.key(t, "ecdsa", "Jeanne Dupont")
	data := letterPDF(t, 2, 40, 20) // a label
	for _, tt := range []struct {
		name string
		app  sign.Appearance
		want string
	}{
		{"page-past-the-end", sign.Appearance{Page: 3}, "page 3, and the document has 2"},
		{"page-before-the-start", sign.Appearance{Page: -3}, "page -3, and the document has 2"},
		{"off-the-page", sign.Appearance{Rect: sign.RectMM{X: 200, Y: 10, W: 80, H: 30}}, "does not fit on the page"},
		{"too-small", sign.Appearance{Rect: sign.RectMM{X: 10, Y: 10, W: 15, H: 8}}, "at least 20 × 10 mm"},
		{"page-too-small", sign.Appearance{Page: 2}, "is too small for a signature block"},
		{"registration-too-long", sign.Appearance{Registration: strings.Repeat("رقم", 30)}, "too long for the QR code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			app := tt.app
			err := sign.Sign(t.Context(), bytes.NewReader(data), int64(len(data)), &out, key, sign.Options{Appearance: &app})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Sign: %v, want an error saying %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written", out.Len())
			}
		})
	}
}

func TestParsePlace(t *testing.T) {
	for _, tt := range []struct {
		in     string
		corner sign.Corner
		rect   sign.RectMM
		err    bool
	}{
		{in: "bottom-right", corner: sign.BottomRight},
		{in: "Top-Left", corner: sign.TopLeft},
		{in: "top-right", corner: sign.TopRight},
		{in: "bottom-left", corner: sign.BottomLeft},
		{in: "120,15,80,30mm", rect: sign.RectMM{X: 120, Y: 15, W: 80, H: 30}},
		{in: " 10.5, 20 ,60,25 ", rect: sign.RectMM{X: 10.5, Y: 20, W: 60, H: 25}},
		{in: "middle", err: true},
		{in: "1,2,3", err: true},
		{in: "1,2,0,4mm", err: true},
		{in: "-1,2,30,40", err: true},
		{in: "NaN,2,30,40", err: true},
	} {
		c, r, err := sign.ParsePlace(tt.in)
		if (err != nil) != tt.err || err == nil && (c != tt.corner || r != tt.rect) {
			t.Errorf("ParsePlace(%q) = %v, %v, %v", tt.in, c, r, err)
		}
	}
	if s := sign.TopRight.String(); s != "top-right" {
		t.Errorf("TopRight is %q", s)
	}
}

// TestQR writes and reads back the QR code's text, with registration
// numbers that need escaping.
func TestQR(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	for _, reg := range []string{"", "AJR/2026/A/000123", "ع/2026/45", "a;b=c%d (e) f\\g"} {
		q := sign.QR{SHA256: sum, Length: 12345, Registration: reg}
		s := q.String()
		if !strings.HasPrefix(s, "DEMAT1;sha256="+fmt.Sprintf("%x", sum)+";len=12345") || strings.ContainsAny(s[6:], " ()\\") || strings.Count(s, ";") != 2+min(1, len(reg)) {
			t.Errorf("%q: QR text %q", reg, s)
		}
		for _, r := range s {
			if r > 0x7e {
				t.Errorf("%q: QR text %q is not ASCII", reg, s)
				break
			}
		}
		back, err := sign.ParseQR(s)
		if err != nil || back != q {
			t.Errorf("ParseQR(%q) = %+v, %v; want %+v", s, back, err, q)
		}
	}
	// Later fields are ignored; what is missing or malformed is refused.
	if q, err := sign.ParseQR("DEMAT1;sha256=" + fmt.Sprintf("%x", sum) + ";len=7;future=1"); err != nil || q.Length != 7 {
		t.Errorf("a field from a later version: %+v, %v", q, err)
	}
	for _, bad := range []string{"", "DEMAT2;sha256=00;len=1", "DEMAT1;len=5", "DEMAT1;sha256=zz;len=5", "DEMAT1;sha256=" + fmt.Sprintf("%x", sum) + ";len=-1", "DEMAT1;sha256=" + fmt.Sprintf("%x", sum) + ";len=1;reg=%zz"} {
		if _, err := sign.ParseQR(bad); err == nil {
			t.Errorf("ParseQR(%q) accepted it", bad)
		}
	}
}

// FuzzParseQR: whatever a QR code holds, ParseQR does not panic, and what
// it accepts writes back to text it reads the same.
func FuzzParseQR(f *testing.F) {
	sum := sha256.Sum256([]byte("x"))
	f.Add(sign.QR{SHA256: sum, Length: 1, Registration: "ع/2026/45 (x)"}.String())
	f.Add("DEMAT1;sha256=00;len=1;reg=%")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := sign.ParseQR(s)
		if err != nil {
			return
		}
		back, err := sign.ParseQR(q.String())
		if err != nil || back != q {
			t.Fatalf("%q: read %+v, written %q, read back %+v, %v", s, q, q.String(), back, err)
		}
	})
}
