package receipt

import (
	"fmt"
	"image"
	"io"
	"math"
	"strings"
	"time"

	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/demat-app/demat/internal/typeset"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
)

// Receipt is what a depositor's receipt says.
type Receipt struct {
	// Number is the registration number.
	Number string
	// Registered is when the item was registered.
	Registered time.Time
	// Depositor is who handed the item in (the entry's sender).
	Depositor string
	// Subject is the item's subject.
	Subject string
	// Service is the desk that registered it (the configuration's
	// [register] service).
	Service string
	// Pages and SHA256 (hex) describe the registered PDF.
	Pages  int
	SHA256 string
	// Signer names the desk's certificate, with its fingerprint.
	Signer, Fingerprint string
	// Payload is the QR code's text (Payload.String).
	Payload string
}

// Layout is a receipt's paper.
type Layout string

// The layouts: a sheet for an office printer, or the 80 mm strip of a
// receipt printer at a counter.
const (
	A4    Layout = "a4"
	A5    Layout = "a5"
	Strip Layout = "80mm"
)

// ParseLayout reads a layout's name.
func ParseLayout(s string) (Layout, error) {
	switch l := Layout(strings.ToLower(s)); l {
	case A4, A5, Strip:
		return l, nil
	}
	return "", fmt.Errorf("layout %q: want a4, a5 or 80mm", s)
}

// Options choose how Write lays a receipt out.
type Options struct {
	// Layout is the paper.
	Layout Layout
	// Lang is fr, ar or en.
	Lang string
	// Location is the time zone the date is printed in.
	Location *time.Location
	// Created is the PDF's creation date.
	Created time.Time
}

func (o *Options) applyDefaults() error {
	if o.Layout == "" {
		o.Layout = A4 // what every office printer takes
	}
	if o.Lang == "" {
		o.Lang = "fr" // the bureau d'ordre's working language
	}
	if _, ok := labels[o.Lang]; !ok {
		return fmt.Errorf("receipt: language %q: want fr, ar or en", o.Lang)
	}
	if o.Location == nil {
		o.Location = time.Local // the desk's clock, as the depositor reads it
	}
	if o.Created.IsZero() {
		o.Created = time.Now() // the receipt is made now
	}
	return nil
}

// words are a receipt's fixed texts in one language.
type words struct {
	title, number, date, depositor, subject, pages, hash, service, signed, check string
}

var labels = map[string]words{
	"fr": {"Récépissé de dépôt", "Numéro d'enregistrement", "Date et heure de dépôt", "Déposant", "Objet", "Nombre de pages",
		"Empreinte SHA-256 du document", "Service", "Signé par", "Le code QR est signé par le service : demat receipt verify le vérifie, hors ligne."},
	"ar": {"وصل الإيداع", "رقم التسجيل", "تاريخ وساعة الإيداع", "المودع", "الموضوع", "عدد الصفحات",
		"بصمة SHA-256 للوثيقة", "المصلحة", "موقع من طرف", "رمز QR موقع من طرف المصلحة ويمكن التحقق منه دون اتصال: demat receipt verify"},
	"en": {"Acknowledgement of deposit", "Registration number", "Date and time of deposit", "Depositor", "Subject", "Pages",
		"SHA-256 of the document", "Service", "Signed by", "The QR code is signed by the service: demat receipt verify checks it, offline."},
}

// dpi is the receipt's resolution: a printer's, so the text is sharp and
// the QR code's modules are whole pixels.
const dpi = 300

const mm = 72 / 25.4

// Write writes the receipt as a one-page PDF/A-2b: one grey image (the
// text, shaped in the Noto fonts, and the QR code, its modules on whole
// pixels) and an invisible text layer, so the receipt's number and
// depositor can be searched and copied.
func Write(w io.Writer, r Receipt, opt Options) error {
	if err := opt.applyDefaults(); err != nil {
		return err
	}
	img, text, err := draw(r, opt)
	if err != nil {
		return err
	}
	pw, err := pdf.NewWriter(w, pdf.Options{PDFA: pdf.PDFA2B, Created: opt.Created, Producer: "demat",
		Meta: pdf.Metadata{Title: labels[opt.Lang].title + " " + r.Number, RegistrationNumber: r.Number, Language: opt.Lang}})
	if err != nil {
		return err
	}
	b := img.Bounds()
	page := &scan.Page{Image: img, Width: b.Dx(), Height: b.Dy(), XDPI: dpi, YDPI: dpi}
	if err := pw.AddPage(page, text); err != nil {
		return err
	}
	return pw.Close()
}

// line is a line of the receipt: a size in points, grey or black, and
// the room left after it.
type line struct {
	s     string
	size  float64
	grey  bool
	after float64
}

