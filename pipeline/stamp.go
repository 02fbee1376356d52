package pipeline

import (
	"fmt"
	"math"

	"github.com/demat-app/demat/internal/stamp"
	"github.com/demat-app/demat/pdf"
)

// mapsInk says whether a page's ink is mapped for the stamp: the first
// page's, and with RemoveBlank every page's, since the first page
// written may come after blank ones left out. The map is a byte per
// millimetre of paper, made while the page's pixels are at hand.
func (o *Options) mapsInk(j *job) bool {
	return o.Stamp != nil && (j.n == 0 || o.RemoveBlank)
}

// mapInk maps where the page is dark. A page whose pixels cannot be had
// is stamped by its words alone (its encoding then fails anyway).
func mapInk(j *job) {
	img, err := j.page.Pixels()
	if err != nil {
		return
	}
	j.ink = stamp.Ink(img, j.page.XDPI, j.page.YDPI)
}

// stampPage lays the stamp out on the first page written, of w × h
// points, from its words and ink. A stamp that can only cover some of
// the page's content is still drawn, where it covers least, with a
// warning: the document is not failed for it.
func stampPage(s *stamp.Stamp, j *job, w, h float64) (*pdf.Overlay, *stamp.Placement, string, error) {
	ov, pl, err := stamp.Apply(*s, stamp.Page{W: w, H: h, Words: stamp.Words(j.text, w, h), Ink: j.ink})
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: arrival stamp: %w", j.page.Source, err)
	}
	warn := ""
	if !pl.Free {
		covered := int(math.Ceil(100 * pl.Covered))
		if s.Place == stamp.Auto {
			warn = fmt.Sprintf("%s: no free area is big enough for the arrival stamp: it covers text or marks of the page (%d %% of its area) where it covers least; check the page, or choose a corner with --stamp-place",
				j.page.Source, covered)
		} else {
			warn = fmt.Sprintf("%s: the arrival stamp covers text or marks of the page (%d %% of its area) at the %s corner; --stamp-place auto finds a free area",
				j.page.Source, covered, s.Place)
		}
	}
	return ov, &pl, warn, nil
}
