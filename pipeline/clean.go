package pipeline

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
	"github.com/demat-app/demat/scan/file"
)

// cleaner straightens, turns and crops pages before OCR. It is shared by
// the workers: OSD is safe for concurrent use and the rest is read-only.
type cleaner struct {
	opt clean.Options
	osd *ocr.OSD // nil when orientation is not detected
}

func newCleaner(opt Options) (*cleaner, error) {
	if opt.NoClean {
		return nil, nil
	}
	c := &cleaner{opt: opt.Clean}
	if !opt.Clean.NoOrient {
		osd, err := ocr.NewOSD(opt.Jobs)
		if err != nil {
			return nil, fmt.Errorf("page orientation: %w", err)
		}
		c.osd = osd
	}
	return c, nil
}

func (c *cleaner) close() {
	if c != nil && c.osd != nil {
		c.osd.Close()
	}
}

// clean decides and applies the automatic edits of a page. A page that
// needs none keeps its original file untouched (a JPEG stays the same
// JPEG, a G4 page stays G4); an edited page is rendered from its original
// and handed on as pixels (black and white staying black and white), which
// the PDF stage encodes by what the page holds. OCR reads the page that
// goes into the PDF, so the text layer stays on the words. A page whose
// edits a person chose (scan.Page.Edits) gets those, see chosen.
func (c *cleaner) clean(ctx context.Context, j *job) error {
	if c == nil {
		return nil
	}
	p := &j.page
	img, dpi, err := pixels(p)
	if err != nil {
		return err
	}
	if p.Edits != nil {
		return c.chosen(ctx, j, img, dpi)
	}
	opt := c.opt
	if c.osd != nil {
		// Only a page lying on its side is worth detecting before OCR;
		// an upside-down one is caught after (see check).
		opt.OrientSideways = true
		opt.Orient = func(img image.Image, dpi float64) (int, float64, error) {
			o, err := c.detect(ctx, img, dpi)
			return o.Turns, o.Confidence, err
		}
	}
	edits, rep := clean.Auto(img, dpi, opt)
	if err := ctx.Err(); err != nil {
		return err
	}
	c.apply(j, img, edits, rep, func(w clean.Warning) bool {
		return w == clean.WarnSkewed && !opt.NoDeskew // corrected: nothing for a person to do
	})
	return nil
}

// chosen applies the edits a person chose for a page (see
// scan.Page.Edits) and decides none: no step is done again that the
// person undid. The page is still measured, as Auto measures it with
// every step that moves pixels left out (a photo flattened from the
// corners of the person's Perspective edit, so that its resolution is
// the one that edit gives): the quality warnings and how the PDF stores
// the page come from those measures. A page left crooked keeps its
// warning; one the person turned loses the warning that it lies on its
// side.
func (c *cleaner) chosen(ctx context.Context, j *job, img image.Image, dpi float64) error {
	p := &j.page
	edits := p.Edits
	p.Edits = nil // applied below: the page handed on carries none
	opt := c.opt
	opt.NoDeskew, opt.NoOrient, opt.NoCrop, opt.Binarize = true, true, true, false
	opt.Orient, opt.Photo, opt.Corners = nil, false, nil
	deskewed, turns := false, 0
	for _, e := range edits {
		switch e.Kind {
		case clean.Perspective:
			corners := e.Corners
			opt.Corners = &corners
		case clean.Deskew:
			deskewed = true
		case clean.Rotate:
			turns += e.Turns
		}
	}
	_, rep := clean.Auto(img, dpi, opt)
	if err := ctx.Err(); err != nil {
		return err
	}
	rep.Turns = turns & 3
	c.apply(j, img, edits, rep, func(w clean.Warning) bool {
		return w == clean.WarnSkewed && deskewed || w == clean.WarnSideways && turns&1 == 1
	})
	return nil
}

