package testenv

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// Photograph fakes a phone photo of a page: the page seen in perspective
// with its corners (top left, top right, bottom right, bottom left) at the
// given points of a w×h picture, on a darker textured table, under light
// that falls from 100% at the bottom right to 60% at the top left, with
// sensor noise. The perspective is computed here from the closed-form
// square-to-quadrilateral map (Heckbert), independently of the code under
// test.
func Photograph(page image.Image, corners [4][2]float64, w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	m := squareToQuad(corners)
	inv := invert3(m)
	pb := page.Bounds()
	pw, ph := float64(pb.Dx()), float64(pb.Dy())
	sample := func(x, y float64) (r, g, b float64, ok bool) {
		if x < 0 || y < 0 || x >= pw || y >= ph {
			return 0, 0, 0, false
		}
		if g, ok := page.(*image.Gray); ok {
			v := float64(g.Pix[g.PixOffset(pb.Min.X+int(x), pb.Min.Y+int(y))])
			return v, v, v, true
		}
		c := color.RGBAModel.Convert(page.At(pb.Min.X+int(x), pb.Min.Y+int(y))).(color.RGBA)
		return float64(c.R), float64(c.G), float64(c.B), true
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Four samples per pixel: the page's edge comes out smooth.
			var r, g, b float64
			for _, o := range [4][2]float64{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}} {
				px, py := float64(x)+o[0], float64(y)+o[1]
				d := inv[6]*px + inv[7]*py + inv[8]
				u, v := (inv[0]*px+inv[1]*py+inv[2])/d, (inv[3]*px+inv[4]*py+inv[5])/d
				if sr, sg, sb, ok := sample(u*pw, v*ph); ok {
					r, g, b = r+sr, g+sg, b+sb
				} else {
					// A brown table with a slow grain.
					t := 70 + 12*math.Sin(float64(y)/23+float64(x)/300)
					r, g, b = r+t*1.1, g+t*0.85, b+t*0.6
				}
			}
			light := 0.6 + 0.4*(float64(x)/float64(w)+float64(y)/float64(h))/2
			i := out.PixOffset(x, y)
			for c, v := range [3]float64{r, g, b} {
				out.Pix[i+c] = uint8(max(0, min(255, math.Round(v/4*light+rng.NormFloat64()*3))))
			}
			out.Pix[i+3] = 255
		}
	}
	return out
}

// squareToQuad maps the unit square onto the quadrilateral q (corners of
// (0,0), (1,0), (1,1), (0,1) in order), as a 3×3 matrix, row-major.
func squareToQuad(q [4][2]float64) [9]float64 {
	x0, y0, x1, y1, x2, y2, x3, y3 := q[0][0], q[0][1], q[1][0], q[1][1], q[2][0], q[2][1], q[3][0], q[3][1]
	sx, sy := x0-x1+x2-x3, y0-y1+y2-y3
	dx1, dx2, dy1, dy2 := x1-x2, x3-x2, y1-y2, y3-y2
	det := dx1*dy2 - dx2*dy1
	g := (sx*dy2 - dx2*sy) / det
	h := (dx1*sy - sx*dy1) / det
	return [9]float64{
		x1 - x0 + g*x1, x3 - x0 + h*x3, x0,
		y1 - y0 + g*y1, y3 - y0 + h*y3, y0,
		g, h, 1,
	}
}

// invert3 inverts a 3×3 matrix by its adjugate.
func invert3(m [9]float64) [9]float64 {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	return [9]float64{
		(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det,
	}
}

// Camera gives where the corners of an A4 sheet (top left, top right,
// bottom right, bottom left) appear in a w×h phone photo: a camera of
// focal length 0.8·max(w, h) pixels, its axis through the photo's middle,
// sees the sheet fill four fifths of the photo's height when square on;
// the sheet is turned by roll degrees in its plane and tilted by tiltX and
// tiltY degrees about the photo's axes.
func Camera(tiltX, tiltY, roll float64, w, h int) [4][2]float64 {
	rad := math.Pi / 180
	f := 0.8 * float64(max(w, h))
	dist := f * 297 / (0.8 * float64(h))
	var c [4][2]float64
	for i, p := range [4][2]float64{{-105, -148.5}, {105, -148.5}, {105, 148.5}, {-105, 148.5}} {
		x, y, z := p[0], p[1], 0.0
		x, y = x*math.Cos(roll*rad)-y*math.Sin(roll*rad), x*math.Sin(roll*rad)+y*math.Cos(roll*rad)
		y, z = y*math.Cos(tiltX*rad)-z*math.Sin(tiltX*rad), y*math.Sin(tiltX*rad)+z*math.Cos(tiltX*rad)
		x, z = x*math.Cos(tiltY*rad)+z*math.Sin(tiltY*rad), -x*math.Sin(tiltY*rad)+z*math.Cos(tiltY*rad)
		z += dist
		c[i] = [2]float64{float64(w)/2 + f*x/z, float64(h)/2 + f*y/z}
	}
	return c
}
