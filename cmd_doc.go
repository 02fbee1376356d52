package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/stamp"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
)

// docFlags are the flags of every command that makes a document.
type docFlags struct {
	out, lang, sidecar, title string
	dpi                       float64
	jobs                      int
	asJSON, force             bool
	cleanSteps                string
	noClean, removeBlank      bool
	photo                     bool
	pdfa                      string
	meta                      []string
	metaFile                  string
	// docType is --type: a [[doctype]] of the configuration whose
	// defaults fill the description and whose rules check it.
	docType   string
	attach    []string
	keepColor bool
	sign      signFlags
	send      string
	register  string
	// receipt is --receipt: the depositor's receipt's file, written
	// as receiptFlags say.
	receipt      string
	receiptFlags receiptFlags
	alto, hocr   string
	jpegQuality  int
	colorDPI     float64

	// stampFlags are --stamp, --stamp-place and --stamp-lang.
	stampFlags stampFlags
}

// cleanSteps are the cleanup steps --clean can name.
var cleanSteps = []string{"deskew", "rotate", "crop", "blank"}

func (d *docFlags) add(f *pflag.FlagSet, dpiHelp string) {
	f.StringVarP(&d.out, "output", "o", "", "output PDF `file` (required)")
	f.StringVarP(&d.lang, "lang", "l", strings.Join(ocr.DefaultLanguages, "+"), "OCR languages, `codes` joined by + (fra, ara, eng…)")
	f.Float64Var(&d.dpi, "dpi", 0, dpiHelp)
	f.IntVarP(&d.jobs, "jobs", "j", 0, "pages recognised at once (default: number of cores)")
	f.StringVar(&d.sidecar, "sidecar", "", "also write the recognised text to this `file` (pages separated by form feeds)")
	f.StringVar(&d.title, "title", "", "document title (default: the output file's name)")
	f.StringVar(&d.alto, "alto", "", "also write each page's text as ALTO 4 XML into this `folder` (NAME-0001.xml…, NAME being the PDF's)")
	f.StringVar(&d.hocr, "hocr", "", "also write each page's text as hOCR into this `folder` (NAME-0001.hocr…)")
	f.BoolVar(&d.asJSON, "json", false, "print progress and the result as JSON lines on standard output")
	f.BoolVarP(&d.force, "force", "f", false, "replace the output files if they exist")
	f.StringVar(&d.cleanSteps, "clean", strings.Join(cleanSteps, ","), "page cleanup `steps` to do, joined by commas: deskew, rotate (upside-down and sideways pages), crop (dark borders, punch holes), blank (detect blank pages)")
	f.BoolVar(&d.noClean, "no-clean", false, "no page cleanup: pages go into the PDF as they came")
	f.BoolVar(&d.removeBlank, "remove-blank", false, "leave blank pages out (default: keep them, with a warning)")
	f.BoolVar(&d.photo, "photo", false, "the pages are phone photos: find the sheet, flatten it to a rectangle and even out the lighting")
	f.StringVar(&d.pdfa, "pdfa", "", "PDF/A `level`: 2b, 3b or off (default: 2b, or 3b when files or metadata are attached)")
	f.StringArrayVar(&d.meta, "meta", nil, "set a metadata property, `key=value` (repeatable; keys: see demat help metadata)")
	f.StringVar(&d.metaFile, "meta-file", "", "read metadata from a JSON `file` (an object of the same keys as --meta; --meta wins)")
	f.StringVar(&d.docType, "type", "", "the document's `type`, a [[doctype]] of the configuration: its defaults fill the description, its required fields, choices and patterns are checked before anything is read")
	f.StringArrayVar(&d.attach, "attach", nil, "embed a `file` in the PDF (repeatable; makes it PDF/A-3b)")
	f.BoolVar(&d.keepColor, "keep-color", false, "store colour and grey pages in full colour, even those that black and white (or black-and-white text over colour) would keep")
	f.IntVar(&d.jpegQuality, "jpeg-quality", pdf.DefaultJPEGQuality, "`quality` (1–100) of the JPEGs demat writes (a JPEG page that needs no change keeps its own)")
	f.Float64Var(&d.colorDPI, "color-dpi", 0, "downsample colour and grey pictures finer than this `resolution` (default: keep theirs)")
	f.StringVar(&d.send, "send", "", "then deliver the PDF to this `target` through the outbox (see demat send, demat target)")
}

