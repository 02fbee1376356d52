package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/separate"
	"github.com/demat-app/demat/upload/sign"
)

// splitMode is how the Batch screen cuts a batch into documents.
type splitMode int

const (
	splitSeparators splitMode = iota // at separator sheets
	splitBlank                       // at blank pages
	splitEvery                       // every so many pages
)

// Preferences of the Batch screen: where the documents go and how they
// are named, kept for the next box (and the next start).
const (
	prefBatchFolder   = "batch.folder"
	prefBatchTemplate = "batch.template"
	prefBatchTarget   = "batch.target"
	prefBatchCert     = "batch.certificate"
)

// hand is the person's correction of a page's detection.
type hand int

const (
	handNone      hand = iota // as detected
	handSeparator             // a separator sheet, whatever was detected
	handNot                   // not a separator, whatever was detected
)

// batchPage is one page of the batch: the page captured, what detection
// found on it (nil while it is being looked at) and the correction.
type batchPage struct {
	page
	found *pipeline.Mark
	hand  hand
}

// batchState is the batch being split. It belongs to the UI goroutine
// and outlives the views, which are rebuilt when the language changes.
type batchState struct {
	pages []*batchPage
	mode  splitMode
	every int
	// duplex: the pages came from both sides of the sheets, so the back
	// of a separator sheet is left out whatever it shows.
	duplex bool
	// rules are those the pages were looked at with.
	rules *separate.Rules
	// shown shows the last run's outcome again in a view rebuilt in
	// another language; nil before one.
	shown func(*batchView)
	// parts are the documents, cut from the pages as they are now;
	// doc gives each page's document index, -1 for a page left out.
	parts []pipeline.Part
	doc   []int
}

// batchView is the Batch screen: a feeder batch (or a folder of scans)
// with separator sheets between its documents, the pages as thumbnails
// that show what cuts them, the documents they make, and making them.
type batchView struct {
	w       *Window
	st      *batchState
	content fyne.CanvasObject

	mode        *widget.Select
	every       *widget.Entry
	add, folder *widget.Button
	scan        *widget.Button
	device      *widget.Label
	toggle      *widget.Button
	clear       *widget.Button
	grid        *widget.GridWrap
	selected    int
	empty       *widget.Label
	// docs lists the documents: a few dozen at most, each a title and
	// the fields its separator gives, wrapped.
	docs *fyne.Container

	outDir   *widget.Entry
	chooseTo *widget.Button
	template *widget.Entry
	make     *widget.Button
	target   *widget.Select
	send     *widget.Button
	// signWith is the certificate each document is signed with; nil
	// when the window cannot sign.
	signWith *widget.Select
	certs    []Certificate

	progress *widget.ProgressBar
	cancel   *widget.Button
	status   *widget.Label
}

// newBatch makes the Batch screen, keeping the batch of the screen it
// replaces, and gives its content.
func (w *Window) newBatch() fyne.CanvasObject {
	st := &batchState{every: 2}
	if w.batch != nil {
		st = w.batch.st
	}
	w.batch = newBatchView(w, st)
	if st.shown != nil {
		st.shown(w.batch)
	}
	return w.batch.content
}

func (w *Window) refreshBatch() {
	if w.batch != nil {
		w.batch.refresh()
	}
}

func modeLabels() []string {
	return []string{
		lang.X("batch.mode_separators", "At separator sheets"),
		lang.X("batch.mode_blank", "At blank pages"),
		lang.X("batch.mode_every", "Every N pages"),
	}
}

