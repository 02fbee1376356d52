package scan

import (
	"errors"
	"fmt"
	"image"
)

// Page is one captured page image.
//
// Image holds the decoded pixels. Original, when set, is the same picture in
// the compressed form it arrived in, which a later stage may keep as it is
// instead of compressing the pixels again (a JPEG stays the same JPEG, a G4
// fax image stays G4).
type Page struct {
	Image image.Image
	// XDPI and YDPI are the resolution in pixels per inch.
	XDPI, YDPI float64
	// Original is the page as encoded by its source, or nil.
	Original *Encoded
	// Source names where the page came from, for messages ("a.tif page 3").
	Source string
	// Warnings say what was guessed or fixed on the way in (a resolution
	// that was missing, a transparent background put on white).
	Warnings []string
}

// Format is how an Encoded image is compressed.
type Format int

// Formats a source may hand over as they are.
const (
	// JPEG is a baseline or progressive JFIF/EXIF JPEG file, 1 or 3
	// components.
	JPEG Format = iota + 1
	// CCITTG4 is raw CCITT Group 4 (T.6) data, one strip, MSB first.
	CCITTG4
	// PNG is a non-interlaced PNG without transparency, 1–8 bits per
	// sample, grey, RGB or palette.
	PNG
)

// Encoded is a compressed page image as its source gave it.
type Encoded struct {
	Format Format
	// Data is the whole file for JPEG and PNG, the strip for CCITTG4.
	Data []byte
	// Width and Height in pixels.
	Width, Height int
	// Components is 1 (grey or bi-level) or 3 (RGB); for PNG it counts the
	// samples per pixel of the file (1 for palette images).
	Components int
	// BitsPerComponent is 1 for bi-level images, 8 for most others.
	BitsPerComponent int
	// BlackIs1 is set for CCITTG4 data whose 1 bits are black
	// (TIFF BlackIsZero photometric).
	BlackIs1 bool
}

// Size reports the page size in points (1/72 inch).
func (p Page) Size() (w, h float64) {
	b := p.Image.Bounds()
	return float64(b.Dx()) * 72 / p.XDPI, float64(b.Dy()) * 72 / p.YDPI
}

// Validate checks what every consumer of a Page relies on.
func (p Page) Validate() error {
	if p.Image == nil {
		return fmt.Errorf("%s: no image", p.Source)
	}
	if b := p.Image.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return fmt.Errorf("%s: empty image", p.Source)
	}
	if p.XDPI <= 0 || p.YDPI <= 0 {
		return fmt.Errorf("%s: no resolution", p.Source)
	}
	return nil
}

// Errors every source maps its failures onto. Messages say what to do.
var (
	// ErrNotImage reports a file that is no image format demat reads.
	ErrNotImage = errors.New("not an image demat can read (PNG, JPEG, TIFF or an image-only PDF)")
	// ErrTooLarge reports an image past the pixel limit (a decompression
	// bomb, or a scan at a resolution nobody needs).
	ErrTooLarge = errors.New("image too large")
	// ErrCorrupt reports a file that starts like an image and then breaks.
	ErrCorrupt = errors.New("damaged or truncated image")
)
