package sign

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// update is an incremental update being written: objects, then a
// cross-reference section and trailer pointing back to the original's.
// Offsets are in the output file, which is the original followed by the
// update's bytes.
type update struct {
	base    int64 // size of the original: the update's first byte's offset
	buf     bytes.Buffer
	entries []xrefEntry
}

type xrefEntry struct {
	num, gen int
	off      int64
}

func (u *update) offset() int64 { return u.base + int64(u.buf.Len()) }

// object writes an object whose body is already serialised. An object
// already written is not written again: a file whose page lists its
// annotations in the very array its form lists its fields in gets the
// field added once, which is right for both.
func (u *update) object(num, gen int, body string) {
	for _, e := range u.entries {
		if e.num == num {
			return
		}
	}
	u.entries = append(u.entries, xrefEntry{num, gen, u.offset()})
	fmt.Fprintf(&u.buf, "%d %d obj\n%s\nendobj\n", num, gen, body)
}

// trailer is what the new trailer (or xref stream dictionary) carries
// over from the original.
type trailer struct {
	size int // first object number not used, after the update's objects
	root types.IndirectRef
	info *types.IndirectRef
	id   types.Array
	prev int64
}

func (t trailer) dict() types.Dict {
	d := types.Dict{
		"Size": types.Integer(t.size),
		"Root": t.root,
		"Prev": types.Integer(t.prev),
		"ID":   t.id,
	}
	if t.info != nil {
		d["Info"] = *t.info
	}
	return d
}

// finishTable ends the update with a classic cross-reference table.
func (u *update) finishTable(t trailer) {
	xref := u.offset()
	u.buf.WriteString("xref\n")
	for _, run := range runs(u.entries) {
		fmt.Fprintf(&u.buf, "%d %d\n", run[0].num, len(run))
		for _, e := range run {
			fmt.Fprintf(&u.buf, "%010d %05d n \n", e.off, e.gen)
		}
	}
	fmt.Fprintf(&u.buf, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", t.dict().PDFString(), xref)
}

// finishStream ends the update with a cross-reference stream (object
// number num, the last one), for originals whose last section is one: a
// reader that only knows streams for this file keeps working.
func (u *update) finishStream(num int, t trailer) {
	xref := u.offset()
	entries := append(slices.Clone(u.entries), xrefEntry{num, 0, xref})
	w := 1
	for max := xref; max > 0xff; max >>= 8 {
		w++
	}
	var data []byte
	var index types.Array
	for _, run := range runs(entries) {
		index = append(index, types.Integer(run[0].num), types.Integer(len(run)))
		for _, e := range run {
			data = append(data, 1)
			var off [8]byte
			binary.BigEndian.PutUint64(off[:], uint64(e.off))
			data = append(data, off[8-w:]...)
			data = append(data, byte(e.gen>>8), byte(e.gen))
		}
	}
	d := t.dict()
	d["Type"] = types.Name("XRef")
	d["W"] = types.Array{types.Integer(1), types.Integer(w), types.Integer(2)}
	d["Index"] = index
	d["Length"] = types.Integer(len(data))
	fmt.Fprintf(&u.buf, "%d 0 obj\n%s\nstream\n", num, d.PDFString())
	u.buf.Write(data)
	fmt.Fprintf(&u.buf, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
}

// runs sorts entries by object number and splits them into runs of
// consecutive numbers, one cross-reference subsection each.
func runs(entries []xrefEntry) [][]xrefEntry {
	e := slices.Clone(entries)
	slices.SortFunc(e, func(a, b xrefEntry) int { return a.num - b.num })
	var out [][]xrefEntry
	for i := 0; i < len(e); {
		j := i + 1
		for j < len(e) && e[j].num == e[j-1].num+1 {
			j++
		}
		out = append(out, e[i:j])
		i = j
	}
	return out
}

// newID makes a file identifier for a file that has none (PDF/A and
// PAdES want one).
func newID() types.Array {
	b := make([]byte, 16)
	rand.Read(b)
	h := types.HexLiteral(hex.EncodeToString(b))
	return types.Array{h, h}
}

// pdfText encodes a text string: a literal string when it is printable
// ASCII (PDFDocEncoding agrees there), else UTF-16BE with a byte-order
// mark, as hex, so French and Arabic names survive.
func pdfText(s string) string {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	u := utf16.Encode([]rune(s))
	b := []byte{0xfe, 0xff}
	for _, c := range u {
		b = append(b, byte(c>>8), byte(c))
	}
	return "<" + strings.ToUpper(hex.EncodeToString(b)) + ">"
}

// pdfDate formats t as a PDF date, D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}
