package file

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/disintegration/imaging"

	"github.com/demat-app/demat/scan"
)

// jpegInfo is what the markers before the scan data say.
type jpegInfo struct {
	width, height, components int
	xdpi, ydpi                float64
	orientation               int // EXIF, 1 = upright
}

// parseJPEGHeader reads markers up to the first frame header.
func parseJPEGHeader(data []byte) (jpegInfo, error) {
	info := jpegInfo{orientation: 1}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return info, fmt.Errorf("%w: bad JPEG marker at byte %d", scan.ErrCorrupt, i)
		}
		m := data[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		if m == 0xd8 || (m >= 0xd0 && m <= 0xd7) || m == 0x01 {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return info, fmt.Errorf("%w: JPEG segment runs past the end of the file", scan.ErrCorrupt)
		}
		seg := data[i+4 : i+2+n]
		switch {
		case m == 0xe0 && bytes.HasPrefix(seg, []byte("JFIF\x00")) && len(seg) >= 12:
			unit := seg[7]
			x, y := float64(binary.BigEndian.Uint16(seg[8:])), float64(binary.BigEndian.Uint16(seg[10:]))
			switch unit {
			case 1:
				info.xdpi, info.ydpi = x, y
			case 2:
				info.xdpi, info.ydpi = x*2.54, y*2.54
			}
		case m == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
			o, xr, yr := parseExif(seg[6:])
			if o >= 1 && o <= 8 {
				info.orientation = o
			}
			if info.xdpi == 0 && xr > 0 {
				info.xdpi, info.ydpi = xr, yr
			}
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			if len(seg) < 6 {
				return info, fmt.Errorf("%w: short JPEG frame header", scan.ErrCorrupt)
			}
			info.height = int(binary.BigEndian.Uint16(seg[1:]))
			info.width = int(binary.BigEndian.Uint16(seg[3:]))
			info.components = int(seg[5])
			return info, nil
		case m == 0xd9 || m == 0xda:
			return info, fmt.Errorf("%w: JPEG without a frame header", scan.ErrCorrupt)
		}
		i += 2 + n
	}
	return info, fmt.Errorf("%w: JPEG ends before its frame header", scan.ErrCorrupt)
}

// parseExif reads orientation and resolution (in dpi) from an EXIF TIFF
// structure; zero when absent.
func parseExif(t []byte) (orientation int, xdpi, ydpi float64) {
	if len(t) < 8 {
		return 0, 0, 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, 0, 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0, 0, 0
	}
	n := int(bo.Uint16(t[off:]))
	unit := 2
	rational := func(p int) float64 {
		if p <= 0 || p+8 > len(t) {
			return 0
		}
		d := bo.Uint32(t[p+4:])
		if d == 0 {
			return 0
		}
		return float64(bo.Uint32(t[p:])) / float64(d)
	}
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			break
		}
		switch bo.Uint16(t[e:]) {
		case 0x0112:
			orientation = int(bo.Uint16(t[e+8:]))
		case 0x011a:
			xdpi = rational(int(bo.Uint32(t[e+8:])))
		case 0x011b:
			ydpi = rational(int(bo.Uint32(t[e+8:])))
		case 0x0128:
			unit = int(bo.Uint16(t[e+8:]))
		}
	}
	switch unit {
	case 2:
	case 3:
		xdpi, ydpi = xdpi*2.54, ydpi*2.54
	default:
		xdpi, ydpi = 0, 0
	}
	return orientation, xdpi, ydpi
}

func (r *reader) jpeg(data []byte) error {
	p, err := r.decodeJPEG(0, 1, data, 0, 0)
	if err != nil {
		return err
	}
	return r.emit(p)
}

// decodeJPEG decodes one JPEG page. xdpi/ydpi, when set, come from a
// container (a PDF page) and win over the file's own.
func (r *reader) decodeJPEG(page, pages int, data []byte, xdpi, ydpi float64) (scan.Page, error) {
	info, err := parseJPEGHeader(data)
	if err != nil {
		return scan.Page{}, r.fail(page, err)
	}
	if err := r.checkSize(page, info.width, info.height); err != nil {
		return scan.Page{}, err
	}
	if !jpegComplete(data) {
		return scan.Page{}, r.fail(page, fmt.Errorf("%w: the JPEG stops before its end marker: scan or copy the file again", scan.ErrCorrupt))
	}
	decode := func() (image.Image, error) {
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: %v: scan or copy the file again", scan.ErrCorrupt, err)
		}
		return img, nil
	}
	p := scan.Page{Decode: decode, Width: info.width, Height: info.height, Source: r.source(page, pages)}
	if xdpi == 0 {
		xdpi, ydpi = info.xdpi, info.ydpi
	}
	if info.orientation > 1 {
		// The camera stored the picture sideways and said so: turn the
		// pixels, since neither PDF viewers nor OCR read EXIF.
		img, err := decode()
		if err != nil {
			return scan.Page{}, r.fail(page, err)
		}
		p = scan.NewPage(orient(img, info.orientation), 0, 0, p.Source)
		if info.orientation >= 5 {
			xdpi, ydpi = ydpi, xdpi
		}
	} else {
		p.File = data
		if info.components == 1 || info.components == 3 {
			p.Original = &scan.Encoded{Format: scan.JPEG, Data: data, Width: info.width, Height: info.height, Components: info.components, BitsPerComponent: 8}
		}
	}
	r.resolve(&p, xdpi, ydpi)
	return p, nil
}

// jpegComplete tells whether a JPEG ends with its end-of-image marker
// (allowing some trailing padding). Inside compressed data 0xFF is always
// followed by 0x00 or a restart marker, so the marker cannot appear there;
// a file cut short lacks it.
func jpegComplete(data []byte) bool {
	i := bytes.LastIndex(data, []byte{0xff, 0xd9})
	return i >= 0 && len(data)-i <= 4096
}

// orient applies an EXIF orientation (2–8).
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}
