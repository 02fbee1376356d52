package pdf

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Metadata describes a document: the standard properties every PDF reader
// shows, and the registry's (a bureau d'ordre's) own. It goes into the
// Info dictionary and the XMP packet (see the README for the mapping and
// the namespace), and into the metadata record attached to PDF/A-3 files.
// Empty fields are left out.
type Metadata struct {
	Title    string   `json:"title,omitempty"`
	Author   string   `json:"author,omitempty"`
	Subject  string   `json:"subject,omitempty"`
	Keywords []string `json:"keywords,omitempty"`
	// Language is the document's main language as a BCP 47 tag ("fr",
	// "ar", "en").
	Language string `json:"language,omitempty"`
	// Date is the document's own date (the letter's), an XMP date:
	// YYYY, YYYY-MM, YYYY-MM-DD or a date and time with its zone.
	Date string `json:"date,omitempty"`

	// The registry's properties, in demat's XMP namespace (NSRegistry).
	Reference string `json:"reference,omitempty"`
	Sender    string `json:"sender,omitempty"`
	Recipient string `json:"recipient,omitempty"`
	// Direction is incoming, outgoing or internal.
	Direction          string `json:"direction,omitempty"`
	DocumentType       string `json:"document_type,omitempty"`
	Confidentiality    string `json:"confidentiality,omitempty"`
	RegistrationNumber string `json:"registration_number,omitempty"`
	// Received is when the document arrived, an XMP date.
	Received string `json:"received,omitempty"`

	// Where an archive keeps the paper, and the span of its dates, as
	// archive projects describe their boxes (demat batch's manifest).
	Box    string `json:"box,omitempty"`
	Folder string `json:"folder,omitempty"`
	// Dates is the span of the papers' dates, an ISO 8601 interval
	// (1950/1962, 1950-03/1951) or one date.
	Dates string `json:"dates,omitempty"`
}

// NSRegistry is the XMP namespace of the registry's properties, and
// prefixRegistry the prefix demat writes it with.
const (
	NSRegistry     = "https://demat-app.github.io/ns/registry/1.0/"
	prefixRegistry = "demat"
)

// metaField ties a metadata key to its field; xmp is the property's name
// in demat's namespace (registry fields only).
type metaField struct {
	key, xmp string
	aliases  []string
	field    func(*Metadata) *string
	// check validates and normalises a value.
	check func(string) (string, error)
	help  string
}

var metaFields = []metaField{
	{key: "title", field: func(m *Metadata) *string { return &m.Title }, help: "the document's title (dc:title)"},
	{key: "author", aliases: []string{"creator"}, field: func(m *Metadata) *string { return &m.Author }, help: "who wrote it (dc:creator)"},
	{key: "subject", aliases: []string{"description"}, field: func(m *Metadata) *string { return &m.Subject }, help: "what it is about (dc:description)"},
	{key: "keywords", help: "keywords, separated by commas (pdf:Keywords, dc:subject)"},
	{key: "language", aliases: []string{"lang"}, field: func(m *Metadata) *string { return &m.Language }, check: checkLanguage, help: "main language, a BCP 47 tag: fr, ar, en (dc:language)"},
	{key: "date", field: func(m *Metadata) *string { return &m.Date }, check: checkDate, help: "the document's own date, YYYY-MM-DD (dc:date)"},
	{key: "reference", xmp: "Reference", field: func(m *Metadata) *string { return &m.Reference }, help: "the sender's reference"},
	{key: "sender", xmp: "Sender", field: func(m *Metadata) *string { return &m.Sender }, help: "who sent it"},
	{key: "recipient", xmp: "Recipient", field: func(m *Metadata) *string { return &m.Recipient }, help: "the service or person it is for"},
	{key: "direction", xmp: "Direction", field: func(m *Metadata) *string { return &m.Direction }, check: checkDirection, help: "incoming, outgoing or internal"},
	{key: "document_type", aliases: []string{"type", "document-type"}, xmp: "DocumentType", field: func(m *Metadata) *string { return &m.DocumentType }, help: "letter, invoice, decision…"},
	{key: "confidentiality", xmp: "Confidentiality", field: func(m *Metadata) *string { return &m.Confidentiality }, help: "public, internal, confidential…"},
	{key: "registration_number", aliases: []string{"registration-number", "number"}, xmp: "RegistrationNumber", field: func(m *Metadata) *string { return &m.RegistrationNumber }, help: "the registry's number"},
	{key: "received", xmp: "Received", field: func(m *Metadata) *string { return &m.Received }, check: checkDate, help: "when it arrived, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]±HH:MM"},
	{key: "box", aliases: []string{"boite", "boîte"}, xmp: "Box", field: func(m *Metadata) *string { return &m.Box }, help: "the archive box the paper is kept in"},
	{key: "folder", aliases: []string{"dossier"}, xmp: "Folder", field: func(m *Metadata) *string { return &m.Folder }, help: "the folder within the box"},
	{key: "dates", xmp: "Dates", field: func(m *Metadata) *string { return &m.Dates }, check: checkDates, help: "the span of the papers' dates, FROM/TO (1950/1962, 1950-03-01/1951-12)"},
}

// checkDates checks a span of dates: one date, or two joined by a slash.
func checkDates(s string) (string, error) {
	from, to, span := strings.Cut(s, "/")
	for _, d := range []string{from, to} {
		if d == "" && !span {
			continue
		}
		if _, err := checkDate(strings.TrimSpace(d)); err != nil {
			return "", fmt.Errorf("%q is not a span of dates: write FROM/TO, each YYYY, YYYY-MM or YYYY-MM-DD", s)
		}
	}
	if span {
		return strings.TrimSpace(from) + "/" + strings.TrimSpace(to), nil
	}
	return s, nil
}

