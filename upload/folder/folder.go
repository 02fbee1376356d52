// Package folder is the upload target for a local or mounted network
// folder, and demat's default target: a "demat" folder in the user's
// documents, so that a fresh install delivers somewhere useful with no
// server.
//
// It writes to a hidden temporary name, syncs, and links (or renames) the
// file into place without ever overwriting another document. It must not
// know about the outbox or credentials: a mounted share authenticates at
// mount time.
package folder

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/demat-app/demat/upload"
)

// Target delivers into a folder. It holds no state between calls and is
// safe for concurrent use.
type Target struct {
	root string
}

// New gives a target writing under root, which is created if missing.
func New(root string) (*Target, error) {
	if root == "" {
		return nil, errors.New("folder: no folder given")
	}
	abs, err := filepath.Abs(expandHome(root))
	if err != nil {
		return nil, fmt.Errorf("folder: %s: %w", root, err)
	}
	return &Target{root: abs}, nil
}

// Root is the folder documents go to.
func (t *Target) Root() string { return t.root }

// DefaultRoot is the embedded default destination: the "demat" folder in
// the user's documents folder (XDG_DOCUMENTS_DIR on Linux, ~/Documents
// elsewhere), or in the home folder when there is no documents folder.
func DefaultRoot() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("folder: no home folder: %w", err)
	}
	docs := userDocuments(home)
	if docs == "" {
		docs = filepath.Join(home, "Documents")
		if _, err := os.Stat(docs); err != nil {
			docs = home
		}
	}
	return filepath.Join(docs, "demat"), nil
}