// pdfOptions reads --pdfa, --meta, --meta-file, --attach and --title. Any
// metadata given is also attached as the metadata record, which, like any
// attachment, takes PDF/A-3b; asking for PDF/A-2b then attaches nothing
// (the XMP still holds every property), and asking for it with --attach
// is an error.
func (d *docFlags) pdfOptions(opt *pdf.Options) error {
	var m pdf.Metadata
	if d.metaFile != "" {
		data, err := os.ReadFile(d.metaFile)
		if err != nil {
			return usageError{fmt.Errorf("--meta-file: %w", err)}
		}
		if m, err = pdf.ParseMetadataJSON(data); err != nil {
			return usageError{fmt.Errorf("--meta-file %s: %w", d.metaFile, err)}
		}
	}
	for _, kv := range d.meta {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return usageError{fmt.Errorf("--meta %q: write key=value", kv)}
		}
		if err := m.Set(k, v); err != nil {
			return usageError{fmt.Errorf("--meta: %w", err)}
		}
	}
	if d.title != "" {
		m.Title = d.title
	}
	if d.docType != "" {
		if err := applyDocType(d.docType, &m, time.Now()); err != nil {
			return err
		}
	}
	opt.Meta = m
	given := len(d.meta) > 0 || d.metaFile != "" || d.docType != ""
	for _, path := range d.attach {
		data, err := os.ReadFile(path)
		if err != nil {
			return usageError{fmt.Errorf("--attach: %w", err)}
		}
		a := pdf.Attachment{Name: filepath.Base(path), Data: data}
		if st, err := os.Stat(path); err == nil {
			a.Modified = st.ModTime()
		}
		opt.Attachments = append(opt.Attachments, a)
	}
	switch {
	case d.pdfa == "":
		opt.Record = given
		if given || len(opt.Attachments) > 0 {
			opt.PDFA = pdf.PDFA3B
		}
	default:
		c, err := pdf.ParseConformance(d.pdfa)
		if err != nil {
			return usageError{fmt.Errorf("--pdfa: %w", err)}
		}
		if c == pdf.PDFA2B && len(opt.Attachments) > 0 {
			return usageError{fmt.Errorf("--attach needs PDF/A-3b: use --pdfa 3b (or off)")}
		}
		opt.PDFA = c
		opt.Record = given && c != pdf.PDFA2B
	}
	return nil
}

// cleanOptions reads --clean, --no-clean, --remove-blank and --photo.
func (d *docFlags) cleanOptions(opt *pipeline.Options) error {
	steps := map[string]bool{}
	for _, s := range strings.Split(d.cleanSteps, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		if !slices.Contains(cleanSteps, s) {
			return usageError{fmt.Errorf("--clean: unknown step %q (steps: %s)", s, strings.Join(cleanSteps, ", "))}
		}
		steps[s] = true
	}
	if d.noClean && (d.photo || d.removeBlank) {
		return usageError{fmt.Errorf("--no-clean turns off the cleanup that --photo and --remove-blank need")}
	}
	if d.removeBlank && !steps["blank"] {
		return usageError{fmt.Errorf("--remove-blank needs the blank step in --clean")}
	}
	opt.NoClean = d.noClean
	opt.RemoveBlank = d.removeBlank
	opt.Clean.NoDeskew = !steps["deskew"]
	opt.Clean.NoOrient = !steps["rotate"]
	opt.Clean.NoCrop = !steps["crop"]
	opt.Clean.NoBlank = !steps["blank"]
	opt.Clean.Photo = d.photo
	return nil
}

