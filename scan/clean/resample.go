package clean

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// working gives img as a *image.Gray or an opaque *image.RGBA, the two
// layouts the pixel loops read. Grey and RGBA images are returned as they
// are (never written to); others are converted once, transparency put on
// white paper.
func working(img image.Image) image.Image {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.RGBA:
		if m.Opaque() {
			return m
		}
	case *image.Paletted:
		if grayPalette(m.Palette) {
			g := image.NewGray(m.Rect)
			lut := make([]uint8, 256)
			for i, c := range m.Palette {
				lut[i] = color.GrayModel.Convert(c).(color.Gray).Y
			}
			for i, v := range m.Pix {
				g.Pix[i] = lut[v]
			}
			if m.Stride == g.Stride {
				return g
			}
			draw.Draw(g, g.Rect, m, m.Rect.Min, draw.Src)
			return g
		}
	case *image.Gray16:
		g := image.NewGray(m.Rect)
		draw.Draw(g, g.Rect, m, m.Rect.Min, draw.Src)
		return g
	}
	r := image.NewRGBA(img.Bounds())
	draw.Draw(r, r.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(r, r.Rect, img, r.Rect.Min, draw.Over)
	return r
}

func grayPalette(p color.Palette) bool {
	if len(p) > 256 {
		return false
	}
	for _, c := range p {
		r, g, b, a := c.RGBA()
		if r != g || g != b || a != 0xffff {
			return false
		}
	}
	return true
}

// warp draws a w×h image whose point p shows src at m·p (m relative to
// src's top left corner). Points outside src are white paper. Bilinear
// interpolation, or a plain copy when m moves whole pixels.
func warp(src image.Image, m mat3, w, h int) image.Image {
	switch s := src.(type) {
	case *image.Gray:
		dst := image.NewGray(image.Rect(0, 0, w, h))
		warpPlanes(dst.Pix, dst.Stride, 1, s.Pix[s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y):], s.Stride, s.Rect.Dx(), s.Rect.Dy(), m, w, h, 255)
		return dst
	case *image.RGBA:
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		warpPlanes(dst.Pix, dst.Stride, 4, s.Pix[s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y):], s.Stride, s.Rect.Dx(), s.Rect.Dy(), m, w, h, 255)
		return dst
	case *image.YCbCr:
		if dst := warpYCbCr(s, m, w, h); dst != nil {
			return dst
		}
	}
	return warp(working(src), m, w, h)
}

// warpYCbCr resamples a JPEG's planes as they are, the chroma planes at
// their own resolution: a third of the work of converting the page to RGB
// and resampling that, and the result goes back into a JPEG without a
// colour conversion. It handles the subsamplings that quarter turns keep
// (4:4:4 and 4:2:0, what scanners and phones write), else returns nil.
func warpYCbCr(s *image.YCbCr, m mat3, w, h int) *image.YCbCr {
	var f float64 // chroma subsampling factor, both ways
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		f = 1
	case image.YCbCrSubsampleRatio420:
		f = 2
	default:
		return nil
	}
	if s.Rect.Min.X%2 != 0 || s.Rect.Min.Y%2 != 0 {
		return nil // chroma samples would not line up with the luma's
	}
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), s.SubsampleRatio)
	sw, sh := s.Rect.Dx(), s.Rect.Dy()
	warpPlanes(dst.Y, dst.YStride, 1, s.Y[s.YOffset(s.Rect.Min.X, s.Rect.Min.Y):], s.YStride, sw, sh, m, w, h, 255)
	// A chroma sample covers f×f luma samples: in chroma coordinates
	// the map is m with its input scaled up by f and output down by f.
	mc := mat3{m[0], m[1], m[2] / f, m[3], m[4], m[5] / f, m[6] * f, m[7] * f, m[8]}
	cw, ch := (w+int(f)-1)/int(f), (h+int(f)-1)/int(f)
	scw, sch := (sw+int(f)-1)/int(f), (sh+int(f)-1)/int(f)
	co := s.COffset(s.Rect.Min.X, s.Rect.Min.Y)
	warpPlanes(dst.Cb, dst.CStride, 1, s.Cb[co:], s.CStride, scw, sch, mc, cw, ch, 128)
	warpPlanes(dst.Cr, dst.CStride, 1, s.Cr[co:], s.CStride, scw, sch, mc, cw, ch, 128)
	return dst
}

