package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// RemoveCertificate removes a certificate's [[certificate]] table from
// the file. Its passphrase or PIN stays in the keyring (demat
// credentials delete removes it).
func (c *Config) RemoveCertificate(name string) error {
	if _, ok := c.Certificate(name); !ok {
		return fmt.Errorf("no certificate named %q", name)
	}
	if c.Register.Certificate == name {
		return fmt.Errorf("certificate %q signs the register's receipts ([register] certificate): name another one there first", name)
	}
	if err := c.removeTable("certificate", name, func(p *Config) int { return len(p.Certificates) }); err != nil {
		return err
	}
	var kept []Certificate
	for _, cert := range c.Certificates {
		if cert.Name != name {
			kept = append(kept, cert)
		}
	}
	c.Certificates = kept
	return nil
}

// removeTable removes the [[table]] whose name is name from the file,
// keeping everything else as it is written (comments included), and
// writes it atomically. count says how many such tables a configuration
// holds: the result must hold one less and load, or nothing is written.
func (c *Config) removeTable(table, name string, count func(*Config) int) error {
	old, err := os.ReadFile(c.path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	header := "[[" + table + "]]"
	lines := strings.SplitAfter(string(old), "\n")
	var out []string
	for i := 0; i < len(lines); {
		if strings.TrimSpace(lines[i]) != header {
			out = append(out, lines[i])
			i++
			continue
		}
		j := i + 1
		for j < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[j]), "[") {
			j++
		}
		var one struct {
			Name string `toml:"name"`
		}
		block := strings.Join(lines[i+1:j], "")
		if _, err := toml.Decode(block, &one); err == nil && one.Name == name {
			// Also drop the blank line that separated it.
			for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
				out = out[:len(out)-1]
			}
			if len(out) > 0 {
				out = append(out, "\n")
			}
			i = j
			continue
		}
		out = append(out, lines[i:j]...)
		i = j
	}
	data := strings.Join(out, "")
	var probe Config
	md, err := toml.Decode(data, &probe)
	if err != nil || len(md.Undecoded()) > 0 || count(&probe) != count(c)-1 {
		return fmt.Errorf("config: could not remove %s %q from %s by itself: edit the file", table, name, c.path)
	}
	if err := probe.check(); err != nil {
		return fmt.Errorf("config: removing %s %q would leave %s wrong: %w", table, name, c.path, err)
	}
	return writeAtomic(c.path, []byte(data))
}
