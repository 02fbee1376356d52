package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
)

// splitFlags are --split and --keep-separators, on the commands that
// read a batch (process, scan).
type splitFlags struct {
	split string
	keep  bool
}

func (s *splitFlags) add(f *pflag.FlagSet) {
	f.StringVar(&s.split, "split", "", "cut the batch into several documents: separator (separator sheets, see demat separator), blank (blank pages), every:N (every N pages), or several joined by commas; -o is then a folder (out/) or a name template (lot-{n:3}.pdf, {reference}.pdf)")
	f.BoolVar(&s.keep, "keep-separators", false, "with --split separator, keep each separator sheet as the first page of its document")
}

// on says whether --split was given.
func (s *splitFlags) on() bool { return s.split != "" }

// parse reads --split into pipeline terms; the separator rules come from
// the configuration's [separator] table.
func (s *splitFlags) parse() (pipeline.Split, error) {
	var sp pipeline.Split
	for _, w := range strings.Split(s.split, ",") {
		w = strings.ToLower(strings.TrimSpace(w))
		switch {
		case w == "separator" || w == "separators":
			cfg, err := config.Load()
			if err != nil {
				return sp, err
			}
			if sp.Rules, err = cfg.Separator.Rules(); err != nil {
				return sp, fmt.Errorf("config: %s: %w", cfg.File(), err)
			}
		case w == "blank":
			sp.Blank = true
		case strings.HasPrefix(w, "every:"):
			n, err := strconv.Atoi(strings.TrimPrefix(w, "every:"))
			if err != nil || n < 1 {
				return sp, usageError{fmt.Errorf("--split %s: want every:N, N a number of pages (every:2 for two-page forms)", w)}
			}
			sp.Every = n
		default:
			return sp, usageError{fmt.Errorf("--split %q: want separator, blank or every:N (joined by commas for more than one)", w)}
		}
	}
	if s.keep && sp.Rules == nil {
		return sp, usageError{errors.New("--keep-separators needs --split separator")}
	}
	sp.KeepSeparators = s.keep
	return sp, nil
}

// nameTemplate is what -o says with --split: a folder, or a template of
// file names.
func nameTemplate(out string) (string, error) {
	if strings.Contains(out, "{") {
		if !strings.EqualFold(filepath.Ext(out), ".pdf") {
			out += ".pdf"
		}
		return out, nil
	}
	if st, err := os.Stat(out); (err == nil && st.IsDir()) || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator)) {
		return filepath.Join(out, "{n:3}.pdf"), nil
	}
	return "", usageError{fmt.Errorf("with --split, -o is a folder (-o out/) or a name template (-o 'lot-{n:3}.pdf', -o 'out/{reference}.pdf'), not one file: %s", out)}
}

// splitRun writes the documents of a batch: split runs the batch (it is
// pipeline.SplitFiles or SplitScan, already given its inputs), and each
// document is named from -o, described by its separator's fields, and
// signed, registered and sent as one document would be. device names
// the scanner ("" for files).
func (d *docFlags) splitRun(cmd *cobra.Command, logger *slog.Logger, sf *splitFlags, opt pipeline.Options, device string,
	split func(sp pipeline.Split, each func(context.Context, *pipeline.Document) error) error) error {
	sp, err := sf.parse()
	if err != nil {
		return err
	}
	if d.sidecar != "" {
		return usageError{errors.New("--sidecar writes one file: with --split, use --alto or --hocr (a file per page, named after each document)")}
	}
	if d.receipt != "" {
		return usageError{errors.New("--receipt is for one document: with --split, print receipts afterwards with demat register receipt")}
	}
	tmpl, err := nameTemplate(d.out)
	if err != nil {
		return err
	}
	if err := d.checkSend(); err != nil {
		return err
	}
	// --register is checked now, before anything is scanned; each
	// document takes its own number.
	reg, err := d.registration(cmd, logger, opt)
	if err != nil {
		return err
	}
	reg.abandon(cmd.Context(), nil) // no number taken: this only closes
	sp.Progress, sp.Logger = opt.Progress, logger
	used := map[string]bool{}
	docs, pages := 0, 0
	var srcErr *pipeline.SourceError
	err = split(sp, func(ctx context.Context, doc *pipeline.Document) error {
		dopt := opt
		fields, warnings := pipeline.Describe(doc.Separator, &dopt.PDF.Meta)
		for _, w := range warnings {
			opt.Progress(pipeline.Event{Stage: pipeline.StageSplit, Warning: fmt.Sprintf("document %d: %s", doc.N, w)})
		}
		if doc.Separator != nil && d.pdfa == "" && len(doc.Separator.Fields) > 0 {
			// Fields given are attached as the metadata record, as
			// with --meta (PDF/A-3b).
			dopt.PDF.PDFA, dopt.PDF.Record = pdf.PDFA3B, true
		}
		out, missing := pipeline.FileName(tmpl, doc.N, fields)
		if len(missing) > 0 {
			// A name with holes would say nothing, or the same for
			// several documents: the document's number instead.
			out = filepath.Join(filepath.Dir(tmpl), fmt.Sprintf("%03d.pdf", doc.N))
			opt.Progress(pipeline.Event{Stage: pipeline.StageSplit, Warning: fmt.Sprintf("document %d (from %s) has no %s for its name: written as %s", doc.N, doc.First, strings.Join(missing, ", "), out)})
		}
		if free := pipeline.UnusedName(out, used, d.force); free != out {
			opt.Progress(pipeline.Event{Stage: pipeline.StageSplit, Warning: fmt.Sprintf("document %d: %s is taken: written as %s", doc.N, out, free)})
			out = free
		}
		used[out] = true
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		dd := *d
		dd.out = out
		reg, err := dd.registration(cmd, logger, dopt)
		if err != nil {
			return err
		}
		res, err := dd.produce(cmd, logger, dopt, func(path string, o pipeline.Options) (*pipeline.Result, error) {
			if err := reg.reserve(ctx, &o, device); err != nil {
				return nil, err
			}
			res, err := doc.Write(ctx, path, o)
			reg.captured(ctx, path, res, device)
			return res, err
		})
		var se *pipeline.SourceError
		switch {
		case err == nil:
		case errors.As(err, &se) && res != nil:
			srcErr = se
		default:
			reg.abandon(ctx, err)
			return fmt.Errorf("document %d (from %s): %w", doc.N, doc.First, err)
		}
		docs++
		pages += res.Pages
		if err := dd.report(cmd, res, err); err != nil {
			return err
		}
		if err := reg.complete(cmd, res); err != nil {
			return err
		}
		return dd.deliver(cmd, logger, res.Output)
	})
	w := cmd.OutOrStdout()
	if d.asJSON {
		json.NewEncoder(w).Encode(struct {
			Type      string `json:"type"`
			Documents int    `json:"documents"`
			Pages     int    `json:"pages"`
		}{"batch", docs, pages})
	} else if docs > 1 || err == nil {
		fmt.Fprintf(w, "%s, %s\n", count(docs, "document"), count(pages, "page"))
	}
	switch {
	case err == nil && docs == 0:
		return errors.New("no page to write: every page was a separator or blank")
	case err == nil:
		return nil
	case srcErr != nil || (device != "" && docs > 0 && !errors.Is(err, context.Canceled)):
		logger.Debug("scan stopped", "device", device, "err", err)
		return exitError{exitDevice, fmt.Errorf("the scanner stopped: %s; the %s before are in the %s above", plain(err), count(pages, "page"), count(docs, "document"))}
	}
	return err
}
