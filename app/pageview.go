package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
)

// analyse decides the cleanup edits of a page as it came, as the
// pipeline would (clean.Auto with the window's options), and measures
// it. corners, when set, are a photo's corners placed by a person. A
// page whose file states no resolution is looked at as a phone photo: a
// scanner always states it, a phone camera does not; a scan that shows
// no sheet on a darker background is cleaned as a scan all the same.
func analyse(sp scan.Page, px image.Image, corners *[4]clean.Point) (clean.Edits, clean.Report) {
	opt := clean.Options{Photo: sp.GuessedDPI, Corners: corners}
	return clean.Auto(px, knownDPI(sp), opt)
}

// knownDPI is the resolution to analyse a page at: 0 (clean's default)
// when its source did not know it, as the pipeline does.
func knownDPI(sp scan.Page) float64 {
	if sp.GuessedDPI {
		return 0
	}
	return min(sp.XDPI, sp.YDPI)
}

// chosen are the edits the page goes to the pipeline with: the automatic
// ones the person kept, then the person's quarter turns.
func (p *page) chosen() clean.Edits {
	es := clean.Edits{}
	for _, e := range p.auto {
		if !p.off[e.Kind] {
			es = append(es, e)
		}
	}
	if t := p.turns % 4; t != 0 {
		es = append(es, clean.Edit{Kind: clean.Rotate, Turns: t})
	}
	return es
}

// custom says whether the page goes to the pipeline with its chosen
// edits (see scan.Page.Edits) rather than be cleaned there: when the
// person undid an edit or moved a photo's corners, or the page is a
// photo, which the pipeline flattens only when told.
func (p *page) custom() bool {
	if p.report == nil {
		return false
	}
	if p.report.Photo || p.corners != nil {
		return true
	}
	for _, e := range p.auto {
		if p.off[e.Kind] {
			return true
		}
	}
	return false
}

// has says whether the page's edits include one of kind, kept.
func (p *page) has(k clean.Kind) bool {
	for _, e := range p.auto {
		if e.Kind == k && !p.off[k] {
			return true
		}
	}
	return false
}

// lowDPI is the resolution under which a page is warned about:
// Tesseract wants 200 dpi or more for ordinary print.
const lowDPI = 200

// warnings says, in the window's language, what a person should know
// about the page's quality: blank, crooked and left so, on its side,
// dark, faint, low resolution, or of a resolution only guessed.
func (p *page) warnings() []string {
	var ws []string
	rep := p.report
	warned := func(w clean.Warning) bool {
		if rep == nil {
			return false
		}
		for _, x := range rep.Warnings {
			if x == w {
				return true
			}
		}
		return false
	}
	photo := rep != nil && rep.Photo
	if warned(clean.WarnBlank) {
		ws = append(ws, lang.X("pageview.warn_blank", "The page looks blank. Remove it if it is the back of a sheet."))
	}
	if warned(clean.WarnSkewed) && !p.has(clean.Deskew) {
		ws = append(ws, lang.X("pageview.warn_skewed", "The page is crooked ({{.Deg}}°) and is not straightened.", map[string]any{"Deg": degrees(rep.Skew)}))
	}
	if warned(clean.WarnSideways) && p.turns%2 == 0 {
		ws = append(ws, lang.X("pageview.warn_sideways", "The text runs up or down the page: turn it."))
	}
	if warned(clean.WarnDark) {
		ws = append(ws, lang.X("pageview.warn_dark", "The paper is dark: close the scanner lid or improve the lighting, and scan it again."))
	}
	if warned(clean.WarnFaint) || warned(clean.WarnLowContrast) {
		ws = append(ws, lang.X("pageview.warn_faint", "The print is faint or has little contrast: the text may be misread."))
	}
	dpi := min(p.scan.XDPI, p.scan.YDPI)
	switch {
	case photo:
		// A flattened photo's resolution is that of its paper size.
	case p.scan.GuessedDPI:
		ws = append(ws, lang.X("pageview.warn_guessed_dpi", "The file does not say its resolution: {{.DPI}} dpi is assumed, and the printed size may be wrong.", map[string]any{"DPI": math.Round(dpi)}))
	case dpi < lowDPI || warned(clean.WarnLowResolution):
		ws = append(ws, lang.X("pageview.warn_low_dpi", "Low resolution ({{.DPI}} dpi): the text may be misread. Scan at 300 dpi.", map[string]any{"DPI": math.Round(dpi)}))
	}
	return ws
}

