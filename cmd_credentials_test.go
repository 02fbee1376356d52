package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLIIn runs demat with in as its standard input.
func runCLIIn(in string, args ...string) (int, string, string) {
	old := stdin
	stdin = strings.NewReader(in)
	defer func() { stdin = old }()
	return runCLI(args...)
}

// The credential commands store a secret in the Secret Service, list the
// configuration's names with their state but never a value, and remove
// it.
func TestCredentialsCLI(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte("[[certificate]]\nname = \"agent\"\nfile = \"/certs/agent.p12\"\n"), 0o600)
	t.Setenv("DEMAT_CONFIG", cfg)
	const secret = "mot de passe سري 42"

	if code, out, _ := runCLI("credentials", "list"); code != 0 || !strings.Contains(out, "missing: demat credentials set agent.p12") {
		t.Errorf("list before: %d %q", code, out)
	}
	code, out, errOut := runCLIIn(secret+"\n", "credentials", "set", "--stdin", "agent.p12")
	if code != 0 || strings.Contains(out+errOut, secret) {
		t.Fatalf("set: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI("credentials", "list")
	if code != 0 || !strings.Contains(out, "agent.p12") || !strings.Contains(out, "stored") || strings.Contains(out, secret) {
		t.Errorf("list after: %d %q", code, out)
	}
	// No terminal and no --stdin: told what to do.
	if code, _, errOut := runCLIIn("", "credentials", "set", "x"); code != 2 || !strings.Contains(errOut, "--stdin") {
		t.Errorf("set without a terminal: %d %q", code, errOut)
	}
	if code, _, _ := runCLIIn("", "credentials", "set", "--stdin", "x"); code != 2 {
		t.Errorf("an empty secret was taken: %d", code)
	}
	if code, _, errOut := runCLI("credentials", "delete", "agent.p12"); code != 0 {
		t.Errorf("delete: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI("credentials", "delete", "agent.p12"); code != 1 || !strings.Contains(errOut, "not in the OS keyring") {
		t.Errorf("delete again: %d %q", code, errOut)
	}
}