// MetadataKeys describes the keys Set takes, one "key: help" line each.
func MetadataKeys() []string {
	var out []string
	for _, f := range metaFields {
		k := f.key
		if len(f.aliases) > 0 {
			k += " (or " + strings.Join(f.aliases, ", ") + ")"
		}
		out = append(out, k+": "+f.help)
	}
	return out
}

func findField(key string) (metaField, bool) {
	key = strings.ToLower(strings.TrimSpace(key))
	for _, f := range metaFields {
		if f.key == key || slices.Contains(f.aliases, key) {
			return f, true
		}
	}
	return metaField{}, false
}

// Set sets one property by its key (see MetadataKeys). Values are kept
// exactly as given, apart from surrounding spaces; dates, the direction
// and the language are checked.
func (m *Metadata) Set(key, value string) error {
	f, ok := findField(key)
	if !ok {
		return fmt.Errorf("unknown metadata key %q (keys: %s)", key, strings.Join(keyNames(), ", "))
	}
	value = strings.TrimSpace(value)
	if err := checkText(value); err != nil {
		return fmt.Errorf("%s: %w", f.key, err)
	}
	if f.key == "keywords" {
		m.Keywords = nil
		for _, k := range strings.Split(value, ",") {
			if k = strings.TrimSpace(k); k != "" {
				m.Keywords = append(m.Keywords, k)
			}
		}
		return nil
	}
	if f.check != nil && value != "" {
		v, err := f.check(value)
		if err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
		value = v
	}
	*f.field(m) = value
	return nil
}

// Get gives a property by its key, keywords joined with ", ".
func (m *Metadata) Get(key string) string {
	f, ok := findField(key)
	switch {
	case !ok:
		return ""
	case f.key == "keywords":
		return strings.Join(m.Keywords, ", ")
	}
	return *f.field(m)
}

// Map gives the properties that have a value, by key (keywords joined
// with ", "): what destination templates and upload metadata take.
func (m *Metadata) Map() map[string]string {
	out := map[string]string{}
	for _, f := range metaFields {
		if v := m.Get(f.key); v != "" {
			out[f.key] = v
		}
	}
	return out
}

func keyNames() []string {
	var ks []string
	for _, f := range metaFields {
		ks = append(ks, f.key)
	}
	return ks
}

// ParseMetadataJSON reads a metadata file: a JSON object whose keys are
// those of Set (keywords a list or a comma-separated string; every value a
// string). Unknown keys are an error, so that a misspelt field is not
// silently dropped.
func ParseMetadataJSON(data []byte) (Metadata, error) {
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return Metadata{}, fmt.Errorf("not a JSON object of metadata: %w", err)
	}
	var m Metadata
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch v := raw[k].(type) {
		case string:
			if err := m.Set(k, v); err != nil {
				return Metadata{}, err
			}
		case []any:
			if f, ok := findField(k); !ok || f.key != "keywords" {
				return Metadata{}, fmt.Errorf("%s: want a string, not a list", k)
			}
			var ks []string
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return Metadata{}, fmt.Errorf("keywords: want strings")
				}
				if err := checkText(s); err != nil {
					return Metadata{}, fmt.Errorf("keywords: %w", err)
				}
				if s = strings.TrimSpace(s); s != "" {
					ks = append(ks, s)
				}
			}
			m.Keywords = ks
		case nil:
		default:
			if _, ok := findField(k); !ok {
				return Metadata{}, fmt.Errorf("unknown metadata key %q (keys: %s)", k, strings.Join(keyNames(), ", "))
			}
			return Metadata{}, fmt.Errorf("%s: want a string", k)
		}
	}
	return m, nil
}

// Merge sets in m every property that o has.
func (m *Metadata) Merge(o Metadata) {
	for _, f := range metaFields {
		if f.key == "keywords" {
			if o.Keywords != nil {
				m.Keywords = slices.Clone(o.Keywords)
			}
			continue
		}
		if v := *f.field(&o); v != "" {
			*f.field(m) = v
		}
	}
}

// HasRegistry reports whether any of the registry's properties is set.
func (m *Metadata) HasRegistry() bool {
	for _, f := range metaFields {
		if f.xmp != "" && *f.field(m) != "" {
			return true
		}
	}
	return false
}

// checkText refuses what no metadata reader round-trips: invalid UTF-8
// and control characters other than tab and line breaks.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return fmt.Errorf("control character %U", r)
		}
	}
	return nil
}

func checkDirection(s string) (string, error) {
	s = strings.ToLower(s)
	switch s {
	case "incoming", "outgoing", "internal":
		return s, nil
	}
	return "", fmt.Errorf("%q: want incoming, outgoing or internal", s)
}

// checkLanguage takes a BCP 47 tag's usual shapes: two or three letters,
// then subtags of letters and digits.
func checkLanguage(s string) (string, error) {
	parts := strings.Split(s, "-")
	ok := len(parts[0]) >= 2 && len(parts[0]) <= 3
	for _, p := range parts {
		if p == "" || len(p) > 8 {
			ok = false
		}
		for _, r := range p {
			if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
				ok = false
			}
		}
	}
	if !ok {
		return "", fmt.Errorf("%q is not a language tag (fr, ar, en, fr-MA…)", s)
	}
	return s, nil
}

// dateLayouts are the forms of an XMP date (ISO 8601 as XMP restricts
// it), the first ones kept as they are.
var dateLayouts = []string{"2006", "2006-01", "2006-01-02", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00"}

// checkDate takes an XMP date; a date and time without a zone is refused
// rather than guessed.
func checkDate(s string) (string, error) {
	for _, l := range dateLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return s, nil
		}
	}
	return "", fmt.Errorf("%q is not a date: write YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+01:00 with its time zone", s)
}
