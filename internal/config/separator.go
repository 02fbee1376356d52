package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan/separate"
)

// Separator is the [separator] table: how separator sheets are told from
// other pages with a barcode, and which metadata their codes give.
//
//	[separator]
//	marker = "SEP:"
//	[[separator.pattern]]
//	match = '^DOS-(?P<reference>\d+)-(?P<year>\d{4})$'
//	meta = { document_type = "dossier", date = "{year}", title = "Dossier {reference}" }
type Separator struct {
	// Marker starts the text of every separator code; nil for
	// separate.DefaultMarker, the one demat separator prints. An empty
	// marker makes any code a pattern matches a separator (sheets printed
	// by other software).
	Marker *string `toml:"marker"`
	// NoPatchT refuses Patch T sheets as separators.
	NoPatchT bool `toml:"no_patch_t"`
	// Patterns turn a code's value into metadata, the first that matches.
	Patterns []SeparatorPattern `toml:"pattern"`
}

// SeparatorPattern is one [[separator.pattern]].
type SeparatorPattern struct {
	// Match is a regular expression (Go's RE2 syntax) matched against the
	// code's value without the marker; its named groups (?P<name>…) that
	// are metadata keys set those fields, the others can be named in
	// Meta and in output names.
	Match string `toml:"match"`
	// Meta are fixed metadata fields; their values may name the groups,
	// {name}, and the whole value, {value}.
	Meta map[string]string `toml:"meta"`
}

// Rules compiles the table into detection rules, saying what is wrong.
func (s Separator) Rules() (*separate.Rules, error) {
	r := &separate.Rules{Marker: separate.DefaultMarker, Patch: !s.NoPatchT}
	if s.Marker != nil {
		r.Marker = *s.Marker
	}
	for i, p := range s.Patterns {
		if p.Match == "" {
			return nil, fmt.Errorf("separator pattern %d: no match: give a regular expression", i+1)
		}
		re, err := regexp.Compile(p.Match)
		if err != nil {
			return nil, fmt.Errorf("separator pattern %d: match %q is not a valid regular expression: %w", i+1, p.Match, err)
		}
		if !slices.ContainsFunc(re.SubexpNames(), func(n string) bool { return n != "" }) && len(p.Meta) == 0 {
			return nil, fmt.Errorf("separator pattern %d (%s): no named group (?P<name>…) and no meta: it would give no field", i+1, p.Match)
		}
		for k := range p.Meta {
			var m pdf.Metadata
			if err := m.Set(k, ""); err != nil {
				return nil, fmt.Errorf("separator pattern %d: meta: %w", i+1, err)
			}
		}
		for _, g := range re.SubexpNames() {
			if strings.ContainsAny(g, "{}") {
				return nil, fmt.Errorf("separator pattern %d: group name %q", i+1, g)
			}
		}
		r.Patterns = append(r.Patterns, separate.Pattern{Match: re, Meta: p.Meta})
	}
	if err := r.Check(); err != nil {
		return nil, fmt.Errorf("separator: %w", err)
	}
	return r, nil
}
