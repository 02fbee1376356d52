package stamp

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/bidi"

	"github.com/demat-app/demat/internal/typeset"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
)

// Stamp is what an arrival stamp says and where it goes.
type Stamp struct {
	// Number is the registration number.
	Number string
	// Kind is the register: incoming, outgoing or internal. It gives
	// the stamp's title (ARRIVÉE, DÉPART, COURRIER INTERNE).
	Kind string
	// Received is when the item arrived (or was registered).
	Received time.Time
	// DateOnly says that Received is a day, the time unknown (a
	// received date given as YYYY-MM-DD): no time is printed.
	DateOnly bool
	// Service is the desk (the configuration's [register] service);
	// empty prints none.
	Service string
	// Lang is the labels' language: fr, ar or en.
	Lang string
	// Location is the time zone the date and time are printed in.
	Location *time.Location
	// Place is where the stamp goes (Auto: a free area).
	Place Place
	// Reserve, when set, gives the areas of a page of w × h points to
	// keep free for what is drawn on it later (a visible signature
	// block), in points from its top-left corner.
	Reserve func(w, h float64) []Rect
}

func (s *Stamp) applyDefaults() error {
	if s.Lang == "" {
		s.Lang = "fr" // the bureau d'ordre's working language
	}
	if _, ok := labels[s.Lang]; !ok {
		return fmt.Errorf("stamp: language %q: want fr, ar or en", s.Lang)
	}
	if s.Kind == "" {
		s.Kind = "incoming" // the stamp is an arrival stamp first
	}
	if _, ok := labels[s.Lang].title[s.Kind]; !ok {
		return fmt.Errorf("stamp: register %q: want incoming, outgoing or internal", s.Kind)
	}
	if s.Location == nil {
		s.Location = time.Local // the desk's clock, as the clerk reads it
	}
	if s.Number == "" {
		return fmt.Errorf("stamp: no registration number")
	}
	return nil
}

// words are a stamp's fixed texts in one language.
type words struct {
	title map[string]string // by register
	// number is the number's label; date and dateTime the received
	// line's pattern, by register ("received" for incoming, else
	// "registered"), with %[1]s the date and %[2]s the time.
	number         string
	date, dateTime map[bool]string
	dateLayout     string
}

var labels = map[string]words{
	"fr": {
		title:  map[string]string{"incoming": "ARRIVÉE", "outgoing": "DÉPART", "internal": "COURRIER INTERNE"},
		number: "N°",
		date:   map[bool]string{true: "Reçu le %[1]s", false: "Enregistré le %[1]s"},
		dateTime: map[bool]string{true: "Reçu le %[1]s à %[2]s",
			false: "Enregistré le %[1]s à %[2]s"},
		dateLayout: "02/01/2006",
	},
	"ar": {
		title:      map[string]string{"incoming": "وارد", "outgoing": "صادر", "internal": "مراسلة داخلية"},
		number:     "رقم",
		date:       map[bool]string{true: "بتاريخ %[1]s", false: "بتاريخ %[1]s"},
		dateTime:   map[bool]string{true: "بتاريخ %[1]s على الساعة %[2]s", false: "بتاريخ %[1]s على الساعة %[2]s"},
		dateLayout: "02/01/2006",
	},
	"en": {
		title:      map[string]string{"incoming": "RECEIVED", "outgoing": "DISPATCHED", "internal": "INTERNAL MAIL"},
		number:     "No.",
		date:       map[bool]string{true: "Received %[1]s", false: "Registered %[1]s"},
		dateTime:   map[bool]string{true: "Received %[1]s at %[2]s", false: "Registered %[1]s at %[2]s"},
		dateLayout: "2006-01-02",
	},
}

// Color is the stamp's colour: the blue of a desk's stamp pad, which
// tells the stamp from the letter at a glance, and dark enough (a
// fifth of white's luminance) for its QR code to read and for it to
// print black on a black-and-white printer or copier.
var Color = color.RGBA{R: 0x1a, G: 0x33, B: 0x8c, A: 0xff}

