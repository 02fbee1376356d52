package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pipeline"
)

// Process is the pipeline call the window makes; tests replace it.
type Process func(ctx context.Context, inputs []string, out string, opt pipeline.Options) (*pipeline.Result, error)

// View is the main window: a list of page files, the OCR languages, and a
// button that makes the searchable PDF. Its fields are touched only on the
// UI goroutine.
type View struct {
	win     fyne.Window
	process Process
	logger  *slog.Logger

	files    []string
	list     *widget.List
	langs    *widget.Entry
	add      *widget.Button
	clear    *widget.Button
	run      *widget.Button
	cancel   *widget.Button
	progress *widget.ProgressBarInfinite
	status   *widget.Label

	mu   sync.Mutex // guards stop
	stop context.CancelFunc
	done chan struct{} // closed when the last started job has finished
}

// NewView builds the main window's content in win.
func NewView(win fyne.Window, process Process, logger *slog.Logger) *View {
	v := &View{win: win, process: process, logger: logger}
	v.list = widget.NewList(
		func() int { return len(v.files) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(filepath.Base(v.files[i])) },
	)
	v.langs = widget.NewEntry()
	v.langs.SetText(strings.Join(ocr.DefaultLanguages, "+"))
	v.add = widget.NewButton("Add pages…", v.askFile)
	v.clear = widget.NewButton("Clear", func() { v.files = nil; v.list.Refresh(); v.refresh() })
	v.run = widget.NewButton("Make searchable PDF…", v.askOutput)
	v.run.Importance = widget.HighImportance
	v.cancel = widget.NewButton("Cancel", v.Cancel)
	v.progress = widget.NewProgressBarInfinite()
	v.progress.Stop()
	v.progress.Hide()
	v.status = widget.NewLabel("Add page images (PNG, JPEG, TIFF, image-only PDF), or drop files and folders here.")
	v.status.Wrapping = fyne.TextWrapWord

	top := container.NewBorder(nil, nil, widget.NewLabel("OCR languages"), nil, v.langs)
	buttons := container.NewHBox(v.add, v.clear)
	bottom := container.NewVBox(v.progress, v.status, container.NewHBox(v.run, v.cancel))
	win.SetContent(container.NewBorder(container.NewVBox(top, buttons), bottom, nil, nil, v.list))
	win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { v.Drop(uris) })
	v.refresh()
	return v
}

// AddFiles appends page files to the list.
func (v *View) AddFiles(paths ...string) {
	v.files = append(v.files, paths...)
	v.list.Refresh()
	v.refresh()
}

// Drop adds files and folders dropped on the window, unless a job runs.
func (v *View) Drop(uris []fyne.URI) {
	v.mu.Lock()
	busy := v.stop != nil
	v.mu.Unlock()
	if busy {
		return
	}
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	v.AddFiles(paths...)
}

func (v *View) refresh() {
	v.mu.Lock()
	busy := v.stop != nil
	v.mu.Unlock()
	setEnabled(v.run, !busy && len(v.files) > 0)
	setEnabled(v.add, !busy)
	setEnabled(v.clear, !busy && len(v.files) > 0)
	setEnabled(v.cancel, busy)
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func (v *View) askFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		r.Close()
		v.AddFiles(r.URI().Path())
	}, v.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"}))
	d.Show()
}

func (v *View) askOutput() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		v.Start(path, true)
	}, v.win)
	d.SetFileName("document.pdf")
	d.Show()
}

// Start makes the PDF at out from the listed files in the background.
// force replaces an existing file (the save dialog already asked).
func (v *View) Start(out string, force bool) {
	langs, err := ocr.ParseLanguages(v.langs.Text)
	if err != nil {
		v.status.SetText(err.Error())
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.mu.Lock()
	v.stop = cancel
	v.mu.Unlock()
	v.refresh()
	v.progress.Show()
	v.progress.Start()
	v.status.SetText("Reading pages…")
	files := append([]string(nil), v.files...)
	done := make(chan struct{})
	v.done = done
	go func() {
		defer close(done)
		res, err := v.process(ctx, files, out, pipeline.Options{
			Languages: langs, Force: force, Logger: v.logger,
			Progress: func(e pipeline.Event) {
				if e.Stage == pipeline.StageWrite && e.Warning == "" {
					fyne.Do(func() { v.status.SetText(fmt.Sprintf("Page %d done (%s)", e.Done, e.Text)) })
				}
			},
		})
		fyne.Do(func() { v.finish(res, err) })
	}()
}

func (v *View) finish(res *pipeline.Result, err error) {
	v.mu.Lock()
	if v.stop != nil {
		v.stop()
	}
	v.stop = nil
	v.mu.Unlock()
	v.progress.Stop()
	v.progress.Hide()
	switch {
	case errors.Is(err, context.Canceled):
		v.status.SetText("Cancelled. Nothing was written.")
	case err != nil:
		v.status.SetText("Failed: " + err.Error())
	default:
		v.status.SetText(fmt.Sprintf("Saved %s: %d pages, %d words.", res.Output, res.Pages, res.Words))
	}
	v.refresh()
}

// Cancel stops the running job; pages already read are dropped with the
// unfinished output, the input files stay as they were.
func (v *View) Cancel() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stop != nil {
		v.stop()
	}
}

// Wait blocks until the last job started has finished and the window
// shows its outcome.
func (v *View) Wait() {
	if v.done != nil {
		<-v.done
	}
}

// Status is the text under the progress bar.
func (v *View) Status() string { return v.status.Text }
