package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/internal/stamp"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/outbox"
)

// guiRegistry is the window's registry desk: it registers an item as
// demat process --register --stamp --receipt --sign --send does, through
// the same registration (reserve, captured, abandon, record), over the
// register and the outbox the window holds open. Its methods may be
// called from any goroutine; the register serialises its own writes.
type guiRegistry struct {
	g      *guiConfig
	r      *register.Register
	ob     *outbox.Outbox
	logger *slog.Logger
	// dir is where the registered PDFs and their receipts are kept, a
	// folder per year: the register's File points there.
	dir string
}

// newGUIRegistry keeps the registered documents in the data folder's
// registry folder.
func newGUIRegistry(g *guiConfig, r *register.Register, ob *outbox.Outbox, logger *slog.Logger) (*guiRegistry, error) {
	data, err := config.DataDir()
	if err != nil {
		return nil, err
	}
	return &guiRegistry{g: g, r: r, ob: ob, logger: logger, dir: filepath.Join(data, "registry")}, nil
}

// wire gives the window the registry desk, the desk's certificate and,
// when the system has lp, printing.
func (d *guiRegistry) wire(svc *app.Services) {
	svc.Registry = d.run
	svc.DeskCertificate = func() string { return d.g.get().Register.Certificate }
	if lp, err := exec.LookPath("lp"); err == nil {
		svc.PrintReceipt = func(path string) error { return printFile(lp, path) }
	}
}

// printFile sends a PDF to the default printer with lp (CUPS).
func printFile(lp, path string) error {
	out, err := exec.Command(lp, "--", path).CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(out)); msg != "" {
			return fmt.Errorf("lp: %s", msg)
		}
		return fmt.Errorf("lp: %w", err)
	}
	return nil
}

