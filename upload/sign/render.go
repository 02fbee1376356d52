package sign

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"strconv"
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

// blockDPI is the resolution of the block's text image: a printer's,
// so the printed block is as sharp as the page's text.
const blockDPI = 300

// blockText is what a signature block says.
type blockText struct {
	signer, date, registration, reason, location string
}

// drawn is a signature block ready to be written: its appearance
// stream's content, in a form space of w × h points, and the image of
// its text that the content draws as /Im0.
type drawn struct {
	w, h    float64
	content []byte
	text    *image.Gray
}

// textLine is one line of the block: a label in grey, then a value in
// black, at a size in points.
type textLine struct {
	label, value string
	size         float64
}

// Greys of the block, 0 black to 1 white (DeviceGray, which a PDF/A
// output intent covers): labels lighter than values, so the eye finds
// the values; a frame dark enough to print on any printer.
const (
	labelGrey = 0.4
	frameGrey = 0.25
)

// drawBlock lays out and draws a block of w × h points: a white box with
// a thin frame, the QR code of code on one side and the lines of text on
// the other (the QR code above the text in a block taller than wide).
func drawBlock(w, h float64, t blockText, labels Labels, code string) (*drawn, error) {
	modules, err := qrModules(code)
	if err != nil {
		return nil, err
	}
	// u scales everything with the block: 1 for the default 30 mm high.
	u := math.Min(h/(30*mm), 2)
	pad := 2 * mm * u
	gap := 2.5 * mm * u
	lw := math.Max(0.6*u, 0.3)

	// The QR code and the text column, in form space.
	var qx, qy, qs, cx, cy, cw, ch float64
	if w >= 1.6*h {
		qs = math.Min(h-2*pad, 0.45*w)
		qx, qy = pad, (h-qs)/2
		cx, cy = pad+qs+gap, pad
		cw, ch = w-cx-pad, h-2*pad
	} else {
		qs = math.Min(w-2*pad, 0.5*h)
		qx, qy = (w-qs)/2, h-pad-qs
		cx, cy = pad, pad
		cw, ch = w-2*pad, h-2*pad-qs-gap/2
	}

	lines := []textLine{{label: labels.SignedBy, size: 6}, {value: t.signer, size: 9}, {label: labels.Date, value: t.date, size: 7}}
	for _, l := range []textLine{{labels.Registration, t.registration, 7}, {labels.Reason, t.reason, 7}, {labels.Location, t.location, 7}} {
		if l.value != "" {
			lines = append(lines, l)
		}
	}
	img, err := drawText(cw, ch, u, lines)
	if err != nil {
		return nil, err
	}

	var c bytes.Buffer
	num := func(v float64) string {
		s := strconv.FormatFloat(v, 'f', 3, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		if s == "-0" || s == "" {
			s = "0"
		}
		return s
	}
	// The white box hides what the page has under the block.
	fmt.Fprintf(&c, "q\n1 g 0 0 %s %s re f\n", num(w), num(h))
	fmt.Fprintf(&c, "q %s 0 0 %s %s %s cm /Im0 Do Q\n", num(cw), num(ch), num(cx), num(cy))
	// The QR code, with a quiet zone of two modules inside its square
	// (the block's padding adds to it): all its modules in one path,
	// filled at once, so no seam shows between neighbouring modules.
	n := len(modules)
	m := qs / float64(n+4)
	c.WriteString("0 g\n")
	for y, row := range modules {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			x0 := x
			for x < n && row[x] {
				x++
			}
			fmt.Fprintf(&c, "%s %s %s %s re\n", num(qx+float64(x0+2)*m), num(qy+float64(n+1-y)*m), num(float64(x-x0)*m), num(m))
		}
	}
	c.WriteString("f\n")
	fmt.Fprintf(&c, "%s G %s w %s %s %s %s re S\nQ\n", num(frameGrey), num(lw), num(lw/2), num(lw/2), num(w-lw), num(h-lw))
	return &drawn{w: w, h: h, content: c.Bytes(), text: img}, nil
}

