package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/sheet"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan/separate"
)

func newSeparatorCmd() *cobra.Command {
	var (
		out, kind string
		values    []string
		meta      []string
		copies    int
		force     bool
	)
	cmd := &cobra.Command{
		Use:   "separator -o SHEETS.pdf [--value V]... [flags]",
		Short: "Print separator sheets that cut a feeder batch into documents",
		Long: `Writes separator sheets as an A4 PDF to print: each says SÉPARATEUR,
SEPARATOR and فاصل in large print, shows its value, and carries a code that
--split separator reads back, upright or upside down, at 150 dpi and more.
Put one in front of each document of a batch; the sheets are left out of
the documents (unless --keep-separators).

A QR code (the default) or a Code 128 holds the configuration's marker
(SEP: unless [separator] marker says otherwise) and the value: the
configuration's [[separator.pattern]] turn values into metadata. --meta
puts fields in the code itself, which need no pattern. A Patch T sheet
carries no value: it only cuts.

One sheet per --value (and one without a value when none is given), each
--copies times.`,
		Example: `  demat separator -o sheets.pdf --value DOS-1-2024 --value DOS-2-2024
  demat separator -o sheets.pdf --kind code128 --value 2024-0017
  demat separator -o patch.pdf --kind patch-t --copies 20
  demat separator -o box.pdf --value "Boîte 12" --meta sender="Wilaya de Rabat"`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("no output: add -o SHEETS.pdf")}
			}
			k, err := sheet.ParseKind(kind)
			if err != nil {
				return usageError{fmt.Errorf("--kind: %w", err)}
			}
			if copies < 1 || copies > 1000 {
				return usageError{fmt.Errorf("--copies %d: want 1 to 1000", copies)}
			}
			fields := map[string]string{}
			for _, kv := range meta {
				key, v, ok := strings.Cut(kv, "=")
				if !ok {
					return usageError{fmt.Errorf("--meta %q: write key=value", kv)}
				}
				var m pdf.Metadata
				if err := m.Set(key, v); err != nil {
					return usageError{fmt.Errorf("--meta: %w", err)}
				}
				fields[strings.ToLower(strings.TrimSpace(key))] = strings.TrimSpace(v)
			}
			if k == sheet.PatchT && (len(values) > 0 || len(fields) > 0) {
				return usageError{errors.New("a Patch T sheet carries no value and no field: use --kind qr or code128")}
			}
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			rules, err := cfg.Separator.Rules()
			if err != nil {
				return fmt.Errorf("config: %s: %w", cfg.File(), err)
			}
			if rules.Marker == "" {
				return fmt.Errorf("config: %s: [separator] marker is empty (codes of other software): demat prints sheets with a marker; set one", cfg.File())
			}
			if len(values) == 0 {
				values = []string{""}
			}
			var sheets []sheet.Sheet
			for _, v := range values {
				s := sheet.Sheet{Kind: k, Value: strings.TrimSpace(v), Fields: fields, Marker: rules.Marker}
				if k != sheet.PatchT {
					if _, err := s.Payload(); err != nil {
						return usageError{err}
					}
					if len(rules.Patterns) > 0 && s.Value != "" {
						if sep, _ := rules.Separator(separate.Found{Codes: []separate.Code{{Text: mustPayload(s)}}}); !sep.Matched {
							fmt.Fprintf(cmd.ErrOrStderr(), "demat: warning: %q matches no [[separator.pattern]]: its documents get no field from it\n", s.Value)
						}
					}
				}
				for range copies {
					sheets = append(sheets, s)
				}
			}
			if err := writeAtomicNew(out, force, func(w io.Writer) error { return sheet.Write(w, sheets, time.Now()) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", out, count(len(sheets), "separator sheet"))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "the PDF `file` to print")
	f.StringArrayVar(&values, "value", nil, "the `value` a sheet carries (repeatable: one sheet each), matched by the configuration's [[separator.pattern]]")
	f.StringVar(&kind, "kind", "qr", "the code: qr, code128 or patch-t")
	f.StringArrayVar(&meta, "meta", nil, "a metadata field the code carries itself, `key=value` (repeatable; keys: see demat help metadata)")
	f.IntVar(&copies, "copies", 1, "sheets of each value")
	f.BoolVarP(&force, "force", "f", false, "replace the output file if it exists")
	return cmd
}

func mustPayload(s sheet.Sheet) string {
	p, _ := s.Payload()
	return p
}

// writeAtomicNew writes a file as writeAtomic does, refusing to replace
// one unless force.
func writeAtomicNew(path string, force bool, write func(io.Writer) error) error {
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s: already exists: choose another name, or use --force to replace it", path)
		}
	}
	return writeAtomic(path, write)
}
