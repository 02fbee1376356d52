package ocr

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// PageInfo describes the page an exported file is about: what ALTO and hOCR
// carry besides the recognised text. WriteALTO and WriteHOCR share it
// because both formats record the same facts (image, page number, producer,
// languages), so that a caller fills one value for both files.
type PageInfo struct {
	// Image is the page image's file name as the exported file refers to it
	// (ALTO sourceImageInformation/fileName, hOCR's image property).
	Image string
	// Number is the page's physical number, from 1 (ALTO PHYSICAL_IMG_NR;
	// hOCR's ppageno, which counts from 0, is Number-1).
	Number int
	// Software and Version name the program that wrote the file
	// (ALTO processingSoftware, hOCR ocr-system): "demat", "1.4.0".
	Software, Version string
	// Languages are the Tesseract language codes recognition used (fra,
	// ara, eng). The files give them as ISO 639 codes (fr, ar, en) where
	// one is known, and leave out the rest (osd, equ).
	Languages []string
	// Time is when the page was recognised (ALTO processingDateTime). The
	// zero time leaves it out, so that a page always gives the same bytes.
	Time time.Time
}

func (p *PageInfo) applyDefaults() {
	if p.Number <= 0 {
		// A page written on its own is the first of its document.
		p.Number = 1
	}
	if p.Software == "" {
		// Whoever calls, demat is the program writing the file.
		p.Software = "demat"
	}
}

// ALTO namespace and schema: version 4.4 is the first with page-level
// LANG/OTHERLANGS, and 4.3 brought BASEDIRECTION for right-to-left lines.
const (
	altoNS     = "http://www.loc.gov/standards/alto/ns-v4#"
	altoSchema = "https://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
)

