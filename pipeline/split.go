package pipeline

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"sync"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/file"
	"github.com/demat-app/demat/scan/separate"
)

// StageSplit is the stage of the events that say where a batch was cut
// (a separator sheet, a blank page).
const StageSplit Stage = "split"

// Split says how a batch is cut into documents. Several ways may be
// combined; the zero value cuts nothing (one document).
type Split struct {
	// Rules, when set, cut at separator sheets (a code they accept, or
	// Patch T when they say so).
	Rules *separate.Rules
	// Blank cuts at blank pages, which are left out.
	Blank bool
	// Every cuts after every so many pages (0: never).
	Every int
	// KeepSeparators keeps each separator sheet as the first page of the
	// document it starts; by default it is left out.
	KeepSeparators bool
	// Duplex says pages come in sides of sheets: the page after a
	// separator sheet is its back, and is left out with it whatever it
	// shows. Otherwise it is left out only when blank.
	Duplex bool
	// BlankInk is the blank-page threshold (see clean.Options.BlankInk).
	BlankInk float64
	// Progress, when set, is told of each cut and each page left out, as
	// a StageSplit event (a Warning for a code no pattern matches).
	Progress func(Event)
	Logger   *slog.Logger
}

// Document is one document cut from a batch. Its pages are read once, by
// Write.
type Document struct {
	// N numbers the documents of the batch from 1.
	N int
	// Separator is what the separator sheet before the document said;
	// nil when none came before it.
	Separator *separate.Separator
	// First names the document's first page ("scan page 4", "a.tif").
	First string

	b     *batch
	first *scan.Page
	next  *item // the cut that ended the document, for the batch
	used  bool
}

// item is a page, or a cut, on its way from the reader to a document.
type item struct {
	page *scan.Page
	cut  bool
	sep  *separate.Separator
}

// batch is the state the documents of one batch share. It is owned by
// the goroutine that called SplitFiles or SplitScan.
type batch struct {
	items   <-chan item
	srcErr  error // set by the reader before it closes items
	keep    bool
	engine  ocr.Engine
	startup sync.Once
	engErr  error
}

// SplitFiles reads the inputs as Process does, cuts their pages into
// documents as sp says, and calls each with every document, in order,
// one at a time; each writes it (Document.Write) under the name it
// chooses, signs it, sends it… An error from each stops the batch and is
// returned; the documents before it stay written.
func SplitFiles(ctx context.Context, inputs []string, dpi float64, sp Split, each func(context.Context, *Document) error) error {
	files, err := file.Expand(inputs)
	if err != nil {
		return err
	}
	read := func(ctx context.Context, emit func(scan.Page) error) error {
		return file.Read(ctx, files, file.Options{DPI: dpi}, emit)
	}
	return split(ctx, read, false, sp, each)
}

// SplitScan runs one scan job on dev and cuts its pages into documents
// as SplitFiles does, while the feeder keeps going: pages wait between
// the scanner and the document being written, up to a bound, rather than
// hold the scanner up. When the device fails after some pages, the
// document it was in is written with them (Document.Write returns its
// Result and a *SourceError), and SplitScan returns the device's error.
func SplitScan(ctx context.Context, src scan.Source, dev scan.Device, sopt scan.Options, dpi float64, sp Split, each func(context.Context, *Document) error) error {
	read := func(ctx context.Context, emit func(scan.Page) error) error {
		return src.Scan(ctx, dev, sopt, func(p scan.Page) error {
			if dpi > 0 {
				p.XDPI, p.YDPI, p.GuessedDPI = dpi, dpi, false
			}
			return emit(p)
		})
	}
	return split(ctx, read, true, sp, each)
}

