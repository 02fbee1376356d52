package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/demat-app/demat/internal/stamp"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
	"github.com/demat-app/demat/scan/file"
)

// Options configure Process.
type Options struct {
	// Languages for OCR; ocr.DefaultLanguages when empty.
	Languages []string
	// Jobs is the number of pages recognised at once (default: cores).
	Jobs int
	// DPI forces the resolution of every input page; 0 reads it from the
	// files.
	DPI float64
	// Sidecar, when set, receives the recognised text, pages separated by
	// a form feed, written as atomically as the PDF.
	Sidecar string
	// ALTO and HOCR, when set, are folders that receive each page's text
	// as ALTO 4 XML (NAME-0001.xml…) and as hOCR (NAME-0001.hocr…),
	// written as atomically as the PDF.
	ALTO, HOCR string
	// Name is the document's name: its default title, and NAME above. By
	// default, the output's file name without its extension (a caller
	// that writes to a temporary file first gives the final one's).
	Name string
	// Force allows replacing existing output files.
	Force bool
	// PDF describes the document; its title defaults to the output's
	// name, its language to the first OCR language's.
	PDF pdf.Options
	// Image chooses how page images are stored (its Report is each
	// page's own, from cleanup): by what each page holds, unless NoClean.
	Image pdf.ImageOptions
	// Progress, when set, is called with each event; calls never overlap
	// (they may come from different goroutines) and must return quickly.
	Progress func(Event)
	// NoClean turns page cleanup off: pages go to OCR and into the PDF as
	// they came.
	NoClean bool
	// Clean chooses the cleanup steps (the zero value does them all but
	// perspective correction, which Clean.Photo asks for).
	Clean clean.Options
	// RemoveBlank drops the pages cleanup finds blank, with a warning for
	// each; by default they are kept, with a warning.
	RemoveBlank bool
	// Stamp, when set, is drawn on the first page: the arrival stamp,
	// where it covers no text (see stamp.Apply).
	Stamp *stamp.Stamp
	// Engine, when set, is used instead of starting Tesseract (the caller
	// keeps ownership). Tests use it to inject faults.
	Engine ocr.Engine
	Logger *slog.Logger
}

