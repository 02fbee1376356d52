package main

import (
	"bytes"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
)

// TestSecretsNowhereCLI stores every kind of secret with demat
// credentials set, then runs the whole chain (recognise, sign with a
// visible block, deliver to WebDAV, SFTP with an encrypted key, and tus, a refused password on the
// way, the outbox, the listings) with debug logs, and looks for each
// secret in the configuration and data folders (the OS defaults under a
// throwaway HOME), the output, what the servers stored, and everything
// demat printed. The keyring is the only place they may be.
func TestSecretsNowhereCLI(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	t.Setenv("DEMAT_CONFIG", "")
	t.Setenv("DEMAT_DATA", "")
	os.Unsetenv("DEMAT_CONFIG")
	os.Unsetenv("DEMAT_DATA")

	secrets := map[string]string{
		"p12":  "p12-Passphrase-7319",
		"dav":  "dav-Password-5521",
		"tus":  "tus-Password-8802",
		"bad":  "wrong-Password-4417",
		"ssh":  "ssh-KeyPassphrase-6604",
		"user": "", // filled below: base64 of user:password, as Basic auth sends it
	}
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{User: "agent", Password: secrets["dav"]})
	tusd := testenv.StartTusd(t, testenv.TusdOptions{User: "desk12", Password: secrets["tus"]})
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{KeyPassphrase: secrets["ssh"]})
	secrets["user"] = base64.StdEncoding.EncodeToString([]byte("agent:" + secrets["dav"]))

	work := filepath.Join(home, "work")
	os.MkdirAll(work, 0o755)
	p12, caPEM := testPKI(t, work, secrets["p12"])

	// The keyring is shared by the package's tests: leave it as found.
	t.Cleanup(func() {
		for _, name := range []string{"agent.p12", "cloud", "guichet", "depot"} {
			runCLI("credentials", "delete", name)
		}
	})
	var logs bytes.Buffer
	cli := func(in string, args ...string) int {
		t.Helper()
		code, out, errOut := runCLIIn(in, args...)
		logs.WriteString(out)
		logs.WriteString(errOut)
		return code
	}
	must := func(in string, args ...string) {
		t.Helper()
		if code := cli(in, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, logs.String())
		}
	}
	must("", "-v", "target", "add", "cloud", "--kind", "webdav", "--url", dav.URL, "--user", "agent", "--path", "{year}/{reference}.pdf")
	must("", "-v", "target", "add", "guichet", "--kind", "tus", "--url", tusd.URL, "--user", "desk12")
	must("", "-v", "target", "add", "depot", "--kind", "sftp", "--url", "sftp://"+sshd.Addr+sshd.Root, "--user", sshd.User,
		"--key-file", sshd.KeyFile, "--host-key", sshd.Fingerprint)
	must(secrets["ssh"], "-v", "credentials", "set", "--stdin", "depot")
	must(secrets["p12"], "-v", "credentials", "set", "--stdin", "agent.p12")
	must(secrets["dav"], "-v", "credentials", "set", "--stdin", "cloud")
	// A wrong password first: the refusal is recorded and printed.
	must(secrets["bad"], "-v", "credentials", "set", "--stdin", "guichet")
	must("", "-v", "credentials", "list")
	must("", "-v", "target", "test", "cloud")

	out := filepath.Join(work, "courrier.pdf")
	must("", "-v", "process", "-l", "fra+ara", "--meta", "reference=AJR-2026-15",
		"--sign", p12, "--visible", "--send", "cloud", "-o", out, testenv.Testdata("letter-fr-ar.png"))
	if code := cli("", "-v", "send", "--target", "guichet", out); code != 1 {
		t.Fatalf("send with a wrong password: exit %d\n%s", code, logs.String())
	}
	must("", "-v", "target", "test", "depot")
	must("", "-v", "send", "--target", "depot", out)
	must(secrets["tus"], "-v", "credentials", "set", "--stdin", "guichet")
	must("", "-v", "outbox", "retry", "--all")
	must("", "-v", "outbox", "list", "--json")
	must("", "-v", "outbox")
	must("", "-v", "verify", "--trust", caPEM, out)

	// Every file under HOME (configuration, data: database, its WAL,
	// the spool; the output), and what the servers stored.
	var files []string
	for _, root := range []string{home, dav.Root, tusd.Dir, sshd.Root} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
	}
	var sawDB, sawConfig bool
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sawDB = sawDB || strings.HasSuffix(f, "demat.db")
		sawConfig = sawConfig || strings.HasSuffix(f, filepath.Join("demat", "config.toml"))
		for what, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("the %s secret is in %s", what, f)
			}
		}
	}
	if !sawDB || !sawConfig {
		t.Fatalf("the run did not use the default folders (database found: %v, config found: %v); files: %v", sawDB, sawConfig, files)
	}
	for what, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the %s secret is in demat's output", what)
		}
	}
	if !strings.Contains(logs.String(), "delivered") || !strings.Contains(logs.String(), "refused the credentials") {
		t.Errorf("the run did not go as planned:\n%s", logs.String())
	}
	t.Logf("searched %d files and %d bytes of output for %d secrets", len(files), logs.Len(), len(secrets))
}
