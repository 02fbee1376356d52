package app

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/disintegration/imaging"

	"github.com/demat-app/demat/assets"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
)

// document is what the window is making: pages in order and the
// description. It belongs to the UI goroutine.
type document struct {
	pages []*page
	// meta is the description by metadata key, as last saved from the
	// form.
	meta map[string]string
	// registered is the number the registry desk gave this document:
	// it is not registered twice (Next item starts another).
	registered string
	// registryShown shows the registry desk's outcome again in a view
	// rebuilt in another language; nil before one.
	registryShown func(*registryView)
}

// page is one captured page and what the person did to it. A build
// copies it (see finishView): its slices and pointers are replaced,
// never changed in place.
type page struct {
	scan scan.Page
	// thumb is a small copy of the page, turned like it.
	thumb image.Image
	// turns counts quarter turns clockwise.
	turns int
	// auto are the cleanup edits decided for the page as it came, and
	// report what was measured (see analyse); report is nil for a page
	// not analysed.
	auto   clean.Edits
	report *clean.Report
	// off are the kinds of auto's edits the person undid.
	off [clean.Fill + 1]bool
	// corners are a photo's corners as the person placed them; nil
	// while they are those found.
	corners *[4]clean.Point
	// text is the page's recognised text, once read in the page view.
	text string
}

// thumbSize bounds thumbnails: enough to recognise a page, small enough
// that hundreds stay cheap.
const thumbSize = 240

// captured is the page to give the pipeline: turned when it was turned,
// and with the cleanup edits chosen when the person chose them (or the
// page is a photo, which the pipeline flattens only when told).
func (p *page) captured() (scan.Page, error) {
	if p.custom() {
		sp := p.scan
		sp.Edits = p.chosen()
		if p.turns%2 == 1 {
			sp.XDPI, sp.YDPI = sp.YDPI, sp.XDPI
		}
		return sp, nil
	}
	if p.turns%4 == 0 {
		return p.scan, nil
	}
	sp := p.scan
	px, err := sp.Pixels()
	if err != nil {
		return sp, err
	}
	var img image.Image
	xdpi, ydpi := sp.XDPI, sp.YDPI
	switch p.turns % 4 {
	case 1:
		img, xdpi, ydpi = imaging.Rotate270(px), ydpi, xdpi
	case 2:
		img = imaging.Rotate180(px)
	case 3:
		img, xdpi, ydpi = imaging.Rotate90(px), ydpi, xdpi
	}
	out := scan.NewPage(img, xdpi, ydpi, sp.Source)
	out.GuessedDPI, out.Warnings = sp.GuessedDPI, sp.Warnings
	return out, nil
}

// pagesView is the Pages screen: importing page images, and the pages as
// thumbnails to turn, move and remove.
type pagesView struct {
	w       *Window
	content fyne.CanvasObject

	grid     *widget.GridWrap
	selected int // index of the selected page, -1 for none
	empty    *widget.Label

	add, addFolder *widget.Button
	// sample adds the bundled sample page; shown while there is no page.
	sample                 *widget.Button
	rotate, earlier, later *widget.Button
	remove, cancel         *widget.Button
	// view opens the selected page in the page view, which replaces
	// the grid (browse) while it is open.
	view   *widget.Button
	page   *pageView
	browse fyne.CanvasObject
	// scanBar is nil when no scanner driver is wired.
	scanBar  *scanBar
	progress *widget.ProgressBarInfinite
	status   *widget.Label
}