// degrees shows an angle to a tenth of a degree, unsigned.
func degrees(a float64) string { return fmt.Sprintf("%.1f", math.Abs(a)) }

// editLabel says what an automatic edit did, in the window's language.
func editLabel(e clean.Edit) string {
	switch e.Kind {
	case clean.Perspective:
		return lang.X("pageview.edit_perspective", "Perspective corrected from the photo's corners")
	case clean.Flatten:
		return lang.X("pageview.edit_flatten", "Lighting evened out")
	case clean.Rotate:
		return lang.X("pageview.edit_rotate", "Turned upright ({{.Deg}}°)", map[string]any{"Deg": 90 * (e.Turns & 3)})
	case clean.Deskew:
		return lang.X("pageview.edit_deskew", "Straightened by {{.Deg}}°", map[string]any{"Deg": degrees(e.Angle)})
	case clean.Crop:
		return lang.X("pageview.edit_crop", "Cropped the dark border")
	case clean.Fill:
		return lang.X("pageview.edit_fill", "Punch holes filled in ({{.N}})", map[string]any{"N": len(e.Rects)})
	case clean.Binarize:
		return lang.X("pageview.edit_binarize", "Made black and white")
	}
	return e.String()
}

// Zoom steps: each + or − multiplies or divides by zoomStep, within
// minZoom and maxZoom (100 % is one pixel of the page on one pixel of
// the screen).
const (
	zoomStep = 1.25
	minZoom  = 0.05
	maxZoom  = 4
)

// pageView shows one page large, inside the Pages screen: zoom, previous
// and next, the automatic cleanup edits to undo and redo, a photo's
// corners to move, the quality warnings and the recognised text. It
// belongs to the UI goroutine; its background work (decoding, rendering,
// recognition) reports through fyne.Do, numbered so that a late report
// for another page or an older state is dropped.
type pageView struct {
	v       *pagesView
	content fyne.CanvasObject

	// p is the page shown, nil while the view is closed; px its pixels
	// as they came, nil until decoded; shown what its edits make of them.
	p     *page
	px    image.Image
	shown image.Image
	// zoom is the scale of the picture; 0 fits it in the view.
	zoom float32
	// gen numbers the page states: a decode, render or recognition
	// started for an older one reports nothing.
	gen int
	// reading cancels the running recognition; nil when none runs.
	reading context.CancelFunc
	// adjusting is set while a photo's corners are shown to be moved.
	adjusting bool

	back, prev, next                *widget.Button
	title                           *widget.Label
	zoomOut, zoomFit, zoom1, zoomIn *widget.Button
	picture                         *canvas.Image
	scroll                          *container.Scroll
	corners                         *cornerEditor
	loading                         *widget.ProgressBarInfinite
	edits                           *fyne.Container
	checks                          map[clean.Kind]*widget.Check
	noEdits                         *widget.Label
	adjust, applyCorners, keep      *widget.Button
	warnings                        *fyne.Container
	recognise, stop                 *widget.Button
	text                            *fyne.Container
	textStatus                      *widget.Label
	// readOnLoad recognises the text once the page's pixels are loaded
	// (the screenshots show it).
	readOnLoad bool
	// reads numbers the recognitions started, so that a cancelled
	// one's late report leaves a newer one's state alone.
	reads int
	// rescan replaces the page by a new scan of its sheet; scanAfter
	// inserts newly scanned pages after it; scanStatus says how that
	// went. Shown when a scanner driver is wired.
	rescan, scanAfter, scanCancel *widget.Button
	scanStatus                    *widget.Label
	// top and side are laid out again when what they hold changes.
	top, side *fyne.Container
}

