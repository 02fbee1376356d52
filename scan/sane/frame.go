package sane

import (
	"encoding/binary"
	"fmt"
	"image"
	"io"

	"github.com/demat-app/demat/scan"
)

// maxPixels refuses a frame whose header announces more pixels than any
// office scan needs (A3 at 1200 dpi is 280 Mpx), so that a garbled header
// cannot make demat allocate gigabytes.
const maxPixels = 300_000_000

// pageBuilder turns the raw frames of one page, as sane_read delivered
// them, into an image while they arrive: each line is decoded into the
// image as soon as it is complete, so a page is held once, plus one line.
// It is used by one goroutine.
type pageBuilder struct {
	gray *image.Gray
	rgba *image.RGBA

	f       frameInfo // current frame
	channel int       // 0, 1, 2 for the red, green, blue frames of a three-pass scan; -1 otherwise
	line    []byte    // the line being received
	fill    int       // bytes of line received
	row     int       // lines of the current frame decoded
	extra   int       // lines received past those announced, dropped
	rows    int       // lines the page has: the fewest any of its frames delivered
	frames  int       // frames ended
	seen    [3]bool   // channels received, for three-pass scans
	xdpi    float64
	ydpi    float64
	warning []string
}

// channelOf maps a frame format to the RGB channel it carries.
var channelOf = map[string]int{"gray": -1, "rgb": -1, "red": 0, "green": 1, "blue": 2}

// beginFrame checks a frame's parameters and, on the page's first frame,
// allocates the image.
func (b *pageBuilder) beginFrame(f frameInfo) error {
	ch, ok := channelOf[f.Format]
	if !ok {
		return fmt.Errorf("the scanner sends %q frames, which demat cannot read (it reads grey, RGB and three-pass colour)", f.Format)
	}
	if f.Pixels <= 0 || f.BytesPerLine <= 0 || f.Lines == 0 || f.Lines < -1 {
		return fmt.Errorf("the scanner announced a frame of %d pixels × %d lines, %d bytes per line", f.Pixels, f.Lines, f.BytesPerLine)
	}
	samples := 1
	if f.Format == "rgb" {
		samples = 3
	}
	var need int
	switch {
	case f.Depth == 1 && samples == 1 && ch < 0:
		need = (f.Pixels + 7) / 8
	case f.Depth == 8:
		need = f.Pixels * samples
	case f.Depth > 8 && f.Depth <= 16:
		need = 2 * f.Pixels * samples
	default:
		return fmt.Errorf("the scanner sends %s frames of %d bits per sample, which demat cannot read: scan in color or gray at 8 bits, or in bw", f.Format, f.Depth)
	}
	// Backends pad lines a little (the test backend's ppl-loss, up to
	// 128 pixels); more is a garbled header.
	if f.BytesPerLine < need || f.BytesPerLine > 2*need+64<<10 {
		return fmt.Errorf("the scanner announced %d bytes per line for %d pixels of %d bits", f.BytesPerLine, f.Pixels, f.Depth*samples)
	}
	if int64(f.Pixels)*int64(max(f.Lines, 1)) > maxPixels {
		return fmt.Errorf("%w: the scanner announced %d×%d pixels; scan at a lower resolution or a smaller area", scan.ErrTooLarge, f.Pixels, f.Lines)
	}
	if b.frames == 0 {
		lines := max(f.Lines, 0)
		switch {
		case f.Format == "gray":
			b.gray = image.NewGray(image.Rect(0, 0, f.Pixels, lines))
		case ch >= 0 && f.Lines < 0:
			return fmt.Errorf("the scanner is a three-pass scanner that does not know the page height; demat cannot read it")
		default:
			b.rgba = image.NewRGBA(image.Rect(0, 0, f.Pixels, lines))
			if ch >= 0 {
				for i := 3; i < len(b.rgba.Pix); i += 4 {
					b.rgba.Pix[i] = 0xff
				}
			}
		}
		b.xdpi, b.ydpi = f.XDPI, f.YDPI
		b.rows = -1
	} else {
		if ch < 0 || b.rgba == nil || b.seen[ch] || f.Pixels != b.f.Pixels || f.Lines != b.f.Lines {
			return fmt.Errorf("the scanner sent a %s frame of %d×%d pixels after a %s frame of %d×%d", f.Format, f.Pixels, f.Lines, b.f.Format, b.f.Pixels, b.f.Lines)
		}
	}
	if ch >= 0 {
		b.seen[ch] = true
	}
	b.f, b.channel = f, ch
	if cap(b.line) >= f.BytesPerLine {
		b.line = b.line[:f.BytesPerLine]
	} else {
		b.line = make([]byte, f.BytesPerLine)
	}
	b.fill, b.row, b.extra = 0, 0, 0
	return nil
}

