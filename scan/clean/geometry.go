package clean

import (
	"image"
	"math"
)

// Point is a position in image pixels. Pixel (x, y) covers the square from
// (x, y) to (x+1, y+1), so its centre is at (x+0.5, y+0.5); corners found
// on the sheet's edges fall between pixel centres.
type Point struct {
	X, Y float64
}

// mat3 is a projective transform, row-major, acting on (x, y, 1). Render
// and Auto keep transforms that map a point of an output image to the
// point of its input it is drawn from.
type mat3 [9]float64

var identity = mat3{1, 0, 0, 0, 1, 0, 0, 0, 1}

func (m mat3) apply(p Point) Point {
	w := m[6]*p.X + m[7]*p.Y + m[8]
	return Point{(m[0]*p.X + m[1]*p.Y + m[2]) / w, (m[3]*p.X + m[4]*p.Y + m[5]) / w}
}

// mul gives m·n: apply n first, then m.
func (m mat3) mul(n mat3) mat3 {
	var r mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[3*i+j] = m[3*i]*n[j] + m[3*i+1]*n[3+j] + m[3*i+2]*n[6+j]
		}
	}
	return r
}

func (m mat3) inverse() (mat3, bool) {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	A, B, C := e*i-f*h, -(d*i - f*g), d*h-e*g
	det := a*A + b*B + c*C
	if det == 0 || math.IsNaN(det) {
		return mat3{}, false
	}
	r := mat3{A, -(b*i - c*h), b*f - c*e, B, a*i - c*g, -(a*f - c*d), C, -(a*h - b*g), a*e - b*d}
	for k := range r {
		r[k] /= det
	}
	return r, true
}

func (m mat3) affine() bool { return m[6] == 0 && m[7] == 0 && m[8] == 1 }

func translate(dx, dy float64) mat3 { return mat3{1, 0, dx, 0, 1, dy, 0, 0, 1} }

func scaling(s float64) mat3 { return mat3{s, 0, 0, 0, s, 0, 0, 0, 1} }

// rotation turns points by deg degrees, counter-clockwise as seen on
// screen (y grows downwards), about the origin.
func rotation(deg float64) mat3 {
	s, c := math.Sincos(deg * math.Pi / 180)
	return mat3{c, s, 0, -s, c, 0, 0, 0, 1}
}

// homography gives the transform that maps src[i] to dst[i], or false when
// three of the points are on one line.
func homography(src, dst [4]Point) (mat3, bool) {
	// Eight equations in the eight unknowns h0…h7 (h8 = 1), solved by
	// Gaussian elimination with partial pivoting.
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := src[i].X, src[i].Y, dst[i].X, dst[i].Y
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for col := 0; col < 8; col++ {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12 {
			return mat3{}, false
		}
		a[col], a[p] = a[p], a[col]
		for r := 0; r < 8; r++ {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for k := col; k < 9; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var m mat3
	for i := 0; i < 8; i++ {
		m[i] = a[i][8] / a[i][i]
	}
	m[8] = 1
	return m, true
}

// quarterTurns gives the transform from a point of an image turned k
// quarter turns clockwise back to the w×h image it came from.
func quarterTurns(k, w, h int) mat3 {
	W, H := float64(w), float64(h)
	switch k & 3 {
	case 1: // out (x, y) shows in (y, h−x)
		return mat3{0, 1, 0, -1, 0, H, 0, 0, 1}
	case 2:
		return mat3{-1, 0, W, 0, -1, H, 0, 0, 1}
	case 3:
		return mat3{0, -1, W, 1, 0, 0, 0, 0, 1}
	}
	return identity
}

// exactCopy reports whether m moves whole pixels only (quarter turns,
// mirrors and integer shifts): such edits copy pixels instead of
// interpolating them, so a bi-level scan stays bi-level.
func exactCopy(m mat3) bool {
	if !m.affine() {
		return false
	}
	for _, v := range m[:6] {
		if math.Abs(v-math.Round(v)) > 1e-9 {
			return false
		}
	}
	return (m[0] == 0) != (m[1] == 0) && (m[3] == 0) != (m[4] == 0)
}

// bounds gives the smallest rectangle of whole pixels holding r's points
// once mapped through m.
func (m mat3) bounds(r image.Rectangle) (x0, y0, x1, y1 float64) {
	x0, y0, x1, y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range []Point{{float64(r.Min.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Max.Y)}, {float64(r.Min.X), float64(r.Max.Y)}} {
		q := m.apply(p)
		x0, y0, x1, y1 = math.Min(x0, q.X), math.Min(y0, q.Y), math.Max(x1, q.X), math.Max(y1, q.Y)
	}
	return
}
