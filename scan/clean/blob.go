package clean

import "image"

// blob is a connected set of marked pixels.
type blob struct {
	area int
	box  image.Rectangle
	// edge is set when the blob touches the image's edge.
	edge bool
}

// extent is the larger side of the blob's box.
func (b blob) extent() int { return max(b.box.Dx(), b.box.Dy()) }

// label finds the 8-connected blobs of in; labels gives each pixel's blob
// index plus one (0: not marked). It works on runs of marked pixels, joined
// row to row with a union-find, which is several times faster than a
// pixel flood on the page-sized blobs it is given (the paper, the
// scanner's background).
func label(w, h int, in []bool) (labels []int32, blobs []blob) {
	type run struct {
		y, x0, x1 int32 // x1 exclusive
		parent    int32
	}
	var runs []run
	find := func(i int32) int32 {
		for runs[i].parent != i {
			runs[i].parent = runs[runs[i].parent].parent
			i = runs[i].parent
		}
		return i
	}
	prevStart, prevEnd := 0, 0 // runs of the previous row
	for y := 0; y < h; y++ {
		row := in[y*w : (y+1)*w]
		start := len(runs)
		p := prevStart
		for x := 0; x < w; {
			if !row[x] {
				x++
				continue
			}
			x0 := x
			for x < w && row[x] {
				x++
			}
			id := int32(len(runs))
			runs = append(runs, run{int32(y), int32(x0), int32(x), id})
			// Join the previous row's runs that touch this one,
			// diagonals included.
			for p < prevEnd && int(runs[p].x1) < x0 {
				p++
			}
			for q := p; q < prevEnd && int(runs[q].x0) <= x; q++ {
				a, b := find(int32(q)), find(id)
				if a != b {
					if a < b {
						runs[b].parent = a
					} else {
						runs[a].parent = b
					}
				}
			}
		}
		prevStart, prevEnd = start, len(runs)
	}
	labels = make([]int32, w*h)
	index := make([]int32, len(runs)) // root → blob index + 1
	for i := range runs {
		r := &runs[i]
		root := find(int32(i))
		if index[root] == 0 {
			blobs = append(blobs, blob{box: image.Rect(int(r.x0), int(r.y), int(r.x1), int(r.y)+1)})
			index[root] = int32(len(blobs))
		}
		id := index[root]
		b := &blobs[id-1]
		b.area += int(r.x1 - r.x0)
		b.box.Min.X = min(b.box.Min.X, int(r.x0))
		b.box.Max.X = max(b.box.Max.X, int(r.x1))
		b.box.Max.Y = int(r.y) + 1
		seg := labels[int(r.y)*w+int(r.x0) : int(r.y)*w+int(r.x1)]
		for k := range seg {
			seg[k] = id
		}
	}
	for i := range blobs {
		b := &blobs[i]
		b.edge = b.box.Min.X == 0 || b.box.Min.Y == 0 || b.box.Max.X == w || b.box.Max.Y == h
	}
	return labels, blobs
}

// boxSum is a summed-area table of a mask, for counting marked pixels in
// any rectangle in constant time.
type boxSum struct {
	w, h int
	s    []int32 // (w+1)×(h+1)
}

func newBoxSum(w, h int, in []bool) *boxSum {
	b := &boxSum{w: w, h: h, s: make([]int32, (w+1)*(h+1))}
	for y := 0; y < h; y++ {
		var row int32
		src := in[y*w : (y+1)*w]
		above := b.s[y*(w+1)+1 : (y+1)*(w+1)]
		dst := b.s[(y+1)*(w+1)+1 : (y+2)*(w+1)]
		dst = dst[:len(src)]
		above = above[:len(src)]
		for x, v := range src {
			if v {
				row++
			}
			dst[x] = above[x] + row
		}
	}
	return b
}

// count gives the number of marked pixels in r (clipped to the image).
func (b *boxSum) count(r image.Rectangle) int {
	r = r.Intersect(image.Rect(0, 0, b.w, b.h))
	if r.Empty() {
		return 0
	}
	W := b.w + 1
	return int(b.s[r.Max.Y*W+r.Max.X] - b.s[r.Min.Y*W+r.Max.X] - b.s[r.Max.Y*W+r.Min.X] + b.s[r.Min.Y*W+r.Min.X])
}