// Sizes of the stamp, in points at scale 1.
const (
	padMM   = 2.0
	qrMM    = 20.0 // a 0.6 mm module for a 33-module code: a phone reads it on paper
	gapMM   = 2.5
	minCol  = 30 * mm
	maxCol  = 60 * mm
	frameW  = 0.9
	radius  = 1.5 * mm
	lead    = 1.3
	minFit  = 0.75 // a line too wide is made smaller down to this share, then cut
	textRes = 10   // text layer units per point
)

// line is a line of the stamp at a size in points.
type line struct {
	s    string
	size float64
	cut  bool // may be cut with an ellipsis (the service's name)
}

// Drawn is a stamp laid out, ready to be put on a page.
type Drawn struct {
	// W and H are its size in points.
	W, H    float64
	s       Stamp
	u       float64 // scale
	lines   []line
	colW    float64
	qr      [][]bool
	ts      *typeset.Typesetter
	payload string
}

// Lay lays s out at scale u (1: about 60 × 24 mm).
func Lay(s Stamp, u float64) (*Drawn, error) {
	if err := s.applyDefaults(); err != nil {
		return nil, err
	}
	ts, err := typeset.New()
	if err != nil {
		return nil, err
	}
	l := labels[s.Lang]
	when := s.Received.In(s.Location)
	date := when.Format(l.dateLayout)
	incoming := s.Kind == "incoming"
	received := fmt.Sprintf(l.date[incoming], date)
	if !s.DateOnly {
		received = fmt.Sprintf(l.dateTime[incoming], date, when.Format("15:04"))
	}
	lines := []line{{s: l.title[s.Kind], size: 9}}
	if svc := typeset.Clean(s.Service); svc != "" {
		lines = append(lines, line{s: svc, size: 6.5, cut: true})
	}
	lines = append(lines, line{s: l.number + " " + typeset.Clean(s.Number), size: 10}, line{s: received, size: 7.5})
	payload := Payload{Number: s.Number, Time: s.Received, DateOnly: s.DateOnly}.String()
	modules, err := typeset.QR(payload)
	if err != nil {
		return nil, fmt.Errorf("stamp: %w", err)
	}
	d := &Drawn{s: s, u: u, qr: modules, ts: ts, payload: payload}
	// The column is as wide as its widest line, within bounds; the
	// service's name is cut to it, anything else made smaller.
	// A long number widens the stamp rather than being cut.
	d.colW = minCol * u
	for i := range lines {
		lines[i].size *= u
		w := d.width(lines[i])
		switch {
		case lines[i].cut:
			w = math.Min(w, maxCol*u)
		case w > maxCol*u:
			w = math.Max(maxCol*u, w*minFit)
		}
		d.colW = math.Max(d.colW, w)
	}
	for i := range lines {
		if w := d.width(lines[i]); w > d.colW {
			lines[i].size = math.Max(lines[i].size*d.colW/w, minFit*lines[i].size)
			if lines[i].cut && d.width(lines[i]) > d.colW {
				lines[i].s = ts.Cut(lines[i].s, fixed.Int26_6(d.colW*64), lines[i].size)
			}
		}
	}
	d.lines = lines
	textH := 0.0
	for _, x := range lines {
		textH += x.size * lead
	}
	pad := padMM * mm * u
	d.W = pad + qrMM*mm*u + gapMM*mm*u + d.colW + pad
	d.H = math.Max(qrMM*mm*u, textH) + 2*pad
	return d, nil
}

func (d *Drawn) width(x line) float64 {
	return float64(d.ts.Shape(x.s, x.size).Width) / 64
}

// Payload is the QR code's text.
func (d *Drawn) Payload() string { return d.payload }

