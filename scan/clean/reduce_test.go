package clean

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestDilateMatchesBoxes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 50; trial++ {
		w, h, n := 1+r.IntN(40), 1+r.IntN(40), r.IntN(5)
		in := make([]bool, w*h)
		for i := range in {
			in[i] = r.IntN(30) == 0
		}
		got := dilate(w, h, in, n)
		bs := newBoxSum(w, h, in)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				want := bs.count(image.Rect(x-n, y-n, x+n+1, y+n+1)) > 0
				if got[y*w+x] != want {
					t.Fatalf("%dx%d n=%d: pixel (%d,%d) = %v, want %v", w, h, n, x, y, got[y*w+x], want)
				}
			}
		}
	}
}

// A page with an alpha channel reduces as it looks drawn on white, straight
// or premultiplied.
func TestReduceAlphaOnWhite(t *testing.T) {
	const w, h = 30, 20
	n := image.NewNRGBA(image.Rect(0, 0, w, h))
	pm := image.NewRGBA(image.Rect(0, 0, w, h))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := uint8(x * 255 / (w - 1)) // transparent to opaque black
			i := y*n.Stride + 4*x
			n.Pix[i+3] = a
			pm.Pix[i+3] = a
			g.Pix[y*g.Stride+x] = 255 - a
		}
	}
	want := reduce(g, 3)
	for _, img := range []image.Image{n, pm} {
		got := reduce(img, 3)
		for i := range want.mean {
			if d := int(got.mean[i]) - int(want.mean[i]); d < -1 || d > 1 {
				t.Fatalf("%T: mean[%d] = %d, want %d", img, i, got.mean[i], want.mean[i])
			}
			if d := int(got.dark[i]) - int(want.dark[i]); d < -1 || d > 1 {
				t.Fatalf("%T: dark[%d] = %d, want %d", img, i, got.dark[i], want.dark[i])
			}
		}
		if got.cb != nil {
			t.Errorf("%T: grey page reduced with chroma", img)
		}
	}
}

// The fast run of warpPlanes gives what the per-pixel path gives, for
// maps that turn, shrink, grow and mirror, and at every edge.
func TestWarpRunMatchesPerPixel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	sw, sh := 57, 43
	src := make([]uint8, sw*sh)
	for i := range src {
		src[i] = uint8(r.IntN(256))
	}
	for trial := 0; trial < 200; trial++ {
		deg := r.Float64()*40 - 20
		if trial%5 == 0 {
			deg += 180
		}
		s := 0.5 + r.Float64()*1.5
		m := translate(r.Float64()*float64(sw)-float64(sw)/4, r.Float64()*float64(sh)-float64(sh)/4).mul(rotation(deg)).mul(scaling(s))
		w, h := 20+r.IntN(60), 20+r.IntN(60)
		got := make([]uint8, w*h)
		warpPlanes(got, w, 1, src, sw, sw, sh, m, w, h, 255)
		const one = 1 << 16
		for y := 0; y < h; y++ {
			cy := float64(y) + 0.5
			fx := int64(math.Floor((m[0]*0.5+m[1]*cy+m[2]-0.5)*one + 0.5))
			fy := int64(math.Floor((m[3]*0.5+m[4]*cy+m[5]-0.5)*one + 0.5))
			dfx, dfy := int64(math.Round(m[0]*one)), int64(math.Round(m[3]*one))
			for x := 0; x < w; x++ {
				if want := sample1(src, sw, sw, sh, fx, fy, 255); got[y*w+x] != want {
					t.Fatalf("trial %d (%.1f°, ×%.2f): pixel (%d,%d) = %d, want %d", trial, deg, s, x, y, got[y*w+x], want)
				}
				fx += dfx
				fy += dfy
			}
		}
	}
}

// A 1-bit paletted page reduces like its grey conversion.
func TestReducePaletted(t *testing.T) {
	g := loadGray(t, letter)
	pal := image.NewPaletted(g.Rect, color.Palette{color.Black, color.White})
	for y := 0; y < g.Rect.Dy(); y++ {
		for x := 0; x < g.Rect.Dx(); x++ {
			if g.Pix[y*g.Stride+x] > 127 {
				pal.Pix[y*pal.Stride+x] = 1
			}
		}
	}
	got, want := reduce(pal, 3), reduce(working(pal), 3)
	if !slices.Equal(got.mean, want.mean) || !slices.Equal(got.dark, want.dark) {
		t.Error("paletted page reduced differently from its grey conversion")
	}
}
