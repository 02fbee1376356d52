package clean

import (
	"image"
	"math"
)

// luma gives img's luminance as a grey image, sharing img's pixels when it
// is already grey.
// Luma gives an image's luminance (Rec. 601, as color.GrayModel). It may
// share img's pixels (a grey image, a JPEG's Y plane): it is for reading.
func Luma(img image.Image) *image.Gray { return luma(img) }

func luma(img image.Image) *image.Gray {
	if y, ok := img.(*image.YCbCr); ok {
		// A JPEG's Y plane is the same luminance.
		return &image.Gray{Pix: y.Y[y.YOffset(y.Rect.Min.X, y.Rect.Min.Y):], Stride: y.YStride, Rect: y.Rect}
	}
	w := working(img)
	if g, ok := w.(*image.Gray); ok {
		return g
	}
	m := w.(*image.RGBA)
	g := image.NewGray(m.Rect)
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		src := m.Pix[m.PixOffset(m.Rect.Min.X, y):][:4*m.Rect.Dx()]
		dst := g.Pix[g.PixOffset(m.Rect.Min.X, y):][:m.Rect.Dx()]
		for x := range dst {
			r, gg, b := uint32(src[4*x]), uint32(src[4*x+1]), uint32(src[4*x+2])
			dst[x] = uint8((19595*r + 38470*gg + 7471*b + 1<<15) >> 16)
		}
	}
	return g
}

// SauvolaRadius and SauvolaK are the binarisation defaults for a 300 dpi
// page: a window of about 4 mm spans a few letters and the paper around
// them, and 0.34 is the sensitivity usual for printed documents (Sauvola's
// own 0.5 loses thin strokes of light print).
const (
	SauvolaRadius = 25
	SauvolaK      = 0.34
)

// Threshold makes a black-and-white copy of img, cut at mid-grey: what a
// black-and-white scan needs after resampling, which greys the edges of
// its strokes (a page that was never bi-level wants Sauvola). img is not
// modified.
func Threshold(img image.Image) *image.Gray {
	src := working(img)
	b := src.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	cut := func(v uint32) uint8 {
		if v < 128 {
			return 0
		}
		return 0xff
	}
	switch m := src.(type) {
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:b.Dx()]
			out := g.Pix[y*g.Stride:][:b.Dx()]
			for x, v := range row {
				out[x] = cut(uint32(v))
			}
		}
	case *image.RGBA:
		for y := 0; y < b.Dy(); y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*b.Dx()]
			out := g.Pix[y*g.Stride:][:b.Dx()]
			for x := range out {
				r, gg, bb := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2])
				// Rec. 601 luma, as color.GrayModel.
				out[x] = cut((19595*r + 38470*gg + 7471*bb + 1<<15) >> 16)
			}
		}
	}
	return g
}

// Sauvola binarises img with Sauvola's adaptive threshold: a pixel is black
// when it is darker than m·(1 + k·(s/128 − 1)), m and s being the mean and
// standard deviation of the (2·radius+1)² window around it. The window
// sums come from running column sums (the integral image's idea in two
// rows' worth of memory), so the cost does not grow with the radius.
// radius ≤ 0 and k ≤ 0 take the defaults. The result is black (0) and
// white (255).
func Sauvola(img image.Image, radius int, k float64) *image.Gray {
	if radius <= 0 {
		radius = SauvolaRadius
	}
	if k <= 0 {
		k = SauvolaK
	}
	src := luma(img)
	b := src.Rect
	w, h := b.Dx(), b.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	col := make([]uint32, w)  // sum of the column within the window's rows
	col2 := make([]uint64, w) // sum of squares
	row := func(y int) []uint8 { return src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w] }
	add := func(y int, sign int) {
		for x, v := range row(y) {
			if sign > 0 {
				col[x] += uint32(v)
				col2[x] += uint64(v) * uint64(v)
			} else {
				col[x] -= uint32(v)
				col2[x] -= uint64(v) * uint64(v)
			}
		}
	}
	for y := 0; y < min(radius, h); y++ {
		add(y, 1)
	}
	// Precomputed factors: black when v ≤ m·(1−k) + m·s·k/128.
	a1, a2 := 1-k, k/128
	for y := 0; y < h; y++ {
		if y+radius < h {
			add(y+radius, 1)
		}
		if y-radius-1 >= 0 {
			add(y-radius-1, -1)
		}
		rows := float64(min(h, y+radius+1) - max(0, y-radius))
		var s uint64
		var s2 uint64
		for x := 0; x < min(radius, w); x++ {
			s += uint64(col[x])
			s2 += col2[x]
		}
		in := row(y)
		out := dst.Pix[y*dst.Stride:][:w]
		for x := 0; x < w; x++ {
			if x+radius < w {
				s += uint64(col[x+radius])
				s2 += col2[x+radius]
			}
			if x-radius-1 >= 0 {
				s -= uint64(col[x-radius-1])
				s2 -= col2[x-radius-1]
			}
			n := rows * float64(min(w, x+radius+1)-max(0, x-radius))
			m := float64(s) / n
			sd := math.Sqrt(max(0, float64(s2)/n-m*m))
			if float64(in[x]) <= m*(a1+a2*sd) {
				out[x] = 0
			} else {
				out[x] = 255
			}
		}
	}
	return dst
}

