package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/scan/escl"
	"github.com/demat-app/demat/upload/outbox"
)

// appID is the desktop application's id (FyneApp.toml says the same):
// its preferences are kept under it.
const appID = "org.demat.app"

// openWindow runs the GUI until its window closes. The outbox runs
// beside it for as long as the window is open, so documents sent from
// the window (or queued by a CLI command) go out in the background.
func openWindow(ctx context.Context, logger *slog.Logger) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	ob, err := openOutbox(ctx, logger)
	if err != nil {
		return err
	}
	defer ob.Close()
	// The window works without the register (a wrong [register] format,
	// say): scanning and sending do not need it, only its tab is hidden.
	reg, err := openRegister(ctx, logger)
	if err != nil {
		logger.Warn("the register cannot be opened", "err", err)
	} else {
		defer reg.Close()
	}

	drivers, err := sources(driverConfig{}, logger)
	if err != nil {
		return err
	}
	var scanners []app.Driver
	for _, d := range drivers {
		// Files come in through the Pages screen's own buttons and
		// drops, not as a device.
		if d.name != "file" {
			scanners = append(scanners, app.Driver{Name: d.name, Source: d.src})
		}
	}

	a := fyneapp.NewWithID(appID)
	a.Settings().SetTheme(app.NewTheme())
	w := a.NewWindow("demat")
	gc := newGUIConfig(cfg, logger)
	svc := gc.services(ob)
	gc.wireBatch(&svc)
	if reg != nil {
		svc.Register = guiRegister{r: reg, ob: ob, logger: logger}
		if gr, err := newGUIRegistry(gc, reg, ob, logger); err == nil {
			gr.wire(&svc)
		}
	}
	svc.Scanners = scanners
	svc.DeviceAt = escl.DeviceFor
	if guiHook != nil {
		guiHook(&svc)
	}
	win := app.New(a, w, svc)
	w.Resize(fyne.NewSize(1000, 700))
	if guiStarted != nil {
		guiStarted(win)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := ob.Run(runCtx, outbox.RunOptions{
			Targets: gc, Mode: outbox.Forever, Notify: win.DeliveryChanged,
			// A document sent from the window should leave at once; the
			// query behind a poll is cheap.
			Poll: time.Second,
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("outbox", "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			fyne.Do(a.Quit)
		case <-runCtx.Done():
		}
	}()
	w.ShowAndRun()
	stop()
	<-done
	return nil
}

// guiHook and guiStarted, when set (by the tests that take the
// screenshots), adjust the window's services and drive the window once
// it is built.
var (
	guiHook    func(*app.Services)
	guiStarted func(*app.Window)
)

// targetNames lists the targets the window offers, the default first;
// the documents folder is always among them, so sending works with no
// configuration.
func targetNames(cfg *config.Config) []string {
	names := []string{defaultTargetName(cfg)}
	for _, t := range cfg.Targets {
		if !slices.Contains(names, t.Name) {
			names = append(names, t.Name)
		}
	}
	if !slices.Contains(names, documentsTarget) {
		names = append(names, documentsTarget)
	}
	return names
}