// apply records a page's edits and report on its job, adds the report's
// warnings but those fixed says were dealt with, and renders the page
// when there are edits.
func (c *cleaner) apply(j *job, img image.Image, edits clean.Edits, rep clean.Report, fixed func(clean.Warning) bool) {
	p := &j.page
	j.edits, j.report = edits, &rep
	if rep.Photo && p.GuessedDPI {
		// A flattened photo gets its resolution from the paper size it
		// shows: the guess the reader warned about no longer applies.
		j.warn = slices.DeleteFunc(j.warn, func(w string) bool { return strings.Contains(w, file.GuessedDPINote) })
	}
	for _, w := range rep.Warnings {
		if !fixed(w) {
			j.warn = append(j.warn, fmt.Sprintf("%s: %s", p.Source, w))
		}
	}
	if len(edits) > 0 {
		render(p, img, edits, rep)
	}
}

// render replaces the page's image by what edits make of img (see clean).
func render(p *scan.Page, img image.Image, edits clean.Edits, rep clean.Report) {
	out := clean.Render(img, edits)
	orig := p.Original
	b := out.Bounds()
	p.Image, p.Decode, p.File, p.Original = out, nil, nil, nil
	p.Width, p.Height = b.Dx(), b.Dy()
	if rep.Photo {
		p.XDPI, p.YDPI, p.GuessedDPI = rep.DPI, rep.DPI, false
	}
	if orig != nil && orig.BitsPerComponent == 1 {
		// Interpolation greys the edges of a black-and-white page:
		// back to two levels, so that it stays 1-bit in the PDF.
		p.Image = clean.Threshold(out)
	}
}

// Text read upside down gets a mean word confidence around 40–55 from
// Tesseract, upright text 85–95 (measured on corpus pages turned 180°).
// Below lowConfidence a recognised page is checked for orientation.
const lowConfidence = 70

// orientConfidence is the OSD confidence from which a turn is believed:
// right answers score 4–35, wrong ones under 1.5.
const orientConfidence = 2

// check looks again at a page whose text was read with low confidence:
// if orientation detection finds it upside down (or on its side), the page
// is turned and read again, and the better reading kept. Detecting every
// page's orientation up front would cost most of a recognition per page;
// this costs nothing on upright pages, and pages lying on their side are
// already turned by clean, which sees their lines run up and down.
func (c *cleaner) check(ctx context.Context, engine ocr.Engine, j *job) error {
	if c == nil || c.osd == nil || j.text == nil {
		return nil
	}
	conf, words := j.text.MeanConfidence()
	if words < 5 || conf >= lowConfidence {
		return nil
	}
	p := &j.page
	img, dpi, err := pixels(p)
	if err != nil {
		return err
	}
	o, err := c.detect(ctx, img, dpi)
	if err != nil || o.Turns == 0 || o.Confidence < orientConfidence {
		return ctx.Err()
	}
	turned := *j
	turned.page = *p
	turn := clean.Edit{Kind: clean.Rotate, Auto: true, Turns: o.Turns}
	rep := clean.Report{}
	if j.report != nil {
		rep = *j.report
	}
	rep.Photo = false // the resolution is already the page's
	render(&turned.page, img, clean.Edits{turn}, rep)
	if err := recognise(ctx, engine, &turned); err != nil {
		return err
	}
	if turned.text == nil {
		return nil
	}
	if tc, _ := turned.text.MeanConfidence(); tc <= conf {
		return nil
	}
	turned.edits = append(append(clean.Edits(nil), j.edits...), turn)
	if j.report != nil {
		r := *j.report
		r.Turns = (r.Turns + o.Turns) & 3
		turned.report = &r
	}
	*j = turned
	return nil
}

// pixels decodes a page and gives the resolution to analyse it at (see
// knownDPI).
func pixels(p *scan.Page) (image.Image, float64, error) {
	img, err := p.Pixels()
	if err != nil {
		return nil, 0, err
	}
	return img, knownDPI(p), nil
}

// detect asks orientation detection about img.
func (c *cleaner) detect(ctx context.Context, img image.Image, dpi float64) (ocr.Orientation, error) {
	return c.osd.Detect(ctx, ocr.Image{Data: ocr.EncodePNM(img), DPI: dpi})
}
