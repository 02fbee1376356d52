package scan

import "errors"

// DeviceError is one of the failures every scanner driver maps its own
// onto, so that the CLI and the window can tell a person what to do
// whatever the scanner. Drivers wrap these values with %w and their own
// context; compare with errors.Is, or errors.As to get the Code.
type DeviceError struct {
	// Code is a stable snake_case name ("paper_jam") for JSON output and
	// translations.
	Code string
	// What happened, and what to do about it, in plain words.
	What, Do string
}

func (e *DeviceError) Error() string { return e.What + ": " + e.Do }

// The shared device errors.
var (
	// ErrFeederEmpty: the feeder holds no paper. At the end of a feeder
	// batch this is the normal end of the job, not an error; drivers
	// return it only when the job could not start.
	ErrFeederEmpty = &DeviceError{"feeder_empty", "the document feeder is empty",
		"put the pages in the feeder, face as the scanner shows, and scan again"}
	ErrPaperJam = &DeviceError{"paper_jam", "paper jam",
		"open the feeder cover, gently remove the stuck sheet, put the pages not yet scanned back in the feeder and scan again"}
	ErrCoverOpen = &DeviceError{"cover_open", "the scanner cover is open",
		"close the cover (and the feeder's lid) and scan again"}
	ErrBusy = &DeviceError{"busy", "the scanner is busy with another job",
		"wait until it is free (or cancel the job on its panel) and scan again"}
	ErrWarmingUp = &DeviceError{"warming_up", "the scanner is warming up",
		"wait a minute and scan again"}
	ErrOffline = &DeviceError{"offline", "the scanner does not answer",
		"check that it is switched on, awake and connected (cable or network), then scan again"}
	ErrNotFound = &DeviceError{"not_found", "scanner not found",
		"check that it is switched on and connected, then list the scanners again (demat devices)"}
	ErrCommunication = &DeviceError{"communication", "the connection to the scanner broke",
		"check the cable or the network, switch the scanner off and on if it persists, and scan the remaining pages again"}
	ErrDevice = &DeviceError{"device_error", "the scanner reported an error",
		"look at its panel for a message, switch it off and on if it persists, and scan the remaining pages again"}
	ErrInvalidOption = &DeviceError{"invalid_option", "the scanner refused the settings",
		"check the source, resolution, mode and options against what demat devices lists for it"}
	ErrDenied = &DeviceError{"access_denied", "the scanner refused access",
		"check the scanner's password or permissions (on Linux, membership of the scanner group)"}
)

// DeviceErrors lists every shared device error, for translations and
// tests.
var DeviceErrors = []*DeviceError{
	ErrFeederEmpty, ErrPaperJam, ErrCoverOpen, ErrBusy, ErrWarmingUp, ErrOffline,
	ErrNotFound, ErrCommunication, ErrDevice, ErrInvalidOption, ErrDenied,
}

// AsDeviceError returns the shared device error err wraps, or nil.
func AsDeviceError(err error) *DeviceError {
	var d *DeviceError
	if errors.As(err, &d) {
		return d
	}
	return nil
}