// FlattenLight evens out the lighting of a photographed page: it estimates
// the paper's brightness everywhere (the brightest pixels of blocks a
// quarter of radius wide, spread and smoothed over radius, which removes
// the print) and divides each pixel by it, channel by channel, so paper
// comes out white under any light and any tint of light. radius ≤ 0 takes
// a default fit for a 300 dpi page.
func FlattenLight(img image.Image, radius int) image.Image {
	if radius <= 0 {
		radius = 60
	}
	src := working(img)
	var pix []uint8
	var stride, n int
	b := src.Bounds()
	switch m := src.(type) {
	case *image.Gray:
		pix, stride, n = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, 1
	case *image.RGBA:
		pix, stride, n = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, 4
	}
	w, h := b.Dx(), b.Dy()
	blk := max(2, radius/4)
	sw, sh := (w+blk-1)/blk, (h+blk-1)/blk
	ch := min(n, 3)
	bg := make([][]float32, ch)
	for c := 0; c < ch; c++ {
		small := make([]float32, sw*sh)
		for y := 0; y < h; y++ {
			r := pix[y*stride:]
			srow := small[(y/blk)*sw:]
			for x := 0; x < w; x++ {
				if v := float32(r[x*n+c]); v > srow[x/blk] {
					srow[x/blk] = v
				}
			}
		}
		k := max(1, radius/blk)
		small = maxFilter(small, sw, sh, k)
		small = boxBlur(small, sw, sh, k)
		small = boxBlur(small, sw, sh, k)
		bg[c] = small
	}
	var out image.Image
	var dpix []uint8
	var dstride int
	if n == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		out, dpix, dstride = g, g.Pix, g.Stride
	} else {
		r := image.NewRGBA(image.Rect(0, 0, w, h))
		out, dpix, dstride = r, r.Pix, r.Stride
	}
	line := make([]float32, sw)
	for y := 0; y < h; y++ {
		fy := (float32(y)+0.5)/float32(blk) - 0.5
		y0 := int(math.Floor(float64(fy)))
		ty := fy - float32(y0)
		y0c, y1c := max(0, min(sh-1, y0)), max(0, min(sh-1, y0+1))
		srow, drow := pix[y*stride:], dpix[y*dstride:]
		for c := 0; c < ch; c++ {
			s := bg[c]
			for i := range line {
				line[i] = s[y0c*sw+i]*(1-ty) + s[y1c*sw+i]*ty
			}
			for x := 0; x < w; x++ {
				fx := (float32(x)+0.5)/float32(blk) - 0.5
				x0 := int(fx)
				if fx < 0 {
					x0 = -1
				}
				tx := fx - float32(x0)
				x0c, x1c := max(0, min(sw-1, x0)), max(0, min(sw-1, x0+1))
				g := line[x0c]*(1-tx) + line[x1c]*tx
				v := float32(srow[x*n+c]) * 255 / max(g, 16)
				drow[x*n+c] = uint8(min(255, v+0.5))
			}
		}
		if n == 4 {
			for x := 0; x < w; x++ {
				drow[4*x+3] = 255
			}
		}
	}
	return out
}

// maxFilter is a separable dilation with a (2k+1)² square.
func maxFilter(s []float32, w, h, k int) []float32 {
	tmp := make([]float32, len(s))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m := float32(0)
			for i := max(0, x-k); i <= min(w-1, x+k); i++ {
				m = max(m, s[y*w+i])
			}
			tmp[y*w+x] = m
		}
	}
	out := make([]float32, len(s))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m := float32(0)
			for j := max(0, y-k); j <= min(h-1, y+k); j++ {
				m = max(m, tmp[j*w+x])
			}
			out[y*w+x] = m
		}
	}
	return out
}