func newPageView(v *pagesView) *pageView {
	pv := &pageView{v: v, checks: map[clean.Kind]*widget.Check{}}
	pv.back = widget.NewButtonWithIcon(lang.X("pageview.back", "Back to the pages"), theme.NavigateBackIcon(), pv.Close)
	pv.prev = widget.NewButtonWithIcon("", theme.MediaSkipPreviousIcon(), func() { pv.step(-1) })
	pv.next = widget.NewButtonWithIcon("", theme.MediaSkipNextIcon(), func() { pv.step(1) })
	pv.title = widget.NewLabel("")
	pv.zoomOut = widget.NewButtonWithIcon("", theme.ZoomOutIcon(), func() { pv.Zoom(pv.scale() / zoomStep) })
	pv.zoomIn = widget.NewButtonWithIcon("", theme.ZoomInIcon(), func() { pv.Zoom(pv.scale() * zoomStep) })
	pv.zoomFit = widget.NewButtonWithIcon(lang.X("pageview.fit", "Fit"), theme.ZoomFitIcon(), func() { pv.Zoom(0) })
	pv.zoom1 = widget.NewButton("100 %", func() { pv.Zoom(1) })

	pv.picture = canvas.NewImageFromImage(nil)
	pv.picture.FillMode = canvas.ImageFillContain
	pv.picture.ScaleMode = canvas.ImageScaleSmooth
	pv.scroll = container.NewScroll(pv.picture)
	pv.corners = newCornerEditor()
	pv.corners.Hide()
	pv.loading = widget.NewProgressBarInfinite()
	pv.loading.Stop()
	pv.loading.Hide()

	pv.noEdits = widget.NewLabel(lang.X("pageview.no_edits", "No correction needed."))
	pv.edits = container.NewVBox()
	pv.adjust = widget.NewButtonWithIcon(lang.X("pageview.adjust_corners", "Move the corners…"), theme.ViewFullScreenIcon(), pv.startCorners)
	pv.applyCorners = widget.NewButtonWithIcon(lang.X("pageview.apply_corners", "Apply the corners"), theme.ConfirmIcon(), pv.ApplyCorners)
	pv.applyCorners.Importance = widget.HighImportance
	pv.keep = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), pv.endCorners)
	pv.warnings = container.NewVBox()
	pv.recognise = widget.NewButtonWithIcon(lang.X("pageview.recognise", "Recognise the text"), theme.SearchIcon(), pv.Recognise)
	pv.stop = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), pv.stopReading)
	pv.rescan = widget.NewButtonWithIcon(lang.X("pageview.rescan", "Scan it again"), theme.MediaReplayIcon(), func() {
		v.w.Rescan(pv.index())
	})
	pv.scanAfter = widget.NewButtonWithIcon(lang.X("pageview.scan_after", "Scan a page after it"), theme.ContentAddIcon(), func() {
		v.w.ScanAfter(pv.index())
	})
	pv.scanCancel = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), v.w.Cancel)
	pv.scanStatus = widget.NewLabel("")
	pv.scanStatus.Wrapping = fyne.TextWrapWord
	pv.textStatus = widget.NewLabel("")
	pv.textStatus.Wrapping = fyne.TextWrapWord
	pv.text = container.NewVBox()

	heading := func(s string) *widget.Label {
		l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	pv.side = container.NewVBox(
		heading(lang.X("pageview.corrections", "Automatic corrections")),
		pv.noEdits, pv.edits,
		container.NewHBox(pv.adjust, pv.applyCorners, pv.keep),
		widget.NewSeparator(),
		heading(lang.X("pageview.quality", "Quality")),
		pv.warnings,
		widget.NewSeparator(),
		heading(lang.X("pageview.text", "Recognised text")),
		container.NewHBox(pv.recognise, pv.stop),
		pv.textStatus,
		pv.text,
	)
	if v.scanBar != nil {
		// A page badly fed (skewed, folded, a finger on it) is scanned
		// again in its place; a forgotten one goes after it.
		pv.side.Objects = slices.Insert(pv.side.Objects, 5, []fyne.CanvasObject{
			heading(lang.X("pageview.scanner", "Scanner")),
			container.NewVBox(pv.rescan, pv.scanAfter, pv.scanCancel), pv.scanStatus, widget.NewSeparator()}...)
	}
	picture := container.NewStack(pv.scroll, pv.corners, container.NewCenter(pv.loading))
	zoom := container.NewHBox(pv.zoomOut, pv.zoomFit, pv.zoom1, pv.zoomIn)
	nav := container.NewHBox(pv.prev, pv.title, pv.next)
	var split *container.Split
	if RightToLeft() {
		// Read from the right: Back, then the page, then its details.
		pv.top = container.NewBorder(nil, nil, zoom, pv.back, container.NewCenter(container.NewHBox(pv.next, pv.title, pv.prev)))
		split = container.NewHSplit(container.NewVScroll(pv.side), picture)
		split.Offset = 0.35
	} else {
		pv.top = container.NewBorder(nil, nil, pv.back, zoom, container.NewCenter(nav))
		split = container.NewHSplit(picture, container.NewVScroll(pv.side))
		split.Offset = 0.65
	}
	pv.content = container.NewBorder(pv.top, nil, nil, nil, split)
	return pv
}

