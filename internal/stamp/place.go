package stamp

import (
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/demat-app/demat/scan/clean"
)

// Rect is a rectangle in points from the page's top-left corner, y down
// (as page images and OCR boxes are).
type Rect struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// overlap is the area r and o share.
func (r Rect) overlap(o Rect) float64 {
	w := math.Min(r.X+r.W, o.X+o.W) - math.Max(r.X, o.X)
	h := math.Min(r.Y+r.H, o.Y+o.H) - math.Max(r.Y, o.Y)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// Place is where a stamp goes: Auto, the default, finds a free area;
// a corner puts it there whatever it covers (a form with a box printed
// for the stamp, a desk's own habit).
type Place int

// The places.
const (
	Auto Place = iota
	TopRight
	TopLeft
	BottomRight
	BottomLeft
)

var placeNames = []string{"auto", "top-right", "top-left", "bottom-right", "bottom-left"}

func (p Place) String() string {
	if p < 0 || int(p) >= len(placeNames) {
		return fmt.Sprintf("Place(%d)", int(p))
	}
	return placeNames[p]
}

// ParsePlace reads a place's name.
func ParsePlace(s string) (Place, error) {
	for i, n := range placeNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Place(i), nil
		}
	}
	return 0, fmt.Errorf("stamp place %q: want %s", s, strings.Join(placeNames, ", "))
}

// Page is what is known of a page's content where a stamp is to go.
type Page struct {
	// W and H are the page's size in points.
	W, H float64
	// Words are the boxes of the words OCR found.
	Words []Rect
	// Ink is where the page image is dark, or nil: it knows what OCR
	// does not read (a logo, a signature, handwriting, a rubber stamp,
	// a table's rules).
	Ink *InkMap
	// Reserved are areas to keep free for something else drawn on the
	// page later (a visible signature block).
	Reserved []Rect
}

// Placement is where a stamp was put.
type Placement struct {
	Rect Rect `json:"rect"`
	// Zone names where it is: top-right, top-left, bottom-right,
	// bottom-left (the corner areas), or page (elsewhere).
	Zone string `json:"zone"`
	// Free says that it covers no word, ink or reserved area.
	Free bool `json:"free"`
	// Covered is the share (0–1) of the stamp's area over words, ink
	// or reserved areas.
	Covered float64 `json:"covered"`
}

// Distances, in millimetres.
const (
	// cellMM is the finder's grid: fine enough to slip a stamp between
	// two blocks of text, coarse enough to search a page in a millisecond.
	cellMM = 1
	// edgeMM keeps the stamp off the edges printers cannot print on
	// (about 4 mm on office printers).
	edgeMM = 5
	// insetMM is how far from the page's edges a clerk puts the stamp
	// when the corner is free, and where the fixed places put it.
	insetMM = 10
	// clearMM is the room wanted between the stamp and the page's text,
	// so that it reads as added, not as part of the letter, and its QR
	// code keeps a quiet zone.
	clearMM = 2
)

const mm = 72 / 25.4

// zone is an area of the page searched in turn: the candidates whose
// rectangle lies in it, nearest to its anchor corner first.
type zone struct {
	name         string
	x0, y0       float64 // the zone, as shares of the page
	x1, y1       float64
	right, below bool // the anchor corner
}

// zones are Auto's order: the top-right corner area, where clerks
// stamp; the other corners' areas, top first (a letter's text most
// often stops before the bottom of its first page, but its bottom
// corners hold signatures and page numbers); then anywhere on the page,
// nearest to the top-right corner. A corner area is a third of the
// page's height and a bit more than half its width, so that a stamp
// slightly off centre still counts.
var zones = []zone{
	{"top-right", 0.4, 0, 1, 1.0 / 3, true, false},
	{"top-left", 0, 0, 0.6, 1.0 / 3, false, false},
	{"bottom-right", 0.4, 2.0 / 3, 1, 1, true, true},
	{"bottom-left", 0, 2.0 / 3, 0.6, 1, false, true},
	{"page", 0, 0, 1, 1, true, false},
}

