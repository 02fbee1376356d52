package sign

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/demat-app/demat/internal/typeset"
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
	rtl := typeset.RTL(labels.SignedBy)
	var qx, qy, qs, cx, cy, cw, ch float64
	if w >= 1.6*h {
		qs = math.Min(h-2*pad, 0.45*w)
		qx, qy = pad, (h-qs)/2
		cx, cy = pad+qs+gap, pad
		cw, ch = w-cx-pad, h-2*pad
		if rtl {
			qx, cx = w-pad-qs, pad
		}
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
	img, err := drawText(cw, ch, u, lines, rtl)
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
// 70 %, then cut with an ellipsis. Right to left, each line is aligned
// right, its label at the right and its value to the label's left.
func drawText(cw, ch, u float64, lines []textLine, rtl bool) (*image.Gray, error) {
	ts, err := typeset.New()
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
		label, value := typeset.Clean(l.label), typeset.Clean(l.value)
		var lab, val typeset.Shaped
		fit := func(s float64) fixed.Int26_6 {
			px := s * k
			lab, val = ts.Shape(label, px), ts.Shape(value, px)
			return lab.Width + val.Width + space(label, value, px)
		}
		if w := fit(size); w > maxW {
			size = math.Max(size*float64(maxW)/float64(w), 0.7*size)
			if fit(size) > maxW {
				value = ts.Cut(value, maxW-lab.Width-space(label, "x", size*k), size*k)
				fit(size)
			}
		}
		y := baseline * k
		sp := float64(space(label, value, size*k)) / 64
		labX, valX := 0.0, float64(lab.Width)/64+sp
		if rtl {
			labX = float64(pw) - float64(lab.Width)/64
			valX = labX - sp - float64(val.Width)/64
		}
		if label != "" {
			ts.Draw(rGrey, lab, labX, y)
		}
		ts.Draw(rBlack, val, valX, y)
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
// line (see typeset.Clean).
func clean(s string) string { return typeset.Clean(s) }
