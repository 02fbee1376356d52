//go:build !unix

package main

import "os"

// privateStderr is standard error: gosseract's redirection of it (see
// stderr_unix.go) is a Unix matter.
func privateStderr() *os.File { return os.Stderr }
