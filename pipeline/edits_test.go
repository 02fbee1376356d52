package pipeline_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
)

// pages is a scan.Source that delivers pages already made.
type pages []scan.Page

func (ps pages) Devices(context.Context) ([]scan.Device, error) { return nil, nil }
func (ps pages) Caps(context.Context, scan.Device) (scan.Caps, error) {
	return scan.Caps{Inputs: []scan.InputCaps{{Input: scan.Feeder}}}, nil
}
func (ps pages) Scan(ctx context.Context, _ scan.Device, _ scan.Options, emit func(scan.Page) error) error {
	for _, p := range ps {
		if err := emit(p); err != nil {
			return err
		}
	}
	return nil
}

// A page whose edits a person chose gets those and no others: the
// deskew taken out of a crooked page's edits is not done again, and the
// page keeps its warning; an empty list leaves the page as it came.
func TestChosenEdits(t *testing.T) {
	testenv.Require(t, "pdfimages")
	// A crooked sheet on the scanner's dark lid.
	sheet := imaging.Rotate(letter(t), 3, color.White)
	crooked := imaging.Paste(imaging.New(sheet.Bounds().Dx()+120, sheet.Bounds().Dy()+120, color.Gray{40}), sheet, image.Pt(60, 60))
	auto, rep := clean.Auto(crooked, 300, clean.Options{})
	i := slices.IndexFunc(auto, func(e clean.Edit) bool { return e.Kind == clean.Deskew })
	if i < 0 || !rep.SkewOK || math.Abs(rep.Skew-3) > 0.3 || !slices.ContainsFunc(auto, func(e clean.Edit) bool { return e.Kind == clean.Crop }) {
		t.Fatalf("Auto decided %v (skew %.2f°): the test wants a deskew of 3° and a crop", auto, rep.Skew)
	}
	undone := slices.Delete(slices.Clone(auto), i, i+1)
	page := func(name string, edits clean.Edits) scan.Page {
		p := scan.NewPage(crooked, 300, 300, name)
		p.Edits = edits
		return p
	}
	src := pages{page("auto", nil), page("undone", undone), page("kept", clean.Edits{})}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	res, err := pipeline.Scan(context.Background(), src, scan.Device{ID: "test"}, scan.Options{}, out,
		pipeline.Options{Languages: []string{"fra"}, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Run(t, "pdfimages", "-png", out, filepath.Join(dir, "img"))
	skew := func(n int) (float64, image.Rectangle) {
		img, err := imaging.Open(filepath.Join(dir, fmt.Sprintf("img-%03d.png", n)))
		if err != nil {
			t.Fatal(err)
		}
		s, ok := clean.Skew(img, 300)
		if !ok {
			t.Fatalf("page %d: no skew measured", n+1)
		}
		return s, img.Bounds()
	}
	if s, _ := skew(0); math.Abs(s) > 0.3 {
		t.Errorf("the page cleaned automatically is still tilted %.2f°", s)
	}
	s, b := skew(1)
	if math.Abs(s-3) > 0.3 {
		t.Errorf("the page whose deskew was undone is tilted %.2f°, want 3°", s)
	}
	if full := crooked.Bounds(); b.Dx() > full.Dx()-100 || b.Dy() > full.Dy()-100 {
		t.Errorf("the page whose deskew was undone is %v: the crop kept should apply (%v)", b, full)
	}
	if img, err := imaging.Open(filepath.Join(dir, "img-002.png")); err != nil || img.Bounds() != crooked.Bounds() {
		t.Errorf("the page with no edit is not as it came (%v)", err)
	}
	warned := func(name string) bool {
		return slices.ContainsFunc(res.Warnings, func(w string) bool {
			return strings.HasPrefix(w, name+":") && strings.Contains(w, clean.WarnSkewed.String())
		})
	}
	if warned("auto") || !warned("undone") || !warned("kept") {
		t.Errorf("warnings %q: want the crooked pages left crooked warned about, and only those", res.Warnings)
	}
	if _, err := os.Stat(filepath.Join(dir, "img-003.png")); err == nil {
		t.Error("more images than pages in the PDF")
	}
}
