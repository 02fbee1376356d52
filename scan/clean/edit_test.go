package clean

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/disintegration/imaging"
)

func TestRenderNoEdits(t *testing.T) {
	g := loadGray(t, phototest)
	if Render(g, nil) != image.Image(g) {
		t.Error("Render without edits copied the image")
	}
}

func TestRenderQuarterTurns(t *testing.T) {
	g := loadGray(t, phototest) // 1-bit: must stay black and white
	// imaging turns counter-clockwise.
	want := map[int]*image.Gray{0: g, 1: toGray(imaging.Rotate270(g)), 2: toGray(imaging.Rotate180(g)), 3: toGray(imaging.Rotate90(g)), 4: g}
	for turns, w := range want {
		out := toGray(Render(g, Edits{{Kind: Rotate, Turns: turns}}))
		if out.Rect != w.Rect || !bytes.Equal(out.Pix, w.Pix) {
			t.Errorf("%d turns: result differs from the image turned %d° clockwise", turns, 90*turns)
		}
	}
	// Turns compose: three edits of one turn are one edit of three.
	a := Render(g, Edits{{Kind: Rotate, Turns: 1}, {Kind: Rotate, Turns: 1}, {Kind: Rotate, Turns: 1}}).(*image.Gray)
	if !bytes.Equal(a.Pix, want[3].Pix) {
		t.Error("three single turns differ from three turns at once")
	}
}

func TestRenderCrop(t *testing.T) {
	g := loadGray(t, letter)
	r := image.Rect(100, 50, 1300, 700)
	out := Render(g, Edits{{Kind: Crop, Rect: r}}).(*image.Gray)
	if out.Rect.Size() != r.Size() {
		t.Fatalf("size %v, want %v", out.Rect.Size(), r.Size())
	}
	for y := 0; y < r.Dy(); y++ {
		if !bytes.Equal(out.Pix[y*out.Stride:][:r.Dx()], g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):][:r.Dx()]) {
			t.Fatalf("row %d differs from the original's", y)
		}
	}
	// A crop outside the image does nothing.
	if out := Render(g, Edits{{Kind: Crop, Rect: image.Rect(5000, 0, 6000, 10)}}); out.Bounds() != g.Rect {
		t.Errorf("crop outside the image gave %v", out.Bounds())
	}
}

func TestRenderLeavesOriginal(t *testing.T) {
	for _, img := range []image.Image{scannedA4(t), toRGBA(loadGray(t, letter)), toYCbCr(loadGray(t, phototest))} {
		before := pixelSum(img)
		edits := Edits{
			{Kind: Rotate, Turns: 1}, {Kind: Deskew, Angle: 1.5}, {Kind: Crop, Rect: image.Rect(10, 10, 400, 300)},
			{Kind: Fill, Rects: []image.Rectangle{image.Rect(20, 20, 60, 60)}}, {Kind: Flatten}, {Kind: Binarize},
		}
		Render(img, edits)
		Auto(img, 300, Options{Binarize: true})
		if pixelSum(img) != before {
			t.Errorf("%T changed by Render or Auto", img)
		}
	}
}

func pixelSum(img image.Image) uint32 {
	switch m := img.(type) {
	case *image.Gray:
		return crc32.ChecksumIEEE(m.Pix)
	case *image.RGBA:
		return crc32.ChecksumIEEE(m.Pix)
	case *image.YCbCr:
		return crc32.ChecksumIEEE(append(append(append([]byte{}, m.Y...), m.Cb...), m.Cr...))
	}
	panic("type")
}

func TestRenderTypes(t *testing.T) {
	lett := loadGray(t, letter)
	nrgba := imaging.Clone(lett)
	// Half-transparent pixels are put on white paper.
	for i := 3; i < len(nrgba.Pix); i += 4 {
		nrgba.Pix[i] = 128
	}
	pal := image.NewPaletted(lett.Rect, color.Palette{color.Black, color.White})
	for i, v := range lett.Pix {
		if v > 127 {
			pal.Pix[i] = 1
		}
	}
	edits := Edits{{Kind: Deskew, Angle: 2}}
	want := toGray(Render(lett, edits))
	for _, c := range []struct {
		img  image.Image
		tol  float64 // mean absolute difference in grey levels
		grey bool
	}{
		{toRGBA(lett), 1, false},
		{toYCbCr(lett), 2, false},
		{pal, 40, true},
	} {
		out := Render(c.img, edits)
		if _, isGrey := out.(*image.Gray); isGrey != c.grey {
			t.Errorf("%T gave %T", c.img, out)
		}
		if d := meanDiff(toGray(out), want); d > c.tol {
			t.Errorf("%T: differs by %.1f grey levels on average from the grey render", c.img, d)
		}
	}
	// Half transparent on white paper: halfway between the page and white.
	onWhite := image.NewGray(want.Rect)
	for i, v := range want.Pix {
		onWhite.Pix[i] = uint8((int(v)*128 + 255*127 + 127) / 255)
	}
	if d := meanDiff(toGray(Render(nrgba, edits)), onWhite); d > 2 {
		t.Errorf("half-transparent page: differs by %.1f grey levels from the page put on white", d)
	}
}

