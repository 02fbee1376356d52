package main

import (
	"context"
	"log/slog"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/pipeline"
)

// openWindow runs the GUI until its window closes.
func openWindow(ctx context.Context, logger *slog.Logger) error {
	a := fyneapp.NewWithID("org.demat.app")
	w := a.NewWindow("demat")
	app.NewView(w, pipeline.Process, logger)
	w.Resize(fyne.NewSize(640, 480))
	go func() {
		<-ctx.Done()
		a.Quit()
	}()
	w.ShowAndRun()
	return nil
}