// Open shows page i in the page view, in place of the grid.
func (v *pagesView) Open(i int) {
	if i < 0 || i >= len(v.w.doc.pages) {
		return
	}
	pv := v.page
	if pv.p == nil {
		v.browse.Hide()
		pv.content.Show()
		c := v.w.win.Canvas()
		c.SetOnTypedKey(pv.typedKey)
		c.SetOnTypedRune(pv.typedRune)
	}
	pv.show(v.w.doc.pages[i])
}

// Close goes back to the grid, the page shown selected. Its recognition
// is cancelled.
func (pv *pageView) Close() {
	if pv.p == nil {
		return
	}
	v := pv.v
	i := pv.index()
	pv.leave()
	pv.p, pv.px, pv.shown = nil, nil, nil
	pv.picture.Image = nil
	pv.content.Hide()
	v.browse.Show()
	c := v.w.win.Canvas()
	c.SetOnTypedKey(nil)
	c.SetOnTypedRune(nil)
	v.grid.Refresh()
	if i >= 0 {
		v.grid.Select(i)
		v.grid.ScrollTo(i)
	}
	v.refresh()
}

// leave stops what runs for the page shown.
func (pv *pageView) leave() {
	pv.gen++
	pv.stopReading()
	pv.endCorners()
}

// index is where the page shown is in the document, -1 if it was
// removed meanwhile.
func (pv *pageView) index() int {
	for i, p := range pv.v.w.doc.pages {
		if p == pv.p {
			return i
		}
	}
	return -1
}

// step shows the page delta places away.
func (pv *pageView) step(delta int) {
	i := pv.index() + delta
	if pv.p == nil || i < 0 || i >= len(pv.v.w.doc.pages) {
		return
	}
	pv.show(pv.v.w.doc.pages[i])
}

// show makes p the page shown, and decodes its pixels in the background.
func (pv *pageView) show(p *page) {
	if pv.p != p {
		pv.leave()
		pv.p, pv.px, pv.shown = p, nil, nil
		pv.picture.Image = nil
		pv.picture.Refresh()
	}
	pv.fillEdits()
	pv.fillText()
	pv.refresh()
	if pv.px != nil {
		return
	}
	gen := pv.gen
	sp := p.scan // a copy: its decoded pixels stay with it
	pv.busy(true)
	go func() {
		px, err := sp.Pixels()
		fyne.Do(func() {
			if gen != pv.gen {
				return
			}
			if err != nil {
				pv.busy(false)
				pv.textStatus.SetText(err.Error())
				return
			}
			pv.px = px
			if pv.readOnLoad {
				pv.readOnLoad = false
				pv.Recognise()
			}
			if p.report == nil {
				// A page not analysed when it was read (none today):
				// it is now, in the background.
				pv.reanalyse(nil)
				return
			}
			pv.render()
		})
	}()
}

// scanning says how a scan started from the view goes.
func (pv *pageView) scanning(status string) {
	pv.scanStatus.SetText(status)
	pv.refresh()
}

// busy shows that the picture is being made.
func (pv *pageView) busy(on bool) {
	if on {
		pv.loading.Show()
		pv.loading.Start()
	} else {
		pv.loading.Stop()
		pv.loading.Hide()
	}
}

// render draws the page with its chosen edits in the background.
func (pv *pageView) render() {
	pv.gen++
	gen, px, edits := pv.gen, pv.px, pv.p.chosen()
	pv.busy(true)
	go func() {
		img := clean.Render(px, edits)
		fyne.Do(func() {
			if gen != pv.gen {
				return
			}
			pv.busy(false)
			pv.shown = img
			pv.picture.Image = img
			pv.layoutPicture()
		})
	}()
}

