// Package manifest reads the CSV manifests archive projects describe
// their boxes with: one row per folder of scans, with its box, folder,
// title, dates and any other metadata field. It reads what spreadsheet
// programs write: UTF-8 with or without a byte-order mark, or Windows-1252
// (Excel's plain "CSV" in French and other western locales), separated by
// semicolons (French locales) or commas, dates as YYYY-MM-DD or DD/MM/YYYY.
//
// It parses; it does no other I/O.
package manifest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Row is one manifest row: one document to make.
type Row struct {
	// Line is the row's line in the file, for messages.
	Line int
	// Box and Folder locate the row's scans (ROOT/BOX/FOLDER) and the
	// paper in the archive.
	Box, Folder string
	// Path, when the manifest has a path column, is where the scans are,
	// relative to the root, instead of BOX/FOLDER.
	Path string
	// Fields are the metadata keys and values of the row's other
	// columns (title, dates…), empty values left out.
	Fields map[string]string
}

// Manifest is a parsed manifest.
type Manifest struct {
	Rows []Row
	// Ignored are the columns no metadata key takes (notes, physical
	// description…), as written in the header.
	Ignored []string
}

// column names in French and English, to the keys they stand for.
var aliases = map[string]string{
	"box": "box", "boite": "box", "boîte": "box", "carton": "box",
	"folder": "folder", "dossier": "folder", "chemise": "folder",
	"path": "path", "chemin": "path", "folder_path": "path",
	"title": "title", "titre": "title", "intitule": "title", "intitulé": "title", "analyse": "subject",
	"date_from": "date_from", "from": "date_from", "date_debut": "date_from", "date_début": "date_from", "debut": "date_from", "début": "date_from",
	"date_to": "date_to", "to": "date_to", "date_fin": "date_to", "fin": "date_to",
	"dates": "dates", "cote": "reference",
}

// Parse reads a manifest. keys tells whether a column name is a metadata
// key (its own alias included) and gives the key. Box, and folder or path,
// are required.
func Parse(r io.Reader, keys func(string) (string, bool)) (*Manifest, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return nil, errors.New("manifest: the file is UTF-16 (Excel's \"Unicode text\"): save it as \"CSV UTF-8\"")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		data = fromWindows1252(data)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniff(data)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("manifest: no header line: %w", err)
	}
	m := &Manifest{}
	cols := make([]string, len(header))
	seen := map[string]string{}
	for i, h := range header {
		name := normal(h)
		key, ok := aliases[name]
		if !ok {
			key, ok = keys(name)
		}
		if !ok {
			if strings.TrimSpace(h) != "" {
				m.Ignored = append(m.Ignored, strings.TrimSpace(h))
			}
			continue
		}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("manifest: columns %q and %q both give %s", prev, h, key)
		}
		seen[key] = h
		cols[i] = key
	}
	if seen["box"] == "" || (seen["folder"] == "" && seen["path"] == "") {
		return nil, fmt.Errorf("manifest: the header needs box and folder columns (or path): it has %s", strings.Join(header, ", "))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		row := Row{Line: line, Fields: map[string]string{}}
		var from, to string
		for i, v := range rec {
			if i >= len(cols) || cols[i] == "" {
				continue
			}
			v = strings.TrimSpace(v)
			switch cols[i] {
			case "box":
				row.Box = v
			case "folder":
				row.Folder = v
			case "path":
				row.Path = v
			case "date_from":
				from = isoDate(v)
			case "date_to":
				to = isoDate(v)
			default:
				if cols[i] == "dates" || cols[i] == "date" || cols[i] == "received" {
					v = isoDate(v)
				}
				if v != "" {
					row.Fields[cols[i]] = v
				}
			}
		}
		switch {
		case from != "" && to != "" && from != to:
			row.Fields["dates"] = from + "/" + to
		case from != "":
			row.Fields["dates"] = from
		case to != "":
			row.Fields["dates"] = to
		}
		if row.Box == "" || (row.Folder == "" && row.Path == "") {
			return nil, fmt.Errorf("manifest: line %d: no box or no folder", line)
		}
		m.Rows = append(m.Rows, row)
	}
	return m, nil
}

// normal folds a header for lookup: lower case, spaces and dashes as
// underscores.
func normal(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "_", "-", "_", ".", "").Replace(h)
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// sniff picks the separator of the header line: the more frequent of
// semicolon, comma and tab outside quotes.
func sniff(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	counts := map[rune]int{}
	quoted := false
	for _, r := range string(line) {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ';' || r == ',' || r == '\t'):
			counts[r]++
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

var frenchDate = regexp.MustCompile(`^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$`)

// isoDate writes a DD/MM/YYYY date (as French spreadsheets do) as
// YYYY-MM-DD; other values stay as they are.
func isoDate(v string) string {
	if m := frenchDate.FindStringSubmatch(v); m != nil {
		return fmt.Sprintf("%s-%02d-%02d", m[3], atoi(m[2]), atoi(m[1]))
	}
	return v
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// win1252 are the characters of Windows-1252's 0x80–0x9F; the rest of
// the upper half is Latin-1.
var win1252 = [32]rune{'€', '\ufffd', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\ufffd', 'Ž', '\ufffd',
	'\ufffd', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\ufffd', 'ž', 'Ÿ'}

func fromWindows1252(data []byte) []byte {
	var b bytes.Buffer
	for _, c := range data {
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xa0:
			b.WriteRune(win1252[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.Bytes()
}
