package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"

	"github.com/disintegration/imaging"
	"github.com/klauspost/compress/zlib"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/demat-app/demat/internal/ccitt"
	"github.com/demat-app/demat/internal/pngchunk"
	"github.com/demat-app/demat/internal/raster"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
)

// Image is a page image ready to go into a PDF: one or more image
// XObjects (dictionaries and compressed data), drawn in order over the
// whole page.
type Image struct {
	layers []*layer
	// Kind says how the page was stored: "jpeg" (the source's JPEG as it
	// is), "jpeg-reencoded", "g4", "g4-source" (the source's G4 as it is),
	// "mrc" (a mixed page: text mask over colour), "png" (the source's
	// PNG pixels as they are) or "flate".
	Kind string
}

// layer is one image XObject; mask, when set, is the stencil it is
// painted through (explicit masking).
type layer struct {
	dict types.Dict
	data []byte
	mask *layer
}

// Size is the number of bytes the page's images take.
func (img *Image) Size() int {
	n := 0
	for _, l := range img.layers {
		n += len(l.data)
		if l.mask != nil {
			n += len(l.mask.data)
		}
	}
	return n
}

func single(kind string, dict types.Dict, data []byte) *Image {
	return &Image{layers: []*layer{{dict: dict, data: data}}, Kind: kind}
}

// ImageOptions choose how EncodeImage stores a page.
type ImageOptions struct {
	// Report is what cleanup measured on the page; nil stores the page as
	// it came (see EncodeImage).
	Report *clean.Report
	// KeepColor stores colour and grey pages in full colour even when
	// black and white or a text mask would do.
	KeepColor bool
	// JPEGQuality is the quality of the JPEGs demat writes
	// (DefaultJPEGQuality when 0).
	JPEGQuality int
	// ColorDPI, when set, is the highest resolution colour and grey
	// images are kept at; finer ones are downsampled to it.
	ColorDPI float64
}

// DefaultJPEGQuality is the quality of the colour and grey pages demat
// encodes: 85 keeps the grain of paper and the strokes of a pencil
// without visible blocks at 300 dpi, at about a third of the size of
// quality 100. A page that came as a JPEG and needs no change keeps its
// own JPEG.
const DefaultJPEGQuality = 85

// EncodeImage prepares a page's image for the PDF, choosing the storage by
// what cleanup found the page to hold (opt.Report):
//
//   - pages of print in black and white or grey (Tone BiLevel or Gray,
//     no pictures) and blank pages: CCITT G4, after adaptive binarisation
//     when the page came in grey or colour;
//   - print in colour (Tone Color, no pictures: a stamp, a signature in
//     blue, tinted paper): a mixed page, the print as a G4 mask at full
//     resolution painted in its colours over the paper's colours at a
//     third of it (the mixed raster content of scanners' compact PDFs);
//   - pages with pictures (photographs, drawings in shades): JPEG;
//
// except with KeepColor, which keeps colour and grey pages as JPEGs. A
// page that came as a JPEG keeps its own JPEG whenever it is stored as
// JPEG and was not edited; a G4 page keeps its G4. With no report (no
// cleanup) the page goes in as it came: the source's own compressed data
// when a PDF can take it, else its pixels, Flate-compressed, as 1-bit, grey
// or RGB according to what they hold. EncodeImage decodes the page when it
// must. It is safe to call for different pages from several goroutines,
// which is how the pipeline spreads the work.
func EncodeImage(p *scan.Page, opt ImageOptions) (*Image, error) {
	if opt.JPEGQuality <= 0 || opt.JPEGQuality > 100 {
		opt.JPEGQuality = DefaultJPEGQuality
	}
	if o := p.Original; o != nil && o.Width == p.Width && o.Height == p.Height {
		switch {
		case o.Format == scan.CCITTG4:
			return asIs(p)
		case opt.Report == nil:
			return asIs(p)
		case o.Format == scan.JPEG && storedAsJPEG(p, opt) && !downsampled(p, opt):
			return asIs(p)
		}
	}
	if opt.Report == nil {
		return asIs(p)
	}
	px, err := p.Pixels()
	if err != nil {
		return nil, err
	}
	dpi := p.YDPI
	if dpi <= 0 {
		dpi = 300
	}
	switch {
	case storedAsJPEG(p, opt):
		return jpegImage(px, p, opt)
	case opt.Report.Tone == clean.Color && !opt.KeepColor:
		return mixed(px, dpi, sauvolaK(opt.Report, 0.1))
	}
	return g4Image(px, dpi, sauvolaK(opt.Report, 0.15)), nil
}

