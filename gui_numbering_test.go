package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/internal/register"
)

// Under numbering = "server", the registry desk refuses what the CLI
// refuses: the stamp and the receipt (drawn before the number exists)
// and a target that reads no number from its server.
func TestGUIRegistryServerNumbering(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(`[register]
numbering = "server"

[[target]]
name = "bo"
kind = "tus"
url = "https://bo.example.gov/files/"
number_header = "X-Registration-Number"

[[target]]
name = "archives"
kind = "folder"
url = "`+filepath.Join(dir, "archives")+`"
`), 0o600)
	t.Setenv("DEMAT_CONFIG", cfg)
	r, err := register.Open(t.Context(), filepath.Join(dir, "data"), register.Options{Numbering: register.ServerNumbering})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := &guiRegistry{r: r}
	for _, tc := range []struct {
		req  app.RegistryRequest
		want string
	}{
		{app.RegistryRequest{Stamp: true, Target: "bo"}, "untick the arrival stamp"},
		{app.RegistryRequest{Desk: guiSigner{}, Target: "bo"}, "demat register receipt NUMBER"},
		{app.RegistryRequest{}, "choose the target that numbers it"},
		{app.RegistryRequest{Target: "archives"}, "reads no number from its server"},
	} {
		if err := d.checkNumbering(tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.req, err, tc.want)
		}
	}
	if err := d.checkNumbering(app.RegistryRequest{Target: "bo"}); err != nil {
		t.Errorf("a numbering target refused: %v", err)
	}
}
