//go:build unix && !linux

package filelock

import (
	"errors"
	"os"
	"syscall"
)

func open(path string) (*os.File, error) { return os.Open(path) }

// try uses flock(2), which conflicts between two opens of a file, also in
// one process.
func try(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}

func busy(error) bool { return false }
