//go:build unix

package pipeline

import (
	"os"
	"syscall"
)

// lock takes an advisory lock on f for as long as this process lives or
// until f is closed, whichever comes first: a dead process holds none.
func lock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
