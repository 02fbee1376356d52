package escl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"net/http"

	"github.com/demat-app/demat/internal/pngchunk"
	"github.com/demat-app/demat/scan"
)

// pageInfo is what a page file's header says.
type pageInfo struct {
	format        scan.Format
	width, height int
	components    int     // samples per pixel (PNG palette: 1)
	bits          int     // bits per sample
	dpi           float64 // resolution the file states, 0 when it states none
	embeddable    bool    // a PDF can take the compressed data as it is
}

// errTruncated marks a page file that stops before its end: the
// connection broke, whatever HTTP said.
var errTruncated = errors.New("the page arrived cut short")

// maxPagePixels refuses a header claiming more pixels than an A3 page at
// 1200 dpi (200 Mpx), before anything is decoded.
const maxPagePixels = 200_000_000

// inspect reads a page file's header and checks that the file is whole.
func inspect(data []byte) (pageInfo, error) {
	var info pageInfo
	var err error
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		info, err = inspectJPEG(data)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		info, err = inspectPNG(data)
	case len(data) == 0:
		return info, fmt.Errorf("%w: empty page", errTruncated)
	default:
		return info, fmt.Errorf("the scanner sent a page as %s, which demat does not read", http.DetectContentType(data))
	}
	if err != nil {
		return info, err
	}
	if info.width <= 0 || info.height <= 0 {
		return info, fmt.Errorf("the scanner sent an empty %s page", formatName(info.format))
	}
	if int64(info.width)*int64(info.height) > maxPagePixels {
		return info, fmt.Errorf("the scanner sent a %d×%d page: %w", info.width, info.height, scan.ErrTooLarge)
	}
	return info, nil
}

func formatName(f scan.Format) string {
	if f == scan.PNG {
		return "PNG"
	}
	return "JPEG"
}

// inspectJPEG reads the markers up to the frame header, then checks the
// end-of-image marker: a transfer cut short lacks it (inside entropy-coded
// data 0xFF is always followed by 0x00 or a restart marker, so it cannot
// appear there by chance).
func inspectJPEG(data []byte) (pageInfo, error) {
	info := pageInfo{format: scan.JPEG}
	i := 2
	found := false
	for !found {
		if i+4 > len(data) {
			return info, fmt.Errorf("%w: the JPEG ends in its header", errTruncated)
		}
		if data[i] != 0xff {
			return info, fmt.Errorf("the JPEG is damaged: no marker at byte %d", i)
		}
		m := data[i+1]
		if m == 0xff {
			i++
			continue
		}
		if m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7) {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return info, fmt.Errorf("%w: a JPEG segment runs past the end of the data", errTruncated)
		}
		seg := data[i+4 : i+2+n]
		switch {
		case m == 0xe0 && bytes.HasPrefix(seg, []byte("JFIF\x00")) && len(seg) >= 12:
			x, y := float64(binary.BigEndian.Uint16(seg[8:])), float64(binary.BigEndian.Uint16(seg[10:]))
			if x == y {
				switch seg[7] {
				case 1:
					info.dpi = x
				case 2:
					info.dpi = x * 2.54
				}
			}
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			if len(seg) < 6 {
				return info, errors.New("the JPEG is damaged: short frame header")
			}
			info.bits = int(seg[0])
			info.height = int(binary.BigEndian.Uint16(seg[1:]))
			info.width = int(binary.BigEndian.Uint16(seg[3:]))
			info.components = int(seg[5])
			found = true
		case m == 0xd9 || m == 0xda:
			return info, errors.New("the JPEG is damaged: no frame header")
		}
		i += 2 + n
	}
	if e := bytes.LastIndex(data, []byte{0xff, 0xd9}); e < i || len(data)-e > 4096 {
		return info, fmt.Errorf("%w: the JPEG has no end marker", errTruncated)
	}
	if info.bits != 8 {
		return info, fmt.Errorf("the scanner sent a %d-bit JPEG, which demat does not read: choose another mode", info.bits)
	}
	info.embeddable = info.components == 1 || info.components == 3
	return info, nil
}

