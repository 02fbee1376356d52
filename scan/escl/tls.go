package escl

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
)

// CertificateError reports an HTTPS scanner whose certificate this
// computer does not trust. Most scanners make their own (self-signed)
// certificate: a person who recognises the fingerprint (the scanner's web
// page or configuration report shows it) pins it in Options.Pins.
type CertificateError struct {
	// Addr is the device's host:port, the key to pin it under.
	Addr string
	// Fingerprint is the SHA-256 fingerprint of the certificate the
	// device presented, as Pins takes it.
	Fingerprint string
	// Pinned is the fingerprint pinned for Addr that did not match, or ""
	// when none is pinned.
	Pinned string
	// Err is why the certificate did not verify against the trusted
	// authorities.
	Err error
}

func (e *CertificateError) Error() string {
	if e.Pinned != "" {
		return fmt.Sprintf("the scanner at %s presents a certificate with fingerprint %s, not the pinned %s: "+
			"it got a new one (after a reset or a firmware update) or another machine answers in its place; "+
			"check the fingerprint on the scanner itself, then pin fingerprint %s instead (--pin %s=%s)",
			e.Addr, e.Fingerprint, e.Pinned, e.Fingerprint, e.Addr, e.Fingerprint)
	}
	return fmt.Sprintf("the scanner at %s presents a certificate this computer does not trust (%v); "+
		"scanners usually make their own: if the fingerprint on the scanner's own page matches, "+
		"pin fingerprint %s for %s (--pin %s=%s)", e.Addr, e.Err, e.Fingerprint, e.Addr, e.Addr, e.Fingerprint)
}

func (e *CertificateError) Unwrap() error { return e.Err }

// Fingerprint returns a certificate's SHA-256 fingerprint the way Pins
// takes it and scanners' web pages show it: "AB:CD:…".
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// normFingerprint reduces a fingerprint to lower-case hex, whatever its
// separators and an optional "SHA256:" prefix.
func normFingerprint(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "sha256:"), "sha-256:")
	return strings.Map(func(r rune) rune {
		if (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') {
			return r
		}
		return -1
	}, s)
}

// pin returns the fingerprint pinned for a device, "" for none.
func (d *Driver) pin(addr, host string) string {
	for k, v := range d.opt.Pins {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == addr || k == host || strings.Trim(k, "[]") == host {
			return v
		}
	}
	return ""
}

// dialTLS opens a TLS connection that accepts a certificate the system
// (or RootCAs) trusts for the host, or one whose fingerprint is pinned for
// host:port. Certificate checking stays on: skipping Go's own check is
// only how the pin gets its say, in verify.
func (d *Driver) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := d.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		raw.Close()
		return nil, err
	}
	cfg := &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true,
		VerifyConnection:   func(cs tls.ConnectionState) error { return d.verify(addr, host, cs) },
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

// verify decides whether to trust the certificate a device presented.
func (d *Driver) verify(addr, host string, cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the scanner presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	opts := x509.VerifyOptions{DNSName: host, Roots: d.opt.RootCAs, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, verr := leaf.Verify(opts)
	if verr == nil {
		return nil
	}
	fp := Fingerprint(leaf)
	pinned := d.pin(addr, host)
	if pinned != "" && normFingerprint(pinned) == normFingerprint(fp) {
		return nil
	}
	return &CertificateError{Addr: addr, Fingerprint: fp, Pinned: pinned, Err: verr}
}
