package clean

import (
	"fmt"
	"image"
	"math"
)

// Options choose the automatic edits. The zero value cleans a scanned page
// the default way.
type Options struct {
	// NoDeskew, NoOrient, NoCrop and NoBlank leave a step out.
	NoDeskew, NoOrient, NoCrop, NoBlank bool
	// Photo treats the page as a phone photo: the sheet is found on its
	// background, flattened to an upright rectangle and its lighting
	// evened out.
	Photo bool
	// Corners, when set, are the sheet's corners (top left, top right,
	// bottom right, bottom left) in the image, given by a person; they
	// imply Photo.
	Corners *[4]Point
	// Binarize adds a Binarize edit to pages that are black and white
	// print (Tone BiLevel).
	Binarize bool

	// Orient detects the page's orientation: the quarter turns clockwise
	// that make img upright, and a confidence. It is called with the
	// page before deskewing (after perspective correction for a photo)
	// and its resolution. Tesseract's OSD in package ocr fits, wrapped in
	// a closure that holds the context. nil leaves orientation to a
	// person (Auto still reports a page lying on its side).
	Orient func(img image.Image, dpi float64) (turns int, confidence float64, err error)
	// OrientSideways consults Orient only for pages whose lines run up
	// and down the page, which a cheap measure tells: orientation
	// detection costs a good part of a recognition, and a caller that
	// catches upside-down pages otherwise (from the low confidence of
	// their recognition) need not pay it on every upright page.
	OrientSideways bool
	// OrientConfidence is the least confidence at which Orient is
	// believed.
	OrientConfidence float64
	// MinSkew is the smallest tilt corrected, in degrees.
	MinSkew float64
	// MaxSkew is the largest tilt looked for, in degrees (at most
	// MaxSkew, the package constant).
	MaxSkew float64
	// BlankInk is the area of print, in square millimetres, below which
	// a page is blank.
	BlankInk float64
	// PhotoDPI is the resolution a photographed sheet is flattened to
	// when its paper size is recognised.
	PhotoDPI float64
}

func (o *Options) applyDefaults() {
	if o.OrientConfidence <= 0 {
		// Tesseract's OSD (ocr.OSD) scores clean pages of print 8–35;
		// its mistakes on the corpus turned four ways scored under 1.3.
		o.OrientConfidence = 2
	}
	if o.MinSkew <= 0 {
		// Below a tenth of a degree an A4 line drifts by less than a
		// stroke's width; interpolating the page would cost more
		// sharpness than it gives.
		o.MinSkew = 0.1
	}
	if o.MaxSkew <= 0 || o.MaxSkew > MaxSkew {
		o.MaxSkew = MaxSkew
	}
	if o.BlankInk <= 0 {
		// Any mark that passes the dust filter (about 1 mm² for a thin
		// page number) is enough to keep a page.
		o.BlankInk = 0.5
	}
	if o.PhotoDPI <= 0 {
		// What a scanner would give, and where Tesseract reads best.
		o.PhotoDPI = 300
	}
	if o.Corners != nil {
		o.Photo = true
	}
}

// Tone is how a page's content is best stored.
type Tone uint8

// Tones.
const (
	// BiLevel: print on paper; black and white loses nothing.
	BiLevel Tone = iota + 1
	// Gray: shades matter (photographs, shading, grey logos).
	Gray
	// Color: colour matters (a stamp, a signature in blue, coloured
	// paper).
	Color
)

func (t Tone) String() string {
	switch t {
	case BiLevel:
		return "bi-level"
	case Gray:
		return "gray"
	case Color:
		return "color"
	}
	return fmt.Sprintf("Tone(%d)", t)
}

// Warning is something a person should know about a page.
type Warning uint8

// Warnings, in the order Auto checks them.
const (
	// WarnSkewed: the page was crooked (corrected unless NoDeskew).
	WarnSkewed Warning = iota + 1
	// WarnSideways: the text runs up or down the page and its
	// orientation could not be told.
	WarnSideways
	// WarnTurnGuessed: the page lay on its side and was turned on an
	// uncertain answer of the orientation detector.
	WarnTurnGuessed
	// WarnDark: the paper came out dark (lid open, grey paper, poor
	// light).
	WarnDark
	// WarnFaint: the print is light.
	WarnFaint
	// WarnLowContrast: print and paper are close in brightness.
	WarnLowContrast
	// WarnLowResolution: the text has too few pixels for reliable
	// recognition (under about 200 dpi for ordinary print).
	WarnLowResolution
	// WarnBlank: the page is probably blank.
	WarnBlank
)