// reanalyse decides the page's edits again in the background, with a
// photo's corners when set.
func (pv *pageView) reanalyse(corners *[4]clean.Point) {
	pv.gen++
	gen, p, px, sp := pv.gen, pv.p, pv.px, pv.p.scan
	pv.busy(true)
	go func() {
		edits, rep := analyse(sp, px, corners)
		fyne.Do(func() {
			if gen != pv.gen {
				return
			}
			p.auto, p.report = edits, &rep
			if corners != nil {
				p.corners = corners
			}
			pv.changed()
		})
	}()
}

// changed shows the page's new edits and renders it.
func (pv *pageView) changed() {
	pv.fillEdits()
	pv.refresh()
	if i := pv.index(); i >= 0 {
		pv.v.grid.RefreshItem(i)
	}
	pv.render()
}

// fillEdits lists the page's automatic edits as checks.
func (pv *pageView) fillEdits() {
	p := pv.p
	pv.edits.RemoveAll()
	clear(pv.checks)
	for _, e := range p.auto {
		k := e.Kind
		c := widget.NewCheck(editLabel(e), func(on bool) { pv.SetEdit(k, on) })
		c.Checked = !p.off[k]
		pv.checks[k] = c
		pv.edits.Add(c)
	}
	if len(p.auto) == 0 {
		pv.noEdits.Show()
	} else {
		pv.noEdits.Hide()
	}
	pv.edits.Refresh()
	pv.relayout()
}

// SetEdit keeps (on) or undoes the page's automatic edit of kind k.
func (pv *pageView) SetEdit(k clean.Kind, on bool) {
	p := pv.p
	if p == nil || p.off[k] == !on {
		return
	}
	p.off[k] = !on
	if c := pv.checks[k]; c != nil && c.Checked != on {
		c.SetChecked(on)
	}
	// The keys go back to the view (+, −, Escape), not to the check.
	pv.v.w.win.Canvas().Unfocus()
	pv.refresh()
	if i := pv.index(); i >= 0 {
		pv.v.grid.RefreshItem(i)
	}
	if pv.px != nil && !pv.adjusting {
		pv.render()
	}
}

// refresh shows the page's title, warnings and what can be done now.
func (pv *pageView) refresh() {
	p := pv.p
	if p == nil {
		return
	}
	i, n := pv.index(), len(pv.v.w.doc.pages)
	pv.title.SetText(lang.X("pageview.title", "Page {{.N}} of {{.Total}}", map[string]any{"N": i + 1, "Total": n}))
	scan := pv.v.w.canScan() && i >= 0
	setEnabled(pv.rescan, scan)
	setEnabled(pv.scanAfter, scan)
	if pv.v.w.busy() {
		pv.scanCancel.Show()
	} else {
		pv.scanCancel.Hide()
	}
	setEnabled(pv.prev, i > 0)
	setEnabled(pv.next, i >= 0 && i < n-1)
	ready := pv.px != nil
	photo := p.report != nil && p.report.Photo
	for _, b := range []*widget.Button{pv.zoomOut, pv.zoomFit, pv.zoom1, pv.zoomIn} {
		setEnabled(b, ready && !pv.adjusting)
	}
	if photo && !pv.adjusting {
		pv.adjust.Show()
	} else {
		pv.adjust.Hide()
	}
	setEnabled(pv.adjust, ready)
	if pv.adjusting {
		pv.applyCorners.Show()
		pv.keep.Show()
	} else {
		pv.applyCorners.Hide()
		pv.keep.Hide()
	}
	for _, c := range pv.checks {
		if pv.adjusting {
			c.Disable()
		} else {
			c.Enable()
		}
	}

	pv.warnings.RemoveAll()
	ws := p.warnings()
	for _, w := range ws {
		l := widget.NewLabel(w)
		l.Wrapping = fyne.TextWrapWord
		pv.warnings.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, l))
	}
	if len(ws) == 0 {
		pv.warnings.Add(widget.NewLabel(lang.X("pageview.quality_ok", "Nothing to report.")))
	}
	pv.warnings.Refresh()

	if pv.reading != nil {
		pv.recognise.Hide()
		pv.stop.Show()
	} else {
		pv.recognise.Show()
		pv.stop.Hide()
	}
	setEnabled(pv.recognise, ready)
	pv.relayout()
}

// relayout lays the bars out again for what they now hold (a longer
// title, edits, warnings or text added or taken away).
func (pv *pageView) relayout() {
	for _, c := range []*fyne.Container{pv.top, pv.side} {
		if c != nil {
			c.Refresh()
		}
	}
}

