package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/demat-app/demat/internal/filelock"
)

// atomicFile is an output written to a hidden temporary file beside its
// final path and moved there only when complete.
type atomicFile struct {
	*os.File
	path string
	done bool
}

func newAtomicFile(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	removeStale(dir, base)
	var f *os.File
	for {
		var err error
		f, err = os.CreateTemp(dir, "."+base+".*.partial")
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: the folder does not exist: create it or choose another output", path)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		// Held while we write: see removeStale. Another run's
		// removeStale holding it already has taken the file for a dead
		// run's and removes it: make another.
		if !errors.Is(filelock.Try(f), filelock.ErrLocked) {
			break
		}
		f.Close()
	}
	return &atomicFile{File: f, path: path}, nil
}

// removeStale deletes the temporary files that runs killed while writing
// the same output left behind. A run holds a lock on its temporary file
// until it ends, so a file whose lock can be taken belongs to nobody.
func removeStale(dir, base string) {
	old, _ := filepath.Glob(filepath.Join(dir, "."+escapeGlob(base)+".*.partial"))
	for _, p := range old {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		// Where the system has no locks, nothing can be told stale. A
		// file just made and not locked yet is made again by its run
		// (see newAtomicFile).
		stale := filelock.Try(f) == nil
		f.Close() // before removing: Windows keeps an open file
		if stale {
			os.Remove(p)
		}
	}
}

func escapeGlob(s string) string {
	r := make([]rune, 0, len(s))
	for _, c := range s {
		if c == '*' || c == '?' || c == '[' || c == '\\' {
			r = append(r, '\\')
		}
		r = append(r, c)
	}
	return string(r)
}

// commit makes the file durable and puts it at its path: without force it
// refuses to replace a file that appeared there in the meantime.
func (a *atomicFile) commit(force bool) error {
	if err := a.Sync(); err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	tmp := a.Name()
	if force {
		if err := os.Rename(tmp, a.path); err != nil {
			return fmt.Errorf("%s: %w", a.path, err)
		}
	} else if err := MoveNew(tmp, a.path); err != nil {
		return err
	}
	a.done = true
	syncDir(filepath.Dir(a.path))
	return nil
}

// MoveNew puts the finished file tmp, in path's folder, at path, and
// refuses with ErrExists to replace a file that is there.
func MoveNew(tmp, path string) error {
	// A hard link fails if the target exists: no check-then-rename race.
	err := os.Link(tmp, path)
	switch {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s: %w", path, ErrExists)
	case err != nil:
		// File systems without hard links: check, then rename.
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	default:
		os.Remove(tmp)
	}
	return nil
}

// discard removes the temporary file unless it was committed.
func (a *atomicFile) discard() {
	if a.done {
		return
	}
	a.Close()
	os.Remove(a.Name())
}

// syncDir makes a rename in dir durable; best effort (not every system
// can open a directory for syncing).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
