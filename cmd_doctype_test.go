package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
)

// demat process --type fills the description from the document type's
// defaults and refuses, before reading a page, one that does not fit.
func TestDocTypeCLI(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(`
[[doctype]]
name = "courrier"
label = { fr = "Courrier arrivée", en = "Incoming letter" }
direction = "incoming"
[[doctype.field]]
key = "sender"
required = true
[[doctype.field]]
key = "confidentiality"
choices = ["Normal", "Confidentiel"]
default = "Normal"
[[doctype.field]]
key = "reference"
pattern = '[A-Z]{2,4}/\d+'
[[doctype.field]]
key = "received"
default = "today"
`), 0o600)
	t.Setenv("DEMAT_CONFIG", cfg)
	out := filepath.Join(dir, "lettre.pdf")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--type", "courrier"}, "sender: required"},
		{[]string{"--type", "courrier", "--meta", "sender=Wilaya", "--meta", "reference=drh-12"}, "reference: does not have the expected form"},
		{[]string{"--type", "courrier", "--meta", "sender=Wilaya", "--meta", "confidentiality=Secret"}, "not one of the choices (Normal, Confidentiel)"},
		{[]string{"--type", "facture", "--meta", "sender=Wilaya"}, "no such document type (the configuration has courrier)"},
	} {
		// The page named does not exist: the description is refused
		// before anything is read.
		args := append([]string{"process", "-o", out}, tc.args...)
		code, _, stderr := runCLI(append(args, filepath.Join(dir, "missing.png"))...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}

	code, _, stderr := runCLI("process", "-l", "fra", "-o", out, "--type", "courrier",
		"--meta", "sender=Wilaya de Rabat", "--meta", "reference=DRH/1234", testenv.Testdata("letter-fr-ar.png"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI("info", "--json", out)
	if code != 0 {
		t.Fatalf("info: %d %s", code, stderr)
	}
	var d pdf.Description
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatal(err)
	}
	m := d.Meta
	if m.DocumentType != "courrier" || m.Direction != "incoming" || m.Confidentiality != "Normal" ||
		m.Received != time.Now().Format("2006-01-02") || m.Sender != "Wilaya de Rabat" || m.Reference != "DRH/1234" {
		t.Errorf("metadata %+v", m)
	}
}
