package file

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"

	"github.com/demat-app/demat/internal/pngchunk"
	"github.com/demat-app/demat/scan"
)

// pngInfo is what a PNG's chunks before the pixels say.
type pngInfo struct {
	width, height int
	depth         int
	colorType     int
	interlaced    bool
	transparent   bool // tRNS chunk
	xdpi, ydpi    float64
}

func parsePNGHeader(data []byte) (pngInfo, error) {
	var info pngInfo
	seenIHDR := false
	err := pngchunk.Walk(data, func(c pngchunk.Chunk) error {
		switch c.Type {
		case "IHDR":
			if len(c.Data) < 13 {
				return fmt.Errorf("%w: short PNG header", scan.ErrCorrupt)
			}
			info.width = int(binary.BigEndian.Uint32(c.Data))
			info.height = int(binary.BigEndian.Uint32(c.Data[4:]))
			info.depth = int(c.Data[8])
			info.colorType = int(c.Data[9])
			info.interlaced = c.Data[12] != 0
			seenIHDR = true
		case "pHYs":
			if len(c.Data) >= 9 && c.Data[8] == 1 { // pixels per metre
				info.xdpi = float64(binary.BigEndian.Uint32(c.Data)) * 0.0254
				info.ydpi = float64(binary.BigEndian.Uint32(c.Data[4:])) * 0.0254
			}
		case "tRNS":
			info.transparent = true
		case "IDAT", "IEND":
			if !seenIHDR {
				return fmt.Errorf("%w: PNG without a header", scan.ErrCorrupt)
			}
			return pngchunk.Stop
		}
		return nil
	})
	switch {
	case errors.Is(err, scan.ErrCorrupt):
		return info, err
	case err != nil:
		return info, fmt.Errorf("%w: %v", scan.ErrCorrupt, err)
	case !seenIHDR:
		return info, fmt.Errorf("%w: PNG ends before its header", scan.ErrCorrupt)
	}
	return info, nil
}

// checkPNG walks every chunk, checking its CRC, up to IEND: a file cut
// short or damaged in transit fails here, before any pixel is decoded.
func checkPNG(data []byte) error {
	complete := false
	err := pngchunk.Walk(data, func(c pngchunk.Chunk) error {
		if !c.Valid() {
			return fmt.Errorf("%w: PNG chunk %q is damaged (checksum): scan or copy the file again", scan.ErrCorrupt, c.Type)
		}
		if c.Type == "IEND" {
			complete = true
			return pngchunk.Stop
		}
		return nil
	})
	if errors.Is(err, scan.ErrCorrupt) {
		return err
	}
	if !complete {
		return fmt.Errorf("%w: the PNG stops before its end: scan or copy the file again", scan.ErrCorrupt)
	}
	return nil
}

// embeddable tells whether a PDF can take the file's compressed pixels as
// they are (Flate with the PNG predictors): no interlacing, no alpha or
// transparency, at most 8 bits per sample.
func (i pngInfo) embeddable() bool {
	if i.interlaced || i.transparent || i.depth > 8 {
		return false
	}
	switch i.colorType {
	case 0, 2, 3: // grey, RGB, palette
		return true
	}
	return false
}

func (r *reader) png(data []byte) error {
	p, err := r.decodePNG(0, 1, data, 0, 0)
	if err != nil {
		return err
	}
	return r.emit(p)
}

// decodePNG decodes one PNG page. xdpi/ydpi, when set, come from a
// container (a PDF page) and win over the file's own.
func (r *reader) decodePNG(page, pages int, data []byte, xdpi, ydpi float64) (scan.Page, error) {
	info, err := parsePNGHeader(data)
	if err != nil {
		return scan.Page{}, r.fail(page, err)
	}
	if err := r.checkSize(page, info.width, info.height); err != nil {
		return scan.Page{}, err
	}
	if err := checkPNG(data); err != nil {
		return scan.Page{}, r.fail(page, err)
	}
	p := scan.Page{
		Width: info.width, Height: info.height, File: data, Source: r.source(page, pages),
		Decode: func() (image.Image, error) {
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("%w: %v: scan or copy the file again", scan.ErrCorrupt, err)
			}
			return img, nil
		},
	}
	if info.embeddable() {
		comps := 1
		if info.colorType == 2 {
			comps = 3
		}
		p.Original = &scan.Encoded{Format: scan.PNG, Data: data, Width: info.width, Height: info.height, Components: comps, BitsPerComponent: info.depth}
	}
	if xdpi == 0 {
		xdpi, ydpi = info.xdpi, info.ydpi
	}
	r.resolve(&p, xdpi, ydpi)
	return p, nil
}
