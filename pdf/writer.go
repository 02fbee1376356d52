package pdf

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/klauspost/compress/zlib"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/demat-app/demat/internal/icc"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/scan"
)

// Options describe the document.
type Options struct {
	// Meta is the document's metadata (Title, Language… and the
	// registry's properties).
	Meta Metadata
	// Producer names the program; "demat" when empty.
	Producer string
	// Created is the creation date; now when zero.
	Created time.Time
	// PDFA is the PDF/A level claimed and kept to: PDF/A-2b by default.
	PDFA Conformance
	// Attachments are files embedded as associated files of the
	// document (PDF/A-3 or no PDF/A: PDF/A-2 takes only PDF/A files).
	Attachments []Attachment
	// Record embeds the metadata record (RecordName, see Record) as an
	// associated file, so that the archived copy describes itself to
	// systems that read no XMP. It needs PDF/A-3 too.
	Record bool
}

// Conformance is a PDF/A level.
type Conformance uint8

// PDF/A levels demat writes. Level B ("basic") is what a scan can honestly
// claim: the look of every page is preserved; the text layer is not
// tagged structure (level A) but is Unicode (what level U adds).
const (
	PDFA2B Conformance = iota // the default
	PDFA3B                    // PDF/A-2b with associated files
	PDFAOff
)

func (c Conformance) String() string {
	switch c {
	case PDFA2B:
		return "2b"
	case PDFA3B:
		return "3b"
	}
	return "off"
}

// ParseConformance reads 2b, 3b or off.
func ParseConformance(s string) (Conformance, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "2b", "2", "pdfa-2b":
		return PDFA2B, nil
	case "3b", "3", "pdfa-3b":
		return PDFA3B, nil
	case "off", "none", "no":
		return PDFAOff, nil
	}
	return 0, fmt.Errorf("PDF/A level %q: want 2b, 3b or off", s)
}

// part is the PDF/A part number, 0 for none.
func (c Conformance) part() int {
	switch c {
	case PDFA2B:
		return 2
	case PDFA3B:
		return 3
	}
	return 0
}

// Writer writes one PDF, page by page. It is not safe for concurrent use:
// one goroutine owns it from NewWriter to Close.
type Writer struct {
	w      *countingWriter
	opt    Options
	offset []int64 // object number → byte offset; 0 = not written yet
	pages  []int   // page object numbers
	font   int     // Type0 font object
	err    error   // first write error: every later call returns it
}

// Object numbers fixed at the start; the rest are given out in order.
const (
	objCatalog = 1
	objPages   = 2
)

// NewWriter starts a PDF on w: header and the shared font objects.
func NewWriter(w io.Writer, opt Options) (*Writer, error) {
	if opt.Producer == "" {
		opt.Producer = "demat"
	}
	if opt.Created.IsZero() {
		opt.Created = time.Now()
	}
	// Dates go to the second in both Info and XMP, which must agree.
	opt.Created = opt.Created.Truncate(time.Second)
	if opt.PDFA == PDFA2B && (len(opt.Attachments) > 0 || opt.Record) {
		return nil, errors.New("pdf: PDF/A-2b cannot hold attached files: use PDF/A-3b (--pdfa 3b) or no PDF/A (--pdfa off)")
	}
	for _, a := range opt.Attachments {
		if err := a.check(); err != nil {
			return nil, fmt.Errorf("pdf: %w", err)
		}
	}
	pw := &Writer{w: &countingWriter{w: bufio.NewWriterSize(w, 1<<16)}, opt: opt, offset: make([]int64, 3)}
	// The binary comment tells transfer tools the file is not text.
	pw.printf("%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n")
	pw.font = pw.writeFont()
	return pw, pw.err
}

func (pw *Writer) printf(format string, a ...any) {
	if pw.err == nil {
		_, pw.err = fmt.Fprintf(pw.w, format, a...)
	}
}

func (pw *Writer) write(b []byte) {
	if pw.err == nil {
		_, pw.err = pw.w.Write(b)
	}
}

// reserve gives out the next object number.
func (pw *Writer) reserve() int {
	pw.offset = append(pw.offset, 0)
	return len(pw.offset) - 1
}

// begin starts object n at the current offset.
func (pw *Writer) begin(n int) {
	pw.offset[n] = pw.w.n
	pw.printf("%d 0 obj\n", n)
}

// object writes a whole non-stream object and returns its number (n, or a
// new one when n is 0).
func (pw *Writer) object(n int, o types.Object) int {
	if n == 0 {
		n = pw.reserve()
	}
	pw.begin(n)
	pw.printf("%s\nendobj\n", o.PDFString())
	return n
}

