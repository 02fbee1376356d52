package clean

import (
	"image"
	"math"
	"slices"
)

// MaxSkew is the largest tilt Skew looks for, in degrees. Pages fed
// crooked into a scanner or laid on the glass by hand stay well within it;
// beyond, the page is more likely a table or a drawing whose lines are not
// text lines.
const MaxSkew = 15

// Skew measures how far the text lines of img are tilted, in degrees
// counter-clockwise (lines rising to the right are positive), within
// ±MaxSkew. dpi is the image's resolution (0 if unknown). ok is false when
// the page shows too few lines to tell, or the best angle is at the end of
// the range (more likely a drawing than a crooked page). The value is
// what a Deskew edit takes.
func Skew(img image.Image, dpi float64) (deg float64, ok bool) {
	if dpi <= 0 {
		dpi = 300
	}
	p := reduce(img, reductionFor(img.Bounds(), dpi))
	bd := p.findBorders(dpi)
	s := p.skew(p.textMask(bd.mask, dpi), MaxSkew)
	return s.angle, s.ok
}

// skewResult is what the projection-profile search found.
type skewResult struct {
	angle float64
	// conf is how much the sharpness of the profile at the best angle
	// stands out from that at other angles.
	conf float64
	ok   bool
}

// minSkewConf is the least confidence at which a skew is believed: pages
// of text score 4 to 60 (the best angle's profile against the median
// one's), a single short line 2.5, and the leftovers of photographs,
// gradients and noise under 3.
const minSkewConf = 3

// skew finds the angle whose projection of the ink across the text lines
// is sharpest (Postl's projection-profile method). Projections are taken of
// the ink pixels' coordinates, so one angle costs one pass over the ink.
// A sweep every half degree over a sample of the ink, scored with
// Leptonica's sum of squared differences between adjacent rows, finds the
// neighbourhood; the ink is then projected, weighted by its darkness, into
// rows an eighth of a pixel high smoothed over one pixel, which turns the
// staircase of a reduced page into a score that varies smoothly with the
// angle, and the peak is found to a hundredth of a degree and located
// between samples with a parabola.
func (p *page) skew(ink []bool, maxDeg float64) skewResult {
	pts := p.inkPoints(ink)
	// A line of a few words at the analysis resolution has a few hundred
	// ink pixels; fewer is a page number or dust.
	if len(pts.xs) < 300 {
		return skewResult{}
	}
	coarse := pts.sample(40000)
	prof := newProfiler(p.w, p.h)
	best, conf := prof.sweep(coarse, maxDeg)
	a := best
	for _, step := range []float64{0.1, 0.02} {
		bestS := math.Inf(-1)
		c := a
		for k := -6; k <= 6; k++ {
			t := c + float64(k)*step
			if s := prof.fine(pts, t); s > bestS {
				bestS, a = s, t
			}
		}
	}
	const h = 0.02
	s0, s1, s2 := prof.fine(pts, a-h), prof.fine(pts, a), prof.fine(pts, a+h)
	if d := s0 - 2*s1 + s2; d < 0 {
		if off := 0.5 * (s0 - s2) / d * h; math.Abs(off) <= h {
			a += off
		}
	}
	return skewResult{angle: a, conf: conf, ok: conf >= minSkewConf && math.Abs(a) < maxDeg-0.5}
}

// points are ink pixel centres with their darkness.
type points struct{ xs, ys, ws []float32 }

func (p *page) inkPoints(ink []bool) points {
	var pts points
	for y := 0; y < p.h; y++ {
		for x, in := range ink[y*p.w : (y+1)*p.w] {
			if in {
				pts.xs = append(pts.xs, float32(x)+0.5)
				pts.ys = append(pts.ys, float32(y)+0.5)
				pts.ws = append(pts.ws, float32(255-p.mean[y*p.w+x]))
			}
		}
	}
	return pts
}

// sample keeps about n of the points, evenly spread.
func (pts points) sample(n int) points {
	if len(pts.xs) <= n {
		return pts
	}
	step := len(pts.xs) / n
	var s points
	for i := 0; i < len(pts.xs); i += step {
		s.xs, s.ys, s.ws = append(s.xs, pts.xs[i]), append(s.ys, pts.ys[i]), append(s.ws, pts.ws[i])
	}
	return s
}

// transposed swaps x and y: lines running down the page become lines
// running across.
func (pts points) transposed() points { return points{pts.ys, pts.xs, pts.ws} }

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// profiler computes projection profiles into reused buffers.
type profiler struct {
	bins  []int32
	fbins []float32
	off   float64
}

// fineBins is how many rows of the fine profile a pixel spans.
const fineBins = 8

func newProfiler(w, h int) *profiler {
	// Rotated coordinates stay within ±(w+h) of the top.
	n := 2 * (w + h + 4)
	return &profiler{bins: make([]int32, n), fbins: make([]float32, fineBins*n), off: float64(w + h + 2)}
}

