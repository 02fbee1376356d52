package ccitt

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/ccitt"
	_ "golang.org/x/image/tiff"

	"github.com/demat-app/demat/internal/testenv"
)

// bitmap is a packed bi-level test image, 1 bit white. Its rows are three
// bytes wider than they need be and everything outside the pixels is
// garbage, so every test also checks that the encoder ignores the pad
// bits and bytes.
type bitmap struct {
	w, h, stride int
	bits         []byte
}

func newBitmap(w, h int) *bitmap {
	b := &bitmap{w: w, h: h, stride: (w+7)/8 + 3}
	b.bits = bytes.Repeat([]byte{0x5a}, b.stride*h)
	for y := range h {
		for x := range w {
			b.set(x, y, false)
		}
	}
	return b
}

func (b *bitmap) set(x, y int, black bool) {
	i, m := y*b.stride+x/8, byte(0x80>>(x%8))
	if black {
		b.bits[i] &^= m
	} else {
		b.bits[i] |= m
	}
}

func (b *bitmap) black(x, y int) bool {
	return b.bits[y*b.stride+x/8]&(0x80>>(x%8)) == 0
}

func (b *bitmap) encode() []byte { return EncodeG4(b.bits, b.w, b.h, b.stride) }

// gray draws b as a grey image, black 0 and white 255.
func (b *bitmap) gray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, b.w, b.h))
	for y := range b.h {
		for x := range b.w {
			if !b.black(x, y) {
				g.Pix[y*g.Stride+x] = 0xff
			}
		}
	}
	return g
}

// fromGray thresholds g at 128 as EncodeGray does.
func fromGray(g *image.Gray) *bitmap {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	b := newBitmap(w, h)
	for y := range h {
		for x := range w {
			b.set(x, y, g.GrayAt(g.Rect.Min.X+x, g.Rect.Min.Y+y).Y < 128)
		}
	}
	return b
}

func loadFixture(t testing.TB, name string) *bitmap {
	t.Helper()
	f, err := os.Open(testenv.Testdata(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return fromGray(g)
}

// runs builds a row of width w from run lengths, white first; the rest of
// the row takes the colour after the last run.
func runs(b *bitmap, y int, lens ...int) {
	x, black := 0, false
	for _, n := range lens {
		for range n {
			b.set(x, y, black)
			x++
		}
		black = !black
	}
	for ; x < b.w; x++ {
		b.set(x, y, black)
	}
}

// longRuns exercises the make-up codes: runs of each length in both
// colours, after a white line so that they are coded in horizontal mode
// (nothing on the reference line to code them against).
func longRuns() *bitmap {
	const w = 6000
	lens := []int{1, 63, 64, 65, 127, 128, 1727, 1728, 1729, 1791, 1792, 1793,
		2559, 2560, 2561, 2623, 2624, 2625, 5000, 5119, 5120, 5184, 5999}
	var rows [][]int
	for _, n := range lens {
		rows = append(rows, []int{n}, []int{0, n}, []int{0, 3, n}, []int{3, n})
		if 2*n <= w {
			rows = append(rows, []int{n, n})
		}
	}
	rows = append(rows, []int{0}, []int{w})
	b := newBitmap(w, 2*len(rows))
	for i, r := range rows {
		runs(b, 2*i, w) // white
		runs(b, 2*i+1, r...)
	}
	return b
}

type testImage struct {
	name string
	b    *bitmap
}

// testImages are the round trip's cases: edge cases of size and colour,
// patterns that force each coding mode, and real pages.
func testImages(t testing.TB) []testImage {
	r := rand.New(rand.NewPCG(1, 2))
	var imgs []testImage
	add := func(name string, b *bitmap) { imgs = append(imgs, testImage{name, b}) }
	fill := func(w, h int, black func(x, y int) bool) *bitmap {
		b := newBitmap(w, h)
		for y := range h {
			for x := range w {
				b.set(x, y, black(x, y))
			}
		}
		return b
	}

	add("white 100x50", newBitmap(100, 50))
	add("black 100x50", fill(100, 50, func(x, y int) bool { return true }))
	add("white 1x1", newBitmap(1, 1))
	add("black 1x1", fill(1, 1, func(x, y int) bool { return true }))
	add("column 1x9", fill(1, 9, func(x, y int) bool { return y%3 != 0 }))
	for w := 1; w <= 70; w++ {
		add(fmt.Sprintf("noise %dx20", w), fill(w, 20, func(x, y int) bool { return r.IntN(2) == 0 }))
		add(fmt.Sprintf("sparse noise %dx20", w), fill(w, 20, func(x, y int) bool { return r.IntN(12) == 0 }))
		// Rectangles overlap into blobs whose edges move a little from
		// row to row: the vertical and pass modes.
		b := newBitmap(w, 30)
		for range 6 {
			x0, y0 := r.IntN(w), r.IntN(30)
			x1, y1 := min(w, x0+1+r.IntN(12)), min(30, y0+1+r.IntN(12))
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					b.set(x, y, true)
				}
			}
		}
		add(fmt.Sprintf("blobs %dx30", w), b)
	}
	add("checkerboard 1px 64x64", fill(64, 64, func(x, y int) bool { return (x+y)%2 == 0 }))
	add("checkerboard 3px 50x41", fill(50, 41, func(x, y int) bool { return (x/3+y/3)%2 == 1 }))
	add("vertical lines 101x30", fill(101, 30, func(x, y int) bool { return x%5 == 2 }))
	add("edge lines 80x10", fill(80, 10, func(x, y int) bool { return x == 0 || x == 79 }))
	add("horizontal lines 77x40", fill(77, 40, func(x, y int) bool { return y%4 == 1 }))
	// Slanted bars: each slope from −5 to 5 pixels a row, so a1 − b1
	// takes every vertical mode and the values just past them.
	for s := -5; s <= 5; s++ {
		add(fmt.Sprintf("slope %d", s), fill(120, 20, func(x, y int) bool {
			x0 := 50 + s*y
			return x >= x0 && x < x0+8
		}))
	}
	add("long runs 6000 wide", longRuns())
	add("phototest.tif", loadFixture(t, "phototest.tif"))
	add("letter-fr-ar.png", loadFixture(t, "letter-fr-ar.png"))
	return imgs
}

