package clean

import (
	"image"
	"math"
	"slices"
)

// borders is what findBorders sees around and on the page, in analysis
// pixels.
type borders struct {
	// mask marks the scanner background: dark, solid and attached to the
	// image's edge.
	mask []bool
	// crop is the page without the background, and never closer to the
	// content than cropMargin.
	crop image.Rectangle
	// content is the bounding box of the print (empty on a blank page).
	content image.Rectangle
	// holes are punch holes: dark discs near the page's edge.
	holes []image.Rectangle
	// paper is the paper's grey level, dark the level below which a pixel
	// may belong to the background.
	paper, dark uint8
}

// Lengths in millimetres, converted to pixels at the page's resolution.
const (
	// solidMM: the background is dark over squares this wide; print is
	// not (the stem of a bold 24-point letter is about 1.2 mm).
	solidMM = 2.0
	// cropMarginMM is the least paper kept around the print.
	cropMarginMM = 2.0
	// minBlobMM: marks smaller than this are dust and scanner noise, not
	// print (the smallest digit in a page number is about 2 mm high).
	minBlobMM = 1.2
	// enclosedMM2: a dark region attached to the edge that encloses more
	// light area than this holds white print (a title bar, a photo that
	// bleeds off the page), so it is content, not scanner background.
	enclosedMM2 = 30
)

func mmToPx(mm, dpi float64) int { return max(1, int(math.Round(mm*dpi/25.4))) }

// Border finds the dark scanner background around a page (the glass or
// lid outside a sheet, the black backing of a document feeder) and gives
// the rectangle to crop to, in img's coordinates, and the punch holes
// inside it (relative to the crop's corner), for a Crop and a Fill edit.
// The crop never comes closer than 2 mm to anything printed. dpi is img's
// resolution (0 if unknown).
func Border(img image.Image, dpi float64) (crop image.Rectangle, holes []image.Rectangle) {
	b := img.Bounds()
	p := reduce(img, reductionFor(b, dpi))
	if dpi <= 0 {
		dpi = 300
	}
	bd := p.findBorders(dpi)
	crop = p.toFull(bd.crop, b.Dx(), b.Dy())
	for _, h := range bd.holes {
		holes = append(holes, p.toFull(h, b.Dx(), b.Dy()).Sub(crop.Min))
	}
	return crop.Add(b.Min), holes
}

// toFull scales a rectangle of analysis pixels to the full w×h image,
// outwards.
func (p *page) toFull(r image.Rectangle, w, h int) image.Rectangle {
	s := p.scale
	return image.Rect(
		int(math.Floor(float64(r.Min.X)*s)), int(math.Floor(float64(r.Min.Y)*s)),
		int(math.Ceil(float64(r.Max.X)*s)), int(math.Ceil(float64(r.Max.Y)*s)),
	).Intersect(image.Rect(0, 0, w, h))
}