// Zoom sets the picture's scale: 1 shows a pixel of the page on a pixel
// of the screen, 0 fits the page in the view.
func (pv *pageView) Zoom(z float32) {
	if z != 0 {
		z = min(max(z, minZoom), maxZoom)
	}
	pv.zoom = z
	pv.layoutPicture()
}

// scale is the picture's scale now, also when it is fitted.
func (pv *pageView) scale() float32 {
	if pv.zoom != 0 || pv.shown == nil {
		return max(pv.zoom, minZoom)
	}
	b, s := pv.shown.Bounds(), pv.scroll.Size()
	px := pv.v.w.win.Canvas().Scale()
	return min(s.Width*px/float32(b.Dx()), s.Height*px/float32(b.Dy()))
}

// layoutPicture sizes the picture for the zoom.
func (pv *pageView) layoutPicture() {
	if pv.zoom == 0 || pv.shown == nil {
		pv.picture.SetMinSize(fyne.NewSize(0, 0))
	} else {
		b, px := pv.shown.Bounds(), pv.v.w.win.Canvas().Scale()
		pv.picture.SetMinSize(fyne.NewSize(float32(b.Dx())*pv.zoom/px, float32(b.Dy())*pv.zoom/px))
	}
	pv.picture.Refresh()
	pv.scroll.Refresh()
	pv.refresh()
}

// typedKey handles the view's keys: Escape goes back, + − 0 zoom
// (the runes come through typedRune), the arrows and page keys turn the
// pages.
func (pv *pageView) typedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeyEscape:
		if pv.adjusting {
			pv.endCorners()
			return
		}
		pv.Close()
	case fyne.KeyPageUp:
		pv.step(-1)
	case fyne.KeyPageDown:
		pv.step(1)
	case fyne.KeyLeft, fyne.KeyRight:
		d := 1
		if (e.Name == fyne.KeyLeft) != RightToLeft() {
			d = -1
		}
		pv.step(d)
	}
}

func (pv *pageView) typedRune(r rune) {
	if pv.px == nil || pv.adjusting {
		return
	}
	switch r {
	case '+', '=':
		pv.Zoom(pv.scale() * zoomStep)
	case '-':
		pv.Zoom(pv.scale() / zoomStep)
	case '0':
		pv.Zoom(0)
	case '1':
		pv.Zoom(1)
	}
}

// startCorners shows the photo as it came with the sheet's corners, to be
// dragged where the sheet's corners are.
func (pv *pageView) startCorners() {
	p := pv.p
	if p == nil || pv.px == nil || p.report == nil || !p.report.Photo {
		return
	}
	corners := p.report.Corners
	if p.corners != nil {
		corners = *p.corners
	}
	pv.adjusting = true
	pv.corners.set(pv.px, corners)
	pv.scroll.Hide()
	pv.corners.Show()
	pv.refresh()
}

// endCorners leaves the corners as they were.
func (pv *pageView) endCorners() {
	if !pv.adjusting {
		return
	}
	pv.adjusting = false
	pv.corners.Hide()
	pv.scroll.Show()
	pv.refresh()
}

// ApplyCorners flattens the photo from the corners as the person placed
// them: its edits are decided again from there.
func (pv *pageView) ApplyCorners() {
	if !pv.adjusting {
		return
	}
	c := pv.corners.corners
	pv.endCorners()
	pv.reanalyse(&c)
}

// fillText shows the page's recognised text, one label a line, Arabic
// lines aligned to the right.
func (pv *pageView) fillText() {
	pv.text.RemoveAll()
	t := strings.TrimSpace(pv.p.text)
	for _, para := range strings.Split(t, "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		l := widget.NewLabel(para)
		l.Wrapping = fyne.TextWrapWord
		if !rightToLeftText(para) {
			pv.text.Add(l)
			continue
		}
		l.Alignment = fyne.TextAlignTrailing
		// Recognised Arabic comes in any window language: it is drawn
		// in Noto Sans Arabic, so it shows joined whatever fonts the
		// system has.
		pv.text.Add(container.NewThemeOverride(l, &Theme{Theme: theme.DefaultTheme(), arabic: true}))
	}
	defer pv.relayout()
	switch {
	case pv.reading != nil:
	case pv.p.text == "":
		pv.textStatus.SetText(lang.X("pageview.text_none", "Not read yet: the text is recognised when the document is made, or now with the button."))
	default:
		pv.textStatus.SetText("")
	}
}

