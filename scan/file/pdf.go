package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/demat-app/demat/scan"
)

// quietPDFCPU stops pdfcpu from creating a configuration folder in the
// user's home the first time it runs.
var quietPDFCPU sync.Once

// pdf reads an image-only PDF: each page's image is taken out as it is
// stored when it simply covers the page, and the page is rendered (with
// poppler's pdftocairo, at the image's own resolution) when it does not, or
// when its image is in a format pdfcpu does not decode (JBIG2, JPEG 2000).
func (r *reader) pdf(ctx context.Context, data []byte) error {
	quietPDFCPU.Do(func() { model.ConfigPath = "disable" })
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	pctx, err := api.ReadValidateAndOptimize(bytes.NewReader(data), conf)
	if err != nil {
		msg := err.Error()
		if strings.Contains(strings.ToLower(msg), "encrypt") || strings.Contains(strings.ToLower(msg), "password") {
			return r.fail(0, errors.New("the PDF is encrypted: save an unprotected copy and try again"))
		}
		return r.fail(0, fmt.Errorf("%w: %v", scan.ErrCorrupt, err))
	}
	dims, err := pctx.XRefTable.PageDims()
	if err != nil {
		return r.fail(0, fmt.Errorf("%w: %v", scan.ErrCorrupt, err))
	}
	pages := pctx.PageCount
	for n := 1; n <= pages; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		page := 0
		if pages > 1 {
			page = n
		}
		if len(pdfcpu.FontObjNrs(pctx, n)) > 0 {
			return r.fail(page, errors.New("the page already has text (fonts): demat takes scans, i.e. image-only PDFs; give it the page images instead"))
		}
		stubs, err := pdfcpu.ExtractPageImages(pctx, n, true)
		if err != nil && len(stubs) == 0 {
			return r.fail(page, fmt.Errorf("%w: %v", scan.ErrCorrupt, err))
		}
		var best *model.Image
		for _, im := range stubs {
			if im.Thumb || im.IsImgMask {
				continue
			}
			if best == nil || im.Width*im.Height > best.Width*best.Height {
				im := im
				best = &im
			}
		}
		if best == nil {
			return r.fail(page, errors.New("the page has no image: demat takes scans, i.e. image-only PDFs"))
		}
		if err := r.checkSize(page, best.Width, best.Height); err != nil {
			return err
		}
		_, _, attrs, err := pctx.XRefTable.PageDict(n, false)
		if err != nil {
			return r.fail(page, fmt.Errorf("%w: %v", scan.ErrCorrupt, err))
		}
		// The image lies on the page before /Rotate turns it: measure it
		// against the unturned page (PageDims gives the turned one).
		pw, ph := dims[n-1].Width, dims[n-1].Height
		if attrs.Rotate%180 != 0 {
			pw, ph = ph, pw
		}
		xdpi, ydpi := float64(best.Width)*72/pw, float64(best.Height)*72/ph
		square := math.Abs(xdpi-ydpi) <= 0.01*xdpi // the image simply covers the page
		if !square {
			// Turned by the page's drawing instructions instead: the
			// image's width runs along the page's height.
			if x, y := float64(best.Width)*72/ph, float64(best.Height)*72/pw; math.Abs(x-y) <= 0.01*x {
				xdpi, ydpi = x, y
			}
		}
		simple := len(stubs) == 1 && !best.HasSMask && !best.HasImgMask && attrs.Rotate%360 == 0 && square
		var p scan.Page
		if simple {
			p, err = r.pdfImage(pctx, n, page, pages, best.ObjNr, xdpi, ydpi)
		}
		if !simple || errors.Is(err, errRender) {
			p, err = r.renderPage(ctx, n, page, pages, math.Max(xdpi, ydpi), best.Comp == 1, best.Bpc == 1)
		}
		if err != nil {
			return err
		}
		if err := r.emit(p); err != nil {
			return err
		}
	}
	return nil
}

// errRender says an image has to be rendered rather than taken out.
var errRender = errors.New("render the page")

// pdfImage takes one page's image out of the PDF.
func (r *reader) pdfImage(pctx *model.Context, n, page, pages, objNr int, xdpi, ydpi float64) (scan.Page, error) {
	imgs, err := pdfcpu.ExtractPageImages(pctx, n, false)
	im, ok := imgs[objNr]
	if err != nil || !ok || im.Reader == nil {
		return scan.Page{}, errRender
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(im.Reader); err != nil {
		return scan.Page{}, errRender
	}
	switch im.FileType {
	case "jpg":
		return r.decodeJPEG(page, pages, buf.Bytes(), xdpi, ydpi)
	case "png":
		return r.decodePNG(page, pages, buf.Bytes(), xdpi, ydpi)
	}
	return scan.Page{}, errRender
}

// renderPage rasterises one page with poppler's pdftocairo (which reads
// the file itself: it takes no PDF on standard input). Cairo, unlike
// poppler's own Splash renderer (pdftoppm), draws an image at its own
// resolution pixel for pixel: Splash smoothed a bi-level page's strokes,
// changing 2% of its pixels and costing a point of word recall.
func (r *reader) renderPage(ctx context.Context, n, page, pages int, dpi float64, grey, mono bool) (scan.Page, error) {
	if _, err := exec.LookPath("pdftocairo"); err != nil {
		return scan.Page{}, r.fail(page, errors.New("reading this PDF needs pdftocairo: run make deps, or apt-get install poppler-utils"))
	}
	dpi = math.Round(dpi)
	args := []string{"-png", "-singlefile", "-r", strconv.Itoa(int(dpi)), "-f", strconv.Itoa(n), "-l", strconv.Itoa(n)}
	switch {
	case mono:
		// A bi-level scan (JBIG2, most often) stays bi-level.
		args = append(args, "-mono")
	case grey:
		args = append(args, "-gray")
	}
	args = append(args, r.path, "-") // the image goes to stdout
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "pdftocairo", args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return scan.Page{}, ctx.Err()
		}
		return scan.Page{}, r.fail(page, fmt.Errorf("%w: pdftocairo: %v %s", scan.ErrCorrupt, err, strings.TrimSpace(stderr.String())))
	}
	p, err := r.decodePNG(page, pages, out.Bytes(), dpi, dpi)
	if err != nil || !mono {
		return p, err
	}
	// The rendering is a PNG of two levels: give it as grey pixels, which
	// the PDF stage stores one bit per pixel, rather than as that PNG.
	decode := p.Decode
	p.Original = nil
	p.Decode = func() (image.Image, error) {
		img, err := decode()
		if err != nil {
			return nil, err
		}
		g := image.NewGray(img.Bounds())
		draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
		return g, nil
	}
	return p, nil
}