// Overlay draws the stamp with its top-left corner at (x, y) on a page
// of pw × ph points.
func (d *Drawn) Overlay(x, y, pw, ph float64) *pdf.Overlay {
	u := d.u
	pad := padMM * mm * u
	qs := qrMM * mm * u
	rtl := d.s.Lang == "ar"
	// In Arabic the stamp reads from the right: the QR code goes on the
	// left, after the text.
	qx, cx := x+pad, x+pad+qs+gapMM*mm*u
	if rtl {
		cx, qx = x+pad, x+d.W-pad-qs
	}
	qy := y + (d.H-qs)/2

	frame := &pdf.Path{Color: Color, Stroke: frameW * u}
	roundRect(frame, x+frameW*u/2, y+frameW*u/2, d.W-frameW*u, d.H-frameW*u, radius*u)
	text := &pdf.Path{Color: Color}
	words := &ocr.Result{Width: int(math.Round(pw * textRes)), Height: int(math.Round(ph * textRes)), DPI: 72 * textRes}
	textH := 0.0
	for _, l := range d.lines {
		textH += l.size * lead
	}
	top := y + (d.H-textH)/2
	bases := make([]float64, len(d.lines))
	for i, l := range d.lines {
		sh := d.ts.Shape(l.s, l.size)
		w := float64(sh.Width) / 64
		lx := cx
		if rtl {
			lx = cx + d.colW - w
		}
		bases[i] = top + l.size*lead/2 + 0.357*l.size // the capitals centred in the line
		d.ts.Draw(text, sh, lx, bases[i])
		top += l.size * lead
	}
	// The words go in the text layer in one size, on evenly spaced
	// baselines from the first line's to the last's (a point or two from
	// the drawn ones): text extractors then read the stamp as one block,
	// not as lines of different sizes to interleave with the letter's.
	for i, l := range d.lines {
		sh := d.ts.Shape(l.s, l.size)
		base := bases[0]
		if n := len(d.lines); n > 1 {
			base += (bases[n-1] - bases[0]) * float64(i) / float64(n-1)
		}
		lx := cx
		if rtl {
			lx = cx + d.colW - float64(sh.Width)/64
		}
		words.Lines = append(words.Lines, d.textLine(l, sh, lx, base, i+1))
	}
	code := &pdf.Path{Color: Color}
	n := len(d.qr)
	m := qs / float64(n+4) // two modules of quiet zone inside the square; the stamp's padding adds to it
	for my, row := range d.qr {
		for mx := 0; mx < n; {
			if !row[mx] {
				mx++
				continue
			}
			x0 := mx
			for mx < n && row[mx] {
				mx++
			}
			code.Rect(qx+float64(x0+2)*m, qy+float64(my+2)*m, float64(mx-x0)*m, m)
		}
	}
	return &pdf.Overlay{Paths: []*pdf.Path{frame, text, code}, Text: words}
}

// textLine gives a drawn line's words, each where its glyphs are, for
// the text layer.
func (d *Drawn) textLine(l line, sh typeset.Shaped, x, base float64, para int) ocr.Line {
	// Where each rune's glyphs are, from the glyphs' clusters.
	runes := []rune(l.s)
	x0s, x1s := make([]float64, len(runes)), make([]float64, len(runes))
	for i := range x0s {
		x0s[i], x1s[i] = math.Inf(1), math.Inf(-1)
	}
	gx := x
	for _, run := range sh.Runs {
		for _, g := range run.Glyphs {
			adv := float64(g.Advance) / 64
			if i := g.ClusterIndex; i >= 0 && i < len(runes) {
				x0s[i], x1s[i] = math.Min(x0s[i], gx), math.Max(x1s[i], gx+adv)
			}
			gx += adv
		}
	}
	k := float64(textRes)
	dir := ocr.DirLTR
	if typeset.RTL(l.s) {
		dir = ocr.DirRTL
	}
	size := 8 * d.u
	top, bottom := base-0.8*size, base+0.2*size
	ln := ocr.Line{Size: size * k, Dir: dir, Block: 1, Para: para, Offset: -0.2 * size * k}
	lx0, lx1 := math.Inf(1), math.Inf(-1)
	start := 0
	for i := 0; i <= len(runes); i++ {
		if i < len(runes) && runes[i] != ' ' {
			continue
		}
		if i > start {
			wx0, wx1 := math.Inf(1), math.Inf(-1)
			for j := start; j < i; j++ {
				wx0, wx1 = math.Min(wx0, x0s[j]), math.Max(wx1, x1s[j])
			}
			if !math.IsInf(wx0, 0) {
				text := string(runes[start:i])
				ln.Words = append(ln.Words, ocr.Word{Text: text, Conf: 100, Dir: wordDir(text),
					Box: ocr.Box{X0: int(math.Floor(wx0 * k)), Y0: int(math.Floor(top * k)), X1: int(math.Ceil(wx1 * k)), Y1: int(math.Ceil(bottom * k))}})
				lx0, lx1 = math.Min(lx0, wx0), math.Max(lx1, wx1)
			}
		}
		start = i + 1
	}
	ln.Box = ocr.Box{X0: int(math.Floor(lx0 * k)), Y0: int(math.Floor(top * k)), X1: int(math.Ceil(lx1 * k)), Y1: int(math.Ceil(bottom * k))}
	return ln
}

