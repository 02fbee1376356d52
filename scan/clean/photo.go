package clean

import (
	"image"
	"image/color"
	"math"
	"slices"
)

// FindSheet finds the corners of a sheet of paper photographed on a darker
// background: top left, top right, bottom right, bottom left as the photo
// shows them, in img's pixels. ok is false when no sheet stands out (a
// scan, a sheet that leaves the frame, a white table).
//
// The sheet is the largest bright region (Otsu's threshold on a reduced
// copy); the quadrilateral of largest area on its convex hull gives rough
// corners; each side is then fitted as a straight line through the
// region's outline and through the edge located to a pixel in the full
// image along the side's normal, and the corners are where the lines meet.
func FindSheet(img image.Image) (corners [4]Point, ok bool) {
	b := img.Bounds()
	p := reduce(img, reductionFor(b, 0))
	c, ok := p.findSheet()
	if !ok {
		return corners, false
	}
	for i := range c {
		c[i] = Point{c[i].X * p.scale, c[i].Y * p.scale}
	}
	c = refineSheet(img, c, p.scale)
	for i := range c {
		c[i].X += float64(b.Min.X)
		c[i].Y += float64(b.Min.Y)
	}
	return c, true
}

// findSheet gives the sheet's corners in analysis pixels.
func (p *page) findSheet() ([4]Point, bool) {
	w, h := p.w, p.h
	hist := histogram(p.mean, w, image.Rect(0, 0, w, h))
	t := otsu(&hist)
	bright := make([]bool, w*h)
	for i, v := range p.mean {
		bright[i] = v >= t
	}
	labels, blobs := label(w, h, bright)
	if len(blobs) == 0 {
		return [4]Point{}, false
	}
	best := 0
	for i, b := range blobs {
		if b.area > blobs[best].area {
			best = i
		}
	}
	sheet := blobs[best]
	// The sheet fills a good part of the photo and leaves background
	// showing around it.
	if sheet.area < w*h*15/100 || sheet.box.Dx() > w-2 && sheet.box.Dy() > h-2 {
		return [4]Point{}, false
	}
	// Outline: the first and last sheet pixel of every row and column,
	// taken at the pixel's outer edge.
	id := int32(best + 1)
	var outline []Point
	for y := sheet.box.Min.Y; y < sheet.box.Max.Y; y++ {
		row := labels[y*w : (y+1)*w]
		l, r := -1, -1
		for x := sheet.box.Min.X; x < sheet.box.Max.X; x++ {
			if row[x] == id {
				if l < 0 {
					l = x
				}
				r = x
			}
		}
		if l >= 0 {
			outline = append(outline, Point{float64(l), float64(y) + 0.5}, Point{float64(r + 1), float64(y) + 0.5})
		}
	}
	for x := sheet.box.Min.X; x < sheet.box.Max.X; x++ {
		tp, bt := -1, -1
		for y := sheet.box.Min.Y; y < sheet.box.Max.Y; y++ {
			if labels[y*w+x] == id {
				if tp < 0 {
					tp = y
				}
				bt = y
			}
		}
		if tp >= 0 {
			outline = append(outline, Point{float64(x) + 0.5, float64(tp)}, Point{float64(x) + 0.5, float64(bt + 1)})
		}
	}
	hull := convexHull(outline)
	if len(hull) < 4 {
		return [4]Point{}, false
	}
	q := maxQuad(hull)
	// A sheet fills most of its hull; a blob of another shape (light
	// through a window, a bright table top) does not make a quadrilateral.
	if area := polyArea(q[:]); area < 0.85*polyArea(hull) || area < float64(w*h)*0.1 {
		return [4]Point{}, false
	}
	// Refit each side through the outline points near it, away from the
	// corners (a dog-ear or a rounded corner bends them).
	var lines [4]line
	for i := 0; i < 4; i++ {
		a, b := q[i], q[(i+1)%4]
		lines[i] = fitNear(outline, a, b, 2.5)
	}
	c, ok := intersectAll(lines, q)
	if !ok {
		return [4]Point{}, false
	}
	return orderCorners(c), true
}

// line is a·x + b·y = c with (a, b) a unit normal.
type line struct{ a, b, c float64 }

