package separate

import (
	"image"
	"math"
)

// Patch T is the Kodak "transfer" patch code: four parallel bars, narrow,
// wide, narrow, wide, with narrow spaces between them (Kodak's Patch Code
// Information, A-61599: wide bars 5.08 mm, narrow bars and spaces
// 2.03 mm, the whole 20.3 mm across), which production scanners and
// capture software take as "a new document starts here". Detection
// accepts what printing, scanning and a little skew make of them, in
// either direction across the page (the bars upright or lying, the sheet
// upside down). Read backwards, Patch T is Patch 3 (wide, narrow, wide,
// narrow): a page cannot tell which way it went through the feeder, so
// both cut; demat gives Patch 3 no other meaning.
const (
	PatchNarrowMM = 2.03
	PatchWideMM   = 5.08
	PatchGapMM    = 2.03
	// PatchMinLengthMM is the shortest bar detection accepts: what a
	// page's tables and rules never draw four times side by side. Kodak
	// asks for 50 mm at least.
	PatchMinLengthMM = 40.0
)

// PatchBars is the Patch T pattern, true for a wide bar, in the order the
// bars are printed.
var PatchBars = []bool{false, true, false, true}

// patchT looks for the Patch T bars on a grey page at dpi. Like a
// scanner's patch reader, it reads scan lines across the bars: on one
// line the four bars and their spaces have their printed widths whatever
// the skew (a 5° skew widens them by 0.4%), where the longest dark run of
// a column would run from one tilted bar into the next across a 2 mm
// space. A patch is a run of such lines, each finding the pattern near
// where the last one did, over PatchMinLengthMM of bar.
func patchT(g *image.Gray, dpi float64) bool {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	row := func(y int) func(int) bool {
		return func(x int) bool { return g.Pix[y*g.Stride+x] < 128 }
	}
	col := func(x int) func(int) bool {
		return func(y int) bool { return g.Pix[y*g.Stride+x] < 128 }
	}
	return patchLines(h, w, row, dpi) || patchLines(w, h, col, dpi)
}

// patchLines reads n scan lines of length m (dark tells the pixels of
// line i) for the Patch T pattern, and says whether consecutive lines
// find it over a bar's length.
func patchLines(n, m int, line func(i int) func(int) bool, dpi float64) bool {
	px := dpi / 25.4
	minLen := PatchMinLengthMM * px
	// The lines' step: about half a millimetre, enough to follow a bar.
	step := max(1, int(px/2))
	// How far the pattern may move from one hit to the next: a skew of
	// up to 8°, and a pixel of noise.
	drift := func(dy float64) float64 { return dy*0.14 + 1.5*px }
	type chain struct{ first, last, at float64 }
	var chains []chain
	runs := make([]int, 0, 64)
	for i := 0; i < n; i += step {
		dark := line(i)
		runs = runs[:0]
		on, length := dark(0), 0
		start := on
		for x := 0; x < m; x++ {
			if d := dark(x); d != on {
				runs = append(runs, length)
				on, length = d, 0
			}
			length++
		}
		runs = append(runs, length)
		y := float64(i)
		for _, at := range patchHits(runs, start, px) {
			found := false
			for k := range chains {
				c := &chains[k]
				if y-c.last <= 3*px && math.Abs(at-c.at) <= drift(y-c.last) {
					c.last, c.at, found = y, at, true
					if c.last-c.first >= minLen {
						return true
					}
					break
				}
			}
			if !found {
				chains = append(chains, chain{y, y, at})
			}
		}
		// Chains that stopped long ago are done.
		kept := chains[:0]
		for _, c := range chains {
			if y-c.last <= 3*px {
				kept = append(kept, c)
			}
		}
		chains = kept
	}
	return false
}

// patchHits gives the centres of the Patch T patterns on one scan line,
// given as its alternating run lengths, the first dark when startDark:
// four dark runs of Patch T's widths, in order or reversed, with three
// narrow spaces between them and light on either side.
func patchHits(runs []int, startDark bool, px float64) []float64 {
	var hits []float64
	first := 1 // the index of the first dark run
	if startDark {
		first = 0
	}
	pos := make([]int, len(runs)+1)
	for i, r := range runs {
		pos[i+1] = pos[i] + r
	}
	mm := func(r int) float64 { return float64(r) / px }
	for i := first; i+6 < len(runs); i += 2 {
		// Light on either side, as wide as a space at least.
		if i == 0 || mm(runs[i-1]) < PatchGapMM*0.6 || i+7 >= len(runs) || mm(runs[i+7]) < PatchGapMM*0.6 {
			continue
		}
		ok := true
		for k := 1; k < 7; k += 2 {
			if g := mm(runs[i+k]); g < PatchGapMM*0.45 || g > PatchGapMM*1.8 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		across := mm(pos[i+7] - pos[i])
		if want := 2*(PatchNarrowMM+PatchWideMM) + 3*PatchGapMM; across < want*0.8 || across > want*1.25 {
			continue
		}
		ws := []float64{mm(runs[i]), mm(runs[i+2]), mm(runs[i+4]), mm(runs[i+6])}
		if patchWidths(ws) {
			hits = append(hits, float64(pos[i]+pos[i+7])/2)
		}
	}
	return hits
}

// patchWidths checks four bars' widths in millimetres for the wide and
// narrow widths of Patch T, in order or reversed.
func patchWidths(ws []float64) bool {
	lo, hi := 1e9, 0.0
	for _, w := range ws {
		lo, hi = min(lo, w), max(hi, w)
	}
	if lo < PatchNarrowMM*0.5 || hi > PatchWideMM*1.5 || hi < lo*1.7 {
		return false
	}
	mid := (lo + hi) / 2
	forward, backward := true, true
	for i, w := range ws {
		wide := w > mid
		forward = forward && wide == PatchBars[i]
		backward = backward && wide == PatchBars[len(PatchBars)-1-i]
	}
	return forward || backward
}
