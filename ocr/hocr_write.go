package ocr

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// hocrCapabilities lists what WriteHOCR can write, as hOCR requires; a
// capability left out would forbid the elements and attributes it names.
const hocrCapabilities = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf ocrp_lang ocrp_dir"

// WriteHOCR writes r as an hOCR 1.2 page describing p: an XHTML 1.0
// Transitional document with one ocr_page (bbox, image, ppageno,
// scan_res), an ocr_carea per block, an ocr_par per paragraph (dir="rtl"
// on right-to-left ones), an ocr_line per line (bbox, baseline, x_size)
// and an ocrx_word per word (bbox, x_wconf, and its own dir and lang when
// it has them), in the Result's order: right-to-left words stay in logical
// order, as Tesseract writes them.
//
// ParseHOCR reads the file back into an equal Result. Numbers are written
// in the shortest form that reads back exactly, and a block or paragraph
// number that no line has (Tesseract's noise blocks, whose blank words
// ParseHOCR drops) is written as an empty ocr_carea or ocr_par, so that
// Block and Para read back unchanged when they count up from 1, as
// ParseHOCR's do. What does not survive is what ParseHOCR cannot give:
// blank words and lines without words (not written), DirNeutral lines
// (read back ltr) and numbering that goes backwards (renumbered).
//
// The output depends only on r and p: the same page gives the same bytes.
func WriteHOCR(w io.Writer, r *Result, p PageInfo) error {
	if r == nil {
		return errors.New("ocr: write hocr: no result")
	}
	p.applyDefaults()
	x := newXMLWriter(w)
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"` + "\n" +
		`    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">`)
	html := []attr{{"xmlns", "http://www.w3.org/1999/xhtml"}}
	langs := isoLanguages(p.Languages)
	if len(langs) > 0 {
		html = append(html, attr{"xml:lang", langs[0]}, attr{"lang", langs[0]})
	}
	x.open("html", html...)
	x.open("head")
	x.leaf("title", p.Image)
	x.empty("meta", attr{"http-equiv", "Content-Type"}, attr{"content", "text/html;charset=utf-8"})
	x.empty("meta", attr{"name", "ocr-system"}, attr{"content", strings.TrimSpace(p.Software + " " + p.Version)})
	x.empty("meta", attr{"name", "ocr-capabilities"}, attr{"content", hocrCapabilities})
	x.empty("meta", attr{"name", "ocr-number-of-pages"}, attr{"content", "1"})
	x.empty("meta", attr{"name", "ocr-langs"}, attr{"content", hocrLangs(langs)})
	x.close("head")
	x.open("body")

	n := p.Number
	title := []string{fmt.Sprintf("bbox 0 0 %d %d", r.Width, r.Height), "ppageno " + strconv.Itoa(n-1)}
	if p.Image != "" {
		title = append([]string{`image "` + hocrString(p.Image) + `"`}, title...)
	}
	if r.DPI > 0 {
		title = append(title, "scan_res "+num(r.DPI)+" "+num(r.DPI))
	}
	x.open("div", attr{"class", "ocr_page"}, attr{"id", fmt.Sprintf("page_%d", n)}, attr{"title", strings.Join(title, "; ")})

	// blocks, paras, lines and words count the elements written so far,
	// as ParseHOCR counts blocks and paragraphs when it reads them.
	var blocks, paras, lines, words int
	for _, b := range group(r) {
		for ; blocks+1 < b.block; blocks++ {
			x.leaf("div", "", attr{"class", "ocr_carea"}, attr{"id", fmt.Sprintf("block_%d_%d", n, blocks+1)})
		}
		blocks++
		x.open("div", attr{"class", "ocr_carea"}, attr{"id", fmt.Sprintf("block_%d_%d", n, blocks)}, attr{"title", hocrBox(b.box)})
		for _, par := range b.pars {
			for ; paras+1 < par.para; paras++ {
				x.leaf("p", "", attr{"class", "ocr_par"}, attr{"id", fmt.Sprintf("par_%d_%d", n, paras+1)})
			}
			paras++
			pa := []attr{{"class", "ocr_par"}, {"id", fmt.Sprintf("par_%d_%d", n, paras)}}
			if par.dir == DirRTL {
				pa = append(pa, attr{"dir", "rtl"})
			}
			x.open("p", append(pa, attr{"title", hocrBox(par.box)})...)
			for _, l := range par.lines {
				lines++
				lt := hocrBox(l.Box) + "; baseline " + num(l.Slope) + " " + num(l.Offset)
				if l.Size != 0 {
					lt += "; x_size " + num(l.Size)
				}
				x.open("span", attr{"class", "ocr_line"}, attr{"id", fmt.Sprintf("line_%d_%d", n, lines)}, attr{"title", lt})
				for _, word := range l.Words {
					words++
					wa := []attr{
						{"class", "ocrx_word"},
						{"id", fmt.Sprintf("word_%d_%d", n, words)},
						{"title", hocrBox(word.Box) + "; x_wconf " + num(word.Conf)},
					}
					if word.Dir != DirNeutral {
						wa = append(wa, attr{"dir", word.Dir.String()})
					}
					if word.Lang != "" {
						wa = append(wa, attr{"lang", word.Lang})
					}
					x.leaf("span", word.Text, wa...)
				}
				x.close("span")
			}
			x.close("p")
		}
		x.close("div")
	}
	x.close("div")
	x.close("body")
	x.close("html")
	x.raw("\n")
	if err := x.flush(); err != nil {
		return fmt.Errorf("ocr: write hocr: %w", err)
	}
	return nil
}

func hocrBox(b Box) string {
	return fmt.Sprintf("bbox %d %d %d %d", b.X0, b.Y0, b.X1, b.Y1)
}

// hocrLangs gives ocr-langs: ISO 639-1 codes, which carry no script, or
// "unknown" as hOCR asks when there are none.
func hocrLangs(tags []string) string {
	var out []string
	for _, t := range tags {
		base, _, _ := strings.Cut(t, "-")
		if !slices.Contains(out, base) {
			out = append(out, base)
		}
	}
	if len(out) == 0 {
		return "unknown"
	}
	return strings.Join(out, " ")
}

// hocrString makes s fit inside a quoted title property: a quote would end
// it and a semicolon would end the property (ParseHOCR, like most readers,
// splits title on ';' first), so those, '%' and control characters are
// percent-encoded, as in a URL, which the image property may be.
func hocrString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == ';' || c == '%' || c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