func newBatchView(w *Window, st *batchState) *batchView {
	v := &batchView{w: w, st: st, selected: -1}
	v.mode = widget.NewSelect(modeLabels(), func(s string) {
		if i := slices.Index(modeLabels(), s); i >= 0 && splitMode(i) != v.st.mode {
			v.st.mode = splitMode(i)
			v.regroup()
		}
	})
	v.mode.Selected = modeLabels()[st.mode]
	v.every = widget.NewEntry()
	v.every.SetText(strconv.Itoa(st.every))
	v.every.OnChanged = func(s string) {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 && n != v.st.every {
			v.st.every = n
			v.regroup()
		}
	}
	v.add = widget.NewButtonWithIcon(lang.X("pages.add", "Add files…"), theme.ContentAddIcon(), v.askFiles)
	v.folder = widget.NewButtonWithIcon(lang.X("pages.add_folder", "Add a folder…"), theme.FolderOpenIcon(), v.askFolder)
	v.scan = widget.NewButtonWithIcon(lang.X("batch.scan", "Scan the batch"), theme.MediaRecordIcon(), v.Scan)
	v.scan.Importance = widget.HighImportance
	v.device = widget.NewLabel("")
	v.toggle = widget.NewButtonWithIcon(lang.X("batch.mark", "Separator here"), theme.ContentCutIcon(), func() { v.Toggle(v.selected) })
	v.clear = widget.NewButtonWithIcon(lang.X("batch.clear", "New batch"), theme.ContentClearIcon(), v.askClear)

	v.grid = widget.NewGridWrap(
		func() int { return len(v.st.pages) },
		func() fyne.CanvasObject { return newBatchThumb() },
		func(i widget.GridWrapItemID, o fyne.CanvasObject) { v.showThumb(o.(*batchThumb), i) },
	)
	v.grid.OnSelected = func(i widget.GridWrapItemID) { v.selected = i; v.refresh() }
	v.grid.OnUnselected = func(widget.GridWrapItemID) { v.selected = -1; v.refresh() }
	v.empty = widget.NewLabel(lang.X("batch.empty", "Put separator sheets (printed with demat separator) between the documents, then scan the whole batch through the feeder or add the scanned files. Each document gets the metadata its separator's code gives."))
	v.empty.Wrapping = fyne.TextWrapWord
	v.empty.Alignment = fyne.TextAlignCenter
	v.docs = container.NewVBox()

	prefs := w.app.Preferences()
	v.outDir = widget.NewEntry()
	if l := w.saveFolder(); l != nil {
		v.outDir.SetText(l.Path())
	}
	if d := prefs.String(prefBatchFolder); d != "" {
		v.outDir.SetText(d)
	}
	v.outDir.SetPlaceHolder(lang.X("batch.folder", "Folder the documents are saved in"))
	v.outDir.OnChanged = func(s string) {
		prefs.SetString(prefBatchFolder, strings.TrimSpace(s))
		v.refresh()
	}
	v.chooseTo = widget.NewButtonWithIcon("", theme.FolderOpenIcon(), v.askOutDir)
	v.template = widget.NewEntry()
	v.template.SetText(prefs.StringWithFallback(prefBatchTemplate, "{n:3}.pdf"))
	v.template.SetPlaceHolder("{n:3}-{reference}.pdf")
	v.template.OnChanged = func(s string) { prefs.SetString(prefBatchTemplate, s) }
	v.make = widget.NewButtonWithIcon(lang.X("batch.make", "Make the documents"), theme.DocumentSaveIcon(), func() {
		v.Make(v.outDir.Text, v.template.Text)
	})
	v.make.Importance = widget.HighImportance
	v.target = widget.NewSelect(nil, func(s string) {
		prefs.SetString(prefBatchTarget, s)
		v.refresh()
	})
	v.target.PlaceHolder = lang.X("finish.choose_target", "(choose where to send it)")
	if w.svc.Targets != nil {
		v.target.Options = w.svc.Targets()
		if len(v.target.Options) > 0 {
			v.target.Selected = v.target.Options[0]
		}
		if t := prefs.String(prefBatchTarget); slices.Contains(v.target.Options, t) {
			v.target.Selected = t
		}
	}
	v.send = widget.NewButtonWithIcon(lang.X("batch.send", "Send each document"), theme.MailSendIcon(), func() { v.Send(v.target.Selected) })
	v.progress = widget.NewProgressBar()
	v.progress.Hide()
	v.cancel = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), w.Cancel)
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	every := container.New(layout.NewGridWrapLayout(fyne.NewSize(70, v.every.MinSize().Height)), v.every)
	mode := fixedWidth(v.mode, modeLabels()...)
	tmpl := container.New(layout.NewGridWrapLayout(fyne.NewSize(200, v.template.MinSize().Height)), v.template)
	split := container.NewHBox(widget.NewLabel(lang.X("batch.split", "Cut the batch")), mode, every)
	// The device chosen on Pages takes what room is left: the toolbar
	// must not make the window wider than the other screens.
	v.device.Truncation = fyne.TextTruncateEllipsis
	buttons := container.NewHBox(v.add, v.folder)
	if len(w.svc.Scanners) > 0 {
		buttons.Add(v.scan)
	}
	capture := container.NewBorder(nil, nil, buttons, nil, v.device)
	top := container.NewVBox(container.NewHBox(split, widget.NewSeparator(), v.toggle, v.clear), capture)
	if RightToLeft() {
		// Read from the right, as on the Pages screen.
		buttons = container.NewHBox(v.folder, v.add)
		if len(w.svc.Scanners) > 0 {
			buttons = container.NewHBox(v.scan, v.folder, v.add)
		}
		v.device.Alignment = fyne.TextAlignTrailing
		top = container.NewVBox(
			container.NewHBox(layout.NewSpacer(), v.clear, v.toggle, widget.NewSeparator(), every, mode, widget.NewLabel(lang.X("batch.split", "Cut the batch"))),
			container.NewBorder(nil, nil, nil, buttons, v.device))
	}
	docsBox := container.NewBorder(widget.NewLabelWithStyle(lang.X("batch.documents", "Documents"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, container.NewVScroll(v.docs))
	pages := container.NewStack(v.grid, container.NewVBox(layout.NewSpacer(), v.empty, layout.NewSpacer()))
	middle := container.NewHSplit(pages, docsBox)
	middle.Offset = 0.68
	if RightToLeft() {
		middle = container.NewHSplit(docsBox, pages)
		middle.Offset = 0.32
	}
	saveIn, orSend := widget.NewLabel(lang.X("batch.save_in", "Save in")), widget.NewLabel(lang.X("batch.or_send", "Or send to"))
	named := widget.NewLabel(lang.X("batch.named", "named"))
	save := container.NewBorder(nil, nil, saveIn, container.NewHBox(v.chooseTo, named, tmpl, v.make), v.outDir)
	send := container.NewBorder(nil, nil, orSend, v.send, v.target)
	if RightToLeft() {
		save = container.NewBorder(nil, nil, container.NewHBox(v.make, tmpl, named, v.chooseTo), saveIn, v.outDir)
		send = container.NewBorder(nil, nil, v.send, orSend, v.target)
	}
	bottom := container.NewVBox()
	if w.svc.Certificates != nil && w.svc.OpenCertificate != nil {
		bottom.Add(v.newSignRow())
	}
	bottom.Add(save)
	if w.svc.Send != nil {
		bottom.Add(send)
	}
	bottom.Add(container.NewBorder(nil, nil, nil, v.cancel, v.progress))
	bottom.Add(v.status)
	v.content = container.NewBorder(top, bottom, nil, nil, middle)
	v.regroup()
	return v
}

// refresh shows what can be done now.
func (v *batchView) refresh() {
	w, st := v.w, v.st
	busy := w.busy()
	if v.selected >= len(st.pages) {
		v.selected = -1
	}
	for _, b := range []*widget.Button{v.add, v.folder, v.chooseTo} {
		setEnabled(b, !busy)
	}
	s := &w.scanners
	_, known := s.caps[s.device]
	setEnabled(v.scan, !busy && known)
	v.device.SetText("")
	if known {
		v.device.SetText(fmt.Sprintf("%s, %s", w.deviceByID(s.device).Name, inputLabel(s.opt.Input)))
	}
	if busy {
		v.mode.Disable()
		v.every.Disable()
		v.cancel.Show()
	} else {
		v.mode.Enable()
		v.every.Enable()
		v.cancel.Hide()
	}
	if st.mode == splitEvery {
		v.every.Show()
	} else {
		v.every.Hide()
	}
	sel := v.selected >= 0 && !busy
	setEnabled(v.toggle, sel)
	if sel && v.isCut(v.selected) {
		v.toggle.SetText(lang.X("batch.unmark", "Not a separator"))
	} else {
		v.toggle.SetText(lang.X("batch.mark", "Separator here"))
	}
	setEnabled(v.clear, !busy && len(st.pages) > 0)
	ready := !busy && len(st.parts) > 0
	setEnabled(v.make, ready && strings.TrimSpace(v.outDir.Text) != "")
	setEnabled(v.send, ready && v.target.Selected != "")
	if busy {
		v.target.Disable()
	} else {
		v.target.Enable()
	}
	if len(st.pages) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
}

// marks are the pages' marks as the split in the chosen mode takes
// them: detected separators count only at separator sheets, blank pages
// only where they cut or follow a separator, and the corrections always.
func (st *batchState) marks() []pipeline.Mark {
	out := make([]pipeline.Mark, len(st.pages))
	for i, p := range st.pages {
		var m pipeline.Mark
		if p.found != nil {
			m = *p.found
		}
		switch st.mode {
		case splitBlank:
			m.Separator = nil
		case splitEvery:
			m = pipeline.Mark{}
		}
		switch p.hand {
		case handSeparator:
			if m.Separator == nil && p.found != nil && p.found.Separator != nil {
				m.Separator = p.found.Separator
			}
			if m.Separator == nil {
				m.Separator = &separate.Separator{Fields: map[string]string{}}
			}
			m.Blank = false
		case handNot:
			m.Separator, m.Blank = nil, false
		}
		out[i] = m
	}
	return out
}

// split is how the chosen mode cuts. Separator rules are always given
// (with nothing to detect), so that a separator marked by hand cuts in
// every mode.
func (st *batchState) split() pipeline.Split {
	sp := pipeline.Split{Rules: &separate.Rules{}, Duplex: st.duplex}
	switch st.mode {
	case splitBlank:
		sp.Blank = true
	case splitEvery:
		sp.Every = max(1, st.every)
	}
	return sp
}

// regroup cuts the batch again, after a page came, was looked at or
// corrected, or the mode changed.
func (v *batchView) regroup() {
	st := v.st
	st.parts = st.split().Cut(st.marks())
	st.doc = make([]int, len(st.pages))
	for i := range st.doc {
		st.doc[i] = -1
	}
	for j, p := range st.parts {
		for _, i := range p.Pages {
			st.doc[i] = j
		}
	}
	v.grid.Refresh()
	v.showDocs()
	v.refresh()
}

// isCut says whether page i cuts the batch: a separator, or a blank page
// when blank pages cut.
func (v *batchView) isCut(i int) bool {
	m := v.st.marks()[i]
	return m.Separator != nil || (v.st.mode == splitBlank && m.Blank)
}

// Toggle makes page i a separator sheet, or no longer one: the person
// knows better than detection.
func (v *batchView) Toggle(i int) {
	st := v.st
	if i < 0 || i >= len(st.pages) || v.w.busy() {
		return
	}
	p := st.pages[i]
	if v.isCut(i) {
		p.hand = handNot
	} else {
		p.hand = handSeparator
	}
	v.regroup()
}

// badge says what a page is to the split, and the colour it is shown
// in.
func (v *batchView) badge(i int) (string, color.Color) {
	text, c, _ := v.band(i)
	return text, c
}

// band is what a page's band says, its colour and the colour of its
// text: a separator sheet stands out in the theme's warning colour, a
// page left out is greyed, the documents take turns in four colours.
func (v *batchView) band(i int) (text string, bg, fg color.Color) {
	st := v.st
	p := st.pages[i]
	m := st.marks()[i]
	th := fyne.CurrentApp().Settings().Theme()
	variant := fyne.CurrentApp().Settings().ThemeVariant()
	grey, fore := th.Color(theme.ColorNameDisabledButton, variant), th.Color(theme.ColorNameForeground, variant)
	switch {
	case m.Separator != nil:
		return separatorText(m.Separator, st.rules, p.hand == handSeparator), th.Color(theme.ColorNameWarning, variant), th.Color(theme.ColorNameForegroundOnWarning, variant)
	case st.mode == splitBlank && m.Blank:
		return lang.X("batch.blank_cut", "Blank: a cut"), grey, fore
	case st.doc[i] < 0:
		return lang.X("batch.left_out", "Left out"), grey, fore
	case p.found == nil && st.mode != splitEvery:
		return lang.X("batch.looking", "Looking…"), grey, fore
	}
	return v.partLabel(st.doc[i] + 1), docColour(st.doc[i]), color.White
}

// partLabel names the n-th document on its pages' badges.
func (v *batchView) partLabel(n int) string {
	return lang.X("batch.document", "Document {{.N}}", map[string]any{"N": n})
}

// separatorText is what a separator sheet's badge says: its code as
// printed, Patch T, or that it was marked by hand.
func separatorText(s *separate.Separator, rules *separate.Rules, byHand bool) string {
	switch {
	case s.Code.Text != "":
		marker := ""
		if rules != nil {
			marker = rules.Marker
		}
		return marker + s.Value
	case byHand:
		return lang.X("batch.marked", "Separator (marked)")
	}
	return "Patch T"
}

// docColour tells neighbouring documents apart.
func docColour(n int) color.Color {
	palette := []color.NRGBA{{0x1e, 0x88, 0xe5, 0xff}, {0x43, 0xa0, 0x47, 0xff}, {0x8e, 0x24, 0xaa, 0xff}, {0x00, 0x89, 0x7b, 0xff}}
	return palette[n%len(palette)]
}

// showDocs lists the documents: each one's number, pages and fields.
func (v *batchView) showDocs() {
	v.docs.RemoveAll()
	for i := range v.st.parts {
		l := widget.NewLabel(v.partText(i))
		l.Wrapping = fyne.TextWrapWord
		v.docs.Add(l)
	}
}

// partText describes document i: its number, pages and fields.
func (v *batchView) partText(i int) string {
	p := v.st.parts[i]
	s := lang.X("batch.part", "Document {{.N}} — {{.Pages}} page(s)", map[string]any{"N": p.N, "Pages": len(p.Pages)})
	if f := fieldsText(p.Separator); f != "" {
		s += " — " + f
	}
	return s
}

// fieldsText shows the fields a separator gives, sorted by name, else
// its value.
func fieldsText(s *separate.Separator) string {
	if s == nil {
		return ""
	}
	var keys []string
	for k := range s.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		out = append(out, k+" "+s.Fields[k])
	}
	if len(out) == 0 {
		return s.Value
	}
	return strings.Join(out, ", ")
}

