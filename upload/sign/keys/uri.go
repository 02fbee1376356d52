package keys

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TokenRef names a key on a PKCS#11 token: which module (driver library) to
// load, which token, and which key on it. ParsePKCS11URI makes one from an
// RFC 7512 URI; String turns it back into one.
type TokenRef struct {
	// Module is the module's file (module-path). Empty means the usual
	// places: the p11-kit proxy, which reaches every module registered with
	// p11-kit, then OpenSC (see OpenToken).
	Module string
	// ModuleName is the module's name without prefix or suffix
	// (module-name, "opensc-pkcs11"), looked up in the usual library
	// directories, or in Module when Module is a directory.
	ModuleName string
	// Token is the token's label (token=), Serial its serial number
	// (serial=), Slot its slot (slot-id=). At least one is set, and a token
	// must match all those set.
	Token  string
	Serial string
	// Slot is a CK_SLOT_ID, which is unsigned.
	Slot *uint
	// Object is the key's label (object=) and ID its CKA_ID (id=, raw
	// bytes). When both are empty, the token must hold exactly one private
	// key.
	Object string
	ID     []byte
}

// pathAttrs are the RFC 7512 path attributes. Those demat does not select
// on (manufacturer, model, library-*, slot-description…) are accepted and
// ignored, because p11tool and p11-kit print them in every URI while token,
// serial and slot-id already identify the token.
var pathAttrs = map[string]bool{
	"token": true, "serial": true, "slot-id": true, "object": true, "id": true, "type": true,
	"manufacturer": false, "model": false,
	"library-manufacturer": false, "library-description": false, "library-version": false,
	"slot-description": false, "slot-manufacturer": false,
}

// queryAttrs are the RFC 7512 query attributes demat accepts.
var queryAttrs = map[string]bool{"module-path": true, "module-name": true}

// ParsePKCS11URI reads an RFC 7512 URI such as
//
//	pkcs11:token=demat;object=signer;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so
//
// Values are percent-decoded; id is raw bytes (id=%01%a2). The URI must name a
// token (token=, serial= or slot-id=). type=, when given, must be private or
// cert (demat looks up the private key and the certificate with the same
// id or label either way). A PIN in the URI (pin-value=, pin-source=) is
// refused: demat asks for the PIN and keeps it in the OS keyring, never in
// configuration. Any attribute RFC 7512 does not define is refused too,
// vendor ones (x-…) included: a misspelt "tokn=" silently ignored would
// select some other token. An attribute given twice is refused, as RFC 7512
// requires.
//
// Errors never repeat the URI, which might carry a PIN.
func ParsePKCS11URI(uri string) (TokenRef, error) {
	var ref TokenRef
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || !strings.EqualFold(scheme, "pkcs11") {
		return ref, errors.New("keys: not a PKCS#11 URI: it must start with \"pkcs11:\", like pkcs11:token=demat;object=signer")
	}
	path, query, _ := strings.Cut(rest, "?")
	seen := map[string]bool{}
	attrs := func(part, sep string, known map[string]bool, set func(name, value string) error) error {
		for _, a := range strings.Split(part, sep) {
			if a == "" {
				continue
			}
			name, raw, ok := strings.Cut(a, "=")
			if !ok {
				return fmt.Errorf("keys: PKCS#11 URI attribute %q has no value; write it as name=value", name)
			}
			if name == "pin-value" || name == "pin-source" {
				return fmt.Errorf("keys: PKCS#11 URI has %s: remove it, demat asks for the PIN and keeps it in the system keyring", name)
			}
			if _, ok := known[name]; !ok {
				return fmt.Errorf("keys: PKCS#11 URI attribute %q is unknown here; remove it or check its spelling (RFC 7512 names: token, serial, slot-id, object, id, type, module-path, module-name)", name)
			}
			if seen[name] {
				return fmt.Errorf("keys: PKCS#11 URI has %s twice; keep one", name)
			}
			seen[name] = true
			value, err := url.PathUnescape(raw)
			if err != nil {
				return fmt.Errorf("keys: PKCS#11 URI attribute %s has a bad percent-encoding; write bytes as %%XX", name)
			}
			if !known[name] {
				continue
			}
			if value == "" {
				return fmt.Errorf("keys: PKCS#11 URI attribute %s is empty; give it a value or remove it", name)
			}
			if err := set(name, value); err != nil {
				return err
			}
		}
		return nil
	}
	err := attrs(path, ";", pathAttrs, func(name, value string) error {
		switch name {
		case "token":
			ref.Token = value
		case "serial":
			ref.Serial = value
		case "slot-id":
			n, err := strconv.ParseUint(value, 10, strconv.IntSize)
			if err != nil {
				return fmt.Errorf("keys: PKCS#11 URI slot-id %q is not a slot number; write it in decimal, as pkcs11-tool -L shows it", value)
			}
			s := uint(n)
			ref.Slot = &s
		case "object":
			ref.Object = value
		case "id":
			ref.ID = []byte(value)
		case "type":
			if value != "private" && value != "cert" {
				return fmt.Errorf("keys: PKCS#11 URI has type=%s but demat signs with a private key; use type=private or leave type out", value)
			}
		}
		return nil
	})
	if err != nil {
		return TokenRef{}, err
	}
	err = attrs(query, "&", queryAttrs, func(name, value string) error {
		switch name {
		case "module-path":
			ref.Module = value
		case "module-name":
			ref.ModuleName = value
		}
		return nil
	})
	if err != nil {
		return TokenRef{}, err
	}
	if ref.Token == "" && ref.Serial == "" && ref.Slot == nil {
		return TokenRef{}, errors.New("keys: PKCS#11 URI names no token; add token=<label> (pkcs11-tool -L lists the tokens and their labels)")
	}
	return ref, nil
}

