package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	c, err := LoadFile(write(t, `
[[certificate]]
name = "agent"
file = "/home/a/certs/agent.p12"

[[certificate]]
name = "cachet"
pkcs11 = "pkcs11:token=Bureau%20d'ordre;object=signer?module-path=/usr/lib/softhsm/libsofthsm2.so"

[[certificate]]
name = "other"
file = "x.pfx"
credential = "pfx-pass"

[tsa]
url = "https://tsa.example/tsr"
username = "agent"
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range c.Credentials() {
		got = append(got, u.Name)
	}
	if strings.Join(got, "|") != "agent.p12|Bureau%20d'ordre|pfx-pass|tsa" {
		t.Errorf("credentials %q", got)
	}
	if cert, ok := c.Certificate("agent"); !ok || cert.File != "/home/a/certs/agent.p12" {
		t.Errorf("certificate agent: %+v %v", cert, ok)
	}
	if _, ok := c.Certificate("nobody"); ok {
		t.Error("found a certificate that is not there")
	}
}

func TestLoadErrors(t *testing.T) {
	for name, body := range map[string]string{
		"unknown key":    "[[certificate]]\nname = \"a\"\nfile = \"a.p12\"\npasword = \"x\"\n",
		"both sources":   "[[certificate]]\nname = \"a\"\nfile = \"a.p12\"\npkcs11 = \"pkcs11:token=t\"\n",
		"no source":      "[[certificate]]\nname = \"a\"\n",
		"duplicate name": "[[certificate]]\nname = \"a\"\nfile = \"a.p12\"\n[[certificate]]\nname = \"a\"\nfile = \"b.p12\"\n",
		"not TOML":       "[[certificate\n",
	} {
		if _, err := LoadFile(write(t, body)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	c, err := LoadFile(filepath.Join(t.TempDir(), "absent.toml"))
	if err != nil || len(c.Certificates) != 0 {
		t.Errorf("a missing file: %v %+v", err, c)
	}
}
