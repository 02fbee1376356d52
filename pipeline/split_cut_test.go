package pipeline

import (
	"strings"
	"testing"

	"github.com/demat-app/demat/scan/separate"
)

// Cut groups marked pages as the streaming cutter cuts them: the same
// documents, the same pages left out.
func TestCut(t *testing.T) {
	sep := func(v string) *separate.Separator {
		return &separate.Separator{Value: v, Code: separate.Code{Format: separate.QR, Text: "SEP:" + v}, Fields: map[string]string{}}
	}
	rules := &separate.Rules{Marker: separate.DefaultMarker}
	for _, tc := range []struct {
		name string
		sp   Split
		// layout: x a page, _ a blank page, S a separator sheet.
		layout string
		want   string
	}{
		{"every 2", Split{Every: 2}, "xxxxx", "ab|cd|e"},
		{"blank", Split{Blank: true}, "_xx__x_", "bc|f"},
		{"separators", Split{Rules: rules}, "xxSxxSx", "ab|S:de|S:g"},
		{"blank back of a sheet", Split{Rules: rules}, "xS_xx", "a|S:de"},
		{"duplex", Split{Rules: rules, Duplex: true}, "xSxxx", "a|S:de"},
		{"kept separators", Split{Rules: rules, KeepSeparators: true}, "xSxx", "a|S:bcd"},
		{"separators ignored", Split{Blank: true}, "xSx", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var marks []Mark
			for _, k := range tc.layout {
				switch k {
				case '_':
					marks = append(marks, Mark{Blank: true})
				case 'S':
					marks = append(marks, Mark{Separator: sep("x")})
				default:
					marks = append(marks, Mark{})
				}
			}
			var docs []string
			for i, p := range tc.sp.Cut(marks) {
				if p.N != i+1 {
					t.Errorf("part %d numbered %d", i+1, p.N)
				}
				var b strings.Builder
				if p.Separator != nil {
					b.WriteString("S:")
				}
				for _, n := range p.Pages {
					b.WriteByte(byte('a' + n))
				}
				docs = append(docs, b.String())
			}
			if got := strings.Join(docs, "|"); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.layout, got, tc.want)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	name, missing := FileName("out/{n:3}-{reference}.pdf", 7, map[string]string{"reference": "a/b"})
	if name != "out/007-a_b.pdf" || missing != nil {
		t.Errorf("%q %v", name, missing)
	}
	if _, missing := FileName("{box}.pdf", 1, nil); len(missing) != 1 || missing[0] != "box" {
		t.Errorf("missing %v", missing)
	}
}