// warpPlanes resamples interleaved 8-bit samples, n per pixel (1 grey, 4
// RGBA; alpha is written opaque), with fill where the source has nothing
// (white paper; neutral for a chroma plane). It is the hot loop of Render: coordinates
// advance incrementally in 16.16 fixed point for affine maps, weights are
// 8-bit, and the bounds checks are done once per pixel.
func warpPlanes(dst []uint8, dstride, n int, src []uint8, sstride, sw, sh int, m mat3, w, h int, fill uint8) {
	if exactCopy(m) {
		copyPlanes(dst, dstride, n, src, sstride, sw, sh, m, w, h, fill)
		return
	}
	const one = 1 << 16
	aff := m.affine()
	for y := 0; y < h; y++ {
		row := dst[y*dstride : y*dstride+w*n]
		cy := float64(y) + 0.5
		// Fixed-point position of the first pixel of the row and the
		// step between pixels (affine case).
		fx := int64(math.Floor((m[0]*0.5+m[1]*cy+m[2]-0.5)*one + 0.5))
		fy := int64(math.Floor((m[3]*0.5+m[4]*cy+m[5]-0.5)*one + 0.5))
		dfx, dfy := int64(math.Round(m[0]*one)), int64(math.Round(m[3]*one))
		x := 0
		if aff && n == 1 {
			// The run of the row whose four neighbours are all inside
			// the source, without a test per pixel.
			xa, xb := interior(fx, dfx, sw, w)
			ya, yb := interior(fy, dfy, sh, w)
			xa, xb = max(xa, ya), min(xb, yb)
			if xa < xb {
				// Up to the run, the general loop below; then the run.
				for ; x < xa; x++ {
					row[x] = sample1(src, sstride, sw, sh, fx, fy, fill)
					fx += dfx
					fy += dfy
				}
				warpRun(row[xa:xb], src, sstride, fx, fy, dfx, dfy)
				fx += dfx * int64(xb-xa)
				fy += dfy * int64(xb-xa)
				x = xb
			}
		}
		for ; x < w; x++ {
			if !aff {
				p := m.apply(Point{float64(x) + 0.5, cy})
				fx = int64(math.Floor((p.X - 0.5) * one))
				fy = int64(math.Floor((p.Y - 0.5) * one))
				if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.Abs(p.X) > 1e9 || math.Abs(p.Y) > 1e9 {
					fx, fy = -4*one, -4*one
				}
			}
			x0, y0 := int(fx>>16), int(fy>>16)
			wx, wy := uint32(fx>>8)&0xff, uint32(fy>>8)&0xff
			o := x * n
			if x0 >= 0 && y0 >= 0 && x0+1 < sw && y0+1 < sh {
				s := y0*sstride + x0*n
				if n == 1 {
					// One plane (grey, or a JPEG's Y, Cb or Cr): the
					// common case, without the loop over samples.
					top := uint32(src[s])*(256-wx) + uint32(src[s+1])*wx
					bot := uint32(src[s+sstride])*(256-wx) + uint32(src[s+sstride+1])*wx
					row[o] = uint8((top*(256-wy) + bot*wy + 1<<15) >> 16)
					fx += dfx
					fy += dfy
					continue
				}
				for c := 0; c < n && c < 3; c++ {
					p00, p01 := uint32(src[s+c]), uint32(src[s+n+c])
					p10, p11 := uint32(src[s+sstride+c]), uint32(src[s+sstride+n+c])
					top := p00*(256-wx) + p01*wx
					bot := p10*(256-wx) + p11*wx
					row[o+c] = uint8((top*(256-wy) + bot*wy + 1<<15) >> 16)
				}
			} else if x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh {
				for c := 0; c < n && c < 3; c++ {
					row[o+c] = fill
				}
			} else {
				// On the image's edge: the missing neighbours are paper.
				for c := 0; c < n && c < 3; c++ {
					at := func(xx, yy int) uint32 {
						if xx < 0 || yy < 0 || xx >= sw || yy >= sh {
							return uint32(fill)
						}
						return uint32(src[yy*sstride+xx*n+c])
					}
					top := at(x0, y0)*(256-wx) + at(x0+1, y0)*wx
					bot := at(x0, y0+1)*(256-wx) + at(x0+1, y0+1)*wx
					row[o+c] = uint8((top*(256-wy) + bot*wy + 1<<15) >> 16)
				}
			}
			if n == 4 {
				row[o+3] = 255
			}
			fx += dfx
			fy += dfy
		}
	}
}

