package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload/outbox"
)

// fakePDF writes size bytes that begin like a PDF (what send checks).
func fakePDF(t *testing.T, dir, name string, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	copy(data, "%PDF-1.7\n")
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func outboxJSON(t *testing.T) []outbox.Delivery {
	t.Helper()
	code, out, stderr := runCLI("outbox", "list", "--json")
	if code != 0 {
		t.Fatalf("outbox list: %s", stderr)
	}
	var ds []outbox.Delivery
	if err := json.Unmarshal([]byte(out), &ds); err != nil {
		t.Fatalf("outbox list --json: %v\n%s", err, out)
	}
	return ds
}

// A wrong password: one attempt, then needs-credentials with a message
// naming the target and the command; once the right password is stored,
// a retry delivers.
func TestNeedsCredentialsCLI(t *testing.T) {
	deliverEnv(t)
	srv := testenv.StartTusd(t, testenv.TusdOptions{User: "desk12", Password: "right-pass-9"})
	if code, _, stderr := runCLI("target", "add", "guichet", "--kind", "tus", "--url", srv.URL, "--user", "desk12"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCLIIn("wrong-pass-1", "credentials", "set", "--stdin", "guichet"); code != 0 {
		t.Fatal(stderr)
	}
	t.Cleanup(func() { runCLI("credentials", "delete", "guichet") })
	doc, data := fakePDF(t, t.TempDir(), "courrier.pdf", 300_000)
	code, out, stderr := runCLI("send", "--target", "guichet", doc)
	if code != 1 {
		t.Fatalf("send with a wrong password: exit %d\n%s\n%s", code, out, stderr)
	}
	ds := outboxJSON(t)
	if len(ds) != 1 || ds[0].State != outbox.NeedsCredentials || ds[0].Attempts != 1 {
		t.Fatalf("after a refused password: %+v", ds)
	}
	msg := ds[0].Error
	for _, want := range []string{"guichet", "demat credentials set guichet", fmt.Sprintf("demat outbox retry %d", ds[0].ID)} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "wrong-pass-1") || strings.Contains(out+stderr, "wrong-pass-1") {
		t.Error("the password shows in a message")
	}
	if code, _, stderr := runCLIIn("right-pass-9", "credentials", "set", "--stdin", "guichet"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr = runCLI("outbox", "retry", fmt.Sprint(ds[0].ID))
	if code != 0 || !strings.Contains(out, "delivered") {
		t.Fatalf("retry: %d\n%s\n%s", code, out, stderr)
	}
	fin := srv.Finished(t)
	if len(fin) != 1 {
		t.Fatalf("%d finished uploads, want 1", len(fin))
	}
	for _, b := range fin {
		if !bytes.Equal(b, data) {
			t.Error("the upload is not the document")
		}
	}
}

// A server whose certificate no trusted authority issued is refused with
// a message giving its fingerprint; pinning that fingerprint makes it
// work.
func TestUntrustedServerCLI(t *testing.T) {
	deliverEnv(t)
	srv := testenv.StartTusd(t, testenv.TusdOptions{TLS: true})
	if code, _, stderr := runCLI("target", "add", "secure", "--kind", "tus", "--url", srv.URL, "--credential", "none"); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := runCLI("target", "test", "secure")
	if code != 1 || !strings.Contains(stderr, "not trusted") || !strings.Contains(stderr, srv.Fingerprint) || !strings.Contains(stderr, "--pin") {
		t.Fatalf("untrusted server: exit %d, %q", code, stderr)
	}
	runCLI("target", "remove", "secure")
	if code, _, stderr := runCLI("target", "add", "secure", "--kind", "tus", "--url", srv.URL, "--credential", "none", "--pin", srv.Fingerprint); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := runCLI("target", "test", "secure")
	if code != 0 || !strings.Contains(out, "secure works") {
		t.Fatalf("pinned server: exit %d, %s %s", code, out, stderr)
	}
}

// kill -9 of `demat outbox run` in the middle of a transfer; the next
// run completes it from the offset the server holds: one upload, whole.
func TestKillOutboxRunCLI(t *testing.T) {
	_, data := deliverEnv(t)
	srv := testenv.StartTusd(t, testenv.TusdOptions{})
	proxy := testenv.StartProxy(t, srv.Addr)
	proxy.Set(testenv.Faults{Rate: 1 << 20}) // a 1 MB/s line: the transfer takes seconds
	url := strings.Replace(srv.URL, srv.Addr, proxy.Addr, 1)
	if code, _, stderr := runCLI("target", "add", "guichet", "--kind", "tus", "--url", url, "--credential", "none"); code != 0 {
		t.Fatal(stderr)
	}
	doc, want := fakePDF(t, t.TempDir(), "lot.pdf", 6_000_000)
	if code, _, stderr := runCLI("send", "--no-wait", "--target", "guichet", doc); code != 3 {
		t.Fatalf("send --no-wait: %d %s", code, stderr)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "DEMAT_RUN_MAIN=1", "DEMAT_ARGS=outbox\x1frun")
	var childOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for proxy.Forwarded() < 2_500_000 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no transfer within a minute:\n%s", childOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	ds := outboxJSON(t)
	if len(ds) != 1 || ds[0].State != outbox.Sending || ds[0].Sent == 0 {
		t.Fatalf("after kill -9: %+v", ds)
	}
	sentBefore := proxy.Forwarded()
	t.Logf("killed at %d bytes through; the outbox had saved offset %d", sentBefore, ds[0].Sent)
	proxy.Set(testenv.Faults{})
	code, out, stderr := runCLI("outbox", "run")
	if code != 0 || !strings.Contains(out, "delivered") {
		t.Fatalf("outbox run after kill -9: %d\n%s\n%s", code, out, stderr)
	}
	fin := srv.Finished(t)
	if len(fin) != 1 {
		t.Fatalf("%d finished uploads, want exactly 1", len(fin))
	}
	for _, b := range fin {
		if !bytes.Equal(b, want) {
			t.Fatal("the upload is not the document")
		}
	}
	if resent := proxy.Forwarded() - sentBefore; resent > int64(len(want))-ds[0].Sent+1_000_000 {
		t.Errorf("the second run sent %d bytes: it did not resume from %d", resent, ds[0].Sent)
	}
	if ents, _ := os.ReadDir(filepath.Join(data, "spool")); len(ents) != 0 {
		t.Errorf("%d files left in the spool", len(ents))
	}
}
