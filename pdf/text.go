package pdf

import (
	"bytes"
	"fmt"
	"math"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"

	"github.com/demat-app/demat/ocr"
)

// maxStraightAngle is the line tilt up to which each word is laid straight
// (at its own place on the tilted baseline) rather than along the tilt.
const maxStraightAngle = 5 * math.Pi / 180

// minGap is the smallest gap kept between two words, in ems.
const minGap = 0.15

// defaultFontSize is used for a line whose height OCR did not report.
const defaultFontSize = 8

// writeText draws the invisible text layer of one page of w×h points.
//
// Geometry follows Tesseract's PDF renderer, so that text extraction gives
// what Tesseract's own PDFs give: each word starts on its line's baseline
// (projected from the word box), in a text matrix turned along that
// baseline when the line is tilted more than a few degrees, straight
// otherwise (see maxStraightAngle); a right-to-left word starts at its right end with the matrix
// mirrored, so its characters are stored in logical order; each word's
// glyphs are stretched with Tz to span the word box exactly, and a space
// follows every word but the page's last (outside its box), so extraction
// keeps word breaks.
// Font size is the line height in points.
func writeText(b *bytes.Buffer, r *ocr.Result, w, h float64) {
	if r.Width <= 0 || r.Height <= 0 {
		return
	}
	sx, sy := w/float64(r.Width), h/float64(r.Height) // pixels → points
	b.WriteString("BT\n3 Tr\n")
	fontSize := -1
	dir := ocr.DirLTR // the previous word's, for neutral words
	last := len(r.Lines) - 1
	for li, l := range r.Lines {
		// The line's baseline across its box, flattened when nearly level
		// (under 2 pt of rise over more than 2 pt of run), as Tesseract does.
		lx1, lx2 := float64(l.Box.X0), float64(l.Box.X1)
		ly1, ly2 := pixel(l.BaselineAt(lx1)), pixel(l.BaselineAt(lx2))
		if math.Abs(ly2-ly1)*sy < 2 && 2 < (lx2-lx1)*sx {
			ly1 = math.Floor((ly1 + ly2) / 2)
			ly2 = ly1
		}
		size := int(l.Size*sy + 0.5)
		if size <= 0 {
			size = defaultFontSize
		}
		theta := math.Atan2(ly1-ly2, lx2-lx1)
		// Where each word starts on the baseline, in reading order.
		type placed struct {
			dir            ocr.Direction
			px, py, length float64
		}
		words := make([]placed, len(l.Words))
		for wi, wd := range l.Words {
			dir = wordDirection(wd, l.Dir, dir)
			x1, x2 := float64(wd.Box.X0), float64(wd.Box.X1)
			if dir == ocr.DirRTL {
				x1, x2 = x2, x1
			}
			y1, y2 := pixel(l.BaselineAt(x1)), pixel(l.BaselineAt(x2))
			// Project the word's start onto the line's baseline.
			px, py := project(x1, y1, lx1, ly1, lx2, ly2)
			words[wi] = placed{dir, px, py, math.Hypot((x2-x1)*sx, (y2-y1)*sy)}
		}
		for wi, wd := range l.Words {
			p := words[wi]
			dir = p.dir
			px, py, length := p.px, p.py, p.length
			// A word's glyphs stop a little before the next word in the
			// same direction starts. Extractors put a space between two
			// words only where they see a gap (pdftotext: over 0.1 em), and
			// interleave the letters of glyph runs that overlap; OCR boxes
			// of close or overlapping words (often in Arabic) would give
			// either. The word is squeezed only when its box is too close.
			room := math.Inf(1)
			if wi+1 < len(words) && words[wi+1].dir == dir {
				n := words[wi+1]
				d := math.Hypot((n.px-px)*sx, (n.py-py)*sy)
				if ahead := (n.px - px) * sx; (dir == ocr.DirRTL) == (ahead < 0) && d > 0 {
					room = d
					length = math.Max(math.Min(length, d-minGap*float64(size)), d/2)
				}
			}
			a, bb, c, d := math.Cos(theta), math.Sin(theta), -math.Sin(theta), math.Cos(theta)
			if math.Abs(theta) < maxStraightAngle {
				// Text extractors start a new word when a glyph's baseline
				// drifts over about half a point from the word's first one:
				// on a slightly tilted line a long word laid along the
				// tilt would be cut in two, and no longer found by search.
				a, bb, c, d = 1, 0, 0, 1
			}
			if dir == ocr.DirRTL {
				a, bb = -a, -bb
			}
			fmt.Fprintf(b, "%s %s %s %s %s %s Tm", num(a), num(bb), num(c), num(d), num(px*sx), num(h-py*sy))
			if size != fontSize {
				fmt.Fprintf(b, " /F1 %d Tf", size)
				fontSize = size
			}
			chars := utf8.RuneCountInString(wd.Text)
			if chars == 0 || length <= 0 {
				b.WriteByte('\n')
				continue
			}
			// Glyphs advance charWidth/1000 em: stretch the word's own
			// characters over its box, rounded as Tesseract rounds.
			tz := 1000 / charWidth * prec(100*length/(float64(size)*float64(chars)))
			fmt.Fprintf(b, " %s Tz <%X> Tj", num(tz), utf16be(wd.Text))
			if li != last || wi != len(l.Words)-1 {
				// The space after the word fills the gap to the next word,
				// one character at most: a wider one would run into it.
				space := tz
				if !math.IsInf(room, 1) {
					space = math.Min(tz, 1000/charWidth*prec(100*(room-length)/float64(size)))
				}
				fmt.Fprintf(b, " %s Tz <0020> Tj", num(space))
			}
			b.WriteByte('\n')
		}
	}
	b.WriteString("ET\n")
}

// prec rounds to three decimals.
func prec(v float64) float64 { return math.Round(v*1000) / 1000 }

// pixel rounds a coordinate to a whole pixel, as the engine's own
// baseline points are: hOCR rounds the baseline's slope to three decimals,
// and rounding recovers the engine's points.
func pixel(v float64) float64 { return math.Floor(v + 0.5) }

// project gives the foot of the perpendicular from (x, y) to the line
// through (x1, y1) and (x2, y2).
func project(x, y, x1, y1, x2, y2 float64) (float64, float64) {
	l2 := (x2-x1)*(x2-x1) + (y2-y1)*(y2-y1)
	if l2 == 0 {
		return x1, y1
	}
	t := ((x-x2)*(x2-x1) + (y-y2)*(y2-y1)) / l2
	return x2 + t*(x2-x1), y2 + t*(y2-y1)
}

// wordDirection decides a word's direction the way Tesseract's renderer
// does: the engine's own word direction when it gave one; a word with
// strong letters of its paragraph's direction only follows the paragraph;
// anything else (digits, punctuation, mixed) keeps the previous word's.
func wordDirection(w ocr.Word, para, prev ocr.Direction) ocr.Direction {
	if w.Dir != ocr.DirNeutral {
		return w.Dir
	}
	ltr, rtl := strongDirections(w.Text)
	switch {
	case para == ocr.DirRTL && rtl && !ltr:
		return ocr.DirRTL
	case para != ocr.DirRTL && ltr && !rtl:
		return ocr.DirLTR
	}
	return prev
}

func strongDirections(s string) (ltr, rtl bool) {
	for _, r := range s {
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.L:
			ltr = true
		case bidi.R, bidi.AL, bidi.AN:
			rtl = true
		}
	}
	return
}