func (v *batchView) showThumb(t *batchThumb, i int) {
	if i >= len(v.st.pages) {
		return
	}
	text, bg, fg := v.band(i)
	t.set(v.st.pages[i].thumb, i+1, text, bg, fg)
}

func (v *batchView) askFiles()  { v.w.askPages(false, func(p string) { v.Import(p) }) }
func (v *batchView) askFolder() { v.w.askPages(true, func(p string) { v.Import(p) }) }

func (v *batchView) askOutDir() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		v.outDir.SetText(u.Path())
	}, v.w.win)
	if l := v.w.saveFolder(); l != nil {
		d.SetLocation(l)
	}
	d.Show()
	d.Resize(dialogSize(v.w.win))
}

// askClear empties the batch once the person confirms.
func (v *batchView) askClear() {
	dialog.ShowConfirm(lang.X("batch.clear", "New batch"),
		lang.X("batch.clear_confirm", "Put these pages aside and start a new batch? Documents already made are kept."),
		func(ok bool) {
			if ok {
				v.Clear()
			}
		}, v.w.win)
}

// Clear empties the batch.
func (v *batchView) Clear() {
	if v.w.busy() {
		return
	}
	mode, every := v.st.mode, v.st.every
	*v.st = batchState{mode: mode, every: every}
	v.grid.UnselectAll()
	v.selected = -1
	v.status.SetText("")
	v.regroup()
}

