//go:build unix

package register

import (
	"errors"
	"syscall"
)

// alive reports whether a process runs with this pid. In doubt (no right
// to signal it) it says yes: a live registration must never be voided.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
