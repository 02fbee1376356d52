package pdf

import (
	"crypto/md5"
	"encoding/json"
	"fmt"
	"mime"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zlib"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Attachment is a file embedded in the document as one of its associated
// files (PDF/A-3's /AF): the original e-mail a letter came with, an annex
// received on a USB key.
type Attachment struct {
	// Name is the file's name as readers show it (no folders).
	Name string
	// MIME is its media type; guessed from Name when empty.
	MIME string
	// Description says what it is.
	Description string
	// Relationship is how it relates to the document: Source, Data,
	// Alternative, Supplement or Unspecified (the default).
	Relationship string
	Data         []byte
	// Modified is the file's modification time; the document's creation
	// time when zero.
	Modified time.Time
}

// relationships PDF/A-3 allows for an associated file.
var relationships = []string{"Source", "Data", "Alternative", "Supplement", "Unspecified"}

func (a *Attachment) check() error {
	if a.Name == "" || strings.ContainsAny(a.Name, `/\`) {
		return fmt.Errorf("attachment %q: want a plain file name", a.Name)
	}
	if err := checkText(a.Name); err != nil {
		return fmt.Errorf("attachment %q: %w", a.Name, err)
	}
	if a.Relationship != "" && !slices.Contains(relationships, a.Relationship) {
		return fmt.Errorf("attachment %s: relationship %q: want one of %s", a.Name, a.Relationship, strings.Join(relationships, ", "))
	}
	return nil
}

// RecordName is the name of the metadata record attached to a document
// (Options.Record), and RecordSchema the identifier of its format, which
// the README documents.
const (
	RecordName   = "demat-metadata.json"
	RecordSchema = "https://demat-app.github.io/schema/metadata-record/1"
)

// Record is the metadata record: the document's metadata in JSON, with
// what identifies the document it belongs to.
type Record struct {
	Schema   string   `json:"schema"`
	Metadata Metadata `json:"metadata"`
	Pages    int      `json:"pages"`
	Created  string   `json:"created"`
	Producer string   `json:"producer"`
	// PDFA is the PDF/A level of the document ("3b", or "off").
	PDFA string `json:"pdfa"`
}

// attached is an attachment written: its file specification's object.
type attached struct {
	name string
	spec int
}

// attachments writes the associated files: the metadata record first,
// when asked for, then the others.
func (pw *Writer) attachments() []attached {
	files := slices.Clone(pw.opt.Attachments)
	if pw.opt.Record {
		rec, _ := json.MarshalIndent(Record{
			Schema: RecordSchema, Metadata: pw.opt.Meta, Pages: len(pw.pages),
			Created: xmpDate(pw.opt.Created), Producer: pw.opt.Producer, PDFA: pw.opt.PDFA.String(),
		}, "", "  ")
		files = append([]Attachment{{
			Name: RecordName, MIME: "application/json", Relationship: "Supplement",
			Description: "the document's metadata, machine-readable (demat metadata record)",
			Data:        append(rec, '\n'),
		}}, files...)
	}
	var out []attached
	for _, a := range files {
		out = append(out, attached{a.Name, pw.embed(a)})
	}
	return out
}

// embed writes one embedded file and its file specification.
func (pw *Writer) embed(a Attachment) int {
	typ := a.MIME
	if typ == "" {
		typ = mime.TypeByExtension(strings.ToLower(filepath.Ext(a.Name)))
	}
	if typ == "" {
		typ = "application/octet-stream"
	}
	if i := strings.IndexByte(typ, ';'); i >= 0 {
		typ = strings.TrimSpace(typ[:i]) // parameters do not fit a PDF name
	}
	mod := a.Modified
	if mod.IsZero() {
		mod = pw.opt.Created
	}
	sum := md5.Sum(a.Data)
	ef := pw.stream(0, types.Dict{
		"Type":    types.Name("EmbeddedFile"),
		"Subtype": types.Name(typ),
		"Filter":  types.Name("FlateDecode"),
		"Params": types.Dict{
			"Size":     types.Integer(len(a.Data)),
			"ModDate":  types.StringLiteral(pdfDate(mod.Truncate(time.Second))),
			"CheckSum": types.NewHexLiteral(sum[:]),
		},
	}, deflate(a.Data, zlib.BestCompression))
	rel := a.Relationship
	if rel == "" {
		rel = "Unspecified"
	}
	spec := types.Dict{
		"Type":           types.Name("Filespec"),
		"F":              textString(asciiName(a.Name)),
		"UF":             textString(a.Name),
		"AFRelationship": types.Name(rel),
		"EF":             types.Dict{"F": *types.NewIndirectRef(ef, 0), "UF": *types.NewIndirectRef(ef, 0)},
	}
	if a.Description != "" {
		spec["Desc"] = textString(a.Description)
	}
	return pw.object(0, spec)
}

// asciiName is a file name for readers that only know /F, which is not a
// Unicode text string: letters outside ASCII become underscores.
func asciiName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}