// findBorders finds the scanner background, the crop, the print and the
// punch holes. fullDPI is the resolution of the full image.
func (p *page) findBorders(fullDPI float64) borders {
	w, h := p.w, p.h
	all := image.Rect(0, 0, w, h)
	dpi := p.dpi(fullDPI)
	hist := histogram(p.mean, w, all)
	paper := paperLevel(&hist)
	// Background is at least a sixth darker than the paper: a grey lid
	// (~180) under white paper (~245), never the paper's own texture.
	dt := paper - max(24, paper/6)
	bd := borders{mask: make([]bool, w*h), paper: paper, dark: dt}
	dark := make([]bool, w*h)
	for i, v := range p.mean {
		dark[i] = v < dt
	}

	// Solid dark squares attached to the edge seed the background.
	r := max(1, mmToPx(solidMM, dpi)/2)
	ds := newBoxSum(w, h, dark)
	solid := make([]bool, w*h)
	full := (2*r + 1) * (2*r + 1)
	for y := 0; y < h; y++ {
		edgeRow := y < r || y >= h-r
		for x := 0; x < w; x++ {
			if dark[y*w+x] {
				box := image.Rect(x-r, y-r, x+r+1, y+r+1)
				outside := 0
				if edgeRow || x < r || x >= w-r {
					// Beyond the image counts as dark: the background
					// goes on past the scan's edge.
					in := box.Intersect(all)
					outside = full - in.Dx()*in.Dy()
				}
				solid[y*w+x] = ds.count(box)+outside >= full*9/10
			}
		}
	}
	slabels, sblobs := label(w, h, solid)
	seed := make([]bool, w*h)
	seeded := false
	for i, l := range slabels {
		if l != 0 && sblobs[l-1].edge {
			seed[i] = true
			seeded = true
		}
	}
	if seeded {
		// Grow the seeds back over the dark pixels at their rim (what the
		// squares missed), no further than the squares' half width, so
		// that print touching the background is not swallowed.
		grown := geodesicDilate(w, h, seed, dark, r+1)
		// Along the image's edge the background may thin out to
		// nothing (the wedge a crooked sheet leaves): follow it there.
		s := 2*r + 1
		edgeDark := make([]bool, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				edgeDark[y*w+x] = dark[y*w+x] && (x < s || y < s || x >= w-s || y >= h-s)
			}
		}
		grown = geodesicDilate(w, h, grown, edgeDark, w+h)
		grown = geodesicDilate(w, h, grown, dark, r+1)
		glabels, gblobs := label(w, h, grown)
		enclosed := enclosedLight(w, h, dark, glabels, len(gblobs))
		lim := int(enclosedMM2 / p.mm2(fullDPI))
		for i, l := range glabels {
			if l != 0 && enclosed[l-1] <= lim {
				bd.mask[i] = true
			}
		}
	}

	bd.crop = shrinkBorder(w, h, bd.mask)

	// Print: what is darker than the paper (by Otsu's threshold, or by
	// the blank test's contrast on the dark plane, which keeps faint and
	// thin strokes) or coloured, away from the background's rim, in
	// marks big enough not to be dust; punch holes are set apart.
	t, ok := p.inkThreshold(bd.mask)
	if !ok {
		return bd
	}
	// The rim of the background, and the image's own edge where the
	// background thins out, hold its blurred remains, not print.
	rim := dilate(w, h, bd.mask, 3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < 3 || y < 3 || x >= w-3 || y >= h-3 {
				rim[y*w+x] = true
			}
		}
	}
	pcb, pcr := p.paperChroma(bd.mask, paper)
	ink := make([]bool, w*h)
	for i, v := range p.mean {
		ink[i] = !rim[i] && (v < t || p.isPrint(i, int(paper), pcb, pcr))
	}
	_, blobs := label(w, h, ink)
	inkSum := newBoxSum(w, h, ink)
	minExt := mmToPx(minBlobMM, dpi)
	first := true
	for _, b := range blobs {
		if b.extent() < minExt {
			continue
		}
		if isHole(b, bd.crop, inkSum, dpi) {
			bd.holes = append(bd.holes, b.box.Inset(-1).Intersect(all))
			continue
		}
		if first {
			bd.content, first = b.box, false
		} else {
			bd.content = bd.content.Union(b.box)
		}
	}
	bd.crop = keepContent(bd.crop, bd.content, w, h, dpi)
	return bd
}

// keepContent widens crop so that it comes no closer than cropMarginMM to
// the print's box content, within the w×h page.
func keepContent(crop, content image.Rectangle, w, h int, dpi float64) image.Rectangle {
	if content.Empty() {
		return crop
	}
	keep := content.Inset(-mmToPx(cropMarginMM, dpi))
	return image.Rect(min(crop.Min.X, keep.Min.X), min(crop.Min.Y, keep.Min.Y),
		max(crop.Max.X, keep.Max.X), max(crop.Max.Y, keep.Max.Y)).Intersect(image.Rect(0, 0, w, h))
}

