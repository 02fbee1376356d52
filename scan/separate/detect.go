package separate

import (
	"errors"
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/demat-app/demat/scan/clean"
)

// Format is a barcode's symbology.
type Format string

// The symbologies separator sheets carry.
const (
	QR      Format = "qr"
	Code128 Format = "code128"
)

// Code is a barcode read on a page.
type Code struct {
	Format Format
	Text   string
}

// Options choose what Detect looks for.
type Options struct {
	// Codes looks for QR codes and Code 128 barcodes.
	Codes bool
	// Patch looks for a Patch T sheet's bars.
	Patch bool
	// Blank measures whether the page is blank (scan/clean's measure).
	Blank bool
	// BlankInk is the area of print, in square millimetres, below which
	// a page is blank (0: scan/clean's default).
	BlankInk float64
}

// Found is what Detect found on a page.
type Found struct {
	// Codes are the barcodes read, QR codes first.
	Codes []Code
	// PatchT is set when the page carries a Patch T pattern.
	PatchT bool
	// Blank is set when the page is blank (Options.Blank).
	Blank bool
}

// qrDPI and barDPI are the resolutions codes are first looked for at. A
// separator sheet's QR modules (1.5 mm and more) are six pixels wide or
// more at 100 dpi, where an A4 page is a million pixels that gozxing
// searches in tens of milliseconds. A Code 128 module (a third of a
// millimetre on most labels) needs two pixels or more, hence 200 dpi;
// reading it costs rows, not the page's area.
const (
	qrDPI  = 100
	barDPI = 200
)

// Detect looks at one page image at dpi (0: assume 300) for what opt
// asks. It is safe for concurrent use.
func Detect(img image.Image, dpi float64, opt Options) Found {
	if dpi <= 0 {
		dpi = 300
	}
	var f Found
	if opt.Blank {
		f.Blank = clean.Blank(img, dpi, opt.BlankInk).Blank
		if f.Blank {
			return f // nothing to read on a blank page
		}
	}
	if !opt.Codes && !opt.Patch {
		return f
	}
	reduced := map[int]*image.Gray{}
	grey := func(factor int) *image.Gray {
		factor = max(1, factor)
		if g := reduced[factor]; g != nil {
			return g
		}
		if factor == 1 {
			if g := lumaOf(img); g != nil {
				return g // no copy of a full page
			}
		}
		reduced[factor] = clean.Grey(img, factor)
		return reduced[factor]
	}
	qrFactor := int(dpi / qrDPI)
	if opt.Patch {
		f.PatchT = patchT(grey(qrFactor), dpi/float64(max(1, qrFactor)))
	}
	if opt.Codes {
		qr, qrSeen := readQR(grey(qrFactor), false)
		bar, barSeen := readBar(grey(int(dpi/barDPI)), false)
		if qr == "" && qrSeen && qrFactor > 1 {
			// Something looked like a code but did not read: once more
			// at full resolution, trying harder.
			qr, _ = readQR(grey(1), true)
		}
		if bar == "" && barSeen {
			bar, _ = readBar(grey(1), true)
		}
		if qr != "" {
			f.Codes = append(f.Codes, Code{QR, qr})
		}
		if bar != "" {
			f.Codes = append(f.Codes, Code{Code128, bar})
		}
	}
	return f
}

// lumaOf gives the grey levels of a grey or JPEG page as they are, nil
// for other images.
func lumaOf(img image.Image) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		if m.Rect.Min == (image.Point{}) {
			return m
		}
	case *image.YCbCr:
		if m.Rect.Min == (image.Point{}) {
			return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: m.Rect}
		}
	}
	return nil
}

// bitmaps gives g binarised by a local threshold, and with harder also by
// a global one, which reads some unevenly lit scans the local one does
// not.
func bitmaps(g *image.Gray, harder bool) []*gozxing.BinaryBitmap {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.Stride, h, 0, 0, w, h, false)
	if err != nil {
		return nil
	}
	var out []*gozxing.BinaryBitmap
	if bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src)); err == nil {
		out = append(out, bmp)
	}
	if harder {
		if bmp, err := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(src)); err == nil {
			out = append(out, bmp)
		}
	}
	return out
}

var tryHarder = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}

// seenCode says whether a decoder's error means a code was found but not
// decoded (a checksum or format error), which is worth a closer look.
func seenCode(err error) bool {
	var nf gozxing.NotFoundException
	return err != nil && !errors.As(err, &nf)
}

// readQR reads a QR code on a grey page; QR codes read at any angle.
func readQR(g *image.Gray, harder bool) (text string, seen bool) {
	for _, bmp := range bitmaps(g, harder) {
		// The plain search first: TRY_HARDER misreads the format of
		// some codes the plain search reads (gozxing v0.1.1).
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			seen = seen || seenCode(err)
			res, err = qrcode.NewQRCodeReader().Decode(bmp, tryHarder)
		}
		if err == nil {
			return res.GetText(), true
		}
		seen = seen || seenCode(err)
	}
	return "", seen
}

// readBar reads a Code 128 on a grey page. TRY_HARDER scans every few
// rows of the page (without it, only those near the middle), each both
// ways, so a sheet upside down reads as well; with harder, the page
// turned a quarter is read too.
func readBar(g *image.Gray, harder bool) (text string, seen bool) {
	pages := []*image.Gray{g}
	if harder {
		pages = append(pages, quarter(g))
	}
	for _, p := range pages {
		for _, bmp := range bitmaps(p, harder) {
			res, err := oned.NewCode128Reader().Decode(bmp, tryHarder)
			if err == nil {
				return res.GetText(), true
			}
			seen = seen || seenCode(err)
		}
	}
	return "", seen
}

// quarter turns a grey image a quarter turn clockwise.
func quarter(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, h, w))
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride:]
		for x := 0; x < w; x++ {
			out.Pix[x*out.Stride+(h-1-y)] = row[x]
		}
	}
	return out
}