func newPagesView(w *Window) *pagesView {
	v := &pagesView{w: w, selected: -1}
	v.grid = widget.NewGridWrap(
		func() int { return len(w.doc.pages) },
		func() fyne.CanvasObject { return newThumb() },
		func(i widget.GridWrapItemID, o fyne.CanvasObject) {
			t := o.(*thumb)
			t.set(w.doc.pages[i], i+1)
			// The thumbnail takes the taps from the grid (it wants
			// double taps): a tap selects as the grid would.
			t.onTap = func() { v.grid.Select(i) }
			t.onDoubleTap = func() { v.grid.Select(i); v.Open(i) }
		},
	)
	v.grid.OnSelected = func(i widget.GridWrapItemID) { v.selected = i; v.refresh() }
	v.grid.OnUnselected = func(widget.GridWrapItemID) { v.selected = -1; v.refresh() }
	v.empty = widget.NewLabel(lang.X("pages.empty", "Add page images (PNG, JPEG, TIFF, image-only PDF) with the buttons above, or drop files and folders on the window."))
	v.empty.Wrapping = fyne.TextWrapWord
	v.empty.Alignment = fyne.TextAlignCenter

	v.sample = widget.NewButtonWithIcon(lang.X("pages.sample", "Try with a sample page"), theme.FileImageIcon(), v.Sample)
	v.add = widget.NewButtonWithIcon(lang.X("pages.add", "Add files…"), theme.ContentAddIcon(), v.askFiles)
	v.add.Importance = widget.HighImportance
	v.addFolder = widget.NewButtonWithIcon(lang.X("pages.add_folder", "Add a folder…"), theme.FolderOpenIcon(), v.askFolder)
	v.rotate = widget.NewButtonWithIcon(lang.X("pages.rotate", "Turn"), theme.ViewRefreshIcon(), v.Rotate)
	v.earlier = widget.NewButtonWithIcon(lang.X("pages.earlier", "Earlier"), theme.NavigateBackIcon(), func() { v.Move(-1) })
	v.later = widget.NewButtonWithIcon(lang.X("pages.later", "Later"), theme.NavigateNextIcon(), func() { v.Move(1) })
	v.remove = widget.NewButtonWithIcon(lang.X("pages.remove", "Remove"), theme.DeleteIcon(), v.Remove)
	v.view = widget.NewButtonWithIcon(lang.X("pages.view", "View"), theme.ZoomInIcon(), func() { v.Open(v.selected) })
	v.cancel = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), w.Cancel)
	v.progress = widget.NewProgressBarInfinite()
	v.progress.Stop()
	v.progress.Hide()
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	top := container.NewHBox(v.add, v.addFolder, widget.NewSeparator(), v.view, v.rotate, v.earlier, v.later, v.remove)
	if RightToLeft() {
		// Fyne lays out left to right only. An Arabic reader starts at
		// the right, so the toolbar starts there; the grid still puts
		// page 1 on the left, so Earlier keeps its left arrow.
		top = container.NewHBox(layout.NewSpacer(), v.remove, v.later, v.earlier, v.rotate, v.view, widget.NewSeparator(), v.addFolder, v.add)
	}
	if len(w.svc.Scanners) > 0 {
		v.scanBar = newScanBar(w)
		top = container.NewVBox(v.scanBar.content, top)
	}
	bottom := container.NewBorder(nil, nil, nil, v.cancel, container.NewVBox(v.progress, v.status))
	v.browse = container.NewBorder(top, bottom, nil, nil, container.NewStack(v.grid,
		container.NewVBox(layout.NewSpacer(), v.empty, container.NewCenter(v.sample), layout.NewSpacer())))
	v.page = newPageView(v)
	v.page.content.Hide()
	v.content = container.NewStack(v.browse, v.page.content)
	return v
}

// refresh shows what can be done now.
func (v *pagesView) refresh() {
	busy := v.w.busy()
	n := len(v.w.doc.pages)
	if v.selected >= n {
		v.selected = -1
	}
	sel := v.selected >= 0 && !busy
	setEnabled(v.add, !busy)
	setEnabled(v.addFolder, !busy)
	setEnabled(v.rotate, sel)
	setEnabled(v.remove, sel)
	setEnabled(v.view, v.selected >= 0)
	setEnabled(v.earlier, sel && v.selected > 0)
	setEnabled(v.later, sel && v.selected < n-1)
	if busy {
		v.cancel.Show()
	} else {
		v.cancel.Hide()
	}
	if v.scanBar != nil {
		v.scanBar.refresh()
	}
	setEnabled(v.sample, !busy)
	v.page.refresh()
	if n == 0 {
		v.empty.Show()
		v.sample.Show()
	} else {
		v.empty.Hide()
		v.sample.Hide()
	}
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// pageFilter is what the import dialog shows.
var pageFilter = storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"})

func (v *pagesView) askFiles()  { v.w.askPages(false, func(p string) { v.Import(p) }) }
func (v *pagesView) askFolder() { v.w.askPages(true, func(p string) { v.Import(p) }) }

// askPages asks for a page file (or a folder of them) to import, unless
// a job runs.
func (w *Window) askPages(folder bool, open func(path string)) {
	if w.busy() {
		return
	}
	var d *dialog.FileDialog
	if folder {
		d = dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				open(u.Path())
			}
		}, w.win)
	} else {
		d = dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err == nil && r != nil {
				r.Close()
				open(r.URI().Path())
			}
		}, w.win)
		d.SetFilter(pageFilter)
	}
	d.Show()
	d.Resize(dialogSize(w.win)) // after Show: a file dialog builds its content there
}

