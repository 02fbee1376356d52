// Package sane is the scan source for SANE scanners (USB and network
// scanners with a SANE backend, on Linux, BSD and macOS).
//
// A SANE backend is a third-party C library loaded into the process that
// uses it; when one crashes or hangs, so would demat, and the pages already
// read would go with it. So libsane never runs in the application: every
// Devices, Caps and Scan call starts a child process (demat itself, run with
// ChildArg, which calls Serve) that drives libsane and streams the pages
// back over a pipe. The parent side (Driver) is pure Go and builds
// everywhere; it turns the child's crash into scan.ErrCommunication and its
// silence into scan.ErrOffline, after the pages that were complete have been
// delivered. Only libsane_cgo.go needs cgo: without it Serve says so.
//
// The package owns the mapping from scan.Options to SANE options (source,
// mode, depth, resolution, geometry, and NAME=VALUE device options checked
// against their constraints as scanimage does), from SANE statuses to the
// shared scan device errors, and from SANE frames (grey, RGB, three-pass,
// 1, 8 and 16 bits) to images.
//
// It must not know about other drivers, OCR or PDF writing, and must not
// call libsane from the application process.
package sane
