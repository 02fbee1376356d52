package clean

import (
	"image"
	"image/color"
	"math"
)

// analysisDPI is the resolution decisions are made at: text lines are
// still several pixels apart and the smallest print still shows, and an
// A4 page is about a million pixels, so every measure takes milliseconds.
const analysisDPI = 100

// page is a page reduced for analysis: one byte per pixel, row-major,
// without padding.
type page struct {
	w, h int
	// scale is how many pixels of the full image one pixel here spans.
	scale float64
	// mean is the average luminance of the pixels each one stands for;
	// dark is the second darkest of them (see darkOf), so that a stroke
	// thinner than the reduction still shows at its full contrast.
	mean, dark []uint8
	// cb and cr are the average chroma (128 is neutral), nil for grey
	// images.
	cb, cr []uint8
}

// dpi is the page's resolution given the full image's.
func (p *page) dpi(full float64) float64 { return full / p.scale }

// mm2 is the area of one pixel in square millimetres.
func (p *page) mm2(full float64) float64 {
	mm := 25.4 / p.dpi(full)
	return mm * mm
}

// reductionFor gives the reduction factor for an image of the given size
// and resolution: down to about analysisDPI, but small images (a label,
// a receipt, a web picture that claims 300 dpi) keep at least 800 pixels
// on their long side, and big ones (phone photos, which often carry no
// resolution or a meaningless 72 dpi) at most about 1800.
func reductionFor(b image.Rectangle, dpi float64) int {
	long := max(b.Dx(), b.Dy())
	f := 1
	if dpi > 0 {
		f = int(math.Round(dpi / analysisDPI))
	}
	f = max(1, min(f, long/800))
	return max(f, (long+1799)/1800)
}

// reduce shrinks img f times in each direction, averaging boxes of f×f
// pixels (partial boxes at the right and bottom edges average what they
// hold).
func reduce(img image.Image, f int) *page {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	aw, ah := (w+f-1)/f, (h+f-1)/f
	p := &page{w: aw, h: ah, scale: float64(f), mean: make([]uint8, aw*ah), dark: make([]uint8, aw*ah)}
	switch m := img.(type) {
	case *image.Gray:
		reduceLuma(p, m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, w, h, f)
	case *image.YCbCr:
		reduceLuma(p, m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride, w, h, f)
		if !neutralChroma(m) {
			reduceChroma(p, m, f)
		}
	case *image.RGBA:
		reduceRGBA(p, m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, w, h, f, false)
	case *image.NRGBA:
		// PNGs with an alpha channel (often all opaque) are read as
		// they are, composited on white pixel by pixel: converting the
		// page first took longer than analysing it.
		reduceRGBA(p, m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, w, h, f, true)
	case *image.Paletted:
		if grayPalette(m.Palette) {
			reducePaletted(p, m, w, h, f)
			break
		}
		reduceWorking(p, m, w, h, f)
	default:
		reduceWorking(p, img, w, h, f)
	}
	return p
}

// reduceWorking reduces img once converted to a working image.
func reduceWorking(p *page, img image.Image, w, h, f int) {
	switch m := working(img).(type) {
	case *image.Gray:
		reduceLuma(p, m.Pix, m.Stride, w, h, f)
	case *image.RGBA:
		reduceRGBA(p, m.Pix, m.Stride, w, h, f, false)
	}
}

func reduceLuma(p *page, pix []uint8, stride, w, h, f int) {
	reduceRows(p, func(y int) []uint8 { return pix[y*stride : y*stride+w] }, w, h, f)
}

// reducePaletted reduces a page whose palette is all greys (black and
// white scans saved as 1-bit PNG), looking each row up as it goes:
// converting the page first took as long as analysing it.
func reducePaletted(p *page, m *image.Paletted, w, h, f int) {
	var lut [256]uint8
	for i, c := range m.Palette {
		lut[i] = color.GrayModel.Convert(c).(color.Gray).Y
	}
	buf := make([]uint8, w)
	o := m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y)
	reduceRows(p, func(y int) []uint8 {
		for x, v := range m.Pix[o+y*m.Stride : o+y*m.Stride+w] {
			buf[x] = lut[v]
		}
		return buf
	}, w, h, f)
}

