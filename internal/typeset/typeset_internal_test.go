package typeset

import (
	"strings"
	"testing"
)

// TestVisualRuns checks the order lines are drawn in, left to right, for
// the mixes a signature block or a receipt meets: Arabic names and places, numbers
// inside Arabic text, Arabic inside French.
func TestVisualRuns(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string // the runs, left to right, "<" marking right-to-left ones
	}{
		{"Jeanne Dupont", []string{"Jeanne Dupont"}},
		{"محمد العلوي", []string{"<محمد العلوي"}},
		{"مسجل تحت رقم 123 بالرباط", []string{"< بالرباط", "123", "<مسجل تحت رقم "}},
		{"Lieu : الرباط (Maroc)", []string{"Lieu : ", "<الرباط", " (Maroc)"}},
		{"Fès — فاس 2026", []string{"Fès — ", "2026", "<فاس "}},
		{"ع/2026/45", []string{"2026/45", "<ع/"}},
		{"AJR/2026/A/000123", []string{"AJR/2026/A/000123"}},
		{"", nil},
	} {
		var got []string
		text := []rune(tt.in)
		for _, r := range visualRuns(tt.in) {
			s := string(text[r.start:r.end])
			if r.rtl {
				s = "<" + s
			}
			got = append(got, s)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("visualRuns(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestClean: what a certificate's subject could hide to make a name read
// as another is not drawn.
func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"Jeanne\tDupont\n":          "Jeanne Dupont",
		"\u202eتنوبود ennaeJ\u202c": "تنوبود ennaeJ",
		"a\x00b\u200fc":             "abc",
		"می\u200cخواهم":             "می\u200cخواهم",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}
