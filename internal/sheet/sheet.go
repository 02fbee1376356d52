// Package sheet draws separator sheets: A4 pages that say SEPARATOR in
// French, Arabic and English, show their value in large print, and carry
// the code (a QR code, a Code 128 or the Patch T bars) that scan/separate
// reads back after the sheet has been printed and scanned.
//
// The code's sizes are chosen for an office laser printer and a feeder
// scanner at 150 dpi or more: QR modules of at least 1.5 mm, Code 128
// modules of at least a third of a millimetre, whole printer pixels.
package sheet

import (
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/boombuler/barcode/code128"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/demat-app/demat/internal/typeset"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/separate"
)

// Kind is the code a sheet carries.
type Kind string

// The kinds of separator sheet.
const (
	QR      Kind = "qr"
	Code128 Kind = "code128"
	PatchT  Kind = "patch-t"
)

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(s)); k {
	case QR, Code128, PatchT:
		return k, nil
	case "code-128", "c128":
		return Code128, nil
	case "patcht", "patch", "t":
		return PatchT, nil
	}
	return "", fmt.Errorf("kind %q: want qr, code128 or patch-t", s)
}

// Sheet is one separator sheet.
type Sheet struct {
	Kind Kind
	// Value is the document's value (a file reference…); none on a
	// Patch T sheet.
	Value string
	// Fields are metadata the code carries itself, by key.
	Fields map[string]string
	// Marker starts the code's text (separate.DefaultMarker).
	Marker string
}

// Payload is the text of the sheet's code.
func (s Sheet) Payload() (string, error) {
	return separate.Payload(s.Marker, s.Value, s.Fields)
}

// dpi is the sheet's resolution: a printer's, so that bars and modules
// are whole pixels.
const dpi = 300

const mm = dpi / 25.4 // pixels per millimetre

// Write writes the sheets as one PDF/A-2b, one page each.
func Write(w io.Writer, sheets []Sheet, created time.Time) error {
	pw, err := pdf.NewWriter(w, pdf.Options{PDFA: pdf.PDFA2B, Created: created, Producer: "demat",
		Meta: pdf.Metadata{Title: "Separator sheets / Feuilles de séparation", Language: "fr"}})
	if err != nil {
		return err
	}
	for _, s := range sheets {
		img, err := Draw(s)
		if err != nil {
			return err
		}
		b := img.Bounds()
		page := &scan.Page{Image: img, Width: b.Dx(), Height: b.Dy(), XDPI: dpi, YDPI: dpi}
		if err := pw.AddPage(page, nil); err != nil {
			return err
		}
	}
	return pw.Close()
}

// Draw draws one sheet at 300 dpi, black on white.
func Draw(s Sheet) (*image.Gray, error) {
	pw, ph := int(math.Round(210*mm)), int(math.Round(297*mm))
	img := image.NewGray(image.Rect(0, 0, pw, ph))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	ts, err := typeset.New()
	if err != nil {
		return nil, err
	}
	ras := vector.NewRasterizer(pw, ph)
	// centre draws a line of text centred at baseline y (mm), size in
	// points, cut to the page's width.
	centre := func(text string, pt, y float64) {
		px := pt * dpi / 72
		if text = typeset.Clean(text); text == "" {
			return
		}
		max := fixed.Int26_6(math.Round(180 * mm * 64))
		if ts.Shape(text, px).Width > max {
			text = ts.Cut(text, max, px)
		}
		sh := ts.Shape(text, px)
		ts.Draw(ras, sh, (float64(pw)-float64(sh.Width)/64)/2, y*mm)
	}
	centre("SÉPARATEUR", 44, 38)
	centre("SEPARATOR", 44, 58)
	centre("فاصل", 44, 80)

	y := 100.0
	if s.Value != "" {
		centre(s.Value, 30, y)
		y += 14
	}
	keys := make([]string, 0, len(s.Fields))
	for k := range s.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		centre(k+" : "+s.Fields[k], 14, y)
		y += 8
	}
	codeTop := max(y, 115)
	switch s.Kind {
	case PatchT:
		centre("PATCH T", 20, 105)
		drawPatch(img, 130)
	case Code128:
		if err := drawCode128(img, s, codeTop+10); err != nil {
			return nil, err
		}
	default:
		if err := drawQR(img, s, codeTop+5); err != nil {
			return nil, err
		}
	}
	for i, l := range []string{
		"Placez cette feuille devant chaque document : demat la retire du résultat.",
		"Put this sheet in front of each document: demat leaves it out of the output.",
		"ضع هذه الورقة أمام كل وثيقة: يحذفها demat من النتيجة.",
	} {
		centre(l, 10, 272+float64(i)*6)
	}
	a := image.NewAlpha(img.Rect)
	ras.Draw(a, a.Bounds(), image.Opaque, image.Point{})
	for i, v := range a.Pix {
		if v > 0 {
			img.Pix[i] = min(img.Pix[i], 255-v)
		}
	}
	return img, nil
}