// straightened carries the borders found on a crooked page over to the
// page a Deskew edit makes of it: em maps the straightened full-size page
// back to the crooked one. The background mask is resampled (what the
// turn brings in at the corners is white paper, not background), and the
// print and the punch holes are moved by their corners, which can only
// widen their boxes: the crop stays clear of the print. A deskew turns by
// a few degrees: finding the borders again on a re-rendered page cost a
// third of a page's analysis for the same answer.
func (p *page) straightened(bd borders, em mat3, fullDPI float64) borders {
	w, h := p.w, p.h
	am := scaling(1 / p.scale).mul(em).mul(scaling(p.scale))
	inv, ok := am.inverse()
	if !ok {
		return bd
	}
	out := borders{mask: make([]bool, w*h), paper: bd.paper, dark: bd.dark}
	if slices.Contains(bd.mask, true) {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				q := am.apply(Point{float64(x) + 0.5, float64(y) + 0.5})
				sx, sy := int(math.Floor(q.X)), int(math.Floor(q.Y))
				if sx >= 0 && sy >= 0 && sx < w && sy < h {
					out.mask[y*w+x] = bd.mask[sy*w+sx]
				}
			}
		}
	}
	all := image.Rect(0, 0, w, h)
	move := func(r image.Rectangle) image.Rectangle {
		x0, y0, x1, y1 := inv.bounds(r)
		return image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(all)
	}
	if !bd.content.Empty() {
		out.content = move(bd.content)
	}
	for _, r := range bd.holes {
		out.holes = append(out.holes, move(r))
	}
	out.crop = keepContent(shrinkBorder(w, h, out.mask), out.content, w, h, p.dpi(fullDPI))
	return out
}

// isHole tells a punch hole: a round filled disc 4.5–8.5 mm across (ISO
// 838 holes are 6 mm) alone on the paper, its centre within 25 mm of the
// page's edge. Bold letters of a title are as dark and as big, but they
// are less round and never alone: the 3 mm around a hole hold no print.
func isHole(b blob, page image.Rectangle, ink *boxSum, dpi float64) bool {
	dx, dy := b.box.Dx(), b.box.Dy()
	d := float64(dx+dy) / 2 * 25.4 / dpi
	if d < 4.5 || d > 8.5 || float64(max(dx, dy)) > 1.2*float64(min(dx, dy)) {
		return false
	}
	// A disc fills π/4 of its box.
	if fill := float64(b.area) / float64(dx*dy); fill < 0.7 || fill > 0.88 {
		return false
	}
	ring := b.box.Inset(-mmToPx(3, dpi))
	if around := ink.count(ring) - ink.count(b.box); around > ring.Dx()*ring.Dy()/100 {
		return false
	}
	c := b.box.Min.Add(b.box.Max).Div(2)
	near := mmToPx(25, dpi)
	return c.X-page.Min.X < near || page.Max.X-c.X < near || c.Y-page.Min.Y < near || page.Max.Y-c.Y < near
}

// dilate grows a mask by n pixels (a square): along the rows, then down
// the columns, each pixel marked when a marked one lies within n.
func dilate(w, h int, in []bool, n int) []bool {
	out := make([]bool, w*h)
	if !slices.Contains(in, true) {
		return out
	}
	rows := make([]bool, w*h)
	for y := 0; y < h; y++ {
		src, dst := in[y*w:(y+1)*w], rows[y*w:(y+1)*w]
		last := -n - 1 // the last marked pixel to the left
		for x, v := range src {
			if v {
				// Mark back to n before, then forward below.
				for k := max(last+n+1, x-n); k < x; k++ {
					dst[k] = true
				}
				last = x
			}
			dst[x] = x-last <= n
		}
	}
	// Down the columns, a row at a time: each row is marked where one of
	// the 2n+1 rows around it is, counted incrementally.
	cnt := make([]int32, w)
	add := func(y int, d int32) {
		for x, v := range rows[y*w : (y+1)*w] {
			if v {
				cnt[x] += d
			}
		}
	}
	for y := 0; y < min(n, h); y++ {
		add(y, 1)
	}
	for y := 0; y < h; y++ {
		if y+n < h {
			add(y+n, 1)
		}
		if y-n-1 >= 0 {
			add(y-n-1, -1)
		}
		dst := out[y*w : (y+1)*w]
		for x, c := range cnt {
			dst[x] = c > 0
		}
	}
	return out
}