// draw lays the receipt out and draws it.
func draw(r Receipt, opt Options) (*image.Gray, *ocr.Result, error) {
	l := labels[opt.Lang]
	pageW, pageH, margin, qrMM := 210*mm, 297*mm, 20*mm, 50.0
	scale := 1.0
	switch opt.Layout {
	case A5:
		pageW, pageH, margin, qrMM = 148*mm, 210*mm, 12*mm, 45
		scale = 0.9
	case Strip:
		pageW, margin, qrMM = 80*mm, 4*mm, 56
		scale = 0.8
	}
	ts, err := typeset.New()
	if err != nil {
		return nil, nil, err
	}
	k := float64(dpi) / 72 // pixels per point
	colW := pageW - 2*margin

	var lines []line
	add := func(label, value string) {
		if value == "" {
			return
		}
		lines = append(lines, line{s: label, size: 8 * scale, grey: true, after: 1 * mm})
		for _, v := range wrap(ts, typeset.Clean(value), 11*scale*k, fixed.Int26_6(colW*k*64)) {
			lines = append(lines, line{s: v, size: 11 * scale, after: 1 * mm})
		}
		lines[len(lines)-1].after = 3 * mm * scale
	}
	lines = append(lines, line{s: l.title, size: 18 * scale, after: 2 * mm})
	if r.Service != "" {
		lines = append(lines, line{s: typeset.Clean(r.Service), size: 11 * scale, grey: true, after: 6 * mm * scale})
	}
	add(l.number, r.Number)
	add(l.date, r.Registered.In(opt.Location).Format("02/01/2006 15:04:05 (-07:00)"))
	add(l.depositor, r.Depositor)
	add(l.subject, r.Subject)
	if r.Pages > 0 {
		add(l.pages, fmt.Sprint(r.Pages))
	}
	if r.SHA256 != "" {
		// 64 hex digits in two lines of 32, grouped by 8, to be read out.
		h := r.SHA256
		if len(h) == 64 {
			h = h[:8] + " " + h[8:16] + " " + h[16:24] + " " + h[24:32] + "\n" + h[32:40] + " " + h[40:48] + " " + h[48:56] + " " + h[56:]
		}
		lines = append(lines, line{s: l.hash, size: 8 * scale, grey: true, after: 1 * mm})
		for _, v := range strings.Split(h, "\n") {
			lines = append(lines, line{s: v, size: 9 * scale, after: 1 * mm})
		}
		lines[len(lines)-1].after = 3 * mm * scale
	}
	var foot []line
	if r.Signer != "" {
		foot = append(foot, line{s: l.signed, size: 7 * scale, grey: true, after: 0.5 * mm})
		for _, v := range wrap(ts, typeset.Clean(r.Signer), 8*scale*k, fixed.Int26_6(colW*k*64)) {
			foot = append(foot, line{s: v, size: 8 * scale, after: 0.5 * mm})
		}
		if r.Fingerprint != "" {
			fp := r.Fingerprint
			half := len(fp) / 2
			if i := strings.IndexByte(fp[half:], ':'); i >= 0 {
				half += i
			}
			foot = append(foot, line{s: fp[:half], size: 6 * scale, after: 0.5 * mm}, line{s: strings.TrimPrefix(fp[half:], ":"), size: 6 * scale, after: 1.5 * mm})
		}
	}
	for _, v := range wrap(ts, l.check, 7*scale*k, fixed.Int26_6(colW*k*64)) {
		foot = append(foot, line{s: v, size: 7 * scale, grey: true, after: 0.5 * mm})
	}

	modules, err := typeset.QR(r.Payload)
	if err != nil {
		return nil, nil, err
	}
	n := len(modules)
	// Whole pixels per module, the quiet zone four modules wide (as the
	// QR standard asks), at most qrMM wide.
	// An even number of pixels, at even offsets, so that the receipt
	// rendered at 150 dpi (how it is scanned or printed to an image)
	// still has whole-pixel modules, with sharp edges.
	// Modules of at least 0.68 mm (8 pixels) when the column has room:
	// a big payload (an RSA signature) makes a bigger code, not a finer
	// one, so that a photograph still reads it.
	mpx := int(math.Floor(math.Min(qrMM, colW/mm)*mm*k/float64(n+8))) &^ 1
	if most := int(colW*k/float64(n+8)) &^ 1; mpx < 8 {
		mpx = min(8, most)
	}
	if mpx < 2 {
		return nil, nil, fmt.Errorf("receipt: the QR code (%d modules) is too big for the %s layout", n, opt.Layout)
	}
	qrPx := mpx * (n + 8)

	height := func(ls []line) float64 {
		total := 0.0
		for _, x := range ls {
			total += x.size*1.3 + x.after
		}
		return total
	}
	if opt.Layout == Strip {
		pageH = margin*2 + height(lines) + float64(qrPx)/k + 3*mm + height(foot)
	}
	pw, ph := int(math.Round(pageW*k)), int(math.Round(pageH*k))
	grey, black := vector.NewRasterizer(pw, ph), vector.NewRasterizer(pw, ph)
	rtl := opt.Lang == "ar"
	text := &ocr.Result{Width: pw, Height: ph, DPI: dpi}
	y := margin
	put := func(ls []line) {
		for _, x := range ls {
			px := x.size * k
			sh := ts.Shape(x.s, px)
			base := y + x.size*1.3/2 + 0.357*x.size
			left := margin * k
			right := left + float64(sh.Width)/64
			if rtl {
				right = (pageW - margin) * k
				left = right - float64(sh.Width)/64
			}
			ras := black
			if x.grey {
				ras = grey
			}
			ts.Draw(ras, sh, left, base*k)
			addWords(text, ts, x.s, px, left, right, (y)*k, (y+x.size*1.3)*k, typeset.RTL(x.s))
			y += x.size*1.3 + x.after
		}
	}
	put(lines)
	// The QR code: centred on a sheet, at the start of the line on
	// A4/A5 would leave it hard to find; centred everywhere.
	qx := (pw - qrPx) / 2 &^ 1
	qy := int(math.Round((y+2*mm)*k)) &^ 1
	y += float64(qrPx)/k + 3*mm
	if opt.Layout != Strip {
		// On a sheet, the footer sits at the bottom.
		if bottom := pageH - margin - height(foot); bottom > y {
			y = bottom
		}
	}
	put(foot)

	ga, ba := image.NewAlpha(image.Rect(0, 0, pw, ph)), image.NewAlpha(image.Rect(0, 0, pw, ph))
	grey.Draw(ga, ga.Bounds(), image.Opaque, image.Point{})
	black.Draw(ba, ba.Bounds(), image.Opaque, image.Point{})
	img := image.NewGray(image.Rect(0, 0, pw, ph))
	const lg = 255 * 0.4 // labels lighter than values, so the eye finds the values
	for i := range img.Pix {
		a, b := float64(ga.Pix[i])/255, float64(ba.Pix[i])/255
		v := 255*(1-a) + lg*a
		img.Pix[i] = uint8(math.Round(v * (1 - b)))
	}
	for my, row := range modules {
		for mx, dark := range row {
			if !dark {
				continue
			}
			x0, y0 := qx+(mx+4)*mpx, qy+(my+4)*mpx
			for yy := y0; yy < y0+mpx && yy < ph; yy++ {
				for xx := x0; xx < x0+mpx && xx < pw; xx++ {
					img.Pix[yy*img.Stride+xx] = 0
				}
			}
		}
	}
	return img, text, nil
}

