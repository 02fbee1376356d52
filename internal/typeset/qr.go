package typeset

import (
	"fmt"

	"github.com/boombuler/barcode/qr"
)

// QR encodes text as a QR code (error correction M: 15 % of the code
// may be smudged or folded away, which a printed and photographed code
// needs) and gives its modules, true for dark, row by row from the top,
// without the quiet zone.
func QR(text string) ([][]bool, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("typeset: QR code: %w", err)
	}
	b := code.Bounds()
	out := make([][]bool, b.Dy())
	for y := range out {
		out[y] = make([]bool, b.Dx())
		for x := range out[y] {
			r, _, _, _ := code.At(b.Min.X+x, b.Min.Y+y).RGBA()
			out[y][x] = r < 0x8000
		}
	}
	return out, nil
}
