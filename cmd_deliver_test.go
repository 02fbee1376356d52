package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload/outbox"
)

// deliverEnv points demat at a throwaway configuration and data folder.
func deliverEnv(t *testing.T) (cfg, data string) {
	t.Helper()
	dir := t.TempDir()
	cfg, data = filepath.Join(dir, "config.toml"), filepath.Join(dir, "data")
	t.Setenv("DEMAT_CONFIG", cfg)
	t.Setenv("DEMAT_DATA", data)
	return cfg, data
}

func TestTargetCLI(t *testing.T) {
	cfg, _ := deliverEnv(t)
	os.WriteFile(cfg, []byte("# the desk's configuration\ndefault_target = \"\"\n"), 0o600)
	root := filepath.Join(t.TempDir(), "archives")
	code, out, stderr := runCLI("target", "add", "archives", "--kind", "folder", "--url", root, "--path", "{year}/{direction}/{reference}.pdf")
	if code != 0 || !strings.Contains(out, "Added target archives") {
		t.Fatalf("target add: %d %s %s", code, out, stderr)
	}
	code, _, stderr = runCLI("target", "add", "cloud", "--kind", "webdav", "--url", "https://agent:s3cret@cloud.example.org/dav/")
	if code != 2 || !strings.Contains(stderr, "holds a password") || strings.Contains(stderr, "s3cret") {
		t.Errorf("a password in the URL: %d %q", code, stderr)
	}
	for _, bad := range [][]string{
		{"target", "add", "x", "--kind", "ftp", "--url", "ftp://h/"},
		{"target", "add", "x", "--kind", "webdav", "--url", "sftp://h/"},
		{"target", "add", "../x", "--kind", "folder", "--url", "/tmp"},
		{"target", "add", "x", "--kind", "folder", "--url", "/tmp", "--path", "{year"},
		{"target", "add", "archives", "--kind", "folder", "--url", "/tmp"},
	} {
		if code, _, stderr := runCLI(bad...); code == 0 {
			t.Errorf("%v: accepted (%s)", bad, stderr)
		}
	}
	b, _ := os.ReadFile(cfg)
	if !strings.HasPrefix(string(b), "# the desk's configuration") {
		t.Errorf("target add lost the file's comment:\n%s", b)
	}
	code, out, _ = runCLI("target", "list")
	if code != 0 || !strings.Contains(out, "* archives") || !strings.Contains(out, "documents") {
		t.Errorf("target list: %s", out)
	}
	code, out, stderr = runCLI("target", "test", "archives")
	if code != 0 || !strings.Contains(out, "archives works") {
		t.Fatalf("target test: %d %s %s", code, out, stderr)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("target test left %d files", len(ents))
	}
	code, out, stderr = runCLI("target", "remove", "archives")
	if code != 0 {
		t.Fatalf("target remove: %d %s", code, stderr)
	}
	b, _ = os.ReadFile(cfg)
	if strings.Contains(string(b), "archives") || !strings.Contains(string(b), "# the desk's configuration") {
		t.Errorf("after remove:\n%s", b)
	}
}

