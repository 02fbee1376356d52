package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
)

// exitDevice is the exit status of a scan the device stopped: the pages
// scanned before are in the output.
const exitDevice = 3

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func newScanCmd(logger *slog.Logger) *cobra.Command {
	var (
		d                    docFlags
		sf                   splitFlags
		cfg                  driverConfig
		device, source, mode string
		resolution, pages    int
		devOptions           []string
	)
	cmd := &cobra.Command{
		Use:   "scan --device ID [flags] -o OUT.pdf",
		Short: "Scan pages from a scanner into one searchable PDF",
		Long: `Scans from the device (an ID from 'demat devices') and writes one searchable
PDF, recognising each page while the next one is being scanned.

With --source feeder (or duplex) every sheet in the feeder is scanned; an
empty feeder at the end is the normal end of the job. When the scanner
stops on an error (a paper jam, an open cover, a lost connection), the pages
scanned before it are written to the output all the same, demat says what
happened after which page and what to do, and exits with status 3.`,
		Example: `  demat scan --device sane:test:0 --source feeder -o mail.pdf
  demat scan --device escl:http://192.168.1.20/eSCL --source duplex --mode gray -o contract.pdf
  demat scan --device sane:genesys:libusb:001:004 --resolution 300 --option brightness=10 -o page.pdf
  demat scan --device sane:fujitsu:… --source duplex --split separator -o 'lots/{reference}.pdf'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if device == "" {
				return usageError{fmt.Errorf("no device: add --device ID (run 'demat devices' to list them)")}
			}
			opt, err := d.options(cmd, logger)
			if err != nil {
				return err
			}
			sopt := scan.Options{Resolution: resolution, Pages: pages}
			if source != "" {
				if sopt.Input, err = scan.ParseInput(source); err != nil {
					return usageError{err}
				}
			}
			if mode != "" {
				if sopt.Mode, err = scan.ParseMode(mode); err != nil {
					return usageError{err}
				}
			}
			if resolution < 0 || resolution > 4800 {
				return usageError{fmt.Errorf("--resolution %d is out of range (1–4800)", resolution)}
			}
			if pages < 0 {
				return usageError{fmt.Errorf("--pages %d: give a number of pages, or 0 for all", pages)}
			}
			for _, o := range devOptions {
				do, err := scan.ParseDeviceOption(o)
				if err != nil {
					return usageError{err}
				}
				sopt.DeviceOptions = append(sopt.DeviceOptions, do)
			}
			cfg.dpi = d.dpi
			srcs, err := sources(cfg, logger)
			if err != nil {
				return err
			}
			if err := d.checkSend(); err != nil {
				return err
			}
			dev, src, err := deviceFor(device, srcs)
			if err != nil {
				return err
			}
			if sf.on() {
				return d.splitRun(cmd, logger, &sf, opt, dev.ID, func(sp pipeline.Split, each func(context.Context, *pipeline.Document) error) error {
					sp.Duplex = sopt.Input == scan.Duplex
					return pipeline.SplitScan(cmd.Context(), src, dev, sopt, d.dpi, sp, each)
				})
			}
			reg, err := d.registration(cmd, logger, opt)
			if err != nil {
				return err
			}
			res, err := d.produce(cmd, logger, opt, func(out string, opt pipeline.Options) (*pipeline.Result, error) {
				if err := reg.reserve(cmd.Context(), &opt, dev.ID); err != nil {
					return nil, err
				}
				res, err := pipeline.Scan(cmd.Context(), src, dev, sopt, out, opt)
				reg.captured(cmd.Context(), out, res, dev.ID)
				return res, err
			})
			var se *pipeline.SourceError
			switch {
			case err == nil:
				if err := d.report(cmd, res, nil); err != nil {
					return err
				}
				if err := reg.complete(cmd, res); err != nil {
					return err
				}
				return d.deliver(cmd, logger, res.Output)
			case errors.As(err, &se) && res != nil:
				// The pages scanned before the stop are a document: it is
				// registered as it is.
				if rerr := d.report(cmd, res, err); rerr != nil {
					return rerr
				}
				if rerr := reg.complete(cmd, res); rerr != nil {
					return rerr
				}
				logger.Debug("scan stopped", "device", dev.ID, "page", se.Pages, "err", se.Err)
				return exitError{exitDevice, fmt.Errorf("the scanner stopped after page %d: %s; the %s before are in %s",
					se.Pages, plain(se.Err), count(se.Pages, "page"), res.Output)}
			}
			reg.abandon(cmd.Context(), err)
			switch {
			case scan.AsDeviceError(err) != nil:
				logger.Debug("scan failed", "device", dev.ID, "err", err)
				return exitError{exitDevice, fmt.Errorf("%s: %s; nothing was written", dev.Name, plain(err))}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&device, "device", "d", "", "scanner `ID`, as 'demat devices' lists it (sane:…, escl:URL, file:PATH)")
	f.StringVar(&source, "source", "", "where the paper is: flatbed, feeder or duplex (default: the device's first)")
	f.IntVar(&resolution, "resolution", 0, "scan resolution in `dpi` (default 300, or the device's nearest)")
	f.StringVar(&mode, "mode", "", "colour mode: color, gray or bw (default color)")
	f.IntVar(&pages, "pages", 0, "stop after this many pages (default: all the feeder holds)")
	f.StringArrayVar(&devOptions, "option", nil, "device-specific option `NAME=VALUE`, as scanimage takes them (repeatable)")
	cfg.addFlags(f)
	d.add(f, "override the resolution the pages are declared at (default: the scan resolution)")
	d.addRegister(f)
	sf.add(f)
	d.sign.add(f, "sign", "sign the PDF with this certificate: a name from the configuration, a PKCS#12 `file` or a pkcs11: URI (see demat sign)")
	return cmd
}

// plain gives the sentence of the shared device error err wraps, which
// says what to do, without the driver's technical chain (logged with -v);
// other errors as they are.
func plain(err error) string {
	if d := scan.AsDeviceError(err); d != nil {
		return d.Error()
	}
	return err.Error()
}