// sauvolaK sets the binarisation's sensitivity by the page's contrast, so
// that faint print (typewriting, carbon copies) keeps whole strokes: on
// paper, Sauvola's threshold is the local mean less k of it, and a third
// of the way from the paper to the print, 0.35·(paper−print)/paper, keeps
// the thin parts of faint letters (at half way, re-reading the stored
// pages lost 5 points of word recall on a faint typescript). Pages of
// ordinary dark print keep the usual 0.34. least bounds k from below:
// bleed-through from the back of the sheet is under a fifth darker than
// the paper, and a black-and-white page, which would print it black,
// keeps its threshold nearer the print (0.15: a faint 1914 typescript on
// grey paper kept its letters whole and showed no bleed-through); a
// mixed page paints what its mask takes in the colour it has, so it may
// go lower (0.1).
func sauvolaK(r *clean.Report, least float64) float64 {
	if r == nil || r.Paper == 0 || r.Print >= r.Paper {
		return clean.SauvolaK
	}
	k := 0.35 * float64(int(r.Paper)-int(r.Print)) / float64(r.Paper)
	return min(clean.SauvolaK, max(least, k))
}

// storedAsJPEG tells the pages kept as JPEGs: pictures, and with
// KeepColor every page that came in grey or colour.
func storedAsJPEG(p *scan.Page, opt ImageOptions) bool {
	r := opt.Report
	if r == nil {
		return false
	}
	if opt.KeepColor {
		return !cameBilevel(p)
	}
	return r.Pictures && !r.Blank
}

// cameBilevel tells a page that came black and white.
func cameBilevel(p *scan.Page) bool {
	if o := p.Original; o != nil {
		return o.BitsPerComponent == 1
	}
	switch m := p.Image.(type) {
	case *image.Gray:
		return bilevel(m)
	case *image.Paletted:
		return len(m.Palette) <= 2 && greyPalette(m.Palette)
	}
	return false
}

func downsampled(p *scan.Page, opt ImageOptions) bool {
	return opt.ColorDPI > 0 && p.YDPI > opt.ColorDPI*1.05
}

// asIs stores the page as it came (see EncodeImage).
func asIs(p *scan.Page) (*Image, error) {
	if o := p.Original; o != nil {
		if o.Width != p.Width || o.Height != p.Height {
			return nil, fmt.Errorf("%s: original is %d×%d but the page is %d×%d", p.Source, o.Width, o.Height, p.Width, p.Height)
		}
		switch o.Format {
		case scan.JPEG:
			cs := "DeviceRGB"
			if o.Components == 1 {
				cs = "DeviceGray"
			}
			return single("jpeg", imageDict(o.Width, o.Height, types.Name(cs), 8, "DCTDecode", nil), o.Data), nil
		case scan.CCITTG4:
			parms := types.Dict{"K": types.Integer(-1), "Columns": types.Integer(o.Width), "Rows": types.Integer(o.Height)}
			if o.BlackIs1 {
				parms["BlackIs1"] = types.Boolean(true)
			}
			return single("g4-source", imageDict(o.Width, o.Height, types.Name("DeviceGray"), 1, "CCITTFaxDecode", parms), o.Data), nil
		case scan.PNG:
			if img, err := pngImage(o); err == nil {
				return img, nil
			}
			// A PNG we cannot take apart: fall back to its pixels.
		}
	}
	px, err := p.Pixels()
	if err != nil {
		return nil, err
	}
	data, cs, bpc := rawPixels(px)
	return single("flate", imageDict(p.Width, p.Height, cs, bpc, "FlateDecode", nil), deflate(data, zlib.BestSpeed)), nil
}

// g4Image stores a page black and white: thresholded adaptively (with
// sensitivity k) unless it already is two-level.
func g4Image(px image.Image, dpi, k float64) *Image {
	g, ok := px.(*image.Gray)
	if !ok || !bilevel(g) {
		g = clean.Sauvola(px, sauvolaRadius(dpi), k)
	}
	b := g.Bounds()
	return single("g4", g4Dict(b.Dx(), b.Dy()), ccitt.EncodeGray(g))
}

func g4Dict(w, h int) types.Dict {
	parms := types.Dict{"K": types.Integer(-1), "Columns": types.Integer(w), "Rows": types.Integer(h)}
	return imageDict(w, h, types.Name("DeviceGray"), 1, "CCITTFaxDecode", parms)
}

// sauvolaRadius scales the binarisation window with the resolution.
func sauvolaRadius(dpi float64) int {
	return max(7, int(math.Round(clean.SauvolaRadius*dpi/300)))
}

