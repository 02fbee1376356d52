package escl

import (
	"fmt"
	"strings"

	"github.com/demat-app/demat/scan"
)

// status is what a device's ScannerStatus says.
type status struct {
	state    string // pwg:State: Idle, Processing, Testing, Stopped, Down
	adfState string // scan:AdfState, "" for devices without a feeder
	jobs     []jobInfo
}

type jobInfo struct {
	uri, state string
	reasons    []string
}

// parseStatus reads a ScannerStatus document.
func parseStatus(data []byte) (status, error) {
	var s status
	root, err := parseXML(data)
	if err != nil {
		return s, fmt.Errorf("scanner status: %w", err)
	}
	if root.name != "ScannerStatus" {
		return s, rootError("ScannerStatus", root)
	}
	s.state = root.value("State")
	s.adfState = root.value("AdfState")
	for _, j := range root.child("Jobs").children("JobInfo") {
		ji := jobInfo{uri: j.value("JobUri"), state: j.value("JobState")}
		for _, r := range j.child("JobStateReasons").children("JobStateReason") {
			ji.reasons = appendNew(ji.reasons, strings.TrimSpace(r.text))
		}
		s.jobs = append(s.jobs, ji)
	}
	return s, nil
}

// precheck tells whether a job may start on the device, before it is
// created: a job created on a busy device or an empty feeder fails in
// ways each firmware reports differently, and on the Canon MF410 series
// a feeder job started without paper jams the feeder for real
// (sane-airscan).
func (s status) precheck(feeder bool) error {
	if err := s.deviceError(); err != nil {
		return err
	}
	if feeder {
		return s.adfError()
	}
	return nil
}

// deviceError maps the device's overall state.
func (s status) deviceError() error {
	switch s.state {
	case "Processing":
		return fmt.Errorf("scanner state %s: %w", s.state, scan.ErrBusy)
	case "Testing":
		// The HP LaserJet MFP M630 says Testing while it warms up
		// (sane-airscan).
		return fmt.Errorf("scanner state %s: %w", s.state, scan.ErrWarmingUp)
	case "Stopped":
		return fmt.Errorf("scanner state %s: %w", s.state, scan.ErrDevice)
	case "Down":
		return fmt.Errorf("scanner state %s: %w", s.state, scan.ErrOffline)
	}
	return nil
}

// adfError maps the feeder's state; nil when it allows scanning.
func (s status) adfError() error {
	var e *scan.DeviceError
	switch s.adfState {
	case "ScannerAdfEmpty":
		e = scan.ErrFeederEmpty
	case "ScannerAdfJam", "ScannerAdfMispick", "ScannerAdfMultipickDetected",
		"ScannerAdfDuplexPageTooShort", "ScannerAdfDuplexPageTooLong":
		e = scan.ErrPaperJam
	case "ScannerAdfDoorOpen", "ScannerAdfHatchOpen":
		e = scan.ErrCoverOpen
	case "ScannerAdfInputTrayFailed":
		e = scan.ErrDevice
	case "ScannerAdfInputTrayOverloaded":
		return fmt.Errorf("scanner status %s: the feeder holds too many sheets: %w", s.adfState, scan.ErrDevice)
	default:
		// ScannerAdfLoaded, ScannerAdfProcessing, or nothing said.
		return nil
	}
	return fmt.Errorf("scanner status %s: %w", s.adfState, e)
}

// feederEmpty tells whether the feeder says it holds no paper. The
// Kyocera ECOSYS series keeps saying ScannerAdfProcessing once its feeder
// ran out, which sane-airscan reads as empty too.
func (s status) feederEmpty() bool {
	return s.adfState == "ScannerAdfEmpty" || s.adfState == "ScannerAdfProcessing"
}
