package pipeline

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
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

// Mark is what a page says to a split: what detection found on it, or
// what the person who corrected it says.
type Mark struct {
	// Separator is set on a separator sheet.
	Separator *separate.Separator
	// Blank is set on a blank page.
	Blank bool
}

// Look detects on p what a split cuts at: a separator sheet, when sp has
// Rules, and whether p is blank (measured whatever sp cuts at: the back of
// a separator sheet is left out when blank). It decodes p without
// keeping the pixels; a page that does not decode gives the zero Mark. It
// is safe for concurrent use.
func (sp Split) Look(p *scan.Page) Mark { return sp.look(p, true) }

// look is Look; blank says whether to measure blankness.
func (sp Split) look(p *scan.Page, blank bool) Mark {
	img := pixelsOnce(p)
	if img == nil {
		return Mark{}
	}
	dpi := p.YDPI
	if p.GuessedDPI {
		dpi = 0
	}
	opt := separate.Options{Codes: sp.Rules != nil, Patch: sp.Rules != nil && sp.Rules.Patch, Blank: blank, BlankInk: sp.BlankInk}
	f := separate.Detect(img, dpi, opt)
	m := Mark{Blank: f.Blank}
	if sp.Rules != nil {
		if s, ok := sp.Rules.Separator(f); ok {
			m.Separator = &s
		}
	}
	return m
}

// Part is one document of a batch already captured, as Cut groups it.
type Part struct {
	// N numbers the documents of the batch from 1.
	N int
	// Pages are the indexes of its pages in the batch, in order.
	Pages []int
	// Separator is what the separator sheet before it said; nil when
	// none came before it.
	Separator *separate.Separator
}

// Cut groups the pages of a batch already captured, each with its Mark,
// into documents as a streaming split (SplitFiles, SplitScan) cuts them:
// the same cuts, the same pages left out (those in no Part). A mark
// counts only for what sp cuts at: a Separator when sp has Rules, Blank
// when sp.Blank or after a separator sheet.
func (sp Split) Cut(marks []Mark) []Part {
	sp.Progress, sp.Logger = func(Event) {}, slog.New(slog.DiscardHandler)
	c := cutter{sp: sp}
	var parts []Part
	var pending *separate.Separator
	cut := true
	for i, m := range marks {
		d := c.decide(fmt.Sprintf("page %d", i+1), m)
		if d.cut {
			cut, pending = true, d.sep
		}
		if !d.keep {
			continue
		}
		if cut {
			parts = append(parts, Part{N: len(parts) + 1, Separator: pending})
			cut, pending = false, nil
		}
		parts[len(parts)-1].Pages = append(parts[len(parts)-1].Pages, i)
	}
	return parts
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
	var m Mark
	if sp := c.sp; sp.Rules != nil || sp.Blank {
		m = sp.look(p, sp.Blank || c.afterSep)
	}
	d := c.decide(p.Source, m)
	var out []item
	if d.cut {
		out = append(out, item{cut: true, sep: d.sep})
	}
	if d.keep {
		out = append(out, item{page: p})
	}
	return out
}

// decision is what the cutter makes of one page: whether the batch is
// cut before it (and at which separator), and whether it is kept.
type decision struct {
	cut  bool
	sep  *separate.Separator
	keep bool
}

// decide takes the next page, named source, on which m was found.
func (c *cutter) decide(source string, m Mark) decision {
	c.n++
	sp := c.sp
	var d decision
	cut := func(sep *separate.Separator) {
		d.cut, d.sep = true, sep
		c.inDoc = 0
	}
	leave := func(why string) decision {
		sp.Progress(Event{Stage: StageSplit, Page: c.n, Text: fmt.Sprintf("%s: %s, left out", source, why)})
		sp.Logger.Debug("page left out", "page", c.n, "source", source, "why", why)
		return d
	}
	after := c.afterSep
	c.afterSep = false
	switch {
	case after && (sp.Duplex || m.Blank):
		return leave("the back of a separator sheet")
	case sp.Blank && m.Blank:
		cut(nil)
		return leave("blank page (a cut)")
	}
	if s := m.Separator; sp.Rules != nil && s != nil {
		c.afterSep = true
		cut(s)
		what := "separator sheet"
		if s.Code.Text != "" {
			what += fmt.Sprintf(" %q", s.Value)
			if len(sp.Rules.Patterns) > 0 && !s.Matched {
				msg := fmt.Sprintf("%s: separator %q matches no pattern of the configuration: the next document gets no fields from it", source, s.Value)
				sp.Progress(Event{Stage: StageSplit, Page: c.n, Text: source, Warning: msg})
			}
		} else {
			what += " (Patch T)"
		}
		sp.Logger.Debug("separator", "page", c.n, "source", source, "value", s.Value, "fields", s.Fields)
		if !sp.KeepSeparators {
			return leave(what)
		}
		sp.Progress(Event{Stage: StageSplit, Page: c.n, Text: source + ": " + what})
	}
	if sp.Every > 0 && c.inDoc == sp.Every {
		cut(nil)
	}
	c.inDoc++
	d.keep = true
	return d
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

// Describe sets on meta the fields a document's separator sheet gives
// (the metadata keys among them; the others only name the file), and
// returns every field a name template may use: the separator's value and
// fields, and meta's own values where the separator says nothing. A field
// whose value meta refuses is left out, with a warning.
func Describe(sep *separate.Separator, meta *pdf.Metadata) (fields map[string]string, warnings []string) {
	fields = map[string]string{}
	if sep != nil {
		fields["value"] = sep.Value
		for k, v := range sep.Fields {
			fields[k] = v
			if err := meta.Set(k, v); err != nil && !strings.HasPrefix(err.Error(), "unknown metadata key") {
				warnings = append(warnings, fmt.Sprintf("separator %q: %v; the field is left out", sep.Value, err))
			}
		}
	}
	for k, v := range meta.Map() {
		if _, ok := fields[k]; !ok {
			fields[k] = v
		}
	}
	return fields, warnings
}

var placeholder = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_-]*)(?::(\d+))?\}`)

// FileName fills a name template: {n} (the document's number in the
// batch, {n:3} zero-padded to 3 digits) and any field of the document;
// missing lists those the document does not have.
func FileName(tmpl string, n int, fields map[string]string) (name string, missing []string) {
	name = placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		key, width := sub[1], sub[2]
		if key == "n" {
			if width != "" {
				w, _ := strconv.Atoi(width)
				return fmt.Sprintf("%0*d", w, n)
			}
			return strconv.Itoa(n)
		}
		v, ok := fields[key]
		if !ok || v == "" {
			missing = append(missing, key)
			return ""
		}
		return SafeName(v)
	})
	return name, missing
}

// SafeName keeps a field's value from making a path: separators, and the
// characters Windows refuses, become underscores.
func SafeName(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
}

// UnusedName gives out, or when a document of this batch already has
// that name (used) or, unless force, a file is there, the first of
// NAME-2.pdf, NAME-3.pdf… that is free: a batch never overwrites a file
// silently, nor one of its own documents.
func UnusedName(out string, used map[string]bool, force bool) string {
	taken := func(p string) bool {
		if used[p] {
			return true
		}
		if force {
			return false
		}
		_, err := os.Lstat(p)
		return err == nil
	}
	if !taken(out) {
		return out
	}
	ext := filepath.Ext(out)
	stem := strings.TrimSuffix(out, ext)
	for i := 2; ; i++ {
		p := fmt.Sprintf("%s-%d%s", stem, i, ext)
		if !taken(p) {
			return p
		}
	}
}
