// Package filelock takes advisory locks that say "a live process is
// working on this file". The operating system drops a lock when its
// process dies, so a lock that can be taken means whoever held it is gone:
// that is how a second instance tells a file another one is handling from
// one a killed run left behind.
package filelock

import (
	"errors"
	"fmt"
	"os"
)

// lockOffset is the byte locked where locks are byte ranges (Linux,
// Windows): one tebibyte, past the end of any scan, within what every
// file server takes.
const lockOffset = 1 << 40

// ErrLocked says another process holds the lock.
var ErrLocked = errors.New("in use by another process")

// Try takes an exclusive lock on f without waiting. It returns ErrLocked
// when another process holds one, errors.ErrUnsupported where the system
// has no such locks. The lock lasts until f is closed or the process ends.
func Try(f *os.File) error { return try(f) }

// Open opens path (for writing too when it may: see the Linux open) and
// locks it with Try. The file may be renamed and removed while it is open
// and locked (also on Windows), and the lock does not stop others from
// reading it. A file that is gone gives an error matching fs.ErrNotExist;
// one another process has locked, ErrLocked.
func Open(path string) (*os.File, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	if err := Try(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Still tells whether path still names the file f has open: another
// process may have moved it away, and put another file in its place,
// between the open and the lock.
func Still(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

// Busy says whether err, from renaming or removing a file, means another
// program has it open (Windows' sharing rules): worth trying again later.
func Busy(err error) bool { return busy(err) }
