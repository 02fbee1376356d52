package typeset

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
	"golang.org/x/text/unicode/bidi"

	"github.com/demat-app/demat/assets"
)

// Clean makes a certificate's or a person's text safe to show on one
// line: no control characters, no explicit bidi controls (which could
// make a name read as another), white space folded.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == 0x200C || r == 0x200D:
			return r // zero-width (non-)joiners change Arabic shaping
		case unicode.IsSpace(r):
			return ' '
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// The block's fonts, parsed once: a font.Font may be shared, its Faces
// may not.
var (
	fontsOnce         sync.Once
	latinFont, arFont *font.Font
	fontsErr          error
)

func loadFonts() error {
	fontsOnce.Do(func() {
		l, err := font.ParseTTF(bytes.NewReader(assets.NotoSans))
		if err != nil {
			fontsErr = fmt.Errorf("typeset: Noto Sans: %w", err)
			return
		}
		a, err := font.ParseTTF(bytes.NewReader(assets.NotoSansArabic))
		if err != nil {
			fontsErr = fmt.Errorf("typeset: Noto Sans Arabic: %w", err)
			return
		}
		latinFont, arFont = l.Font, a.Font
	})
	return fontsErr
}

// Typesetter shapes and draws lines of text with Noto Sans and Noto Sans
// Arabic. It is used by one goroutine.
type Typesetter struct {
	latin, arabic *font.Face
	shaper        shaping.HarfbuzzShaper
	seg           shaping.Segmenter
	script        language.Script
}

func New() (*Typesetter, error) {
	if err := loadFonts(); err != nil {
		return nil, err
	}
	return &Typesetter{latin: font.NewFace(latinFont), arabic: font.NewFace(arFont)}, nil
}

// SetScript is told the script of the runes ResolveFace is next asked
// about, so that spaces and digits inside Arabic take the Arabic face
// and the words around them join as they should.
func (t *Typesetter) SetScript(s language.Script) { t.script = s }

// ResolveFace picks the face for a rune: Arabic for Arabic script, Noto
// Sans for the rest, whichever has the glyph when one lacks it.
func (t *Typesetter) ResolveFace(r rune) *font.Face {
	first, second := t.latin, t.arabic
	if t.script == language.Arabic || language.LookupScript(r) == language.Arabic {
		first, second = t.arabic, t.latin
	}
	if _, ok := first.NominalGlyph(r); ok {
		return first
	}
	if _, ok := second.NominalGlyph(r); ok {
		return second
	}
	return first
}

var _ shaping.FontmapScript = (*Typesetter)(nil)

// Shaped is a line shaped: its runs in visual order, left to right.
type Shaped struct {
	Runs  []shaping.Output
	Width fixed.Int26_6
}

// Shape shapes one line at px pixels per em, in visual order: its
// direction is its first strong character's (Unicode's rules P2 and P3),
// runs of the other direction are reordered within it.
func (t *Typesetter) Shape(s string, px float64) Shaped {
	var out Shaped
	if s == "" {
		return out
	}
	text := []rune(s)
	for _, r := range visualRuns(s) {
		dir := di.DirectionLTR
		if r.rtl {
			dir = di.DirectionRTL
		}
		in := shaping.Input{Text: text, RunStart: r.start, RunEnd: r.end, Direction: dir, Size: fixed.Int26_6(px * 64), Language: language.NewLanguage("und")}
		var runs []shaping.Output
		for _, part := range t.seg.Split(in, t) {
			o := t.shaper.Shape(part)
			runs = append(runs, o)
			out.Width += o.Advance
		}
		if r.rtl {
			for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
				runs[i], runs[j] = runs[j], runs[i]
			}
		}
		out.Runs = append(out.Runs, runs...)
	}
	return out
}

// Cut shortens s, from its logical end, until it and an ellipsis fit in
// max at px pixels per em.
func (t *Typesetter) Cut(s string, max fixed.Int26_6, px float64) string {
	r := []rune(s)
	lo, hi := 0, len(r) // r[:lo]+"…" fits; r[:hi]+"…" is not known to
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.Shape(strings.TrimSpace(string(r[:mid]))+"…", px).Width <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimSpace(string(r[:lo])) + "…"
}

// Path receives outlines, y down: a *vector.Rasterizer fills them into
// an image; pdf.Path keeps them as vector content for a page.
type Path interface {
	MoveTo(x, y float32)
	LineTo(x, y float32)
	QuadTo(bx, by, cx, cy float32)
	CubeTo(bx, by, cx, cy, dx, dy float32)
	ClosePath()
}

var _ Path = (*vector.Rasterizer)(nil)