// wordDir is a word's direction in the text layer: right to left for
// Arabic, left to right for the rest, numbers included, so that a
// number inside an Arabic line is stored, and copied, as it reads.
func wordDir(s string) ocr.Direction {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		s = s[n:]
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.R, bidi.AL:
			return ocr.DirRTL
		}
	}
	return ocr.DirLTR
}

// roundRect adds a rectangle with rounded corners of radius r.
func roundRect(p *pdf.Path, x, y, w, h, r float64) {
	const k = 0.5523 // a quarter circle's Bézier control distance, per radius
	f := func(v float64) float32 { return float32(v) }
	p.MoveTo(f(x+r), f(y))
	p.LineTo(f(x+w-r), f(y))
	p.CubeTo(f(x+w-r+k*r), f(y), f(x+w), f(y+r-k*r), f(x+w), f(y+r))
	p.LineTo(f(x+w), f(y+h-r))
	p.CubeTo(f(x+w), f(y+h-r+k*r), f(x+w-r+k*r), f(y+h), f(x+w-r), f(y+h))
	p.LineTo(f(x+r), f(y+h))
	p.CubeTo(f(x+r-k*r), f(y+h), f(x), f(y+h-r+k*r), f(x), f(y+h-r))
	p.LineTo(f(x), f(y+r))
	p.CubeTo(f(x), f(y+r-k*r), f(x+r-k*r), f(y), f(x+r), f(y))
	p.ClosePath()
}

// Apply lays s out and finds its place on p: the overlay to draw on the
// page, and where it went. When no area is free for the stamp at its
// size, a smaller one (down to 65 %, its QR code's modules still 0.4 mm)
// is tried before covering anything, and a page too small for the stamp
// (a card, a receipt) gets a smaller one too, down to half size. When
// none is free, the one that covers the least area goes.
func Apply(s Stamp, p Page) (*pdf.Overlay, Placement, error) {
	d, err := Lay(s, 1)
	if err != nil {
		return nil, Placement{}, err
	}
	if s.Reserve != nil {
		p.Reserved = append(p.Reserved, s.Reserve(p.W, p.H)...)
	}
	u := math.Min(1, math.Min((p.W-2*edgeMM*mm)/d.W, (p.H-2*edgeMM*mm)/d.H))
	var best *Drawn
	var bestPl Placement
	for _, k := range []float64{1, 0.8, 0.65} {
		scale := math.Max(0.5, u*k)
		if scale != d.u {
			if d, err = Lay(s, scale); err != nil {
				return nil, Placement{}, err
			}
		}
		pl := Find(p, d.W, d.H, s.Place)
		if best == nil || pl.Covered*d.W*d.H < bestPl.Covered*best.W*best.H {
			best, bestPl = d, pl
		}
		if pl.Free || s.Place != Auto {
			break // a fixed place keeps the stamp's size
		}
	}
	return best.Overlay(bestPl.Rect.X, bestPl.Rect.Y, p.W, p.H), bestPl, nil
}

// Words gives the boxes of an OCR result's words in points on a page of
// w × h points, for Page.Words.
func Words(r *ocr.Result, w, h float64) []Rect {
	if r == nil || r.Width <= 0 || r.Height <= 0 {
		return nil
	}
	sx, sy := w/float64(r.Width), h/float64(r.Height)
	var out []Rect
	for _, l := range r.Lines {
		for _, wd := range l.Words {
			if strings.TrimSpace(wd.Text) == "" {
				continue
			}
			b := wd.Box
			out = append(out, Rect{float64(b.X0) * sx, float64(b.Y0) * sy, float64(b.Dx()) * sx, float64(b.Dy()) * sy})
		}
	}
	return out
}