// wrap breaks s into lines no wider than max at px pixels per em,
// between words; a word wider than max is cut with an ellipsis.
func wrap(ts *typeset.Typesetter, s string, px float64, max fixed.Int26_6) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		cur := ""
		for _, w := range strings.Fields(para) {
			try := w
			if cur != "" {
				try = cur + " " + w
			}
			if ts.Shape(try, px).Width <= max {
				cur = try
				continue
			}
			if cur != "" {
				out = append(out, cur)
			}
			cur = w
			if ts.Shape(cur, px).Width > max {
				cur = ts.Cut(cur, max, px)
			}
		}
		if cur != "" {
			out = append(out, cur)
		}
	}
	return out
}

// addWords adds a drawn line to the text layer, word by word, each word
// where it was drawn (in the line's reading order, as OCR gives them).
func addWords(r *ocr.Result, ts *typeset.Typesetter, s string, px, left, right, top, bottom float64, rtl bool) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return
	}
	space := float64(ts.Shape(" ", px).Width) / 64
	dir := ocr.DirLTR
	if rtl {
		dir = ocr.DirRTL
	}
	ln := ocr.Line{Box: ocr.Box{X0: int(left), Y0: int(top), X1: int(math.Ceil(right)), Y1: int(math.Ceil(bottom))},
		Size: bottom - top, Dir: dir, Block: 1, Para: 1}
	ln.Offset = -(bottom - top) * 0.2
	x := left
	if rtl {
		x = right
	}
	for _, f := range fields {
		w := float64(ts.Shape(f, px).Width) / 64
		x0 := x
		if rtl {
			x0 = x - w
			x -= w + space
		} else {
			x += w + space
		}
		ln.Words = append(ln.Words, ocr.Word{Text: f, Box: ocr.Box{X0: int(x0), Y0: int(top), X1: int(math.Ceil(x0 + w)), Y1: int(math.Ceil(bottom))}, Conf: 100})
	}
	r.Lines = append(r.Lines, ln)
}
