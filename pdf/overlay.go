package pdf

import (
	"bytes"
	"fmt"
	"image/color"

	"github.com/demat-app/demat/ocr"
)

// Overlay is what demat adds on top of a scanned page (the arrival
// stamp): vector paths, drawn over the page's image and text layer, and
// the words they show, written in the text layer as OCR's are, so that
// a viewer's search and copy find them where they are drawn.
//
// Its text is drawn as glyph outlines, not with a font: a PDF/A must
// embed every font it draws with, and a whole Noto font for a dozen
// words would weigh more than the page; the outlines are exact at any
// zoom and on any printer, and the invisible words use the text layer's
// glyphless font, which is already there.
type Overlay struct {
	// Paths are drawn in order.
	Paths []*Path
	// Text holds the overlay's words as an OCR result whose Width ×
	// Height spans the page; nil for none.
	Text *ocr.Result
}

// Path is one outline in one colour: filled (non-zero winding, as
// TrueType glyphs are drawn) or, with Stroke set, stroked. Coordinates
// are points from the page's top-left corner, y down, as the page
// image's and OCR's are. Its methods match typeset.Path, so shaped text
// is drawn into it directly. A Path is used by one goroutine.
type Path struct {
	// Color is the ink, in sRGB (the output intent's space); alpha is
	// ignored.
	Color color.RGBA
	// Stroke is the line width in points; 0 fills the path instead.
	Stroke float64
	ops    []pathOp
	cx, cy float32 // the current point, for QuadTo
}

type pathOp struct {
	op  byte // 'm', 'l', 'c', 'h'
	pts [6]float32
}

// MoveTo starts a new subpath at (x, y).
func (p *Path) MoveTo(x, y float32) {
	p.ops = append(p.ops, pathOp{op: 'm', pts: [6]float32{x, y}})
	p.cx, p.cy = x, y
}

// LineTo adds a straight segment to (x, y).
func (p *Path) LineTo(x, y float32) {
	p.ops = append(p.ops, pathOp{op: 'l', pts: [6]float32{x, y}})
	p.cx, p.cy = x, y
}

// QuadTo adds a quadratic Bézier segment, which PDF has not: it is
// raised to the cubic that draws the same curve.
func (p *Path) QuadTo(bx, by, cx, cy float32) {
	x0, y0 := p.cx, p.cy
	p.CubeTo(x0+2*(bx-x0)/3, y0+2*(by-y0)/3, cx+2*(bx-cx)/3, cy+2*(by-cy)/3, cx, cy)
}

// CubeTo adds a cubic Bézier segment.
func (p *Path) CubeTo(bx, by, cx, cy, dx, dy float32) {
	p.ops = append(p.ops, pathOp{op: 'c', pts: [6]float32{bx, by, cx, cy, dx, dy}})
	p.cx, p.cy = dx, dy
}

// ClosePath closes the current subpath.
func (p *Path) ClosePath() {
	p.ops = append(p.ops, pathOp{op: 'h'})
}

// Rect adds a closed rectangle whose top-left corner is (x, y).
func (p *Path) Rect(x, y, w, h float64) {
	p.MoveTo(float32(x), float32(y))
	p.LineTo(float32(x+w), float32(y))
	p.LineTo(float32(x+w), float32(y+h))
	p.LineTo(float32(x), float32(y+h))
	p.ClosePath()
}

// Empty says whether nothing was added.
func (p *Path) Empty() bool { return len(p.ops) == 0 }

// write draws the overlay on a page of height h points.
func (ov *Overlay) write(b *bytes.Buffer, w, h float64) {
	for _, p := range ov.Paths {
		if p.Empty() {
			continue
		}
		c := func(v uint8) string { return num(float64(v) / 255) }
		b.WriteString("q\n")
		if p.Stroke > 0 {
			fmt.Fprintf(b, "%s %s %s RG %s w\n", c(p.Color.R), c(p.Color.G), c(p.Color.B), num(p.Stroke))
		} else {
			fmt.Fprintf(b, "%s %s %s rg\n", c(p.Color.R), c(p.Color.G), c(p.Color.B))
		}
		for _, o := range p.ops {
			pt := func(i int) string {
				return num(float64(o.pts[i])) + " " + num(h-float64(o.pts[i+1]))
			}
			switch o.op {
			case 'm', 'l':
				fmt.Fprintf(b, "%s %c\n", pt(0), o.op)
			case 'c':
				fmt.Fprintf(b, "%s %s %s c\n", pt(0), pt(2), pt(4))
			case 'h':
				b.WriteString("h\n")
			}
		}
		if p.Stroke > 0 {
			b.WriteString("S\nQ\n")
		} else {
			b.WriteString("f\nQ\n")
		}
	}
	if ov.Text != nil && ov.Text.WordCount() > 0 {
		writeText(b, ov.Text, w, h)
	}
}