// fitNear fits a line (total least squares) through the points within d
// of the segment ab, leaving out its first and last tenth; with too few
// points it gives the line through a and b.
func fitNear(pts []Point, a, b Point, d float64) line {
	dx, dy := b.X-a.X, b.Y-a.Y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return line{}
	}
	ux, uy := dx/l, dy/l
	var sel []Point
	for _, p := range pts {
		t := (p.X-a.X)*ux + (p.Y-a.Y)*uy
		n := -(p.X-a.X)*uy + (p.Y-a.Y)*ux
		if t > 0.1*l && t < 0.9*l && math.Abs(n) <= d {
			sel = append(sel, p)
		}
	}
	if len(sel) < 5 {
		return line{-uy, ux, -uy*a.X + ux*a.Y}
	}
	return fitLine(sel)
}

// fitLine fits a line through points by total least squares.
func fitLine(pts []Point) line {
	var mx, my float64
	for _, p := range pts {
		mx += p.X
		my += p.Y
	}
	n := float64(len(pts))
	mx, my = mx/n, my/n
	var sxx, sxy, syy float64
	for _, p := range pts {
		dx, dy := p.X-mx, p.Y-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	// The normal is the eigenvector of the smaller eigenvalue.
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy) // direction of the line
	a, b := -math.Sin(theta), math.Cos(theta)
	return line{a, b, a*mx + b*my}
}

func (l line) meet(m line) (Point, bool) {
	det := l.a*m.b - l.b*m.a
	if math.Abs(det) < 1e-9 {
		return Point{}, false
	}
	return Point{(l.c*m.b - l.b*m.c) / det, (l.a*m.c - l.c*m.a) / det}, true
}

// intersectAll gives the corners where consecutive sides meet; corner i
// is between side i-1 and side i. A corner that moves far from its rough
// position means a bad fit: the rough one is kept.
func intersectAll(lines [4]line, rough [4]Point) ([4]Point, bool) {
	var c [4]Point
	for i := 0; i < 4; i++ {
		p, ok := lines[(i+3)%4].meet(lines[i])
		if !ok {
			return rough, false
		}
		side := math.Hypot(rough[i].X-rough[(i+1)%4].X, rough[i].Y-rough[(i+1)%4].Y)
		if math.Hypot(p.X-rough[i].X, p.Y-rough[i].Y) > 0.1*side {
			p = rough[i]
		}
		c[i] = p
	}
	return c, true
}

// orderCorners puts the corners in the order top left, top right, bottom
// right, bottom left: clockwise on screen, starting from the one nearest
// the top left of the picture.
func orderCorners(c [4]Point) [4]Point {
	var cx, cy float64
	for _, p := range c {
		cx += p.X / 4
		cy += p.Y / 4
	}
	s := c[:]
	slices.SortFunc(s, func(a, b Point) int {
		return cmpFloat(math.Atan2(a.Y-cy, a.X-cx), math.Atan2(b.Y-cy, b.X-cx))
	})
	first := 0
	for i, p := range s {
		if p.X+p.Y < s[first].X+s[first].Y {
			first = i
		}
	}
	var out [4]Point
	for i := range out {
		out[i] = s[(first+i)%4]
	}
	return out
}

// convexHull gives the convex hull of pts (Andrew's monotone chain),
// counter-clockwise in the usual axes.
func convexHull(pts []Point) []Point {
	ps := slices.Clone(pts)
	slices.SortFunc(ps, func(a, b Point) int {
		if c := cmpFloat(a.X, b.X); c != 0 {
			return c
		}
		return cmpFloat(a.Y, b.Y)
	})
	ps = slices.Compact(ps)
	if len(ps) < 3 {
		return ps
	}
	cross := func(o, a, b Point) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }
	var hull []Point
	for _, p := range ps {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	lower := len(hull) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		p := ps[i]
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	return hull[:len(hull)-1]
}

func triArea(a, b, c Point) float64 {
	return math.Abs((b.X-a.X)*(c.Y-a.Y)-(b.Y-a.Y)*(c.X-a.X)) / 2
}

func polyArea(ps []Point) float64 {
	var s float64
	for i := range ps {
		j := (i + 1) % len(ps)
		s += ps[i].X*ps[j].Y - ps[j].X*ps[i].Y
	}
	return math.Abs(s) / 2
}