// dialogSize is the size of the file dialogs: most of the window, as
// Fyne's default leaves four file names to a row.
func dialogSize(win fyne.Window) fyne.Size {
	s := win.Canvas().Size()
	return fyne.NewSize(max(600, s.Width*0.85), max(420, s.Height*0.85))
}

// Import reads the pages of files and folders in the background; each
// appears as soon as it is read. Cancel keeps the pages read so far.
func (v *pagesView) Import(paths ...string) {
	read := v.w.svc.Read
	v.capture(lang.X("pages.reading", "Reading pages…"), false, placement{}, func(ctx context.Context, emit func(scan.Page) error) error {
		return read(ctx, paths, emit)
	})
}

// Sample adds the page bundled with demat, so that the whole flow can be
// tried with no scanner and nothing to import.
func (v *pagesView) Sample() {
	v.capture(lang.X("pages.reading", "Reading pages…"), false, placement{}, func(ctx context.Context, emit func(scan.Page) error) error {
		img, err := png.Decode(bytes.NewReader(assets.SamplePage))
		if err != nil {
			return err
		}
		return emit(scan.NewPage(img, 150, 150, "sample-page.png"))
	})
}

// capture runs a job that delivers pages (an import or a scan) in the
// background; each page appears as soon as it is delivered, and Cancel
// keeps the pages delivered so far.
func (v *pagesView) capture(status string, scanning bool, place placement, run func(ctx context.Context, emit func(scan.Page) error) error) {
	w := v.w
	if w.busy() {
		return
	}
	ctx, n := w.startJob()
	v.progress.Show()
	v.progress.Start()
	v.status.SetText(status)
	if scanning {
		v.page.scanning(status)
	}
	read := 0
	go func() {
		emitted := 0
		err := run(ctx, func(sp scan.Page) error {
			p, err := newPage(sp)
			if err != nil {
				return err
			}
			emitted++
			fyne.Do(func() {
				if n != w.jobs {
					return
				}
				read++
				pages := w.doc.pages
				switch {
				case place.replace && place.at < len(pages):
					old := pages[place.at]
					pages[place.at] = p
					w.pages.grid.RefreshItem(place.at)
					if w.pages.page.p == old {
						w.pages.page.show(p)
					}
				case place.insert && place.at <= len(pages):
					w.doc.pages = slices.Insert(pages, place.at+read-1, p)
					w.pages.grid.Refresh()
					w.pages.page.refresh()
				default:
					w.doc.pages = append(pages, p)
					w.pages.grid.Refresh()
					w.pages.grid.ScrollToBottom()
				}
				w.pages.status.SetText(lang.X("pages.read", "{{.N}} page(s) read…", map[string]any{"N": read}))
				w.refresh()
			})
			if place.replace {
				// One sheet replaces one page: the feeder is not
				// emptied into the document.
				return errEnough
			}
			return nil
		})
		if errors.Is(err, errEnough) {
			err = nil
		}
		fyne.Do(func() {
			if !w.endJob(n) {
				return
			}
			p := w.pages
			p.progress.Stop()
			p.progress.Hide()
			if scanning {
				defer func() { p.page.scanning(p.status.Text) }()
			}
			switch {
			case errors.Is(err, context.Canceled):
				p.status.SetText(lang.X("pages.import_cancelled", "Stopped: the pages read before are kept."))
			case err != nil:
				w.svc.Logger.Warn("capture", "err", err)
				p.status.SetText(captureError(err, read, scanning))
			default:
				p.status.SetText(lang.X("pages.count", "{{.N}} page(s). Select one to turn, move or remove it.", map[string]any{"N": len(w.doc.pages)}))
			}
			w.jobShown()
		})
	}()
}

