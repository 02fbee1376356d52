// Package config reads demat's configuration: the certificates documents
// are signed with, the timestamping authority, and (as they land) delivery
// targets. It holds no secret: a passphrase, PIN or password is named by
// the credential that keeps it in the OS keyring (upload/credentials).
//
// The file is TOML, at os.UserConfigDir()/demat/config.toml
// (~/.config/demat/config.toml on Linux), or where DEMAT_CONFIG says. A
// missing file is an empty configuration.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration.
type Config struct {
	// Certificates are the signing certificates, by name.
	Certificates []Certificate `toml:"certificate"`
	// TSA is the timestamping authority signatures get their time from
	// (PAdES B-T); empty URL for none.
	TSA TSA `toml:"tsa"`
	// Targets are the places documents are delivered to.
	Targets []Target `toml:"target"`
	// DefaultTarget is the target used when none is named; empty for the
	// only one configured, else the documents folder (folder.DefaultRoot).
	DefaultTarget string `toml:"default_target"`
	// Register is how registration numbers are written.
	Register Register `toml:"register"`
	// Separator tells separator sheets and reads their codes.
	Separator Separator `toml:"separator"`
	// DocTypes are the kinds of document described, with their fields.
	DocTypes []DocType `toml:"doctype"`
	// path is where the configuration was read from.
	path string
}

// Certificate is a signing key and its certificate: a PKCS#12 file or a
// PKCS#11 token.
type Certificate struct {
	// Name is what --cert takes to choose it.
	Name string `toml:"name"`
	// File is a PKCS#12 file (.p12, .pfx).
	File string `toml:"file"`
	// PKCS11 is an RFC 7512 URI of a key on a token, e.g.
	// pkcs11:token=demat;object=signer?module-path=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
	PKCS11 string `toml:"pkcs11"`
	// Credential names the keyring entry holding the passphrase or PIN;
	// by default the file's name (agent.p12) or the token's label.
	Credential string `toml:"credential"`
}

// TSA is an RFC 3161 timestamping authority.
type TSA struct {
	URL string `toml:"url"`
	// Username for the TSA's HTTP basic authentication, when it asks for
	// one; the password is the credential named Credential ("tsa" by
	// default).
	Username   string `toml:"username"`
	Credential string `toml:"credential"`
}

// Path is where the configuration file is: DEMAT_CONFIG, else the OS
// configuration folder's demat/config.toml.
func Path() (string, error) {
	if p := os.Getenv("DEMAT_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config: no configuration folder: %w (set DEMAT_CONFIG to a file)", err)
	}
	return filepath.Join(dir, "demat", "config.toml"), nil
}

// Load reads the configuration at Path; a missing file is an empty
// configuration.
func Load() (*Config, error) {
	p, err := Path()
	if err != nil {
		return nil, err
	}
	return LoadFile(p)
}

// LoadFile reads the configuration at path; a missing file is an empty
// configuration. Unknown keys are an error, so that a misspelt one does
// not silently do nothing.
func LoadFile(path string) (*Config, error) {
	c := &Config{path: path}
	md, err := toml.DecodeFile(path, c)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("config: %s: unknown settings %s", path, strings.Join(keys, ", "))
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// File is where the configuration was read from.
func (c *Config) File() string { return c.path }

func (c *Config) check() error {
	if _, err := c.Separator.Rules(); err != nil {
		return err
	}
	if err := c.Register.CheckNumbering(); err != nil {
		return err
	}
	if err := checkDocTypes(c.DocTypes); err != nil {
		return err
	}
	targets := map[string]bool{}
	for _, t := range c.Targets {
		if err := t.Check(); err != nil {
			return err
		}
		if targets[t.Name] {
			return fmt.Errorf("two targets are named %q", t.Name)
		}
		targets[t.Name] = true
	}
	if c.DefaultTarget != "" && !targets[c.DefaultTarget] {
		return fmt.Errorf("default_target %q is not a configured target", c.DefaultTarget)
	}
	seen := map[string]bool{}
	for i, cert := range c.Certificates {
		if cert.Name == "" {
			return fmt.Errorf("certificate %d has no name", i+1)
		}
		if seen[cert.Name] {
			return fmt.Errorf("two certificates are named %q", cert.Name)
		}
		seen[cert.Name] = true
		if (cert.File == "") == (cert.PKCS11 == "") {
			return fmt.Errorf("certificate %q: give either file (a PKCS#12 file) or pkcs11 (a token URI)", cert.Name)
		}
	}
	return nil
}

// Certificate finds a certificate by name.
func (c *Config) Certificate(name string) (Certificate, bool) {
	for _, cert := range c.Certificates {
		if cert.Name == name {
			return cert, true
		}
	}
	return Certificate{}, false
}

// CredentialName is the keyring entry of a certificate's passphrase or
// PIN: Credential, else the file's base name, else the token label (the
// URI's token attribute), else the certificate's name.
func (cert Certificate) CredentialName() string {
	switch {
	case cert.Credential != "":
		return cert.Credential
	case cert.File != "":
		return filepath.Base(cert.File)
	}
	if label := uriAttr(cert.PKCS11, "token"); label != "" {
		return label
	}
	return cert.Name
}

// CredentialName is the keyring entry of the TSA's password.
func (t TSA) CredentialName() string {
	if t.Credential != "" {
		return t.Credential
	}
	return "tsa"
}

// Credentials lists the credential names the configuration uses, with
// what each is for, in the file's order.
func (c *Config) Credentials() []Use {
	var out []Use
	for _, cert := range c.Certificates {
		what := "passphrase of " + cert.File
		if cert.PKCS11 != "" {
			what = "PIN of the token of certificate " + cert.Name
		}
		out = append(out, Use{Name: cert.CredentialName(), For: what})
	}
	if c.TSA.URL != "" && c.TSA.Username != "" {
		out = append(out, Use{Name: c.TSA.CredentialName(), For: "password of " + c.TSA.Username + " at the timestamping authority"})
	}
	for _, t := range c.Targets {
		name := t.CredentialName()
		if name == "" || (t.Kind == "sftp" && t.KeyFile != "" && t.Credential == "") {
			continue // no secret, or an SFTP key whose passphrase is optional
		}
		what := "password of " + t.User + " at target " + t.Name
		switch {
		case t.Kind == "sftp" && t.KeyFile != "":
			what = "passphrase of " + t.KeyFile + " (target " + t.Name + ")"
		case t.Bearer:
			what = "token of target " + t.Name
		}
		out = append(out, Use{Name: name, For: what})
	}
	return out
}

// Use is a credential and what it is for.
type Use struct {
	Name, For string
}

// uriAttr reads a path attribute of a pkcs11: URI, percent-decoding
// nothing (labels rarely need it; the signer parses the URI fully).
func uriAttr(uri, key string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(uri, "pkcs11:"), "?")
	for _, kv := range strings.Split(path, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}
