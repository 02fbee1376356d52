//go:build !(cgo && (linux || freebsd || darwin))

package sane

import "io"

// openLibrary fails: this build has no libsane (no cgo, or an OS SANE
// does not run on). Serve says so to the parent.
func openLibrary() (library, error) { return nil, errNoSANE }

// protectStdout has nothing to protect from: no backend runs here.
func protectStdout(out io.Writer) (io.Writer, error) { return out, nil }

// ignoreSIGPIPE: no backend thread here writes to pipes.
func ignoreSIGPIPE() {}
