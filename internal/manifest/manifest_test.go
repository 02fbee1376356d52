package manifest

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// keys stands for pdf's metadata keys.
func keys(s string) (string, bool) {
	switch s {
	case "title", "sender", "subject", "reference", "dates", "date", "box", "folder":
		return s, true
	}
	return "", false
}

func TestParseExcelFrench(t *testing.T) {
	data, err := os.ReadFile("testdata/excel-fr.csv")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"utf8-bom":     data,
		"windows-1252": toWindows1252(t, bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))),
		"comma":        []byte("box,folder,title,date_from,date_to\nB001,F01,\"Délibérations; conseil municipal\",1950-03-01,1962\nB001,F02,Correspondance,1963-01,1963-12\n"),
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Parse(bytes.NewReader(in), keys)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Rows) != 2 {
				t.Fatalf("%d rows: %+v", len(m.Rows), m.Rows)
			}
			r := m.Rows[0]
			if r.Box != "B001" || r.Folder != "F01" || r.Fields["title"] != "Délibérations; conseil municipal" || r.Fields["dates"] != "1950-03-01/1962" || r.Line != 2 {
				t.Errorf("row 1: %+v", r)
			}
			if m.Rows[1].Fields["dates"] != "1963-01/1963-12" {
				t.Errorf("row 2: %+v", m.Rows[1])
			}
			if name != "comma" && (r.Fields["sender"] != "Mairie" || len(m.Ignored) != 1 || m.Ignored[0] != "Observations") {
				t.Errorf("sender/ignored: %+v %v", r, m.Ignored)
			}
		})
	}
}

func toWindows1252(t *testing.T, b []byte) []byte {
	var out []byte
	for _, r := range string(b) {
		if r > 0xff {
			t.Fatalf("%q is not Latin-1", r)
		}
		out = append(out, byte(r))
	}
	return out
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"title;dates\nx;1950\n":       "needs box and folder",
		"box;folder\nB1;\n":           "line 2: no box or no folder",
		"box;boite;folder\nB1;B2;F\n": "both give box",
		"\xff\xfeb\x00o\x00x\x00":     "UTF-16",
		"box;folder\n\"B1;F\n":        "manifest:",
	} {
		_, err := Parse(strings.NewReader(in), keys)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", in, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	data, _ := os.ReadFile("testdata/excel-fr.csv")
	f.Add(data)
	f.Add([]byte("box,folder,path\nB,F,x/y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(bytes.NewReader(b), keys)
		if err != nil {
			return
		}
		for _, r := range m.Rows {
			if r.Box == "" || (r.Folder == "" && r.Path == "") {
				t.Fatalf("row without box or folder: %+v", r)
			}
		}
	})
}
