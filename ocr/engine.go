package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"runtime"
	"strings"
	"time"

	"github.com/demat-app/demat/internal/raster"
)

// Image is one page handed to an Engine: encoded bytes in a format
// Leptonica reads (PNG, JPEG, TIFF, PNM, BMP) and the page's resolution.
// DPI 0 means unknown: the engine uses the file's own, or estimates it
// from the text.
type Image struct {
	Data []byte
	DPI  float64
}

// Engine recognises pages.
//
// Recognize is safe for concurrent use: at most Options.Workers pages are
// recognised at once and other callers wait their turn. Cancelling ctx makes
// Recognize return ctx.Err() at once; the engine finishes the page it was on
// in the background and frees the worker. A page that takes longer than
// Options.PageTimeout gives ErrTimeout: callers treat it as a page without
// text, not as a failed document. Close waits for running recognitions and
// frees every worker; Recognize after Close fails.
type Engine interface {
	Recognize(ctx context.Context, img Image) (*Result, error)
	Close() error
}

// ErrTimeout reports a page whose recognition took longer than
// Options.PageTimeout.
var ErrTimeout = errors.New("ocr: page recognition timed out")

// Options configure an Engine.
type Options struct {
	// Languages are Tesseract language codes, tried together ("fra", "ara").
	Languages []string
	// Workers is the number of pages recognised at once.
	Workers int
	// PageTimeout bounds one page's recognition.
	PageTimeout time.Duration
}

func (o *Options) applyDefaults() {
	if len(o.Languages) == 0 {
		// French and Arabic administrative mail; French's Latin model
		// reads English well enough, and fewer models run faster.
		o.Languages = DefaultLanguages
	}
	if o.Workers <= 0 {
		// Tesseract runs one page on one core once OpenMP is off.
		o.Workers = runtime.NumCPU()
	}
	if o.PageTimeout <= 0 {
		// A dense 600 dpi page takes about a minute on a slow core;
		// five is far past that and still frees a stuck worker.
		o.PageTimeout = 5 * time.Minute
	}
}

// DefaultLanguages is what demat reads when the user does not say.
var DefaultLanguages = []string{"fra", "ara"}

// ParseLanguages splits "fra+ara+eng" into codes, dropping empty ones and
// duplicates.
func ParseLanguages(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '+' || r == ',' || r == ' ' }) {
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return nil, fmt.Errorf("ocr: %q is not a language code (use codes like fra+ara+eng)", l)
			}
		}
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("ocr: no language given (use codes like fra+ara+eng)")
	}
	return out, nil
}

// EncodePNM encodes img as binary PNM (P5 grey or P6 colour), the cheapest
// format to hand to Leptonica: a header and the pixels, no compression.
func EncodePNM(img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if g, ok := img.(*image.Gray); ok {
		return raster.AppendGray(fmt.Appendf(make([]byte, 0, 32+w*h), "P5\n%d %d\n255\n", w, h), g)
	}
	return raster.AppendRGB(fmt.Appendf(make([]byte, 0, 32+3*w*h), "P6\n%d %d\n255\n", w, h), img)
}