func (o *Options) applyDefaults(out string) {
	if len(o.Languages) == 0 {
		o.Languages = ocr.DefaultLanguages
	}
	if o.Jobs <= 0 {
		// One Tesseract per core: OpenMP is off, so a page uses one.
		o.Jobs = runtime.NumCPU()
	}
	if o.Name == "" {
		o.Name = strings.TrimSuffix(filepath.Base(out), filepath.Ext(out))
	}
	if o.PDF.Meta.Title == "" {
		o.PDF.Meta.Title = o.Name
	}
	if o.PDF.Meta.Language == "" {
		o.PDF.Meta.Language = LangTag(o.Languages[0])
	}
	if o.Progress == nil {
		o.Progress = func(Event) {}
	}
	// Pages are reported as read by the reader and as written by the
	// assembler: serialise the calls.
	report, mu := o.Progress, new(sync.Mutex)
	o.Progress = func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		report(e)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Result sums up a finished document.
type Result struct {
	Output string
	Pages  int
	// Dropped counts the blank pages left out (Options.RemoveBlank).
	Dropped  int
	Words    int
	Warnings []string
	Elapsed  time.Duration
	// Stamp is where the arrival stamp went (Options.Stamp), on the
	// first page; nil without one.
	Stamp *stamp.Placement
}

// ErrExists reports an output file that is already there.
var ErrExists = errors.New("already exists: choose another name, or use --force to replace it")

// job is one page on its way through the pipeline. It belongs to the
// reader, then to one worker, then to the assembler.
type job struct {
	n      int // 0-based page index
	page   scan.Page
	edits  clean.Edits   // what cleanup did to the page
	report *clean.Report // what cleanup measured, nil without cleanup
	drop   bool          // a blank page to leave out
	cost   int           // pixels counted by the queue while recognised
	image  *pdf.Image    // the page image as it goes into the PDF
	text   *ocr.Result
	warn   []string
	ink    *stamp.InkMap // where the page is dark, for the stamp; nil unless mapsInk
}

// Process reads every input, recognises each page and writes one
// searchable PDF to out. On any error nothing is left at out (nor at the
// sidecar path) and the error names the input and what to do: the inputs
// are still on disk, so nothing is lost.
func Process(ctx context.Context, inputs []string, out string, opt Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files, err := file.Expand(inputs)
	if err != nil {
		return nil, err
	}
	read := func(ctx context.Context, emit func(scan.Page) error) error {
		return file.Read(ctx, files, file.Options{DPI: opt.DPI}, emit)
	}
	return build(ctx, read, out, opt, false)
}

// Scan runs one scan job on dev and writes its pages as one searchable
// PDF to out, recognising each page while the next is being scanned.
//
// A scanned page exists nowhere else, so when the device fails after some
// pages (a jam at page 7), those pages are recognised and written to out
// all the same, and Scan returns the Result with a *SourceError saying
// after which page the device failed and why. When it fails before the
// first page, nothing is written.
func Scan(ctx context.Context, src scan.Source, dev scan.Device, sopt scan.Options, out string, opt Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	read := func(ctx context.Context, emit func(scan.Page) error) error {
		return src.Scan(ctx, dev, sopt, func(p scan.Page) error {
			if opt.DPI > 0 {
				p.XDPI, p.YDPI, p.GuessedDPI = opt.DPI, opt.DPI, false
			}
			return emit(p)
		})
	}
	return build(ctx, read, out, opt, true)
}

// SourceError reports a source that failed after delivering Pages pages
// (at least one), which were written.
type SourceError struct {
	Pages int
	Err   error
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("stopped after page %d: %v (the %d pages scanned before are in the PDF)", e.Pages, e.Err, e.Pages)
}

func (e *SourceError) Unwrap() error { return e.Err }

// readFunc delivers pages in order, as scan.Source.Scan does.
type readFunc func(ctx context.Context, emit func(scan.Page) error) error

// build recognises the pages read delivers and writes them to out. With
// keep, a failure of read after some pages still writes those pages (see
// Scan).
func build(ctx context.Context, read readFunc, out string, opt Options, keep bool) (*Result, error) {
	start := time.Now()
	opt.applyDefaults(out)
	for _, p := range []string{out, opt.Sidecar} {
		if p == "" || opt.Force {
			continue
		}
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s: %w", p, ErrExists)
		}
	}

	engine := opt.Engine
	if engine == nil {
		var err error
		engine, err = ocr.NewTesseract(ocr.Options{Languages: opt.Languages, Workers: opt.Jobs})
		if err != nil {
			return nil, err
		}
		defer engine.Close()
	}

	pdfOut, err := newAtomicFile(out)
	if err != nil {
		return nil, err
	}
	defer pdfOut.discard()
	var textOut *atomicFile
	if opt.Sidecar != "" {
		if textOut, err = newAtomicFile(opt.Sidecar); err != nil {
			return nil, err
		}
		defer textOut.discard()
	}
	var exports []*export
	for _, e := range []struct {
		dir, ext string
		write    func(io.Writer, *ocr.Result, ocr.PageInfo) error
	}{{opt.ALTO, ".xml", ocr.WriteALTO}, {opt.HOCR, ".hocr", ocr.WriteHOCR}} {
		if e.dir == "" {
			continue
		}
		write := e.write
		x, err := newExport(e.dir, opt.Name, e.ext, func(b *bytes.Buffer, r *ocr.Result, p ocr.PageInfo) error { return write(b, r, p) }, opt.Force)
		if err != nil {
			return nil, err
		}
		defer x.discard()
		exports = append(exports, x)
	}
	w, err := pdf.NewWriter(pdfOut, opt.PDF)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", out, err)
	}

	res := &Result{Output: out}
	cl, err := newCleaner(opt)
	if err != nil {
		return nil, err
	}
	defer cl.close()
	srcErr, err := run(ctx, read, keep, engine, cl, opt, func(j *job) error {
		if j.drop {
			res.Dropped++
			m := fmt.Sprintf("%s: blank page left out (--remove-blank)", j.page.Source)
			res.Warnings = append(res.Warnings, m)
			opt.Progress(Event{Stage: StageWrite, Page: j.n + 1, Done: res.Pages, Warning: m})
			return nil
		}
		pw, ph := j.page.Size()
		var overlay *pdf.Overlay
		if opt.Stamp != nil && res.Pages == 0 {
			ov, pl, warn, err := stampPage(opt.Stamp, j, pw, ph)
			if err != nil {
				return err
			}
			overlay, res.Stamp = ov, pl
			if warn != "" {
				j.warn = append(j.warn, warn)
			}
		}
		if err := w.AddEncodedPage(j.image, pw, ph, j.text, overlay); err != nil {
			return fmt.Errorf("%s: %w", out, err)
		}
		if textOut != nil {
			var b []byte
			if j.n > 0 {
				b = append(b, '\f')
			}
			if j.text != nil {
				b = append(b, j.text.Text()...)
			}
			if _, err := textOut.Write(b); err != nil {
				return fmt.Errorf("%s: %w", opt.Sidecar, err)
			}
		}
		res.Pages++
		for _, x := range exports {
			info := ocr.PageInfo{Image: j.page.Source, Number: res.Pages, Software: "demat",
				Version: strings.TrimPrefix(opt.PDF.Producer, "demat "), Languages: opt.Languages}
			if err := x.page(j.text, info); err != nil {
				return err
			}
		}
		if j.text != nil {
			res.Words += j.text.WordCount()
		}
		for _, m := range j.warn {
			res.Warnings = append(res.Warnings, m)
			opt.Progress(Event{Stage: StageWrite, Page: j.n + 1, Done: res.Pages, Warning: m})
		}
		opt.Progress(Event{Stage: StageWrite, Page: j.n + 1, Done: res.Pages, Text: j.page.Source})
		words := 0
		if j.text != nil {
			words = j.text.WordCount()
		}
		attrs := []any{"doc", out, "page", j.n + 1, "source", j.page.Source,
			"width", j.page.Width, "height", j.page.Height, "dpi", j.page.YDPI, "words", words,
			"stored_as", j.image.Kind, "bytes", j.image.Size()}
		if j.report != nil {
			attrs = append(attrs, "tone", j.report.Tone.String(), "pictures", j.report.Pictures)
		}
		opt.Logger.Debug("page written", attrs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if srcErr != nil && res.Pages == 0 {
		return nil, srcErr
	}
	if res.Pages == 0 {
		if res.Dropped > 0 {
			return nil, fmt.Errorf("%s: every page was blank (%d left out); nothing was written: check the scan, or leave out --remove-blank", out, res.Dropped)
		}
		return nil, fmt.Errorf("%s: no page to write", out)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w", out, err)
	}
	if textOut != nil {
		if err := textOut.commit(opt.Force); err != nil {
			return nil, err
		}
	}
	for _, x := range exports {
		if err := x.commit(opt.Force); err != nil {
			return nil, err
		}
	}
	if err := pdfOut.commit(opt.Force); err != nil {
		if textOut != nil {
			os.Remove(opt.Sidecar)
		}
		for _, x := range exports {
			for _, n := range x.names {
				os.Remove(filepath.Join(x.dir, n))
			}
		}
		return nil, err
	}
	res.Elapsed = time.Since(start)
	opt.Progress(Event{Stage: StageDone, Done: res.Pages, Total: res.Pages, Text: out})
	if srcErr != nil {
		return res, &SourceError{Pages: res.Pages, Err: srcErr}
	}
	return res, nil
}

// run streams pages from read through OCR to write, which is called in
// page order on the calling goroutine. At most a fixed window of pages is
// between reading and writing at any time. With keep, an error of read
// itself does not stop the pages read before it: they are written, and
// the error is returned as srcErr.
func run(ctx context.Context, read readFunc, keep bool, engine ocr.Engine, cl *cleaner, opt Options, write func(*job) error) (srcErr error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A page in flight holds its file, its encoded image and its text, not
	// its pixels, so the window can be wide enough that one slow page does
	// not leave the other workers idle while pages after it wait for it.
	window := max(8, 4*opt.Jobs)
	if keep {
		// A scanner must not wait for OCR: a feeder left waiting can time
		// out or jam. Scanned pages wait here instead, up to a bound.
		window = max(window, 64)
	}
	slots := make(chan struct{}, window) // one token per page in flight
	todo := newQueue(window)
	done := make(chan *job, window)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer todo.close()
		n := 0
		err := read(gctx, func(p scan.Page) error {
			select {
			case slots <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			j := &job{n: n, page: p, warn: p.Warnings}
			n++
			opt.Progress(Event{Stage: StageRead, Page: n, Done: n, Text: p.Source})
			todo.push(j) // never blocks: the slot taken above bounds the queue
			return nil
		})
		if err != nil && keep && gctx.Err() == nil {
			// The source failed by itself: finish the pages it gave.
			srcErr = err
			return nil
		}
		return err
	})
	workers := errgroup.Group{}
	for i := 0; i < opt.Jobs; i++ {
		workers.Go(func() error {
			for j := todo.pop(gctx); j != nil; j = todo.pop(gctx) {
				err := cl.clean(gctx, j)
				if err == nil {
					if j.report != nil && j.report.Blank && opt.RemoveBlank {
						j.drop = true
					} else if err = recognise(gctx, engine, j); err == nil {
						err = cl.check(gctx, engine, j)
					}
				}
				todo.done(j)
				if err != nil {
					return err
				}
				if j.drop {
					j.page = scan.Page{Source: j.page.Source}
					select {
					case done <- j:
					case <-gctx.Done():
						return gctx.Err()
					}
					continue
				}
				if opt.mapsInk(j) {
					mapInk(j)
				}
				iopt := opt.Image
				iopt.Report = j.report
				img, err := pdf.EncodeImage(&j.page, iopt)
				if err != nil {
					return err
				}
				j.image = img
				// The pixels are no longer needed: let them go before
				// the page waits for its turn to be written.
				j.page.Image, j.page.Decode, j.page.File, j.page.Original = nil, nil, nil, nil
				select {
				case done <- j:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return gctx.Err()
		})
	}
	g.Go(func() error {
		err := workers.Wait()
		close(done)
		return err
	})

	// Assemble in order on this goroutine.
	pending := map[int]*job{}
	next := 0
	var werr error
	for j := range done {
		if werr != nil {
			continue // drain so that the workers can stop
		}
		pending[j.n] = j
		for pending[next] != nil {
			j := pending[next]
			delete(pending, next)
			next++
			if werr = write(j); werr != nil {
				cancel()
				break
			}
			<-slots
		}
	}
	gerr := g.Wait()
	if werr != nil {
		return nil, werr
	}
	if gerr != nil {
		if ctx.Err() != nil && errors.Is(gerr, context.Canceled) {
			return nil, context.Cause(ctx)
		}
		return nil, gerr
	}
	return srcErr, nil
}

// recognise runs OCR on one page. A page whose recognition times out is
// kept without text, with a warning.
func recognise(ctx context.Context, engine ocr.Engine, j *job) error {
	img, err := ocrImage(&j.page)
	if err != nil {
		return err
	}
	res, err := engine.Recognize(ctx, img)
	switch {
	case errors.Is(err, ocr.ErrTimeout):
		j.warn = append(j.warn, fmt.Sprintf("%s: text recognition took too long; the page is kept without text", j.page.Source))
		return nil
	case err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s: %w", j.page.Source, err)
	}
	j.text = res
	return nil
}

// ocrImage hands OCR the page's own file when there is one: Leptonica
// reads it as the tesseract command would (a bi-level page stays
// bi-level, which Tesseract handles faster and as it was trained), with no
// decoding or re-encoding on our side. Otherwise the pixels go as PNM.
//
// A resolution the file did not state is not passed on: Tesseract then
// estimates it from the size of the text, as the tesseract command does,
// which reads such pages better than any fixed default.
func ocrImage(p *scan.Page) (ocr.Image, error) {
	dpi := knownDPI(p)
	if p.File != nil {
		return ocr.Image{Data: p.File, DPI: dpi}, nil
	}
	px, err := p.Pixels()
	if err != nil {
		return ocr.Image{}, err
	}
	return ocr.Image{Data: ocr.EncodePNM(px), DPI: dpi}, nil
}

// knownDPI is the page's resolution, or 0 when its source did not know
// it: then what can measure it (OCR, from the size of the text) does,
// rather than trust a default.
func knownDPI(p *scan.Page) float64 {
	if p.GuessedDPI {
		return 0
	}
	return p.YDPI
}

// LangTag maps a Tesseract language code to the BCP 47 tag PDF readers
// expect in /Lang; "" when unknown.
func LangTag(code string) string {
	return map[string]string{
		"fra": "fr", "ara": "ar", "eng": "en", "deu": "de", "spa": "es", "ita": "it",
		"por": "pt", "nld": "nl", "tur": "tr", "fas": "fa", "urd": "ur", "heb": "he",
	}[code]
}