// stream writes a stream object; d gets its /Length.
func (pw *Writer) stream(n int, d types.Dict, data []byte) int {
	if n == 0 {
		n = pw.reserve()
	}
	d["Length"] = types.Integer(len(data))
	pw.begin(n)
	pw.printf("%s\nstream\n", d.PDFString())
	pw.write(data)
	pw.printf("\nendstream\nendobj\n")
	return n
}

// AddPage writes one page as it came (EncodeImage without a cleanup
// report): the image, covering the page at the image's resolution, and
// the text layer from text (nil for a page without text).
func (pw *Writer) AddPage(p *scan.Page, text *ocr.Result) error {
	if pw.err != nil {
		return pw.err
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	img, err := EncodeImage(p, ImageOptions{})
	if err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	w, h := p.Size()
	return pw.AddEncodedPage(img, w, h, text)
}

// AddEncodedPage writes one page of w×h points whose image was prepared
// by EncodeImage, and the overlays drawn over it (the arrival stamp).
func (pw *Writer) AddEncodedPage(img *Image, w, h float64, text *ocr.Result, overlays ...*Overlay) error {
	if pw.err != nil {
		return pw.err
	}
	xobjects := types.Dict{}
	var content bytes.Buffer
	for i, l := range img.layers {
		d := l.dict.Clone().(types.Dict)
		if l.mask != nil {
			d["Mask"] = *types.NewIndirectRef(pw.stream(0, l.mask.dict, l.mask.data), 0)
		}
		name := fmt.Sprintf("Im%d", i)
		xobjects[name] = *types.NewIndirectRef(pw.stream(0, d, l.data), 0)
		fmt.Fprintf(&content, "q %s 0 0 %s 0 0 cm /%s Do Q\n", num(w), num(h), name)
	}
	if text != nil && text.WordCount() > 0 {
		writeText(&content, text, w, h)
	}
	for _, ov := range overlays {
		if ov != nil {
			ov.write(&content, w, h)
		}
	}
	cs := pw.stream(0, types.Dict{"Filter": types.Name("FlateDecode")}, deflate(content.Bytes(), zlib.DefaultCompression))
	page := pw.object(0, types.Dict{
		"Type":     types.Name("Page"),
		"Parent":   *types.NewIndirectRef(objPages, 0),
		"MediaBox": types.Array{types.Integer(0), types.Integer(0), number(w), number(h)},
		"Contents": *types.NewIndirectRef(cs, 0),
		"Resources": types.Dict{
			"XObject": xobjects,
			"Font":    types.Dict{"F1": *types.NewIndirectRef(pw.font, 0)},
		},
	})
	pw.pages = append(pw.pages, page)
	return pw.err
}

// PageCount is the number of pages added so far.
func (pw *Writer) PageCount() int { return len(pw.pages) }

// Close writes the page tree, the catalogue, the document information and
// the cross-reference table, and flushes. It does not close the underlying
// writer.
func (pw *Writer) Close() error {
	if pw.err != nil {
		return pw.err
	}
	if len(pw.pages) == 0 {
		return errors.New("pdf: no page")
	}
	kids := make(types.Array, len(pw.pages))
	for i, n := range pw.pages {
		kids[i] = *types.NewIndirectRef(n, 0)
	}
	pw.object(objPages, types.Dict{"Type": types.Name("Pages"), "Kids": kids, "Count": types.Integer(len(pw.pages))})
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	cat := types.Dict{"Type": types.Name("Catalog"), "Pages": *types.NewIndirectRef(objPages, 0)}
	if pw.opt.Meta.Language != "" {
		cat["Lang"] = types.StringLiteral(pw.opt.Meta.Language)
	}
	doc := xmpDoc{
		meta: pw.opt.Meta, producer: pw.opt.Producer, tool: pw.opt.Producer,
		created: pw.opt.Created, modified: pw.opt.Created,
		documentID: "uuid:" + uuid(id), instID: "uuid:" + uuid(id),
		part: pw.opt.PDFA.part(), conformance: "B",
	}
	// The metadata stream is left uncompressed, so that any tool can
	// find and read it (PDF/A asks for it).
	xmp := pw.packet(doc.packet())
	cat["Metadata"] = *types.NewIndirectRef(xmp, 0)
	if pw.opt.PDFA != PDFAOff {
		cat["OutputIntents"] = types.Array{*types.NewIndirectRef(pw.outputIntent(), 0)}
	}
	if files := pw.attachments(); len(files) > 0 {
		names := types.Array{}
		af := types.Array{}
		for _, f := range files {
			names = append(names, textString(f.name), *types.NewIndirectRef(f.spec, 0))
			af = append(af, *types.NewIndirectRef(f.spec, 0))
		}
		cat["Names"] = types.Dict{"EmbeddedFiles": types.Dict{"Names": names}}
		cat["AF"] = af
		cat["PageMode"] = types.Name("UseAttachments")
	}
	pw.object(objCatalog, cat)
	info := pw.object(0, pw.info())

	xref := pw.w.n
	pw.printf("xref\n0 %d\n0000000000 65535 f \n", len(pw.offset))
	for _, off := range pw.offset[1:] {
		pw.printf("%010d 00000 n \n", off)
	}
	trailer := types.Dict{
		"Size": types.Integer(len(pw.offset)),
		"Root": *types.NewIndirectRef(objCatalog, 0),
		"Info": *types.NewIndirectRef(info, 0),
		"ID":   types.Array{types.NewHexLiteral(id), types.NewHexLiteral(id)},
	}
	pw.printf("trailer\n%s\nstartxref\n%d\n%%%%EOF\n", trailer.PDFString(), xref)
	if pw.err == nil {
		pw.err = pw.w.w.Flush()
	}
	if pw.err == nil {
		pw.err = errClosed // any later call fails
		return nil
	}
	return pw.err
}

var errClosed = errors.New("pdf: writer closed")

// info is the Info dictionary: the same properties as the XMP packet, in
// the same words (PDF/A checks that they agree).
func (pw *Writer) info() types.Dict {
	m := pw.opt.Meta
	d := types.Dict{
		"Producer":     textString(pw.opt.Producer),
		"Creator":      textString(pw.opt.Producer),
		"CreationDate": types.StringLiteral(pdfDate(pw.opt.Created)),
		"ModDate":      types.StringLiteral(pdfDate(pw.opt.Created)),
	}
	for k, v := range map[string]string{"Title": m.Title, "Author": m.Author, "Subject": m.Subject, "Keywords": strings.Join(m.Keywords, ", ")} {
		if v != "" {
			d[k] = textString(v)
		}
	}
	return d
}

// packet writes the XMP packet as the document's metadata stream.
func (pw *Writer) packet(xmp []byte) int {
	return pw.stream(0, types.Dict{"Type": types.Name("Metadata"), "Subtype": types.Name("XML")}, xmp)
}

// outputIntent writes the sRGB output intent PDF/A requires for device
// colour (the scans' DeviceRGB and DeviceGray images).
func (pw *Writer) outputIntent() int {
	prof := icc.SRGB()
	p := pw.stream(0, types.Dict{"N": types.Integer(3), "Filter": types.Name("FlateDecode")}, deflate(prof, zlib.BestCompression))
	return pw.object(0, types.Dict{
		"Type":                      types.Name("OutputIntent"),
		"S":                         types.Name("GTS_PDFA1"),
		"OutputConditionIdentifier": types.StringLiteral(icc.Description),
		"Info":                      types.StringLiteral(icc.Description),
		"RegistryName":              types.StringLiteral("http://www.color.org"),
		"DestOutputProfile":         *types.NewIndirectRef(p, 0),
	})
}

// uuid formats 16 random bytes as a version 4 UUID.
func uuid(b []byte) string {
	u := append([]byte(nil), b...)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// textString encodes a text string: PDFDocEncoding-safe ASCII as a literal,
// anything else as UTF-16BE with a byte order mark (Arabic and accented
// French survive every reader that way).
func textString(s string) types.Object {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		esc, err := types.Escape(s)
		if err == nil {
			return types.StringLiteral(*esc)
		}
	}
	return types.NewHexLiteral(append([]byte{0xfe, 0xff}, utf16be(s)...))
}

func utf16be(s string) []byte {
	var b []byte
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			hi, lo := 0xd800+(r>>10), 0xdc00+(r&0x3ff)
			b = append(b, byte(hi>>8), byte(hi), byte(lo>>8), byte(lo))
			continue
		}
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

func deflate(data []byte, level int) []byte {
	var b bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&b, level)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// countingWriter counts bytes for the cross-reference table.
type countingWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// num formats a number for a content stream: at most 3 decimals, no
// exponent, no trailing zeros.
func num(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

// number gives a PDF number object: an integer when v is whole to three
// decimals, else a real rounded to three decimals
// (pdfcpu prints reals with twelve).
func number(v float64) types.Object {
	r := math.Round(v*1000) / 1000
	if r == math.Trunc(r) {
		return types.Integer(int(r))
	}
	return types.Float(r)
}
