package ocr

// Box is an axis-aligned rectangle in image pixels, origin at the top left,
// X1/Y1 exclusive as in hOCR.
type Box struct {
	X0, Y0, X1, Y1 int
}

// Dx is the box width.
func (b Box) Dx() int { return b.X1 - b.X0 }

// Dy is the box height.
func (b Box) Dy() int { return b.Y1 - b.Y0 }

// Direction is a writing direction.
type Direction int

// Directions. DirNeutral means the engine did not say (digits, punctuation):
// the word follows the direction of the words around it.
const (
	DirNeutral Direction = iota
	DirLTR
	DirRTL
)

func (d Direction) String() string {
	switch d {
	case DirLTR:
		return "ltr"
	case DirRTL:
		return "rtl"
	}
	return "neutral"
}

// Result is what recognition found on one page.
type Result struct {
	// Width and Height of the recognised image, in pixels.
	Width, Height int
	// DPI is the resolution recognition was run at.
	DPI float64
	// Lines in reading order (the engine's order; right-to-left lines come
	// in logical order, not visual).
	Lines []Line
}

// Line is one text line.
type Line struct {
	Box Box
	// Baseline is y = Slope·x + Offset, with x and y relative to the bottom
	// left corner of Box (hOCR's convention; y grows downwards, so Offset is
	// usually negative: the baseline sits above the descenders).
	Slope, Offset float64
	// Size is the line height in pixels (x-height + ascenders + descenders).
	Size float64
	// Dir is the paragraph's direction.
	Dir Direction
	// Block and Para number the line's block and paragraph, from 1.
	Block, Para int
	Words       []Word
}

// Word is one recognised word. Its Text is in logical order.
type Word struct {
	Text string
	Box  Box
	// Conf is the engine's confidence, 0–100.
	Conf float64
	// Dir is the word's own direction when the engine gave one, else
	// DirNeutral (the word follows its paragraph or its neighbours).
	Dir  Direction
	Lang string
}

// BaselineAt gives the baseline's y in image pixels at image x.
func (l Line) BaselineAt(x float64) float64 {
	return float64(l.Box.Y1) + l.Offset + l.Slope*(x-float64(l.Box.X0))
}

// Text gives the page's text: words joined by spaces, lines by newlines,
// paragraphs by a blank line.
func (r *Result) Text() string {
	var b []byte
	for i, l := range r.Lines {
		if i > 0 {
			b = append(b, '\n')
			if p := r.Lines[i-1]; p.Block != l.Block || p.Para != l.Para {
				b = append(b, '\n')
			}
		}
		for j, w := range l.Words {
			if j > 0 {
				b = append(b, ' ')
			}
			b = append(b, w.Text...)
		}
	}
	if len(b) > 0 {
		b = append(b, '\n')
	}
	return string(b)
}

// MeanConfidence is the mean confidence of the page's words (0–100), and
// how many there are.
func (r *Result) MeanConfidence() (conf float64, words int) {
	for _, l := range r.Lines {
		for _, w := range l.Words {
			conf += w.Conf
			words++
		}
	}
	if words == 0 {
		return 0, 0
	}
	return conf / float64(words), words
}

// WordCount counts the words on the page.
func (r *Result) WordCount() int {
	n := 0
	for _, l := range r.Lines {
		n += len(l.Words)
	}
	return n
}