// userDocuments reads XDG_DOCUMENTS_DIR from user-dirs.dirs, which is
// localised ("Documents", "Documents" in French, "المستندات"…).
func userDocuments(home string) string {
	if v := os.Getenv("XDG_DOCUMENTS_DIR"); v != "" {
		return v
	}
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	f, err := os.Open(filepath.Join(cfg, "user-dirs.dirs"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		v, ok := strings.CutPrefix(line, "XDG_DOCUMENTS_DIR=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		v = strings.Replace(v, "$HOME", home, 1)
		if filepath.Clean(v) == filepath.Clean(home) {
			return "" // "documents = home" means none configured
		}
		return v
	}
	return ""
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// path maps a Doc name to a file path, refusing anything that would
// leave the root.
func (t *Target) path(name string) (string, error) {
	p := filepath.Join(t.root, filepath.FromSlash(name))
	if rel, err := filepath.Rel(t.root, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
		return "", upload.Permanent(fmt.Errorf("folder: %q is not a file name under %s", name, t.root))
	}
	return p, nil
}

// Put writes doc under the root.
func (t *Target) Put(ctx context.Context, doc upload.Doc, body upload.Body) (upload.Receipt, error) {
	dest, err := t.path(doc.Name)
	if err != nil {
		return upload.Receipt{}, err
	}
	tmp, err := t.path(upload.TempName(doc))
	if err != nil {
		return upload.Receipt{}, err
	}
	if r, done, err := t.already(ctx, dest, doc); done || err != nil {
		return r, err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return upload.Receipt{}, t.fail("create folder", filepath.Dir(dest), err)
	}
	if err := t.write(ctx, tmp, doc, body); err != nil {
		os.Remove(tmp)
		return upload.Receipt{}, err
	}
	if err := place(tmp, dest); err != nil {
		os.Remove(tmp)
		if errors.Is(err, fs.ErrExist) {
			// Another writer got there between the check and now.
			if r, done, err2 := t.already(ctx, dest, doc); done || err2 != nil {
				return r, err2
			}
		}
		return upload.Receipt{}, t.fail("move into place", dest, err)
	}
	syncDir(filepath.Dir(dest))
	return t.verify(ctx, dest, doc, false)
}

// already says whether dest holds doc already (done, with a receipt) or
// another document (ErrExists).
func (t *Target) already(ctx context.Context, dest string, doc upload.Doc) (upload.Receipt, bool, error) {
	if _, err := os.Lstat(dest); errors.Is(err, fs.ErrNotExist) {
		return upload.Receipt{}, false, nil
	} else if err != nil {
		return upload.Receipt{}, false, t.fail("look at", dest, err)
	}
	r, err := t.verify(ctx, dest, doc, true)
	if err != nil {
		if errors.Is(err, errDiffers) {
			return upload.Receipt{}, false, upload.Permanent(fmt.Errorf("folder: %s: %w", dest, upload.ErrExists))
		}
		return upload.Receipt{}, false, err
	}
	return r, true, nil
}

var errDiffers = errors.New("differs")

// verify reads dest back and checks it is doc byte for byte.
func (t *Target) verify(ctx context.Context, dest string, doc upload.Doc, already bool) (upload.Receipt, error) {
	f, err := os.Open(dest)
	if err != nil {
		return upload.Receipt{}, t.fail("read back", dest, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return upload.Receipt{}, t.fail("read back", dest, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if n != doc.Size || !strings.EqualFold(sum, doc.SHA256) {
		if already {
			return upload.Receipt{}, errDiffers
		}
		return upload.Receipt{}, upload.Temporary(fmt.Errorf("folder: %s holds %d bytes (sha256 %s) after writing, not the %d written: check the disk or share", dest, n, sum, doc.Size))
	}
	return upload.Receipt{
		Location: dest, Size: n, SHA256: sum, Time: time.Now().UTC(),
		Verified: "sha256", Already: already,
	}, nil
}

func (t *Target) write(ctx context.Context, tmp string, doc upload.Doc, body upload.Body) error {
	rc, err := body(0)
	if err != nil {
		return upload.Permanent(fmt.Errorf("folder: open the document: %w", err))
	}
	defer rc.Close()
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return t.fail("create", tmp, err)
	}
	var w io.Writer = f
	if doc.Progress != nil {
		w = &progressWriter{w: f, fn: doc.Progress}
	}
	n, err := io.Copy(w, ctxReader{ctx, rc})
	if err == nil && n != doc.Size {
		err = upload.Permanent(fmt.Errorf("folder: the document gave %d bytes, %d expected: it changed since it was queued", n, doc.Size))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return t.fail("write", tmp, err)
	}
	return nil
}

// place moves tmp to dest without overwriting: a hard link fails if
// dest exists. File systems without hard links (FAT, some SMB mounts)
// get a rename after a last look.
func place(tmp, dest string) error {
	err := os.Link(tmp, dest)
	if err == nil {
		return os.Remove(tmp)
	}
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(dest); serr == nil {
		return fs.ErrExist
	}
	return os.Rename(tmp, dest)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs folders
		d.Close()
	}
}

// fail classifies a file system error.
func (t *Target) fail(op, path string, err error) error {
	if ctxErr := (*ctxError)(nil); errors.As(err, &ctxErr) {
		return ctxErr.err
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return upload.Temporary(fmt.Errorf("folder: %s %s: %w: make room on the disk or share, delivery will resume", op, path, upload.ErrNoSpace))
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return upload.Permanent(fmt.Errorf("folder: %s %s: %w: check that the folder is writable by you, then retry", op, path, err))
	}
	return upload.Temporary(fmt.Errorf("folder: %s %s: %w", op, path, err))
}

// Stat describes the file at name.
func (t *Target) Stat(ctx context.Context, name string) (upload.Info, error) {
	p, err := t.path(name)
	if err != nil {
		return upload.Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return upload.Info{}, fmt.Errorf("folder: %w", err)
	}
	return upload.Info{Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Open reads the file at name.
func (t *Target) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	p, err := t.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("folder: %w", err)
	}
	return f, nil
}

// Delete removes the file at name.
func (t *Target) Delete(ctx context.Context, name string) error {
	p, err := t.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("folder: %w", err)
	}
	return nil
}

type ctxError struct{ err error }

func (e *ctxError) Error() string { return e.err.Error() }
func (e *ctxError) Unwrap() error { return e.err }

// ctxReader stops a copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, &ctxError{err}
	}
	return c.r.Read(p)
}

type progressWriter struct {
	w    io.Writer
	n    int64
	fn   func(int64)
	last int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if p.n-p.last >= 256<<10 {
		p.last = p.n
		p.fn(p.n)
	}
	return n, err
}