var warningText = [...]string{
	WarnSkewed:        "the page was crooked",
	WarnSideways:      "the text runs up or down the page: turn it by hand",
	WarnTurnGuessed:   "the page lay on its side and was turned by a guess: check it",
	WarnDark:          "the paper is dark: check the scanner lid and the lighting",
	WarnFaint:         "the print is faint",
	WarnLowContrast:   "print and paper have little contrast",
	WarnLowResolution: "the resolution is too low for reliable text recognition: scan at 300 dpi",
	WarnBlank:         "the page looks blank",
}

func (w Warning) String() string {
	if int(w) < len(warningText) && warningText[w] != "" {
		return warningText[w]
	}
	return fmt.Sprintf("Warning(%d)", w)
}

// Report is what Auto measured on a page.
type Report struct {
	// DPI is the resolution of the rendered page: the scan's, or for a
	// photo flattened to a known paper size, Options.PhotoDPI.
	DPI float64
	// Photo is set when a sheet was found and flattened; Corners are its
	// corners in the original (the Perspective edit takes the page from
	// a pixel and a half inside them, clear of the table).
	Photo   bool
	Corners [4]Point
	// Turns is the quarter turns clockwise applied; OrientConfidence the
	// detector's confidence; Sideways is set when the text runs up or
	// down the page after them.
	Turns            int
	OrientConfidence float64
	Sideways         bool
	// Skew is the tilt measured (degrees counter-clockwise), SkewOK
	// whether the page showed enough text lines to measure it.
	Skew   float64
	SkewOK bool
	// Crop is the page kept, in the pixels of the deskewed page, and
	// Holes the punch holes filled in.
	Crop  image.Rectangle
	Holes int
	// Ink is the area of print in square millimetres, Marks how many
	// separate marks it makes, Blank whether the page is blank.
	Ink   float64
	Marks int
	Blank bool
	// Tone says whether the page needs grey levels or colour, and
	// Pictures whether it holds photographs or shading (a page in colour
	// may hold both colour ink and pictures).
	Tone     Tone
	Pictures bool
	// Midtone is the area of flat mid-grey, in square millimetres: what
	// Gray and Pictures are decided on.
	Midtone float64
	// Paper and Print are the typical grey levels (0–255) of the paper
	// and of the print; TextHeight the median height of the marks, in
	// pixels of the original.
	Paper, Print uint8
	TextHeight   float64
	Warnings     []Warning
}

// frame tracks Auto's view of the page after the edits decided so far.
type frame struct {
	// m maps the current full-size page to the one base was reduced
	// from (the original, or a flattened photo).
	m    mat3
	w, h int
	dpi  float64
	p    *page // the current page, reduced
	base *page
}

func (f *frame) add(e Edit) {
	em, w, h := e.transform(f.w, f.h)
	f.m, f.w, f.h = f.m.mul(em), w, h
	f.p = f.base.warped(f.m, f.p.scale, w, h)
}

