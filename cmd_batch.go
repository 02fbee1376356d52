package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/internal/manifest"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
)

func newBatchCmd(logger *slog.Logger) *cobra.Command {
	var (
		d            docFlags
		manifestPath string
		root         string
		dryRun       bool
	)
	cmd := &cobra.Command{
		Use:   "batch --manifest BOXES.csv [--root SCANS] -o OUT/ [flags]",
		Short: "Make one indexed PDF per row of an archive manifest",
		Long: `Reads a CSV manifest, one row per folder of scans, as archive projects
describe their boxes, and makes one searchable PDF per row from the images
of the row's folder, its metadata taken from the row's columns.

The manifest's columns, in any order, named in English or French:
  box (boîte), folder (dossier)   where the scans are: ROOT/BOX/FOLDER/
  path (chemin)                   or a folder relative to ROOT instead
  title (titre), date_from (date début), date_to (date fin), and any
  metadata key (see demat help metadata): sender, subject, reference (cote)…
Other columns (notes…) are named once and ignored. The file may be UTF-8
with or without a byte-order mark, or Windows-1252, separated by ; or , as
spreadsheets save it; dates DD/MM/YYYY are read as such.

Each PDF goes to OUT/BOX/FOLDER.pdf (OUT/PATH.pdf with a path column). A
row whose PDF is already there is skipped: running the command again after
an interruption finishes the batch. Rows whose folder is missing are
reported and the others made; folders under ROOT that no row names are
listed. The exit status is 1 when a row could not be made.`,
		Example: `  demat batch --manifest versement-2026-04.csv --root /mnt/scans -o /srv/archives/
  demat batch --manifest boxes.csv --root scans/ -o out/ --dry-run
  demat batch --manifest boxes.csv -l fra+ara -o out/ --sign archives --send ged`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if manifestPath == "" {
				return usageError{errors.New("no manifest: add --manifest BOXES.csv")}
			}
			if d.sidecar != "" || d.receipt != "" {
				return usageError{errors.New("--sidecar and --receipt are for one document: with demat batch, use --alto or --hocr, and demat register receipt")}
			}
			opt, err := d.options(cmd, logger)
			if err != nil {
				return err
			}
			f, err := os.Open(manifestPath)
			if err != nil {
				return err
			}
			m, err := manifest.Parse(f, func(k string) (string, bool) {
				var md pdf.Metadata
				if md.Set(k, "") != nil {
					return "", false
				}
				return strings.ToLower(k), true
			})
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", manifestPath, err)
			}
			if root == "" {
				root = filepath.Dir(manifestPath)
			}
			w, ew := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if len(m.Ignored) > 0 {
				fmt.Fprintf(ew, "demat: %s: columns ignored (no metadata key): %s\n", manifestPath, strings.Join(m.Ignored, ", "))
			}
			if err := d.checkSend(); err != nil {
				return err
			}
			reg, err := d.registration(cmd, logger, opt)
			if err != nil {
				return err
			}
			reg.abandon(cmd.Context(), nil) // no number taken: this only closes

			type job struct {
				row     manifest.Row
				in, out string
				meta    pdf.Metadata
			}
			var jobs []job
			var problems []string
			named := map[string]bool{}
			outs := map[string]int{}
			for _, r := range m.Rows {
				rel := filepath.Join(r.Box, r.Folder)
				if r.Path != "" {
					rel = filepath.Clean(r.Path)
				}
				if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
					problems = append(problems, fmt.Sprintf("line %d: %s is outside the root", r.Line, rel))
					continue
				}
				named[rel] = true
				parts := strings.Split(rel, string(filepath.Separator))
				for i := range parts {
					parts[i] = pipeline.SafeName(parts[i])
				}
				out := filepath.Join(d.out, filepath.Join(parts...)+".pdf")
				if prev, dup := outs[out]; dup {
					problems = append(problems, fmt.Sprintf("line %d: the same folder as line %d (%s)", r.Line, prev, rel))
					continue
				}
				outs[out] = r.Line
				meta := opt.PDF.Meta
				meta.Box, meta.Folder = r.Box, r.Folder
				keys := make([]string, 0, len(r.Fields))
				for k := range r.Fields {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				bad := false
				for _, k := range keys {
					if err := meta.Set(k, r.Fields[k]); err != nil {
						problems = append(problems, fmt.Sprintf("line %d: %v", r.Line, err))
						bad = true
					}
				}
				if bad {
					continue
				}
				if meta.Title == "" {
					meta.Title = strings.TrimSpace(r.Box + " " + r.Folder)
				}
				in := filepath.Join(root, rel)
				if st, err := os.Stat(in); err != nil || !st.IsDir() {
					problems = append(problems, fmt.Sprintf("line %d: box %s, folder %s: no folder %s", r.Line, r.Box, r.Folder, in))
					continue
				}
				jobs = append(jobs, job{row: r, in: in, out: out, meta: meta})
			}
			extra := unnamedFolders(root, named)
			for _, p := range problems {
				fmt.Fprintf(ew, "demat: %s\n", p)
			}
			if len(extra) > 0 {
				fmt.Fprintf(ew, "demat: %s: folders no row names (not made): %s\n", root, strings.Join(extra, ", "))
			}
			if dryRun {
				fmt.Fprintf(w, "%s to make, %s with a problem, %s not in the manifest\n", count(len(jobs), "row"), count(len(problems), "row"), count(len(extra), "folder"))
				if len(problems) > 0 {
					return exitError{1, fmt.Errorf("%s: %s with a problem (above)", manifestPath, count(len(problems), "row"))}
				}
				return nil
			}

			// One OCR engine for the whole batch.
			if opt.Engine == nil {
				workers := opt.Jobs
				if workers <= 0 {
					workers = runtime.NumCPU()
				}
				eng, err := ocr.NewTesseract(ocr.Options{Languages: opt.Languages, Workers: workers})
				if err != nil {
					return err
				}
				defer eng.Close()
				opt.Engine = eng
			}
			made, skipped, pages := 0, 0, 0
			for _, j := range jobs {
				if err := cmd.Context().Err(); err != nil {
					return err
				}
				force := d.force
				if !force {
					if _, err := os.Lstat(j.out); err == nil {
						if desc, err := pdf.Describe(j.out); err == nil && desc.Pages > 0 {
							skipped++
							logger.Debug("already made", "doc", j.out)
							continue
						}
						// Not a PDF demat finished (damaged since): made again.
						fmt.Fprintf(ew, "demat: %s is damaged: made again\n", j.out)
						force = true
					}
				}
				if err := os.MkdirAll(filepath.Dir(j.out), 0o755); err != nil {
					return err
				}
				dopt := opt
				dopt.PDF.Meta = j.meta
				if d.pdfa == "" {
					dopt.PDF.PDFA, dopt.PDF.Record = pdf.PDFA3B, true
				}
				dopt.Force = force
				dd := d
				dd.out, dd.force = j.out, force
				reg, err := dd.registration(cmd, logger, dopt)
				if err != nil {
					return err
				}
				res, err := dd.produce(cmd, logger, dopt, func(path string, o pipeline.Options) (*pipeline.Result, error) {
					if err := reg.reserve(cmd.Context(), &o, ""); err != nil {
						return nil, err
					}
					res, err := pipeline.Process(cmd.Context(), []string{j.in}, path, o)
					if err == nil {
						reg.captured(cmd.Context(), path, res, "")
					}
					return res, err
				})
				if err != nil {
					reg.abandon(cmd.Context(), err)
					if cmd.Context().Err() != nil {
						return err
					}
					problems = append(problems, fmt.Sprintf("line %d: %v", j.row.Line, err))
					fmt.Fprintf(ew, "demat: line %d: %v\n", j.row.Line, err)
					continue
				}
				made++
				pages += res.Pages
				if err := dd.report(cmd, res, nil); err != nil {
					return err
				}
				if err := reg.complete(cmd, res); err != nil {
					return err
				}
				if err := dd.deliver(cmd, logger, res.Output); err != nil {
					return err
				}
			}
			if d.asJSON {
				json.NewEncoder(w).Encode(struct {
					Type     string   `json:"type"`
					Made     int      `json:"made"`
					Skipped  int      `json:"skipped"`
					Pages    int      `json:"pages"`
					Problems []string `json:"problems,omitempty"`
					Unnamed  []string `json:"unnamed_folders,omitempty"`
				}{"batch", made, skipped, pages, problems, extra})
			} else {
				fmt.Fprintf(w, "%s made (%s), %s already made, %s with a problem\n", count(made, "document"), count(pages, "page"), count(skipped, "document"), count(len(problems), "row"))
			}
			if len(problems) > 0 {
				return exitError{1, fmt.Errorf("%s: %s not made (above): fix them and run the same command again", manifestPath, count(len(problems), "row"))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&manifestPath, "manifest", "", "the CSV `file` describing the folders, one row each")
	f.StringVar(&root, "root", "", "the `folder` the scans are under, as ROOT/BOX/FOLDER/ (default: the manifest's folder)")
	f.BoolVar(&dryRun, "dry-run", false, "only check the manifest against the folders, and say what would be made")
	d.add(f, "force the input resolution in dots per inch (default: read it from each file, else 300)")
	f.Lookup("output").Usage = "the `folder` the PDFs go to, as OUT/BOX/FOLDER.pdf"
	d.addRegister(f)
	d.sign.add(f, "sign", "sign each PDF with this certificate: a name from the configuration, a PKCS#12 `file` or a pkcs11: URI (see demat sign)")
	return cmd
}

// unnamedFolders lists the folders under root, up to two levels down
// (BOX/FOLDER), that hold files and that no manifest row names.
func unnamedFolders(root string, named map[string]bool) []string {
	var out []string
	var walk func(rel string, depth int)
	walk = func(rel string, depth int) {
		if named[rel] {
			return
		}
		entries, err := os.ReadDir(filepath.Join(root, rel))
		if err != nil {
			return
		}
		hasFiles := false
		for _, e := range entries {
			switch {
			case strings.HasPrefix(e.Name(), "."):
			case e.IsDir() && depth < 2:
				walk(filepath.Join(rel, e.Name()), depth+1)
			case !e.IsDir() && depth > 0:
				hasFiles = true
			}
		}
		if hasFiles && !named[rel] {
			out = append(out, rel)
		}
	}
	walk(".", 0)
	for i, p := range out {
		out[i] = strings.TrimPrefix(p, "./")
	}
	slices.Sort(out)
	return out
}
