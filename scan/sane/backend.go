package sane

import "errors"

// library is libsane after sane_init. Its methods and those of the handles
// it opens are called from one goroutine, the one running Serve: backends
// are not required to be thread-safe.
type library interface {
	// devices is sane_get_devices, network backends included.
	devices() ([]deviceInfo, error)
	// open is sane_open.
	open(name string) (handle, error)
	// exit is sane_exit.
	exit()
}

// handle is an open SANE device. Errors that come from the backend are
// status values.
type handle interface {
	// descriptors returns every option descriptor, indexed by option
	// number (index 0 is the option count).
	descriptors() ([]optDesc, error)
	// getWords reads an int, fixed or bool option of n words.
	getWords(i, n int) ([]int32, error)
	// setWords, setString, press (a button) and setAuto set an option and
	// return the SANE_INFO bits.
	setWords(i int, w []int32) (int, error)
	setString(i int, s string) (int, error)
	press(i int) (int, error)
	setAuto(i int) (int, error)
	// start is sane_start: it begins a page, or the next frame of one.
	start() error
	// parameters is sane_get_parameters (without the resolution).
	parameters() (frameInfo, error)
	// read is sane_read; io.EOF ends the frame.
	read(p []byte) (int, error)
	// cancel is sane_cancel; it is harmless when nothing runs.
	cancel()
	// close is sane_close.
	close()
}

// errNoSANE is what Serve says in a build without libsane.
var errNoSANE = errors.New("sane: this demat was built without SANE support (it needs cgo and libsane, on Linux, BSD or macOS)")
