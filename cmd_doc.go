package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pipeline"
)

// docFlags are the flags of every command that makes a document.
type docFlags struct {
	out, lang, sidecar, title string
	dpi                       float64
	jobs                      int
	asJSON, force             bool
}

func (d *docFlags) add(f *pflag.FlagSet, dpiHelp string) {
	f.StringVarP(&d.out, "output", "o", "", "output PDF `file` (required)")
	f.StringVarP(&d.lang, "lang", "l", strings.Join(ocr.DefaultLanguages, "+"), "OCR languages, `codes` joined by + (fra, ara, eng…)")
	f.Float64Var(&d.dpi, "dpi", 0, dpiHelp)
	f.IntVarP(&d.jobs, "jobs", "j", 0, "pages recognised at once (default: number of cores)")
	f.StringVar(&d.sidecar, "sidecar", "", "also write the recognised text to this `file` (pages separated by form feeds)")
	f.StringVar(&d.title, "title", "", "document title (default: the output file's name)")
	f.BoolVar(&d.asJSON, "json", false, "print progress and the result as JSON lines on standard output")
	f.BoolVarP(&d.force, "force", "f", false, "replace the output files if they exist")
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
	}
	opt.PDF.Title = d.title
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
		}{Type: "result", Output: res.Output, Pages: res.Pages, Words: res.Words, Seconds: res.Elapsed.Seconds(),
			Warnings: res.Warnings, Languages: d.lang}
		if problem != nil {
			r.Error = problem.Error()
		}
		return json.NewEncoder(w).Encode(r)
	}
	fmt.Fprintf(w, "%s: %s, %s, %.1f s\n", res.Output, count(res.Pages, "page"), count(res.Words, "word"), res.Elapsed.Seconds())
	return nil
}

// count says "1 page", "2 pages".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
