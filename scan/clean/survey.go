package clean

import (
	"image"
	"slices"
)

// survey is what a look over the page inside its borders finds; blank-page
// detection, the page's tone and the quality warnings all read it.
type survey struct {
	// region is the part of the page looked at, in analysis pixels: the
	// crop less blankInsetMM on each side.
	region image.Rectangle
	// paper and ink are the typical grey levels of paper and print.
	paper, ink uint8
	// marks are the print marks: blobs darker than the paper around them
	// by printContrast, or coloured, at least markMM across.
	marks []blob
	// inkMM2 is the marks' area.
	inkMM2 float64
	// colourMM2 is the area of colourful pixels; paperChroma how far
	// the paper itself is from neutral grey.
	colourMM2   float64
	paperChroma int
	// midtoneMM2 is the area of flat mid-grey (photographs, shading,
	// grey logos), which a black-and-white page would lose.
	midtoneMM2 float64
	// textPx is the median height of the marks in full-image pixels.
	textPx float64
}

const (
	// blankInsetMM: the page's outer band holds the shadow of its own
	// edge and the remains of the scanner background, never a page
	// number or a signature.
	blankInsetMM = 5.0
	// printContrast: print is at least 25% darker than its paper (a
	// faded photocopy is 30%). Bleed-through from the back of the sheet
	// stays under 20%, and scanner noise under 10%.
	printContrast = 0.25
	// markMM: marks narrower and shorter than this are dust or noise
	// (the digit of a page number is 2 mm high or more).
	markMM = 1.8
	// chromaInk: a pixel this far (|ΔCb|+|ΔCr|) from both the paper's
	// colour and neutral grey is coloured ink: a stamp, a blue signature
	// (a thin ballpoint stroke averaged with its paper still shows 25 or
	// more; JPEG chroma noise and the colour fringes of a scanner's
	// sensor stay under 10 once averaged).
	chromaInk = 20
	// backgroundBlock is the side, in analysis pixels, of the squares
	// over which the paper's brightness is taken: about 4 mm, wider than
	// a stroke, narrow enough to follow shading.
	backgroundBlock = 16
)

// survey looks over the page inside bd's crop.
func (p *page) survey(bd borders, fullDPI float64) survey {
	w := p.w
	dpi := p.dpi(fullDPI)
	mm2 := p.mm2(fullDPI)
	in := mmToPx(blankInsetMM, dpi)
	s := survey{region: bd.crop.Inset(in), paper: bd.paper, ink: bd.paper}
	if s.region.Empty() {
		s.region = bd.crop
	}
	r := s.region
	// Background and punch holes are not looked at.
	mask := slices.Clone(bd.mask)
	for _, h := range bd.holes {
		for y := h.Min.Y; y < h.Max.Y; y++ {
			for x := h.Min.X; x < h.Max.X; x++ {
				mask[y*w+x] = true
			}
		}
	}
	skip := func(i int) bool { return mask[i] }

	// The paper's brightness, block by block: the brightest average in
	// each block (print never fills a 4 mm square).
	bw, bh := (p.w+backgroundBlock-1)/backgroundBlock, (p.h+backgroundBlock-1)/backgroundBlock
	bg := make([]uint8, bw*bh)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := y*w + x
			if skip(i) {
				continue
			}
			b := (y/backgroundBlock)*bw + x/backgroundBlock
			bg[b] = max(bg[b], p.mean[i])
		}
	}
	var hist [256]int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if i := y*w + x; !skip(i) {
				hist[p.mean[i]]++
			}
		}
	}
	s.paper = percentile(&hist, 0.75)

	pcb, pcr := p.paperChroma(mask, s.paper)
	s.paperChroma = abs(pcb-128) + abs(pcr-128)

	ink := make([]bool, len(p.mean))
	colourful := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := y*w + x
			if skip(i) {
				continue
			}
			paper := int(bg[(y/backgroundBlock)*bw+x/backgroundBlock])
			ink[i] = p.isPrint(i, paper, pcb, pcr)
			if p.cb != nil && p.colourful(i, pcb, pcr) {
				colourful++
			}
		}
	}
	s.colourMM2 = float64(colourful) * mm2

	_, blobs := label(p.w, p.h, ink)
	minExt := mmToPx(markMM, dpi)
	var heights []int
	area := 0
	for _, b := range blobs {
		if b.extent() >= minExt {
			s.marks = append(s.marks, b)
			area += b.area
			heights = append(heights, b.box.Dy())
		}
	}
	s.inkMM2 = float64(area) * mm2
	if len(heights) > 0 {
		slices.Sort(heights)
		s.textPx = float64(heights[len(heights)/2]) * p.scale
	}

	// Print level: the median of the clearly dark pixels.
	var ihist [256]int
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if i := y*w + x; ink[i] {
				ihist[p.mean[i]]++
				n++
			}
		}
	}
	if n > 0 {
		s.ink = percentile(&ihist, 0.25)
	}

	// Flat mid-grey: neither paper nor print, and not the soft edge of a
	// stroke (those vary a lot between neighbours).
	if rng := int(s.paper) - int(s.ink); rng > 40 {
		lo, hi := int(s.ink)+rng/4, int(s.paper)-rng/4
		flat := rng * 15 / 100
		mid := 0
		for y := max(1, r.Min.Y); y < min(p.h-1, r.Max.Y); y++ {
			for x := max(1, r.Min.X); x < min(p.w-1, r.Max.X); x++ {
				i := y*w + x
				v := int(p.mean[i])
				if v <= lo || v >= hi || skip(i) {
					continue
				}
				vmin, vmax := v, v
				for _, j := range [8]int{i - w - 1, i - w, i - w + 1, i - 1, i + 1, i + w - 1, i + w, i + w + 1} {
					vmin, vmax = min(vmin, int(p.mean[j])), max(vmax, int(p.mean[j]))
				}
				if vmax-vmin < flat {
					mid++
				}
			}
		}
		s.midtoneMM2 = float64(mid) * mm2
	}
	return s
}

// paperChroma is the paper's colour (Cb, Cr): the median over the pixels
// about as bright as the paper, outside skip; neutral for grey pages.
func (p *page) paperChroma(skip []bool, paper uint8) (cb, cr int) {
	if p.cb == nil {
		return 128, 128
	}
	var hcb, hcr [256]int
	for i, v := range p.mean {
		if !skip[i] && v >= paper-paper/10 {
			hcb[p.cb[i]]++
			hcr[p.cr[i]]++
		}
	}
	return int(percentile(&hcb, 0.5)), int(percentile(&hcr, 0.5))
}

// isPrint tells print: a pixel printContrast darker than its paper (on
// the dark plane, which keeps thin strokes), or coloured.
func (p *page) isPrint(i, paper, pcb, pcr int) bool {
	if float64(paper-int(p.dark[i])) > printContrast*float64(paper) {
		return true
	}
	return p.cb != nil && p.colourful(i, pcb, pcr)
}

// colourful tells a pixel chromaInk away from both the paper's colour and
// neutral grey.
func (p *page) colourful(i, pcb, pcr int) bool {
	cb, cr := int(p.cb[i]), int(p.cr[i])
	return abs(cb-pcb)+abs(cr-pcr) > chromaInk && abs(cb-128)+abs(cr-128) > chromaInk
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
