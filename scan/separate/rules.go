package separate

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// DefaultMarker starts the text of the codes demat prints on separator
// sheets (demat separator), so that an ordinary document's barcode (an
// invoice's, a parcel's) never splits a batch by mistake.
const DefaultMarker = "SEP:"

// Pattern turns a separator code's value into fields.
type Pattern struct {
	// Match is matched against the code's value (without the marker);
	// its named groups become fields of the same name.
	Match *regexp.Regexp
	// Meta are fixed fields, whose values may name the groups as
	// {group}, and the whole value as {value}.
	Meta map[string]string
}

// Rules tell a separator sheet from any other page with a barcode, and
// what its code says.
type Rules struct {
	// Marker starts every separator code (DefaultMarker for demat's own
	// sheets). When empty, a code is a separator when a pattern matches
	// its whole text: for sheets printed by other software.
	Marker string
	// Patterns are tried in order; the first that matches gives the
	// fields.
	Patterns []Pattern
	// Patch accepts Patch T sheets as separators (they carry no value).
	Patch bool
}

// Separator is what a separator sheet says.
type Separator struct {
	// Code is the code it was recognised by; zero for a Patch T sheet.
	Code Code
	// Value is the code's text without the marker and the fields it
	// carries itself.
	Value string
	// Fields are the pattern's named groups and fixed fields, and the
	// fields the code carries itself (demat separator --meta), which win.
	Fields map[string]string
	// Matched says a pattern matched the value.
	Matched bool
}

// Check compiles nothing but checks that each pattern's fixed fields
// name only its own groups, and that the rules can tell a separator.
func (r *Rules) Check() error {
	if r.Marker == "" && len(r.Patterns) == 0 {
		return fmt.Errorf("no marker and no pattern: every barcode would be a separator; set a marker, or patterns that only separator codes match")
	}
	for i, p := range r.Patterns {
		groups := p.Match.SubexpNames()
		for k, v := range p.Meta {
			for _, name := range placeholders(v) {
				if name != "value" && !slices.Contains(groups, name) {
					return fmt.Errorf("pattern %d (%s): %s = %q names {%s}, which is not a group of the pattern (groups: %s)",
						i+1, p.Match, k, v, name, strings.Join(named(groups), ", "))
				}
			}
		}
	}
	return nil
}

func named(groups []string) []string {
	var out []string
	for _, g := range groups {
		if g != "" {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		return []string{"none; write (?P<name>…)"}
	}
	return out
}

// placeholders lists the {name} a template uses.
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, s[i+1:i+j])
		s = s[i+j+1:]
	}
}

// Separator tells whether a page on which f was found is a separator
// sheet, and what it says. The first separator code wins.
func (r *Rules) Separator(f Found) (Separator, bool) {
	for _, c := range f.Codes {
		if s, ok := r.code(c); ok {
			return s, true
		}
	}
	if r.Patch && f.PatchT {
		return Separator{Fields: map[string]string{}}, true
	}
	return Separator{}, false
}

func (r *Rules) code(c Code) (Separator, bool) {
	text := c.Text
	s := Separator{Code: c, Fields: map[string]string{}}
	var own url.Values
	if r.Marker != "" {
		rest, ok := strings.CutPrefix(text, r.Marker)
		if !ok {
			return Separator{}, false
		}
		text = rest
		if v, q, ok := strings.Cut(text, "?"); ok {
			if vals, err := url.ParseQuery(q); err == nil {
				text, own = v, vals
			}
		}
	}
	s.Value = text
	for _, p := range r.Patterns {
		m := p.Match.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		s.Matched = true
		for i, name := range p.Match.SubexpNames() {
			if name != "" && m[i] != "" {
				s.Fields[name] = m[i]
			}
		}
		for k, v := range p.Meta {
			s.Fields[k] = expand(v, s.Fields, text)
		}
		break
	}
	if r.Marker == "" && !s.Matched {
		return Separator{}, false
	}
	for k := range own {
		s.Fields[k] = own.Get(k)
	}
	return s, true
}

// expand fills a template's {group} and {value}.
func expand(tmpl string, groups map[string]string, value string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		j := strings.IndexByte(tmpl[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+1 : i+j]
		if name == "value" {
			b.WriteString(value)
		} else {
			b.WriteString(groups[name])
		}
		tmpl = tmpl[i+j+1:]
	}
}

// Payload is the text of a separator code: the marker, the value, and
// the fields the sheet carries itself as a URL query (sorted by key), so
// that Separator reads back exactly what was printed.
func Payload(marker, value string, fields map[string]string) (string, error) {
	if strings.Contains(value, "?") {
		return "", fmt.Errorf("separator value %q: '?' starts the fields a code carries: leave it out of the value", value)
	}
	s := marker + value
	if len(fields) > 0 {
		q := url.Values{}
		for k, v := range fields {
			q.Set(k, v)
		}
		s += "?" + q.Encode()
	}
	return s, nil
}
