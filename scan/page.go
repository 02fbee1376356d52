package scan

import (
	"errors"
	"fmt"
	"image"

	"github.com/demat-app/demat/scan/clean"
)

// Page is one captured page image.
//
// Pixels are decoded only when a stage needs them: sources that can leave
// decoding for later set Decode instead of Image, and Pixels decodes once.
// File, when set, is the page as a standalone image file (PNG, JPEG or a
// single-page view of a TIFF) for libraries that read files themselves,
// such as OCR. Original, when set, is the picture in a compressed form a
// PDF can embed as it is (a JPEG stays the same JPEG, a G4 fax page stays
// G4). A Page is owned by one goroutine at a time.
type Page struct {
	// Image holds the decoded pixels, or nil until Pixels is called.
	Image image.Image
	// Decode produces the pixels when Image is nil.
	Decode func() (image.Image, error)
	// Width and Height are the page size in pixels.
	Width, Height int
	// XDPI and YDPI are the resolution in pixels per inch.
	XDPI, YDPI float64
	// GuessedDPI says the source did not know the resolution: XDPI and
	// YDPI are a default. Consumers that can measure it better (OCR,
	// from the size of the text) should.
	GuessedDPI bool
	// File is the page as an image file, or nil.
	File []byte
	// Original is the page as encoded by its source, or nil.
	Original *Encoded
	// Source names where the page came from, for messages ("a.tif page 3").
	Source string
	// Warnings say what was guessed or fixed on the way in (a resolution
	// that was missing, a transparent background put on white).
	Warnings []string
	// Edits, when not nil, are the cleanup edits a person chose for the
	// page, in the pixels of its image (those clean.Auto decided, some
	// maybe taken out, a photo's corners maybe moved): cleanup applies
	// them and decides none of its own, so that an edit a person undid
	// is not done again. An empty, non-nil list keeps the page as it is.
	Edits clean.Edits
}

// Pixels returns the decoded image, decoding it on first use.
func (p *Page) Pixels() (image.Image, error) {
	if p.Image != nil {
		return p.Image, nil
	}
	if p.Decode == nil {
		return nil, fmt.Errorf("%s: no image", p.Source)
	}
	img, err := p.Decode()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Source, err)
	}
	if b := img.Bounds(); b.Dx() != p.Width || b.Dy() != p.Height {
		return nil, fmt.Errorf("%s: %w: decoded %d×%d, header said %d×%d", p.Source, ErrCorrupt, b.Dx(), b.Dy(), p.Width, p.Height)
	}
	p.Image = img
	return img, nil
}

// Size reports the page size in points (1/72 inch).
func (p Page) Size() (w, h float64) {
	return float64(p.Width) * 72 / p.XDPI, float64(p.Height) * 72 / p.YDPI
}

// Validate checks what every consumer of a Page relies on.
func (p Page) Validate() error {
	if p.Image == nil && p.Decode == nil {
		return fmt.Errorf("%s: no image", p.Source)
	}
	if p.Width <= 0 || p.Height <= 0 {
		return fmt.Errorf("%s: empty image", p.Source)
	}
	if p.Image != nil {
		if b := p.Image.Bounds(); b.Dx() != p.Width || b.Dy() != p.Height {
			return fmt.Errorf("%s: image is %d×%d, page says %d×%d", p.Source, b.Dx(), b.Dy(), p.Width, p.Height)
		}
	}
	if p.XDPI <= 0 || p.YDPI <= 0 {
		return fmt.Errorf("%s: no resolution", p.Source)
	}
	return nil
}

// NewPage makes a page from decoded pixels.
func NewPage(img image.Image, xdpi, ydpi float64, source string) Page {
	b := img.Bounds()
	return Page{Image: img, Width: b.Dx(), Height: b.Dy(), XDPI: xdpi, YDPI: ydpi, Source: source}
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
