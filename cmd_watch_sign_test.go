package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
)

// demat watch --once --sign signs every PDF it makes, each with a visible
// block numbered after its scan's registration number, and leaves no
// unsigned intermediate; a PDF that cannot be signed is kept unsigned
// beside the others, and its scan goes to failed/ with a note saying how
// to sign it.
func TestWatchSignCLI(t *testing.T) {
	testenv.Require(t, "pdfsig")
	dir := t.TempDir()
	t.Setenv("DEMAT_CONFIG", filepath.Join(dir, "config.toml"))
	const pass = "watch 2026"
	p12, caPEM := testPKI(t, dir, pass)
	if code, _, stderr := runCLIIn(pass, "credentials", "set", "--stdin", "agent.p12"); code != 0 {
		t.Fatal(stderr)
	}
	inbox, outDir := filepath.Join(dir, "inbox"), filepath.Join(dir, "out")
	os.Mkdir(inbox, 0o755)
	testenv.TempCopy(t, "phototest.tif", inbox, "a.tif")
	testenv.TempCopy(t, "multipage-g4.tif", inbox, "b.tif")
	code, _, stderr := runCLI("watch", "--once", "-l", "eng", "--sign", p12, "--visible", "--sig-page", "1",
		"--meta", "registration_number=AJR/2026/A/000129", "-o", outDir, inbox)
	if code != 0 {
		t.Fatalf("watch --once --sign: exit %d: %s", code, stderr)
	}
	if got := names(t, outDir); !slices.Equal(got, []string{"a.pdf", "b.pdf"}) {
		t.Errorf("the output folder holds %v, want a.pdf and b.pdf only", got)
	}
	for _, name := range []string{"a.pdf", "b.pdf"} {
		out := filepath.Join(outDir, name)
		if s := testenv.Run(t, "pdfsig", out); !strings.Contains(s, "Signature is Valid.") || !strings.Contains(s, "Total document signed") {
			t.Errorf("pdfsig %s:\n%s", name, s)
		}
		pdftest.Validate(t, out, true)
		code, stdout, _ := runCLI("verify", "--json", "--trust", caPEM, out)
		var rep struct {
			Verdict    string `json:"verdict"`
			Signatures []struct {
				Block *struct {
					Page         int    `json:"page"`
					Registration string `json:"registration"`
					Matches      bool   `json:"matches"`
				} `json:"block"`
			} `json:"signatures"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || rep.Verdict != "valid" || len(rep.Signatures) != 1 {
			t.Errorf("verify %s: exit %d, %v\n%s", name, code, err, stdout)
			continue
		}
		if b := rep.Signatures[0].Block; b == nil || b.Page != 1 || b.Registration != "AJR/2026/A/000129" || !b.Matches {
			t.Errorf("verify %s: block %+v", name, b)
		}
	}
	if got := names(t, filepath.Join(inbox, "done")); !slices.Equal(got, []string{"a.tif", "b.tif"}) {
		t.Errorf("done/ holds %v", got)
	}

	// A block that does not fit on the page: the PDF is made but not
	// signed; it is kept as c.unsigned.pdf, and the scan goes to failed/.
	testenv.TempCopy(t, "phototest.tif", inbox, "c.tif")
	code, _, stderr = runCLI("watch", "--once", "-l", "eng", "--sign", p12, "--sig-place", "100,100,80,30mm", "-o", outDir, inbox)
	if !strings.Contains(stderr, "does not fit on the page") || !strings.Contains(stderr, "c.unsigned.pdf") {
		t.Errorf("watch with a block off the page: exit %d, %q", code, stderr)
	}
	if got := names(t, outDir); !slices.Equal(got, []string{"a.pdf", "b.pdf", "c.unsigned.pdf"}) {
		t.Errorf("the output folder holds %v, want c.unsigned.pdf beside a.pdf and b.pdf", got)
	}
	note, err := os.ReadFile(filepath.Join(inbox, "failed", "c.tif.error.txt"))
	if err != nil || !strings.Contains(string(note), "demat sign "+filepath.Join(outDir, "c.unsigned.pdf")) {
		t.Errorf("failed/c.tif.error.txt: %v %q", err, note)
	}
	pdftest.Validate(t, filepath.Join(outDir, "c.unsigned.pdf"), true)
}

// names lists a folder's entries, hidden ones included, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}
