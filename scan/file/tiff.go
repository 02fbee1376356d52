package file

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"

	"golang.org/x/image/tiff"

	"github.com/demat-app/demat/scan"
)

// ifd is the part of one TIFF image file directory demat needs.
type ifd struct {
	offset          uint32
	width, height   int
	bitsPerSample   int
	samplesPerPixel int
	compression     int
	photometric     int
	fillOrder       int
	t6Options       int
	subfileType     int
	stripOffsets    []uint32
	stripByteCounts []uint32
	xres, yres      float64
	resUnit         int
	tiled           bool // stripOffsets/stripByteCounts hold tiles
}

// TIFF tags.
const (
	tagNewSubfileType  = 254
	tagWidth           = 256
	tagHeight          = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagFillOrder       = 266
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagT6Options       = 293
	tagResolutionUnit  = 296
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
)

// maxPages bounds the IFD walk: a loop in the chain of offsets would
// otherwise never end.
const maxPages = 10000

// parseTIFF lists the file's page directories (reduced-resolution copies
// and masks left out).
func parseTIFF(data []byte) ([]ifd, binary.ByteOrder, error) {
	var bo binary.ByteOrder = binary.LittleEndian
	if data[0] == 'M' {
		bo = binary.BigEndian
	}
	if len(data) < 8 {
		return nil, bo, fmt.Errorf("%w: TIFF header cut short", scan.ErrCorrupt)
	}
	off := bo.Uint32(data[4:])
	var out []ifd
	seen := map[uint32]bool{}
	for off != 0 {
		if seen[off] || len(seen) >= maxPages {
			break
		}
		seen[off] = true
		if int64(off)+2 > int64(len(data)) {
			if len(out) > 0 {
				break // a dangling next pointer after good pages
			}
			return nil, bo, fmt.Errorf("%w: TIFF directory past the end of the file", scan.ErrCorrupt)
		}
		d := ifd{offset: off, samplesPerPixel: 1, bitsPerSample: 1, compression: 1, fillOrder: 1, resUnit: 2}
		n := int(bo.Uint16(data[off:]))
		end := int(off) + 2 + 12*n
		if end+4 > len(data) {
			return nil, bo, fmt.Errorf("%w: TIFF directory cut short", scan.ErrCorrupt)
		}
		for k := 0; k < n; k++ {
			e := data[int(off)+2+12*k:]
			tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), bo.Uint32(e[4:])
			vals := tiffValues(data, bo, typ, count, e[8:12])
			first := 0.0
			if len(vals) > 0 {
				first = vals[0]
			}
			switch tag {
			case tagNewSubfileType:
				d.subfileType = int(first)
			case tagWidth:
				d.width = int(first)
			case tagHeight:
				d.height = int(first)
			case tagBitsPerSample:
				d.bitsPerSample = int(first)
			case tagCompression:
				d.compression = int(first)
			case tagPhotometric:
				d.photometric = int(first)
			case tagFillOrder:
				d.fillOrder = int(first)
			case tagSamplesPerPixel:
				d.samplesPerPixel = int(first)
			case tagT6Options:
				d.t6Options = int(first)
			case tagXResolution:
				d.xres = first
			case tagYResolution:
				d.yres = first
			case tagResolutionUnit:
				d.resUnit = int(first)
			case tagTileOffsets, tagTileByteCounts:
				d.tiled = true
				fallthrough
			case tagStripOffsets, tagStripByteCounts:
				u := make([]uint32, len(vals))
				for i, v := range vals {
					u[i] = uint32(v)
				}
				if tag == tagStripOffsets || tag == tagTileOffsets {
					d.stripOffsets = u
				} else {
					d.stripByteCounts = u
				}
			}
		}
		if d.subfileType&(1|4) == 0 { // not a thumbnail, not a mask
			out = append(out, d)
		}
		off = bo.Uint32(data[end:])
	}
	if len(out) == 0 {
		return nil, bo, fmt.Errorf("%w: TIFF without any page", scan.ErrCorrupt)
	}
	return out, bo, nil
}

