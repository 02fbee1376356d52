package scan_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/demat-app/demat/scan"
)

var caps = scan.Caps{Inputs: []scan.InputCaps{
	{Input: scan.Flatbed, Resolutions: []int{75, 150, 200, 600}, Modes: []scan.Mode{scan.Gray, scan.BW}},
	{Input: scan.Feeder, Resolutions: []int{100, 300}, Modes: []scan.Mode{scan.Color, scan.Gray}},
}}

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		in   scan.Options
		want scan.Options
	}{
		{scan.Options{}, scan.Options{Input: scan.Flatbed, Resolution: 200, Mode: scan.Gray}},
		{scan.Options{Input: scan.Feeder}, scan.Options{Input: scan.Feeder, Resolution: 300, Mode: scan.Color}},
		{scan.Options{Input: scan.Feeder, Resolution: 100, Mode: scan.Gray}, scan.Options{Input: scan.Feeder, Resolution: 100, Mode: scan.Gray}},
		{scan.Options{Input: scan.Duplex}, scan.Options{Input: scan.Duplex, Resolution: 300, Mode: scan.Color}},
	}
	for _, tc := range tests {
		if got := tc.in.WithDefaults(caps); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%+v.WithDefaults = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		opt  scan.Options
		want string // in the error; "" for none
	}{
		{scan.Options{Input: scan.Feeder, Resolution: 300, Mode: scan.Color}, ""},
		{scan.Options{Input: scan.Flatbed, Resolution: 300}, ""}, // within range: nearest is used
		{scan.Options{Input: scan.Duplex}, "no duplex (it has: flatbed, feeder)"},
		{scan.Options{Input: scan.Flatbed, Mode: scan.Color}, "cannot scan in color (it can: gray, bw)"},
		{scan.Options{Input: scan.Feeder, Resolution: 1200}, "from 100 to 300"},
	}
	for _, tc := range tests {
		err := caps.Check(tc.opt)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%+v) = %v, want %q", tc.opt, err, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]scan.Input{"ADF": scan.Feeder, "flatbed": scan.Flatbed, "Duplex": scan.Duplex} {
		if got, err := scan.ParseInput(in); err != nil || got != want {
			t.Errorf("ParseInput(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := scan.ParseInput("tray"); err == nil || !strings.Contains(err.Error(), "flatbed, feeder or duplex") {
		t.Errorf("ParseInput(tray): %v", err)
	}
	for in, want := range map[string]scan.Mode{"colour": scan.Color, "grey": scan.Gray, "lineart": scan.BW} {
		if got, err := scan.ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	o, err := scan.ParseDeviceOption("--read-return-value=SANE_STATUS_JAMMED")
	if err != nil || o != (scan.DeviceOption{Name: "read-return-value", Value: "SANE_STATUS_JAMMED"}) {
		t.Errorf("ParseDeviceOption = %+v, %v", o, err)
	}
	if _, err := scan.ParseDeviceOption("brightness"); err == nil {
		t.Error("ParseDeviceOption accepted an option without a value")
	}
}

func TestDeviceErrors(t *testing.T) {
	codes := map[string]bool{}
	for _, e := range scan.DeviceErrors {
		if codes[e.Code] || e.What == "" || e.Do == "" {
			t.Errorf("device error %+v: duplicate code or no advice", e)
		}
		codes[e.Code] = true
		wrapped := fmt.Errorf("sane: test:0: page 4: %w", e)
		if scan.AsDeviceError(wrapped) != e || !errors.Is(wrapped, e) {
			t.Errorf("%s is not found through wrapping", e.Code)
		}
	}
	if scan.AsDeviceError(errors.New("other")) != nil {
		t.Error("AsDeviceError found a device error in a plain one")
	}
}