// Auto decides the automatic edits for a page and reports what it
// measured. dpi is img's resolution (0 if unknown: 300 is assumed). The
// edits come in the order perspective and lighting (photos), quarter
// turns, deskew, crop, punch holes, binarisation; each can be removed and
// the others still apply, though removing a geometric edit makes the
// crop that follows it stale. img is not modified.
func Auto(img image.Image, dpi float64, opt Options) (Edits, Report) {
	opt.applyDefaults()
	if dpi <= 0 {
		dpi = 300
	}
	b := img.Bounds()
	base := reduce(img, reductionFor(b, dpi))
	f := &frame{m: identity, w: b.Dx(), h: b.Dy(), dpi: dpi, p: base, base: base}
	a := &auto{img: img, opt: opt, f: f, rep: Report{DPI: dpi}}
	if opt.Photo {
		a.photo()
	}
	a.bd = f.p.findBorders(f.dpi)
	if !opt.NoOrient {
		a.orient()
	} else {
		a.axis = lineAxis(f.p.inkPoints(a.textMask()), f.p.w, f.p.h)
	}
	if a.axis == vertical {
		a.rep.Sideways = true
		a.rep.Warnings = append(a.rep.Warnings, WarnSideways)
	} else {
		a.deskew()
	}
	if !opt.NoCrop {
		a.crop()
	} else {
		a.rep.Crop = image.Rect(0, 0, f.w, f.h)
	}

	s := f.p.survey(a.bd, f.dpi)
	rep := &a.rep
	rep.Ink, rep.Marks = s.inkMM2, len(s.marks)
	rep.Paper, rep.Print = s.paper, s.ink
	rep.TextHeight = s.textPx
	rep.Tone = s.tone()
	rep.Pictures = s.midtoneMM2 >= picturesMM2
	rep.Midtone = s.midtoneMM2
	rep.Blank = !opt.NoBlank && s.inkMM2 < opt.BlankInk
	rep.Warnings = append(rep.Warnings, s.warnings(f.dpi, rep.Blank)...)
	if opt.Binarize && rep.Tone == BiLevel && !rep.Blank {
		a.add(Edit{Kind: Binarize, Auto: true, Radius: max(7, int(math.Round(SauvolaRadius*f.dpi/300))), K: SauvolaK})
	}
	return a.edits, a.rep
}

// auto is one run of Auto.
type auto struct {
	img  image.Image
	opt  Options
	f    *frame
	bd   borders // of the current page
	axis int     // line direction of the current page
	// text is the current page's text mask (see textMask), once made.
	text []bool
	// straight, once the page is deskewed, holds bd carried over to the
	// straightened page, which is not rendered: the crop is decided on
	// it, and the survey reads the crooked page (the amount of print,
	// its tone and levels do not depend on a small turn).
	straight *borders
	edits    Edits
	rep      Report
}

func (a *auto) add(e Edit) {
	a.edits = append(a.edits, e)
	if e.geometric() {
		a.f.add(e)
		a.bd = a.f.p.findBorders(a.f.dpi)
		a.text = nil
	}
}

// textMask gives the current page's text mask.
func (a *auto) textMask() []bool {
	if a.text == nil {
		a.text = a.f.p.textMask(a.bd.mask, a.f.dpi)
	}
	return a.text
}

// photo finds the sheet (or takes the given corners) and flattens it.
func (a *auto) photo() {
	f, b := a.f, a.img.Bounds()
	var corners, found [4]Point
	switch {
	case a.opt.Corners != nil:
		corners = *a.opt.Corners
		for i := range corners {
			corners[i].X -= float64(b.Min.X)
			corners[i].Y -= float64(b.Min.Y)
		}
		found = corners
	default:
		c, ok := f.base.findSheet()
		if !ok {
			return
		}
		for i := range c {
			c[i] = Point{c[i].X * f.base.scale, c[i].Y * f.base.scale}
		}
		found = refineSheet(a.img, c, f.base.scale)
		// The pixels on the sheet's edge are part table: take the page
		// from a pixel and a half inside it.
		corners = insetQuad(found, 1.5)
	}
	size, pageDPI := sheetSize(corners, b.Dx(), b.Dy(), a.opt.PhotoDPI, f.dpi)
	e := Edit{Kind: Perspective, Auto: a.opt.Corners == nil, Corners: corners, Size: size}
	em, w, h := e.transform(f.w, f.h)
	if w != size.X || h != size.Y {
		return // corners that make no quadrilateral
	}
	f.w, f.h, f.dpi = w, h, pageDPI
	f.p = f.base.warped(em, pageDPI/analysisDPI, w, h)
	f.p.flatten()
	// Later edits start from the flattened sheet.
	f.base = f.p
	// Background over a fifth of an inch: wider than any stroke,
	// narrower than the shading of a curled sheet.
	a.edits = append(a.edits, e, Edit{Kind: Flatten, Auto: true, Radius: int(pageDPI / 5)})
	a.rep.Photo, a.rep.DPI = true, pageDPI
	for i := range found {
		a.rep.Corners[i] = Point{found[i].X + float64(b.Min.X), found[i].Y + float64(b.Min.Y)}
	}
}

