package sftp

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	sftplib "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
)

// conn is one authenticated SSH connection with its SFTP session. It is
// used by one operation at a time (the pool hands it out exclusively).
type conn struct {
	ssh  *ssh.Client
	sftp *sftplib.Client
	// base is the destination folder as an absolute path on the server.
	base string
	// fsync and statvfs say which OpenSSH extensions the server offers.
	fsync, statvfs bool
	// dead is closed when the SSH connection has ended.
	dead chan struct{}
	// since is when the connection went back to the pool.
	since time.Time
}

func (c *conn) path(rel string) string { return path.Join(c.base, rel) }

func (c *conn) alive() bool {
	select {
	case <-c.dead:
		return false
	default:
		return true
	}
}

func (c *conn) close() {
	c.sftp.Close()
	c.ssh.Close()
}

// Pool limits: a few idle connections serve an outbox delivering a
// batch, and each is dropped well before Net.Idle's deadline or a
// server's idle limit would end it under a new operation.
const (
	maxIdleConns = 4
	maxIdleAge   = 20 * time.Second
)

// Close ends the idle connections. The target stays usable; later
// operations dial again and no longer keep connections.
func (t *Target) Close() error {
	t.mu.Lock()
	idle := t.idle
	t.idle, t.closed = nil, true
	t.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
	return nil
}

// get takes an idle connection (reused true) or dials one.
func (t *Target) get(ctx context.Context) (c *conn, reused bool, err error) {
	age := min(maxIdleAge, t.opts.Net.Idle/2)
	var stale []*conn
	t.mu.Lock()
	for len(t.idle) > 0 && c == nil {
		last := t.idle[len(t.idle)-1]
		t.idle = t.idle[:len(t.idle)-1]
		if last.alive() && time.Since(last.since) < age {
			c = last
		} else {
			stale = append(stale, last)
		}
	}
	t.mu.Unlock()
	for _, s := range stale {
		s.close()
	}
	if c != nil {
		return c, true, nil
	}
	c, err = t.dial(ctx)
	return c, false, err
}

// release gives c back to the pool after an operation that ended with
// err: only a connection known to be sound is kept.
func (t *Target) release(c *conn, err error) {
	if err != nil && !answered(err) || !c.alive() {
		c.close()
		return
	}
	t.mu.Lock()
	if t.closed || len(t.idle) >= maxIdleConns {
		t.mu.Unlock()
		c.close()
		return
	}
	c.since = time.Now()
	t.idle = append(t.idle, c)
	t.mu.Unlock()
}

// answered says whether err is the server's answer to a request (the
// connection is fine) rather than a lost or confused connection.
func answered(err error) bool {
	var se *sftplib.StatusError
	return errors.As(err, &se) || errors.Is(err, fs.ErrNotExist) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, upload.ErrExists)
}

// lost says whether err comes from a connection that died under the
// operation, as an idle one may have just before it was reused.
func lost(err error) bool {
	var be *bodyError
	if errors.As(err, &be) || answered(err) {
		return false
	}
	return errors.Is(err, sftplib.ErrSSHFxConnectionLost) || upload.IsTransport(err)
}

// with runs fn on a connection of its own, closed if ctx ends meanwhile
// (pkg/sftp calls take no context). An idle connection that turns out to
// have died is replaced by a new one, once.
func (t *Target) with(ctx context.Context, fn func(c *conn) error) error {
	return t.hold(ctx, func(c *conn, done func(error)) error {
		err := fn(c)
		done(err)
		return err
	})
}

// hold is with for an operation that keeps the connection after it
// returns (Open's reader): fn calls done once it has finished with c.
// When fn fails it must have called done, or not kept c.
func (t *Target) hold(ctx context.Context, fn func(c *conn, done func(error)) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sftp: %s: %w", t.addr, err)
		}
		c, reused, err := t.get(ctx)
		if err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, c.close)
		var once sync.Once
		done := func(err error) {
			once.Do(func() {
				if stop() {
					t.release(c, err)
				}
			})
		}
		err = fn(c, done)
		if err == nil {
			return nil
		}
		done(err)
		if reused && attempt == 0 && ctx.Err() == nil && lost(err) {
			continue
		}
		return err
	}
}

