package ccitt

import (
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
)

// EncodeG4 returns the T.6 data of a w×h bi-level image whose rows are
// packed 1 bit per pixel, MSB first, stride bytes apart, where a 1 bit is
// white and 0 is black: the layout of a PDF DeviceGray 1-bit image, so the
// result is what /CCITTFaxDecode with << /K -1 /Columns w /Rows h >> (and
// the default BlackIs1 false) decodes back to bits. The bits past w in a
// row's last byte and the bytes past it up to stride are ignored.
//
// An image with no pixels (w or h ≤ 0) gives the end-of-block code alone.
// EncodeG4 panics when stride or bits are too short for w and h, as
// indexing past a slice would: that is a caller's bug, not a data error.
func EncodeG4(bits []byte, w, h, stride int) []byte {
	if w <= 0 || h <= 0 {
		return newEncoder(0, 0).finish()
	}
	n := (w + 7) / 8
	if stride < n {
		panic(fmt.Sprintf("ccitt: stride %d too short for width %d", stride, w))
	}
	if len(bits) < (h-1)*stride+n {
		panic(fmt.Sprintf("ccitt: %d bytes too short for %d rows of stride %d", len(bits), h, stride))
	}
	e := newEncoder(w, h)
	for y := 0; y < h; y++ {
		copy(e.row, bits[y*stride:y*stride+n])
		e.encodeRow()
	}
	return e.finish()
}

// EncodeGray is EncodeG4 for a grey image, where a pixel darker than 128
// is black: a page thresholded to 0 and 255 comes out exactly, and the
// caller need not pack it first.
func EncodeGray(g *image.Gray) []byte {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w <= 0 || h <= 0 {
		return newEncoder(0, 0).finish()
	}
	e := newEncoder(w, h)
	for y := 0; y < h; y++ {
		pix := g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):][:w]
		packGray(e.row, pix)
		e.encodeRow()
	}
	return e.finish()
}

// packGray packs pix into dst, 1 bit (white, ≥ 128) per pixel, MSB first.
// Eight pixels at a time: the multiply moves each byte's top bit, pixel k
// at bit 63−8k, to bit 63−k, into the top byte, with no two terms
// overlapping (so no carries).
func packGray(dst, pix []uint8) {
	i := 0
	for ; len(pix) >= 8; pix = pix[8:] {
		v := binary.BigEndian.Uint64(pix) & 0x8080808080808080
		dst[i] = byte(v * 0x0002040810204081 >> 56)
		i++
	}
	if len(pix) > 0 {
		var b uint8
		for j, p := range pix {
			b |= p >> 7 << (7 - j)
		}
		dst[i] = b
	}
}

// encoder holds one image's coding state. The changing elements of the
// coding and reference lines are kept as lists of columns, so the 2-D
// coding walks changes instead of pixels.
type encoder struct {
	w int
	// row is the line being coded, packed, with 8 zero bytes after it so
	// that changes can always load a whole 64-bit word.
	row []byte
	// cur and ref are the columns where the colour changes on the coding
	// and the reference line, each followed by three copies of w: T.6
	// puts a missing b1, b2 or a2 at the imaginary column w, and the
	// sentinels save every lookup its bounds check.
	cur, ref []int

	out []byte
	// acc holds n pending output bits, left-aligned; n stays below 32
	// between calls to put, so a code of up to 32 bits always fits.
	acc uint64
	n   uint
}

func newEncoder(w, h int) *encoder {
	e := &encoder{
		w:   w,
		row: make([]byte, (w+7)/8+8),
		cur: make([]int, 0, w+3),
		ref: make([]int, 0, w+3),
		// A text page compresses to about a twentieth of its packed size:
		// start there and let append grow it for busier pages.
		out: make([]byte, 0, 64+(w+7)/8*h/20),
	}
	// The imaginary line above the first row is white: no changes.
	e.ref = append(e.ref, w, w, w)
	return e
}

// code is a variable-length code: its n low bits, first bit highest.
type code struct {
	bits uint16
	n    uint8
}

// The mode codes of T.6 Table 1.
var (
	codePass = code{0b0001, 4}
	codeHorz = code{0b001, 3}
	codeEOL  = code{0b000000000001, 12}
	// codeV is indexed by a1 − b1 + 3: VL3, VL2, VL1, V0, VR1, VR2, VR3.
	codeV = [7]code{
		{0b0000010, 7}, {0b000010, 6}, {0b010, 3}, {0b1, 1},
		{0b011, 3}, {0b000011, 6}, {0b0000011, 7},
	}
)

