package sftp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	sftplib "github.com/pkg/sftp"

	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
)

// Options describe an SFTP destination.
type Options struct {
	// URL is the destination as sftp://user@host:port/folder. A path
	// starting with /~/ is relative to the login folder, any other path
	// is absolute on the server. A URL carrying a password is refused:
	// passwords live in the keyring. Fields set below take precedence
	// over the URL's.
	URL string
	// Addr is the server as host or host:port, when URL is empty.
	Addr string
	// User is the account to log in as.
	User string
	// KeyFile is a private key (OpenSSH, PKCS#8 or PEM format) to log in
	// with; Credential then gives its passphrase if it is encrypted.
	KeyFile string
	// Credential gives the password when there is no KeyFile, or the
	// key's passphrase. It is called each time a connection is made, so
	// that a credential fixed in the keyring is used without a restart;
	// credentials.ErrNotFound makes the delivery fail with upload.ErrAuth.
	Credential func() (credentials.Secret, error)
	// KnownHosts is an OpenSSH known_hosts file the server's host key is
	// looked up in, when HostKey is empty.
	KnownHosts string
	// HostKey pins the server's host key by its fingerprint, as
	// `ssh-keygen -lf` prints it ("SHA256:…"). When set, it alone
	// decides: known_hosts is not read.
	HostKey string
	// Net gives the dialer and the idle timeout after which a stalled
	// connection is given up. Its TLS fields do not apply.
	Net upload.Net
	// Base is the folder documents are delivered under: relative to the
	// login folder, or absolute.
	Base string
}

// applyDefaults fills what was not set.
func (o *Options) applyDefaults() {
	if o.User == "" {
		// As ssh does: the local account name is the usual remote one.
		if u, err := user.Current(); err == nil {
			o.User = u.Username
		}
	}
	if o.KnownHosts == "" && o.HostKey == "" {
		// Where OpenSSH keeps the servers a person has already trusted.
		if home, err := os.UserHomeDir(); err == nil {
			p := filepath.Join(home, ".ssh", "known_hosts")
			if _, err := os.Stat(p); err == nil {
				o.KnownHosts = p
			}
		}
	}
	if o.Base == "" {
		// The login folder, where an sftp session starts.
		o.Base = "."
	}
	if o.Net.Idle <= 0 {
		// upload.Net's own default, made explicit so that pooled
		// connections are dropped well before the idle timeout ends them.
		o.Net.Idle = 45 * time.Second
	}
}

// Target delivers to an SFTP server. It is safe for concurrent use:
// each operation has an SSH connection of its own, taken from a small
// pool of idle ones (guarded by mu) or dialled afresh.
type Target struct {
	opts Options // read-only after New
	addr string  // host:port
	pin  string  // normalised HostKey, or ""

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

var (
	_ upload.Target  = (*Target)(nil)
	_ upload.Stater  = (*Target)(nil)
	_ upload.Opener  = (*Target)(nil)
	_ upload.Deleter = (*Target)(nil)
)

// New checks opts and gives a target; it does not connect.
func New(opts Options) (*Target, error) {
	if opts.URL != "" {
		addr, usr, base, err := parseURL(opts.URL)
		if err != nil {
			return nil, err
		}
		if opts.Addr == "" {
			opts.Addr = addr
		}
		if opts.User == "" {
			opts.User = usr
		}
		if opts.Base == "" {
			opts.Base = base
		}
	}
	if opts.Addr == "" {
		return nil, errors.New("sftp: no server given (URL or Addr)")
	}
	opts.applyDefaults()
	if opts.User == "" {
		return nil, errors.New("sftp: no user given")
	}
	t := &Target{opts: opts, addr: hostPort(opts.Addr)}
	if opts.HostKey != "" {
		pin, err := parsePin(opts.HostKey)
		if err != nil {
			return nil, err
		}
		t.pin = pin
	}
	return t, nil
}

// parseURL reads sftp://user@host:port/folder.
func parseURL(raw string) (addr, usr, base string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error repeats the URL, password included.
		return "", "", "", fmt.Errorf("sftp: %s is not a URL", upload.Redact(raw))
	}
	if u.Scheme != "sftp" && u.Scheme != "ssh" {
		return "", "", "", fmt.Errorf("sftp: %s is not an sftp:// URL", upload.Redact(raw))
	}
	if _, ok := u.User.Password(); ok {
		return "", "", "", fmt.Errorf("sftp: %s carries a password: remove it from the URL and store it in the keyring (demat credentials set)", upload.Redact(raw))
	}
	if u.Hostname() == "" {
		return "", "", "", fmt.Errorf("sftp: %s names no server", upload.Redact(raw))
	}
	addr = u.Host
	usr = u.User.Username()
	switch p := u.Path; {
	case p == "" || p == "/" || p == "/~" || p == "/~/":
	case strings.HasPrefix(p, "/~/"):
		base = p[len("/~/"):]
	default:
		base = p
	}
	return addr, usr, base, nil
}