// placement says where captured pages go: after the others (the zero
// value), inserted from index at on, or the first one replacing the page
// at index at (the capture then stops).
type placement struct {
	at              int
	insert, replace bool
}

// errEnough stops a capture that has what it needs.
var errEnough = errors.New("enough pages")

// newPage makes the thumbnail of a page just read and decides its
// cleanup (for the page view and the quality warnings), on the reading
// goroutine, then lets the pixels go: the pipeline decodes the page again
// from its file when it needs them.
func newPage(sp scan.Page) (*page, error) {
	px, err := sp.Pixels()
	if err != nil {
		return nil, err
	}
	p := &page{scan: sp, thumb: imaging.Fit(px, thumbSize, thumbSize, imaging.Box)}
	edits, rep := analyse(sp, px, nil)
	p.auto, p.report = edits, &rep
	if p.scan.Decode != nil {
		p.scan.Image = nil
	}
	return p, nil
}

// Rotate turns the selected page a quarter turn clockwise.
func (v *pagesView) Rotate() {
	if v.selected < 0 || v.w.busy() {
		return
	}
	p := v.w.doc.pages[v.selected]
	p.turns = (p.turns + 1) % 4
	p.thumb = imaging.Rotate270(p.thumb)
	v.grid.RefreshItem(v.selected)
}

// Move moves the selected page by delta places.
func (v *pagesView) Move(delta int) {
	i, j := v.selected, v.selected+delta
	pages := v.w.doc.pages
	if i < 0 || j < 0 || j >= len(pages) || v.w.busy() {
		return
	}
	pages[i], pages[j] = pages[j], pages[i]
	v.grid.Refresh()
	v.grid.Select(j)
}

// Remove takes the selected page out of the document (its file stays).
func (v *pagesView) Remove() {
	i := v.selected
	if i < 0 || v.w.busy() {
		return
	}
	v.w.doc.pages = append(v.w.doc.pages[:i], v.w.doc.pages[i+1:]...)
	v.grid.UnselectAll()
	v.selected = -1
	v.grid.Refresh()
	v.w.refresh()
}

// thumb is one page in the grid: its picture, its number, and a mark
// when the page has quality warnings.
type thumb struct {
	widget.BaseWidget
	img   *canvas.Image
	label *widget.Label
	mark  *widget.Icon
	// onTap and onDoubleTap are set by the grid for the page shown.
	onTap, onDoubleTap func()
}

var (
	_ fyne.Tappable       = (*thumb)(nil)
	_ fyne.DoubleTappable = (*thumb)(nil)
)

func newThumb() *thumb {
	t := &thumb{img: canvas.NewImageFromImage(nil), label: widget.NewLabel(""), mark: widget.NewIcon(theme.WarningIcon())}
	t.img.FillMode = canvas.ImageFillContain
	t.img.ScaleMode = canvas.ImageScaleSmooth
	t.img.SetMinSize(fyne.NewSize(120, 160))
	t.label.Alignment = fyne.TextAlignCenter
	t.ExtendBaseWidget(t)
	return t
}

func (t *thumb) set(p *page, n int) {
	t.img.Image = p.thumb
	t.img.Refresh()
	t.label.SetText(lang.X("pages.number", "Page {{.N}}", map[string]any{"N": n}))
	if len(p.warnings()) > 0 {
		t.mark.Show()
	} else {
		t.mark.Hide()
	}
}

// Tapped selects the page.
func (t *thumb) Tapped(*fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap()
	}
}

// DoubleTapped opens the page in the page view.
func (t *thumb) DoubleTapped(*fyne.PointEvent) {
	if t.onDoubleTap != nil {
		t.onDoubleTap()
	}
}

// CreateRenderer lays the picture above its number, the warning mark
// beside the number.
func (t *thumb) CreateRenderer() fyne.WidgetRenderer {
	label := container.NewHBox(layout.NewSpacer(), t.mark, t.label, layout.NewSpacer())
	return widget.NewSimpleRenderer(container.NewBorder(nil, label, nil, nil, t.img))
}
