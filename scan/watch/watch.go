package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/demat-app/demat/internal/filelock"
	"github.com/demat-app/demat/internal/natsort"
)

// Folders inside the watched folder. They start with a dot or are named
// so that scanners and people see what happened to each file.
const (
	workDir   = ".demat-processing"
	doneDir   = "done"
	failedDir = "failed"
)

// abandoned is how many Settle periods an incomplete file may stay still
// before it is taken anyway.
const abandoned = 30

// Options configure a hot folder.
type Options struct {
	// Dir is the watched folder.
	Dir string
	// Settle is how long a file must stay unchanged before it is taken.
	Settle time.Duration
	// Poll is how often the folder is looked at.
	Poll time.Duration
	// Once handles what is there (and complete) and returns, instead of
	// watching until ctx is done.
	Once   bool
	Logger *slog.Logger
}

func (o *Options) applyDefaults() {
	if o.Settle <= 0 {
		// Scanners write a page every second or two over SMB; two seconds
		// of silence plus a format check tell a finished file.
		o.Settle = 2 * time.Second
	}
	if o.Poll <= 0 {
		// Polling works on network shares where change notifications do
		// not (SMB, NFS); once a second is cheap and prompt enough.
		o.Poll = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// File is a file handed to the handler.
type File struct {
	// Path is where the file is while it is handled (in the work folder).
	Path string
	// Name is its name as dropped.
	Name string
	// Resumed says an earlier run claimed the file and stopped before
	// moving it aside: the handler may have finished it already (a
	// handler with a fixed output per name checks that output).
	Resumed bool
}

// Handler makes something of one file. An error moves the file to
// failed/; a cancelled ctx leaves it claimed, for the next run.
type Handler func(ctx context.Context, f File) error

// Run watches opt.Dir and calls handle for each complete file, one at a
// time, in the natural order of their names (page2 before page10). Files an earlier
// run claimed and did not finish are handled first. It returns when ctx is
// done (nil), or at once in Once mode, or when the folder cannot be read.
func Run(ctx context.Context, opt Options, handle Handler) error {
	opt.applyDefaults()
	for _, d := range []string{workDir, doneDir, failedDir} {
		if err := os.MkdirAll(filepath.Join(opt.Dir, d), 0o755); err != nil {
			return fmt.Errorf("watch: %s: %w", opt.Dir, err)
		}
	}
	w := &watcher{opt: opt, handle: handle, seen: map[string]stat{}, waiting: map[string]bool{}}
	if err := w.resume(ctx); err != nil {
		return err
	}
	t := time.NewTicker(opt.Poll)
	defer t.Stop()
	for {
		if err := w.pass(ctx); err != nil {
			return err
		}
		if opt.Once {
			if len(w.seen) == 0 {
				return nil
			}
			// Wait for the files still being written to settle.
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// stat is what tells whether a file is still being written.
type stat struct {
	size    int64
	mod     time.Time
	stillAt time.Time // when size and mod were first seen as they are
}

// watcher is owned by Run's goroutine.
type watcher struct {
	opt    Options
	handle Handler
	seen   map[string]stat // files waiting to settle
	// waiting are the files said to wait for one of their name.
	waiting map[string]bool
}

type entry struct {
	name string
	info fs.FileInfo
}

// list returns the files of dir in the order they are handled.
func (w *watcher) list(dir string) ([]entry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("watch: %s: %w", dir, err)
	}
	var out []entry
	for _, e := range ents {
		if !e.Type().IsRegular() || ignored(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		out = append(out, entry{e.Name(), info})
	}
	// Scanners number or time-stamp the files they write: the natural
	// order of names is the order of scanning (modification times are
	// too coarse on network shares to tell).
	slices.SortFunc(out, func(a, b entry) int {
		switch {
		case a.name == b.name:
			return 0
		case natsort.Less(a.name, b.name):
			return -1
		}
		return 1
	})
	return out, nil
}

// ignored tells files that are not scans, or not yet: hidden and
// temporary files that scanners and copy tools write before renaming.
func ignored(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") {
		return true
	}
	for _, s := range []string{".tmp", ".part", ".partial", ".crdownload", ".filepart", ".txt", ".db", ".ini"} {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// pass looks at the folder once and handles each file that has settled.
func (w *watcher) pass(ctx context.Context) error {
	ents, err := w.list(w.opt.Dir)
	if err != nil {
		return err
	}
	now := time.Now()
	present := map[string]bool{}
	for _, e := range ents {
		if ctx.Err() != nil {
			return nil
		}
		present[e.name] = true
		s, ok := w.seen[e.name]
		if !ok || s.size != e.info.Size() || !s.mod.Equal(e.info.ModTime()) {
			s = stat{e.info.Size(), e.info.ModTime(), now}
			if !ok && w.opt.Once {
				// Handling what is there: a file that has not changed
				// since long before need not be watched settling.
				s.stillAt = e.info.ModTime()
			}
			w.seen[e.name] = s
		}
		still := now.Sub(s.stillAt)
		if still < w.opt.Settle {
			continue
		}
		// A file that stays incomplete is taken in the end all the same,
		// so that it lands in failed/ with a reason rather than lying
		// there unexplained.
		if still < abandoned*w.opt.Settle && !complete(filepath.Join(w.opt.Dir, e.name)) {
			continue
		}
		delete(w.seen, e.name)
		f, wait, err := w.claim(ctx, e.name)
		if err != nil {
			return err
		}
		if wait {
			w.seen[e.name] = s // settled: taken as soon as its turn comes
			continue
		}
		delete(w.waiting, e.name)
		if f == nil {
			continue // another instance took it
		}
		err = w.process(ctx, e.name, false)
		f.Close()
		if err != nil {
			return err
		}
	}
	for n := range w.seen {
		if !present[n] {
			delete(w.seen, n)
		}
	}
	return nil
}

// resume handles the files a previous run claimed and did not finish. A
// file another instance is handling right now is locked by it and left
// alone: only a dead run's files are free.
func (w *watcher) resume(ctx context.Context) error {
	claimed, err := w.list(filepath.Join(w.opt.Dir, workDir))
	if err != nil {
		return err
	}
	for _, e := range claimed {
		if ctx.Err() != nil {
			return nil
		}
		if err := w.resumeOne(ctx, e.name); err != nil {
			return err
		}
	}
	return nil
}

// resumeOne handles the claimed file name if no live instance holds it.
func (w *watcher) resumeOne(ctx context.Context, name string) error {
	path := filepath.Join(w.opt.Dir, workDir, name)
	f, err := filelock.Open(path)
	if err != nil {
		return nil // handled by a live instance, or finished meanwhile
	}
	defer f.Close()
	if !filelock.Still(f, path) {
		return nil // finished and moved aside between the open and the lock
	}
	return w.process(ctx, name, true)
}

// claim moves a dropped file into the work folder and returns it open and
// locked for as long as it is handled; nil when another instance has it,
// and wait when it must wait for a file of the same name to be handled.
// The lock is taken before the move, so an instance starting meanwhile
// never takes the file for a dead run's, and a file of the same name
// still being handled is never replaced: the new one waits its turn.
func (w *watcher) claim(ctx context.Context, name string) (f *os.File, wait bool, err error) {
	src := filepath.Join(w.opt.Dir, name)
	dst := filepath.Join(w.opt.Dir, workDir, name)
	f, err = filelock.Open(src)
	if err != nil {
		if errors.Is(err, filelock.ErrLocked) || errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("watch: %w", err)
	}
	if !filelock.Still(f, src) {
		f.Close() // taken and finished by another instance meanwhile
		return nil, false, nil
	}
	// Only the holder of src's lock moves a file to dst, and the handler
	// of dst removes it before letting its lock go: if dst is free now,
	// it stays free until the rename.
	if _, err := os.Lstat(dst); err == nil {
		f.Close()
		// Handled by a live instance (the new file waits), or left by
		// one that died since this one started: that one comes first.
		if !w.waiting[name] {
			w.waiting[name] = true
			w.opt.Logger.Info("hot folder: a file of that name is still being handled; this one waits", "file", name)
		}
		return nil, true, w.resumeOne(ctx, name)
	}
	if err := os.Rename(src, dst); err != nil {
		f.Close()
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, false, nil
		case filelock.Busy(err):
			// Windows: a scanner, an antivirus or another instance's
			// completeness check has it open; next pass.
			w.opt.Logger.Info("hot folder: the file is open elsewhere; trying again", "file", name, "err", err)
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("watch: %w", err)
	}
	if !filelock.Still(f, dst) {
		// The file at src was replaced between the lock and the rename:
		// the one moved is not the one locked. Its turn comes on the next
		// pass, from the work folder's resumption.
		f.Close()
		return nil, false, nil
	}
	return f, false, nil
}

// process hands a claimed file to the handler and moves it aside. Only a
// failure to move files aside is returned: a handler's failure is the
// file's, recorded next to it.
func (w *watcher) process(ctx context.Context, name string, resumed bool) error {
	path := filepath.Join(w.opt.Dir, workDir, name)
	w.opt.Logger.Info("hot folder: taking a file", "file", name, "resumed", resumed)
	err := w.handle(ctx, File{Path: path, Name: name, Resumed: resumed})
	if ctx.Err() != nil {
		// Stopped: the file stays claimed and is resumed next time.
		return nil
	}
	dest := doneDir
	if err != nil {
		dest = failedDir
		w.opt.Logger.Debug("hot folder: file failed", "file", name, "err", err)
	}
	target, merr := moveAside(path, filepath.Join(w.opt.Dir, dest), name)
	if merr != nil {
		return fmt.Errorf("watch: move %s aside: %w", name, merr)
	}
	if err != nil {
		note := fmt.Sprintf("%s\n%s: %v\n", time.Now().Format(time.RFC3339), name, err)
		os.WriteFile(target+".error.txt", []byte(note), 0o644)
	}
	return nil
}

// moveAside renames path into dir under name, or name-2, name-3… when a
// file of that name is there already: an earlier file is never replaced.
func moveAside(path, dir, name string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; ; i++ {
		target := filepath.Join(dir, name)
		if i > 1 {
			target = filepath.Join(dir, fmt.Sprintf("%s-%d%s", stem, i, ext))
		}
		// Link then remove, so an existing file is never replaced.
		err := os.Link(path, target)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			// Filesystems without hard links: check, then rename.
			if _, serr := os.Lstat(target); serr == nil {
				continue
			}
			return target, os.Rename(path, target)
		}
		return target, os.Remove(path)
	}
}

// complete tells whether a file's format says it is whole: a scanner that
// pauses longer than Settle mid-file must not have it taken half-written.
func complete(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return false
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	tail := make([]byte, min(st.Size(), 1024))
	if _, err := f.ReadAt(tail, st.Size()-int64(len(tail))); err != nil {
		return false
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xd8}):
		return bytes.HasSuffix(bytes.TrimRight(tail, "\x00"), []byte{0xff, 0xd9})
	case bytes.HasPrefix(head, []byte("\x89PNG")):
		return bytes.Contains(tail, []byte("IEND"))
	case bytes.HasPrefix(head, []byte("%PDF")):
		return bytes.Contains(tail, []byte("%%EOF"))
	}
	// TIFF and others carry no end mark: settling has to do.
	return true
}