// readFrom decodes the next n bytes of the current frame from r.
func (b *pageBuilder) readFrom(r io.Reader, n int) error {
	if b.line == nil {
		return fmt.Errorf("%w: data before any frame", errProtocol)
	}
	for n > 0 {
		k := min(n, len(b.line)-b.fill)
		if _, err := io.ReadFull(r, b.line[b.fill:b.fill+k]); err != nil {
			return noEOF(err)
		}
		b.fill += k
		n -= k
		if b.fill == len(b.line) {
			b.putLine()
			b.fill = 0
		}
	}
	return nil
}

// putLine decodes the complete line into the image.
func (b *pageBuilder) putLine() {
	f := &b.f
	if f.Lines > 0 && b.row >= f.Lines {
		b.extra++
		return
	}
	w := f.Pixels
	if b.gray != nil {
		if f.Lines < 0 { // unknown height: grow by one line
			b.gray.Pix = append(b.gray.Pix, make([]byte, b.gray.Stride)...)
			b.gray.Rect.Max.Y++
		}
		dst := b.gray.Pix[b.row*b.gray.Stride : b.row*b.gray.Stride+w]
		switch {
		case f.Depth == 1:
			// SANE: in a 1-bit grey frame, 1 is black.
			for x := range dst {
				if b.line[x>>3]&(0x80>>(x&7)) != 0 {
					dst[x] = 0
				} else {
					dst[x] = 0xff
				}
			}
		case f.Depth == 8:
			copy(dst, b.line[:w])
		default:
			for x := range dst {
				dst[x] = to8(binary.NativeEndian.Uint16(b.line[2*x:]), f.Depth)
			}
		}
		b.row++
		return
	}
	if f.Lines < 0 {
		b.rgba.Pix = append(b.rgba.Pix, make([]byte, b.rgba.Stride)...)
		b.rgba.Rect.Max.Y++
	}
	dst := b.rgba.Pix[b.row*b.rgba.Stride : b.row*b.rgba.Stride+4*w]
	switch {
	case b.channel >= 0 && f.Depth == 8:
		for x := 0; x < w; x++ {
			dst[4*x+b.channel] = b.line[x]
		}
	case b.channel >= 0:
		for x := 0; x < w; x++ {
			dst[4*x+b.channel] = to8(binary.NativeEndian.Uint16(b.line[2*x:]), f.Depth)
		}
	case f.Depth == 8:
		for x := 0; x < w; x++ {
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = b.line[3*x], b.line[3*x+1], b.line[3*x+2], 0xff
		}
	default:
		for x := 0; x < w; x++ {
			s := b.line[6*x:]
			dst[4*x] = to8(binary.NativeEndian.Uint16(s), f.Depth)
			dst[4*x+1] = to8(binary.NativeEndian.Uint16(s[2:]), f.Depth)
			dst[4*x+2] = to8(binary.NativeEndian.Uint16(s[4:]), f.Depth)
			dst[4*x+3] = 0xff
		}
	}
	b.row++
}

// to8 reduces a sample of depth bits (9 to 16, in 16 bits in the host's
// byte order, as SANE sends them) to 8 bits, rounding.
func to8(v uint16, depth int) uint8 {
	m := uint32(1)<<depth - 1
	return uint8((min(uint32(v), m)*255 + m/2) / m)
}

// endFrame closes the current frame. A frame shorter than announced
// shortens the page, with a warning; one without a single line fails.
func (b *pageBuilder) endFrame() error {
	f := &b.f
	if b.fill > 0 {
		b.warning = append(b.warning, fmt.Sprintf("the scanner ended a frame in the middle of a line (%d of %d bytes); that line was dropped", b.fill, len(b.line)))
		b.fill = 0
	}
	if b.row == 0 {
		return fmt.Errorf("the scanner sent a %s frame without a single complete line", f.Format)
	}
	if f.Lines > 0 && b.row < f.Lines {
		b.warning = append(b.warning, fmt.Sprintf("the scanner sent %d of the %d lines it announced; the page is cut short", b.row, f.Lines))
	}
	if b.extra > 0 {
		b.warning = append(b.warning, fmt.Sprintf("the scanner sent %d lines more than the %d it announced; they were dropped", b.extra, f.Lines))
	}
	if b.rows < 0 || b.row < b.rows {
		b.rows = b.row
	}
	b.frames++
	return nil
}

// complete tells whether the page has all its frames.
func (b *pageBuilder) complete() bool {
	if b.frames == 0 || !b.f.Last {
		return false
	}
	return b.channel < 0 || b.seen == [3]bool{true, true, true}
}

// page returns the finished page. The image is cut to the lines every
// frame delivered, without copying.
func (b *pageBuilder) page(source string) scan.Page {
	var img image.Image
	r := image.Rect(0, 0, b.f.Pixels, b.rows)
	if b.gray != nil {
		img = b.gray.SubImage(r)
	} else {
		img = b.rgba.SubImage(r)
	}
	xdpi, ydpi := b.xdpi, b.ydpi
	p := scan.NewPage(img, xdpi, ydpi, source)
	p.Warnings = b.warning
	return p
}