func split(ctx context.Context, read readFunc, keep bool, sp Split, each func(context.Context, *Document) error) error {
	if sp.Progress == nil {
		sp.Progress = func(Event) {}
	}
	if sp.Logger == nil {
		sp.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Pages in flight hold their files, not their pixels; a scanner
	// must not wait for the document before to be written.
	window := 16
	if keep {
		window = 64
	}
	items := make(chan item, window)
	b := &batch{items: items, keep: keep}
	defer func() {
		if b.engine != nil {
			b.engine.Close()
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(items)
		c := cutter{sp: sp}
		err := read(ctx, func(p scan.Page) error {
			for _, it := range c.page(&p) {
				select {
				case items <- it:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
		b.srcErr = err
	}()
	stop := func() {
		cancel()
		for range items {
		}
		<-done
	}

	var pending *separate.Separator
	n := 0
	for {
		var it item
		var ok bool
		select {
		case it, ok = <-items:
		case <-ctx.Done():
			stop()
			return context.Cause(ctx)
		}
		if !ok {
			break
		}
		for it.cut {
			pending = it.sep
			if it, ok = <-items; !ok {
				break
			}
		}
		if !ok {
			break
		}
		n++
		d := &Document{N: n, Separator: pending, First: it.page.Source, b: b, first: it.page}
		pending = nil
		err := each(ctx, d)
		if err != nil {
			stop()
			return err
		}
		if !d.used {
			// each did not write the document: its pages are passed
			// over up to the next cut.
			d.next = d.skip()
		}
		if d.next == nil {
			break
		}
		pending = d.next.sep
	}
	<-done
	// Whether or not a document got it (it did when the source failed
	// in the middle of one), the source's error ends the batch.
	return b.srcErr
}

// skip passes over the rest of a document's pages, and gives the cut
// that ends it (nil at the end of the batch).
func (d *Document) skip() *item {
	for it := range d.b.items {
		if it.cut {
			return &it
		}
	}
	return nil
}

// read delivers the document's pages: the first, then those that come
// before the next cut, or the end of the batch, where the source's error
// (a jam) is the document's.
func (d *Document) read(ctx context.Context, emit func(scan.Page) error) error {
	if d.used {
		return fmt.Errorf("document %d: its pages were already read", d.N)
	}
	d.used = true
	p := d.first
	d.first = nil
	if err := emit(*p); err != nil {
		return err
	}
	for {
		select {
		case it, ok := <-d.b.items:
			if !ok {
				return d.b.srcErr
			}
			if it.cut {
				d.next = &it
				return nil
			}
			if err := emit(*it.page); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Write recognises the document's pages and writes them to out as
// Process does (see Scan for a source that fails midway). The documents
// of a batch share one OCR engine, unless opt gives one.
func (d *Document) Write(ctx context.Context, out string, opt Options) (*Result, error) {
	if opt.Engine == nil {
		langs := opt.Languages
		if len(langs) == 0 {
			langs = ocr.DefaultLanguages
		}
		d.b.startup.Do(func() {
			d.b.engine, d.b.engErr = ocr.NewTesseract(ocr.Options{Languages: langs, Workers: opt.Jobs})
		})
		if d.b.engErr != nil {
			return nil, d.b.engErr
		}
		opt.Engine = d.b.engine
	}
	return build(ctx, d.read, out, opt, d.b.keep)
}

// cutter decides, page by page on the reader's goroutine, where the
// batch is cut. Detection decodes the page and lets the pixels go: the
// page waits for its document as its file.
type cutter struct {
	sp       Split
	inDoc    int  // pages of the current document so far
	afterSep bool // the page before was a separator sheet
	n        int  // pages read
}

// page gives what to hand on for p: nothing (a page left out), the page,
// or a cut and the page.
func (c *cutter) page(p *scan.Page) []item {
	c.n++
	sp := c.sp
	var out []item
	cut := func(sep *separate.Separator) {
		out = append(out, item{cut: true, sep: sep})
		c.inDoc = 0
	}
	leave := func(why string) []item {
		sp.Progress(Event{Stage: StageSplit, Page: c.n, Text: fmt.Sprintf("%s: %s, left out", p.Source, why)})
		sp.Logger.Debug("page left out", "page", c.n, "source", p.Source, "why", why)
		return out
	}
	after := c.afterSep
	c.afterSep = false
	if sp.Rules != nil || sp.Blank {
		opt := separate.Options{Codes: sp.Rules != nil, Patch: sp.Rules != nil && sp.Rules.Patch, Blank: sp.Blank || after, BlankInk: sp.BlankInk}
		if img := pixelsOnce(p); img != nil {
			dpi := p.YDPI
			if p.GuessedDPI {
				dpi = 0
			}
			f := separate.Detect(img, dpi, opt)
			switch {
			case after && (sp.Duplex || f.Blank):
				return leave("the back of a separator sheet")
			case sp.Blank && f.Blank:
				cut(nil)
				return leave("blank page (a cut)")
			}
			if sp.Rules != nil {
				if s, ok := sp.Rules.Separator(f); ok {
					c.afterSep = true
					cut(&s)
					what := "separator sheet"
					if s.Code.Text != "" {
						what += fmt.Sprintf(" %q", s.Value)
						if len(sp.Rules.Patterns) > 0 && !s.Matched {
							m := fmt.Sprintf("%s: separator %q matches no pattern of the configuration: the next document gets no fields from it", p.Source, s.Value)
							sp.Progress(Event{Stage: StageSplit, Page: c.n, Text: p.Source, Warning: m})
						}
					} else {
						what += " (Patch T)"
					}
					sp.Logger.Debug("separator", "page", c.n, "source", p.Source, "value", s.Value, "fields", s.Fields)
					if !sp.KeepSeparators {
						return leave(what)
					}
					sp.Progress(Event{Stage: StageSplit, Page: c.n, Text: p.Source + ": " + what})
				}
			}
		}
	}
	if sp.Every > 0 && c.inDoc == sp.Every {
		cut(nil)
	}
	c.inDoc++
	return append(out, item{page: p})
}

// pixelsOnce decodes a page for detection without keeping the pixels in
// it; nil when it does not decode (the document's build then says why).
func pixelsOnce(p *scan.Page) image.Image {
	if p.Image != nil {
		return p.Image
	}
	if p.Decode == nil {
		return nil
	}
	img, err := p.Decode()
	if err != nil {
		return nil
	}
	return img
}