// dial connects, checks the host key, logs in and starts SFTP.
func (t *Target) dial(ctx context.Context) (*conn, error) {
	auth, how, err := t.auth()
	if err != nil {
		return nil, err
	}
	hk, err := t.hostCheck()
	if err != nil {
		return nil, err
	}
	raw, err := t.opts.Net.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("sftp: connect to %s: %w", t.addr, cerr)
		}
		return nil, upload.Temporary(fmt.Errorf("sftp: connect to %s: %w", t.addr, err))
	}
	// The handshake and the SFTP start take no context: closing the
	// connection is how a cancel reaches them.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	cfg := &ssh.ClientConfig{
		User:              t.opts.User,
		Auth:              auth,
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: hk.algorithms(t.addr),
		ClientVersion:     "SSH-2.0-demat",
	}
	sc, chans, reqs, err := ssh.NewClientConn(raw, t.addr, cfg)
	if err != nil {
		raw.Close()
		stop()
		return nil, t.handshakeError(ctx, hk, how, err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	c, err := t.start(client)
	if !stop() || err != nil {
		client.Close()
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("sftp: connect to %s: %w", t.addr, cerr)
		}
		return nil, err
	}
	return c, nil
}

// start opens the SFTP session on an authenticated connection.
func (t *Target) start(client *ssh.Client) (*conn, error) {
	sc, err := sftplib.NewClient(client, sftplib.UseConcurrentWrites(true))
	if err != nil {
		if strings.Contains(err.Error(), "subsystem request failed") {
			return nil, upload.Permanent(fmt.Errorf("sftp: %s does not offer SFTP to %s: %w", t.addr, t.opts.User, err))
		}
		return nil, upload.Temporary(fmt.Errorf("sftp: start SFTP on %s: %w", t.addr, err))
	}
	c := &conn{ssh: client, sftp: sc, dead: make(chan struct{})}
	go func() {
		// Ends when the connection does (closed, lost, or idle for
		// Net.Idle).
		client.Wait()
		close(c.dead)
	}()
	c.base = t.opts.Base
	if !path.IsAbs(c.base) {
		home, err := sc.Getwd()
		if err != nil {
			c.close()
			return nil, t.fail(context.Background(), "find the login folder on", t.addr, err)
		}
		c.base = path.Join(home, c.base)
	}
	_, c.statvfs = sc.HasExtension("statvfs@openssh.com")
	v, ok := sc.HasExtension("fsync@openssh.com")
	c.fsync = ok && v == "1"
	return c, nil
}

// handshakeError classifies a failed SSH handshake: an untrusted host
// key, refused credentials, or a lost connection.
func (t *Target) handshakeError(ctx context.Context, hk *hostKeys, how string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("sftp: connect to %s: %w", t.addr, cerr)
	}
	passed, refusal := hk.result()
	if refusal != nil {
		return refusal
	}
	if passed && strings.Contains(err.Error(), "unable to authenticate") {
		return fmt.Errorf("sftp: %s refused %s for user %s: %w", t.addr, how, t.opts.User, upload.ErrAuth)
	}
	return upload.Temporary(fmt.Errorf("sftp: connect to %s: %w", t.addr, err))
}

// auth gives the ways to log in, and says which in words for errors.
func (t *Target) auth() ([]ssh.AuthMethod, string, error) {
	if file := t.opts.KeyFile; file != "" {
		file = expandHome(file)
		pemBytes, err := os.ReadFile(file)
		if err != nil {
			return nil, "", upload.Permanent(fmt.Errorf("sftp: read the key file: %w", err))
		}
		signer, err := ssh.ParsePrivateKey(pemBytes)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			pass, perr := t.secret("the passphrase of the key " + file)
			if perr != nil {
				return nil, "", perr
			}
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pemBytes, []byte(pass.Reveal()))
			if errors.Is(err, x509.IncorrectPasswordError) {
				return nil, "", fmt.Errorf("sftp: the passphrase stored for the key %s is wrong: store the right one with demat credentials set: %w", file, upload.ErrAuth)
			}
		}
		if err != nil {
			return nil, "", upload.Permanent(fmt.Errorf("sftp: %s is not a private key ssh can use: %w", file, err))
		}
		return []ssh.AuthMethod{ssh.PublicKeys(signer)}, "the key " + file, nil
	}
	pw, err := t.secret("the password")
	if err != nil {
		return nil, "", err
	}
	answer := func(_, _ string, questions []string, echos []bool) ([]string, error) {
		// Servers with PAM ask for the password this way; questions
		// shown as typed (echo on) are not a password's.
		out := make([]string, len(questions))
		for i := range questions {
			if !echos[i] {
				out[i] = pw.Reveal()
			}
		}
		return out, nil
	}
	return []ssh.AuthMethod{
		ssh.Password(pw.Reveal()),
		ssh.KeyboardInteractive(answer),
	}, "the password", nil
}