// options checks the flags and turns them into pipeline options whose
// progress is printed on cmd's outputs.
func (d *docFlags) options(cmd *cobra.Command, logger *slog.Logger) (pipeline.Options, error) {
	if d.out == "" {
		return pipeline.Options{}, usageError{fmt.Errorf("no output: add -o OUT.pdf")}
	}
	langs, err := ocr.ParseLanguages(d.lang)
	if err != nil {
		return pipeline.Options{}, usageError{err}
	}
	if d.dpi < 0 || d.dpi > 4800 {
		return pipeline.Options{}, usageError{fmt.Errorf("--dpi %g is out of range (1–4800)", d.dpi)}
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	opt := pipeline.Options{
		Languages: langs, Jobs: d.jobs, DPI: d.dpi, Sidecar: d.sidecar, Force: d.force, Logger: logger,
		ALTO: d.alto, HOCR: d.hocr,
	}
	if err := d.cleanOptions(&opt); err != nil {
		return pipeline.Options{}, err
	}
	if err := d.pdfOptions(&opt.PDF); err != nil {
		return pipeline.Options{}, err
	}
	if d.jpegQuality < 1 || d.jpegQuality > 100 {
		return pipeline.Options{}, usageError{fmt.Errorf("--jpeg-quality %d: want 1 to 100", d.jpegQuality)}
	}
	if d.colorDPI < 0 || (d.colorDPI > 0 && d.colorDPI < 50) {
		return pipeline.Options{}, usageError{fmt.Errorf("--color-dpi %g: want 50 or more (or 0 to keep every resolution)", d.colorDPI)}
	}
	opt.Image = pdf.ImageOptions{KeepColor: d.keepColor, JPEGQuality: d.jpegQuality, ColorDPI: d.colorDPI}
	opt.PDF.Producer = "demat " + version
	opt.Progress = func(e pipeline.Event) {
		switch {
		case d.asJSON:
			enc.Encode(struct {
				Type string `json:"type"`
				pipeline.Event
			}{"progress", e})
		case e.Warning != "":
			fmt.Fprintf(cmd.ErrOrStderr(), "demat: warning: %s\n", e.Warning)
		}
	}
	return opt, nil
}

// report prints a finished document; problem, when set, says why it
// holds fewer pages than asked for.
func (d *docFlags) report(cmd *cobra.Command, res *pipeline.Result, problem error) error {
	w := cmd.OutOrStdout()
	if d.asJSON {
		r := struct {
			Type      string   `json:"type"`
			Output    string   `json:"output"`
			Pages     int      `json:"pages"`
			Words     int      `json:"words"`
			Seconds   float64  `json:"seconds"`
			Warnings  []string `json:"warnings,omitempty"`
			Languages string   `json:"languages"`
			Error     string   `json:"error,omitempty"`
			// Stamp is where the arrival stamp went on the first page.
			Stamp *stamp.Placement `json:"stamp,omitempty"`
		}{Type: "result", Output: res.Output, Pages: res.Pages, Words: res.Words, Seconds: res.Elapsed.Seconds(),
			Warnings: res.Warnings, Languages: d.lang, Stamp: res.Stamp}
		if problem != nil {
			r.Error = problem.Error()
		}
		return json.NewEncoder(w).Encode(r)
	}
	fmt.Fprintf(w, "%s: %s, %s, %.1f s\n", res.Output, count(res.Pages, "page"), count(res.Words, "word"), res.Elapsed.Seconds())
	return nil
}

// produce makes the document with build, which writes a PDF where it is
// told, and with --sign signs it into the output. The key (and its PIN)
// is loaded before anything is scanned or recognised: a wrong PIN must
// not be found after a hundred pages. The unsigned document goes to a
// hidden file beside the output; when signing fails it is kept, as
// NAME.unsigned.pdf, so that nothing scanned is lost.
func (d *docFlags) produce(cmd *cobra.Command, logger *slog.Logger, opt pipeline.Options, build func(out string, opt pipeline.Options) (*pipeline.Result, error)) (*pipeline.Result, error) {
	if d.sign.cert == "" {
		return build(d.out, opt)
	}
	sg, err := d.sign.load(cmd, logger)
	if err != nil {
		return nil, err
	}
	defer sg.close()
	if !d.force {
		if _, err := os.Lstat(d.out); err == nil {
			return nil, fmt.Errorf("%s: %w", d.out, pipeline.ErrExists)
		}
	}
	dir, base := filepath.Split(d.out)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	unsigned := filepath.Join(dir, "."+stem+".unsigned.pdf")
	opt.Name, opt.Force = stem, true
	res, err := build(unsigned, opt)
	if res == nil {
		return nil, err
	}
	if serr := sg.signOrKeep(cmd.Context(), unsigned, d.out, d.force, false); serr != nil {
		return nil, serr
	}
	res.Output = d.out
	return res, err
}

// count says "1 page", "2 pages".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// applyDocType fills m's empty fields from the named document type's
// defaults (the direction, "today" for dates), sets document_type to the
// type's name, and checks the description against the type's rules.
func applyDocType(name string, m *pdf.Metadata, now time.Time) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	dt, ok := cfg.DocType(name)
	if !ok {
		names := cfg.DocTypeNames()
		if len(names) == 0 {
			return usageError{fmt.Errorf("--type %s: the configuration (%s) has no [[doctype]]", name, cfg.File())}
		}
		return usageError{fmt.Errorf("--type %s: no such document type (the configuration has %s)", name, strings.Join(names, ", "))}
	}
	if m.Direction == "" && dt.Direction != "" {
		m.Direction = dt.Direction
	}
	if m.DocumentType == "" {
		m.DocumentType = dt.Name
	}
	for _, f := range dt.Fields {
		if m.Get(f.Key) != "" || f.Default == "" {
			continue
		}
		v := f.Default
		if v == "today" {
			v = now.Format("2006-01-02")
		}
		if err := m.Set(f.Key, v); err != nil {
			return usageError{fmt.Errorf("--type %s: default of %s: %w", name, f.Key, err)}
		}
	}
	if err := dt.Check(m.Map()); err != nil {
		return usageError{fmt.Errorf("--type %s: the description does not fit the type: %s (give them with --meta key=value)",
			name, strings.ReplaceAll(err.Error(), "\n", "; "))}
	}
	return nil
}