// jpegImage encodes a page as JPEG, grey when it has no colour,
// downsampled to opt.ColorDPI when it is finer.
func jpegImage(px image.Image, p *scan.Page, opt ImageOptions) (*Image, error) {
	if downsampled(p, opt) {
		b := px.Bounds()
		w := max(1, int(math.Round(float64(b.Dx())*opt.ColorDPI/p.XDPI)))
		h := max(1, int(math.Round(float64(b.Dy())*opt.ColorDPI/p.YDPI)))
		px = imaging.Resize(px, w, h, imaging.Lanczos)
	}
	if opt.Report.Tone != clean.Color && !opt.KeepColor {
		if _, ok := px.(*image.Gray); !ok {
			px = clean.Luma(px) // no colour to keep
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, px, &jpeg.Options{Quality: opt.JPEGQuality}); err != nil {
		return nil, fmt.Errorf("%s: encode the page as JPEG: %w", p.Source, err)
	}
	b := px.Bounds()
	cs := "DeviceRGB"
	if _, ok := px.(*image.Gray); ok {
		cs = "DeviceGray"
	}
	return single("jpeg-reencoded", imageDict(b.Dx(), b.Dy(), types.Name(cs), 8, "DCTDecode", nil), buf.Bytes()), nil
}

func imageDict(w, h int, cs types.Object, bpc int, filter string, parms types.Dict) types.Dict {
	d := types.Dict{
		"Type":             types.Name("XObject"),
		"Subtype":          types.Name("Image"),
		"Width":            types.Integer(w),
		"Height":           types.Integer(h),
		"ColorSpace":       cs,
		"BitsPerComponent": types.Integer(bpc),
		"Filter":           types.Name(filter),
	}
	if parms != nil {
		d["DecodeParms"] = parms
	}
	return d
}

// pngImage takes a PNG's compressed pixel data as it is: PDF's Flate
// filter with PNG predictors reads IDAT directly.
func pngImage(o *scan.Encoded) (*Image, error) {
	var idat, plte []byte
	colorType := byte(255)
	err := pngchunk.Walk(o.Data, func(c pngchunk.Chunk) error {
		switch c.Type {
		case "IHDR":
			if len(c.Data) < 13 {
				return errors.New("short png header")
			}
			colorType = c.Data[9]
		case "PLTE":
			plte = c.Data
		case "IDAT":
			idat = append(idat, c.Data...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var cs types.Object
	colors := 1
	switch colorType {
	case 0:
		cs = types.Name("DeviceGray")
	case 2:
		cs, colors = types.Name("DeviceRGB"), 3
	case 3:
		if len(plte) < 3 || len(plte)%3 != 0 {
			return nil, errors.New("png palette missing")
		}
		cs = types.Array{types.Name("Indexed"), types.Name("DeviceRGB"), types.Integer(len(plte)/3 - 1), types.NewHexLiteral(plte)}
	default:
		return nil, errors.New("png colour type not embeddable")
	}
	if len(idat) == 0 {
		return nil, errors.New("png without pixels")
	}
	parms := types.Dict{
		"Predictor":        types.Integer(15),
		"Colors":           types.Integer(colors),
		"BitsPerComponent": types.Integer(o.BitsPerComponent),
		"Columns":          types.Integer(o.Width),
	}
	return single("png", imageDict(o.Width, o.Height, cs, o.BitsPerComponent, "FlateDecode", parms), idat), nil
}

// rawPixels lays an image out for PDF: 1-bit when it is black and white
// only, 8-bit grey when it has no colour, RGB otherwise; transparency is
// put on white paper.
func rawPixels(img image.Image) ([]byte, types.Name, int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if g, ok := img.(*image.Gray); ok {
		if bilevel(g) {
			return packBits(g), "DeviceGray", 1
		}
		return raster.AppendGray(make([]byte, 0, w*h), g), "DeviceGray", 8
	}
	if p, ok := img.(*image.Paletted); ok && greyPalette(p.Palette) {
		g := image.NewGray(b)
		draw.Draw(g, b, p, b.Min, draw.Src)
		return rawPixels(g)
	}
	return raster.AppendRGB(make([]byte, 0, 3*w*h), img), "DeviceRGB", 8
}

func bilevel(g *image.Gray) bool {
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()]
		for _, v := range row {
			if v != 0 && v != 0xff {
				return false
			}
		}
	}
	return true
}

func greyPalette(p color.Palette) bool {
	for _, c := range p {
		r, g, b, _ := c.RGBA()
		if r != g || g != b {
			return false
		}
	}
	return true
}

// packBits packs a black-and-white image one bit per pixel, 1 = white
// (DeviceGray), rows padded to a byte.
func packBits(g *image.Gray) []byte {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	stride := (w + 7) / 8
	out := make([]byte, stride*h)
	for y := 0; y < h; y++ {
		row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):][:w]
		o := out[y*stride:]
		for x, v := range row {
			if v != 0 {
				o[x>>3] |= 0x80 >> (x & 7)
			}
		}
	}
	return out
}
