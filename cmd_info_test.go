package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
)

// French and Arabic metadata given on the command line and in a file come
// back unchanged from demat info, pdfinfo and exiftool; the file is
// PDF/A-3b with the metadata record and the attachment.
func TestMetadataCLI(t *testing.T) {
	dir := t.TempDir()
	metaFile := filepath.Join(dir, "meta.json")
	os.WriteFile(metaFile, []byte(`{"recipient": "Direction des affaires générales", "keywords": ["courrier", "وارد"], "sender": "overridden"}`), 0o644)
	annex := filepath.Join(dir, "annexe été.txt")
	os.WriteFile(annex, []byte("annexe\n"), 0o644)
	out := filepath.Join(dir, "lettre.pdf")
	code, _, stderr := runCLI("process", "-l", "fra+ara", "-o", out,
		"--meta", "title=Demande d'autorisation — طلب ترخيص", "--meta", "sender=وزارة الداخلية",
		"--meta", "direction=incoming", "--meta", "received=2026-11-23T09:15:00+01:00",
		"--meta", "registration_number=AJR/2026/A/000123", "--meta-file", metaFile, "--attach", annex,
		testenv.Testdata("letter-fr-ar.png"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	pdftest.Validate(t, out, true)

	code, stdout, stderr := runCLI("info", "--json", "--check", out)
	if code != 0 {
		t.Fatalf("info: exit %d: %s", code, stderr)
	}
	var d pdf.Description
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatal(err)
	}
	m := d.Meta
	if m.Title != "Demande d'autorisation — طلب ترخيص" || m.Sender != "وزارة الداخلية" || m.Recipient != "Direction des affaires générales" ||
		m.Direction != "incoming" || m.Received != "2026-11-23T09:15:00+01:00" || m.RegistrationNumber != "AJR/2026/A/000123" ||
		strings.Join(m.Keywords, "|") != "courrier|وارد" || m.Language != "fr" {
		t.Errorf("demat info read back %+v", m)
	}
	if d.PDFA != "3b" || len(d.Attachments) != 2 || d.Attachments[1].Name != "annexe été.txt" || d.Record == nil || d.Record.Metadata.Sender != m.Sender {
		t.Errorf("PDF/A %q, attachments %+v, record %+v", d.PDFA, d.Attachments, d.Record)
	}
	if info := testenv.Run(t, "pdfinfo", out); !strings.Contains(info, "Title:           Demande d'autorisation — طلب ترخيص\n") {
		t.Errorf("pdfinfo:\n%s", info)
	}
	if meta := testenv.Run(t, "pdfinfo", "-meta", out); !strings.Contains(meta, "<demat:Sender>وزارة الداخلية</demat:Sender>") {
		t.Errorf("pdfinfo -meta lacks the sender:\n%s", meta)
	}
	if ex := testenv.Run(t, "exiftool", "-s3", "-XMP-demat:Recipient", out); ex != "Direction des affaires générales\n" {
		t.Errorf("exiftool recipient %q", ex)
	}

	// Plain text output, and the usage errors.
	if code, stdout, _ := runCLI("info", out); code != 0 || !strings.Contains(stdout, "Sender:         وزارة الداخلية") || !strings.Contains(stdout, "PDF/A-3b") {
		t.Errorf("info: %d\n%s", code, stdout)
	}
	for _, args := range [][]string{
		{"process", "--meta", "colour=red", "-o", out, "x.png"},
		{"process", "--meta", "novalue", "-o", out, "x.png"},
		{"process", "--pdfa", "2b", "--attach", annex, "-o", out, "x.png"},
		{"process", "--pdfa", "1a", "-o", out, "x.png"},
	} {
		if code, _, stderr := runCLI(args...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
	// A PDF that is not PDF/A fails the check with exit 1.
	plain := filepath.Join(dir, "plain.pdf")
	if code, _, stderr := runCLI("process", "--pdfa", "off", "-l", "eng", "-o", plain, testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatalf("--pdfa off: %d %s", code, stderr)
	}
	pdftest.Validate(t, plain, false)
	if code, _, _ := runCLI("info", "--check", plain); code != 1 {
		t.Errorf("info --check of a PDF without PDF/A: exit %d, want 1", code)
	}
}
