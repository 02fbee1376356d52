package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/outbox"
)

// The window removes a target only when nothing waits to be delivered
// there, and a certificate with its keyring entry.
func TestGUIRemove(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.toml")
	os.WriteFile(cfgPath, []byte(`# kept
[[target]]
name = "archives"
kind = "folder"
url = "`+filepath.Join(dir, "archives")+`"

[[certificate]]
name = "agent"
file = "/srv/demat-test-agent.p12"
`), 0o600)
	cfg, err := config.LoadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ob, err := outbox.Open(ctx, filepath.Join(dir, "data"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	g := newGUIConfig(cfg, nil)
	svc := g.services(ob)

	ts, _ := svc.TargetList()
	for _, tg := range ts {
		if tg.BuiltIn != (tg.Name == documentsTarget) {
			t.Errorf("%s: built in %v", tg.Name, tg.BuiltIn)
		}
	}
	if err := svc.RemoveTarget(ctx, documentsTarget); err == nil {
		t.Error("the documents folder could be removed")
	}

	pdf := filepath.Join(dir, "a.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.7\n"), 0o600)
	d, err := ob.Add(ctx, "archives", pdf, "a.pdf", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveTarget(ctx, "archives"); err == nil || !strings.Contains(err.Error(), "1 document(s) still wait") {
		t.Errorf("removed with a document waiting: %v", err)
	}
	if err := ob.Forget(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveTarget(ctx, "archives"); err != nil {
		t.Fatal(err)
	}
	if names := svc.Targets(); len(names) != 1 || names[0] != documentsTarget {
		t.Errorf("after removal the window offers %q", names)
	}

	ring := credentials.New()
	if err := ring.Set("demat-test-agent.p12", credentials.NewSecret("phrase")); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveCertificate("agent"); err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Get("demat-test-agent.p12"); !errors.Is(err, credentials.ErrNotFound) {
		t.Errorf("the passphrase stayed in the keyring: %v", err)
	}
	if len(svc.Certificates()) != 0 {
		t.Error("the certificate is still listed")
	}
	if data, _ := os.ReadFile(cfgPath); !strings.HasPrefix(string(data), "# kept\n") || strings.Contains(string(data), "agent") {
		t.Errorf("configuration:\n%s", data)
	}
}
