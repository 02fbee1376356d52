package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pipeline"
)

func newProcessCmd(logger *slog.Logger) *cobra.Command {
	var (
		out, lang, sidecar, title string
		dpi                       float64
		jobs                      int
		asJSON, force             bool
	)
	cmd := &cobra.Command{
		Use:   "process [flags] INPUT... -o OUT.pdf",
		Short: "Make one searchable PDF from page images",
		Long: `Reads the inputs in order (PNG, JPEG, TIFF including multi-page and G4 fax,
image-only PDFs, and folders of those in natural order), recognises the text
of every page and writes one searchable PDF.

The output appears only when complete, and an existing file is never
replaced unless --force is given.`,
		Example: `  demat process -o letter.pdf scan1.jpg scan2.jpg
  demat process -l fra+ara+eng --sidecar letter.txt -o letter.pdf ./scans/
  demat process --dpi 300 --json -o out.pdf photo.jpg`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{fmt.Errorf("no output: add -o OUT.pdf")}
			}
			langs, err := ocr.ParseLanguages(lang)
			if err != nil {
				return usageError{err}
			}
			if dpi < 0 || dpi > 4800 {
				return usageError{fmt.Errorf("--dpi %g is out of range (1–4800)", dpi)}
			}
			w := cmd.OutOrStdout()
			enc := json.NewEncoder(w)
			opt := pipeline.Options{
				Languages: langs, Jobs: jobs, DPI: dpi, Sidecar: sidecar, Force: force, Logger: logger,
			}
			opt.PDF.Title = title
			opt.PDF.Producer = "demat " + version
			opt.Progress = func(e pipeline.Event) {
				switch {
				case asJSON:
					enc.Encode(struct {
						Type string `json:"type"`
						pipeline.Event
					}{"progress", e})
				case e.Warning != "":
					fmt.Fprintf(cmd.ErrOrStderr(), "demat: warning: %s\n", e.Warning)
				}
			}
			res, err := pipeline.Process(cmd.Context(), args, out, opt)
			if err != nil {
				return err
			}
			if asJSON {
				return enc.Encode(struct {
					Type      string   `json:"type"`
					Output    string   `json:"output"`
					Pages     int      `json:"pages"`
					Words     int      `json:"words"`
					Seconds   float64  `json:"seconds"`
					Warnings  []string `json:"warnings,omitempty"`
					Languages string   `json:"languages"`
				}{"result", res.Output, res.Pages, res.Words, res.Elapsed.Seconds(), res.Warnings, strings.Join(langs, "+")})
			}
			fmt.Fprintf(w, "%s: %d pages, %d words, %.1f s\n", res.Output, res.Pages, res.Words, res.Elapsed.Seconds())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "output PDF `file` (required)")
	f.StringVarP(&lang, "lang", "l", strings.Join(ocr.DefaultLanguages, "+"), "OCR languages, `codes` joined by + (fra, ara, eng…)")
	f.Float64Var(&dpi, "dpi", 0, "force the input resolution in dots per inch (default: read it from each file, else 300)")
	f.IntVarP(&jobs, "jobs", "j", 0, "pages recognised at once (default: number of cores)")
	f.StringVar(&sidecar, "sidecar", "", "also write the recognised text to this `file` (pages separated by form feeds)")
	f.StringVar(&title, "title", "", "document title (default: the output file's name)")
	f.BoolVar(&asJSON, "json", false, "print progress and the result as JSON lines on standard output")
	f.BoolVarP(&force, "force", "f", false, "replace the output files if they exist")
	return cmd
}
