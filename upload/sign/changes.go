package sign

import (
	"bytes"
	"slices"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// change is a Change with the object before and after, to judge it
// against a certification's permissions.
type change struct {
	Change
	old, new types.Object
}

// changesAfter lists what the updates after the revision ending at end
// changed: objects whose latest definition lies after end, compared with
// the table of that revision (parsed once per end into cache). It also
// gives the revision's page count. An unreadable revision gives no list.
func changesAfter(data []byte, x *model.XRefTable, end int64, cache map[int64]*model.XRefTable) ([]Change, int, []change) {
	rev := cache[end]
	if rev == nil {
		ctx, err := readContext(bytes.NewReader(data[:end]))
		if err != nil {
			return []Change{{Action: "unreadable", Type: "signed revision"}}, 0, nil
		}
		rev = ctx.XRefTable
		cache[end] = rev
	}
	var detail []change
	nums := make([]int, 0, len(x.Table))
	for n := range x.Table {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		if n == 0 {
			continue
		}
		e := x.Table[n]
		old := rev.Table[n]
		was := old != nil && !old.Free
		if e == nil || e.Free {
			if was {
				detail = append(detail, change{Change{n, "deleted", describe(old.Object)}, old.Object, nil})
			}
			continue
		}
		off, ok := definedAt(x, e)
		if !ok || off < end {
			continue
		}
		typ := describe(e.Object)
		if typ == "cross-reference" {
			continue // the update's own plumbing
		}
		if was {
			detail = append(detail, change{Change{n, "modified", typ}, old.Object, e.Object})
		} else {
			detail = append(detail, change{Change{n, "added", typ}, nil, e.Object})
		}
	}
	out := make([]Change, len(detail))
	for i, c := range detail {
		out[i] = c.Change
	}
	return out, rev.PageCount, detail
}

// definedAt gives the offset where an object's latest definition is: its
// own, or its object stream's.
func definedAt(x *model.XRefTable, e *model.XRefTableEntry) (int64, bool) {
	if e.Compressed {
		if e.ObjectStream == nil {
			return 0, false
		}
		s := x.Table[*e.ObjectStream]
		if s == nil || s.Offset == nil {
			return 0, false
		}
		return *s.Offset, true
	}
	if e.Offset == nil {
		return 0, false
	}
	return *e.Offset, true
}

// forbidden gives the changes a certification with permissions p does
// not allow (ISO 32000-1 12.8.2.2): with 1, any; with 2, anything but
// signing (signature fields, their widgets and new appearances with the
// images they draw, signature and timestamp dictionaries, the form, the
// document security store, and the pages' and form's lists gaining
// those); with 3, annotations too.
func forbidden(p int, later []change, x *model.XRefTable) []Change {
	var bad []Change
	for _, c := range later {
		if !permitted(p, c, x) {
			bad = append(bad, c.Change)
		}
	}
	return bad
}

func permitted(p int, c change, x *model.XRefTable) bool {
	if p <= 1 || c.Action == "deleted" {
		return false
	}
	switch c.Type {
	case "signature", "document timestamp", "signature field", "signature field (Widget)", "form", "document security store":
		return true
	case "XObject (Form)", "XObject (Image)":
		// A signature's appearance and the image it draws; a form or
		// image that exists already may be drawn by a page, and must
		// not change.
		return c.Action == "added"
	case "stream":
		// The security store's certificates, CRLs and OCSP answers are
		// new untyped streams; an existing stream (a page's content)
		// must not change.
		return c.Action == "added"
	case "catalog":
		return onlyKeysChanged(c.old, c.new, "AcroForm", "DSS", "Extensions")
	case "page":
		return c.Action == "modified" && onlyKeysChanged(c.old, c.new, "Annots")
	case "array":
		// A page's /Annots or the form's /Fields that only grew, by
		// objects that are themselves allowed.
		return c.Action == "modified" && arrayGrewWith(c.old, c.new, func(o types.Object) bool {
			d, _ := x.DereferenceDict(o)
			t := describe(d)
			return t == "signature field" || t == "signature field (Widget)" || (p == 3 && len(t) > 10 && t[:10] == "annotation")
		})
	}
	if p == 3 && len(c.Type) > 10 && c.Type[:10] == "annotation" {
		return true
	}
	return false
}

// onlyKeysChanged says whether two dictionaries differ at most in keys.
func onlyKeysChanged(a, b types.Object, keys ...string) bool {
	da, ok1 := a.(types.Dict)
	db, ok2 := b.(types.Dict)
	if !ok1 || !ok2 {
		return false
	}
	for k, v := range da {
		if slices.Contains(keys, k) {
			continue
		}
		w, ok := db[k]
		if !ok || !same(v, w) {
			return false
		}
	}
	for k := range db {
		if _, ok := da[k]; !ok && !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}

func same(a, b types.Object) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.PDFString() == b.PDFString()
}

// arrayGrewWith says whether b is a followed by elements that ok accepts.
func arrayGrewWith(a, b types.Object, ok func(types.Object) bool) bool {
	aa, ok1 := a.(types.Array)
	ab, ok2 := b.(types.Array)
	if !ok1 || !ok2 || len(ab) < len(aa) {
		return false
	}
	for i := range aa {
		if !same(aa[i], ab[i]) {
			return false
		}
	}
	for _, o := range ab[len(aa):] {
		if !ok(o) {
			return false
		}
	}
	return true
}

// visualChanges gives the changes that alter what the pages show: pages
// added or deleted, a page changed other than in its annotations, or an
// existing stream, image, form XObject or font replaced.
func visualChanges(later []change) []Change {
	var out []Change
	for _, c := range later {
		switch {
		case c.Type == "page" && (c.Action != "modified" || !onlyKeysChanged(c.old, c.new, "Annots")):
		case c.Action == "added":
			continue
		case c.Type == "stream" || c.Type == "font" || strings.HasPrefix(c.Type, "XObject"):
		default:
			continue
		}
		out = append(out, c.Change)
	}
	return out
}