// secret asks Credential for what, mapping a missing one to ErrAuth.
func (t *Target) secret(what string) (credentials.Secret, error) {
	if t.opts.Credential == nil {
		return credentials.Secret{}, fmt.Errorf("sftp: %s for %s@%s is needed and none is configured: %w", what, t.opts.User, t.addr, upload.ErrAuth)
	}
	s, err := t.opts.Credential()
	if errors.Is(err, credentials.ErrNotFound) {
		return credentials.Secret{}, fmt.Errorf("sftp: %s for %s@%s: %w: %w", what, t.opts.User, t.addr, upload.ErrAuth, err)
	}
	if err != nil {
		return credentials.Secret{}, fmt.Errorf("sftp: read %s for %s@%s: %w", what, t.opts.User, t.addr, err)
	}
	if s.IsZero() {
		return credentials.Secret{}, fmt.Errorf("sftp: %s for %s@%s is empty: %w", what, t.opts.User, t.addr, upload.ErrAuth)
	}
	return s, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return path.Join(home, rest)
		}
	}
	return p
}

// hostKeys checks the server's host key for one connection. The SSH
// handshake calls check on its own goroutine, hence mu.
type hostKeys struct {
	pin       string
	known     ssh.HostKeyCallback // nil without a known_hosts file
	knownFile string
	addr      string

	mu      sync.Mutex
	passed  bool
	refusal error
}

func (t *Target) hostCheck() (*hostKeys, error) {
	hk := &hostKeys{pin: t.pin, addr: t.addr}
	if t.pin == "" && t.opts.KnownHosts != "" {
		hk.knownFile = expandHome(t.opts.KnownHosts)
		cb, err := knownhosts.New(hk.knownFile)
		if err != nil {
			return nil, upload.Permanent(fmt.Errorf("sftp: read known hosts: %w", err))
		}
		hk.known = cb
	}
	return hk, nil
}

func (h *hostKeys) result() (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.passed, h.refusal
}

func (h *hostKeys) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := h.verify(hostname, remote, key)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.refusal = err
		h.passed = false
		return err
	}
	h.passed = true
	return nil
}

func (h *hostKeys) verify(hostname string, remote net.Addr, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	if h.pin != "" {
		if fp == h.pin {
			return nil
		}
		return fmt.Errorf("sftp: the host key of %s is %s %s, not the pinned %s: if the server's key was changed, check the new fingerprint with its administrator and pin it (--host-key): %w",
			h.addr, key.Type(), fp, h.pin, upload.ErrUntrusted)
	}
	if h.known != nil {
		err := h.known(hostname, remote, key)
		if err == nil {
			return nil
		}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			return fmt.Errorf("sftp: the host key of %s (%s %s) is marked revoked in %s: %w", h.addr, key.Type(), fp, re.Revoked.Filename, upload.ErrUntrusted)
		case errors.As(err, &ke) && len(ke.Want) > 0:
			return fmt.Errorf("sftp: the host key of %s is now %s %s, not the one recorded in %s line %d: the server's key was changed, or someone is between you and the server; check the new fingerprint with its administrator before pinning it or replacing that line: %w",
				h.addr, key.Type(), fp, ke.Want[0].Filename, ke.Want[0].Line, upload.ErrUntrusted)
		case !errors.As(err, &ke):
			return fmt.Errorf("sftp: check the host key of %s in %s: %v: %w", h.addr, h.knownFile, err, upload.ErrUntrusted)
		}
	}
	where := "~/.ssh/known_hosts"
	if h.knownFile != "" {
		where = h.knownFile
	}
	host, port, _ := net.SplitHostPort(h.addr)
	return fmt.Errorf("sftp: the host key of %s is unknown (%s %s): if the server's administrator confirms this fingerprint, pin it (--host-key %s), or add the server to %s (ssh-keyscan -p %s %s >> %s): %w",
		h.addr, key.Type(), fp, fp, where, port, host, where, upload.ErrUntrusted)
}

// algorithms lists the host key algorithms known_hosts has keys of for
// addr, so that a server with several host keys shows the one recorded
// rather than one that would look like a changed key. Nil (the library's
// preference) when nothing is recorded or a pin decides.
func (h *hostKeys) algorithms(addr string) []string {
	if h.known == nil {
		return nil
	}
	err := h.known(addr, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}, probeKey)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(algs ...string) {
		for _, a := range algs {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	for _, k := range ke.Want {
		switch typ := k.Key.Type(); typ {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(typ)
		}
	}
	return out
}

// probeKey is a key no server has, used to list what known_hosts holds
// for a host.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic(err)
	}
	return k
}()

var _ io.Closer = (*Target)(nil)
