package upload

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Net is how a target reaches its server: trust and patience.
type Net struct {
	// CAFile is a PEM bundle of extra certificate authorities trusted
	// besides the system's (an administration's own CA).
	CAFile string
	// Pins are SHA-256 fingerprints of server certificates accepted
	// whoever issued them ("sha256:AB:CD:…", as `openssl x509
	// -fingerprint -sha256` prints, colons and case optional). A pinned
	// certificate is trusted for its own sake: neither its issuer nor its
	// dates are checked, as with an SSH host key.
	Pins []string
	// Idle is how long a connection may go without moving a byte before
	// it is given up as stalled.
	Idle time.Duration
	// Dial replaces the network dialer (tests); nil for net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// applyDefaults fills what was not set.
func (n *Net) applyDefaults() {
	if n.Idle <= 0 {
		// Long enough for a server that takes its time to MOVE or
		// checksum a large file, short enough that a dead link is
		// noticed within the minute.
		n.Idle = 45 * time.Second
	}
}

// TLSConfig is the TLS configuration for a server: system roots plus
// CAFile, or a pinned certificate. Verification is never off.
func (n Net) TLSConfig(serverName string) (*tls.Config, error) {
	pins, err := parsePins(n.Pins)
	if err != nil {
		return nil, err
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if n.CAFile != "" {
		pem, err := os.ReadFile(n.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", n.CAFile)
		}
	}
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	// Verification is done here rather than by crypto/tls so that a
	// pinned certificate is accepted for itself, and so that a refusal
	// says which certificate it was and how to trust it.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("%w: %s sent no certificate", ErrUntrusted, serverName)
		}
		leaf := cs.PeerCertificates[0]
		fp := Fingerprint(leaf.Raw)
		if len(pins) > 0 {
			if pins[strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(fp, "sha256:"), ":", ""))] {
				return nil
			}
			return fmt.Errorf("%w: the certificate of %s (%s) is not the pinned one; if the server's certificate was renewed, check the new fingerprint with its administrator and pin it", ErrUntrusted, serverName, fp)
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: serverName, Roots: roots, Intermediates: inter})
		if err != nil {
			return fmt.Errorf("%w: %s: %v; if you trust this server, give its authority with --ca-file or pin its certificate with --pin %s", ErrUntrusted, serverName, err, fp)
		}
		return nil
	}
	return cfg, nil
}

// Fingerprint is a certificate's SHA-256 fingerprint as pins take it.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.WriteString("sha256:")
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

func parsePins(in []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, p := range in {
		s := strings.ToLower(strings.TrimSpace(p))
		s = strings.TrimPrefix(strings.TrimPrefix(s, "sha256:"), "sha256/")
		s = strings.ReplaceAll(s, ":", "")
		if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("pin %q is not a SHA-256 fingerprint (sha256:AB:CD:… with 32 bytes)", p)
		}
		out[s] = true
	}
	return out, nil
}

// DialContext dials like net.Dialer (or n.Dial) and gives a connection
// that fails with os.ErrDeadlineExceeded once it has gone Idle without
// reading or writing anything.
func (n Net) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	n.applyDefaults()
	dial := n.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	c, err := dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &idleConn{Conn: c, idle: n.Idle}, nil
}

// HTTPClient is an HTTP client for one server: TLS as TLSConfig, stalled
// connections given up after Idle, no redirect to another host (a
// redirect would carry the credentials elsewhere).
func (n Net) HTTPClient(serverName string) (*http.Client, error) {
	n.applyDefaults()
	tlsCfg, err := n.TLSConfig(serverName)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           n.DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 2 * n.Idle,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				return fmt.Errorf("refused a redirect to another server (%s)", Redact(req.URL.String()))
			}
			return nil
		},
	}, nil
}

// idleConn is a connection with a deadline pushed back on each read and
// write: a stalled peer ends the transfer instead of hanging it.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	// Both deadlines: an HTTP transport always has a Read pending for the
	// answer, which must not expire while a long request body is still
	// going out.
	c.Conn.SetDeadline(time.Now().Add(c.idle))
	return c.Conn.Write(p)
}

// Same says whether the target holds doc's exact bytes at name: the
// sizes agree, and so do the SHA-256s, taken from Stat when the target
// gives one, else by reading the file back when it is an Opener. A
// target that can do neither is trusted on the size alone. An error
// wrapping fs.ErrNotExist when nothing is there.
func Same(ctx context.Context, t Target, name string, doc Doc) (bool, Info, error) {
	st, ok := t.(Stater)
	if !ok {
		return false, Info{}, fmt.Errorf("stat %s: %w", name, errors.ErrUnsupported)
	}
	info, err := st.Stat(ctx, name)
	if err != nil {
		return false, info, err
	}
	if info.Size != doc.Size {
		return false, info, nil
	}
	if info.SHA256 != "" {
		return strings.EqualFold(info.SHA256, doc.SHA256), info, nil
	}
	op, ok := t.(Opener)
	if !ok {
		return true, info, nil
	}
	rc, err := op.Open(ctx, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, info, err
		}
		return false, info, fmt.Errorf("read back %s: %w", name, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return false, info, fmt.Errorf("read back %s: %w", name, err)
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	return strings.EqualFold(info.SHA256, doc.SHA256), info, nil
}
