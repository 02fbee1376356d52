package credentials

import (
	"fmt"
	"log/slog"
)

// redacted is what a Secret shows instead of its value.
const redacted = "REDACTED"

// Secret is a credential's value: a password, token, passphrase or PIN.
// It prints, formats, logs and marshals as REDACTED whatever the verb or
// encoder (fmt, slog, encoding/json, anything using encoding.TextMarshaler);
// Reveal gives the value to the code that must use it. The zero Secret is
// empty.
//
// The value sits behind a pointer so that even the paths where fmt cannot
// call Format (a Secret in an unexported struct field, a bad verb such as
// %p) print an address, never the characters. Compare Secrets with Reveal,
// not ==, which compares those pointers.
type Secret struct {
	v *string
}

// NewSecret wraps a value read from a person, a file or the keyring.
func NewSecret(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{&v}
}

// Reveal returns the value. Call it only where the value is used (an
// Authorization header, a PKCS#12 decoder), never to log or show it.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether the Secret is empty, so a caller can tell "no
// password" from a password without revealing it.
func (s Secret) IsZero() bool { return s.v == nil || *s.v == "" }

// String returns REDACTED, for fmt's %v and %s and for string concatenation
// through fmt.Sprint.
func (s Secret) String() string { return redacted }

// GoString returns REDACTED, for %#v.
func (s Secret) GoString() string { return redacted }

// Format writes REDACTED for every verb, flag and width, so %q, %x or %d
// do not quote, hex-dump or otherwise encode the value.
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }

// LogValue makes slog log REDACTED with every handler.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "REDACTED", so a struct holding a Secret cannot
// write it to a config file or an HTTP body by accident.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText writes REDACTED, for encoders that use
// encoding.TextMarshaler (encoding/xml, map keys, many YAML and TOML
// libraries).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

var (
	_ fmt.Stringer   = Secret{}
	_ fmt.GoStringer = Secret{}
	_ fmt.Formatter  = Secret{}
	_ slog.LogValuer = Secret{}
)