// orient turns the page upright when the detector and the line direction
// agree.
func (a *auto) orient() {
	f := a.f
	pts := f.p.inkPoints(a.textMask())
	a.axis = lineAxis(pts, f.p.w, f.p.h)
	if a.opt.Orient == nil || len(pts.xs) == 0 || (a.opt.OrientSideways && a.axis != vertical) {
		return
	}
	// A blank page has no orientation: spare the detector.
	if !a.opt.NoBlank && f.p.survey(a.bd, f.dpi).inkMM2 < a.opt.BlankInk {
		return
	}
	src := a.img
	if a.rep.Photo {
		src = Render(a.img, a.edits)
	}
	t, c, err := a.opt.Orient(src, f.dpi)
	t &= 3
	a.rep.OrientConfidence = c
	turns := 0
	switch {
	case err != nil:
	// Believed when confident and not contradicted by the direction of
	// the lines: the detector's rare confident mistakes put a page on
	// its side.
	case c >= a.opt.OrientConfidence && (a.axis == 0 || (t&1 == 1) == (a.axis == vertical)):
		turns = t
	// A page whose lines run up and down reads as nothing, and a wrong
	// guess between 90° and 270° is no worse: there half the confidence
	// will do (a short Arabic letter on its side scores 1.1, the right
	// way), with a warning.
	case a.axis == vertical && t&1 == 1 && c >= a.opt.OrientConfidence/2:
		turns = t
		a.rep.Warnings = append(a.rep.Warnings, WarnTurnGuessed)
	}
	if turns == 0 {
		return
	}
	a.add(Edit{Kind: Rotate, Auto: true, Turns: turns})
	a.rep.Turns = turns
	if turns&1 == 1 {
		a.axis = -a.axis
	}
}

// deskew measures the tilt and straightens the page.
func (a *auto) deskew() {
	f := a.f
	sk := f.p.skew(a.textMask(), a.opt.MaxSkew)
	a.rep.Skew, a.rep.SkewOK = sk.angle, sk.ok
	if !sk.ok || math.Abs(sk.angle) < a.opt.MinSkew {
		return
	}
	a.rep.Warnings = append(a.rep.Warnings, WarnSkewed)
	if a.opt.NoDeskew {
		return
	}
	// Not through add: see straight.
	e := Edit{Kind: Deskew, Auto: true, Angle: sk.angle}
	a.edits = append(a.edits, e)
	em, _, _ := e.transform(f.w, f.h)
	s := f.p.straightened(a.bd, em, f.dpi)
	a.straight = &s
}

// crop takes the scanner's background away and fills punch holes.
func (a *auto) crop() {
	f := a.f
	bd := a.bd
	if a.straight != nil {
		bd = *a.straight
	}
	full := image.Rect(0, 0, f.w, f.h)
	crop := f.p.toFull(bd.crop, f.w, f.h)
	if crop.Empty() {
		crop = full
	}
	a.rep.Crop = crop
	if crop != full {
		// Not through add: the borders found stay those of the
		// uncropped page, which the survey reads within the crop.
		a.edits = append(a.edits, Edit{Kind: Crop, Auto: true, Rect: crop})
	}
	var holes []image.Rectangle
	for _, h := range bd.holes {
		holes = append(holes, f.p.toFull(h, f.w, f.h).Sub(crop.Min))
	}
	if len(holes) > 0 {
		a.edits = append(a.edits, Edit{Kind: Fill, Auto: true, Rects: holes})
		a.rep.Holes = len(holes)
	}
}

// Line directions (see lineAxis).
const (
	horizontal = 1
	vertical   = -1
)

// axisMargin is how much sharper one direction's profile must be than the
// other's to tell which way the lines run: across text, 2.5 to 30 times
// (measured on the corpus); on drawings and photographs, about 1.
const axisMargin = 1.6

// lineAxis tells whether the text lines run across the page (horizontal),
// up or down it (vertical), or cannot tell (0): the projection profile
// across the lines stands out far more than the one along them.
func lineAxis(pts points, w, h int) int {
	if len(pts.xs) < 300 {
		return 0
	}
	s := pts.sample(40000)
	_, ch := newProfiler(w, h).sweep(s, MaxSkew)
	_, cv := newProfiler(h, w).sweep(s.transposed(), MaxSkew)
	switch {
	case ch > cv*axisMargin:
		return horizontal
	case cv > ch*axisMargin:
		return vertical
	}
	return 0
}

