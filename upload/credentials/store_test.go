package credentials

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// serial keeps names apart across -count runs and parallel goroutines.
var serial atomic.Int64

// newName returns a name no other test uses, deleted from the keyring
// when the test ends.
func newName(t *testing.T, base string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", base, serial.Add(1))
	t.Cleanup(func() {
		if err := New().Delete(name); err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("cleanup: %v", err)
		}
	})
	return name
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"ascii", "hunter2"},
		{"french", "Mot de passe : « été » à Noël, œuvre, ça"},
		{"arabic", "كلمة السر: سرّي ١٢٣"},
		{"spaces and newlines", "  deux espaces\nune ligne\r\n\tune tabulation  \n"},
		{"long token", strings.Repeat("eyJhbGciOiJFUzI1NiJ9.", 200)},
		{"empty", ""},
	}
	s := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := newName(t, "round-trip")
			if err := s.Set(name, NewSecret(tt.value)); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.Has(name); err != nil || !ok {
				t.Fatalf("Has after Set = %v, %v; want true", ok, err)
			}
			got, err := s.Get(name)
			if err != nil {
				t.Fatal(err)
			}
			if got.Reveal() != tt.value {
				t.Fatalf("Get = %q, want %q", got.Reveal(), tt.value)
			}
			if err := s.Delete(name); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.Has(name); err != nil || ok {
				t.Fatalf("Has after Delete = %v, %v; want false", ok, err)
			}
			if _, err := s.Get(name); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestNamesAreIndependent(t *testing.T) {
	s := New()
	values := map[string]string{
		newName(t, "webdav-mairie"):                "mairie",
		newName(t, "agent.p12"):                    "passphrase du certificat",
		newName(t, "tsa"):                          "jeton",
		newName(t, "أرشيف البلدية"):                "سرّ",
		newName(t, "mairie de Saint-Étienne"):      "étienne",
		newName(t, strings.Repeat("n", maxName-4)): "the longest name, give or take the serial",
	}
	for name, v := range values {
		if err := s.Set(name, NewSecret(v)); err != nil {
			t.Fatal(err)
		}
	}
	var gone string
	for name := range values {
		gone = name
		break
	}
	if err := s.Delete(gone); err != nil {
		t.Fatal(err)
	}
	for name, v := range values {
		got, err := s.Get(name)
		switch {
		case name == gone:
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q) after deleting it: %v, want ErrNotFound", name, err)
			}
		case err != nil:
			t.Errorf("Get(%q) after deleting %q: %v", name, gone, err)
		case got.Reveal() != v:
			t.Errorf("Get(%q) = %q, want %q", name, got.Reveal(), v)
		}
	}
}

func TestNotFound(t *testing.T) {
	s := New()
	name := newName(t, "never-stored")
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"get", func() error { _, err := s.Get(name); return err }, "store it first"},
		{"delete", func() error { return s.Delete(name) }, "nothing to delete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("%v, want ErrNotFound", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "credentials: "+tt.name) || !strings.Contains(msg, name) || !strings.HasSuffix(msg, tt.want) {
				t.Errorf("message %q: want the operation, the name and %q", msg, tt.want)
			}
		})
	}
	if ok, err := s.Has(name); err != nil || ok {
		t.Errorf("Has = %v, %v; want false, nil", ok, err)
	}
}

func TestInvalidName(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"empty", "", "empty"},
		{"too long", strings.Repeat("é", maxName/2+1), "bytes long"},
		{"not UTF-8", "tsa\xff", "UTF-8"},
		{"leading space", " tsa", "white space"},
		{"trailing newline", "tsa\n", "white space"},
		{"newline", "web\ndav", "control character (U+000A)"},
		{"NUL", "web\x00dav", "control character (U+0000)"},
		{"escape", "web\x1b[31mdav", "control character (U+001B)"},
		{"C1 control", "web\u0085dav", "control character (U+0085)"},
		{"line separator", "web\u2028dav", "control character (U+2028)"},
	}
	s := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := map[string]func() error{
				"get":    func() error { _, err := s.Get(tt.give); return err },
				"set":    func() error { return s.Set(tt.give, NewSecret(leak)) },
				"delete": func() error { return s.Delete(tt.give) },
				"has":    func() error { _, err := s.Has(tt.give); return err },
			}
			for op, call := range ops {
				err := call()
				if !errors.Is(err, ErrInvalidName) {
					t.Fatalf("%s: %v, want ErrInvalidName", op, err)
				}
				if msg := err.Error(); !strings.HasPrefix(msg, "credentials: ") || !strings.Contains(msg, tt.want) || leaks(msg) {
					t.Errorf("%s: message %q: want %q, and no value", op, msg, tt.want)
				}
			}
		})
	}
}

// TestErrorsDropValue injects keyring errors whose text holds the value,
// as a chatty keyring daemon could write: the error keeps its kind and
// loses that text.
func TestErrorsDropValue(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		unavailable bool
	}{
		{"plain error", fmt.Errorf("cannot store %q", leak), false},
		{"unavailable", &unavailableError{reason: "the keyring is locked", cause: fmt.Errorf("prompt for %s", leak), fix: "unlock it"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().fail("set", "tsa", tt.err, leak)
			if leaks(err.Error()) {
				t.Fatalf("the value shows: %q", err)
			}
			if !strings.HasPrefix(err.Error(), `credentials: set "tsa": `) || !strings.Contains(err.Error(), errDropped.Error()) {
				t.Errorf("message %q", err)
			}
			if errors.Is(err, ErrUnavailable) != tt.unavailable {
				t.Errorf("errors.Is(%v, ErrUnavailable) = %v, want %v", err, !tt.unavailable, tt.unavailable)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	s := New()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		name := newName(t, "concurrent")
		value := fmt.Sprintf("valeur %d", i)
		wg.Go(func() {
			if err := s.Set(name, NewSecret(value)); err != nil {
				errs <- err
				return
			}
			got, err := s.Get(name)
			if err != nil {
				errs <- err
				return
			}
			if got.Reveal() != value {
				errs <- fmt.Errorf("Get(%q) = %q, want %q", name, got.Reveal(), value)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