func (e *encoder) put(c code) {
	e.acc |= uint64(c.bits) << (64 - e.n - uint(c.n))
	e.n += uint(c.n)
	if e.n >= 32 {
		e.out = binary.BigEndian.AppendUint32(e.out, uint32(e.acc>>32))
		e.acc <<= 32
		e.n -= 32
	}
}

// putRun writes a run of n pixels with the codes of one colour (T.4
// Tables 2 and 3): make-up codes for the multiples of 64, then always a
// terminating code, 0 included. Runs past 2623 repeat the largest make-up
// code, 2560, so that what is left fits one make-up code and a terminating
// one.
func (e *encoder) putRun(n int, tab *[104]code) {
	for n >= 2560+64 {
		e.put(tab[103])
		n -= 2560
	}
	if n >= 64 {
		e.put(tab[63+n>>6])
		n &= 63
	}
	e.put(tab[n])
}

// finish ends the data with the end-of-facsimile-block and pads it with
// zero bits to a byte.
func (e *encoder) finish() []byte {
	e.put(codeEOL)
	e.put(codeEOL)
	for n := int(e.n); n > 0; n -= 8 {
		e.out = append(e.out, byte(e.acc>>56))
		e.acc <<= 8
	}
	e.acc, e.n = 0, 0
	return e.out
}

// changes appends to dst the columns of row where the colour differs from
// the one on its left (white left of column 0), then the three sentinels.
// It looks for the next pixel of the other colour 64 bits at a time: the
// word XORed with the current colour has its first 1 bit there.
func changes(dst []int, row []byte, w int) []int {
	dst = dst[:0]
	m := ^uint64(0) // white is 1: a black pixel XORs to 1
	for x := 0; x < w; {
		i := x >> 3
		v := (binary.BigEndian.Uint64(row[i:]) ^ m) << (x & 7)
		if v == 0 {
			x = (i + 8) << 3
			continue
		}
		x += bits.LeadingZeros64(v)
		if x >= w {
			// A pad bit past the row's end: not a change.
			break
		}
		dst = append(dst, x)
		m = ^m
	}
	return append(dst, w, w, w)
}

// encodeRow codes e.row against the previous row with T.6's 2-D modes,
// as in its Figure 7 flow chart. a0 starts at −1 (the imaginary white
// pixel before the row); ia indexes a1 in cur and ib the first change on
// ref right of a0, whose parity gives its colour (even changes turn
// black): b1 is the first one of a1's colour.
func (e *encoder) encodeRow() {
	w := e.w
	e.cur = changes(e.cur, e.row, w)
	cur, ref := e.cur, e.ref
	a0, ia, ib := -1, 0, 0
	for a0 < w {
		a1 := cur[ia]
		for ref[ib] <= a0 {
			ib++
		}
		j := ib
		if (j^ia)&1 != 0 {
			j++
		}
		b1, b2 := ref[j], ref[j+1]
		switch d := a1 - b1; {
		case b2 < a1:
			e.put(codePass)
			a0 = b2
		case -3 <= d && d <= 3:
			e.put(codeV[d+3])
			a0 = a1
			ia++
		default:
			a2 := cur[ia+1]
			e.put(codeHorz)
			first, second := &whiteCodes, &blackCodes
			if ia&1 != 0 {
				first, second = second, first
			}
			e.putRun(a1-max(a0, 0), first)
			e.putRun(a2-a1, second)
			a0 = a2
			ia += 2
		}
	}
	e.cur, e.ref = e.ref, e.cur
}