// reduceRows reduces the grey rows given by row, each used before the next
// is asked for.
func reduceRows(p *page, rowAt func(y int) []uint8, w, h, f int) {
	sum := make([]uint32, p.w)
	d1, d2 := make([]int32, p.w), make([]int32, p.w)
	for ay := 0; ay < p.h; ay++ {
		clear(sum)
		for i := range d1 {
			d1[i], d2[i] = 255, 255
		}
		y0, y1 := ay*f, min(h, ay*f+f)
		for y := y0; y < y1; y++ {
			row := rowAt(y)
			switch f {
			case 3:
				// The usual case (300 dpi), unrolled.
				n := w / 3
				for ax, seg := 0, row; ax < n; ax, seg = ax+1, seg[3:] {
					a, b, c := int32(seg[0]), int32(seg[1]), int32(seg[2])
					sum[ax] += uint32(a + b + c)
					m1, m2 := d1[ax], d2[ax]
					m1, m2 = push2(m1, m2, a)
					m1, m2 = push2(m1, m2, b)
					d1[ax], d2[ax] = push2(m1, m2, c)
				}
				for x := n * 3; x < w; x++ {
					sum[n] += uint32(row[x])
					d1[n], d2[n] = push2(d1[n], d2[n], int32(row[x]))
				}
			default:
				for ax := range sum {
					seg := row[ax*f : min(w, ax*f+f)]
					s, m1, m2 := uint32(0), d1[ax], d2[ax]
					for _, v := range seg {
						s += uint32(v)
						m1, m2 = push2(m1, m2, int32(v))
					}
					sum[ax] += s
					d1[ax], d2[ax] = m1, m2
				}
			}
		}
		mean := p.mean[ay*p.w : (ay+1)*p.w]
		dark := p.dark[ay*p.w : (ay+1)*p.w]
		for ax, s := range sum {
			n := uint32((min(w, ax*f+f) - ax*f) * (y1 - y0))
			mean[ax] = uint8((s + n/2) / n)
			dark[ax] = darkOf(d1[ax], d2[ax], n)
		}
	}
}

// push2 adds v to the two smallest values seen, m1 ≤ m2, without a branch:
// on noisy scans the comparisons are coin tosses, and mispredicted
// branches made the reduction four times slower.
func push2(m1, m2, v int32) (int32, int32) {
	return bmin(m1, v), bmin(m2, bmax(m1, v))
}

// darkOf is the dark plane's value for a box of n pixels: the second
// darkest, so that one noisy pixel is not a stroke while a stroke one
// pixel wide still crosses two pixels of the box; the darkest when the box
// has a single pixel.
func darkOf(m1, m2 int32, n uint32) uint8 {
	if n < 2 {
		return uint8(m1)
	}
	return uint8(m2)
}

// neutralChroma reports a YCbCr image whose chroma planes are all but
// neutral (a grey page saved as colour JPEG), sampled sparsely.
func neutralChroma(m *image.YCbCr) bool {
	step := max(1, len(m.Cb)/4096)
	for i := 0; i < len(m.Cb); i += step {
		if d := int(m.Cb[i]) - 128; d < -3 || d > 3 {
			return false
		}
		if d := int(m.Cr[i]) - 128; d < -3 || d > 3 {
			return false
		}
	}
	return true
}