// rightToLeftText says whether text starts, in its first letter, in a
// right-to-left script.
func rightToLeftText(s string) bool {
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana):
			return true
		case unicode.IsLetter(r):
			return false
		}
	}
	return false
}

// Recognise reads the page's text, as it is shown, in the background;
// Cancel (or leaving the page) stops it.
func (pv *pageView) Recognise() {
	p := pv.p
	if p == nil || pv.px == nil || pv.reading != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	pv.reading = cancel
	pv.reads++
	gen := pv.reads
	px, edits, sp := pv.px, p.chosen(), p.scan
	langs := pv.v.w.svc.Languages
	if s := pv.v.w.settings; s != nil {
		langs = s.ocrLanguages()
	}
	read := pv.v.w.svc.Recognise
	pv.textStatus.SetText(lang.X("pageview.reading", "Recognising the text…"))
	pv.refresh()
	go func() {
		page := sp
		if len(edits) > 0 {
			img := clean.Render(px, edits)
			page = scan.NewPage(img, sp.XDPI, sp.YDPI, sp.Source)
			page.GuessedDPI = sp.GuessedDPI
		}
		text, err := read(ctx, page, langs)
		cancel()
		fyne.Do(func() {
			// A later recognition (the page left and opened again) owns
			// the view's state: this one only keeps its text.
			mine := pv.p == p && gen == pv.reads
			if mine {
				pv.reading = nil
			}
			switch {
			case errors.Is(err, context.Canceled):
				if mine {
					pv.textStatus.SetText(lang.X("pageview.read_cancelled", "Stopped."))
				}
			case err != nil:
				pv.v.w.svc.Logger.Warn("recognise", "page", sp.Source, "err", err)
				if mine {
					pv.textStatus.SetText(lang.X("pageview.read_failed", "The text could not be read: {{.Error}}", map[string]any{"Error": err.Error()}))
				}
			default:
				p.text = text
				if strings.TrimSpace(text) == "" {
					text = lang.X("pageview.text_empty", "No text was found on this page.")
				}
				if mine {
					pv.fillText()
					if strings.TrimSpace(p.text) == "" {
						pv.textStatus.SetText(text)
					}
				}
			}
			if mine {
				pv.refresh()
			}
		})
	}()
}

// stopReading cancels the running recognition.
func (pv *pageView) stopReading() {
	if pv.reading != nil {
		pv.reading()
		pv.reading = nil
		pv.refresh()
	}
}

// recognisePage is Services.Recognise's default: one Tesseract started
// for the page, as the page view reads a page now and then and a
// resident engine would hold its models' memory for nothing.
func recognisePage(ctx context.Context, p scan.Page, langs []string) (string, error) {
	eng, err := ocr.NewTesseract(ocr.Options{Languages: langs, Workers: 1})
	if err != nil {
		return "", err
	}
	defer eng.Close()
	img := ocr.Image{Data: p.File, DPI: knownDPI(p)}
	if img.Data == nil {
		px, err := p.Pixels()
		if err != nil {
			return "", err
		}
		img.Data = ocr.EncodePNM(px)
	}
	res, err := eng.Recognize(ctx, img)
	if err != nil {
		return "", err
	}
	return res.Text(), nil
}

// cornerEditor shows a photo as it came, with the sheet's four corners
// as handles to drag and the sheet's outline between them.
type cornerEditor struct {
	widget.BaseWidget
	img     *canvas.Image
	lines   [4]*canvas.Line
	handles [4]*cornerHandle
	// size is the photo's in pixels; corners are in its pixels (top
	// left, top right, bottom right, bottom left).
	size    image.Point
	corners [4]clean.Point
	// origin and zoom place the photo in the widget (it is fitted).
	origin fyne.Position
	zoom   float32
}

func newCornerEditor() *cornerEditor {
	e := &cornerEditor{img: canvas.NewImageFromImage(nil)}
	e.img.FillMode = canvas.ImageFillContain
	e.img.ScaleMode = canvas.ImageScaleSmooth
	for i := range e.lines {
		e.lines[i] = canvas.NewLine(theme.Color(theme.ColorNamePrimary))
		e.lines[i].StrokeWidth = 2
		e.handles[i] = newCornerHandle(e, i)
	}
	e.ExtendBaseWidget(e)
	return e
}

