package sane

import (
	"fmt"

	"github.com/demat-app/demat/scan"
)

// status is a SANE_Status other than SANE_STATUS_GOOD, as an error. The
// values are the C ones (sane.h), fixed by the SANE standard, so the child
// sends them as they are.
type status int

const (
	statusUnsupported  status = 1
	statusCancelled    status = 2
	statusDeviceBusy   status = 3
	statusInval        status = 4
	statusEOF          status = 5
	statusJammed       status = 6
	statusNoDocs       status = 7
	statusCoverOpen    status = 8
	statusIOError      status = 9
	statusNoMem        status = 10
	statusAccessDenied status = 11
	statusWarmingUp    status = 12 // SANE 1.0.24 and later
	statusHWLocked     status = 13 // SANE 1.0.24 and later
)

// statusText is what sane_strstatus says, kept here so that the parent,
// which has no libsane, can word the errors.
var statusText = map[status]string{
	statusUnsupported:  "operation not supported",
	statusCancelled:    "operation was cancelled",
	statusDeviceBusy:   "device busy",
	statusInval:        "invalid argument",
	statusEOF:          "end of file reached",
	statusJammed:       "document feeder jammed",
	statusNoDocs:       "document feeder out of documents",
	statusCoverOpen:    "scanner cover is open",
	statusIOError:      "error during device I/O",
	statusNoMem:        "out of memory",
	statusAccessDenied: "access to resource has been denied",
	statusWarmingUp:    "lamp not ready, please retry",
	statusHWLocked:     "scanner mechanism locked for transport",
}

func (s status) Error() string {
	if t, ok := statusText[s]; ok {
		return t
	}
	return fmt.Sprintf("SANE status %d", int(s))
}

// deviceError is the shared device error a SANE status means. NO_DOCS is
// ErrFeederEmpty here; the end of a feeder batch is told apart by the
// caller, which knows how many pages were read.
func (s status) deviceError() *scan.DeviceError {
	switch s {
	case statusNoDocs:
		return scan.ErrFeederEmpty
	case statusJammed:
		return scan.ErrPaperJam
	case statusCoverOpen:
		return scan.ErrCoverOpen
	case statusDeviceBusy, statusHWLocked:
		return scan.ErrBusy
	case statusWarmingUp:
		return scan.ErrWarmingUp
	case statusIOError:
		return scan.ErrCommunication
	case statusAccessDenied:
		return scan.ErrDenied
	case statusInval, statusUnsupported:
		return scan.ErrInvalidOption
	}
	// CANCELLED that demat did not ask for (the scanner's own Cancel
	// button), NO_MEM, EOF where a frame should start, and statuses of
	// later SANE versions.
	return scan.ErrDevice
}