func reduceChroma(p *page, m *image.YCbCr, f int) {
	p.cb, p.cr = make([]uint8, p.w*p.h), make([]uint8, p.w*p.h)
	// Average the chroma samples whose luma block starts in each box,
	// walking the chroma planes once.
	sx, sy := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		sx = 2
	case image.YCbCrSubsampleRatio420:
		sx, sy = 2, 2
	case image.YCbCrSubsampleRatio440:
		sy = 2
	case image.YCbCrSubsampleRatio411:
		sx = 4
	case image.YCbCrSubsampleRatio410:
		sx, sy = 4, 2
	}
	b := m.Rect
	cx0, cy0 := b.Min.X/sx, b.Min.Y/sy
	cx1, cy1 := (b.Max.X+sx-1)/sx, (b.Max.Y+sy-1)/sy
	scb, scr, n := make([]uint32, p.w*p.h), make([]uint32, p.w*p.h), make([]uint32, p.w*p.h)
	axs := make([]int32, cx1-cx0) // the box column of each chroma column
	for cx := cx0; cx < cx1; cx++ {
		axs[cx-cx0] = int32(min(p.w-1, max(0, cx*sx-b.Min.X)/f))
	}
	for cy := cy0; cy < cy1; cy++ {
		ay := min(p.h-1, max(0, cy*sy-b.Min.Y)/f)
		row := (cy-m.Rect.Min.Y/sy)*m.CStride + cx0 - m.Rect.Min.X/sx
		cbs, crs := m.Cb[row:row+len(axs)], m.Cr[row:row+len(axs)]
		bcb, bcr, bn := scb[ay*p.w:(ay+1)*p.w], scr[ay*p.w:(ay+1)*p.w], n[ay*p.w:(ay+1)*p.w]
		for k, ax := range axs {
			bcb[ax] += uint32(cbs[k])
			bcr[ax] += uint32(crs[k])
			bn[ax]++
		}
	}
	for i := range n {
		if c := n[i]; c > 0 {
			p.cb[i], p.cr[i] = uint8((scb[i]+c/2)/c), uint8((scr[i]+c/2)/c)
		} else {
			// A box smaller than a chroma sample: the sample that
			// covers its corner.
			x, y := b.Min.X+(i%p.w)*f, b.Min.Y+(i/p.w)*f
			o := m.COffset(x, y)
			p.cb[i], p.cr[i] = m.Cb[o], m.Cr[o]
		}
	}
}

// reduceRGBA reduces 8-bit RGBA pixels, premultiplied or not (straight),
// as if drawn on white paper.
func reduceRGBA(p *page, pix []uint8, stride, w, h, f int, straight bool) {
	p.cb, p.cr = make([]uint8, p.w*p.h), make([]uint8, p.w*p.h)
	sr, sg, sb := make([]uint32, p.w), make([]uint32, p.w), make([]uint32, p.w)
	d1, d2 := make([]int32, p.w), make([]int32, p.w)
	colour := false
	for ay := 0; ay < p.h; ay++ {
		clear(sr)
		clear(sg)
		clear(sb)
		for i := range d1 {
			d1[i], d2[i] = 255, 255
		}
		y0, y1 := ay*f, min(h, ay*f+f)
		for y := y0; y < y1; y++ {
			row := pix[y*stride:][:4*w]
			x := 0
			for ax := range sr {
				xe := min(w, x+f)
				var r, g, bl uint32
				m1, m2 := d1[ax], d2[ax]
				for ; x < xe; x++ {
					o := 4 * x
					pr, pg, pb := uint32(row[o]), uint32(row[o+1]), uint32(row[o+2])
					if a := uint32(row[o+3]); a != 255 {
						if straight {
							pr, pg, pb = (pr*a+255*(255-a)+127)/255, (pg*a+255*(255-a)+127)/255, (pb*a+255*(255-a)+127)/255
						} else {
							pr, pg, pb = min(255, pr+255-a), min(255, pg+255-a), min(255, pb+255-a)
						}
					}
					r += pr
					g += pg
					bl += pb
					m1, m2 = push2(m1, m2, int32((19595*pr+38470*pg+7471*pb+1<<15)>>16))
				}
				sr[ax] += r
				sg[ax] += g
				sb[ax] += bl
				d1[ax], d2[ax] = m1, m2
			}
		}
		for ax := range sr {
			n := uint32((min(w, ax*f+f) - ax*f) * (y1 - y0))
			p.dark[ay*p.w+ax] = darkOf(d1[ax], d2[ax], n)
			r, g, bl := int32((sr[ax]+n/2)/n), int32((sg[ax]+n/2)/n), int32((sb[ax]+n/2)/n)
			i := ay*p.w + ax
			p.mean[i] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
			cb := (-11056*r - 21712*g + 32768*bl + 257<<15) >> 16
			cr := (32768*r - 27440*g - 5328*bl + 257<<15) >> 16
			p.cb[i], p.cr[i] = clamp8(cb), clamp8(cr)
			if r != g || g != bl {
				colour = true
			}
		}
	}
	if !colour {
		p.cb, p.cr = nil, nil
	}
}