// decode decodes T.6 data with golang.org/x/image/ccitt, whose rows come
// out packed with 1 meaning white, as ours (no Invert), and byte-aligned.
// h < 0 lets the decoder find the height from the end-of-block code.
func decode(data []byte, w, h int) ([]byte, error) {
	return io.ReadAll(ccitt.NewReader(bytes.NewReader(data), ccitt.MSB, ccitt.Group4, w, h, nil))
}

// compare checks that got, packed rows (w+7)/8 bytes apart, holds b's
// pixels, and reports the first pixel that differs.
func compare(t testing.TB, b *bitmap, got []byte) {
	t.Helper()
	n := (b.w + 7) / 8
	if len(got) != n*b.h {
		t.Fatalf("decoded %d bytes, want %d rows of %d", len(got), b.h, n)
	}
	for y := range b.h {
		for x := range b.w {
			if black := got[y*n+x/8]&(0x80>>(x%8)) == 0; black != b.black(x, y) {
				t.Fatalf("%dx%d: pixel (%d,%d) black=%v, want %v", b.w, b.h, x, y, black, b.black(x, y))
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range testImages(t) {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.b.encode()
			got, err := decode(data, tc.b.w, tc.b.h)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			compare(t, tc.b, got)
			// x/image/ccitt forgives a missing end-of-block when it knows
			// the height; without it, it has to find the EOFB after the
			// last row.
			got, err = decode(data, tc.b.w, ccitt.AutoDetectHeight)
			if err != nil {
				t.Fatalf("decode without height: %v", err)
			}
			compare(t, tc.b, got)
			checkEOFB(t, data)
		})
	}
}

// checkEOFB checks that data ends with the end-of-facsimile-block (two
// EOL codes, 000000000001 twice) followed by fewer than 8 zero bits.
func checkEOFB(t testing.TB, data []byte) {
	t.Helper()
	if len(data) < 3 || data[len(data)-1] == 0 {
		t.Fatalf("data ends % x: no EOFB in its last byte", data[max(0, len(data)-4):])
	}
	var tail uint64
	for _, c := range data[max(0, len(data)-5):] {
		tail = tail<<8 | uint64(c)
	}
	for tail&1 == 0 {
		tail >>= 1
	}
	if tail&(1<<24-1) != 0b000000000001_000000000001 {
		t.Fatalf("data ends % x, want the EOFB then zero bits", data[max(0, len(data)-5):])
	}
}

// bitString packs a string of 0 and 1 (other characters ignored), padding
// the last byte with zeros.
func bitString(s string) []byte {
	var out []byte
	n := 0
	for _, c := range s {
		if c != '0' && c != '1' {
			continue
		}
		if n%8 == 0 {
			out = append(out, 0)
		}
		if c == '1' {
			out[n/8] |= 0x80 >> (n % 8)
		}
		n++
	}
	return out
}

// TestKnownCodes checks the exact bits of small images, worked out by hand
// from T.6's flow chart (Figure 7) and T.4's code tables, independently of
// any decoder.
func TestKnownCodes(t *testing.T) {
	const eofb = " 000000000001 000000000001"
	tests := []struct {
		name string
		w    int
		rows []string // '#' black, '.' white
		want string
	}{
		{"white row", 8, []string{"........"}, "1 (V0)" + eofb},
		{"black row", 8, []string{"########"},
			"001 (H) 00110101 (white 0) 000101 (black 8)" + eofb},
		{"run after white line", 8, []string{"........", "...##..."},
			"1 (V0) | 001 (H) 1000 (white 3) 11 (black 2) 1 (V0)" + eofb},
		{"pass", 8, []string{"..##....", "........"},
			"001 (H) 0111 (white 2) 11 (black 2) 1 (V0) | 0001 (P) 1 (V0)" + eofb},
		{"vertical right and left", 8, []string{"..####..", "...##..."},
			"001 (H) 0111 (white 2) 011 (black 4) 1 (V0) | 011 (VR1) 010 (VL1) 1 (V0)" + eofb},
		{"vertical 2 and 3", 12, []string{"....####....", "..#########."},
			"001 (H) 1011 (white 4) 011 (black 4) 1 (V0) | 000010 (VL2) 0000011 (VR3) 1 (V0)" + eofb},
		{"make-up 64 then terminating 0", 70, []string{strings.Repeat(".", 64) + "######"},
			"001 (H) 11011 (white 64) 00110101 (white 0) 0010 (black 6)" + eofb},
		{"make-up 2560 twice then terminating 0", 5120, []string{strings.Repeat("#", 5120)},
			"001 (H) 00110101 (white 0) 000000011111 000000011111 (black 2560 2560) 0000110111 (black 0)" + eofb},
		{"make-up 2560 twice then 64 and 16", 5200, []string{strings.Repeat("#", 5200)},
			"001 (H) 00110101 (white 0) 000000011111 000000011111 (black 2560 2560) 0000001111 (black 64) 0000010111 (black 16)" + eofb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBitmap(tt.w, len(tt.rows))
			for y, row := range tt.rows {
				for x, c := range row {
					b.set(x, y, c == '#')
				}
			}
			// Drop the comments in parentheses before reading the bits.
			var s strings.Builder
			depth := 0
			for _, c := range tt.want {
				switch {
				case c == '(':
					depth++
				case c == ')':
					depth--
				case depth == 0:
					s.WriteRune(c)
				}
			}
			want := bitString(s.String())
			if got := b.encode(); !bytes.Equal(got, want) {
				t.Errorf("got  %08b\nwant %08b", got, want)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	want := bitString("000000000001 000000000001")
	for _, size := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {-1, 3}} {
		if got := EncodeG4(nil, size[0], size[1], 1); !bytes.Equal(got, want) {
			t.Errorf("%dx%d: got % x, want % x", size[0], size[1], got, want)
		}
	}
	if got := EncodeGray(image.NewGray(image.Rect(3, 3, 3, 9))); !bytes.Equal(got, want) {
		t.Errorf("empty grey image: got % x, want % x", got, want)
	}
}

func TestShortInputPanics(t *testing.T) {
	tests := []struct {
		name            string
		n, w, h, stride int
	}{
		{"stride narrower than a row", 100, 17, 2, 2},
		{"last row cut", 5, 17, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			EncodeG4(make([]byte, tt.n), tt.w, tt.h, tt.stride)
		})
	}
}

// The last row may end where its pixels do, without the stride's padding.
func TestTightLastRow(t *testing.T) {
	b := newBitmap(13, 3)
	runs(b, 2, 4, 5)
	bits := b.bits[:2*b.stride+2]
	got, err := decode(EncodeG4(bits, b.w, b.h, b.stride), b.w, b.h)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, b, got)
}

// EncodeGray codes the same as EncodeG4 on the thresholded image, for
// grey values either side of the threshold and for a sub-image whose
// bounds do not start at the origin.
func TestEncodeGray(t *testing.T) {
	for _, tc := range testImages(t) {
		if tc.b.w*tc.b.h > 1e6 {
			continue // the fixtures add nothing the small ones do not test
		}
		t.Run(tc.name, func(t *testing.T) {
			g := tc.b.gray()
			for i, v := range g.Pix {
				if v == 0 {
					g.Pix[i] = 127
				} else {
					g.Pix[i] = 128
				}
			}
			if got, want := EncodeGray(g), tc.b.encode(); !bytes.Equal(got, want) {
				t.Fatalf("EncodeGray differs from EncodeG4:\n got % x\nwant % x", got, want)
			}
		})
	}
	t.Run("sub-image", func(t *testing.T) {
		page := loadFixture(t, "phototest.tif").gray()
		sub := page.SubImage(image.Rect(101, 37, 420, 300)).(*image.Gray)
		want := fromGray(sub)
		got, err := decode(EncodeGray(sub), want.w, want.h)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, want, got)
	})
}