// whiteCodes and blackCodes are T.4's Tables 2 and 3 for each colour:
// the terminating codes for runs 0–63 at their index, then the make-up
// codes for 64, 128, … 2560 at 63 + run/64 (from 1792 on, the extended
// codes both colours share).
var whiteCodes = [104]code{
	{0x035, 8}, {0x007, 6}, {0x007, 4}, {0x008, 4}, {0x00b, 4}, {0x00c, 4}, {0x00e, 4}, {0x00f, 4}, // 0
	{0x013, 5}, {0x014, 5}, {0x007, 5}, {0x008, 5}, {0x008, 6}, {0x003, 6}, {0x034, 6}, {0x035, 6}, // 8
	{0x02a, 6}, {0x02b, 6}, {0x027, 7}, {0x00c, 7}, {0x008, 7}, {0x017, 7}, {0x003, 7}, {0x004, 7}, // 16
	{0x028, 7}, {0x02b, 7}, {0x013, 7}, {0x024, 7}, {0x018, 7}, {0x002, 8}, {0x003, 8}, {0x01a, 8}, // 24
	{0x01b, 8}, {0x012, 8}, {0x013, 8}, {0x014, 8}, {0x015, 8}, {0x016, 8}, {0x017, 8}, {0x028, 8}, // 32
	{0x029, 8}, {0x02a, 8}, {0x02b, 8}, {0x02c, 8}, {0x02d, 8}, {0x004, 8}, {0x005, 8}, {0x00a, 8}, // 40
	{0x00b, 8}, {0x052, 8}, {0x053, 8}, {0x054, 8}, {0x055, 8}, {0x024, 8}, {0x025, 8}, {0x058, 8}, // 48
	{0x059, 8}, {0x05a, 8}, {0x05b, 8}, {0x04a, 8}, {0x04b, 8}, {0x032, 8}, {0x033, 8}, {0x034, 8}, // 56
	{0x01b, 5}, {0x012, 5}, {0x017, 6}, {0x037, 7}, {0x036, 8}, {0x037, 8}, {0x064, 8}, {0x065, 8}, // 64
	{0x068, 8}, {0x067, 8}, {0x0cc, 9}, {0x0cd, 9}, {0x0d2, 9}, {0x0d3, 9}, {0x0d4, 9}, {0x0d5, 9}, // 576
	{0x0d6, 9}, {0x0d7, 9}, {0x0d8, 9}, {0x0d9, 9}, {0x0da, 9}, {0x0db, 9}, {0x098, 9}, {0x099, 9}, // 1088
	{0x09a, 9}, {0x018, 6}, {0x09b, 9}, {0x008, 11}, {0x00c, 11}, {0x00d, 11}, {0x012, 12}, {0x013, 12}, // 1600
	{0x014, 12}, {0x015, 12}, {0x016, 12}, {0x017, 12}, {0x01c, 12}, {0x01d, 12}, {0x01e, 12}, {0x01f, 12}, // 2112
}

var blackCodes = [104]code{
	{0x037, 10}, {0x002, 3}, {0x003, 2}, {0x002, 2}, {0x003, 3}, {0x003, 4}, {0x002, 4}, {0x003, 5}, // 0
	{0x005, 6}, {0x004, 6}, {0x004, 7}, {0x005, 7}, {0x007, 7}, {0x004, 8}, {0x007, 8}, {0x018, 9}, // 8
	{0x017, 10}, {0x018, 10}, {0x008, 10}, {0x067, 11}, {0x068, 11}, {0x06c, 11}, {0x037, 11}, {0x028, 11}, // 16
	{0x017, 11}, {0x018, 11}, {0x0ca, 12}, {0x0cb, 12}, {0x0cc, 12}, {0x0cd, 12}, {0x068, 12}, {0x069, 12}, // 24
	{0x06a, 12}, {0x06b, 12}, {0x0d2, 12}, {0x0d3, 12}, {0x0d4, 12}, {0x0d5, 12}, {0x0d6, 12}, {0x0d7, 12}, // 32
	{0x06c, 12}, {0x06d, 12}, {0x0da, 12}, {0x0db, 12}, {0x054, 12}, {0x055, 12}, {0x056, 12}, {0x057, 12}, // 40
	{0x064, 12}, {0x065, 12}, {0x052, 12}, {0x053, 12}, {0x024, 12}, {0x037, 12}, {0x038, 12}, {0x027, 12}, // 48
	{0x028, 12}, {0x058, 12}, {0x059, 12}, {0x02b, 12}, {0x02c, 12}, {0x05a, 12}, {0x066, 12}, {0x067, 12}, // 56
	{0x00f, 10}, {0x0c8, 12}, {0x0c9, 12}, {0x05b, 12}, {0x033, 12}, {0x034, 12}, {0x035, 12}, {0x06c, 13}, // 64
	{0x06d, 13}, {0x04a, 13}, {0x04b, 13}, {0x04c, 13}, {0x04d, 13}, {0x072, 13}, {0x073, 13}, {0x074, 13}, // 576
	{0x075, 13}, {0x076, 13}, {0x077, 13}, {0x052, 13}, {0x053, 13}, {0x054, 13}, {0x055, 13}, {0x05a, 13}, // 1088
	{0x05b, 13}, {0x064, 13}, {0x065, 13}, {0x008, 11}, {0x00c, 11}, {0x00d, 11}, {0x012, 12}, {0x013, 12}, // 1600
	{0x014, 12}, {0x015, 12}, {0x016, 12}, {0x017, 12}, {0x01c, 12}, {0x01d, 12}, {0x01e, 12}, {0x01f, 12}, // 2112
}