// hostPort adds SSH's port to an address that has none.
func hostPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), "22")
}

// parsePin normalises a "SHA256:…" fingerprint, as ssh.FingerprintSHA256
// writes it.
func parsePin(s string) (string, error) {
	v := strings.TrimSpace(s)
	if len(v) > 7 && strings.EqualFold(v[:7], "sha256:") {
		v = v[7:]
	}
	v = strings.TrimRight(v, "=")
	if b, err := base64.RawStdEncoding.DecodeString(v); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("sftp: host key %q is not a fingerprint as ssh-keygen -lf prints it (SHA256: and 43 base64 characters)", s)
	}
	return "SHA256:" + v, nil
}

// name checks a Doc.Name (or a name given to Stat, Open, Delete): a
// relative '/'-separated path that stays under the base folder.
func name(n string) (string, error) {
	if n == "" || strings.HasPrefix(n, "/") || path.Clean(n) != n || n == "." || n == ".." || strings.HasPrefix(n, "../") {
		return "", upload.Permanent(fmt.Errorf("sftp: %q is not a file name under the destination folder", n))
	}
	return n, nil
}

// Put delivers doc: into its temporary file (upload.TempName), synced,
// read back, then renamed into place without overwriting. The temporary
// file's size on the server, not doc.Resume, says where to continue:
// it survives a crash of either side and cannot be ahead of the server.
// Checkpoints carry that name as Token and the bytes acknowledged.
func (t *Target) Put(ctx context.Context, doc upload.Doc, body upload.Body) (upload.Receipt, error) {
	rel, err := name(doc.Name)
	if err != nil {
		return upload.Receipt{}, err
	}
	var r upload.Receipt
	err = t.with(ctx, func(c *conn) error {
		var err error
		r, err = t.put(ctx, c, doc, body, rel)
		return err
	})
	return r, err
}

func (t *Target) put(ctx context.Context, c *conn, doc upload.Doc, body upload.Body, rel string) (upload.Receipt, error) {
	dest := c.path(rel)
	tmpRel := upload.TempName(doc)
	tmp := c.path(tmpRel)
	if r, done, err := t.already(ctx, c, dest, tmp, doc); done || err != nil {
		return r, err
	}
	if err := c.sftp.MkdirAll(path.Dir(dest)); err != nil {
		return upload.Receipt{}, t.fail(ctx, "create folder", path.Dir(dest), err)
	}
	if err := t.send(ctx, c, doc, body, tmp, tmpRel); err != nil {
		if errors.Is(err, upload.ErrNoSpace) {
			// A partial file on a full disk takes the room others need;
			// the delivery starts again once there is some.
			c.sftp.Remove(tmp)
		}
		return upload.Receipt{}, err
	}
	// Checked before the rename, so that a bad resume never reaches the
	// destination; the rename keeps the file (same inode) as read.
	sum, n, err := t.hash(ctx, c, tmp)
	if err != nil {
		return upload.Receipt{}, err
	}
	if n != doc.Size || !strings.EqualFold(sum, doc.SHA256) {
		// Start again from nothing rather than continue a file that
		// does not hold what was sent.
		c.sftp.Remove(tmp)
		return upload.Receipt{}, upload.Temporary(fmt.Errorf("sftp: %s held %d bytes (sha256 %s) after writing, not the %d bytes (sha256 %s) sent; it will be sent again", tmp, n, sum, doc.Size, doc.SHA256))
	}
	// SSH_FXP_RENAME fails when dest exists (OpenSSH links, then
	// unlinks the old name, so even two clients racing cannot overwrite);
	// posix-rename@openssh.com would replace it.
	if err := c.sftp.Rename(tmp, dest); err != nil {
		if r, done, err2 := t.already(ctx, c, dest, tmp, doc); done || err2 != nil {
			return r, err2
		}
		return upload.Receipt{}, t.fail(ctx, "move into place", dest, err)
	}
	fi, err := c.sftp.Stat(dest)
	if err != nil {
		return upload.Receipt{}, t.fail(ctx, "look at", dest, err)
	}
	if fi.Size() != doc.Size {
		return upload.Receipt{}, upload.Temporary(fmt.Errorf("sftp: %s holds %d bytes after the rename, not the %d sent", dest, fi.Size(), doc.Size))
	}
	return upload.Receipt{
		Location: t.location(dest), Size: fi.Size(), SHA256: sum, Time: time.Now().UTC(),
		Verified: "sha256",
	}, nil
}