// maxQuad gives the largest quadrilateral with corners on a convex
// polygon's vertices: for each diagonal (i, k) the best third and fourth
// corners on either side are found by pointers that only move forward,
// since the triangle's area is unimodal along a convex chain.
func maxQuad(hull []Point) [4]Point {
	n := len(hull)
	at := func(i int) Point { return hull[i%n] }
	var best [4]Point
	bestA := -1.0
	for i := 0; i < n; i++ {
		j := i + 1
		l := i + 3
		for k := i + 2; k < i+n-1; k++ {
			if j <= i || j >= k {
				j = i + 1
			}
			for j+1 < k && triArea(at(i), at(j+1), at(k)) >= triArea(at(i), at(j), at(k)) {
				j++
			}
			if l <= k {
				l = k + 1
			}
			for l+1 < i+n && triArea(at(k), at(l+1), at(i)) >= triArea(at(k), at(l), at(i)) {
				l++
			}
			if a := triArea(at(i), at(j), at(k)) + triArea(at(k), at(l), at(i)); a > bestA {
				bestA, best = a, [4]Point{at(i), at(j), at(k), at(l)}
			}
		}
	}
	return best
}

// refineSheet moves each side of the sheet onto its edge in the full
// image: along the side, the point where the brightness crosses halfway
// between the sheet and the background is found on the normal to a tenth
// of a pixel, and a line is fitted through those points.
func refineSheet(img image.Image, c [4]Point, scale float64) [4]Point {
	lum := lumaAt(img)
	reach := 2*scale + 2
	var lines [4]line
	for i := 0; i < 4; i++ {
		a, b := c[i], c[(i+1)%4]
		dx, dy := b.X-a.X, b.Y-a.Y
		l := math.Hypot(dx, dy)
		ux, uy := dx/l, dy/l
		// Clockwise corners: the sheet is to the right of a→b on screen,
		// that is along (−uy, ux).
		nx, ny := -uy, ux
		var pts []Point
		const samples = 40
		for s := 0; s < samples; s++ {
			t := l * (0.1 + 0.8*float64(s)/(samples-1))
			px, py := a.X+ux*t, a.Y+uy*t
			in := lum(px+nx*(reach+2*scale), py+ny*(reach+2*scale))
			out := lum(px-nx*(reach+2*scale), py-ny*(reach+2*scale))
			if in-out < 20 {
				continue
			}
			mid := (in + out) / 2
			prev := lum(px-nx*reach, py-ny*reach)
			for d := -reach + 0.1; d <= reach; d += 0.1 {
				v := lum(px+nx*d, py+ny*d)
				if prev < mid && v >= mid {
					f := (mid - prev) / (v - prev)
					e := d - 0.1 + 0.1*f
					pts = append(pts, Point{px + nx*e, py + ny*e})
					break
				}
				prev = v
			}
		}
		if len(pts) < samples/3 {
			return c
		}
		lines[i] = fitLine(pts)
	}
	r, ok := intersectAll(lines, c)
	if !ok {
		return c
	}
	return r
}

// lumaAt gives a bilinear sampler of img's luminance at real positions
// relative to img's top left corner (pixel centres at +0.5).
func lumaAt(img image.Image) func(x, y float64) float64 {
	b := img.Bounds()
	px := func(x, y int) float64 {
		x = max(0, min(b.Dx()-1, x))
		y = max(0, min(b.Dy()-1, y))
		switch m := img.(type) {
		case *image.Gray:
			return float64(m.Pix[m.PixOffset(b.Min.X+x, b.Min.Y+y)])
		case *image.YCbCr:
			return float64(m.Y[m.YOffset(b.Min.X+x, b.Min.Y+y)])
		}
		return float64(color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y)
	}
	return func(x, y float64) float64 {
		x, y = x-0.5, y-0.5
		x0, y0 := math.Floor(x), math.Floor(y)
		fx, fy := x-x0, y-y0
		ix, iy := int(x0), int(y0)
		return (px(ix, iy)*(1-fx)+px(ix+1, iy)*fx)*(1-fy) + (px(ix, iy+1)*(1-fx)+px(ix+1, iy+1)*fx)*fy
	}
}

