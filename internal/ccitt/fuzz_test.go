package ccitt

import (
	"bytes"
	"testing"

	"golang.org/x/image/ccitt"
)

// FuzzEncodeG4 encodes arbitrary bytes as an image, w pixels wide (1 to
// 512) with pad bytes at the end of each row, and checks that
// x/image/ccitt decodes the data back to the same pixels and finds the
// end-of-block after the last row.
func FuzzEncodeG4(f *testing.F) {
	for _, tc := range testImages(f) {
		b := tc.b
		if b.w > 512 || b.stride*b.h > 4096 {
			continue
		}
		f.Add(uint16(b.w-1), uint8(b.stride-(b.w+7)/8), b.bits)
	}
	// A corner of a real page: print, not patterns.
	page := loadFixture(f, "phototest.tif")
	crop := newBitmap(96, 40)
	for y := range crop.h {
		for x := range crop.w {
			crop.set(x, y, page.black(x+40, y+30))
		}
	}
	f.Add(uint16(crop.w-1), uint8(crop.stride-(crop.w+7)/8), crop.bits)

	f.Fuzz(func(t *testing.T, w uint16, pad uint8, data []byte) {
		b := &bitmap{w: 1 + int(w)%512}
		b.stride = (b.w+7)/8 + int(pad)%4
		b.h = len(data) / b.stride
		b.bits = data
		orig := bytes.Clone(data)
		enc := b.encode()
		checkEOFB(t, enc)
		got, err := decode(enc, b.w, ccitt.AutoDetectHeight)
		if err != nil {
			t.Fatalf("%dx%d: decode: %v", b.w, b.h, err)
		}
		compare(t, b, got)
		if !bytes.Equal(data, orig) {
			t.Fatal("EncodeG4 modified its input")
		}
	})
}
