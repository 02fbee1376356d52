//go:build !unix

package register

import "os"

// alive reports whether a process runs with this pid: on Windows,
// FindProcess opens the process and fails when there is none.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
