package escl

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/escl/escltest"
)

func TestInspect(t *testing.T) {
	jpegColor := escltest.RenderPage("image/jpeg", 200, 280, 100, "RGB24", "p1")
	jpegGray := escltest.RenderPage("image/jpeg", 200, 280, 100, "Grayscale8", "p1")
	pngBW := escltest.RenderPage("image/png", 200, 280, 100, "BlackAndWhite1", "p1")
	pngColor := escltest.RenderPage("image/png", 200, 280, 150, "RGB24", "p1")
	for _, tc := range []struct {
		name       string
		data       []byte
		want       pageInfo
		truncated  bool
		wantErr    string
		decodeSize bool
	}{
		{"colour JPEG", jpegColor, pageInfo{format: scan.JPEG, width: 200, height: 280, components: 3, bits: 8, dpi: 100, embeddable: true}, false, "", true},
		{"grey JPEG", jpegGray, pageInfo{format: scan.JPEG, width: 200, height: 280, components: 1, bits: 8, dpi: 100, embeddable: true}, false, "", true},
		{"1-bit PNG", pngBW, pageInfo{format: scan.PNG, width: 200, height: 280, components: 1, bits: 1, dpi: 100, embeddable: true}, false, "", true},
		{"colour PNG", pngColor, pageInfo{format: scan.PNG, width: 200, height: 280, components: 3, bits: 8, dpi: 150, embeddable: true}, false, "", true},
		{"PNG with alpha", pngAlpha(t), pageInfo{format: scan.PNG, width: 200, height: 280, components: 4, bits: 8, embeddable: false}, false, "", true},
		{"JPEG without its end", jpegColor[:len(jpegColor)*2/3], pageInfo{}, true, "no end marker", false},
		{"JPEG cut in its header", jpegColor[:30], pageInfo{}, true, "", false},
		{"PNG without its end", pngBW[:len(pngBW)-12], pageInfo{}, true, "", false},
		{"PNG with a damaged chunk", damage(pngBW, 40), pageInfo{}, false, "checksum", false},
		{"empty", nil, pageInfo{}, true, "", false},
		{"PDF", []byte("%PDF-1.4\n..."), pageInfo{}, false, "application/pdf", false},
		{"HTML error page", []byte("<html><body>busy</body></html>"), pageInfo{}, false, "text/html", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := inspect(tc.data)
			if tc.truncated || tc.wantErr != "" {
				if err == nil || errors.Is(err, errTruncated) != tc.truncated || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want truncated=%v %q", err, tc.truncated, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info != tc.want {
				t.Errorf("info = %+v, want %+v", info, tc.want)
			}
			p := newPage(tc.data, info, 100, 600, "test page 1")
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			img, err := p.Pixels()
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 280 {
				t.Errorf("decoded %v", b)
			}
			if (p.Original != nil) != tc.want.embeddable || !bytes.Equal(p.File, tc.data) {
				t.Errorf("original %+v, file kept %v", p.Original, bytes.Equal(p.File, tc.data))
			}
		})
	}
}

// The 12-bit JPEGs some medical scanners write cannot be decoded here:
// refused before they become a page.
func TestInspectRefuses12BitJPEG(t *testing.T) {
	data := escltest.RenderPage("image/jpeg", 32, 32, 100, "Grayscale8", "x")
	i := bytes.Index(data, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	data = bytes.Clone(data)
	data[i+4] = 12
	if _, err := inspect(data); err == nil || !strings.Contains(err.Error(), "12-bit") {
		t.Errorf("err = %v", err)
	}
}

func pngAlpha(t *testing.T) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 200, 280))
	img.Set(3, 3, color.NRGBA{10, 20, 30, 40})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func damage(data []byte, at int) []byte {
	d := bytes.Clone(data)
	d[at] ^= 0xff
	return d
}

func TestPageDPI(t *testing.T) {
	// A4 width asked: 2480 units of 1/300 inch (8.27 in).
	for _, tc := range []struct {
		name   string
		said   float64
		width  int
		asked  int
		want   float64
		warned bool
	}{
		{"states nothing", 0, 827, 100, 100, false},
		{"states what was asked", 100, 827, 100, 100, false},
		{"constant 72 in the file", 72, 827, 100, 100, false},
		{"scanned at 300 when asked 600", 300, 2480, 600, 300, true},
		{"scanned at 600 when asked 300", 600, 4960, 300, 600, true},
		{"incredible value", 20000, 2480, 300, 300, false},
		{"cropped to the paper at the stated dpi", 200, 1600, 300, 200, true},
	} {
		got, warn := pageDPI(pageInfo{dpi: tc.said, width: tc.width}, tc.asked, 2480)
		if got != tc.want || (warn != "") != tc.warned {
			t.Errorf("%s: %g %q, want %g warned=%v", tc.name, got, warn, tc.want, tc.warned)
		}
	}
}
