package clean

import (
	"fmt"
	"image"
	"math"
	"strings"
)

// Kind says what an Edit does.
type Kind uint8

// Edit kinds. Geometric kinds (Rotate to Perspective) move pixels; Flatten
// and Binarize change their values.
const (
	// Rotate turns the page Turns quarter turns clockwise.
	Rotate Kind = iota + 1
	// Deskew straightens a page whose text lines are tilted Angle degrees
	// counter-clockwise (rising to the right), turning it about its centre;
	// the size stays, corners brought in are white.
	Deskew
	// Crop keeps Rect.
	Crop
	// Perspective maps the quadrilateral Corners (top left, top right,
	// bottom right, bottom left of the sheet) onto an upright Size
	// rectangle.
	Perspective
	// Flatten evens out uneven lighting: each pixel is divided by the
	// paper's brightness around it, estimated over Radius pixels.
	Flatten
	// Binarize makes the page black and white with Sauvola's adaptive
	// threshold over a window of Radius pixels each side and sensitivity
	// K.
	Binarize
	// Fill paints the ellipses inscribed in Rects with white paper (punch
	// holes).
	Fill
)

var kindNames = [...]string{Rotate: "rotate", Deskew: "deskew", Crop: "crop", Perspective: "perspective", Flatten: "flatten", Binarize: "binarize", Fill: "fill"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// MarshalText names the kind, so that stored edit lists survive a
// reordering of the constants.
func (k Kind) MarshalText() ([]byte, error) {
	if int(k) >= len(kindNames) || kindNames[k] == "" {
		return nil, fmt.Errorf("clean: unknown edit kind %d", k)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n != "" && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("clean: unknown edit kind %q", b)
}

// Edit is one change to a page image, expressed in the pixels of the image
// the edits before it produced. Only the fields of its Kind are used.
type Edit struct {
	Kind Kind `json:"kind"`
	// Auto is set on edits that Auto decided, as opposed to a person.
	Auto bool `json:"auto,omitempty"`

	Turns   int               `json:"turns,omitempty"`   // Rotate
	Angle   float64           `json:"angle,omitempty"`   // Deskew
	Rect    image.Rectangle   `json:"rect,omitempty"`    // Crop
	Corners [4]Point          `json:"corners,omitempty"` // Perspective
	Size    image.Point       `json:"size,omitempty"`    // Perspective
	Radius  int               `json:"radius,omitempty"`  // Flatten, Binarize
	K       float64           `json:"k,omitempty"`       // Binarize
	Rects   []image.Rectangle `json:"rects,omitempty"`   // Fill
}

func (e Edit) String() string {
	switch e.Kind {
	case Rotate:
		return fmt.Sprintf("rotate %d°", 90*(e.Turns&3))
	case Deskew:
		return fmt.Sprintf("deskew %.2f°", e.Angle)
	case Crop:
		return fmt.Sprintf("crop %v", e.Rect)
	case Perspective:
		return fmt.Sprintf("perspective %.0f → %dx%d", e.Corners, e.Size.X, e.Size.Y)
	case Flatten:
		return fmt.Sprintf("flatten r=%d", e.Radius)
	case Binarize:
		return fmt.Sprintf("binarize r=%d k=%.2f", e.Radius, e.K)
	case Fill:
		return fmt.Sprintf("fill %v", e.Rects)
	}
	return e.Kind.String()
}

// Edits are applied in order, each to the result of the ones before.
type Edits []Edit

func (es Edits) String() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

func (e Edit) geometric() bool { return e.Kind >= Rotate && e.Kind <= Perspective }

// transform gives the map from the edit's output back to its w×h input and
// the output size. Edits that cannot apply (a crop outside the image, a
// degenerate quadrilateral) leave the image as it is.
func (e Edit) transform(w, h int) (mat3, int, int) {
	switch e.Kind {
	case Rotate:
		k := e.Turns & 3
		if k&1 == 1 {
			return quarterTurns(k, w, h), h, w
		}
		return quarterTurns(k, w, h), w, h
	case Deskew:
		if e.Angle == 0 || math.IsNaN(e.Angle) || math.IsInf(e.Angle, 0) {
			break
		}
		cx, cy := float64(w)/2, float64(h)/2
		return translate(cx, cy).mul(rotation(e.Angle)).mul(translate(-cx, -cy)), w, h
	case Crop:
		r := e.Rect.Intersect(image.Rect(0, 0, w, h))
		if r.Empty() {
			break
		}
		return translate(float64(r.Min.X), float64(r.Min.Y)), r.Dx(), r.Dy()
	case Perspective:
		size := e.Size
		if size.X <= 0 || size.Y <= 0 {
			size = quadSize(e.Corners)
		}
		if size.X <= 0 || size.Y <= 0 || size.X > 1<<15 || size.Y > 1<<15 {
			break
		}
		W, H := float64(size.X), float64(size.Y)
		m, ok := homography([4]Point{{0, 0}, {W, 0}, {W, H}, {0, H}}, e.Corners)
		if !ok {
			break
		}
		return m, size.X, size.Y
	}
	return identity, w, h
}

// quadSize is the size of the rectangle a quadrilateral flattens to when
// nothing better is known: the mean lengths of opposite sides.
func quadSize(c [4]Point) image.Point {
	d := func(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }
	return image.Pt(int(math.Round((d(c[0], c[1])+d(c[3], c[2]))/2)), int(math.Round((d(c[0], c[3])+d(c[1], c[2]))/2)))
}

// Render draws the page that edits make of orig. orig is never modified;
// with no edits Render returns orig itself, otherwise a new *image.Gray
// (grey input, or after Binarize) or *image.RGBA. Consecutive geometric
// edits are fused and the pixels interpolated once (bilinear, white where
// the source has no pixels); quarter turns and crops alone copy pixels
// exactly.
func Render(orig image.Image, edits Edits) image.Image {
	img := orig
	owned := false // img was made here, and may be painted in place
	for i := 0; i < len(edits); {
		if !edits[i].geometric() {
			img = edits[i].paint(img, owned)
			owned = img != orig
			i++
			continue
		}
		b := img.Bounds()
		m, w, h := identity, b.Dx(), b.Dy()
		for ; i < len(edits) && edits[i].geometric(); i++ {
			em, nw, nh := edits[i].transform(w, h)
			m, w, h = m.mul(em), nw, nh
		}
		img = warp(img, m, w, h)
		owned = true
	}
	return img
}

// paint applies a pixel edit, to img itself when inPlace allows.
func (e Edit) paint(img image.Image, inPlace bool) image.Image {
	switch e.Kind {
	case Flatten:
		return FlattenLight(img, e.Radius)
	case Binarize:
		return Sauvola(img, e.Radius, e.K)
	case Fill:
		return fillEllipses(img, e.Rects, inPlace)
	}
	return img
}

// Geometry relates the points of a rendered page to those of its original.
type Geometry struct {
	// Size of the rendered page.
	Size image.Point
	// to maps a rendered point to the original, from the other way.
	to, from mat3
	min      Point
}

// Geometry gives where the points of the page rendered from an original
// with bounds orig come from. Pixel edits move nothing.
func (es Edits) Geometry(orig image.Rectangle) Geometry {
	m, w, h := identity, orig.Dx(), orig.Dy()
	for _, e := range es {
		if e.geometric() {
			em, nw, nh := e.transform(w, h)
			m, w, h = m.mul(em), nw, nh
		}
	}
	inv, ok := m.inverse()
	if !ok {
		inv = identity
	}
	return Geometry{Size: image.Pt(w, h), to: m, from: inv, min: Point{float64(orig.Min.X), float64(orig.Min.Y)}}
}

// ToOriginal maps a point of the rendered page to the original image.
func (g Geometry) ToOriginal(p Point) Point {
	q := g.to.apply(p)
	return Point{q.X + g.min.X, q.Y + g.min.Y}
}

// FromOriginal maps a point of the original image to the rendered page
// (it may fall outside it, on a part that was cropped away).
func (g Geometry) FromOriginal(p Point) Point {
	return g.from.apply(Point{p.X - g.min.X, p.Y - g.min.Y})
}