// Find finds where a stamp of w × h points goes on p. With Auto, it is
// the first area of the zones' order that covers no word, ink or
// reserved area with some room around them, else one that covers none
// without that room; when there is none, the place where it covers the
// least (Free false: the caller says so). A corner place puts it at that
// corner, insetMM from the edges, and reports what it covers. The same
// page always gives the same placement. A stamp bigger than the page is
// put at its top-left corner.
func Find(p Page, w, h float64, place Place) Placement {
	cell := cellMM * mm
	g := newGrid(p, cell)
	if place != Auto {
		z := zones[place-TopRight]
		x, y := insetMM*mm, insetMM*mm
		if z.right {
			x = p.W - insetMM*mm - w
		}
		if z.below {
			y = p.H - insetMM*mm - h
		}
		r := Rect{math.Max(0, x), math.Max(0, y), w, h}
		covered := g.coveredArea(r, p) / (w * h)
		return Placement{Rect: r, Zone: z.name, Free: covered == 0, Covered: covered}
	}
	cw, ch := int(math.Ceil(w/cell)), int(math.Ceil(h/cell))
	edge := int(math.Round(edgeMM / cellMM))
	inset := int(math.Round(insetMM / cellMM))
	if cw+2*edge > g.w || ch+2*edge > g.h {
		edge = 0
	}
	if cw > g.w || ch > g.h {
		r := Rect{0, 0, w, h}
		covered := g.coveredArea(r, p) / (w * h)
		return Placement{Rect: r, Zone: "page", Free: covered == 0, Covered: covered}
	}
	type cand struct {
		x, y, zone, dist int
		cost             int
	}
	better := func(a, b cand) bool { // a strictly better than b
		if a.cost != b.cost {
			return a.cost < b.cost
		}
		if a.zone != b.zone {
			return a.zone < b.zone
		}
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		if a.y != b.y {
			return a.y < b.y
		}
		return a.x > b.x
	}
	// Three passes over the same candidates: free with room around the
	// page's content, free, least covered.
	for pass, sat := range []*table{g.wide, g.exact, g.exact} {
		best := cand{cost: math.MaxInt}
		for zi, z := range zones {
			zx0, zx1 := int(math.Floor(z.x0*float64(g.w))), int(math.Ceil(z.x1*float64(g.w)))
			zy0, zy1 := int(math.Floor(z.y0*float64(g.h))), int(math.Ceil(z.y1*float64(g.h)))
			ax, ay := inset, inset // the anchor: the zone's corner, inset
			if z.right {
				ax = g.w - inset - cw
			}
			if z.below {
				ay = g.h - inset - ch
			}
			for y := max(edge, zy0); y+ch <= min(g.h-edge, zy1); y++ {
				for x := max(edge, zx0); x+cw <= min(g.w-edge, zx1); x++ {
					cost := sat.sum(x, y, cw, ch)
					if pass < 2 && cost > 0 {
						continue
					}
					c := cand{x: x, y: y, zone: zi, dist: abs(x-ax) + abs(y-ay), cost: cost}
					if better(c, best) {
						best = c
					}
				}
			}
			if pass < 2 && best.cost == 0 {
				break // the first zone with a free area wins
			}
		}
		if best.cost == math.MaxInt || (pass < 2 && best.cost > 0) {
			continue
		}
		r := Rect{float64(best.x) * cell, float64(best.y) * cell, w, h}
		covered := g.coveredArea(r, p) / (w * h)
		return Placement{Rect: r, Zone: zones[best.zone].name, Free: pass < 2, Covered: covered}
	}
	r := Rect{0, 0, w, h}
	return Placement{Rect: r, Zone: "page", Covered: g.coveredArea(r, p) / (w * h)}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// grid is a page cut in cells, each busy when a word, ink or a reserved
// area is in it: exact holds the busy cells, wide the busy cells grown
// by clearMM.
type grid struct {
	w, h        int
	cell        float64
	exact, wide *table
	busy        []bool
}

func newGrid(p Page, cell float64) *grid {
	g := &grid{w: max(1, int(math.Floor(p.W/cell))), h: max(1, int(math.Floor(p.H/cell))), cell: cell}
	g.busy = make([]bool, g.w*g.h)
	mark := func(r Rect) {
		x0, y0 := max(0, int(math.Floor(r.X/cell))), max(0, int(math.Floor(r.Y/cell)))
		x1, y1 := min(g.w, int(math.Ceil((r.X+r.W)/cell))), min(g.h, int(math.Ceil((r.Y+r.H)/cell)))
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				g.busy[y*g.w+x] = true
			}
		}
	}
	for _, r := range p.Words {
		mark(r)
	}
	for _, r := range p.Reserved {
		mark(r)
	}
	if p.Ink != nil {
		for y := 0; y < p.Ink.H; y++ {
			for x := 0; x < p.Ink.W; x++ {
				if p.Ink.Dark[y*p.Ink.W+x] {
					mark(Rect{float64(x) * p.Ink.Cell, float64(y) * p.Ink.Cell, p.Ink.Cell, p.Ink.Cell})
				}
			}
		}
	}
	g.exact = newTable(g.w, g.h, func(x, y int) bool { return g.busy[y*g.w+x] })
	r := int(math.Ceil(clearMM * mm / cell))
	g.wide = newTable(g.w, g.h, func(x, y int) bool {
		return g.exact.sum(max(0, x-r), max(0, y-r), min(g.w, x+r+1)-max(0, x-r), min(g.h, y+r+1)-max(0, y-r)) > 0
	})
	return g
}

