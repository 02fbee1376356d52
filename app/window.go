package app

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/upload/outbox"
)

// Window is demat's main window: the document being made (its pages and
// description) and one view per screen, in tabs. Everything in it is
// touched on the UI goroutine only; background jobs report through
// fyne.Do.
type Window struct {
	app fyne.App
	win fyne.Window
	svc Services

	// doc is the document being made; it outlives the views, which are
	// rebuilt when the language changes.
	doc document
	// job cancels the running job (import or build); nil when none runs.
	job context.CancelFunc
	// jobs counts the jobs started, so that a job's late report cannot
	// touch a newer job's state.
	jobs int
	// relang: the language changed while a job ran; the views are
	// rebuilt once it has ended.
	relang bool
	// idle are what whenIdle keeps for the end of the running job.
	idle []func()
	// scanners are the devices found and the scan settings chosen.
	scanners scanners

	tabs     *container.AppTabs
	pages    *pagesView
	describe *describeView
	finish   *finishView
	batch    *batchView
	outbox   *outboxView
	register *registerView
	registry *registryView
	settings *settingsView
}

// New builds the main window's content in win, in the language saved in
// a's preferences (else the system's).
func New(a fyne.App, win fyne.Window, svc Services) *Window {
	svc.applyDefaults()
	if err := applyLanguagePref(a.Preferences()); err != nil {
		svc.Logger.Warn("translations", "err", err)
	}
	w := &Window{app: a, win: win, svc: svc}
	w.doc.meta = map[string]string{"received": svc.Now().Format("2006-01-02")}
	w.scanners.caps, w.scanners.asking = map[string]scan.Caps{}, map[string]bool{}
	w.build()
	win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { w.Drop(uris) })
	// Ctrl+O adds pages, Ctrl+S saves: the two things done most.
	win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) {
			if w.onBatch() {
				w.batch.askFiles()
				return
			}
			w.pages.askFiles()
		})
	win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.finish.askSave() })
	// Ctrl+Enter scans, as in NAPS2: the hand that fed the scanner
	// finds it without the mouse.
	win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.Scan() })
	// The scanners are looked for at once: a USB or network search
	// takes seconds, done while the person reaches for the paper.
	w.loadTypedScanners()
	w.FindDevices()
	return w
}

// Drop takes files dropped on the window: into the batch when the Batch
// screen is shown, else as pages of the document, whose screen is then
// shown. Files dropped while a job runs are read when it has ended.
func (w *Window) Drop(uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		return
	}
	batch := w.onBatch()
	if !batch {
		w.show(w.pages.content)
	}
	w.whenIdle(func() {
		if batch {
			w.batch.Import(paths...)
			return
		}
		w.pages.Import(paths...)
	})
}

// onBatch says whether the Batch screen is shown.
func (w *Window) onBatch() bool {
	it := w.tabs.Selected()
	return w.batch != nil && it != nil && it.Content == w.batch.content
}

// build makes the views in the current language and shows them.
func (w *Window) build() {
	w.win.SetTitle(lang.X("window.title", "demat: scan, describe, send"))
	if t, ok := w.app.Settings().Theme().(*Theme); ok && t.arabic != RightToLeft() {
		w.app.Settings().SetTheme(NewTheme())
	}
	w.pages = newPagesView(w)
	w.describe = newDescribeView(w)
	w.finish = newFinishView(w)
	w.settings = newSettingsView(w)
	w.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(lang.X("tab.pages", "Pages"), theme.DocumentIcon(), w.pages.content),
		container.NewTabItemWithIcon(lang.X("tab.describe", "Describe"), theme.DocumentCreateIcon(), w.describe.content),
		container.NewTabItemWithIcon(lang.X("tab.finish", "Save and send"), theme.MailSendIcon(), w.finish.content),
		container.NewTabItemWithIcon(lang.X("tab.batch", "Batch"), theme.ContentCopyIcon(), w.newBatch()),
	)
	if w.svc.Outbox != nil {
		w.outbox = newOutboxView(w)
		w.tabs.Append(container.NewTabItemWithIcon(lang.X("tab.outbox", "Outbox"), theme.UploadIcon(), w.outbox.content))
	}
	if w.svc.Register != nil {
		w.register = newRegisterView(w)
		w.tabs.Append(container.NewTabItemWithIcon(lang.X("tab.register", "Register"), theme.ListIcon(), w.register.content))
	}
	w.tabs.Append(container.NewTabItemWithIcon(lang.X("tab.settings", "Settings"), theme.SettingsIcon(), w.settings.content))
	w.tabs.OnSelected = func(it *container.TabItem) {
		w.refresh()
		// The register changes behind the window (documents registered
		// from a terminal, deliveries recorded): read it as it is shown.
		if w.register != nil && it.Content == w.register.content {
			w.register.reload()
		}
	}
	w.addRegistry()
	w.win.SetContent(w.tabs)
	w.refresh()
	if w.outbox != nil {
		w.outbox.reload()
	}
}

// Rebuild remakes the views, in the language now set; the document
// (pages, description) stays. It refuses while a job runs, whose reports
// would go to the views replaced.
func (w *Window) Rebuild() bool {
	if w.job != nil {
		return false
	}
	w.describe.save()
	sel := w.tabs.SelectedIndex()
	w.build()
	w.tabs.SelectIndex(sel)
	return true
}

// Show selects the tab showing content.
func (w *Window) show(content fyne.CanvasObject) {
	for _, it := range w.tabs.Items {
		if it.Content == content {
			w.tabs.Select(it)
		}
	}
}

// refresh brings every view's buttons in line with the document and the
// job.
func (w *Window) refresh() {
	w.pages.refresh()
	w.finish.refresh()
	w.refreshBatch()
}

// busy says whether a job runs.
func (w *Window) busy() bool { return w.job != nil }

// startJob registers a new job and returns its context and number;
// endJob(n) ends it if it is still the current one.
func (w *Window) startJob() (context.Context, int) {
	ctx, cancel := context.WithCancel(context.Background())
	w.jobs++
	w.job = cancel
	w.refresh()
	return ctx, w.jobs
}

// endJob ends job n; it reports whether n was the current job.
func (w *Window) endJob(n int) bool {
	if n != w.jobs || w.job == nil {
		return false
	}
	w.job()
	w.job = nil
	w.refresh()
	return true
}

// jobShown is called once a job's outcome is shown: a language chosen
// meanwhile applies now.
func (w *Window) jobShown() {
	if w.relang && w.job == nil {
		w.relang = false
		w.Rebuild()
	}
	// One at a time: a function that starts a job leaves the rest for
	// that job's end.
	for w.job == nil && len(w.idle) > 0 {
		f := w.idle[0]
		w.idle = w.idle[1:]
		f()
	}
}

// whenIdle runs f on the UI goroutine once no job runs: now, or when the
// running one's outcome is shown.
func (w *Window) whenIdle(f func()) {
	if w.job == nil {
		f()
		return
	}
	w.idle = append(w.idle, f)
}

// Cancel stops the running job: an import keeps the pages read so far, a
// build writes nothing.
func (w *Window) Cancel() {
	if w.job != nil {
		w.job()
	}
}

// DeliveryChanged is the outbox's Notify: it may be called from any
// goroutine and must not block.
func (w *Window) DeliveryChanged(outbox.Delivery) {
	fyne.Do(func() {
		if w.outbox != nil {
			w.outbox.reload()
		}
	})
}
