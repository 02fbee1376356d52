package pdf

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Description is what a PDF says about itself: what `demat info` prints.
type Description struct {
	Pages int `json:"pages"`
	// PDFA is the PDF/A level the file claims in its XMP ("2b", "3b"…),
	// empty when none. It is a claim, not a validation.
	PDFA string `json:"pdfa,omitempty"`
	// Meta is the metadata, from the XMP packet where it has a property,
	// else from the Info dictionary.
	Meta     Metadata `json:"metadata"`
	Producer string   `json:"producer,omitempty"`
	Creator  string   `json:"creator,omitempty"`
	Created  string   `json:"created,omitempty"`
	Modified string   `json:"modified,omitempty"`
	// Info is the Info dictionary's text entries as they are.
	Info        map[string]string `json:"info,omitempty"`
	Attachments []AttachmentInfo  `json:"attachments,omitempty"`
	// Record is the attached metadata record, when there is one.
	Record *Record `json:"record,omitempty"`
}

// AttachmentInfo describes an embedded file.
type AttachmentInfo struct {
	Name         string `json:"name"`
	MIME         string `json:"mime,omitempty"`
	Size         int    `json:"size"`
	Relationship string `json:"relationship,omitempty"`
	Description  string `json:"description,omitempty"`
}

// Describe reads what the PDF at path says about itself.
func Describe(path string) (*Description, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadContext(f, conf)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PDF demat can read: %v", path, err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	x := ctx.XRefTable
	d := &Description{Pages: x.PageCount, Info: map[string]string{}}
	if x.Info != nil {
		if info, err := x.DereferenceDict(*x.Info); err == nil {
			for k, v := range info {
				if s, err := x.DereferenceText(v); err == nil {
					d.Info[k] = s
				}
			}
		}
	}
	cat, err := x.Catalog()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var props map[string][]string
	if o, ok := cat["Metadata"]; ok {
		if sd, _, err := x.DereferenceStreamDict(o); err == nil && sd != nil {
			if err := sd.Decode(); err == nil {
				props, _ = readXMP(sd.Content)
			}
		}
	}
	d.fill(props)
	if d.Meta.Language == "" {
		// A PDF without XMP may still say its language in the catalog.
		if o, ok := cat["Lang"]; ok {
			if s, err := x.DereferenceText(o); err == nil {
				d.Meta.Language = strings.TrimSpace(s)
			}
		}
	}
	d.Attachments, d.Record = attachmentsOf(x, cat)
	return d, nil
}