// boxBlur averages over a (2k+1)² square, clamped at the edges.
func boxBlur(s []float32, w, h, k int) []float32 {
	tmp := make([]float32, len(s))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var sum float32
			n := 0
			for i := max(0, x-k); i <= min(w-1, x+k); i++ {
				sum += s[y*w+i]
				n++
			}
			tmp[y*w+x] = sum / float32(n)
		}
	}
	out := make([]float32, len(s))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var sum float32
			n := 0
			for j := max(0, y-k); j <= min(h-1, y+k); j++ {
				sum += tmp[j*w+x]
				n++
			}
			out[y*w+x] = sum / float32(n)
		}
	}
	return out
}

// fillEllipses paints the ellipses inscribed in rects with the colour of
// the paper just outside each rectangle: a punch hole becomes paper,
// tinted or not. It paints img itself when inPlace (an image Render made),
// else a copy. A JPEG's planes are painted as they are, the chroma at its
// own resolution.
func fillEllipses(img image.Image, rects []image.Rectangle, inPlace bool) image.Image {
	if y, ok := img.(*image.YCbCr); ok {
		var f int // chroma subsampling, both ways
		switch y.SubsampleRatio {
		case image.YCbCrSubsampleRatio444:
			f = 1
		case image.YCbCrSubsampleRatio420:
			f = 2
		}
		if f > 0 && y.Rect.Min.X%2 == 0 && y.Rect.Min.Y%2 == 0 {
			out := y
			if !inPlace || y.Rect.Min != (image.Point{}) {
				out = warpYCbCr(y, identity, y.Rect.Dx(), y.Rect.Dy())
			}
			w, h := out.Rect.Dx(), out.Rect.Dy()
			fillPlane(out.Y, out.YStride, 1, w, h, rects)
			crects := make([]image.Rectangle, len(rects))
			for i, r := range rects {
				crects[i] = image.Rect(r.Min.X/f, r.Min.Y/f, (r.Max.X+f-1)/f, (r.Max.Y+f-1)/f)
			}
			cw, ch := (w+f-1)/f, (h+f-1)/f
			fillPlane(out.Cb, out.CStride, 1, cw, ch, crects)
			fillPlane(out.Cr, out.CStride, 1, cw, ch, crects)
			return out
		}
	}
	src := working(img)
	b := src.Bounds()
	out := src
	if (src == img && !inPlace) || b.Min != (image.Point{}) {
		out = warp(src, identity, b.Dx(), b.Dy())
	}
	switch o := out.(type) {
	case *image.Gray:
		fillPlane(o.Pix, o.Stride, 1, b.Dx(), b.Dy(), rects)
	case *image.RGBA:
		fillPlane(o.Pix, o.Stride, 4, b.Dx(), b.Dy(), rects)
	}
	return out
}

// fillPlane paints the ellipses inscribed in rects on interleaved 8-bit
// samples, n per pixel (the first three painted), each with the mean of
// the ring of pixels around its rectangle.
func fillPlane(pix []uint8, stride, n, w, h int, rects []image.Rectangle) {
	all := image.Rect(0, 0, w, h)
	for _, r := range rects {
		r = r.Intersect(all)
		if r.Empty() {
			continue
		}
		var sum [3]int
		cnt := 0
		ring := r.Inset(-2).Intersect(all)
		for y := ring.Min.Y; y < ring.Max.Y; y++ {
			for x := ring.Min.X; x < ring.Max.X; x++ {
				if (image.Point{x, y}).In(r) {
					continue
				}
				for c := 0; c < min(n, 3); c++ {
					sum[c] += int(pix[y*stride+x*n+c])
				}
				cnt++
			}
		}
		var fill [3]uint8
		for c := range fill {
			fill[c] = 255
			if cnt > 0 {
				fill[c] = uint8(sum[c] / cnt)
			}
		}
		cx, cy := float64(r.Min.X+r.Max.X)/2, float64(r.Min.Y+r.Max.Y)/2
		rx, ry := float64(r.Dx())/2, float64(r.Dy())/2
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
				if dx*dx+dy*dy <= 1 {
					copy(pix[y*stride+x*n:], fill[:min(n, 3)])
				}
			}
		}
	}
}