// run registers req's item. The order is the CLI's: the keys are open
// (the window opened them: a wrong passphrase cost no number), the
// number is reserved, the PDF built with the stamp and signed; any
// failure so far voids the number, saying why. Then the entry is
// completed and the receipt written, and the PDF queued for its target.
func (d *guiRegistry) run(ctx context.Context, req app.RegistryRequest) (app.RegistryResult, error) {
	var res app.RegistryResult
	step := func(s app.RegistryStep) {
		if req.Step != nil {
			req.Step(s)
		}
	}
	if _, err := register.ParseKind(string(req.Kind)); err != nil {
		return res, err
	}
	if err := d.checkNumbering(req); err != nil {
		return res, err
	}
	opt := req.Options
	if opt.PDF.Meta.RegistrationNumber != "" {
		return res, errors.New("the register gives the registration number: leave registration_number out of the metadata")
	}
	var st *stamp.Stamp
	if req.Stamp {
		lang := req.StampLang
		if lang == "" {
			lang = stampLang(opt)
		}
		var err error
		if st, err = arrivalStamp(req.Kind, lang, stamp.Auto); err != nil {
			return res, err
		}
	}
	var desk *signer
	if req.Desk != nil {
		gs, ok := req.Desk.(guiSigner)
		if !ok {
			return res, errors.New("the receipt's certificate is not one of the configuration's")
		}
		desk = gs.s
	}
	now := time.Now()
	folder := filepath.Join(d.dir, now.Format("2006"))
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return res, err
	}
	// Named before the number is known (the register keeps the file's
	// name from the start, to settle an interrupted registration), and
	// never over an earlier one.
	stem := string(req.Kind) + "-" + now.Format("20060102-150405")
	for i := 2; exists(filepath.Join(folder, stem+".pdf")) || exists(filepath.Join(folder, stem+".receipt.pdf")); i++ {
		stem = fmt.Sprintf("%s-%s-%d", req.Kind, now.Format("20060102-150405"), i)
	}
	out := filepath.Join(folder, stem+".pdf")
	g := &registration{r: d.r, e: register.Entry{Kind: req.Kind, File: out}, d: &docFlags{}, logger: d.logger,
		desk: desk, receiptOpt: req.Receipt, stamp: st, shared: true}
	if desk != nil {
		g.d.receipt = filepath.Join(folder, stem+".receipt.pdf")
	}

	built, err := func() (*pipeline.Result, error) {
		if err := g.reserve(ctx, &opt, ""); err != nil {
			return nil, err
		}
		step(app.StepNumber)
		path := out
		if req.Signer != nil {
			path = filepath.Join(folder, "."+stem+".unsigned.pdf")
			defer os.Remove(path)
		}
		opt.Name = stem
		r, err := app.BuildPages(ctx, req.Pages, path, opt)
		if err != nil {
			return nil, err
		}
		g.captured(ctx, path, r, "")
		step(app.StepRecognise)
		if r.Stamp != nil {
			step(app.StepStamp)
		}
		if req.Signer != nil {
			if err := req.Signer.Sign(ctx, path, out); err != nil {
				return nil, err
			}
			r.Output = out
			step(app.StepSign)
		}
		return r, nil
	}()
	if err != nil {
		g.abandon(ctx, err)
		res.Entry = g.e
		if g.e.Number != "" {
			if e, gerr := d.r.Get(context.WithoutCancel(ctx), g.e.Number); gerr == nil {
				res.Entry = e
			}
		}
		return res, err
	}
	res.PDF, res.Warnings = out, built.Warnings
	e, err := g.record(ctx, built)
	res.Entry = g.e
	if err != nil && e.Number == "" {
		// Not completed (the database busy, the disk full): the number
		// is voided and the PDF that carries it set aside, so that
		// registering the item again cannot leave it with two numbers.
		os.Rename(out, out+".failed")
		g.abandon(ctx, err)
		if got, gerr := d.r.Get(context.WithoutCancel(ctx), g.e.Number); gerr == nil {
			res.Entry = got
		}
		res.PDF = ""
		return res, err
	}
	if err != nil {
		return res, err
	}
	res.Entry = e
	if desk != nil {
		res.Receipt = g.d.receipt
	}
	step(app.StepRegister)
	if req.Target == "" {
		return res, nil
	}
	// Registered: it goes out even if the person pressed Cancel just
	// now, as the register already says it was made.
	res.Delivery, err = d.queue(context.WithoutCancel(ctx), req.Target, out, e.Number)
	if err != nil {
		return res, fmt.Errorf("not queued for %s: %w", req.Target, err)
	}
	step(app.StepQueue)
	return res, nil
}

// checkNumbering refuses what the CLI refuses under [register]
// numbering = "server": the number is known only once the document is
// delivered, after the stamp is drawn and the receipt written, to a
// target that reads it from its server's answer.
func (d *guiRegistry) checkNumbering(req app.RegistryRequest) error {
	if d.r.Numbering() != register.ServerNumbering {
		return nil
	}
	const why = serverNumberingWhy
	if req.Stamp {
		return fmt.Errorf("%s, after the stamp is drawn: untick the arrival stamp", why)
	}
	if req.Desk != nil {
		return fmt.Errorf("%s: untick the receipt, and write it once the number is known (demat register receipt NUMBER)", why)
	}
	if req.Target == "" {
		return fmt.Errorf("%s: choose the target that numbers it in Send to", why)
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return numberingTarget(cfg, req.Target)
}

// queue puts the PDF at path in the outbox for target, under the
// number's name (the target's path template may name it otherwise).
func (d *guiRegistry) queue(ctx context.Context, target, path, number string) (outbox.Delivery, error) {
	tmp, err := os.MkdirTemp("", "demat-registry-")
	if err != nil {
		return outbox.Delivery{}, err
	}
	defer os.RemoveAll(tmp)
	name := upload.Sanitise(number)
	if name == "" {
		name = "document"
	}
	named := filepath.Join(tmp, name+".pdf")
	if err := copyPath(named, path); err != nil {
		return outbox.Delivery{}, err
	}
	return enqueue(ctx, d.ob, d.g.get(), target, named, nil)
}

// exists says whether something is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// copyPath copies the file at from to a new file to.
func copyPath(to, from string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
