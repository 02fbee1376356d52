package credentials

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// leak is a value whose every encoding a test can look for.
const leak = "s3cr3t-Zq9"

// leaks reports whether out holds leak, raw or encoded.
func leaks(out string) bool {
	for _, enc := range []string{
		leak,
		hex.EncodeToString([]byte(leak)),
		strings.ToUpper(hex.EncodeToString([]byte(leak))),
		base64.StdEncoding.EncodeToString([]byte(leak)),
	} {
		if strings.Contains(out, enc) {
			return true
		}
	}
	return false
}

// Config is how a Secret ends up inside other values.
type Config struct {
	Target   string
	Password Secret
}

type hidden struct {
	target   string
	password Secret
}

func TestSecretNeverPrinted(t *testing.T) {
	s := NewSecret(leak)
	logged := func(h func(*bytes.Buffer) slog.Handler, args ...any) func() string {
		return func() string {
			var b bytes.Buffer
			slog.New(h(&b)).Info("login", args...)
			return b.String()
		}
	}
	jsonHandler := func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }
	textHandler := func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }
	sprintf := func(format string, a ...any) func() string {
		return func() string { return fmt.Sprintf(format, a...) }
	}
	tests := []struct {
		name     string
		render   func() string
		redacted bool // REDACTED shows; false where fmt cannot call our methods and prints an address
	}{
		{"%v", sprintf("%v", s), true},
		{"%+v", sprintf("%+v", s), true},
		{"%#v", sprintf("%#v", s), true},
		{"%s", sprintf("%s", s), true},
		{"%q", sprintf("%q", s), true},
		{"%x", sprintf("%x", s), true},
		{"%X", sprintf("%X", s), true},
		{"%d", sprintf("%d", s), true},
		{"%-40.3s", sprintf("%-40.3s", s), true},
		{"%p", sprintf("%p", s), false},
		{"pointer %v", sprintf("%v", &s), true},
		{"fmt.Sprint", func() string { return fmt.Sprint(s) }, true},
		{"fmt.Sprintln", func() string { return fmt.Sprintln("password", s) }, true},
		{"String", func() string { return "password=" + s.String() }, true},
		{"struct %+v", sprintf("%+v", Config{"tsa", s}), true},
		{"struct %#v", sprintf("%#v", Config{"tsa", s}), true},
		{"pointer to struct %v", sprintf("%v", &Config{"tsa", s}), true},
		{"unexported field %+v", sprintf("%+v", hidden{"tsa", s}), false},
		{"unexported field %#v", sprintf("%#v", hidden{"tsa", s}), false},
		{"unexported field %x", sprintf("%x", any(hidden{"tsa", s})), false}, // vet would refuse the struct
		{"slice", sprintf("%v", []Secret{s}), true},
		{"map", sprintf("%v", map[string]Secret{"tsa": s}), true},
		{"error", func() string { return fmt.Errorf("webdav: login with %v: %w", s, errors.New("401")).Error() }, true},
		{"slog JSON", logged(jsonHandler, "password", s), true},
		{"slog text", logged(textHandler, "password", s), true},
		{"slog JSON struct", logged(jsonHandler, "config", Config{"tsa", s}), true},
		{"slog text struct", logged(textHandler, "config", Config{"tsa", s}), true},
		{"slog group", logged(jsonHandler, slog.Group("target", "password", s)), true},
		{"json.Marshal struct", func() string { b, _ := json.Marshal(Config{"tsa", s}); return string(b) }, true},
		{"json.Marshal map", func() string { b, _ := json.Marshal(map[string]Secret{"tsa": s}); return string(b) }, true},
		{"xml.Marshal", func() string { b, _ := xml.Marshal(Config{"tsa", s}); return string(b) }, true},
		{"gob", func() string {
			var b bytes.Buffer
			if err := gob.NewEncoder(&b).Encode(Config{"tsa", s}); err != nil {
				return err.Error()
			}
			return b.String()
		}, false}, // gob refuses the type: fine, it shows nothing

	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.render()
			if leaks(out) {
				t.Fatalf("the value shows: %q", out)
			}
			if tt.redacted && !strings.Contains(out, redacted) {
				t.Errorf("no %s in %q", redacted, out)
			}
		})
	}
	if s.Reveal() != leak {
		t.Errorf("Reveal = %q after printing, want %q", s.Reveal(), leak)
	}
}

func TestSecretValue(t *testing.T) {
	tests := []struct {
		name string
		s    Secret
		want string
		zero bool
	}{
		{"zero value", Secret{}, "", true},
		{"empty", NewSecret(""), "", true},
		{"ascii", NewSecret("hunter2"), "hunter2", false},
		{"french", NewSecret("mot de passe « été »"), "mot de passe « été »", false},
		{"arabic", NewSecret("كلمة السر"), "كلمة السر", false},
		{"white space only", NewSecret(" \n"), " \n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Reveal(); got != tt.want {
				t.Errorf("Reveal = %q, want %q", got, tt.want)
			}
			if got := tt.s.IsZero(); got != tt.zero {
				t.Errorf("IsZero = %v, want %v", got, tt.zero)
			}
		})
	}
}