// fill blackens a rectangle given in pixels.
func fill(img *image.Gray, x0, y0, x1, y1 int) {
	r := image.Rect(x0, y0, x1, y1).Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[y*img.Stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			row[x] = 0
		}
	}
}

// drawQR draws the code 70 mm wide (modules of 1.5 mm and more for
// short texts), centred, its top at top mm.
func drawQR(img *image.Gray, s Sheet, top float64) error {
	text, err := s.Payload()
	if err != nil {
		return err
	}
	modules, err := typeset.QR(text)
	if err != nil {
		return err
	}
	n := len(modules)
	size := math.Min(70, 270-top-20)
	mpx := int(size * mm / float64(n+8))
	if mpx < int(math.Round(0.5*mm)) {
		return fmt.Errorf("separator %q: too long for a QR code on the sheet; shorten the value or the fields", s.Value)
	}
	x0 := (img.Rect.Dx() - mpx*n) / 2
	y0 := int(top*mm) + 4*mpx
	for my, row := range modules {
		for mx, dark := range row {
			if dark {
				fill(img, x0+mx*mpx, y0+my*mpx, x0+(mx+1)*mpx, y0+(my+1)*mpx)
			}
		}
	}
	return nil
}

// drawCode128 draws the code 30 mm high, as wide as its text needs with
// modules between a third and two thirds of a millimetre, centred, its
// top at top mm.
func drawCode128(img *image.Gray, s Sheet, top float64) error {
	text, err := s.Payload()
	if err != nil {
		return err
	}
	for _, r := range text {
		if r > 126 {
			return fmt.Errorf("separator %q: Code 128 holds only ASCII letters, digits and signs: use --kind qr", text)
		}
	}
	code, err := code128.Encode(text)
	if err != nil {
		return fmt.Errorf("separator %q: %w", text, err)
	}
	n := code.Bounds().Dx()
	// Ten modules of quiet zone on each side, within 190 mm.
	mpx := min(8, int(math.Round(190*mm))/(n+20))
	if mpx < 4 {
		return fmt.Errorf("separator %q: too long for a Code 128 on the sheet (%d modules): shorten it, or use --kind qr", text, n)
	}
	x0 := (img.Rect.Dx() - mpx*n) / 2
	y0, y1 := int(top*mm), int((top+30)*mm)
	for i := 0; i < n; i++ {
		if r, _, _, _ := code.At(i, 0).RGBA(); r < 0x8000 {
			fill(img, x0+i*mpx, y0, x0+(i+1)*mpx, y1)
		}
	}
	return nil
}

// drawPatch draws the Patch T bars upright, 130 mm long, centred, their
// top at top mm.
func drawPatch(img *image.Gray, top float64) {
	total := 0.0
	for i, wide := range separate.PatchBars {
		if i > 0 {
			total += separate.PatchGapMM
		}
		total += barMM(wide)
	}
	x := (210 - total) / 2
	for _, wide := range separate.PatchBars {
		w := barMM(wide)
		fill(img, int(math.Round(x*mm)), int(top*mm), int(math.Round((x+w)*mm)), int((top+130)*mm))
		x += w + separate.PatchGapMM
	}
}

func barMM(wide bool) float64 {
	if wide {
		return separate.PatchWideMM
	}
	return separate.PatchNarrowMM
}
