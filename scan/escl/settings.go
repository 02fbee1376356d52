package escl

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"

	"github.com/demat-app/demat/scan"
)

// Namespaces of eSCL documents.
const (
	nsScan = "http://schemas.hp.com/imaging/escl/2011/05/03"
	nsPWG  = "http://www.pwg.org/schemas/2010/12/sm"
)

// settings is one job's ScanSettings.
type settings struct {
	version    string
	intent     string
	input      scan.Input
	mode       string // eSCL colour mode
	resolution int
	// region in 1/300 inch
	x, y, width, height int
	format              string
	formatExt           bool
}

// newSettings chooses the settings for opt (already defaulted and checked
// against the caps) on input in.
func newSettings(c capabilities, in *inputCaps, opt scan.Options) (settings, []string, error) {
	s := settings{version: c.version, intent: in.pickIntent(), input: opt.Input, mode: modeNames[opt.Mode]}
	if s.version == "" {
		// What sane-airscan and NAPS2 send to every device.
		s.version = "2.0"
	}
	var warnings []string
	s.resolution = in.pickResolution(opt.Resolution)
	if s.resolution != opt.Resolution {
		warnings = append(warnings, fmt.Sprintf("scanned at %d dpi: the scanner cannot do %d", s.resolution, opt.Resolution))
	}
	var err error
	if s.format, s.formatExt, err = in.pickFormat(); err != nil {
		return s, nil, err
	}
	// The region: the whole surface when none is asked, clamped to what
	// the device can do (devices refuse a region past their glass with a
	// 409 that says nothing).
	maxW, maxH := in.maxWidth, in.maxHeight
	if maxW <= 0 {
		maxW = mmToUnits300(215.9) // US Letter width, within every scanner
	}
	if maxH <= 0 {
		maxH = mmToUnits300(297) // A4
	}
	if opt.Area.IsZero() {
		s.width, s.height = maxW, maxH
	} else {
		s.x = clamp(mmToUnits300(opt.Area.X), 0, maxW-1)
		s.y = clamp(mmToUnits300(opt.Area.Y), 0, maxH-1)
		s.width = clamp(mmToUnits300(opt.Area.Width), max(in.minWidth, 1), maxW-s.x)
		s.height = clamp(mmToUnits300(opt.Area.Height), max(in.minHeight, 1), maxH-s.y)
	}
	return s, warnings, nil
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		hi = lo
	}
	return max(lo, min(v, hi))
}

// marshal writes the ScanSettings document. The order is the one
// sane-airscan sends to hundreds of devices (some firmware validates
// sequence order); the region's inner order is the PWG schema's.
func (s settings) marshal() []byte {
	var b bytes.Buffer
	el := func(name, value string) {
		b.WriteString("  <" + name + ">")
		xml.EscapeText(&b, []byte(value))
		b.WriteString("</" + name + ">\n")
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<scan:ScanSettings xmlns:scan="` + nsScan + `" xmlns:pwg="` + nsPWG + `">` + "\n")
	el("pwg:Version", s.version)
	if s.intent != "" {
		el("scan:Intent", s.intent)
	}
	b.WriteString("  <pwg:ScanRegions>\n    <pwg:ScanRegion>\n")
	for _, f := range []struct {
		name  string
		value string
	}{
		{"pwg:Height", strconv.Itoa(s.height)},
		// Units are spelt with the escl: prefix although no namespace
		// declares it: the value devices compare as a string.
		{"pwg:ContentRegionUnits", "escl:ThreeHundredthsOfInches"},
		{"pwg:Width", strconv.Itoa(s.width)},
		{"pwg:XOffset", strconv.Itoa(s.x)},
		{"pwg:YOffset", strconv.Itoa(s.y)},
	} {
		b.WriteString("    ")
		el(f.name, f.value)
	}
	b.WriteString("    </pwg:ScanRegion>\n  </pwg:ScanRegions>\n")
	source := "Platen"
	if s.input != scan.Flatbed {
		source = "Feeder"
	}
	el("pwg:InputSource", source)
	el("scan:ColorMode", s.mode)
	el("pwg:DocumentFormat", s.format)
	if s.formatExt {
		// Only to devices that announced DocumentFormatExt: older
		// firmware refuses an element it does not know.
		el("scan:DocumentFormatExt", s.format)
	}
	el("scan:XResolution", strconv.Itoa(s.resolution))
	el("scan:YResolution", strconv.Itoa(s.resolution))
	if s.input != scan.Flatbed {
		// Duplex only for the feeder: some devices refuse it with the
		// platen, and one (stapelberg/airscan#4) falls back to the
		// platen when it is true on a simplex-only feeder.
		el("scan:Duplex", strconv.FormatBool(s.input == scan.Duplex))
	}
	b.WriteString("</scan:ScanSettings>\n")
	return b.Bytes()
}