// sweep scores every half degree within ±maxDeg and gives the best angle
// and how far its score stands above the median one.
func (pr *profiler) sweep(pts points, maxDeg float64) (best, conf float64) {
	var scores []float64
	bestS := math.Inf(-1)
	for a := -maxDeg; a <= maxDeg+1e-9; a += 0.5 {
		s := pr.score(pts, a)
		scores = append(scores, s)
		if s > bestS {
			bestS, best = s, a
		}
	}
	slices.Sort(scores)
	if m := scores[len(scores)/2]; m > 0 {
		conf = bestS / m
	}
	return best, conf
}

// score gives the sharpness of the profile of the points across lines
// tilted deg degrees: the sum of the squared differences between adjacent
// rows, which peaks when every text line falls into few rows and the gaps
// between lines into others.
func (pr *profiler) score(pts points, deg float64) float64 {
	s, c := math.Sincos(deg * math.Pi / 180)
	bins := pr.bins
	clear(bins)
	fs, fc, off := float32(s), float32(c), float32(pr.off)
	ys := pts.ys
	for i, x := range pts.xs {
		// y·cos + x·sin is constant along a line rising deg to the right.
		bins[int(ys[i]*fc+x*fs+off)]++
	}
	var sum int64
	prev := int32(0)
	for _, v := range bins {
		d := int64(v - prev)
		sum += d * d
		prev = v
	}
	return float64(sum)
}

// fine scores an angle with the weighted, sub-pixel profile: rows of
// 1/fineBins pixel, smoothed with a triangle one pixel each side (two
// running box sums), and the sum of squares of the result.
func (pr *profiler) fine(pts points, deg float64) float64 {
	s, c := math.Sincos(deg * math.Pi / 180)
	bins := pr.fbins
	clear(bins)
	q := float32(fineBins)
	fs, fc, off := float32(s)*q, float32(c)*q, float32(pr.off)*q
	ys, ws := pts.ys, pts.ws
	lo, hi := len(bins), 0
	for i, x := range pts.xs {
		b := int(ys[i]*fc + x*fs + off)
		bins[b] += ws[i]
		lo, hi = min(lo, b), max(hi, b)
	}
	if lo > hi {
		return 0
	}
	// Box of fineBins rows, twice: a triangle of base 2·fineBins rows.
	lo, hi = max(0, lo-2*fineBins), min(len(bins)-1, hi+2*fineBins)
	box := func(in []float32) {
		// A causal box: the shift it adds is the same at every angle.
		var ring [fineBins]float32
		var run float32
		for i := lo; i <= hi; i++ {
			v := in[i]
			run += v - ring[i%fineBins]
			ring[i%fineBins] = v
			in[i] = run
		}
	}
	box(bins)
	box(bins)
	var sum float64
	for _, v := range bins[lo : hi+1] {
		sum += float64(v) * float64(v)
	}
	return sum
}

// textMask is inkMask without the inside of solid areas (pixels whose
// 5×5 neighbourhood is all ink). Strokes of print are thinner than that at
// the analysis resolution and stay whole; a photograph, a filled shape, a
// shaded box or the dark side of a gradient keeps only its outline, which
// says little about the text lines (and, for a picture set in the page,
// agrees with them).
func (p *page) textMask(skip []bool, fullDPI float64) []bool {
	ink := p.inkMask(skip)
	bs := newBoxSum(p.w, p.h, ink)
	all := image.Rect(0, 0, p.w, p.h)
	out := make([]bool, len(ink))
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			i := y*p.w + x
			if !ink[i] {
				continue
			}
			// Beyond the image counts as ink: an area cut by the
			// image's edge has no outline there.
			box := image.Rect(x-2, y-2, x+3, y+3)
			in := box.Intersect(all)
			out[i] = bs.count(box)+25-in.Dx()*in.Dy() < 25
		}
	}
	return out
}

// inkMask marks the pixels darker than the paper by a clear margin,
// leaving out those in skip (scanner borders).
func (p *page) inkMask(skip []bool) []bool {
	t, ok := p.inkThreshold(skip)
	ink := make([]bool, len(p.mean))
	if !ok {
		return ink
	}
	for i, v := range p.mean {
		ink[i] = v < t && (skip == nil || !skip[i])
	}
	return ink
}

// inkThreshold gives the level below which a pixel is ink: Otsu's
// threshold between paper and print, or false when the page has no clear
// print (blank, or all one shade).
func (p *page) inkThreshold(skip []bool) (uint8, bool) {
	var hist [256]int
	for i, v := range p.mean {
		if skip == nil || !skip[i] {
			hist[v]++
		}
	}
	paper := paperLevel(&hist)
	t := otsu(&hist)
	// Print is at least a fifth darker than the paper; a threshold
	// closer to the paper would pick up its texture and any bleed-through.
	if lim := paper - paper/5; t > lim {
		t = lim
	}
	return t, paper > 40
}