// bmin and bmax are min and max without a branch (see push2).
func bmin(a, b int32) int32 {
	d := a - b
	return b + d&(d>>31)
}

func bmax(a, b int32) int32 {
	d := a - b
	return a - d&(d>>31)
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// warped gives the page as seen through m (a map from the new full-size
// image back to the old one) at scale s full pixels per pixel, w×h full
// pixels in all.
func (p *page) warped(m mat3, s float64, w, h int) *page {
	// new analysis pixel → new full pixel → old full pixel → old analysis pixel
	am := scaling(1 / p.scale).mul(m).mul(scaling(s))
	aw, ah := max(1, int(math.Ceil(float64(w)/s))), max(1, int(math.Ceil(float64(h)/s)))
	q := &page{w: aw, h: ah, scale: s}
	plane := func(src []uint8, fill uint8) []uint8 {
		if src == nil {
			return nil
		}
		dst := make([]uint8, aw*ah)
		warpPlanes(dst, aw, 1, src, p.w, p.w, p.h, am, aw, ah, fill)
		return dst
	}
	// Brought in from outside: white paper, neutral chroma.
	q.mean, q.dark, q.cb, q.cr = plane(p.mean, 255), plane(p.dark, 255), plane(p.cb, 128), plane(p.cr, 128)
	return q
}

// histogram counts the values of a plane, within r when r is not empty.
func histogram(pix []uint8, w int, r image.Rectangle) (hist [256]int) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, v := range pix[y*w+r.Min.X : y*w+r.Max.X] {
			hist[v]++
		}
	}
	return
}

// percentile gives the value below which frac of the counted values lie.
func percentile(hist *[256]int, frac float64) uint8 {
	n := 0
	for _, c := range hist {
		n += c
	}
	want := int(frac * float64(n))
	acc := 0
	for v, c := range hist {
		acc += c
		if acc > want {
			return uint8(v)
		}
	}
	return 255
}

// paperLevel gives the paper's grey level: the most frequent level in the
// brighter half of the histogram, smoothed over nine levels for noise.
// Unlike a high percentile, it is not pulled up by white areas that are
// not the paper: the corners a rotation brings in, a white lid around
// tinted paper.
func paperLevel(hist *[256]int) uint8 {
	median := percentile(hist, 0.5)
	best, bestN := median, -1
	for v := int(median); v < 256; v++ {
		n := 0
		for d := -4; d <= 4; d++ {
			if u := v + d; u >= 0 && u < 256 {
				n += hist[u]
			}
		}
		if n > bestN {
			best, bestN = uint8(v), n
		}
	}
	return best
}

// otsu gives the threshold that best splits a histogram in two classes:
// the darker class is the values below it.
func otsu(hist *[256]int) uint8 {
	var total, sum float64
	for v, c := range hist {
		total += float64(c)
		sum += float64(v) * float64(c)
	}
	var wb, sb, best float64
	t := uint8(128)
	for v, c := range hist {
		wb += float64(c)
		if wb == 0 {
			continue
		}
		wf := total - wb
		if wf == 0 {
			break
		}
		sb += float64(v) * float64(c)
		mb, mf := sb/wb, (sum-sb)/wf
		if between := wb * wf * (mb - mf) * (mb - mf); between > best {
			best, t = between, uint8(min(255, v+1))
		}
	}
	return t
}
