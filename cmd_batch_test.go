package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
)

// A folder tree of scans and an Excel manifest (French locale: semicolons,
// Windows-1252, DD/MM/YYYY) become one indexed PDF per row; a missing
// folder and a folder no row names are reported; a second run skips what
// is made.
func TestBatchManifestCLI(t *testing.T) {
	root := t.TempDir()
	tif, err := os.ReadFile(testenv.Testdata("phototest.tif"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"B001/F01/p1.tif", "B001/F01/p2.tif", "B001/F02/p1.tif", "B002/F07/p1.tif"} {
		p := filepath.Join(root, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, tif, 0o644)
	}
	// Excel's "CSV (séparateur : point-virgule)": Windows-1252.
	csv := "Boîte;Dossier;Titre;Date début;Date fin;Expéditeur;Observations\r\n" +
		"B001;F01;Délibérations du conseil;01/03/1950;1962;;abîmé\r\n" +
		"B001;F02;Correspondance;1963;1963;;\r\n" +
		"B001;F03;Dossier perdu;1964;1965;;\r\n"
	var cp []byte
	for _, r := range csv {
		cp = append(cp, byte(r))
	}
	manifest := filepath.Join(root, "versement.csv")
	os.WriteFile(manifest, cp, 0o644)
	out := filepath.Join(t.TempDir(), "out")

	code, stdout, stderr := runCLI("batch", "--manifest", manifest, "-o", out, "--dry-run")
	if code != 1 || !strings.Contains(stdout, "2 rows to make, 1 row with a problem, 1 folder not in the manifest") {
		t.Errorf("dry run: exit %d: %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI("batch", "--manifest", manifest, "-l", "eng", "-o", out)
	t.Logf("%s%s", stdout, stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1 (a missing folder)", code)
	}
	for _, want := range []string{"line 4: box B001, folder F03: no folder", "folders no row names (not made): B002/F07", "columns ignored (no metadata key): Expéditeur, Observations"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if !strings.Contains(stdout, "2 documents made (3 pages), 0 documents already made, 1 row with a problem") {
		t.Errorf("stdout: %q", stdout)
	}
	p := filepath.Join(out, "B001", "F01.pdf")
	pdftest.Validate(t, p, true)
	d, err := pdf.Describe(p)
	if err != nil {
		t.Fatal(err)
	}
	if m := d.Meta; d.Pages != 2 || m.Title != "Délibérations du conseil" || m.Box != "B001" || m.Folder != "F01" || m.Dates != "1950-03-01/1962" {
		t.Errorf("F01.pdf: %d pages, %+v", d.Pages, d.Meta)
	}
	if d, err := pdf.Describe(filepath.Join(out, "B001", "F02.pdf")); err != nil || d.Meta.Dates != "1963" || d.Pages != 1 {
		t.Errorf("F02.pdf: %+v %v", d, err)
	}
	if code, info, _ := runCLI("info", p); code != 0 || !strings.Contains(info, "Box:            B001") || !strings.Contains(info, "Dates:          1950-03-01/1962") {
		t.Errorf("info: %d %s", code, info)
	}

	// Resumed: what is made is skipped.
	code, stdout, _ = runCLI("batch", "--manifest", manifest, "-l", "eng", "-o", out)
	if code != 1 || !strings.Contains(stdout, "0 documents made (0 pages), 2 documents already made") {
		t.Errorf("second run: exit %d: %s", code, stdout)
	}
}
