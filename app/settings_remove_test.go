package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/internal/config"
)

// Targets and certificates are removed from the window after a
// question; a refusal (documents still waiting) is said in the dialog
// and removes nothing. The document types are listed.
func TestSettingsRemove(t *testing.T) {
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.toml")
			os.WriteFile(cfg, []byte(`# the desk's configuration
[[target]]
name = "archives"
kind = "folder"
url = "`+filepath.Join(dir, "archives")+`"

[[target]]
name = "cloud"
kind = "webdav"
url = "https://cloud.example.org/dav"

[[certificate]]
name = "agent"
file = "/srv/agent.p12"
`), 0o600)
			waiting := map[string]bool{"cloud": true}
			types := docTypes(t)
			f := newFixture(t, l.Code, func(s *Services) {
				configServices(t, cfg)(s)
				s.RemoveTarget = func(_ context.Context, name string) error {
					if waiting[name] {
						return os.ErrExist // stands for "documents still wait"
					}
					c, err := config.LoadFile(cfg)
					if err != nil {
						return err
					}
					return c.RemoveTarget(name)
				}
				s.RemoveCertificate = func(name string) error {
					c, err := config.LoadFile(cfg)
					if err != nil {
						return err
					}
					return c.RemoveCertificate(name)
				}
				s.DocTypes = func() []config.DocType { return types }
			})
			w := f.w
			w.show(w.settings.content)
			f.ui.until(t, "the targets", func() bool { return len(w.settings.targets) == 3 })
			v := w.settings
			if v.removeTargets["documents"] != nil {
				t.Error("the built-in documents folder offers Remove")
			}

			test.Tap(v.removeTargets["cloud"])
			test.Tap(v.formOK)
			f.ui.until(t, "the refusal", func() bool { return !v.formError.Hidden })
			if data, _ := os.ReadFile(cfg); !strings.Contains(string(data), `name = "cloud"`) {
				t.Error("a refused removal changed the configuration")
			}
			test.Tap(v.formCancel)

			test.Tap(v.removeTargets["archives"])
			test.Tap(v.formOK)
			f.ui.until(t, "the target removed", func() bool { return w.settings != v && len(w.settings.targets) == 2 })
			v = w.settings
			if !strings.Contains(v.status.Text, "archives") {
				t.Errorf("status %q", v.status.Text)
			}

			test.Tap(v.removeCerts["agent"])
			test.Tap(v.formOK)
			f.ui.until(t, "the certificate removed", func() bool { return w.settings != v })
			v = w.settings
			if len(v.removeCerts) != 0 || w.finish.signWith != nil && len(w.finish.signWith.Options) > 1 {
				t.Errorf("the certificate is still offered")
			}
			data, _ := os.ReadFile(cfg)
			if s := string(data); strings.Contains(s, "archives") || strings.Contains(s, "agent") ||
				!strings.HasPrefix(s, "# the desk's configuration") || !strings.Contains(s, `name = "cloud"`) {
				t.Errorf("configuration:\n%s", data)
			}

			// The document types, in the window's language.
			text := test.RenderToMarkup(f.win.Canvas())
			for _, want := range []string{types[0].Label.In(l.Code), types[0].Fields[0].Label.In(l.Code) + " *", "Normal / Confidentiel"} {
				if !strings.Contains(text, want) {
					t.Errorf("settings do not show %q", want)
				}
			}
		})
	}
}
