package escltest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// RenderPage draws a page of w×h pixels, white with a frame, a red stamp
// (in colour) and label in large letters, and encodes it as format
// ("image/jpeg" or "image/png") stating dpi, as a scanner does. mode is
// the eSCL colour mode: RGB24, Grayscale8 or BlackAndWhite1 (a 1-bit PNG,
// or a grey JPEG as devices send for it). The label is also written in a
// comment of the file.
func RenderPage(format string, w, h, dpi int, mode, label string) []byte {
	w, h = max(w, 16), max(h, 16)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	black := image.NewUniform(color.Black)
	t := max(1, w/200)
	for _, r := range []image.Rectangle{
		image.Rect(t, t, w-t, 2*t), image.Rect(t, h-2*t, w-t, h-t),
		image.Rect(t, t, 2*t, h-t), image.Rect(w-2*t, t, w-t, h-t),
	} {
		draw.Draw(img, r, black, image.Point{}, draw.Src)
	}
	drawText(img, label, w/12, h/8, max(1, w/(12*len(label)+1)))
	if mode == "RGB24" {
		stamp := image.Rect(w*2/3, h*2/3, w*2/3+w/6, h*2/3+h/12)
		draw.Draw(img, stamp, image.NewUniform(color.RGBA{200, 30, 30, 255}), image.Point{}, draw.Src)
	}
	var out image.Image = img
	switch mode {
	case "Grayscale8":
		g := image.NewGray(img.Bounds())
		draw.Draw(g, g.Bounds(), img, image.Point{}, draw.Src)
		out = g
	case "BlackAndWhite1":
		if format == "image/png" {
			p := image.NewPaletted(img.Bounds(), color.Palette{color.Black, color.White})
			draw.Draw(p, p.Bounds(), img, image.Point{}, draw.Src)
			out = p
		} else {
			g := image.NewGray(img.Bounds())
			draw.Draw(g, g.Bounds(), img, image.Point{}, draw.Src)
			out = g
		}
	}
	var b bytes.Buffer
	if format == "image/png" {
		if err := png.Encode(&b, out); err != nil {
			panic(err)
		}
		return pngWithInfo(b.Bytes(), dpi, label)
	}
	if err := jpeg.Encode(&b, out, &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	return jpegWithInfo(b.Bytes(), dpi, label)
}

// drawText writes s at (x, y) in the 7×13 bitmap font magnified k times.
func drawText(dst draw.Image, s string, x, y, k int) {
	face := basicfont.Face7x13
	small := image.NewRGBA(image.Rect(0, 0, 7*len(s)+2, 15))
	draw.Draw(small, small.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: small, Src: image.Black, Face: face, Dot: fixed.P(1, 12)}
	d.DrawString(s)
	r := image.Rect(x, y, x+small.Bounds().Dx()*k, y+small.Bounds().Dy()*k).Intersect(dst.Bounds())
	draw.NearestNeighbor.Scale(dst, r, small, small.Bounds(), draw.Src, nil)
}

// jpegWithInfo adds a JFIF header stating dpi and a comment to a JPEG
// from image/jpeg, which writes neither.
func jpegWithInfo(data []byte, dpi int, comment string) []byte {
	var b bytes.Buffer
	b.Write(data[:2]) // SOI
	app0 := []byte{0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(app0[12:], uint16(dpi))
	binary.BigEndian.PutUint16(app0[14:], uint16(dpi))
	b.Write(app0)
	com := []byte{0xff, 0xfe, 0, 0}
	binary.BigEndian.PutUint16(com[2:], uint16(len(comment)+2))
	b.Write(com)
	b.WriteString(comment)
	b.Write(data[2:])
	return b.Bytes()
}

// pngWithInfo adds pHYs stating dpi and a tEXt comment after the IHDR of
// a PNG from image/png.
func pngWithInfo(data []byte, dpi int, comment string) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	phys := make([]byte, 9)
	binary.BigEndian.PutUint32(phys, ppm)
	binary.BigEndian.PutUint32(phys[4:], ppm)
	phys[8] = 1
	var b bytes.Buffer
	b.Write(data[:ihdrEnd])
	writeChunk(&b, "pHYs", phys)
	writeChunk(&b, "tEXt", append([]byte("Comment\x00"), comment...))
	b.Write(data[ihdrEnd:])
	return b.Bytes()
}

func writeChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	binary.Write(b, binary.BigEndian, crc.Sum32())
}