// tiffValues reads a tag's values as numbers (SHORT, LONG, RATIONAL);
// other types and out-of-file offsets give nothing.
func tiffValues(data []byte, bo binary.ByteOrder, typ uint16, count uint32, inline []byte) []float64 {
	size := map[uint16]int{3: 2, 4: 4, 5: 8}[typ]
	if size == 0 || count == 0 || count > 1<<20 {
		return nil
	}
	total := int(count) * size
	src := inline
	if total > 4 {
		o := int64(bo.Uint32(inline))
		if o+int64(total) > int64(len(data)) {
			return nil
		}
		src = data[o : o+int64(total)]
	}
	out := make([]float64, count)
	for i := range out {
		switch typ {
		case 3:
			out[i] = float64(bo.Uint16(src[2*i:]))
		case 4:
			out[i] = float64(bo.Uint32(src[4*i:]))
		case 5:
			num, den := bo.Uint32(src[8*i:]), bo.Uint32(src[8*i+4:])
			if den != 0 {
				out[i] = float64(num) / float64(den)
			}
		}
	}
	return out
}

func (d ifd) dpi() (float64, float64) {
	switch d.resUnit {
	case 2:
		return d.xres, d.yres
	case 3:
		return d.xres * 2.54, d.yres * 2.54
	}
	return 0, 0
}

// g4Strip gives the page's CCITT G4 data when a PDF can embed it as it is.
func (d ifd) g4Strip(data []byte) ([]byte, bool) {
	if d.tiled || d.compression != 4 || d.bitsPerSample != 1 || d.samplesPerPixel != 1 || d.fillOrder != 1 ||
		d.t6Options != 0 || len(d.stripOffsets) != 1 || len(d.stripByteCounts) != 1 || d.photometric > 1 {
		return nil, false
	}
	o, n := int64(d.stripOffsets[0]), int64(d.stripByteCounts[0])
	if n <= 0 || o+n > int64(len(data)) {
		return nil, false
	}
	return data[o : o+n], true
}

func (r *reader) tiff(ctx context.Context, data []byte) error {
	ifds, bo, err := parseTIFF(data)
	if err != nil {
		return r.fail(0, err)
	}
	for i, d := range ifds {
		if err := ctx.Err(); err != nil {
			return err
		}
		page := 0
		if len(ifds) > 1 {
			page = i + 1
		}
		if err := r.checkSize(page, d.width, d.height); err != nil {
			return err
		}
		if err := d.checkStrips(len(data)); err != nil {
			return r.fail(page, err)
		}
		p := scan.Page{Width: d.width, Height: d.height, Source: r.source(i+1, len(ifds)), Decode: decodeTIFFPage(data, bo, d)}
		p.File = data
		if i > 0 || bo.Uint32(data[4:]) != d.offset {
			// A single-page view for readers that take the first page.
			p.File = append([]byte(nil), data...)
			bo.PutUint32(p.File[4:], d.offset)
		}
		if strip, ok := d.g4Strip(data); ok {
			p.Original = &scan.Encoded{Format: scan.CCITTG4, Data: strip, Width: d.width, Height: d.height,
				Components: 1, BitsPerComponent: 1, BlackIs1: d.photometric == 1}
		}
		xdpi, ydpi := d.dpi()
		r.resolve(&p, xdpi, ydpi)
		if err := r.emit(p); err != nil {
			return err
		}
	}
	return nil
}

