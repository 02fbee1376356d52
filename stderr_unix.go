//go:build unix

package main

import (
	"os"
	"syscall"
)

// privateStderr is a copy of standard error for demat's own messages:
// while a Tesseract client starts, gosseract points descriptor 2 at
// /dev/null for a moment, and a warning written then would be lost.
func privateStderr() *os.File {
	fd, err := syscall.Dup(2)
	if err != nil {
		return os.Stderr
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "/dev/stderr")
}
