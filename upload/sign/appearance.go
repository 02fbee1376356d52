package sign

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Corner is a corner of the page where a signature block goes.
type Corner int

// The corners, BottomRight first: the zero value is where a signature
// goes on a letter, and where readers look for it.
const (
	BottomRight Corner = iota
	BottomLeft
	TopRight
	TopLeft
)

var cornerNames = []string{"bottom-right", "bottom-left", "top-right", "top-left"}

// String gives the corner's name, as ParsePlace takes it.
func (c Corner) String() string {
	if c < 0 || int(c) >= len(cornerNames) {
		return fmt.Sprintf("Corner(%d)", int(c))
	}
	return cornerNames[c]
}

// RectMM is a rectangle in millimetres: its lower-left corner (X, Y) from
// the lower-left corner of the page as it is shown, its width and height.
type RectMM struct {
	X, Y, W, H float64
}

// IsZero reports whether the rectangle has no size, which means "not set".
func (r RectMM) IsZero() bool { return r.W == 0 && r.H == 0 }

// Appearance is a visible signature block: a framed box with a QR code
// and lines of text (who signed, when, the registration number, the
// reason and the place), drawn on one page in the signature's widget.
// The QR code holds the SHA-256 of the document as it was before the
// signature (see QR), so a printed copy can be matched with the file.
//
// The block is drawn as vector graphics (its frame and QR code) and one
// 300 dpi grey image (its text, shaped with HarfBuzz's rules, so Arabic
// joins and reads right to left): a PDF/A stays PDF/A, with no font to
// embed, and the page's text (what pdftotext and search find) is
// unchanged.
type Appearance struct {
	// Page is the page that shows the block: 1 is the first, -1 the
	// last, -2 the one before it. Zero means the first.
	Page int
	// Corner puts the block at that corner of the page, Margin from its
	// edges, unless Rect is set.
	Corner Corner
	// Rect, when set, places the block exactly, in millimetres from the
	// lower-left corner of the page as it is shown (after its /Rotate).
	// It must lie on the page.
	Rect RectMM
	// Width and Height are the size in millimetres of a block placed at
	// a corner; zero means 80 × 30. On a page too small for the block
	// and its margins, block and margins are scaled down to fit, to half
	// their size at most.
	Width, Height float64
	// Margin is the distance in millimetres between a block placed at a
	// corner and the page's edges; zero means 10.
	Margin float64
	// Registration is the document's registration number, shown in the
	// block and put in the QR code; empty leaves it out.
	Registration string
	// Labels are the words shown before the values; empty ones take
	// their English default.
	Labels Labels
}

// Labels are the words of a signature block. Values in Arabic are shaped
// and ordered right to left within their line; labels in a right-to-left
// script (LabelsIn("ar")) mirror the whole block: the QR code on the
// right, each line aligned right with its label first, as an Arabic
// reader expects.
type Labels struct {
	SignedBy     string // the line above the signer's name
	Date         string
	Registration string
	Reason       string
	Location     string
}

// LabelsIn gives the block's words in lang: fr, ar or en (the languages
// of demat's stamps and receipts); ok is false for another, with English.
func LabelsIn(lang string) (l Labels, ok bool) {
	switch lang {
	case "fr":
		return Labels{SignedBy: "Signé électroniquement par", Date: "Date :", Registration: "N° d'ordre :",
			Reason: "Motif :", Location: "Lieu :"}, true
	case "ar":
		return Labels{SignedBy: "موقّع إلكترونيًا من طرف", Date: "التاريخ:", Registration: "رقم التسجيل:",
			Reason: "السبب:", Location: "المكان:"}, true
	case "en":
		ok = true
	}
	l.defaults()
	return l, ok
}

// mm is a millimetre in PDF points.
const mm = 72 / 25.4

// minScale is how far a block at a corner shrinks on a small page: at
// half the default size, the QR code's modules are a quarter of a
// millimetre, which a phone still reads on paper.
const minScale = 0.5

func (a *Appearance) applyDefaults() {
	if a.Width == 0 && a.Height == 0 {
		// Room for a QR code a phone reads from paper (about 26 mm)
		// beside five lines of 7-point text, on a letter's foot.
		a.Width, a.Height = 80, 30
	}
	if a.Margin == 0 {
		// Clear of the printable area's edge on every office printer
		// (about 5 mm) and of a binder's punch holes at the foot.
		a.Margin = 10
	}
	a.Labels.defaults()
}

// defaults fills the labels left empty with their English words.
func (l *Labels) defaults() {
	for _, d := range []struct {
		s   *string
		def string
	}{
		// English, as demat's own messages; callers pass translations.
		{&l.SignedBy, "Digitally signed by"},
		{&l.Date, "Date:"},
		{&l.Registration, "Reg. no.:"},
		{&l.Reason, "Reason:"},
		{&l.Location, "Location:"},
	} {
		if *d.s == "" {
			*d.s = d.def
		}
	}
}

// check refuses sizes that cannot make a block.
func (a *Appearance) check() error {
	if a.Corner < BottomRight || a.Corner > TopLeft {
		return fmt.Errorf("sign: signature block: no corner %d", int(a.Corner))
	}
	for _, v := range []float64{a.Rect.X, a.Rect.Y, a.Rect.W, a.Rect.H, a.Width, a.Height, a.Margin} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("sign: signature block: a size is not a number")
		}
	}
	w, h := a.Width, a.Height
	if !a.Rect.IsZero() {
		w, h = a.Rect.W, a.Rect.H
	}
	if w < 20 || h < 10 {
		return fmt.Errorf("sign: signature block of %g × %g mm: make it at least 20 × 10 mm (its QR code must stay readable)", w, h)
	}
	if a.Margin < 0 {
		return fmt.Errorf("sign: signature block margin %g mm: want 0 or more", a.Margin)
	}
	return nil
}

