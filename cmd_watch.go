package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan/watch"
)

func newWatchCmd(logger *slog.Logger) *cobra.Command {
	var (
		d    docFlags
		once bool
	)
	cmd := &cobra.Command{
		Use:   "watch FOLDER -o OUTDIR",
		Short: "Turn every scan dropped in a folder into a searchable PDF",
		Long: `Watches FOLDER, where a multifunction printer drops its scans (scan to folder,
scan to SMB share), and makes a searchable PDF of each file in OUTDIR, named
after it (scan0001.jpg gives scan0001.pdf; an existing PDF is never replaced:
the new one gets -2, -3…).

A file is taken only once it is complete. Handled files are moved into
FOLDER/done; files that could not be read go to FOLDER/failed with a
.error.txt note saying why. Stopping demat (Ctrl-C) and starting it again
neither loses nor repeats a file. With --once, demat handles what is in the
folder and exits.

With --sign, every PDF is signed (see demat sign); the key is opened, and
its PIN or passphrase read, once, before watching. A PDF that cannot be
signed is kept unsigned in OUTDIR as NAME.unsigned.pdf, and its scan goes
to FOLDER/failed with a note saying why and how to sign it.`,
		Example: `  demat watch /srv/scans -o ~/Documents/courrier
  demat watch --once -l fra+ara+eng ./inbox -o ./pdf
  demat watch /srv/scans -o ./signes --sign cachet --visible --sig-page last`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if d.sidecar != "" {
				return usageError{errors.New("--sidecar names one file; watch makes one PDF per scan")}
			}
			// -o names a folder here: checked before options, which
			// would ask for a file.
			outDir := d.out
			if outDir == "" {
				return usageError{errors.New("no output folder: add -o OUTDIR")}
			}
			opt, err := d.options(cmd, logger)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			in := args[0]
			if st, err := os.Stat(in); err != nil || !st.IsDir() {
				return fmt.Errorf("%s: not a folder: give the folder the scanner writes to", in)
			}
			var sg *signer
			if d.sign.cert != "" {
				// Opened once, before the first scan: a wrong PIN is
				// found now, not at the first document.
				if sg, err = d.sign.load(cmd, logger); err != nil {
					return err
				}
				defer sg.close()
			}
			send, err := d.startSending(cmd, logger, once)
			if err != nil {
				return err
			}
			defer send.stop()
			title := opt.PDF.Meta.Title
			werr := watch.Run(cmd.Context(), watch.Options{Dir: in, Once: once, Logger: logger},
				func(ctx context.Context, f watch.File) error {
					stem := strings.TrimSuffix(f.Name, filepath.Ext(f.Name))
					out := filepath.Join(outDir, stem+".pdf")
					if f.Resumed {
						// Stopped between writing the PDF and moving the
						// scan aside: the PDF is there already.
						if _, err := os.Stat(out); err == nil {
							return send.queue(ctx, out, true)
						}
					}
					out = freeName(outDir, stem)
					o := opt
					o.PDF.Meta.Title = title
					if o.PDF.Meta.Title == "" {
						o.PDF.Meta.Title = stem
					}
					made := out
					if sg != nil {
						// Made hidden beside the output, signed into it; one
						// left by a run stopped while signing is made again.
						name := strings.TrimSuffix(filepath.Base(out), ".pdf")
						made = filepath.Join(outDir, "."+name+".unsigned.pdf")
						o.Name = name
						os.Remove(made)
					}
					res, err := pipeline.Process(ctx, []string{f.Path}, made, o)
					if err == nil && sg != nil {
						if err = sg.signOrKeep(ctx, made, out, false, true); err == nil {
							res.Output = out
						}
					}
					if err != nil {
						if ctx.Err() == nil {
							msg := strings.ReplaceAll(err.Error(), f.Path, f.Name)
							fmt.Fprintf(cmd.ErrOrStderr(), "demat: %s (moved to %s)\n", msg, filepath.Join(in, "failed"))
						}
						return err
					}
					if err := d.report(cmd, res, nil); err != nil {
						return err
					}
					return send.queue(ctx, res.Output, false)
				})
			if werr != nil {
				return werr
			}
			return send.finish()
		},
	}
	f := cmd.Flags()
	f.BoolVar(&once, "once", false, "handle the files in the folder now, then exit")
	d.add(f, "force the resolution of the scans in dots per inch (default: read it from each file, else 300)")
	f.Lookup("output").Usage = "`folder` to write the PDFs to (required)"
	d.sign.add(f, "sign", "sign every PDF with this certificate: a name from the configuration, a PKCS#12 `file` or a pkcs11: URI (see demat sign)")
	return cmd
}

// freeName returns dir/stem.pdf, or dir/stem-2.pdf… when taken.
func freeName(dir, stem string) string {
	for i := 1; ; i++ {
		name := stem + ".pdf"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.pdf", stem, i)
		}
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p
		}
	}
}
