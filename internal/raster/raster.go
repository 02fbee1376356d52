// Package raster lays images out as plain pixel bytes for the C libraries
// and file formats that take them (PNM for OCR, raw samples for PDF).
package raster

import (
	"image"
	"image/color"
)

// AppendRGB appends img's pixels to dst as 8-bit RGB, row by row, with
// transparency put on white paper. Common image types take a fast path.
func AppendRGB(dst []byte, img image.Image) []byte {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.YCbCr:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl := color.YCbCrToRGB(m.Y[m.YOffset(x, y)], m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)])
				dst = append(dst, r, g, bl)
			}
		}
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):][:4*w]
			for x := 0; x < 4*w; x += 4 {
				a := uint32(row[x+3])
				dst = append(dst, onWhite(row[x], a), onWhite(row[x+1], a), onWhite(row[x+2], a))
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, a := img.At(x, y).RGBA()
				// Premultiplied: the missing coverage is white paper.
				dst = append(dst, byte((r+0xffff-a)>>8), byte((g+0xffff-a)>>8), byte((bl+0xffff-a)>>8))
			}
		}
	}
	return dst
}

// AppendGray appends a grey image's pixels to dst, row by row.
func AppendGray(dst []byte, g *image.Gray) []byte {
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		o := g.PixOffset(b.Min.X, y)
		dst = append(dst, g.Pix[o:o+b.Dx()]...)
	}
	return dst
}

// onWhite composites a non-premultiplied sample of alpha a on white.
func onWhite(c uint8, a uint32) byte {
	return byte((uint32(c)*a + 255*(255-a) + 127) / 255)
}