// Import reads the pages of files and folders into the batch in the
// background; each is looked at as it comes.
func (v *batchView) Import(paths ...string) {
	read := v.w.svc.Read
	v.capture(lang.X("pages.reading", "Reading pages…"), false, false, func(ctx context.Context, emit func(scan.Page) error) error {
		return read(ctx, paths, emit)
	})
}

// Scan scans the batch with the device and settings chosen on the Pages
// screen, usually through the feeder.
func (v *batchView) Scan() {
	w := v.w
	s := &w.scanners
	caps, ok := s.caps[s.device]
	src := w.driverFor(s.device)
	if w.busy() || !ok || src == nil {
		return
	}
	dev, opt := w.deviceByID(s.device), settle(caps, s.opt)
	v.capture(lang.X("scan.scanning", "Scanning…"), true, opt.Input == scan.Duplex, func(ctx context.Context, emit func(scan.Page) error) error {
		return src.Scan(ctx, dev, opt, emit)
	})
}

// capture runs a job that delivers pages (an import or a scan) into the
// batch. Each page shows as soon as it is delivered; detection looks at
// the pages on a goroutine of its own, in order, so that the scanner
// does not wait for it, and each page's badge shows what it found.
// Cancel keeps the pages delivered so far.
func (v *batchView) capture(status string, scanning, duplex bool, run func(ctx context.Context, emit func(scan.Page) error) error) {
	w := v.w
	if w.busy() {
		return
	}
	ctx, n := w.startJob()
	v.st.shown = nil
	st := v.st
	if len(st.pages) == 0 {
		st.duplex = duplex
	}
	v.progress.Hide()
	v.status.SetText(status)
	rulesOf, detect, logger := w.svc.SeparatorRules, w.svc.Detect, w.svc.Logger
	current := func() bool { return n == w.jobs }
	go func() {
		read, looked := 0, 0
		err := func() error {
			rules, err := rulesOf()
			if err != nil {
				return fmt.Errorf("separator rules: %w", err)
			}
			fyne.Do(func() { st.rules = rules })
			sp := pipeline.Split{Rules: rules}
			// Pages waiting for detection hold their files, not their
			// pixels (scanned pages their compressed image).
			queue := make(chan *batchPage, 256)
			done := make(chan struct{})
			go func() {
				defer close(done)
				// Every page kept is looked at, even after Cancel: a
				// separator not looked at would end up inside a document.
				dctx := context.WithoutCancel(ctx)
				for p := range queue {
					m, err := detect(dctx, p.scan, sp)
					if err != nil {
						logger.Warn("batch detection", "source", p.scan.Source, "err", err)
						m = pipeline.Mark{}
					}
					fyne.Do(func() {
						p.found = &m
						looked++
						if current() {
							w.batch.regroup()
						}
					})
				}
			}()
			err = run(ctx, func(sp scan.Page) error {
				pg, err := newPage(sp)
				if err != nil {
					return err
				}
				p := &batchPage{page: *pg}
				fyne.Do(func() {
					if !current() {
						return
					}
					read++
					st.pages = append(st.pages, p)
					b := w.batch
					b.regroup()
					b.grid.ScrollToBottom()
					b.status.SetText(lang.X("pages.read", "{{.N}} page(s) read…", map[string]any{"N": read}))
				})
				queue <- p // the detector drains it whatever happens
				return ctx.Err()
			})
			close(queue)
			<-done
			return err
		}()
		fyne.Do(func() {
			if !w.endJob(n) {
				return
			}
			b := w.batch
			b.regroup()
			// The batch is checked from its first page.
			b.grid.ScrollToTop()
			switch {
			case errors.Is(err, context.Canceled):
				b.status.SetText(lang.X("pages.import_cancelled", "Stopped: the pages read before are kept."))
			case err != nil:
				logger.Warn("batch capture", "err", err)
				b.status.SetText(captureError(err, read, scanning))
			default:
				b.status.SetText(lang.X("batch.ready", "{{.Pages}} page(s), {{.Docs}} document(s). Select a page to mark or unmark it as a separator.",
					map[string]any{"Pages": len(st.pages), "Docs": len(st.parts)}))
			}
			w.jobShown()
		})
	}()
}