// inspectPNG reads the header chunks and checks every chunk's checksum up
// to IEND.
func inspectPNG(data []byte) (pageInfo, error) {
	info := pageInfo{format: scan.PNG}
	var colorType int
	interlaced, transparent, ihdr, end := false, false, false, false
	var damaged error
	err := pngchunk.Walk(data, func(c pngchunk.Chunk) error {
		if !c.Valid() {
			damaged = fmt.Errorf("the PNG is damaged: chunk %q fails its checksum", c.Type)
			return damaged
		}
		switch c.Type {
		case "IHDR":
			if len(c.Data) < 13 {
				damaged = errors.New("the PNG is damaged: short header")
				return damaged
			}
			w, h := binary.BigEndian.Uint32(c.Data), binary.BigEndian.Uint32(c.Data[4:])
			if w > math.MaxInt32 || h > math.MaxInt32 {
				damaged = fmt.Errorf("the scanner sent a %d×%d page: %w", w, h, scan.ErrTooLarge)
				return damaged
			}
			info.width, info.height = int(w), int(h)
			info.bits = int(c.Data[8])
			colorType = int(c.Data[9])
			interlaced = c.Data[12] != 0
			ihdr = true
		case "pHYs":
			if len(c.Data) >= 9 && c.Data[8] == 1 { // pixels per metre
				x, y := binary.BigEndian.Uint32(c.Data), binary.BigEndian.Uint32(c.Data[4:])
				if x == y {
					info.dpi = math.Round(float64(x)*0.0254*10) / 10
				}
			}
		case "tRNS":
			transparent = true
		case "IEND":
			end = true
			return pngchunk.Stop
		}
		return nil
	})
	switch {
	case damaged != nil:
		return info, damaged
	case err != nil:
		// A chunk runs past the end of the data.
		return info, fmt.Errorf("%w: %v", errTruncated, err)
	case !ihdr || !end:
		return info, fmt.Errorf("%w: the PNG stops before its end", errTruncated)
	}
	switch colorType {
	case 0, 3:
		info.components = 1
	case 2:
		info.components = 3
	case 4:
		info.components = 2
	case 6:
		info.components = 4
	}
	// What a PDF takes as Flate with PNG predictors, as scan.PNG says.
	info.embeddable = !interlaced && !transparent && info.bits <= 8 && (colorType == 0 || colorType == 2 || colorType == 3)
	return info, nil
}

// newPage makes the page for a file the device sent. asked is the
// resolution in the settings, regionWidth the width asked in 1/300 inch.
func newPage(data []byte, info pageInfo, asked, regionWidth int, source string) scan.Page {
	dpi, warn := pageDPI(info, asked, regionWidth)
	p := scan.Page{
		Width: info.width, Height: info.height, XDPI: dpi, YDPI: dpi,
		File: data, Source: source,
	}
	if warn != "" {
		p.Warnings = append(p.Warnings, warn)
	}
	format := info.format
	p.Decode = func() (image.Image, error) {
		var img image.Image
		var err error
		if format == scan.PNG {
			img, err = png.Decode(bytes.NewReader(data))
		} else {
			img, err = jpeg.Decode(bytes.NewReader(data))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v: scan the page again", scan.ErrCorrupt, err)
		}
		return img, nil
	}
	if info.embeddable {
		p.Original = &scan.Encoded{Format: format, Data: data, Width: info.width, Height: info.height,
			Components: info.components, BitsPerComponent: info.bits}
	}
	return p
}

// pageDPI returns the page's resolution: the one asked, unless the file
// states another that fits the page better. Devices that scan at another
// resolution than asked (the Canon iR2625 at 300 when asked 600) say so
// in the file; firmware that writes a constant 72 or 96 there is told
// apart by the page width: at the stated resolution the pixels would not
// match the width asked.
func pageDPI(info pageInfo, asked, regionWidth int) (float64, string) {
	said := info.dpi
	if said < 50 || said > 4800 || math.Abs(said-float64(asked)) < 1 || regionWidth <= 0 {
		return float64(asked), ""
	}
	want := float64(regionWidth) / 300 // inches
	offBy := func(dpi float64) float64 { return math.Abs(float64(info.width)/dpi-want) / want }
	if offBy(said) < 0.15 && offBy(said) < offBy(float64(asked)) {
		return said, fmt.Sprintf("scanned at %g dpi although %d was asked", said, asked)
	}
	return float64(asked), ""
}