// already says whether dest holds doc (done, with a receipt) or another
// document (ErrExists). Either way the temporary file of an earlier
// attempt is of no more use and goes.
func (t *Target) already(ctx context.Context, c *conn, dest, tmp string, doc upload.Doc) (upload.Receipt, bool, error) {
	fi, err := c.sftp.Stat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return upload.Receipt{}, false, nil
	}
	if err != nil {
		return upload.Receipt{}, false, t.fail(ctx, "look at", dest, err)
	}
	same := false
	var sum string
	if fi.Mode().IsRegular() && fi.Size() == doc.Size {
		var n int64
		sum, n, err = t.hash(ctx, c, dest)
		if err != nil {
			return upload.Receipt{}, false, err
		}
		same = n == doc.Size && strings.EqualFold(sum, doc.SHA256)
	}
	c.sftp.Remove(tmp) // best effort: usually there is none
	if !same {
		return upload.Receipt{}, false, upload.Permanent(fmt.Errorf("sftp: %s: %w", t.location(dest), upload.ErrExists))
	}
	return upload.Receipt{
		Location: t.location(dest), Size: fi.Size(), SHA256: sum, Time: time.Now().UTC(),
		Verified: "sha256", Already: true,
	}, true, nil
}

// chunk is how much is written between two checkpoints: each chunk is
// sent as pipelined 32 KiB requests, and acknowledged whole before the
// next, so that a cut loses at most one chunk's acknowledgements.
const chunk = 1 << 20

// send writes doc to tmp, continuing from what tmp already holds.
func (t *Target) send(ctx context.Context, c *conn, doc upload.Doc, body upload.Body, tmp, token string) error {
	var off int64
	fi, err := c.sftp.Lstat(tmp)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return upload.Permanent(fmt.Errorf("sftp: %s, the temporary name for this document, is taken by something that is not a file: remove it", tmp))
	case err == nil && fi.Size() <= doc.Size:
		// The server writes a connection's requests in order, so a cut
		// transfer leaves a prefix of the document: continue after it.
		// The read-back at the end catches a server that did not.
		off = fi.Size()
	case err == nil:
		// Longer than the document: not a prefix of it; start again.
	case errors.Is(err, fs.ErrNotExist):
	default:
		return t.fail(ctx, "look at", tmp, err)
	}
	flags := os.O_WRONLY | os.O_CREATE
	if off == 0 {
		flags |= os.O_TRUNC
	}
	f, err := c.sftp.OpenFile(tmp, flags)
	if err != nil {
		return t.fail(ctx, "create", tmp, err)
	}
	defer f.Close() // a second Close after the checked one only fails
	if err := checkpoint(doc, token, off); err != nil {
		return err
	}
	if doc.Progress != nil && off > 0 {
		doc.Progress(off)
	}
	rc, err := body(off)
	if err != nil {
		return upload.Permanent(fmt.Errorf("sftp: open the document at %d: %w", off, err))
	}
	defer rc.Close()
	buf := make([]byte, min(chunk, max(doc.Size-off, 1)))
	for off < doc.Size {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sftp: write %s: %w", tmp, err)
		}
		n, rerr := io.ReadFull(rc, buf[:min(int64(len(buf)), doc.Size-off)])
		if n > 0 {
			w, werr := f.WriteAt(buf[:n], off)
			// w is what the server acknowledged before any failure.
			off += int64(w)
			if werr != nil {
				return t.writeFail(ctx, c, tmp, doc.Size-off, werr)
			}
			if err := checkpoint(doc, token, off); err != nil {
				return err
			}
			if doc.Progress != nil {
				doc.Progress(off)
			}
		}
		if rerr != nil {
			// io.ReadFull's own markers (compared, not unwrapped): the
			// document ended early. Anything else is the reader's failure.
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				return upload.Permanent(fmt.Errorf("sftp: the document gave %d bytes, %d expected: it changed since it was queued", off, doc.Size))
			}
			return &bodyError{fmt.Errorf("sftp: read the document at %d: %w", off, rerr)}
		}
	}
	if n, _ := io.ReadFull(rc, make([]byte, 1)); n > 0 {
		return upload.Permanent(fmt.Errorf("sftp: the document gave more than the %d bytes expected: it changed since it was queued", doc.Size))
	}
	if c.fsync {
		if err := f.Sync(); err != nil {
			return t.writeFail(ctx, c, tmp, 0, err)
		}
	}
	if err := f.Close(); err != nil {
		return t.writeFail(ctx, c, tmp, 0, err)
	}
	return nil
}

// bodyError is a failure to read the document itself: the connection is
// not to blame and is not retried on another.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