// Sideways tells whether the text of a page runs up or down it (the page
// lies on its side: 90° or 270°) rather than across (0° or 180°); ok is
// false when it cannot tell (too little text, a drawing). It is the cheap
// check Auto holds an orientation detector's answers to.
func Sideways(img image.Image, dpi float64) (sideways, ok bool) {
	if dpi <= 0 {
		dpi = 300
	}
	p := reduce(img, reductionFor(img.Bounds(), dpi))
	bd := p.findBorders(dpi)
	a := lineAxis(p.inkPoints(p.textMask(bd.mask, dpi)), p.w, p.h)
	return a == vertical, a != 0
}

// Areas of flat mid-grey: over a fingertip's (greyMM2), shades matter to
// the page (shading, a grey logo); over 2 cm × 2 cm (picturesMM2) it holds
// a picture (a photograph, a drawing in shades). Faint typewriting, whose
// strokes are flat mid-grey too, covers 20–130 mm² of a page.
const (
	greyMM2     = 25
	picturesMM2 = 400
)

// tone decides how the page is best stored.
func (s survey) tone() Tone {
	switch {
	// Coloured paper, or coloured ink over a few mm² (a stamp, a
	// signature in blue; scanner colour fringes are single pixels).
	case s.paperChroma > 30 || s.colourMM2 >= 3:
		return Color
	case s.midtoneMM2 >= greyMM2:
		return Gray
	}
	return BiLevel
}

// warnings gives the quality warnings of a surveyed page.
func (s survey) warnings(dpi float64, blank bool) []Warning {
	var ws []Warning
	if blank {
		// The other measures mean nothing without print.
		return append(ws, WarnBlank)
	}
	if s.paper == 0 && s.ink == 0 {
		// No paper level was found (a snippet smaller than the blocks
		// paper is measured over): tone warnings would be noise.
		if dpi < 190 {
			ws = append(ws, WarnLowResolution)
		}
		return ws
	}
	// Scanned white paper is 200–255; below 150 it is grey.
	if s.paper < 150 {
		ws = append(ws, WarnDark)
	}
	// Black print scans under 100; over 140 it is grey or washed out.
	if s.ink > 140 {
		ws = append(ws, WarnFaint)
	}
	// Binarisation and recognition start failing when paper and print
	// are fewer than 80 grey levels apart.
	if int(s.paper)-int(s.ink) < 80 {
		ws = append(ws, WarnLowContrast)
	}
	// Tesseract wants 200 dpi or more for ordinary print, and about 12
	// pixels or more for the height of most letters.
	if dpi < 190 || (s.textPx > 0 && s.textPx < 12) {
		ws = append(ws, WarnLowResolution)
	}
	return ws
}

// Blankness is what Blank measured.
type Blankness struct {
	// Ink is the area of print, in square millimetres: marks at least
	// 1.8 mm across that are 30% darker than the paper around them, or
	// coloured; dust, noise, bleed-through and the scanner's background
	// are not print.
	Ink float64
	// Marks counts them.
	Marks int
	// Blank is set when Ink is below the threshold.
	Blank bool
}

// Blank measures the print on a page and calls it blank when there is
// less than threshold square millimetres of it (0 takes the default, 0.5:
// any mark at all keeps the page).
func Blank(img image.Image, dpi, threshold float64) Blankness {
	if dpi <= 0 {
		dpi = 300
	}
	if threshold <= 0 {
		threshold = 0.5
	}
	p := reduce(img, reductionFor(img.Bounds(), dpi))
	s := p.survey(p.findBorders(dpi), dpi)
	return Blankness{Ink: s.inkMM2, Marks: len(s.marks), Blank: s.inkMM2 < threshold}
}

// PageTone tells whether a page is black-and-white print, needs grey
// levels, or needs colour, for choosing how to compress it.
func PageTone(img image.Image, dpi float64) Tone {
	if dpi <= 0 {
		dpi = 300
	}
	p := reduce(img, reductionFor(img.Bounds(), dpi))
	return p.survey(p.findBorders(dpi), dpi).tone()
}

// flatten evens out the lighting of a reduced page (see FlattenLight).
func (p *page) flatten() {
	r := max(4, int(analysisDPI/5))
	for _, pl := range [][]uint8{p.mean, p.dark} {
		g := &image.Gray{Pix: pl, Stride: p.w, Rect: image.Rect(0, 0, p.w, p.h)}
		copy(pl, FlattenLight(g, r).(*image.Gray).Pix)
	}
}
