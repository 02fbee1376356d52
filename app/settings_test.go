package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/folder"
)

// configServices are the settings' services over a configuration file in
// a temporary folder, through internal/config as the program's are; a
// folder target is tested by writing and removing a file in it.
func configServices(t *testing.T, path string) func(*Services) {
	var mu sync.Mutex
	load := func() *config.Config {
		mu.Lock()
		defer mu.Unlock()
		c, err := config.LoadFile(path)
		if err != nil {
			t.Errorf("the configuration written does not load: %v", err)
			return &config.Config{}
		}
		return c
	}
	return func(s *Services) {
		s.Targets = func() []string {
			names := []string{"documents"}
			for _, t := range load().Targets {
				names = append(names, t.Name)
			}
			return names
		}
		s.TargetList = func() ([]Target, error) {
			out := []Target{{Name: "documents", Kind: "folder", URL: "/home/agent/Documents/demat", Default: true, BuiltIn: true}}
			for _, t := range load().Targets {
				out = append(out, Target{Name: t.Name, Kind: t.Kind, URL: t.URL, User: t.User, Path: t.Path, Credential: t.CredentialName()})
			}
			return out, nil
		}
		s.AddTarget = func(t Target) error {
			return load().AddTarget(config.Target{Name: t.Name, Kind: t.Kind, URL: t.URL, User: t.User, Path: t.Path})
		}
		s.TestTarget = func(ctx context.Context, name string) (string, error) {
			tc, _ := load().FindTarget(name)
			ft, err := folder.New(tc.URL)
			if err != nil {
				return "", err
			}
			data := "probe\n"
			sum := sha256.Sum256([]byte(data))
			rec, err := ft.Put(ctx, upload.Doc{ID: "probe-1", Name: ".probe.txt", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])},
				func(off int64) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data[off:])), nil })
			if err != nil {
				return "", err
			}
			return rec.Location, ft.Delete(ctx, ".probe.txt")
		}
		s.Certificates = func() []Certificate {
			var out []Certificate
			for _, c := range load().Certificates {
				out = append(out, Certificate{Name: c.Name, Credential: c.CredentialName(), Where: c.File})
			}
			return out
		}
		s.OpenCertificate = func(context.Context, string, credentials.Secret) (Signer, error) { return nil, os.ErrInvalid }
		s.AddCertificate = func(name, where string) error {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("\n[[certificate]]\nname = \"" + name + "\"\nfile = \"" + where + "\"\n")
			return err
		}
	}
}

// TestSettings, in each language: add a folder target by typing in the
// dialog (a bad URL is refused with the configuration's reason), test
// it, store a WebDAV target's password in the keyring, add a
// certificate and store its passphrase; Save and send then offers both.
func TestSettings(t *testing.T) {
	ring := credentials.New()
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.toml")
			os.WriteFile(cfg, []byte("# the desk's configuration\n"), 0o600)
			f := newFixture(t, l.Code, configServices(t, cfg))
			w := f.w
			w.show(w.settings.content)
			f.ui.until(t, "the targets", func() bool { return len(w.settings.targets) == 1 })
			golden(t, f.win.Canvas(), l.Code+"/settings-targets.xml")

			// A WebDAV target whose URL has no host is refused.
			v := w.settings
			test.Tap(v.addTarget)
			test.Type(v.form["name"], "cloud")
			test.Type(v.form["url"], "cloud.example.org/dav")
			test.Type(v.form["user"], "agent")
			golden(t, f.win.Canvas(), l.Code+"/settings-add-target.xml")
			test.Tap(v.formOK)
			f.ui.until(t, "the refusal", func() bool { return !v.formError.Hidden })
			if !strings.Contains(v.formError.Text, "not a URL with a host") {
				t.Errorf("error %q", v.formError.Text)
			}
			v.form["url"].SetText("https://cloud.example.org/dav")
			test.Tap(v.formOK)
			f.ui.until(t, "the target added", func() bool { return w.settings != v && len(w.settings.targets) == 2 })

			v = w.settings
			test.Tap(v.addTarget)
			// A fixed folder, so that the golden file does not change
			// with the temporary folder's name.
			archive := filepath.Join(os.TempDir(), "demat-app-settings-"+l.Code)
			os.RemoveAll(archive)
			os.Mkdir(archive, 0o755)
			t.Cleanup(func() { os.RemoveAll(archive) })
			test.Type(v.form["name"], "archives")
			v.kind.SetSelected("folder")
			test.Type(v.form["url"], archive)
			test.Tap(v.formOK)
			f.ui.until(t, "the folder target added", func() bool { return len(w.settings.targets) == 3 })
			v = w.settings
			if !strings.Contains(v.status.Text, "archives") {
				t.Errorf("status %q", v.status.Text)
			}
			if data, _ := os.ReadFile(cfg); !strings.HasPrefix(string(data), "# the desk's configuration") || strings.Contains(string(data), "password") {
				t.Errorf("configuration:\n%s", data)
			}

			test.Tap(v.testButtons["archives"])
			f.ui.until(t, "the test", func() bool { return !v.testButtons["archives"].Disabled() })
			if want := tr(l.Code, "settings.test_ok")[:4]; !strings.HasPrefix(v.status.Text, "archives") || !strings.Contains(v.status.Text, archive) {
				t.Errorf("status %q (want %q…)", v.status.Text, want)
			}
			if ents, _ := os.ReadDir(archive); len(ents) != 0 {
				t.Errorf("the probe was left in the target: %v", ents)
			}

			if v.passButtons["archives"] != nil || v.passButtons["cloud"] == nil {
				t.Fatal("Password… on a folder, or not on WebDAV")
			}
			ring.Delete("cloud")
			t.Cleanup(func() { ring.Delete("cloud") })
			test.Tap(v.passButtons["cloud"])
			test.Type(v.form["secret"], "mot de passe")
			test.Tap(v.formOK)
			f.ui.until(t, "the password stored", func() bool { return v.dialog == nil })
			if s, err := ring.Get("cloud"); err != nil || s.Reveal() != "mot de passe" {
				t.Errorf("keyring: %v", err)
			}
			if data, _ := os.ReadFile(cfg); strings.Contains(string(data), "mot de passe") {
				t.Error("the password reached the configuration")
			}

			test.Tap(v.addCert)
			test.Type(v.form["name"], "agent")
			test.Type(v.form["where"], "/srv/agent.p12")
			test.Tap(v.formOK)
			f.ui.until(t, "the certificate added", func() bool { return w.settings != v })
			v = w.settings
			if v.certPassButtons["agent"] == nil {
				t.Fatal("the certificate is not listed")
			}
			ring.Delete("agent.p12")
			t.Cleanup(func() { ring.Delete("agent.p12") })
			test.Tap(v.certPassButtons["agent"])
			test.Type(v.form["secret"], "phrase")
			test.Tap(v.formOK)
			f.ui.until(t, "the passphrase stored", func() bool { return v.dialog == nil })
			if s, err := ring.Get("agent.p12"); err != nil || s.Reveal() != "phrase" {
				t.Errorf("keyring: %v", err)
			}
			golden(t, f.win.Canvas(), l.Code+"/settings-filled.xml")

			if got := w.finish.target.Options; len(got) != 3 {
				t.Errorf("Save and send offers %q", got)
			}
			if w.finish.signWith == nil || len(w.finish.signWith.Options) != 2 {
				t.Error("Save and send does not offer the certificate")
			}
		})
	}
}