// insetQuad moves each side of a quadrilateral d pixels inwards.
func insetQuad(c [4]Point, d float64) [4]Point {
	var lines [4]line
	for i := 0; i < 4; i++ {
		a, b := c[i], c[(i+1)%4]
		l := math.Hypot(b.X-a.X, b.Y-a.Y)
		if l == 0 {
			return c
		}
		// Inwards is to the right of a→b on screen (clockwise corners).
		nx, ny := -(b.Y-a.Y)/l, (b.X-a.X)/l
		lines[i] = line{nx, ny, nx*(a.X+nx*d) + ny*(a.Y+ny*d)}
	}
	r, ok := intersectAll(lines, c)
	if !ok {
		return c
	}
	return r
}

// Paper sizes a photographed sheet is recognised as, by its proportions.
var paperSizes = []struct {
	name string
	w, h float64 // inches
}{
	{"A4", 210 / 25.4, 297 / 25.4},
	{"Letter", 8.5, 11},
}

// sheetSize gives the size to flatten a sheet with these corners to and
// the resulting resolution: a known paper size at dpi when the sheet's
// proportions are within 5% of it, else its measured size in the photo's
// pixels at the photo's resolution (0 when unknown). w and h are the
// photo's size, whose centre is taken for the camera's axis.
func sheetSize(c [4]Point, w, h int, dpi, photoDPI float64) (image.Point, float64) {
	m := quadSize(c)
	if m.X <= 0 || m.Y <= 0 {
		return m, photoDPI
	}
	aspect, ok := sheetAspect(c, float64(w)/2, float64(h)/2)
	if !ok {
		aspect = float64(m.X) / float64(m.Y)
	}
	ratio := math.Max(aspect, 1/aspect)
	for _, s := range paperSizes {
		if math.Abs(ratio/(s.h/s.w)-1) < 0.05 {
			pw, ph := int(math.Round(s.w*dpi)), int(math.Round(s.h*dpi))
			if aspect > 1 {
				pw, ph = ph, pw
			}
			return image.Pt(pw, ph), dpi
		}
	}
	// Keep the measured area, with the proportions the camera model gives.
	area := float64(m.X) * float64(m.Y)
	return image.Pt(int(math.Round(math.Sqrt(area*aspect))), int(math.Round(math.Sqrt(area/aspect)))), photoDPI
}

// sheetAspect recovers the width-to-height ratio of the rectangle a
// photographed quadrilateral shows, which perspective distorts: the
// quadrilateral fixes the camera's focal length (taking square pixels and
// the axis through the photo's centre u0, v0), and with it the true ratio
// (Zhang and He, "Whiteboard scanning and image enhancement", 2007). ok is
// false when the photo was taken square on (no focal length to find: the
// side lengths are then right) or the corners fit no camera.
func sheetAspect(c [4]Point, u0, v0 float64) (float64, bool) {
	// m1…m4: top left, top right, bottom left, bottom right.
	hom := func(p Point) [3]float64 { return [3]float64{p.X, p.Y, 1} }
	m1, m2, m3, m4 := hom(c[0]), hom(c[1]), hom(c[3]), hom(c[2])
	cross := func(a, b [3]float64) [3]float64 {
		return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
	}
	dot := func(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
	k2 := dot(cross(m1, m4), m3) / dot(cross(m2, m4), m3)
	k3 := dot(cross(m1, m4), m2) / dot(cross(m3, m4), m2)
	var n2, n3 [3]float64
	for i := range n2 {
		n2[i] = k2*m2[i] - m1[i]
		n3[i] = k3*m3[i] - m1[i]
	}
	if math.Abs(n2[2]*n3[2]) < 1e-9 {
		return 0, false
	}
	f2 := -((n2[0]*n3[0] - (n2[0]*n3[2]+n2[2]*n3[0])*u0 + n2[2]*n3[2]*u0*u0) +
		(n2[1]*n3[1] - (n2[1]*n3[2]+n2[2]*n3[1])*v0 + n2[2]*n3[2]*v0*v0)) / (n2[2] * n3[2])
	if !(f2 > 0) {
		return 0, false
	}
	// |A⁻¹·n|² with A the camera matrix (f, u0, v0).
	norm := func(n [3]float64) float64 {
		x := (n[0] - u0*n[2]) / math.Sqrt(f2)
		y := (n[1] - v0*n[2]) / math.Sqrt(f2)
		return x*x + y*y + n[2]*n[2]
	}
	a := math.Sqrt(norm(n2) / norm(n3))
	if math.IsNaN(a) || a <= 0 {
		return 0, false
	}
	return a, true
}