// fill takes the metadata from the XMP properties, falling back on the
// Info dictionary.
func (d *Description) fill(props map[string][]string) {
	first := func(ns, name string) string {
		if v := props[ns+name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	m := &d.Meta
	m.Title = or(first(nsDC, "title"), d.Info["Title"])
	m.Author = or(strings.Join(props[nsDC+"creator"], "; "), d.Info["Author"])
	m.Subject = or(first(nsDC, "description"), d.Info["Subject"])
	if kw := props[nsDC+"subject"]; len(kw) > 0 {
		m.Keywords = kw
	} else if s := or(first(nsPDF, "Keywords"), d.Info["Keywords"]); s != "" {
		m.Set("keywords", s)
	}
	m.Language = first(nsDC, "language")
	m.Date = first(nsDC, "date")
	for _, f := range metaFields {
		if f.xmp != "" {
			*f.field(m) = first(NSRegistry, f.xmp)
		}
	}
	d.Producer = or(first(nsPDF, "Producer"), d.Info["Producer"])
	d.Creator = or(first(nsXMP, "CreatorTool"), d.Info["Creator"])
	d.Created = or(first(nsXMP, "CreateDate"), d.Info["CreationDate"])
	d.Modified = or(first(nsXMP, "ModifyDate"), d.Info["ModDate"])
	if part := first(nsPDFAID, "part"); part != "" {
		d.PDFA = part + strings.ToLower(first(nsPDFAID, "conformance"))
	}
}

// attachmentsOf lists the embedded files of the catalogue's name tree
// (its first level: what demat and most tools write) and reads the
// metadata record among them.
func attachmentsOf(x *model.XRefTable, cat types.Dict) ([]AttachmentInfo, *Record) {
	names, err := x.DereferenceDict(cat["Names"])
	if err != nil || names == nil {
		return nil, nil
	}
	ef, err := x.DereferenceDict(names["EmbeddedFiles"])
	if err != nil || ef == nil {
		return nil, nil
	}
	arr, err := x.DereferenceArray(ef["Names"])
	if err != nil {
		return nil, nil
	}
	var out []AttachmentInfo
	var rec *Record
	for i := 0; i+1 < len(arr); i += 2 {
		spec, err := x.DereferenceDict(arr[i+1])
		if err != nil || spec == nil {
			continue
		}
		var a AttachmentInfo
		a.Name, _ = x.DereferenceText(spec["UF"])
		if a.Name == "" {
			a.Name, _ = x.DereferenceText(spec["F"])
		}
		a.Description, _ = x.DereferenceText(spec["Desc"])
		if n, ok := spec["AFRelationship"].(types.Name); ok {
			a.Relationship = string(n)
		}
		efd, err := x.DereferenceDict(spec["EF"])
		if err != nil || efd == nil {
			out = append(out, a)
			continue
		}
		sd, _, err := x.DereferenceStreamDict(efd["F"])
		if err == nil && sd != nil {
			if n, ok := sd.Dict["Subtype"].(types.Name); ok {
				a.MIME = string(n)
			}
			if err := sd.Decode(); err == nil {
				a.Size = len(sd.Content)
				if a.Name == RecordName {
					var r Record
					if json.Unmarshal(sd.Content, &r) == nil && r.Schema == RecordSchema {
						rec = &r
					}
				}
			}
		}
		out = append(out, a)
	}
	return out, rec
}

// readXMP gives the simple properties of an XMP packet, keyed by
// namespace + name: a text value, or the items of an rdf:Alt (the
// x-default first), rdf:Seq or rdf:Bag. Properties written as attributes
// of rdf:Description count too. Structures (as in the PDF/A extension
// schemas) are skipped.
func readXMP(data []byte) (map[string][]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	props := map[string][]string{}
	var stack []xml.Name
	var prop string // the property being read (namespace + name)
	var text strings.Builder
	var items []string
	var defaultItem bool
	inLi, nested := false, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return props, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			parent := xml.Name{}
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			stack = append(stack, t.Name)
			switch {
			case t.Name.Space == nsRDF && t.Name.Local == "Description" && prop == "":
				for _, a := range t.Attr {
					if a.Name.Space != "" && a.Name.Space != nsRDF && a.Name.Space != "xmlns" {
						props[a.Name.Space+a.Name.Local] = []string{a.Value}
					}
				}
			case prop == "" && parent.Space == nsRDF && parent.Local == "Description":
				prop, items, nested = t.Name.Space+t.Name.Local, nil, 0
				text.Reset()
				for _, a := range t.Attr {
					if a.Name.Space == nsRDF && a.Name.Local == "parseType" {
						nested = 1 // a structure: skip
					}
				}
			case prop != "" && t.Name.Space == nsRDF && t.Name.Local == "li":
				inLi, defaultItem = true, false
				text.Reset()
				for _, a := range t.Attr {
					if a.Name.Local == "lang" && a.Value == "x-default" {
						defaultItem = true
					}
				}
			case prop != "" && !(t.Name.Space == nsRDF && (t.Name.Local == "Alt" || t.Name.Local == "Seq" || t.Name.Local == "Bag")):
				nested++
			}
		case xml.CharData:
			if prop != "" {
				text.Write(t)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			switch {
			case prop == "":
			case t.Name.Space == nsRDF && t.Name.Local == "li" && inLi:
				inLi = false
				if defaultItem {
					items = append([]string{text.String()}, items...)
				} else {
					items = append(items, text.String())
				}
			case t.Name.Space+t.Name.Local == prop && len(stack) > 0 && stack[len(stack)-1].Local == "Description":
				if nested == 0 {
					if items != nil {
						props[prop] = items
					} else if s := strings.TrimSpace(text.String()); s != "" {
						props[prop] = []string{text.String()}
					}
				}
				prop = ""
			}
		}
	}
	return props, nil
}