// TestPdfimages has poppler, a decoder written apart from x/image's,
// read the data as a PDF reader will: an image XObject with
// /CCITTFaxDecode and << /K -1 /Columns w /Rows h >>, all else default.
func TestPdfimages(t *testing.T) {
	if _, err := exec.LookPath("pdfimages"); err != nil {
		t.Fatal("pdfimages not found: run make deps")
	}
	want := map[string]bool{"letter-fr-ar.png": true, "phototest.tif": true, "long runs 6000 wide": true,
		"checkerboard 1px 64x64": true, "noise 37x20": true, "blobs 70x30": true, "slope -4": true, "black 1x1": true}
	for _, tc := range testImages(t) {
		if !want[tc.name] {
			continue
		}
		delete(want, tc.name)
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pdf := filepath.Join(dir, "page.pdf")
			if err := os.WriteFile(pdf, onePagePDF(tc.b.encode(), tc.b.w, tc.b.h), 0o644); err != nil {
				t.Fatal(err)
			}
			testenv.Run(t, "pdfimages", "-png", pdf, filepath.Join(dir, "img"))
			f, err := os.Open(filepath.Join(dir, "img-000.png"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, _, err := image.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds(); got != image.Rect(0, 0, tc.b.w, tc.b.h) {
				t.Fatalf("pdfimages gave a %v image, want %dx%d", got, tc.b.w, tc.b.h)
			}
			for y := range tc.b.h {
				for x := range tc.b.w {
					black := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128
					if black != tc.b.black(x, y) {
						t.Fatalf("pixel (%d,%d) black=%v, want %v", x, y, black, tc.b.black(x, y))
					}
				}
			}
		})
	}
	if len(want) > 0 {
		t.Fatalf("no test image named %v", want)
	}
}

