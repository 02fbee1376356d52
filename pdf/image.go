package pdf

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/klauspost/compress/zlib"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/demat-app/demat/internal/pngchunk"
	"github.com/demat-app/demat/internal/raster"
	"github.com/demat-app/demat/scan"
)

// Image is a page image ready to go into a PDF: an image XObject's
// dictionary and its compressed data.
type Image struct {
	dict types.Dict
	data []byte
}

// EncodeImage prepares a page's image for the PDF: the source's own
// compressed data when a PDF can take it as it is, else the pixels,
// Flate-compressed, as 1-bit, grey or RGB according to what they hold. It
// decodes the page when it must. It is safe to call for different pages
// from several goroutines, which is how the pipeline spreads the work.
func EncodeImage(p *scan.Page) (*Image, error) {
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
			return &Image{imageDict(o.Width, o.Height, types.Name(cs), 8, "DCTDecode", nil), o.Data}, nil
		case scan.CCITTG4:
			parms := types.Dict{"K": types.Integer(-1), "Columns": types.Integer(o.Width), "Rows": types.Integer(o.Height)}
			if o.BlackIs1 {
				parms["BlackIs1"] = types.Boolean(true)
			}
			return &Image{imageDict(o.Width, o.Height, types.Name("DeviceGray"), 1, "CCITTFaxDecode", parms), o.Data}, nil
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
	return &Image{imageDict(p.Width, p.Height, cs, bpc, "FlateDecode", nil), deflate(data, zlib.BestSpeed)}, nil
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
	return &Image{imageDict(o.Width, o.Height, cs, o.BitsPerComponent, "FlateDecode", parms), idat}, nil
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
