package separate

import "image"

// Patch T is the Kodak "transfer" patch code: four parallel bars, wide,
// narrow, wide, narrow, that production scanners and capture software
// take as "a new document starts here". The sizes are those demat prints
// (see PatchBars); detection accepts what printing, scanning and a
// little skew make of them, in either direction across the page (the
// bars upright or lying, the sheet upside down).
const (
	PatchNarrowMM = 2.0
	PatchWideMM   = 5.0
	PatchGapMM    = 5.0
	// PatchMinLengthMM is the shortest bar detection accepts: what a
	// page's tables and rules never draw four times side by side.
	PatchMinLengthMM = 40.0
)

// PatchBars is the Patch T pattern, true for a wide bar, in the order the
// bars are printed.
var PatchBars = []bool{true, false, true, false}

// patchT looks for the Patch T bars on a grey page at dpi.
func patchT(g *image.Gray, dpi float64) bool {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	dark := func(x, y int) bool { return g.Pix[y*g.Stride+x] < 128 }
	minLen := int(PatchMinLengthMM * dpi / 25.4)
	// Longest dark run down each column, and along each row.
	cols := make([]int, w)
	cur := make([]int, w)
	rows := make([]int, h)
	for y := 0; y < h; y++ {
		run := 0
		for x := 0; x < w; x++ {
			if dark(x, y) {
				cur[x]++
				cols[x] = max(cols[x], cur[x])
				run++
				rows[y] = max(rows[y], run)
			} else {
				cur[x], run = 0, 0
			}
		}
	}
	return barsMatch(cols, minLen, dpi) || barsMatch(rows, minLen, dpi)
}

// bar is a run of columns (or rows) that are each dark over a bar's
// length.
type bar struct{ start, end int }

// barsMatch finds, in the longest dark runs of a page's columns (or
// rows), a group of four bars spaced and sized as Patch T's, read either
// way.
func barsMatch(runs []int, minLen int, dpi float64) bool {
	var bars []bar
	for i := 0; i < len(runs); {
		if runs[i] < minLen {
			i++
			continue
		}
		j := i
		for j < len(runs) && runs[j] >= minLen {
			j++
		}
		bars = append(bars, bar{i, j})
		i = j
	}
	mm := func(px int) float64 { return float64(px) * 25.4 / dpi }
	// Groups of bars separated by gaps of patch size.
	for i := 0; i < len(bars); {
		j := i + 1
		for j < len(bars) {
			gap := mm(bars[j].start - bars[j-1].end)
			if gap < PatchGapMM*0.4 || gap > PatchGapMM*2.5 {
				break
			}
			j++
		}
		if g := bars[i:j]; len(g) == len(PatchBars) && patchWidths(g, mm) {
			return true
		}
		i = j
	}
	return false
}

// patchWidths checks a group of four bars for the wide and narrow widths
// of Patch T, in order or reversed.
func patchWidths(g []bar, mm func(int) float64) bool {
	ws := make([]float64, len(g))
	lo, hi := 1e9, 0.0
	for i, b := range g {
		ws[i] = mm(b.end - b.start)
		lo, hi = min(lo, ws[i]), max(hi, ws[i])
	}
	if lo < PatchNarrowMM*0.5 || hi > PatchWideMM*1.8 || hi < lo*1.7 {
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