// onePagePDF writes a PDF whose one page is the w×h G4 image data.
func onePagePDF(data []byte, w, h int) []byte {
	var buf bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s\n", len(offsets), body)
		if stream != nil {
			buf.WriteString("stream\n")
			buf.Write(stream)
			buf.WriteString("\nendstream\n")
		}
		buf.WriteString("endobj\n")
	}
	content := fmt.Sprintf("q %d 0 0 %d 0 0 cm /Im0 Do Q", w, h)
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>", w, h), nil)
	obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns %d /Rows %d >> /Length %d >>", w, h, w, h, len(data)), data)
	obj(fmt.Sprintf("<< /Length %d >>", len(content)), []byte(content))
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return buf.Bytes()
}

// a4Page is an A4 page at 300 dpi tiled from the letter fixture: real
// print, with its margins and blank lines.
func a4Page(tb testing.TB) *bitmap {
	letter := loadFixture(tb, "letter-fr-ar.png")
	b := newBitmap(2480, 3508)
	for y := range b.h {
		for x := range b.w {
			b.set(x, y, letter.black(x%letter.w, y%letter.h))
		}
	}
	return b
}

func BenchmarkEncodeG4A4(b *testing.B) {
	page := a4Page(b)
	var out []byte
	b.ResetTimer()
	for b.Loop() {
		out = page.encode()
	}
	packed := (page.w + 7) / 8 * page.h
	b.ReportMetric(float64(len(out)), "bytes")
	b.ReportMetric(float64(packed)/float64(len(out)), "ratio")
}

func BenchmarkEncodeGrayA4(b *testing.B) {
	g := a4Page(b).gray()
	for b.Loop() {
		EncodeGray(g)
	}
}
