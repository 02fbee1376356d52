package sign

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// quietPDFCPU stops pdfcpu from creating a configuration folder in the
// user's home the first time it runs.
var quietPDFCPU sync.Once

// readContext reads a PDF's object graph with pdfcpu, and counts its
// pages. api.ReadContext recovers pdfcpu's panics, EnsurePageCount does
// not: a hostile file must give an error, not take the application down.
func readContext(r io.ReadSeeker) (ctx *model.Context, err error) {
	quietPDFCPU.Do(func() { model.ConfigPath = "disable" })
	defer func() {
		if p := recover(); p != nil {
			ctx, err = nil, fmt.Errorf("unreadable PDF (%v)", p)
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err = api.ReadContext(r, conf)
	if err != nil {
		return nil, err
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, err
	}
	return ctx, nil
}

// tailSize is how much of the end of a file is searched for startxref:
// some writers leave a little garbage after %%EOF.
const tailSize = 4096

// lastXRef finds where the file's last cross-reference section starts
// and whether it is a stream (PDF 1.5) or a classic table: the
// incremental update points back to it, and writes the same kind.
func lastXRef(r io.ReaderAt, size int64) (off int64, stream bool, err error) {
	n := min(size, tailSize)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return 0, false, err
	}
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, false, errors.New("no startxref at the end of the file")
	}
	off, ok := number(tail[i+len("startxref"):])
	if !ok || off <= 0 || off >= size {
		return 0, false, errors.New("startxref does not point into the file")
	}
	head := make([]byte, min(64, size-off))
	if _, err := r.ReadAt(head, off); err != nil && err != io.EOF {
		return 0, false, err
	}
	head = bytes.TrimLeft(head, " \t\r\n\f\x00")
	if bytes.HasPrefix(head, []byte("xref")) {
		return off, false, nil
	}
	if isObjHeader(head) {
		return off, true, nil
	}
	return 0, false, errors.New("startxref does not point at a cross-reference section")
}

// number reads the unsigned integer after leading white space.
func number(b []byte) (int64, bool) {
	b = bytes.TrimLeft(b, " \t\r\n\f\x00")
	j := 0
	for j < len(b) && j < 19 && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b[:j]), 10, 64)
	return v, err == nil
}

// isObjHeader says whether b starts with "N G obj".
func isObjHeader(b []byte) bool {
	for field := 0; field < 2; field++ {
		j := 0
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == 0 || j == len(b) || !isSpace(b[j]) {
			return false
		}
		b = bytes.TrimLeft(b[j:], " \t\r\n\f\x00")
	}
	return bytes.HasPrefix(b, []byte("obj"))
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0
}

// revisionEnds gives where each revision of the file ends: just after
// each "startxref N %%EOF", and just after the end-of-line that follows
// it, in file order. The last revision's end is normally the file's size.
func revisionEnds(data []byte) [][2]int64 {
	var ends [][2]int64
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("%%EOF"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + 5
		// Before %%EOF: white space, digits, white space, "startxref".
		k := at
		for k > 0 && isSpace(data[k-1]) {
			k--
		}
		d := k
		for d > 0 && data[d-1] >= '0' && data[d-1] <= '9' {
			d--
		}
		if d == k {
			continue
		}
		for d > 0 && isSpace(data[d-1]) {
			d--
		}
		if d < 9 || string(data[d-9:d]) != "startxref" {
			continue
		}
		end := at + 5
		if end < len(data) && data[end] == '\r' {
			end++
		}
		if end < len(data) && data[end] == '\n' {
			end++
		}
		ends = append(ends, [2]int64{int64(at + 5), int64(end)})
	}
	return ends
}

// describe names what a PDF object is, for the list of what a later
// update changed: "page", "annotation (Widget)", "signature"…
func describe(o types.Object) string {
	var d types.Dict
	switch o := o.(type) {
	case types.Dict:
		d = o
	case types.StreamDict:
		d = o.Dict
	case types.Array:
		return "array"
	case nil:
		return "null"
	default:
		return "value"
	}
	name := func(k string) string {
		if n, ok := d[k].(types.Name); ok {
			return string(n)
		}
		return ""
	}
	typ, sub := name("Type"), name("Subtype")
	switch {
	case typ == "Page":
		return "page"
	case typ == "Pages":
		return "page tree"
	case typ == "Catalog":
		return "catalog"
	case typ == "Sig":
		return "signature"
	case typ == "DocTimeStamp":
		return "document timestamp"
	case typ == "Annot" || (typ == "" && sub == "Widget"):
		if name("FT") == "Sig" {
			return "signature field (Widget)"
		}
		return "annotation (" + sub + ")"
	case name("FT") == "Sig":
		return "signature field"
	case name("FT") != "":
		return "form field (" + name("FT") + ")"
	case d["Fields"] != nil:
		return "form"
	case typ == "XObject":
		return "XObject (" + sub + ")"
	case typ == "Font" || typ == "FontDescriptor":
		return "font"
	case typ == "Metadata":
		return "metadata"
	case typ == "XRef" || typ == "ObjStm":
		return "cross-reference"
	case d["Certs"] != nil || d["VRI"] != nil:
		return "document security store"
	case typ != "":
		return typ
	}
	if _, ok := o.(types.StreamDict); ok {
		return "stream"
	}
	return "dictionary"
}