// newSignRow is the choice of the certificate each document is signed
// with. The signature is invisible: an archive's pages are not marked.
func (v *batchView) newSignRow() fyne.CanvasObject {
	v.certs = v.w.svc.Certificates()
	v.signWith = newCertSelect(v.certs, v.w.app.Preferences(), prefBatchCert, nil)
	label := widget.NewLabel(lang.X("finish.sign_with", "Sign with"))
	help := widget.NewLabel(lang.X("batch.sign_help", "each document, before it is saved or sent (the signature is not shown on the pages)"))
	help.Truncation = fyne.TextTruncateEllipsis
	if len(v.certs) == 0 {
		v.signWith.Disable()
		help.SetText(lang.X("finish.sign_none", "No certificate yet: add one in Settings to sign documents."))
	}
	sel := fixedWidth(v.signWith, v.signWith.Options...)
	if RightToLeft() {
		help.Alignment = fyne.TextAlignTrailing
		return container.NewBorder(nil, nil, nil, container.NewHBox(sel, label), help)
	}
	return container.NewBorder(nil, nil, container.NewHBox(label, sel), nil, help)
}

// signer is the certificate chosen, or nil for no signature.
func (v *batchView) signer() *Certificate { return chosenCert(v.signWith, v.certs) }

// made is one document the batch made.
type made struct {
	n     int
	out   string // the file written, or where it was queued
	pages int
}