// set shows img with corners.
func (e *cornerEditor) set(img image.Image, corners [4]clean.Point) {
	e.img.Image = img
	b := img.Bounds()
	e.size = image.Pt(b.Dx(), b.Dy())
	for i, c := range corners {
		corners[i] = clean.Point{X: c.X - float64(b.Min.X), Y: c.Y - float64(b.Min.Y)}
	}
	e.corners = corners
	e.img.Refresh()
	e.Refresh()
}

// move drags corner i by d, in the widget's units, keeping it on the
// photo.
func (e *cornerEditor) move(i int, d fyne.Delta) {
	if e.zoom <= 0 {
		return
	}
	c := &e.corners[i]
	c.X = math.Min(math.Max(c.X+float64(d.DX/e.zoom), 0), float64(e.size.X))
	c.Y = math.Min(math.Max(c.Y+float64(d.DY/e.zoom), 0), float64(e.size.Y))
	e.Refresh()
}

// at is where a point of the photo is in the widget.
func (e *cornerEditor) at(p clean.Point) fyne.Position {
	return fyne.NewPos(e.origin.X+float32(p.X)*e.zoom, e.origin.Y+float32(p.Y)*e.zoom)
}

// CreateRenderer draws the photo, the outline and the handles.
func (e *cornerEditor) CreateRenderer() fyne.WidgetRenderer {
	objs := []fyne.CanvasObject{e.img}
	for _, l := range e.lines {
		objs = append(objs, l)
	}
	for _, h := range e.handles {
		objs = append(objs, h)
	}
	return &cornerRenderer{e: e, objs: objs}
}

type cornerRenderer struct {
	e    *cornerEditor
	objs []fyne.CanvasObject
}

// handleSize is a handle's diameter: easy to grab with a mouse or a
// finger.
const handleSize = 28

func (r *cornerRenderer) Layout(size fyne.Size) {
	e := r.e
	e.img.Resize(size)
	e.img.Move(fyne.NewPos(0, 0))
	if e.size.X <= 0 || e.size.Y <= 0 {
		return
	}
	e.zoom = min(size.Width/float32(e.size.X), size.Height/float32(e.size.Y))
	e.origin = fyne.NewPos((size.Width-float32(e.size.X)*e.zoom)/2, (size.Height-float32(e.size.Y)*e.zoom)/2)
	for i := range 4 {
		a, b := e.at(e.corners[i]), e.at(e.corners[(i+1)%4])
		e.lines[i].Position1, e.lines[i].Position2 = a, b
		e.lines[i].Refresh()
		h := e.handles[i]
		h.Resize(fyne.NewSquareSize(handleSize))
		h.Move(a.SubtractXY(handleSize/2, handleSize/2))
	}
}

func (r *cornerRenderer) MinSize() fyne.Size           { return fyne.NewSize(100, 100) }
func (r *cornerRenderer) Refresh()                     { r.Layout(r.e.Size()); canvas.Refresh(r.e) }
func (r *cornerRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *cornerRenderer) Destroy()                     {}

// cornerHandle is one corner of the sheet, dragged with the mouse.
type cornerHandle struct {
	widget.BaseWidget
	e   *cornerEditor
	i   int
	dot *canvas.Circle
}

var _ fyne.Draggable = (*cornerHandle)(nil)

func newCornerHandle(e *cornerEditor, i int) *cornerHandle {
	h := &cornerHandle{e: e, i: i, dot: canvas.NewCircle(theme.Color(theme.ColorNamePrimary))}
	h.dot.StrokeColor = theme.Color(theme.ColorNameBackground)
	h.dot.StrokeWidth = 2
	h.ExtendBaseWidget(h)
	return h
}

// Dragged moves the corner with the pointer.
func (h *cornerHandle) Dragged(d *fyne.DragEvent) { h.e.move(h.i, d.Dragged) }

// DragEnd leaves the corner where it was dropped; Apply uses it.
func (h *cornerHandle) DragEnd() {}

// CreateRenderer draws the handle as a dot.
func (h *cornerHandle) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(h.dot)
}

// Cursor shows that the handle can be moved.
func (h *cornerHandle) Cursor() desktop.Cursor { return desktop.CrosshairCursor }
