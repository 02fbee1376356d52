package main

import (
	"context"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/pipeline"
)

func newProcessCmd(logger *slog.Logger) *cobra.Command {
	var (
		d  docFlags
		sf splitFlags
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
  demat process --dpi 300 --json -o out.pdf photo.jpg
  demat process --sign agent.p12 --reason "Enregistré" -o courrier.pdf scan.jpg
  demat process --register incoming --meta sender="Wilaya de Rabat" -o courrier.pdf scan.jpg
  demat process --split separator -o 'out/{reference}.pdf' ./batch/`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, err := d.options(cmd, logger)
			if err != nil {
				return err
			}
			if sf.on() {
				return d.splitRun(cmd, logger, &sf, opt, "", func(sp pipeline.Split, each func(context.Context, *pipeline.Document) error) error {
					return pipeline.SplitFiles(cmd.Context(), args, opt.DPI, sp, each)
				})
			}
			if err := d.checkSend(); err != nil {
				return err
			}
			reg, err := d.registration(cmd, logger, opt)
			if err != nil {
				return err
			}
			res, err := d.produce(cmd, logger, opt, func(out string, opt pipeline.Options) (*pipeline.Result, error) {
				if err := reg.reserve(cmd.Context(), &opt, ""); err != nil {
					return nil, err
				}
				res, err := pipeline.Process(cmd.Context(), args, out, opt)
				if err == nil {
					reg.captured(cmd.Context(), out, res, "")
				}
				return res, err
			})
			if err != nil {
				reg.abandon(cmd.Context(), err)
				return err
			}
			if err := d.report(cmd, res, nil); err != nil {
				return err
			}
			if err := reg.complete(cmd, res); err != nil {
				return err
			}
			return d.deliver(cmd, logger, res.Output)
		},
	}
	d.add(cmd.Flags(), "force the input resolution in dots per inch (default: read it from each file, else 300)")
	d.addRegister(cmd.Flags())
	sf.add(cmd.Flags())
	d.sign.add(cmd.Flags(), "sign", "sign the PDF with this certificate: a name from the configuration, a PKCS#12 `file` or a pkcs11: URI (see demat sign)")
	return cmd
}
