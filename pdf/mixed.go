package pdf

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/demat-app/demat/internal/ccitt"
	"github.com/demat-app/demat/scan/clean"
)

// Resolutions of a mixed page's colour layers. The text's shapes keep
// the scan's resolution in the mask; the colours under and in them need
// far less: paper shading and stamps read well at 100 dpi, and the colour
// of a stroke changes slowly along it.
const (
	mrcPaperDPI = 100
	mrcInkDPI   = 50
	// mrcQuality is the JPEG quality of both colour layers: they hold
	// smooth colours at low resolution, where quality 60 shows no blocks
	// (the shapes are the mask's).
	mrcQuality = 60
)

// mixed stores a page of text in colour as mixed raster content, the way
// scanners' compact PDFs do: a black-and-white mask of the print at full
// resolution (G4), through which a small image of the print's colours is
// painted, over a small image of the paper's colours (JPEG). Text stays as
// sharp as the scan, a blue signature blue and a red stamp red, for a
// tenth of the bytes of a colour JPEG of the page.
func mixed(px image.Image, dpi, k float64) (*Image, error) {
	mask := clean.Sauvola(px, sauvolaRadius(dpi), k) // 0: print
	b := px.Bounds()
	w, h := b.Dx(), b.Dy()
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(rgba, rgba.Rect, px, b.Min, draw.Src)

	ink := func(x, y int) bool { return mask.Pix[y*mask.Stride+x] == 0 }
	// Paper: pixels a pixel away from any print, whose blurred edge is
	// neither paper nor print. Ink: the print's inner pixels where a
	// stroke has any, for its edges are lighter than the ink.
	nearInk := func(x, y int) bool {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < w && yy < h && ink(xx, yy) {
					return true
				}
			}
		}
		return false
	}
	inner := func(x, y int) bool {
		return ink(x, y) && (x == 0 || ink(x-1, y)) && (x == w-1 || ink(x+1, y)) && (y == 0 || ink(x, y-1)) && (y == h-1 || ink(x, y+1))
	}
	paper := newBlocks(w, h, max(1, int(math.Round(dpi/mrcPaperDPI))))
	core := newBlocks(w, h, max(1, int(math.Round(dpi/mrcInkDPI))))
	edge := newBlocks(w, h, core.f)
	for y := 0; y < h; y++ {
		row := rgba.Pix[y*rgba.Stride:]
		for x := 0; x < w; x++ {
			c := row[4*x : 4*x+3]
			switch {
			case !ink(x, y):
				if !nearInk(x, y) {
					paper.add(x, y, c)
				}
			case inner(x, y):
				core.add(x, y, c)
			default:
				edge.add(x, y, c)
			}
		}
	}
	core.fallback(edge)
	// A stroke's colour is that of its darker half: averaged with the
	// lighter rest, faint typewriting came out paler than it is, and
	// harder to read.
	dark := newBlocks(w, h, core.f)
	means := core.image()
	for y := 0; y < h; y++ {
		row := rgba.Pix[y*rgba.Stride:]
		mrow := means.Pix[(y/core.f)*means.Stride:]
		for x := 0; x < w; x++ {
			if !ink(x, y) {
				continue
			}
			c, m := row[4*x:4*x+3], mrow[4*(x/core.f):4*(x/core.f)+3]
			if luma(c) <= luma(m) {
				dark.add(x, y, c)
			}
		}
	}
	dark.fallback(core)
	bg, fg := paper.image(), dark.image()

	var bgData, fgData bytes.Buffer
	if err := jpeg.Encode(&bgData, bg, &jpeg.Options{Quality: mrcQuality}); err != nil {
		return nil, err
	}
	if err := jpeg.Encode(&fgData, fg, &jpeg.Options{Quality: mrcQuality}); err != nil {
		return nil, err
	}
	stencil := &layer{
		dict: types.Dict{
			"Type": types.Name("XObject"), "Subtype": types.Name("Image"),
			"Width": types.Integer(w), "Height": types.Integer(h),
			"ImageMask": types.Boolean(true), "BitsPerComponent": types.Integer(1),
			"Filter": types.Name("CCITTFaxDecode"),
			// Print is black, 0, in the G4 data, and a mask's 0
			// samples are where the image is painted.
			"DecodeParms": types.Dict{"K": types.Integer(-1), "Columns": types.Integer(w), "Rows": types.Integer(h)},
		},
		data: ccitt.EncodeGray(mask),
	}
	return &Image{Kind: "mrc", layers: []*layer{
		{dict: imageDict(bg.Rect.Dx(), bg.Rect.Dy(), types.Name("DeviceRGB"), 8, "DCTDecode", nil), data: bgData.Bytes()},
		{dict: imageDict(fg.Rect.Dx(), fg.Rect.Dy(), types.Name("DeviceRGB"), 8, "DCTDecode", nil), data: fgData.Bytes(), mask: stencil},
	}}, nil
}

// blocks averages colours over squares of f×f pixels.
type blocks struct {
	f, bw, bh int
	sum       []uint32 // r, g, b per block
	n         []uint32
}

func newBlocks(w, h, f int) *blocks {
	bw, bh := (w+f-1)/f, (h+f-1)/f
	return &blocks{f: f, bw: bw, bh: bh, sum: make([]uint32, 3*bw*bh), n: make([]uint32, bw*bh)}
}

func (b *blocks) add(x, y int, c []uint8) {
	i := (y/b.f)*b.bw + x/b.f
	b.sum[3*i] += uint32(c[0])
	b.sum[3*i+1] += uint32(c[1])
	b.sum[3*i+2] += uint32(c[2])
	b.n[i]++
}

// fallback takes o's colours for the blocks that have none.
func (b *blocks) fallback(o *blocks) {
	for i, n := range b.n {
		if n == 0 && o.n[i] > 0 {
			copy(b.sum[3*i:3*i+3], o.sum[3*i:3*i+3])
			b.n[i] = o.n[i]
		}
	}
}

// image gives the blocks' mean colours as an image, a block with nothing
// in it taking the mean colour of all (it is never seen, and flat areas
// cost the JPEG nothing).
func (b *blocks) image() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, b.bw, b.bh))
	var all [3]uint64
	var n uint64
	for i, c := range b.n {
		if c > 0 {
			for k := 0; k < 3; k++ {
				img.Pix[4*i+k] = uint8((b.sum[3*i+k] + c/2) / c)
				all[k] += uint64(b.sum[3*i+k])
			}
			n += uint64(c)
		}
		img.Pix[4*i+3] = 255
	}
	mean := [3]uint8{255, 255, 255}
	if n > 0 {
		for k := range mean {
			mean[k] = uint8((all[k] + n/2) / n)
		}
	}
	for i, c := range b.n {
		if c == 0 {
			copy(img.Pix[4*i:4*i+3], mean[:])
		}
	}
	return img
}

func luma(c []uint8) uint32 { return 19595*uint32(c[0]) + 38470*uint32(c[1]) + 7471*uint32(c[2]) }
