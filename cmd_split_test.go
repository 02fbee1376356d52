package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
)

const separatorConfig = `
[[separator.pattern]]
match = '^DOS-(?P<reference>\d+)-(?P<year>\d{4})$'
meta = { document_type = "dossier", date = "{year}" }
`

// feederBatch lays out a 12-sheet feeder batch as files: three pages of
// a document, a separator sheet for DOS-12-2024, four pages, a separator
// sheet for DOS-13-2024 printed upside down, three pages. The separator
// sheets come from demat separator, rendered at 200 dpi as a scanner
// would give them.
func feederBatch(t *testing.T) string {
	t.Helper()
	testenv.Require(t, "pdftoppm")
	dir := t.TempDir()
	batch := filepath.Join(dir, "batch")
	os.Mkdir(batch, 0o755)
	sheets := filepath.Join(dir, "sheets.pdf")
	if code, _, stderr := runCLI("separator", "-o", sheets, "--value", "DOS-12-2024", "--value", "DOS-13-2024"); code != 0 {
		t.Fatalf("separator: %d %s", code, stderr)
	}
	testenv.Run(t, "pdftoppm", "-png", "-gray", "-r", "200", sheets, filepath.Join(dir, "sep"))
	doc := testenv.Testdata("phototest.tif")
	data, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	add := func(data []byte, ext string) {
		n++
		os.WriteFile(filepath.Join(batch, fmt.Sprintf("scan-%02d%s", n, ext)), data, 0o644)
	}
	sep := func(i int, flip bool) {
		p := filepath.Join(dir, fmt.Sprintf("sep-%d.png", i))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if flip {
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			png.Encode(&buf, imaging.Rotate180(img))
			b = buf.Bytes()
		}
		add(b, ".png")
	}
	for range 3 {
		add(data, ".tif")
	}
	sep(1, false)
	for range 4 {
		add(data, ".tif")
	}
	sep(2, true)
	for range 3 {
		add(data, ".tif")
	}
	return batch
}

// The acceptance of batch separation: a 12-sheet batch with two separator
// sheets makes three documents, the second and third described by their
// separator's code through the configured pattern, no separator page in
// any.
func TestSplitSeparatorCLI(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte(separatorConfig), 0o644)
	t.Setenv("DEMAT_CONFIG", cfg)
	batch := feederBatch(t)
	out := filepath.Join(t.TempDir(), "lots")
	code, stdout, stderr := runCLI("process", "-l", "eng", "--split", "separator", "-o", filepath.Join(out, "DOS-{reference}-{year}.pdf"), batch)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stdout, stderr)
	}
	t.Logf("%s%s", stdout, stderr)
	if !strings.Contains(stdout, "3 documents, 10 pages") {
		t.Errorf("stdout: %q", stdout)
	}
	want := []struct {
		name      string
		pages     int
		reference string
	}{{"001.pdf", 3, ""}, {"DOS-12-2024.pdf", 4, "12"}, {"DOS-13-2024.pdf", 3, "13"}}
	entries, _ := os.ReadDir(out)
	if len(entries) != len(want) {
		t.Errorf("%d files in %s, want %d", len(entries), out, len(want))
	}
	for _, w := range want {
		p := filepath.Join(out, w.name)
		d, err := pdf.Describe(p)
		if err != nil {
			t.Errorf("%s: %v", w.name, err)
			continue
		}
		if d.Pages != w.pages {
			t.Errorf("%s: %d pages, want %d", w.name, d.Pages, w.pages)
		}
		if d.Meta.Reference != w.reference {
			t.Errorf("%s: reference %q, want %q", w.name, d.Meta.Reference, w.reference)
		}
		if w.reference != "" && (d.Meta.DocumentType != "dossier" || d.Meta.Date != "2024") {
			t.Errorf("%s: metadata %+v", w.name, d.Meta)
		}
		text := testenv.PDFText(t, p)
		if strings.Contains(strings.ToUpper(text), "SEPARATOR") || strings.Contains(text, "DOS-1") {
			t.Errorf("%s holds a separator page: %q", w.name, text)
		}
		if strings.Count(text, "\f") != w.pages || !strings.Contains(text, "quick brown dog") {
			t.Errorf("%s: text of %d pages: %.200q", w.name, strings.Count(text, "\f"), text)
		}
	}

	// Again into the same folder: nothing is overwritten.
	code, stdout, stderr = runCLI("process", "-l", "eng", "--split", "separator", "-o", filepath.Join(out, "DOS-{reference}-{year}.pdf"), batch)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "DOS-12-2024.pdf is taken: written as") {
		t.Errorf("second run stderr: %q", stderr)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 6 {
		t.Errorf("%d files after the second run, want 6", len(entries))
	}
}

// Kept separator sheets start their documents; every:N and blank cut
// without any sheet.
func TestSplitModesCLI(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte(separatorConfig), 0o644)
	t.Setenv("DEMAT_CONFIG", cfg)
	batch := feederBatch(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI("process", "-l", "eng", "--no-clean", "--split", "every:5", "-o", out+"/", batch)
	if code != 0 || !strings.Contains(stdout, "3 documents, 12 pages") {
		t.Fatalf("every:5: exit %d: %s %s", code, stdout, stderr)
	}
	for name, pages := range map[string]int{"001.pdf": 5, "002.pdf": 5, "003.pdf": 2} {
		if d, err := pdf.Describe(filepath.Join(out, name)); err != nil || d.Pages != pages {
			t.Errorf("every:5: %s: %v %v", name, d, err)
		}
	}
	out = t.TempDir()
	code, stdout, stderr = runCLI("process", "-l", "eng", "--no-clean", "--split", "separator", "--keep-separators", "-o", filepath.Join(out, "lot-{n:2}.pdf"), batch)
	if code != 0 || !strings.Contains(stdout, "3 documents, 12 pages") {
		t.Fatalf("--keep-separators: exit %d: %s %s", code, stdout, stderr)
	}
	if d, err := pdf.Describe(filepath.Join(out, "lot-02.pdf")); err != nil || d.Pages != 5 || d.Meta.Reference != "12" {
		t.Errorf("--keep-separators: lot-02.pdf: %+v %v", d, err)
	}
	for _, args := range [][]string{
		{"--split", "sometimes"},
		{"--split", "every:0"},
		{"--split", "separator", "--sidecar", "x.txt"},
		{"--keep-separators", "--split", "blank"},
	} {
		code, _, stderr := runCLI(append(append([]string{"process", "-o", out + "/"}, args...), batch)...)
		if code != 2 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	if code, _, stderr := runCLI("process", "--split", "blank", "-o", filepath.Join(out, "one.pdf"), batch); code != 2 || !strings.Contains(stderr, "a folder") {
		t.Errorf("-o one.pdf with --split: exit %d: %s", code, stderr)
	}
}
