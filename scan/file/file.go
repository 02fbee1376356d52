package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/demat-app/demat/internal/natsort"
	"github.com/demat-app/demat/scan"
)

// Options configure reading.
type Options struct {
	// DPI, when set, replaces whatever resolution the files declare.
	DPI float64
	// FallbackDPI is used for files that declare no credible resolution.
	FallbackDPI float64
	// MaxPixels refuses images with more pixels than this, before decoding.
	MaxPixels int64
}

func (o *Options) applyDefaults() {
	if o.FallbackDPI <= 0 {
		// 300 dpi is what scanners and scanning guides default to for text.
		o.FallbackDPI = 300
	}
	if o.MaxPixels <= 0 {
		// An A3 page at 600 dpi is 70 Mpx; 150 Mpx leaves room for A2 and
		// still refuses bombs (a 60000×60000 PNG is 3600 Mpx, 10 GB of RGB).
		o.MaxPixels = 150_000_000
	}
}

// GuessedDPINote is in the warning of a page whose file states no
// resolution, so that a stage that finds the real one can withdraw it.
const GuessedDPINote = "no resolution in the file"

// Credible resolutions: outside this range a file's own value is a default
// written by some software, not a measurement.
const minDPI, maxDPI = 50, 4800

// extensions read from folders; explicit files are sniffed whatever
// their name.
var extensions = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".jpe": true, ".tif": true, ".tiff": true, ".pdf": true}

// Expand turns the inputs (files and folders) into the list of files to
// read, in order: files as given, folders' image files in natural order.
// A missing path is an error naming it.
func Expand(inputs []string) ([]string, error) {
	var out []string
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: no such file or folder: check the path", in)
			}
			return nil, fmt.Errorf("%s: %w", in, err)
		}
		if !st.IsDir() {
			out = append(out, in)
			continue
		}
		ents, err := os.ReadDir(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in, err)
		}
		var names []string
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() || strings.HasPrefix(n, ".") || !extensions[strings.ToLower(filepath.Ext(n))] {
				continue
			}
			names = append(names, n)
		}
		natsort.Sort(names)
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: folder holds no PNG, JPEG, TIFF or PDF file", in)
		}
		for _, n := range names {
			out = append(out, filepath.Join(in, n))
		}
	}
	return out, nil
}

// Read reads every input (files and folders) and calls emit with each page
// in order. It stops at the first error, after emitting the pages that came
// before it; an error from emit is returned as it is.
func Read(ctx context.Context, inputs []string, opt Options, emit func(scan.Page) error) error {
	opt.applyDefaults()
	files, err := Expand(inputs)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := ReadFile(ctx, f, opt, emit); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile reads one file's pages. The format is sniffed from the content,
// not the name.
func ReadFile(ctx context.Context, path string, opt Options, emit func(scan.Page) error) error {
	opt.applyDefaults()
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no such file: check the path", path)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	r := reader{path: path, name: filepath.Base(path), opt: opt, emit: emit}
	switch {
	case len(data) == 0:
		return fmt.Errorf("%s: empty file (0 bytes): scan or copy it again", path)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		err = r.png(data)
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		err = r.jpeg(data)
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		err = r.tiff(ctx, data)
	case bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")):
		err = r.pdf(ctx, data)
	default:
		return fmt.Errorf("%s: %w", path, scan.ErrNotImage)
	}
	return err
}

// reader reads one file.
type reader struct {
	path, name string
	opt        Options
	emit       func(scan.Page) error
}

// fail wraps err with the file (and page, when the file has several).
func (r *reader) fail(page int, err error) error {
	if page > 0 {
		return fmt.Errorf("%s page %d: %w", r.path, page, err)
	}
	return fmt.Errorf("%s: %w", r.path, err)
}

func (r *reader) checkSize(page, w, h int) error {
	if w <= 0 || h <= 0 {
		return r.fail(page, fmt.Errorf("%w: %d×%d pixels", scan.ErrCorrupt, w, h))
	}
	if int64(w)*int64(h) > r.opt.MaxPixels {
		return r.fail(page, fmt.Errorf("%w: %d×%d pixels is over the limit of %d million: scan at a lower resolution or split the image", scan.ErrTooLarge, w, h, r.opt.MaxPixels/1_000_000))
	}
	return nil
}

// resolve picks the page's resolution: forced, else the file's own when
// credible, else the fallback (with a warning on the page).
func (r *reader) resolve(p *scan.Page, xdpi, ydpi float64) {
	switch {
	case r.opt.DPI > 0:
		p.XDPI, p.YDPI = r.opt.DPI, r.opt.DPI
	case credible(xdpi) && credible(ydpi):
		p.XDPI, p.YDPI = tidy(xdpi), tidy(ydpi)
	case credible(xdpi):
		p.XDPI, p.YDPI = tidy(xdpi), tidy(xdpi)
	default:
		p.XDPI, p.YDPI = r.opt.FallbackDPI, r.opt.FallbackDPI
		p.GuessedDPI = true
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s, assumed %g dpi (use --dpi to set it)", p.Source, GuessedDPINote, r.opt.FallbackDPI))
	}
}

func credible(dpi float64) bool { return dpi >= minDPI && dpi <= maxDPI }

// tidy rounds a resolution stored in other units (118.11 px/cm is
// 299.9994 dpi) back to the whole number the scanner was set to.
func tidy(dpi float64) float64 {
	if r := math.Round(dpi); math.Abs(dpi-r) < 0.01 {
		return r
	}
	return dpi
}

func (r *reader) source(page, pages int) string {
	if pages > 1 {
		return fmt.Sprintf("%s page %d", r.name, page)
	}
	return r.name
}