// Make writes each document into folder, named from tmpl ({n:3},
// {reference}… the separator's fields); a name already taken gets -2,
// -3…: nothing is overwritten.
func (v *batchView) Make(folder, tmpl string) {
	folder, tmpl = strings.TrimSpace(folder), strings.TrimSpace(tmpl)
	if folder == "" {
		return
	}
	used := map[string]bool{}
	v.run(func(ctx context.Context, n int, name string, res *pipeline.Result, _ map[string]string) (string, error) {
		return res.Output, nil
	}, func(n int, name string) (string, func(), error) {
		out := pipeline.UnusedName(filepath.Join(folder, name), used, false)
		used[out] = true
		return out, func() {}, os.MkdirAll(filepath.Dir(out), 0o755)
	}, tmpl)
}

// Send makes each document in a temporary folder and queues it for
// target, with its metadata; the outbox keeps its own copy.
func (v *batchView) Send(target string) {
	send := v.w.svc.Send
	if target == "" || send == nil {
		return
	}
	v.run(func(ctx context.Context, n int, name string, res *pipeline.Result, fields map[string]string) (string, error) {
		d, err := send(ctx, target, res.Output, fields)
		if err != nil {
			return "", err
		}
		return target + ": " + d.Dest, nil
	}, func(n int, name string) (string, func(), error) {
		dir, err := os.MkdirTemp("", "demat-batch-")
		if err != nil {
			return "", nil, err
		}
		out := filepath.Join(dir, name)
		// A template may name folders ({sender}/{n:3}.pdf).
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		return out, func() { os.RemoveAll(dir) }, nil
	}, strings.TrimSpace(v.template.Text))
}