// String returns ref as an RFC 7512 URI that ParsePKCS11URI reads back.
func (ref TokenRef) String() string {
	var b strings.Builder
	b.WriteString("pkcs11:")
	var path []string
	if ref.Token != "" {
		path = append(path, "token="+escape(ref.Token))
	}
	if ref.Serial != "" {
		path = append(path, "serial="+escape(ref.Serial))
	}
	if ref.Slot != nil {
		path = append(path, "slot-id="+strconv.FormatUint(uint64(*ref.Slot), 10))
	}
	if ref.Object != "" {
		path = append(path, "object="+escape(ref.Object))
	}
	if len(ref.ID) > 0 {
		var id strings.Builder
		for _, c := range ref.ID {
			fmt.Fprintf(&id, "%%%02x", c)
		}
		path = append(path, "id="+id.String())
	}
	b.WriteString(strings.Join(path, ";"))
	var query []string
	if ref.Module != "" {
		query = append(query, "module-path="+escape(ref.Module))
	}
	if ref.ModuleName != "" {
		query = append(query, "module-name="+escape(ref.ModuleName))
	}
	if len(query) > 0 {
		b.WriteString("?" + strings.Join(query, "&"))
	}
	return b.String()
}

// escape percent-encodes everything but RFC 3986 unreserved characters and
// "/" (module paths stay readable).
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// resolveModule returns the module file for ref: Module when it is a file;
// else ModuleName looked up in Module (a directory) or in dirs; else the
// first of defaults that exists. The error lists where it looked and what to
// add to the URI.
func resolveModule(ref TokenRef, defaults, dirs []string, suffix string) (string, error) {
	if ref.Module != "" && ref.ModuleName == "" {
		if _, err := os.Stat(ref.Module); err != nil {
			return "", fmt.Errorf("keys: %w: module-path %s: %v; install the token's software (OpenSC for most cards) or fix module-path in the URI", ErrNoModule, ref.Module, err)
		}
		return ref.Module, nil
	}
	var candidates []string
	if ref.ModuleName != "" {
		name := ref.ModuleName
		if !strings.HasSuffix(name, suffix) {
			name += suffix
		}
		if ref.Module != "" {
			dirs = []string{ref.Module}
		}
		for _, d := range dirs {
			candidates = append(candidates, filepath.Join(d, name))
		}
	} else {
		candidates = defaults
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	if ref.ModuleName != "" {
		return "", fmt.Errorf("keys: %w: module-name %s not found in %s; install it or give its file with ?module-path=/path/to/module%s", ErrNoModule, ref.ModuleName, strings.Join(candidates, ", "), suffix)
	}
	return "", fmt.Errorf("keys: %w: none of %s exists; install p11-kit or OpenSC, or add ?module-path=/path/to/your-token-module%s to the URI", ErrNoModule, strings.Join(candidates, ", "), suffix)
}