func checkpoint(doc upload.Doc, token string, off int64) error {
	if doc.Checkpoint == nil {
		return nil
	}
	if err := doc.Checkpoint(upload.Resume{Token: token, Offset: off}); err != nil {
		return fmt.Errorf("sftp: save the resume state: %w", err)
	}
	return nil
}

// writeFail classifies a failed write. SFTP version 3 has no "disk full"
// status: OpenSSH answers ENOSPC and EDQUOT with SSH_FX_FAILURE, so the
// free space is asked for (statvfs@openssh.com) to tell a full disk
// from other failures.
func (t *Target) writeFail(ctx context.Context, c *conn, p string, left int64, err error) error {
	var se *sftplib.StatusError
	if ctx.Err() == nil && errors.As(err, &se) && se.FxCode() == sftplib.ErrSSHFxFailure && c.statvfs {
		if vfs, verr := c.sftp.StatVFS(path.Dir(p)); verr == nil && vfs.Frsize*vfs.Bavail < uint64(max(left, 1<<20)) {
			return upload.Temporary(fmt.Errorf("sftp: write %s: %w (%d bytes free on the server): make room there, delivery will resume", p, upload.ErrNoSpace, vfs.Frsize*vfs.Bavail))
		}
		return upload.Temporary(fmt.Errorf("sftp: write %s: the server could not write (it may be full or over quota): %w", p, err))
	}
	return t.fail(ctx, "write", p, err)
}

// fail classifies an error from the server or the connection.
func (t *Target) fail(ctx context.Context, op, p string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("sftp: %s %s: %w", op, p, cerr)
	}
	var se *sftplib.StatusError
	switch {
	case errors.Is(err, fs.ErrPermission):
		return upload.Permanent(fmt.Errorf("sftp: %s %s: the server denied permission: check that %s may write there, then retry: %w", op, p, t.opts.User, err))
	case errors.As(err, &se) && (se.FxCode() == sftplib.ErrSSHFxOpUnsupported || se.FxCode() == sftplib.ErrSSHFxBadMessage):
		return upload.Permanent(fmt.Errorf("sftp: %s %s: the server does not support it: %w", op, p, err))
	}
	return upload.Temporary(fmt.Errorf("sftp: %s %s: %w", op, p, err))
}

// hash reads p back whole.
func (t *Target) hash(ctx context.Context, c *conn, p string) (string, int64, error) {
	f, err := c.sftp.Open(p)
	if err != nil {
		return "", 0, t.fail(ctx, "read back", p, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := f.WriteTo(h)
	if err != nil {
		return "", n, t.fail(ctx, "read back", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// location is where p is, as a URL without credentials.
func (t *Target) location(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/~/" + p
	}
	return "sftp://" + t.addr + p
}

// Stat describes what is at name.
func (t *Target) Stat(ctx context.Context, n string) (upload.Info, error) {
	rel, err := name(n)
	if err != nil {
		return upload.Info{}, err
	}
	var info upload.Info
	err = t.with(ctx, func(c *conn) error {
		p := c.path(rel)
		fi, err := c.sftp.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("sftp: %s: %w", t.location(p), err)
			}
			return t.fail(ctx, "look at", p, err)
		}
		info = upload.Info{Size: fi.Size(), ModTime: fi.ModTime()}
		return nil
	})
	return info, err
}

// Open reads what is at name. The reader holds a connection until it is
// closed; cancelling ctx ends the read.
func (t *Target) Open(ctx context.Context, n string) (io.ReadCloser, error) {
	rel, err := name(n)
	if err != nil {
		return nil, err
	}
	var rc io.ReadCloser
	err = t.hold(ctx, func(c *conn, done func(error)) error {
		p := c.path(rel)
		f, err := c.sftp.Open(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("sftp: %s: %w", t.location(p), err)
			}
			return t.fail(ctx, "open", p, err)
		}
		rc = &reader{f: f, done: done}
		return nil
	})
	return rc, err
}

// reader gives its connection back when closed.
type reader struct {
	f    *sftplib.File
	done func(error)
	err  error
	once sync.Once
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

func (r *reader) Close() error {
	err := r.f.Close()
	r.once.Do(func() { r.done(errors.Join(r.err, err)) })
	return err
}

// Delete removes what is at name.
func (t *Target) Delete(ctx context.Context, n string) error {
	rel, err := name(n)
	if err != nil {
		return err
	}
	return t.with(ctx, func(c *conn) error {
		p := c.path(rel)
		if err := c.sftp.Remove(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("sftp: %s: %w", t.location(p), err)
			}
			return t.fail(ctx, "remove", p, err)
		}
		return nil
	})
}