// run makes the documents one after the other in the background: each is
// described by its separator's fields, written to the path place gives
// (with a cleanup to run after), and handed to after. The first failure
// stops the batch; the documents made before stay, and the batch's pages
// stay on the screen.
func (v *batchView) run(after func(ctx context.Context, n int, name string, res *pipeline.Result, fields map[string]string) (string, error),
	place func(n int, name string) (string, func(), error), tmpl string) {
	w, st := v.w, v.st
	if w.busy() || len(st.parts) == 0 {
		return
	}
	if tmpl == "" {
		tmpl = "{n:3}.pdf"
	}
	if !strings.EqualFold(filepath.Ext(tmpl), ".pdf") {
		tmpl += ".pdf"
	}
	// The documents as they are now: what changes them is off while the
	// job runs.
	type part struct {
		n     int
		sep   *separate.Separator
		pages []page
	}
	var parts []part
	for _, p := range st.parts {
		pt := part{n: p.N, sep: p.Separator}
		for _, i := range p.Pages {
			pt.pages = append(pt.pages, st.pages[i].page)
		}
		parts = append(parts, pt)
	}
	langs := ocrLanguagesOr("", w.svc.Languages)
	if w.settings != nil {
		langs = w.settings.ocrLanguages()
	}
	build, verify, logger := w.svc.Build, w.svc.Verify, w.svc.Logger
	cert := v.signer()
	ctx, n := w.startJob()
	v.st.shown = nil
	total := len(parts)
	v.progress.Max = float64(total)
	v.progress.SetValue(0)
	v.progress.Show()
	say := func(f func(b *batchView)) {
		fyne.Do(func() {
			if n == w.jobs {
				f(w.batch)
			}
		})
	}
	go func() {
		var done []made
		var warnings []string
		err := func() error {
			// The key is opened once, before the first page is
			// recognised: a wrong passphrase is found at once.
			var sg Signer
			if cert != nil {
				say(func(b *batchView) {
					b.status.SetText(lang.X("finish.opening", "Opening the certificate {{.Name}}…", map[string]any{"Name": cert.Name}))
				})
				var err error
				if sg, err = w.finish.openSigner(ctx, n, *cert); err != nil {
					return err
				}
				defer sg.Close()
			}
			// One OCR engine for the batch, as the CLI's split has.
			var engine ocr.Engine
			if t, err := ocr.NewTesseract(ocr.Options{Languages: langs}); err == nil {
				engine = t
				defer t.Close()
			}
			for i, pt := range parts {
				if err := ctx.Err(); err != nil {
					return err
				}
				var meta pdf.Metadata
				fields, warns := pipeline.Describe(pt.sep, &meta)
				for _, m := range warns {
					warnings = append(warnings, lang.X("batch.warning", "Document {{.N}}: {{.Warning}}", map[string]any{"N": pt.n, "Warning": m}))
				}
				name, missing := pipeline.FileName(tmpl, pt.n, fields)
				if len(missing) > 0 {
					// A name with holes would say nothing, or the same
					// for several documents.
					name = fmt.Sprintf("%03d.pdf", pt.n)
					warnings = append(warnings, lang.X("batch.no_field", "Document {{.N}} has no {{.Fields}} for its name: named {{.Name}}.",
						map[string]any{"N": pt.n, "Fields": strings.Join(missing, ", "), "Name": name}))
				}
				out, cleanup, err := place(pt.n, name)
				if err != nil {
					return err
				}
				err = func() error {
					defer cleanup()
					sps := make([]scan.Page, len(pt.pages))
					for j := range pt.pages {
						if sps[j], err = pt.pages[j].captured(); err != nil {
							return err
						}
					}
					opt := pipeline.Options{Languages: langs, Engine: engine, Logger: logger, PDF: pdf.Options{Meta: meta},
						Progress: func(e pipeline.Event) {
							if e.Stage != pipeline.StageWrite {
								return
							}
							say(func(b *batchView) {
								b.progress.SetValue(float64(i) + float64(e.Done)/float64(len(sps)))
								b.status.SetText(lang.X("batch.progress", "Document {{.N}} of {{.Total}}, page {{.Page}}",
									map[string]any{"N": i + 1, "Total": total, "Page": e.Done}))
							})
						}}
					if pt.sep != nil && len(pt.sep.Fields) > 0 {
						// Fields given are attached as the metadata
						// record, as the CLI's split does (PDF/A-3b).
						opt.PDF.PDFA, opt.PDF.Record = pdf.PDFA3B, true
					}
					say(func(b *batchView) {
						b.status.SetText(lang.X("batch.progress", "Document {{.N}} of {{.Total}}, page {{.Page}}",
							map[string]any{"N": i + 1, "Total": total, "Page": 1}))
					})
					final := out
					if sg != nil {
						dir, err := os.MkdirTemp("", "demat-unsigned-")
						if err != nil {
							return err
						}
						defer os.RemoveAll(dir)
						// The title is the document's name, not the
						// temporary file's.
						opt.Name = strings.TrimSuffix(filepath.Base(final), filepath.Ext(final))
						out = filepath.Join(dir, filepath.Base(final))
					}
					res, err := build(ctx, sps, out, opt)
					if err != nil {
						return err
					}
					if sg != nil {
						// Signed beside its final name, then put there
						// without replacing a file that appeared meanwhile.
						signing := filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".signing.partial")
						defer os.Remove(signing)
						if err := sg.Sign(ctx, out, signing); err != nil {
							return err
						}
						rep, verr := verify(signing)
						if verr != nil || rep.Verdict != sign.Valid {
							if verr == nil && rep.Verdict == sign.Invalid {
								return errors.New(signedText(sg.Who(), rep, verr))
							}
							// Intact but not checkable here: kept, and said.
							warnings = append(warnings, lang.X("batch.warning", "Document {{.N}}: {{.Warning}}",
								map[string]any{"N": pt.n, "Warning": signedText(sg.Who(), rep, verr)}))
						}
						if err := pipeline.MoveNew(signing, final); err != nil {
							return err
						}
						res.Output = final
					}
					where, err := after(ctx, pt.n, name, res, fields)
					if err != nil {
						return err
					}
					done = append(done, made{n: pt.n, out: where, pages: res.Pages})
					return nil
				}()
				if err != nil {
					return fmt.Errorf("document %d: %w", pt.n, err)
				}
				say(func(b *batchView) { b.progress.SetValue(float64(i + 1)) })
			}
			return nil
		}()
		fyne.Do(func() {
			if !w.endJob(n) {
				return
			}
			b := w.batch
			b.progress.Hide()
			b.st.shown = func(b *batchView) {
				notes := warnings
				if cert != nil && len(done) > 0 {
					notes = append([]string{lang.X("batch.signed", "Each document is signed with {{.Name}}.", map[string]any{"Name": cert.Name})}, notes...)
				}
				b.status.SetText(summary(done, total, notes, err))
			}
			b.st.shown(b)
			if err != nil && !errors.Is(err, context.Canceled) {
				logger.Warn("batch", "err", err)
			}
			if w.outbox != nil && b.target.Selected != "" {
				w.outbox.reload()
			}
			w.jobShown()
		})
	}()
}

