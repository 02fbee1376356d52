//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package credentials

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/testenv"
)

// secretTool runs secret-tool on the test's bus and returns its standard
// output and error; failing is not fatal (lookup of nothing exits 1).
func secretTool(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	testenv.Require(t, "secret-tool")
	cmd := exec.Command("secret-tool", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestOverwrite(t *testing.T) {
	s := New()
	name := newName(t, "webdav-mairie")
	for _, v := range []string{"ancien", "nouveau"} {
		if err := s.Set(name, NewSecret(v)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reveal() != "nouveau" {
		t.Errorf("Get = %q, want the second value", got.Reveal())
	}
	out, _, err := secretTool(t, "", "search", "--all", "service", service, "username", name)
	if err != nil {
		t.Fatalf("secret-tool search: %v", err)
	}
	if n := strings.Count(out, "label = "); n != 1 {
		t.Errorf("%d entries for %q, want 1:\n%s", n, name, out)
	}
}

// TestInSecretService checks with libsecret's own client that the values
// are where a person (or Seahorse) finds them, and that demat reads what
// such a client stored.
func TestInSecretService(t *testing.T) {
	s := New()
	t.Run("demat stores, secret-tool reads", func(t *testing.T) {
		name := newName(t, "tsa")
		value := "jeton « horodatage »\nligne 2"
		if err := s.Set(name, NewSecret(value)); err != nil {
			t.Fatal(err)
		}
		got, _, err := secretTool(t, "", "lookup", "service", service, "username", name)
		if err != nil {
			t.Fatalf("secret-tool lookup: %v", err)
		}
		if got != value {
			t.Errorf("secret-tool lookup = %q, want %q", got, value)
		}
		out, stderr, err := secretTool(t, "", "search", "--all", "service", service, "username", name)
		if err != nil {
			t.Fatalf("secret-tool search: %v", err)
		}
		for _, want := range []string{
			fmt.Sprintf("label = Password for '%s' on '%s'", name, service),
			"attribute.service = " + service,
			"attribute.username = " + name,
		} {
			if !strings.Contains(out+stderr, want) {
				t.Errorf("no %q in what secret-tool finds:\n%s%s", want, out, stderr)
			}
		}
		if err := s.Delete(name); err != nil {
			t.Fatal(err)
		}
		if got, _, err := secretTool(t, "", "lookup", "service", service, "username", name); err == nil || got != "" {
			t.Errorf("secret-tool still finds %q after Delete (%v)", got, err)
		}
	})
	t.Run("secret-tool stores, demat reads", func(t *testing.T) {
		name := newName(t, "agent.p12")
		value := "كلمة سر الشهادة"
		if _, stderr, err := secretTool(t, value, "store", "--label=demat test", "service", service, "username", name); err != nil {
			t.Fatalf("secret-tool store: %v: %s", err, stderr)
		}
		got, err := s.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if got.Reveal() != value {
			t.Errorf("Get = %q, want %q", got.Reveal(), value)
		}
	})
}

// TestLockedKeyring is the keyring of a session where nobody typed the
// keyring password: go-keyring asks for the unlock prompt, which has no
// display to show on.
func TestLockedKeyring(t *testing.T) {
	s := New()
	name := newName(t, "webdav-mairie")
	if err := s.Set(name, NewSecret("mairie")); err != nil {
		t.Fatal(err)
	}
	testenv.LockKeyring(t)
	for op, call := range operations(s, name) {
		err := returns(t, call)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%s: %v, want ErrUnavailable", op, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "locked") || !strings.Contains(msg, "gnome-keyring-daemon --unlock") || leaks(msg) {
			t.Errorf("%s: message %q: want why (locked), how to unlock, and no value", op, msg)
		}
	}
}

// TestNoSecretService covers the sessions without a keyring: a server, a
// container, an SSH login. Each must fail at once with the sentence that
// says how to get one, never hang and never launch a bus of its own.
func TestNoSecretService(t *testing.T) {
	tests := []struct {
		name string
		addr func(t *testing.T) string // "" unsets DBUS_SESSION_BUS_ADDRESS
		want string
	}{
		{"no bus address", func(*testing.T) string { return "" }, "DBUS_SESSION_BUS_ADDRESS is unset"},
		{"autolaunch", func(*testing.T) string { return "autolaunch:" }, "DBUS_SESSION_BUS_ADDRESS is unset"},
		{"nothing at the address", func(t *testing.T) string {
			return "unix:path=" + filepath.Join(t.TempDir(), "bus")
		}, "cannot reach the D-Bus session bus"},
		{"bus without Secret Service", func(t *testing.T) string { return testenv.SessionBus(t) }, "nothing provides org.freedesktop.secrets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// godbus runs dbus-launch when it finds no bus: a fake one
			// tells if it was.
			bin := t.TempDir()
			launched := filepath.Join(bin, "launched")
			script := "#!/bin/sh\ntouch '" + launched + "'\nexit 1\n"
			if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			// A machine with a bus at /run/user/UID/bus would be found
			// without the variable: point the search at an empty folder.
			empty := t.TempDir()
			old := runtimeDir
			runtimeDir = func() string { return empty }
			t.Cleanup(func() { runtimeDir = old })

			t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
			if addr := tt.addr(t); addr != "" {
				t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
			} else {
				os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
			}
			s := New()
			for op, call := range operations(s, "webdav-mairie") {
				err := returns(t, call)
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("%s: %v, want ErrUnavailable", op, err)
				}
				msg := err.Error()
				for _, want := range []string{
					"credentials: " + strings.Fields(op)[0] + ` "webdav-mairie": `,
					"no Secret Service",
					tt.want,
					"log in to a desktop session",
					"dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets; demat …'",
				} {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: no %q in %q", op, want, msg)
					}
				}
				if leaks(msg) {
					t.Errorf("%s: the value shows: %q", op, msg)
				}
			}
			if _, err := os.Stat(launched); err == nil {
				t.Error("dbus-launch was run")
			}
		})
	}
}

// operations gives each Store call on name, the Set one with leak as its
// value.
func operations(s *Store, name string) map[string]func() error {
	return map[string]func() error{
		"get":       func() error { _, err := s.Get(name); return err },
		"set value": func() error { return s.Set(name, NewSecret(leak)) },
		"delete":    func() error { return s.Delete(name) },
		"get (has)": func() error { _, err := s.Has(name); return err },
	}
}

// returns calls fn and fails the test if it has not returned within a
// minute: long enough for any loaded machine, short of the test timeout,
// so a hang is reported as one.
func returns(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		t.Fatal("the call hangs")
		return nil
	}
}