// decodeTIFFPage decodes one page on demand.
func decodeTIFFPage(data []byte, bo binary.ByteOrder, d ifd) func() (image.Image, error) {
	return func() (image.Image, error) {
		img, err := tiff.Decode(&pageReader{data: data, bo: bo, ifd: d.offset})
		if err != nil && d.samplesPerPixel == 4 && d.photometric == 2 {
			// RGB plus a fourth sample the file does not describe (no
			// ExtraSamples tag): read it as alpha, then ignore it.
			if fixed, off, ok := withExtraSamples(data, bo, d.offset); ok {
				if img, err = tiff.Decode(&pageReader{data: fixed, bo: bo, ifd: off}); err == nil {
					img = opaque(img)
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: %v: scan or copy the file again", scan.ErrCorrupt, err)
			}
			return nil, fmt.Errorf("%w: %v", scan.ErrNotImage, err)
		}
		return img, nil
	}
}

// checkStrips makes sure the page's data lies inside the file.
func (d ifd) checkStrips(size int) error {
	if len(d.stripOffsets) == 0 || len(d.stripOffsets) != len(d.stripByteCounts) {
		return fmt.Errorf("%w: TIFF page without a valid strip table", scan.ErrCorrupt)
	}
	for i, o := range d.stripOffsets {
		if int64(o)+int64(d.stripByteCounts[i]) > int64(size) {
			return fmt.Errorf("%w: the TIFF stops before the end of its image data: scan or copy the file again", scan.ErrCorrupt)
		}
	}
	return nil
}

// pageReader shows a TIFF file whose header points at one chosen
// directory, so that a single-image decoder reads any page without copying
// the file.
type pageReader struct {
	data []byte
	bo   binary.ByteOrder
	ifd  uint32
	pos  int64
}

func (p *pageReader) ReadAt(b []byte, off int64) (int, error) {
	if off >= int64(len(p.data)) {
		return 0, io.EOF
	}
	n := copy(b, p.data[off:])
	// Bytes 4–7 of the header hold the first directory's offset.
	for i := 0; i < n; i++ {
		if o := off + int64(i); o >= 4 && o < 8 {
			var v [4]byte
			p.bo.PutUint32(v[:], p.ifd)
			b[i] = v[o-4]
		}
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (p *pageReader) Read(b []byte) (int, error) {
	n, err := p.ReadAt(b, p.pos)
	p.pos += int64(n)
	return n, err
}

// withExtraSamples copies the file with one more directory at its end: the
// given one plus ExtraSamples = 2 (unassociated alpha). It returns the copy
// and the new directory's offset.
func withExtraSamples(data []byte, bo binary.ByteOrder, off uint32) ([]byte, uint32, bool) {
	n := int(bo.Uint16(data[off:]))
	entries := data[off+2 : int(off)+2+12*n]
	var extra [12]byte
	bo.PutUint16(extra[0:], 338)
	bo.PutUint16(extra[2:], 3) // SHORT
	bo.PutUint32(extra[4:], 1)
	bo.PutUint16(extra[8:], 2)
	out := make([]byte, len(data), len(data)+16+12*(n+1))
	copy(out, data)
	if len(out)%2 == 1 {
		out = append(out, 0) // directories start on a word boundary
	}
	newOff := uint32(len(out))
	var cnt [2]byte
	bo.PutUint16(cnt[:], uint16(n+1))
	out = append(out, cnt[:]...)
	placed := false
	for k := 0; k < n; k++ {
		e := entries[12*k : 12*k+12]
		if !placed && bo.Uint16(e) > 338 {
			out = append(out, extra[:]...)
			placed = true
		}
		if bo.Uint16(e) == 338 {
			return nil, 0, false // it had one: nothing to fix
		}
		out = append(out, e...)
	}
	if !placed {
		out = append(out, extra[:]...)
	}
	out = append(out, 0, 0, 0, 0) // no next directory
	return out, newOff, true
}

// opaque drops an alpha channel that carries no meaning.
func opaque(img image.Image) image.Image {
	if m, ok := img.(*image.NRGBA); ok {
		for i := 3; i < len(m.Pix); i += 4 {
			m.Pix[i] = 0xff
		}
	}
	return img
}