// summary is what a finished run says: the documents made, the
// warnings, and why it stopped early.
func summary(done []made, total int, warnings []string, err error) string {
	pages := 0
	var lines []string
	for _, d := range done {
		pages += d.pages
		lines = append(lines, lang.X("batch.made_one", "Document {{.N}}: {{.Where}} ({{.Pages}} page(s))", map[string]any{"N": d.n, "Where": d.out, "Pages": d.pages}))
	}
	head := lang.X("batch.made", "{{.Docs}} of {{.Total}} document(s) made, {{.Pages}} page(s).", map[string]any{"Docs": len(done), "Total": total, "Pages": pages})
	switch {
	case errors.Is(err, context.Canceled):
		head = lang.X("batch.cancelled", "Stopped: {{.Docs}} of {{.Total}} document(s) made; the pages are still here.", map[string]any{"Docs": len(done), "Total": total})
	case errors.Is(err, pipeline.ErrExists):
		head = lang.X("batch.exists", "Stopped: a file of that name appeared meanwhile; {{.Docs}} of {{.Total}} document(s) made, the pages are still here.", map[string]any{"Docs": len(done), "Total": total})
	case err != nil:
		head = lang.X("batch.failed", "Stopped: {{.Error}}. {{.Docs}} of {{.Total}} document(s) made; the pages are still here.", map[string]any{"Error": err.Error(), "Docs": len(done), "Total": total})
	}
	return strings.Join(append(append([]string{head}, lines...), warnings...), "\n")
}

// batchThumb is one page of the batch: its picture, a band that says
// what it is to the split (a separator and its code, blank, left out,
// or the document it belongs to), and its number.
type batchThumb struct {
	widget.BaseWidget
	img   *canvas.Image
	band  *canvas.Rectangle
	badge *canvas.Text
	label *widget.Label
}

func newBatchThumb() *batchThumb {
	t := &batchThumb{img: canvas.NewImageFromImage(nil), band: canvas.NewRectangle(color.Transparent),
		badge: canvas.NewText("", color.White), label: widget.NewLabel("")}
	t.img.FillMode = canvas.ImageFillContain
	t.img.ScaleMode = canvas.ImageScaleSmooth
	t.img.SetMinSize(fyne.NewSize(120, 160))
	t.badge.Alignment = fyne.TextAlignCenter
	t.badge.TextStyle.Bold = true
	t.label.Alignment = fyne.TextAlignCenter
	t.ExtendBaseWidget(t)
	return t
}

func (t *batchThumb) set(img image.Image, n int, badge string, bg, fg color.Color) {
	t.img.Image = img
	t.img.Refresh()
	t.band.FillColor = bg
	t.band.Refresh()
	t.badge.Text, t.badge.Color = badge, fg
	t.badge.Refresh()
	t.label.SetText(lang.X("pages.number", "Page {{.N}}", map[string]any{"N": n}))
}

// CreateRenderer lays the band above the picture and the number below.
func (t *batchThumb) CreateRenderer() fyne.WidgetRenderer {
	band := container.NewStack(t.band, container.NewPadded(t.badge))
	return widget.NewSimpleRenderer(container.NewBorder(band, t.label, nil, nil, t.img))
}

// DemoBatch shows the Batch screen with the batch in folder read in, for
// the screenshot in docs/screenshots. Call it on the UI goroutine.
func (w *Window) DemoBatch(folder string) {
	w.show(w.batch.content)
	if len(w.batch.st.pages) == 0 && folder != "" {
		w.batch.Import(folder)
	}
}