func meanDiff(a, b *image.Gray) float64 {
	var s float64
	for i := range a.Pix {
		s += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	return s / float64(len(a.Pix))
}

func TestGeometry(t *testing.T) {
	// A dark dot on the original lands where Geometry says, through
	// turns, deskew, crop and perspective.
	base := canvas(1200, 900, nil, 0, 0)
	base.Rect = base.Rect.Add(image.Pt(30, 40)) // an origin off (0, 0)
	dots := []image.Point{{330, 240}, {900, 700}, {600, 500}}
	for _, d := range dots {
		for y := d.Y - 3; y <= d.Y+3; y++ {
			for x := d.X - 3; x <= d.X+3; x++ {
				base.Pix[base.PixOffset(x, y)] = 0
			}
		}
	}
	for name, edits := range map[string]Edits{
		"turn, deskew, crop": {{Kind: Rotate, Turns: 1}, {Kind: Deskew, Angle: 4}, {Kind: Crop, Rect: image.Rect(50, 100, 850, 1100)}},
		"perspective":        {{Kind: Perspective, Corners: [4]Point{{40, 30}, {1100, 80}, {1150, 850}, {10, 880}}, Size: image.Pt(1000, 800)}, {Kind: Rotate, Turns: 3}},
	} {
		out := toGray(Render(base, edits))
		geo := edits.Geometry(base.Rect)
		if geo.Size != out.Rect.Size() {
			t.Errorf("%s: Geometry size %v, rendered %v", name, geo.Size, out.Rect.Size())
		}
		for _, d := range dots {
			p := Point{float64(d.X) + 0.5, float64(d.Y) + 0.5}
			q := geo.FromOriginal(p)
			if v := out.Pix[out.PixOffset(int(q.X), int(q.Y))]; v > 100 {
				t.Errorf("%s: dot %v maps to %.1f, which is not dark (%d)", name, d, q, v)
			}
			if back := geo.ToOriginal(q); math.Hypot(back.X-p.X, back.Y-p.Y) > 1e-6 {
				t.Errorf("%s: %v → %v → %v", name, p, q, back)
			}
		}
	}
}

func TestEditsJSON(t *testing.T) {
	edits := Edits{
		{Kind: Perspective, Auto: true, Corners: [4]Point{{1, 2}, {3, 4}, {5, 6}, {7, 8}}, Size: image.Pt(10, 20)},
		{Kind: Flatten, Radius: 60}, {Kind: Rotate, Turns: 3}, {Kind: Deskew, Angle: -1.25},
		{Kind: Crop, Rect: image.Rect(1, 2, 3, 4)}, {Kind: Fill, Rects: []image.Rectangle{image.Rect(5, 6, 7, 8)}},
		{Kind: Binarize, Radius: 25, K: 0.34},
	}
	b, err := json.Marshal(edits)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"kind":"deskew"`)) {
		t.Errorf("kinds are not stored by name: %s", b)
	}
	var back Edits
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.String() != edits.String() {
		t.Errorf("round trip:\n%v\n%v", back, edits)
	}
	if err := json.Unmarshal([]byte(`[{"kind":"sharpen"}]`), &back); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestUndo(t *testing.T) {
	// Any automatic edit can be removed; the rest still apply.
	g := scannedA4(t)
	edits, _ := Auto(g, 300, Options{})
	if len(edits) != 2 || edits[0].Kind != Deskew || edits[1].Kind != Crop {
		t.Fatalf("edits %v, want deskew and crop", edits)
	}
	noDeskew := toGray(Render(g, edits[1:]))
	if want := edits[1].Rect.Size(); noDeskew.Rect.Size() != want {
		t.Errorf("crop alone: size %v, want %v", noDeskew.Rect.Size(), want)
	}
	if s, _ := Skew(noDeskew, 300); math.Abs(s-2) > 0.1 {
		t.Errorf("without the deskew the page is tilted %.2f°, want the scan's 2°", s)
	}
	noCrop := Render(g, edits[:1])
	if noCrop.Bounds().Size() != g.Rect.Size() {
		t.Errorf("deskew alone: size %v, want the scan's", noCrop.Bounds().Size())
	}
}
