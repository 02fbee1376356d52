package ocr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseHOCR reads an hOCR document or fragment (as Tesseract's
// GetHOCRText gives it) describing one page. Elements other than pages,
// blocks, paragraphs, lines and words are walked through; their text is
// kept when it sits inside a word (Tesseract wraps words in <strong> or
// <em> when it reports fonts).
func ParseHOCR(data []byte) (*Result, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity

	res := &Result{}
	var (
		stack       []string // class of each open element ("" when none)
		block, para int
		paraDir     Direction
		line        *Line
		word        *Word
		wordText    strings.Builder
		sawPage     bool
	)
	flushLine := func() {
		if line != nil {
			res.Lines = append(res.Lines, *line)
			line = nil
		}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("hocr: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			class, title, dir, lang := attrs(t.Attr)
			stack = append(stack, class)
			switch {
			case class == "ocr_page":
				sawPage = true
				p := parseTitle(title)
				if b, ok := p.box(); ok {
					res.Width, res.Height = b.X1, b.Y1
				}
				if v := p["scan_res"]; len(v) > 0 {
					res.DPI = v[0]
				}
			case class == "ocr_carea":
				block++
			case class == "ocr_par":
				para++
				paraDir = parseDir(dir)
				if paraDir == DirNeutral {
					paraDir = DirLTR
				}
			case class == "ocrx_word":
				if line == nil {
					// A word outside any line: give it a line of its own
					// so that nothing recognised is dropped.
					line = &Line{Dir: paraDir, Block: block, Para: para}
				}
				p := parseTitle(title)
				b, _ := p.box()
				word = &Word{Box: b, Dir: parseDir(dir), Lang: lang}
				if v := p["x_wconf"]; len(v) > 0 {
					word.Conf = v[0]
				}
				wordText.Reset()
			case isLineClass(class):
				flushLine()
				p := parseTitle(title)
				b, _ := p.box()
				line = &Line{Box: b, Dir: paraDir, Block: block, Para: para}
				if v := p["baseline"]; len(v) == 2 {
					line.Slope, line.Offset = v[0], v[1]
				}
				if v := p["x_size"]; len(v) > 0 {
					line.Size = v[0]
				}
			}
		case xml.CharData:
			if word != nil {
				wordText.Write(t)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			class := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch {
			case class == "ocrx_word" && word != nil:
				word.Text = wordText.String()
				if strings.TrimSpace(word.Text) != "" {
					if line == nil {
						// Broken nesting closed the line inside the word:
						// keep the word on a line of its own.
						line = &Line{Dir: paraDir, Block: block, Para: para}
					}
					if line.Box == (Box{}) {
						line.Box = word.Box
					}
					line.Words = append(line.Words, *word)
				}
				word = nil
			case isLineClass(class):
				flushLine()
			case class == "ocr_par":
				flushLine()
				paraDir = DirNeutral
			}
		}
	}
	flushLine()
	if !sawPage && len(res.Lines) == 0 {
		return nil, errors.New("hocr: no ocr_page element")
	}
	// Drop lines that kept no words (Tesseract emits some for noise).
	kept := res.Lines[:0]
	for _, l := range res.Lines {
		if len(l.Words) > 0 {
			kept = append(kept, l)
		}
	}
	res.Lines = kept
	return res, nil
}

func isLineClass(c string) bool {
	switch c {
	case "ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat":
		return true
	}
	return false
}

func attrs(as []xml.Attr) (class, title, dir, lang string) {
	for _, a := range as {
		switch a.Name.Local {
		case "class":
			class = a.Value
		case "title":
			title = a.Value
		case "dir":
			dir = a.Value
		case "lang":
			lang = a.Value
		}
	}
	return
}

func parseDir(s string) Direction {
	switch strings.ToLower(s) {
	case "rtl":
		return DirRTL
	case "ltr":
		return DirLTR
	}
	return DirNeutral
}

// titleProps holds the numeric properties of an hOCR title attribute
// ("bbox 1 2 3 4; baseline 0.01 -5; x_wconf 96").
type titleProps map[string][]float64

func parseTitle(title string) titleProps {
	p := titleProps{}
	for _, part := range strings.Split(title, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		var nums []float64
		for _, s := range f[1:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				break // a string property (image "file.png"): not needed
			}
			nums = append(nums, v)
		}
		p[f[0]] = nums
	}
	return p
}

func (p titleProps) box() (Box, bool) {
	v := p["bbox"]
	if len(v) != 4 {
		return Box{}, false
	}
	return Box{int(v[0]), int(v[1]), int(v[2]), int(v[3])}, true
}