// geodesicDilate grows seed by up to n pixels, only over pixels marked in
// within.
func geodesicDilate(w, h int, seed, within []bool, n int) []bool {
	out := make([]bool, w*h)
	copy(out, seed)
	var front []int32
	for i, s := range seed {
		if s {
			front = append(front, int32(i))
		}
	}
	for step := 0; step < n && len(front) > 0; step++ {
		var next []int32
		for _, fi := range front {
			i := int(fi)
			x, y := i%w, i/w
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= w || ny >= h {
					continue
				}
				j := ny*w + nx
				if within[j] && !out[j] {
					out[j] = true
					next = append(next, int32(j))
				}
			}
		}
		front = next
	}
	return out
}

// enclosedLight gives, for each of n labelled dark regions, the light area
// (in pixels) it encloses: light blobs (other than the largest, the paper)
// whose pixel just above their first one belongs to the region. It works
// at half resolution, where white print is still a few pixels wide, for
// the paper is one blob of nearly every pixel.
func enclosedLight(w, h int, dark []bool, labels []int32, n int) []int {
	hw, hh := (w+1)/2, (h+1)/2
	light := make([]bool, hw*hh)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if !dark[y*w+x] {
				light[(y/2)*hw+x/2] = true
			}
		}
	}
	llabels, lblobs := label(hw, hh, light)
	paper := -1
	for i, b := range lblobs {
		if paper < 0 || b.area > lblobs[paper].area {
			paper = i
		}
	}
	// The first pixel of each light blob in scan order.
	firsts := make([]int, len(lblobs))
	for i := range firsts {
		firsts[i] = -1
	}
	for i, l := range llabels {
		if l != 0 && firsts[l-1] < 0 {
			firsts[l-1] = i
		}
	}
	out := make([]int, n)
	for i, b := range lblobs {
		if i == paper || b.edge {
			continue
		}
		// The full-resolution pixel above the blob's first one.
		x, y := 2*(firsts[i]%hw), 2*(firsts[i]/hw)-1
		if y >= 0 {
			if l := labels[y*w+x]; l != 0 {
				out[l-1] += 4 * b.area
			}
		}
	}
	return out
}

// shrinkBorder moves the sides of the page rectangle inwards while the
// line just inside a side is more than 1% background, the worst side
// first: a band along one edge is taken away before it can make the
// sides it crosses look like background too, and a wedge (a crooked
// sheet) is taken to within 1% of its tip.
func shrinkBorder(w, h int, mask []bool) image.Rectangle {
	r := image.Rect(0, 0, w, h)
	if !slices.Contains(mask, true) {
		return r
	}
	bs := newBoxSum(w, h, mask)
	for r.Dx() > 2 && r.Dy() > 2 {
		lines := [4]image.Rectangle{
			image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y),
			image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y),
			image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1),
			image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y),
		}
		best, bestF := -1, 0.01
		for i, l := range lines {
			n := bs.count(l)
			if f := float64(n) / float64(l.Dx()*l.Dy()); n >= 2 && f > bestF {
				best, bestF = i, f
			}
		}
		switch best {
		case -1:
			return r
		case 0:
			r.Min.X++
		case 1:
			r.Max.X--
		case 2:
			r.Min.Y++
		case 3:
			r.Max.Y--
		}
	}
	return r
}
