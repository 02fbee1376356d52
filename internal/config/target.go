package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// Target is a place documents are delivered to. The password, token or
// key passphrase is the keyring entry named by CredentialName.
type Target struct {
	// Name is what --target and --send take.
	Name string `toml:"name"`
	// Kind is folder, webdav, sftp or tus.
	Kind string `toml:"kind"`
	// URL is where: a folder path (or file:// URL) for folder; the
	// collection URL for webdav; sftp://host[:port]/folder for sftp; the
	// creation endpoint for tus.
	URL string `toml:"url"`
	// User is the login name (webdav, sftp, tus with basic auth).
	User string `toml:"user,omitempty"`
	// Path is the destination template (upload.Path), e.g.
	// "{year}/{direction}/{reference}.pdf"; empty for the file's name.
	Path string `toml:"path,omitempty"`
	// Credential names the keyring entry of the password (or the
	// passphrase of KeyFile, or the bearer token); default: the target's
	// name. "none" for a server that needs none.
	Credential string `toml:"credential,omitempty"`
	// CAFile is a PEM bundle of extra authorities to trust (https).
	CAFile string `toml:"ca_file,omitempty"`
	// Pins are certificate fingerprints accepted whoever issued them.
	Pins []string `toml:"pin,omitempty"`
	// Parallel is how many documents go at once (default 2).
	Parallel int `toml:"parallel,omitzero"`
	// KeyFile is an SSH private key (sftp).
	KeyFile string `toml:"key_file,omitempty"`
	// KnownHosts is an OpenSSH known_hosts file (sftp; default
	// ~/.ssh/known_hosts).
	KnownHosts string `toml:"known_hosts,omitempty"`
	// HostKey is the server's pinned host key fingerprint, "SHA256:…"
	// as ssh-keygen -lf prints it (sftp).
	HostKey string `toml:"host_key,omitempty"`
	// Bearer sends the credential as a bearer token rather than a basic
	// auth password (tus).
	Bearer bool `toml:"bearer,omitempty"`
	// NumberHeader names the header of the server's answer that holds
	// the registration number it gives each document it receives
	// (webdav, tus), e.g. "X-Registration-Number".
	NumberHeader string `toml:"number_header,omitempty"`
	// NumberJSON is a JSON pointer (RFC 6901) to that number in the
	// answer's JSON body (webdav, tus), e.g. "/registration/number".
	NumberJSON string `toml:"number_json,omitempty"`
}

// Kinds are the target kinds demat knows.
var Kinds = []string{"folder", "webdav", "sftp", "tus"}

var nameRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$`)

// CredentialName is the keyring entry of the target's secret; empty
// when it needs none (a folder; credential = "none"; an SFTP key
// without passphrase is told by the key itself).
func (t Target) CredentialName() string {
	switch {
	case t.Credential == "none", t.Kind == "folder":
		return ""
	case t.Credential != "":
		return t.Credential
	}
	return t.Name
}

// Check says what is wrong with a target's settings, if anything.
func (t Target) Check() error {
	if !nameRE.MatchString(t.Name) {
		return fmt.Errorf("target name %q: use letters, digits, '.', '_' or '-' (at most 64)", t.Name)
	}
	known := false
	for _, k := range Kinds {
		known = known || k == t.Kind
	}
	if !known {
		return fmt.Errorf("target %q: kind %q is not one of %s", t.Name, t.Kind, strings.Join(Kinds, ", "))
	}
	if t.URL == "" {
		return fmt.Errorf("target %q has no url", t.Name)
	}
	if t.Kind != "folder" {
		u, err := url.Parse(t.URL)
		if err != nil || u.Host == "" {
			return fmt.Errorf("target %q: url %q is not a URL with a host", t.Name, t.URL)
		}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				return fmt.Errorf("target %q: the url holds a password: remove it, and store it with demat credentials set %s", t.Name, t.CredentialName())
			}
		}
		want := map[string][]string{"webdav": {"http", "https"}, "tus": {"http", "https"}, "sftp": {"sftp", "ssh"}}[t.Kind]
		ok := false
		for _, s := range want {
			ok = ok || u.Scheme == s
		}
		if !ok {
			return fmt.Errorf("target %q: a %s url starts with %s://", t.Name, t.Kind, want[0])
		}
	}
	if t.Parallel < 0 || t.Parallel > 16 {
		return fmt.Errorf("target %q: parallel must be between 1 and 16", t.Name)
	}
	return t.checkNumber()
}

// checkNumber checks number_header and number_json: only a server that
// answers a delivery (webdav, tus) can give a registration number.
func (t Target) checkNumber() error {
	if t.NumberHeader == "" && t.NumberJSON == "" {
		return nil
	}
	if t.Kind != "webdav" && t.Kind != "tus" {
		return fmt.Errorf("target %q: number_header and number_json read the registration number from the server's answer to a delivery; a %s target has no answer to read it from (only webdav and tus targets can give one)", t.Name, t.Kind)
	}
	if t.NumberHeader != "" && !headerRE.MatchString(t.NumberHeader) {
		return fmt.Errorf("target %q: number_header %q is not an HTTP header name", t.Name, t.NumberHeader)
	}
	if p := t.NumberJSON; p != "" && (p[0] != '/' || badEscapeRE.MatchString(p)) {
		return fmt.Errorf("target %q: number_json %q is not a JSON pointer: it starts with / and writes ~ as ~0 and / as ~1 (e.g. /registration/number)", t.Name, p)
	}
	return nil
}

var (
	headerRE    = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	badEscapeRE = regexp.MustCompile(`~([^01]|$)`)
)

// FindTarget finds a target by name.
func (c *Config) FindTarget(name string) (Target, bool) {
	for _, t := range c.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

// ErrNoFile: the configuration has no file to write to.
var ErrNoFile = errors.New("config: no configuration file")

// AddTarget appends a target to the configuration file, keeping what is
// there (comments included), and writes it atomically.
func (c *Config) AddTarget(t Target) error {
	if err := t.Check(); err != nil {
		return err
	}
	if _, ok := c.FindTarget(t.Name); ok {
		return fmt.Errorf("a target named %q exists: remove it first (demat target remove %s)", t.Name, t.Name)
	}
	if err := c.appendTable("target", t); err != nil {
		return err
	}
	c.Targets = append(c.Targets, t)
	return nil
}

// AddCertificate appends a certificate to the configuration file, as
// AddTarget does a target.
func (c *Config) AddCertificate(cert Certificate) error {
	if _, ok := c.Certificate(cert.Name); ok {
		return fmt.Errorf("a certificate named %q exists: choose another name", cert.Name)
	}
	if err := c.appendTable("certificate", cert); err != nil {
		return err
	}
	c.Certificates = append(c.Certificates, cert)
	return nil
}

// appendTable appends v as a [[table]] to the configuration file,
// keeping what is there (comments included), and writes it atomically;
// a file the configuration would not load is not written.
func (c *Config) appendTable(table string, v any) error {
	old, err := os.ReadFile(c.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("config: %w", err)
	}
	var buf bytes.Buffer
	buf.Write(old)
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		buf.WriteByte('\n')
	}
	if len(old) > 0 {
		buf.WriteByte('\n')
	}
	buf.WriteString("[[" + table + "]]\n")
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	// Check what would be written reads back as it should.
	var probe Config
	if _, err := toml.Decode(buf.String(), &probe); err != nil {
		return fmt.Errorf("config: adding the %s would break %s: %w", table, c.path, err)
	}
	if err := probe.check(); err != nil {
		return err
	}
	return writeAtomic(c.path, buf.Bytes())
}

// RemoveTarget removes a target's [[target]] table from the file.
func (c *Config) RemoveTarget(name string) error {
	if _, ok := c.FindTarget(name); !ok {
		return fmt.Errorf("no target named %q (demat target list shows them)", name)
	}
	if err := c.removeTable("target", name, func(p *Config) int { return len(p.Targets) }); err != nil {
		return err
	}
	var kept []Target
	for _, t := range c.Targets {
		if t.Name != name {
			kept = append(kept, t)
		}
	}
	c.Targets = kept
	return nil
}

func writeAtomic(path string, data []byte) error {
	if path == "" {
		return ErrNoFile
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	return nil
}