// interior gives the range [a, b) of x in [0, w) for which the 16.16
// position f+x·df has its integer part i with 0 ≤ i and i+1 < size.
func interior(f, df int64, size, w int) (a, b int) {
	lo, hi := int64(0), int64(size-1)<<16 // positions allowed: [lo, hi)
	if df == 0 {
		if f >= lo && f < hi {
			return 0, w
		}
		return 0, 0
	}
	// x ≥ (lo-f)/df and x < (hi-f)/df for df > 0; reversed for df < 0.
	ceilDiv := func(a, b int64) int64 {
		q := a / b
		if (a%b != 0) && ((a < 0) == (b < 0)) {
			q++
		}
		return q
	}
	var xa, xb int64
	if df > 0 {
		xa, xb = ceilDiv(lo-f, df), ceilDiv(hi-f, df)
	} else {
		xa, xb = ceilDiv(f-hi+1, -df), ceilDiv(f-lo+1, -df)
	}
	xa, xb = max(xa, 0), min(xb, int64(w))
	if xa >= xb {
		return 0, 0
	}
	return int(xa), int(xb)
}

// warpRun interpolates a run of one-sample pixels whose four neighbours
// are known to be inside src.
func warpRun(dst []uint8, src []uint8, stride int, fx, fy, dfx, dfy int64) {
	for i := range dst {
		s := int(fy>>16)*stride + int(fx>>16)
		wx, wy := uint32(fx>>8)&0xff, uint32(fy>>8)&0xff
		a, b := src[s:s+2], src[s+stride:s+stride+2]
		top := uint32(a[0])*(256-wx) + uint32(a[1])*wx
		bot := uint32(b[0])*(256-wx) + uint32(b[1])*wx
		dst[i] = uint8((top*(256-wy) + bot*wy + 1<<15) >> 16)
		fx += dfx
		fy += dfy
	}
}

// sample1 interpolates one-sample src at the 16.16 position (fx, fy),
// with fill beyond its edges.
func sample1(src []uint8, stride, sw, sh int, fx, fy int64, fill uint8) uint8 {
	x0, y0 := int(fx>>16), int(fy>>16)
	wx, wy := uint32(fx>>8)&0xff, uint32(fy>>8)&0xff
	at := func(xx, yy int) uint32 {
		if xx < 0 || yy < 0 || xx >= sw || yy >= sh {
			return uint32(fill)
		}
		return uint32(src[yy*stride+xx])
	}
	top := at(x0, y0)*(256-wx) + at(x0+1, y0)*wx
	bot := at(x0, y0+1)*(256-wx) + at(x0+1, y0+1)*wx
	return uint8((top*(256-wy) + bot*wy + 1<<15) >> 16)
}

// copyPlanes is warpPlanes for maps that move whole pixels.
func copyPlanes(dst []uint8, dstride, n int, src []uint8, sstride, sw, sh int, m mat3, w, h int, fill uint8) {
	dx, dy := int(math.Round(m[0])), int(math.Round(m[3]))
	for y := 0; y < h; y++ {
		row := dst[y*dstride : y*dstride+w*n]
		p := m.apply(Point{0.5, float64(y) + 0.5})
		sx, sy := int(math.Floor(p.X)), int(math.Floor(p.Y))
		if dx == 1 && dy == 0 {
			// A crop: whole runs of the row at once.
			x0, x1 := max(0, -sx), min(w, sw-sx)
			if sy < 0 || sy >= sh || x0 >= x1 {
				x0, x1 = w, w
			} else {
				copy(row[x0*n:x1*n], src[sy*sstride+(sx+x0)*n:])
			}
			for i := 0; i < x0*n; i++ {
				row[i] = fill
			}
			for i := x1 * n; i < len(row); i++ {
				row[i] = fill
			}
			continue
		}
		for x := 0; x < w; x++ {
			o := x * n
			if sx >= 0 && sy >= 0 && sx < sw && sy < sh {
				copy(row[o:o+n], src[sy*sstride+sx*n:])
			} else {
				for c := 0; c < n; c++ {
					row[o+c] = fill
				}
			}
			sx += dx
			sy += dy
		}
	}
}