// drawText draws the lines in a grey image of a column of cw × ch points
// at blockDPI, white where there is no text. Lines are centred as a whole
// in the column's height; a line too wide for it is made smaller, down to
// 70 %, then cut with an ellipsis.
func drawText(cw, ch, u float64, lines []textLine) (*image.Gray, error) {
	ts, err := newTypesetter()
	if err != nil {
		return nil, err
	}
	pw, ph := int(math.Round(cw*blockDPI/72)), int(math.Round(ch*blockDPI/72))
	if pw < 1 || ph < 1 {
		return nil, fmt.Errorf("sign: the signature block is too small for its text")
	}
	k := float64(pw) / cw // pixels per point
	const lead = 1.3
	total := 0.0
	for _, l := range lines {
		total += l.size * lead
	}
	f := math.Min(u, ch/total) // points of text per point of the nominal sizes
	maxW := fixed.Int26_6(cw * k * 64)

	grey, black := image.NewAlpha(image.Rect(0, 0, pw, ph)), image.NewAlpha(image.Rect(0, 0, pw, ph))
	rGrey, rBlack := vector.NewRasterizer(pw, ph), vector.NewRasterizer(pw, ph)
	top := (ch - total*f) / 2
	for _, l := range lines {
		size := l.size * f
		box := size * lead
		baseline := top + box/2 + 0.357*size // the capitals centred in the line
		top += box
		label, value := clean(l.label), clean(l.value)
		var lab, val shapedText
		fit := func(s float64) fixed.Int26_6 {
			px := s * k
			lab, val = ts.shape(label, px), ts.shape(value, px)
			return lab.width + val.width + space(label, value, px)
		}
		if w := fit(size); w > maxW {
			size = math.Max(size*float64(maxW)/float64(w), 0.7*size)
			if fit(size) > maxW {
				value = ts.cut(value, maxW-lab.width-space(label, "x", size*k), size*k)
				fit(size)
			}
		}
		x := 0.0
		y := baseline * k
		if label != "" {
			ts.draw(rGrey, lab, x, y)
			x += float64(lab.width+space(label, value, size*k)) / 64
		}
		ts.draw(rBlack, val, x, y)
	}
	rGrey.Draw(grey, grey.Bounds(), image.Opaque, image.Point{})
	rBlack.Draw(black, black.Bounds(), image.Opaque, image.Point{})
	img := image.NewGray(image.Rect(0, 0, pw, ph))
	lg := 255 * labelGrey
	for i := range img.Pix {
		a, b := float64(grey.Pix[i])/255, float64(black.Pix[i])/255
		v := 255*(1-a) + lg*a
		img.Pix[i] = uint8(math.Round(v * (1 - b)))
	}
	return img, nil
}

// space is the room between a label and its value: a third of an em.
func space(label, value string, px float64) fixed.Int26_6 {
	if label == "" || value == "" {
		return 0
	}
	return fixed.Int26_6(px * 64 / 3)
}

// clean makes a certificate's or a person's text safe to show on one
// line: no control characters, no explicit bidi controls (which could
// make a name read as another), white space folded.
func clean(s string) string {
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
			fontsErr = fmt.Errorf("sign: the signature block's font: %w", err)
			return
		}
		a, err := font.ParseTTF(bytes.NewReader(assets.NotoSansArabic))
		if err != nil {
			fontsErr = fmt.Errorf("sign: the signature block's Arabic font: %w", err)
			return
		}
		latinFont, arFont = l.Font, a.Font
	})
	return fontsErr
}

// typesetter shapes and draws lines of text with Noto Sans and Noto Sans
// Arabic. It is used by one goroutine.
type typesetter struct {
	latin, arabic *font.Face
	shaper        shaping.HarfbuzzShaper
	seg           shaping.Segmenter
	script        language.Script
}

func newTypesetter() (*typesetter, error) {
	if err := loadFonts(); err != nil {
		return nil, err
	}
	return &typesetter{latin: font.NewFace(latinFont), arabic: font.NewFace(arFont)}, nil
}

// SetScript is told the script of the runes ResolveFace is next asked
// about, so that spaces and digits inside Arabic take the Arabic face
// and the words around them join as they should.
func (t *typesetter) SetScript(s language.Script) { t.script = s }

// ResolveFace picks the face for a rune: Arabic for Arabic script, Noto
// Sans for the rest, whichever has the glyph when one lacks it.
func (t *typesetter) ResolveFace(r rune) *font.Face {
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

var _ shaping.FontmapScript = (*typesetter)(nil)

// shapedText is a line shaped: its runs in visual order, left to right.
type shapedText struct {
	runs  []shaping.Output
	width fixed.Int26_6
}

// shape shapes one line at px pixels per em, in visual order: its
// direction is its first strong character's (Unicode's rules P2 and P3),
// runs of the other direction are reordered within it.
func (t *typesetter) shape(s string, px float64) shapedText {
	var out shapedText
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
			out.width += o.Advance
		}
		if r.rtl {
			for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
				runs[i], runs[j] = runs[j], runs[i]
			}
		}
		out.runs = append(out.runs, runs...)
	}
	return out
}

// cut shortens s, from its logical end, until it and an ellipsis fit in
// max at px pixels per em.
func (t *typesetter) cut(s string, max fixed.Int26_6, px float64) string {
	r := []rune(s)
	lo, hi := 0, len(r) // r[:lo]+"…" fits; r[:hi]+"…" is not known to
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.shape(strings.TrimSpace(string(r[:mid]))+"…", px).width <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimSpace(string(r[:lo])) + "…"
}

// draw adds the glyphs' outlines to ras, from x on the baseline y
// (pixels, y down).
func (t *typesetter) draw(ras *vector.Rasterizer, s shapedText, x, y float64) {
	for _, run := range s.runs {
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