// coveredArea is the area of r over words, reserved areas and ink
// cells, each counted once.
func (g *grid) coveredArea(r Rect, p Page) float64 {
	// Measured on a finer grid than the search's, so that a stamp
	// grazing a word is not reported as covering a whole cell of it.
	const sub = 4
	c := g.cell / sub
	near := Page{Ink: p.Ink}
	for _, w := range p.Words {
		if w.overlap(r) > 0 {
			near.Words = append(near.Words, w)
		}
	}
	for _, w := range p.Reserved {
		if w.overlap(r) > 0 {
			near.Reserved = append(near.Reserved, w)
		}
	}
	x0, y0 := int(math.Floor(r.X/c)), int(math.Floor(r.Y/c))
	x1, y1 := int(math.Ceil((r.X+r.W)/c)), int(math.Ceil((r.Y+r.H)/c))
	n := 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			cr := Rect{float64(x) * c, float64(y) * c, c, c}
			if cr.overlap(r) < c*c/2 {
				continue
			}
			if busyAt(cr, near) {
				n++
			}
		}
	}
	return math.Min(float64(n)*c*c, r.W*r.H)
}

func busyAt(cr Rect, p Page) bool {
	for _, w := range p.Words {
		if w.overlap(cr) > 0 {
			return true
		}
	}
	for _, w := range p.Reserved {
		if w.overlap(cr) > 0 {
			return true
		}
	}
	if in := p.Ink; in != nil {
		x, y := int((cr.X+cr.W/2)/in.Cell), int((cr.Y+cr.H/2)/in.Cell)
		if x >= 0 && y >= 0 && x < in.W && y < in.H && in.Dark[y*in.W+x] {
			return true
		}
	}
	return false
}

// table is a summed-area table: the count of busy cells in any
// rectangle in constant time.
type table struct {
	w int
	s []int32 // (w+1) × (h+1), s[y][x] = busy cells above and left of (x, y)
}

func newTable(w, h int, busy func(x, y int) bool) *table {
	t := &table{w: w, s: make([]int32, (w+1)*(h+1))}
	for y := 0; y < h; y++ {
		row := int32(0)
		for x := 0; x < w; x++ {
			if busy(x, y) {
				row++
			}
			t.s[(y+1)*(w+1)+x+1] = t.s[y*(w+1)+x+1] + row
		}
	}
	return t
}

// sum counts the busy cells of the w × h cells from (x, y).
func (t *table) sum(x, y, w, h int) int {
	W := t.w + 1
	return int(t.s[(y+h)*W+x+w] - t.s[y*W+x+w] - t.s[(y+h)*W+x] + t.s[y*W+x])
}

// InkMap is where a page image is dark, in square cells.
type InkMap struct {
	// W and H count the cells; Cell is their side in points.
	W, H int
	Cell float64
	// Dark is row by row from the top.
	Dark []bool
}

// Ink thresholds, chosen on scans of letters at 150–600 dpi.
const (
	// inkLevel is the luminance under which a pixel is ink: text and
	// rules, but also a pale logo or a coloured letterhead, and not the
	// paper of a yellowed or recycled sheet.
	inkLevel = 170
	// inkShare is the share of a cell's pixels that makes it ink: a
	// stroke crossing a millimetre is 10 % or more, scanner dust 1–2 %.
	inkShare = 0.04
)

// Ink maps where img, a page at xdpi × ydpi, is dark, in cells of a
// millimetre. A dark cell with no dark neighbour is dust, not ink.
func Ink(img image.Image, xdpi, ydpi float64) *InkMap {
	g := clean.Luma(img)
	b := g.Bounds()
	pxW, pxH := b.Dx(), b.Dy()
	cell := cellMM * mm
	m := &InkMap{W: max(1, int(math.Ceil(float64(pxW)/xdpi*72/cell))), H: max(1, int(math.Ceil(float64(pxH)/ydpi*72/cell))), Cell: cell}
	count := make([]int32, m.W*m.H)
	total := make([]int32, m.W*m.H)
	fx, fy := 72/xdpi/cell, 72/ydpi/cell // pixels → cells
	cols := make([]int, pxW)
	for x := range cols {
		cols[x] = min(m.W-1, int(float64(x)*fx))
	}
	for y := 0; y < pxH; y++ {
		cy := min(m.H-1, int(float64(y)*fy))
		row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):][:pxW]
		base := cy * m.W
		for x, v := range row {
			i := base + cols[x]
			total[i]++
			if v < inkLevel {
				count[i]++
			}
		}
	}
	dark := make([]bool, len(count))
	for i := range count {
		dark[i] = total[i] > 0 && float64(count[i]) >= inkShare*float64(total[i])
	}
	m.Dark = make([]bool, len(dark))
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if !dark[y*m.W+x] {
				continue
			}
		near:
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if (dx != 0 || dy != 0) && nx >= 0 && ny >= 0 && nx < m.W && ny < m.H && dark[ny*m.W+nx] {
						m.Dark[y*m.W+x] = true
						break near
					}
				}
			}
		}
	}
	return m
}