// ParsePlace reads where a block goes: a corner's name (bottom-right,
// bottom-left, top-right, top-left) or a rectangle "X,Y,W,H" in
// millimetres from the page's lower-left corner, optionally followed by
// "mm" ("120,15,80,30mm").
func ParsePlace(s string) (Corner, RectMM, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range cornerNames {
		if s == n {
			return Corner(i), RectMM{}, nil
		}
	}
	parts := strings.Split(strings.TrimSpace(strings.TrimSuffix(s, "mm")), ",")
	if len(parts) != 4 {
		return 0, RectMM{}, fmt.Errorf("place %q: want bottom-right, bottom-left, top-right, top-left, or X,Y,W,H in millimetres", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return 0, RectMM{}, fmt.Errorf("place %q: %q is not a size in millimetres", s, p)
		}
		v[i] = f
	}
	if v[2] == 0 || v[3] == 0 {
		return 0, RectMM{}, fmt.Errorf("place %q: the width and height must not be zero", s)
	}
	return 0, RectMM{X: v[0], Y: v[1], W: v[2], H: v[3]}, nil
}

// pageGeometry is what placing a block needs from its page: the visible
// area in default user space and the page's rotation.
type pageGeometry struct {
	llx, lly, urx, ury float64
	rotate             int // 0, 90, 180 or 270, clockwise as shown
}

// shown gives the size of the page as shown, in points.
func (g pageGeometry) shown() (w, h float64) {
	w, h = g.urx-g.llx, g.ury-g.lly
	if g.rotate == 90 || g.rotate == 270 {
		w, h = h, w
	}
	return w, h
}

// toUser maps a point of the page as shown (points from its lower-left
// corner) to default user space.
func (g pageGeometry) toUser(vx, vy float64) (x, y float64) {
	switch g.rotate {
	case 90:
		return g.urx - vy, g.lly + vx
	case 180:
		return g.urx - vx, g.ury - vy
	case 270:
		return g.llx + vy, g.ury - vx
	}
	return g.llx + vx, g.lly + vy
}

// matrix is the appearance's /Matrix: it turns the block against the
// page's rotation, so that the block reads upright as the page is shown.
func (g pageGeometry) matrix() [6]float64 {
	switch g.rotate {
	case 90:
		return [6]float64{0, 1, -1, 0, 0, 0}
	case 180:
		return [6]float64{-1, 0, 0, -1, 0, 0}
	case 270:
		return [6]float64{0, -1, 1, 0, 0, 0}
	}
	return [6]float64{1, 0, 0, 1, 0, 0}
}

// Shown gives the rectangle the block takes on an unrotated page of
// w × h points, in points from its lower-left corner, so that what else
// is drawn on that page (the arrival stamp) can keep clear of it.
func (a Appearance) Shown(w, h float64) (x, y, bw, bh float64, err error) {
	a.applyDefaults()
	s, _, err := a.place(pageGeometry{urx: w, ury: h})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return s[0], s[1], s[2] - s[0], s[3] - s[1], nil
}

// place gives the block's rectangle as shown (points from the shown
// page's lower-left corner) and in default user space (the widget's
// /Rect), checking that it lies on the page.
func (a *Appearance) place(g pageGeometry) (shown, rect [4]float64, err error) {
	pw, ph := g.shown()
	var x, y, w, h float64
	if !a.Rect.IsZero() {
		x, y, w, h = a.Rect.X*mm, a.Rect.Y*mm, a.Rect.W*mm, a.Rect.H*mm
		const slack = 0.01 // rounding of sizes given in millimetres
		if x < 0 || y < 0 || x+w > pw+slack || y+h > ph+slack {
			return shown, rect, fmt.Errorf("sign: the signature block %g,%g,%g,%gmm does not fit on the page (%.0f × %.0f mm)",
				a.Rect.X, a.Rect.Y, a.Rect.W, a.Rect.H, pw/mm, ph/mm)
		}
	} else {
		m := a.Margin * mm
		w, h = a.Width*mm, a.Height*mm
		if s := math.Min(pw/(w+2*m), ph/(h+2*m)); s < 1 {
			// A small page (a receipt, a label): the same block, smaller,
			// but not so small that its QR code cannot be read.
			if s < minScale {
				return shown, rect, fmt.Errorf("sign: the page (%.0f × %.0f mm) is too small for a signature block: choose another page, or give the block's place and size", pw/mm, ph/mm)
			}
			w, h, m = w*s, h*s, m*s
		}
		switch a.Corner {
		case BottomRight:
			x, y = pw-m-w, m
		case BottomLeft:
			x, y = m, m
		case TopRight:
			x, y = pw-m-w, ph-m-h
		case TopLeft:
			x, y = m, ph-m-h
		}
	}
	shown = [4]float64{x, y, x + w, y + h}
	x1, y1 := g.toUser(x, y)
	x2, y2 := g.toUser(x+w, y+h)
	rect = [4]float64{math.Min(x1, x2), math.Min(y1, y2), math.Max(x1, x2), math.Max(y1, y2)}
	return shown, rect, nil
}
