package config

import (
	"strings"
	"testing"
)

func TestSeparatorConfig(t *testing.T) {
	c, err := LoadFile(write(t, `
[separator]
[[separator.pattern]]
match = '^DOS-(?P<reference>\d+)-(?P<year>\d{4})$'
meta = { document_type = "dossier", date = "{year}" }
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Separator.Rules()
	if err != nil || r.Marker != "SEP:" || !r.Patch || len(r.Patterns) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	for _, tc := range []struct{ toml, want string }{
		{"[[separator.pattern]]\nmatch = '^DOS-(\\d+'", "not a valid regular expression"},
		{"[[separator.pattern]]\nmatch = '^(?P<ref>\\d+)$'\nmeta = { title = \"Dossier {reference}\" }", "{reference}, which is not a group"},
		{"[[separator.pattern]]\nmatch = '^(?P<ref>\\d+)$'\nmeta = { colour = \"red\" }", `unknown metadata key "colour"`},
		{"[[separator.pattern]]\nmeta = { title = \"x\" }", "no match"},
		{"[[separator.pattern]]\nmatch = '^DOS'", "no named group"},
		{"[separator]\nmarker = \"\"", "every barcode would be a separator"},
		{"[separator]\nmarkr = \"X\"", "unknown settings separator.markr"},
	} {
		_, err := LoadFile(write(t, tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.toml, err, tc.want)
		}
	}
}