// WriteALTO writes r as an ALTO 4.4 file (pixel units) describing the page p.
//
// Each run of lines with the same Block becomes a TextBlock, each line a
// TextLine with its BASELINE (two points, as ALTO 4.2 and later write it)
// and its BASEDIRECTION, each word a String with its box and its confidence
// as WC (0–1), with an SP between words. Right-to-left lines keep their
// words in logical order, as the Result has them: BASEDIRECTION="rtl" tells
// readers how they run on the page. Words that are blank, and lines left
// without words, are not written (ALTO needs a CONTENT and at least one
// String per line; ParseHOCR drops them too). IDs are page_N, block_N_k,
// line_N_k and string_N_k, with N the page number, so that they stay
// unique when the pages of a document are gathered into one file.
//
// The output depends only on r and p: the same page gives the same bytes.
func WriteALTO(w io.Writer, r *Result, p PageInfo) error {
	if r == nil {
		return errors.New("ocr: write alto: no result")
	}
	p.applyDefaults()
	x := newXMLWriter(w)
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>`)
	x.open("alto",
		attr{"xmlns", altoNS},
		attr{"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"},
		attr{"xsi:schemaLocation", altoNS + " " + altoSchema},
		attr{"SCHEMAVERSION", "4.4"})

	x.open("Description")
	x.leaf("MeasurementUnit", "pixel")
	if p.Image != "" {
		x.open("sourceImageInformation")
		x.leaf("fileName", p.Image)
		x.close("sourceImageInformation")
	}
	// Processing, not OCRProcessing: ALTO 4 deprecates the latter.
	x.open("Processing", attr{"ID", "OCR_" + strconv.Itoa(p.Number)})
	x.leaf("processingCategory", "contentGeneration")
	if !p.Time.IsZero() {
		x.leaf("processingDateTime", p.Time.Format(time.RFC3339))
	}
	if s := altoSettings(r, p); s != "" {
		x.leaf("processingStepSettings", s)
	}
	x.open("processingSoftware")
	x.leaf("softwareName", p.Software)
	if p.Version != "" {
		x.leaf("softwareVersion", p.Version)
	}
	x.close("processingSoftware")
	x.close("Processing")
	x.close("Description")

	x.open("Layout")
	page := []attr{
		{"ID", fmt.Sprintf("page_%d", p.Number)},
		{"PHYSICAL_IMG_NR", strconv.Itoa(p.Number)},
		{"PROCESSINGREFS", "OCR_" + strconv.Itoa(p.Number)},
	}
	if r.Width > 0 && r.Height > 0 {
		page = append(page, attr{"WIDTH", strconv.Itoa(r.Width)}, attr{"HEIGHT", strconv.Itoa(r.Height)})
	}
	if conf, n := r.MeanConfidence(); n > 0 {
		page = append(page, attr{"PC", wc(conf)})
	}
	if langs := isoLanguages(p.Languages); len(langs) > 0 {
		page = append(page, attr{"LANG", langs[0]})
		if len(langs) > 1 {
			page = append(page, attr{"OTHERLANGS", strings.Join(langs[1:], " ")})
		}
	}
	x.open("Page", page...)

	blocks := group(r)
	var space Box
	for _, b := range blocks {
		space = union(space, b.box)
	}
	if space == (Box{}) {
		space = Box{0, 0, r.Width, r.Height}
	}
	x.open("PrintSpace", boxAttrs(space)...)
	var nb, nl, nw int
	for _, b := range blocks {
		nb++
		ba := append([]attr{{"ID", fmt.Sprintf("block_%d_%d", p.Number, nb)}}, boxAttrs(b.box)...)
		if d := b.dir(); d != DirNeutral {
			ba = append(ba, attr{"BASEDIRECTION", d.String()})
		}
		x.open("TextBlock", ba...)
		for _, par := range b.pars {
			for _, l := range par.lines {
				nl++
				la := append([]attr{{"ID", fmt.Sprintf("line_%d_%d", p.Number, nl)}}, boxAttrs(l.Box)...)
				la = append(la, attr{"BASELINE", altoBaseline(l)})
				if l.Dir != DirNeutral {
					la = append(la, attr{"BASEDIRECTION", l.Dir.String()})
				}
				x.open("TextLine", la...)
				for i, word := range l.Words {
					if i > 0 {
						x.empty("SP", spAttrs(l, l.Words[i-1].Box, word.Box)...)
					}
					nw++
					wa := append([]attr{{"ID", fmt.Sprintf("string_%d_%d", p.Number, nw)}}, boxAttrs(word.Box)...)
					wa = append(wa, attr{"CONTENT", word.Text}, attr{"WC", wc(word.Conf)})
					if lang, ok := isoLanguage(word.Lang); ok {
						wa = append(wa, attr{"LANG", lang})
					}
					x.empty("String", wa...)
				}
				x.close("TextLine")
			}
		}
		x.close("TextBlock")
	}
	x.close("PrintSpace")
	x.close("Page")
	x.close("Layout")
	x.close("alto")
	x.raw("\n")
	if err := x.flush(); err != nil {
		return fmt.Errorf("ocr: write alto: %w", err)
	}
	return nil
}

// altoSettings says how the page was read, for whoever has to reproduce
// it: the Tesseract languages as given (ALTO's LANG has only the ones ISO
// 639 knows) and the resolution.
func altoSettings(r *Result, p PageInfo) string {
	var s []string
	if len(p.Languages) > 0 {
		s = append(s, "languages: "+strings.Join(p.Languages, "+"))
	}
	if r.DPI > 0 {
		s = append(s, "resolution: "+num(r.DPI)+" dpi")
	}
	return strings.Join(s, "; ")
}

// altoBaseline gives the line's baseline as ALTO's points ("x,y x,y"), from
// the line's left edge to its right.
func altoBaseline(l Line) string {
	x0, x1 := float64(l.Box.X0), float64(l.Box.X1)
	return fmt.Sprintf("%d,%d %d,%d", l.Box.X0, round(l.BaselineAt(x0)), l.Box.X1, round(l.BaselineAt(x1)))
}

// spAttrs places the space between two words of a line: whichever way the
// line runs, it is the gap between their boxes. Overlapping boxes leave no
// gap to place, and the SP goes without position.
func spAttrs(l Line, a, b Box) []attr {
	left, right := a.X1, b.X0
	if b.X1 <= a.X0 {
		left, right = b.X1, a.X0
	}
	if right < left {
		return nil
	}
	return boxAttrs(Box{left, l.Box.Y0, right, l.Box.Y1})
}

func boxAttrs(b Box) []attr {
	return []attr{
		{"HPOS", strconv.Itoa(b.X0)},
		{"VPOS", strconv.Itoa(b.Y0)},
		{"WIDTH", strconv.Itoa(max(b.Dx(), 0))},
		{"HEIGHT", strconv.Itoa(max(b.Dy(), 0))},
	}
}

// wc turns a 0–100 confidence into ALTO's 0–1, to four places (more would
// be noise, and the schema rejects values outside [0, 1]).
func wc(conf float64) string {
	if math.IsNaN(conf) {
		conf = 0
	}
	return num(math.Round(min(max(conf, 0), 100)*100) / 1e4)
}

// num formats a float in the shortest form that reads back the same, and
// non-finite values as 0, which no format here can carry.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func round(v float64) int {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return int(math.Round(v))
}

// blockRun is a run of lines with the same Block, split into runs of
// paragraphs: what becomes one TextBlock or ocr_carea.
type blockRun struct {
	block int
	box   Box
	pars  []parRun
}

// parRun is a run of lines with the same Para and direction: one ocr_par.
type parRun struct {
	para  int
	dir   Direction
	box   Box
	lines []Line
}

// dir is the block's direction when all its lines agree on one.
func (b blockRun) dir() Direction {
	d := b.pars[0].dir
	for _, p := range b.pars[1:] {
		if p.dir != d {
			return DirNeutral
		}
	}
	return d
}

// group splits the page's lines into blocks and paragraphs, in reading
// order, dropping blank words and the lines they leave empty. A new
// paragraph also starts where the direction changes, so that every line
// keeps its own.
func group(r *Result) []blockRun {
	var blocks []blockRun
	for _, l := range r.Lines {
		words := make([]Word, 0, len(l.Words))
		for _, w := range l.Words {
			if strings.TrimSpace(w.Text) != "" {
				words = append(words, w)
			}
		}
		if len(words) == 0 {
			continue
		}
		l.Words = words
		if n := len(blocks); n == 0 || blocks[n-1].block != l.Block {
			blocks = append(blocks, blockRun{block: l.Block})
		}
		b := &blocks[len(blocks)-1]
		if n := len(b.pars); n == 0 || b.pars[n-1].para != l.Para || b.pars[n-1].dir != l.Dir {
			b.pars = append(b.pars, parRun{para: l.Para, dir: l.Dir})
		}
		p := &b.pars[len(b.pars)-1]
		p.lines = append(p.lines, l)
		p.box = union(p.box, l.Box)
		b.box = union(b.box, l.Box)
	}
	return blocks
}

// union is the smallest box holding a and b; the zero box holds nothing.
func union(a, b Box) Box {
	switch {
	case a == Box{}:
		return b
	case b == Box{}:
		return a
	}
	return Box{min(a.X0, b.X0), min(a.Y0, b.Y0), max(a.X1, b.X1), max(a.Y1, b.Y1)}
}

// tesseractBases maps the Tesseract codes that are ISO 639-2/B codes,
// which the language package does not map, to ISO 639-1.
var tesseractBases = map[string]string{"chi": "zh"}

// isoLanguage turns a Tesseract language code (fra, chi_sim, aze_cyrl) into
// a BCP 47 tag with the ISO 639-1 code where there is one (fr, zh-Hans,
// az-Cyrl). Codes that name no language (osd, equ, script/Arabic) give
// false.
func isoLanguage(code string) (string, bool) {
	if code == "" || strings.Contains(code, "/") {
		return "", false
	}
	baseCode, suffix, _ := strings.Cut(strings.ToLower(code), "_")
	if b, ok := tesseractBases[baseCode]; ok {
		baseCode = b
	}
	base, err := language.ParseBase(baseCode)
	if err != nil {
		return "", false
	}
	tag, err := language.Compose(base)
	switch suffix {
	case "sim":
		tag, err = language.Compose(base, language.MustParseScript("Hans"))
	case "tra":
		tag, err = language.Compose(base, language.MustParseScript("Hant"))
	default:
		// Script variants (aze_cyrl, srp_latn); other suffixes (jpn_vert,
		// ita_old) say nothing a language tag can.
		if s, serr := language.ParseScript(suffix); serr == nil && len(suffix) == 4 {
			tag, err = language.Compose(base, s)
		}
	}
	if err != nil {
		return "", false
	}
	return tag.String(), true
}

// isoLanguages maps codes with isoLanguage, keeping the first of each
// and dropping the ones that name no language.
func isoLanguages(codes []string) []string {
	var out []string
	for _, c := range codes {
		if l, ok := isoLanguage(c); ok && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// xmlWriter writes indented XML by hand: both formats want a fixed
// attribute order and literal namespace declarations, which xml.Encoder
// makes awkward. Text and attribute values still go through
// xml.EscapeText. The first error sticks and later writes do nothing.
type xmlWriter struct {
	w     *bufio.Writer
	depth int
	err   error
}

type attr struct{ name, value string }

func newXMLWriter(w io.Writer) *xmlWriter { return &xmlWriter{w: bufio.NewWriter(w)} }

func (x *xmlWriter) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *xmlWriter) escape(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

func (x *xmlWriter) tag(name string, attrs []attr) {
	x.raw("\n")
	x.raw(strings.Repeat(" ", x.depth))
	x.raw("<" + name)
	for _, a := range attrs {
		x.raw(" " + a.name + `="`)
		x.escape(a.value)
		x.raw(`"`)
	}
}

// open starts an element whose children follow on their own lines.
func (x *xmlWriter) open(name string, attrs ...attr) {
	x.tag(name, attrs)
	x.raw(">")
	x.depth++
}

func (x *xmlWriter) close(name string) {
	x.depth--
	x.raw("\n")
	x.raw(strings.Repeat(" ", x.depth))
	x.raw("</" + name + ">")
}

// leaf writes an element holding only text, on one line, so that no
// indentation gets into the text.
func (x *xmlWriter) leaf(name, text string, attrs ...attr) {
	x.tag(name, attrs)
	x.raw(">")
	x.escape(text)
	x.raw("</" + name + ">")
}

func (x *xmlWriter) empty(name string, attrs ...attr) {
	x.tag(name, attrs)
	x.raw("/>")
}

func (x *xmlWriter) flush() error {
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}