// Draw adds the glyphs' outlines to ras, from x on the baseline y
// (pixels, or points for a vector path; y down).
func (t *Typesetter) Draw(ras Path, s Shaped, x, y float64) {
	for _, run := range s.Runs {
		scale := float64(run.Size) / 64 / float64(run.Face.Upem())
		for _, g := range run.Glyphs {
			gx := x + float64(g.XOffset)/64
			gy := y - float64(g.YOffset)/64
			if o, ok := run.Face.GlyphData(g.GlyphID).(font.GlyphOutline); ok {
				pt := func(p font.SegmentPoint) (float32, float32) {
					return float32(gx + float64(p.X)*scale), float32(gy - float64(p.Y)*scale)
				}
				open := false
				for _, seg := range o.Segments {
					switch seg.Op {
					case ot.SegmentOpMoveTo:
						if open {
							ras.ClosePath()
						}
						ras.MoveTo(pt(seg.Args[0]))
						open = true
					case ot.SegmentOpLineTo:
						ras.LineTo(pt(seg.Args[0]))
					case ot.SegmentOpQuadTo:
						bx, by := pt(seg.Args[0])
						cx, cy := pt(seg.Args[1])
						ras.QuadTo(bx, by, cx, cy)
					case ot.SegmentOpCubeTo:
						bx, by := pt(seg.Args[0])
						cx, cy := pt(seg.Args[1])
						dx, dy := pt(seg.Args[2])
						ras.CubeTo(bx, by, cx, cy, dx, dy)
					}
				}
				if open {
					ras.ClosePath()
				}
			}
			x += float64(g.Advance) / 64
		}
	}
}

// bidiRun is a run of one direction, in runes of the line.
type bidiRun struct {
	start, end int
	rtl        bool
}

// visualRuns splits a line into runs of one direction, in visual order
// (left to right). golang.org/x/text's bidi gives the runs of the
// Unicode bidi algorithm by direction, not by level, and in logical
// order: the levels are rebuilt here for a line without explicit
// embeddings (clean removes them). In a right-to-left line every run
// is level 1 or 2, so the runs simply reverse. In a left-to-right one,
// right-to-left runs are level 1, and numbers right after them level 2
// (Unicode's W7 and I1): they are reordered together.
func visualRuns(s string) (out []bidiRun) {
	n := len([]rune(s))
	fallback := []bidiRun{{0, n, false}}
	defer func() {
		if recover() != nil {
			out = fallback
		}
	}()
	var p bidi.Paragraph
	if _, err := p.SetString(s, bidi.DefaultDirection(bidi.LeftToRight)); err != nil {
		return fallback
	}
	o, err := p.Order()
	if err != nil || o.NumRuns() == 0 {
		return fallback
	}
	type leveled struct {
		bidiRun
		level int
	}
	var runs []leveled
	pos := 0
	for i := 0; i < o.NumRuns(); i++ {
		r := o.Run(i)
		rs := []rune(r.String())
		runs = append(runs, leveled{bidiRun{pos, pos + len(rs), r.Direction() == bidi.RightToLeft}, 0})
		pos += len(rs)
	}
	if pos != n {
		return fallback
	}
	if c := firstStrong(s, 0, n); c == bidi.R || c == bidi.AL {
		for i := len(runs) - 1; i >= 0; i-- {
			out = append(out, runs[i].bidiRun)
		}
		return out
	}
	var split []leveled
	text := []rune(s)
	for i, r := range runs {
		switch {
		case r.rtl:
			r.level = 1
		case i > 0 && runs[i-1].rtl:
			// The number that follows right-to-left text goes with it.
			j := r.start
			for j < r.end && isNumberPart(text[j]) {
				j++
			}
			for j > r.start && !isDigit(text[j-1]) {
				j--
			}
			if j > r.start {
				split = append(split, leveled{bidiRun{r.start, j, false}, 2})
				r.start = j
			}
		}
		if r.start < r.end {
			split = append(split, r)
		}
	}
	// Unicode's L2: from the highest level down to 1, reverse every
	// sequence of runs at that level or higher.
	for lvl := 2; lvl >= 1; lvl-- {
		for i := 0; i < len(split); {
			if split[i].level < lvl {
				i++
				continue
			}
			j := i
			for j < len(split) && split[j].level >= lvl {
				j++
			}
			for a, b := i, j-1; a < b; a, b = a+1, b-1 {
				split[a], split[b] = split[b], split[a]
			}
			i = j
		}
	}
	for _, r := range split {
		out = append(out, r.bidiRun)
	}
	return out
}

// firstStrong gives the bidi class of the first strong character (L, R
// or AL) of s's runes [start, end), or ON when there is none.
func firstStrong(s string, start, end int) bidi.Class {
	for i, r := range []rune(s) {
		if i < start || i >= end {
			continue
		}
		p, _ := bidi.LookupRune(r)
		switch c := p.Class(); c {
		case bidi.L, bidi.R, bidi.AL:
			return c
		}
	}
	return bidi.ON
}

// isNumberPart says whether r belongs to a number for the bidi
// algorithm: digits, and the separators and terminators around them.
func isNumberPart(r rune) bool {
	p, _ := bidi.LookupRune(r)
	switch p.Class() {
	case bidi.EN, bidi.AN, bidi.ES, bidi.ET, bidi.CS, bidi.NSM:
		return true
	}
	return false
}

func isDigit(r rune) bool {
	p, _ := bidi.LookupRune(r)
	return p.Class() == bidi.EN || p.Class() == bidi.AN
}

// RTL says whether a line reads right to left: whether its first strong
// character is Arabic or Hebrew (Unicode's rules P2 and P3), so that a
// caller aligns it on the right.
func RTL(s string) bool {
	c := firstStrong(s, 0, len([]rune(s)))
	return c == bidi.R || c == bidi.AL
}
