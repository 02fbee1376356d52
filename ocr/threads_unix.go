//go:build unix

package ocr

import (
	"os"
	"syscall"
)

// EnsureThreadLimit makes sure OMP_THREAD_LIMIT=1 was in the environment
// when the process started, re-executing the program once with it set when
// it was not. OpenMP reads the variable when the library loads, before main
// runs, so setting it later has no effect. Call it first thing in main (and
// in TestMain). It returns only when the limit is in effect, or with the
// error that prevented the re-execution.
func EnsureThreadLimit() error {
	if os.Getenv("OMP_THREAD_LIMIT") == "1" {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "OMP_THREAD_LIMIT=1")
	return syscall.Exec(exe, os.Args, env)
}