func TestSendCLI(t *testing.T) {
	deliverEnv(t)
	root := filepath.Join(t.TempDir(), "archives")
	if code, _, stderr := runCLI("target", "add", "archives", "--kind", "folder", "--url", root, "--path", "{year}/{direction}/{reference}.pdf"); code != 0 {
		t.Fatal(stderr)
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "lettre.pdf")
	// A document with its registry metadata in its XMP, delivered where
	// the template says.
	code, out, stderr := runCLI("process", "-l", "fra+ara", "--meta", "direction=incoming", "--meta", "reference=AJR/2026/15",
		"--send", "archives", "-o", pdfPath, testenv.Testdata("letter-fr-ar.png"))
	if code != 0 || !strings.Contains(out, "delivered to") {
		t.Fatalf("process --send: %d\n%s\n%s", code, out, stderr)
	}
	want, _ := os.ReadFile(pdfPath)
	year := filepath.Join(root) // the year is today's
	var got []byte
	filepath.WalkDir(year, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if !strings.HasSuffix(p, filepath.Join("incoming", "AJR_2026_15.pdf")) {
				t.Errorf("delivered to %s", p)
			}
			got, _ = os.ReadFile(p)
		}
		return nil
	})
	if !bytes.Equal(got, want) {
		t.Fatalf("the delivered file is not the PDF (%d vs %d bytes)", len(got), len(want))
	}
	// The same again: another name, the first untouched.
	code, out, stderr = runCLI("send", "--target", "archives", pdfPath)
	if code != 0 {
		t.Fatalf("send: %d %s %s", code, out, stderr)
	}
	// Identical bytes at the destination count as delivered already.
	if strings.Contains(out, "-2.pdf") {
		t.Errorf("identical document delivered under a second name: %s", out)
	}
	// A template value the document lacks: an error naming it.
	other := filepath.Join(dir, "other.pdf")
	if code, _, stderr := runCLI("process", "-l", "eng", "-o", other, testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr = runCLI("send", "--target", "archives", other)
	if code == 0 || !strings.Contains(stderr, `"direction"`) || !strings.Contains(stderr, "--meta direction=") {
		t.Errorf("send without template values: %d %q", code, stderr)
	}
	code, _, stderr = runCLI("send", "--target", "archives", testenv.Testdata("phototest.tif"))
	if code == 0 || !strings.Contains(stderr, "not a PDF") {
		t.Errorf("send of a TIFF: %d %q", code, stderr)
	}
	// --no-wait queues; outbox run delivers; list --json shows receipts.
	code, _, stderr = runCLI("send", "--no-wait", "--target", "archives", "--meta", "direction=internal", "--meta", "reference=N1", other)
	if code != 3 || !strings.Contains(stderr, "queued") {
		t.Errorf("send --no-wait: %d %q", code, stderr)
	}
	code, out, stderr = runCLI("outbox", "run")
	if code != 0 || !strings.Contains(out, "delivered to") {
		t.Errorf("outbox run: %d %s %s", code, out, stderr)
	}
	code, out, _ = runCLI("outbox", "list", "--json")
	var ds []outbox.Delivery
	if err := json.Unmarshal([]byte(out), &ds); err != nil || len(ds) != 3 {
		t.Fatalf("outbox list --json: %v\n%s", err, out)
	}
	for _, d := range ds {
		if d.State != outbox.Delivered || d.Receipt == nil || d.Receipt.SHA256 != d.SHA256 {
			t.Errorf("#%d: %s %+v", d.ID, d.State, d.Receipt)
		}
	}
	code, out, _ = runCLI("outbox")
	if code != 0 || !strings.Contains(out, "delivered") || !strings.Contains(out, "internal/N1.pdf") {
		t.Errorf("outbox: %s", out)
	}
	code, out, _ = runCLI("outbox", "forget", "1")
	if code != 0 || !strings.Contains(out, "Forgot #1") {
		t.Errorf("outbox forget: %d %s", code, out)
	}
	if code, _, stderr := runCLI("outbox", "retry", "2"); code == 0 || !strings.Contains(stderr, "delivered: nothing to retry") {
		t.Errorf("retry of a delivered one: %d %q", code, stderr)
	}
	if code, _, _ := runCLI("outbox", "retry", "x"); code != 2 {
		t.Errorf("retry x: %d", code)
	}
}

// credentials list names the targets' passwords, whether stored or not.
func TestCredentialsListTargetsCLI(t *testing.T) {
	deliverEnv(t)
	if code, _, stderr := runCLI("target", "add", "cloud", "--kind", "webdav", "--url", "https://cloud.example.org/dav/", "--user", "agent"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCLI("target", "add", "depot", "--kind", "sftp", "--url", "sftp://depot.example.org/in", "--user", "demat", "--key-file", "/k", "--credential", "depot-key"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, _ := runCLI("credentials", "list")
	if code != 0 || !strings.Contains(out, "password of agent at target cloud") || !strings.Contains(out, "missing: demat credentials set cloud") ||
		!strings.Contains(out, "depot-key") || !strings.Contains(out, "passphrase of /k") {
		t.Errorf("credentials list:\n%s", out)
	}
}
