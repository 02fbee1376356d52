package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/sign"
	"github.com/demat-app/demat/upload/sign/keys"
)

// TestGUIServices: the window's services over a real configuration
// file: a target added (with the checks of demat target add, comments
// kept), tested, listed; a certificate added, refused when not PKCS#12,
// opened with its passphrase and signing a PDF; a secret stored from the
// window is in the keyring only.
func TestGUIServices(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.toml")
	t.Setenv("DEMAT_CONFIG", cfgPath)
	os.WriteFile(cfgPath, []byte("# kept\n"), 0o600)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	g := newGUIConfig(cfg, nil)
	svc := g.services(nil)

	if err := svc.AddTarget(app.Target{Name: "cloud", Kind: "webdav", URL: "cloud.example.org"}); err == nil || !strings.Contains(err.Error(), "host") {
		t.Errorf("a URL without host: %v", err)
	}
	if err := svc.AddTarget(app.Target{Name: "documents", Kind: "folder", URL: dir}); err == nil {
		t.Error("the built-in documents target could be added")
	}
	archive := filepath.Join(dir, "archives")
	os.Mkdir(archive, 0o755)
	if err := svc.AddTarget(app.Target{Name: "archives", Kind: "folder", URL: archive, Path: "{year}/{reference}.pdf"}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(cfgPath); !strings.HasPrefix(string(data), "# kept\n") || !strings.Contains(string(data), `path = "{year}/{reference}.pdf"`) {
		t.Errorf("configuration:\n%s", data)
	}
	ts, _ := svc.TargetList()
	if len(ts) != 2 || ts[0].Name != "archives" || !ts[0].Default || ts[1].Name != documentsTarget {
		t.Errorf("targets %+v", ts)
	}
	if names := svc.Targets(); len(names) != 2 || names[0] != "archives" {
		t.Errorf("Save and send offers %q", names)
	}
	where, err := svc.TestTarget(context.Background(), "archives")
	if err != nil || !strings.Contains(where, archive) {
		t.Errorf("test: %q %v", where, err)
	}
	if ents, _ := os.ReadDir(archive); len(ents) != 0 {
		t.Errorf("the probe stayed: %v", ents)
	}

	const pass = "phrase secrète"
	p12, _ := testPKI(t, dir, pass)
	if err := svc.AddCertificate("pem", filepath.Join(dir, "ca.pem")); !errors.Is(err, keys.ErrNotPKCS12) {
		t.Errorf("a PEM file as certificate: %v", err)
	}
	if err := svc.AddCertificate("agent", p12); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddCertificate("agent", p12); err == nil {
		t.Error("two certificates named agent")
	}
	certs := svc.Certificates()
	if len(certs) != 1 || certs[0].Credential != "agent.p12" || certs[0].Where != p12 {
		t.Fatalf("certificates %+v", certs)
	}
	if _, err := svc.OpenCertificate(context.Background(), "agent", credentials.NewSecret("nope")); !errors.Is(err, keys.ErrWrongPassphrase) {
		t.Errorf("a wrong passphrase: %v", err)
	}
	sg, err := svc.OpenCertificate(context.Background(), "agent", credentials.NewSecret(pass))
	if err != nil {
		t.Fatal(err)
	}
	defer sg.Close()
	in := filepath.Join(dir, "in.pdf")
	if code, _, stderr := runCLI("process", "-l", "eng", "-o", in, testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "out.pdf")
	if err := sg.Sign(context.Background(), in, out); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := runCLI("verify", out); !strings.Contains(stdout, "Agent du bureau d'ordre") {
		t.Errorf("verify: %d %s", code, stdout)
	}
	if sg.Who() != "Agent du bureau d'ordre" {
		t.Errorf("signer %q", sg.Who())
	}
	// Shown on the page, as the window's Signature card asks.
	vs, ok := sg.(app.VisibleSigner)
	if !ok {
		t.Fatal("the window's signer cannot show the signature")
	}
	shown := filepath.Join(dir, "shown.pdf")
	if err := vs.SignVisible(context.Background(), in, shown, app.Look{Last: true, Corner: "top-left", Registration: "AJR/2026/A/000123"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(shown)
	if rep, err := sign.Verify(data, nil); err != nil || len(rep.Signatures) != 1 || rep.Signatures[0].Block == nil ||
		rep.Signatures[0].Block.QR.Registration != "AJR/2026/A/000123" || !rep.Signatures[0].Block.Matches {
		t.Errorf("the visible signature: %+v %v", rep, err)
	}
	if err := vs.SignVisible(context.Background(), in, shown, app.Look{Corner: "middle"}); err == nil {
		t.Error("a corner that is not one")
	}

	ring := credentials.New()
	t.Cleanup(func() { ring.Delete("agent.p12") })
	if err := svc.Keyring.Set("agent.p12", credentials.NewSecret(pass)); err != nil {
		t.Fatal(err)
	}
	if s, err := ring.Get("agent.p12"); err != nil || s.Reveal() != pass {
		t.Errorf("keyring: %v", err)
	}
	if data, _ := os.ReadFile(cfgPath); strings.Contains(string(data), pass) {
		t.Error("the passphrase reached the configuration")
	}
}
