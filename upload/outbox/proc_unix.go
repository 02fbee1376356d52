//go:build unix

package outbox

import (
	"errors"
	"syscall"
)

// processAlive says whether a process of this machine exists (EPERM: it
// exists, owned by someone else).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
