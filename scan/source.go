package scan

import (
	"context"
	"fmt"
	"strings"
)

// Source is a driver that finds devices and scans pages from them.
//
// Scan delivers each page through emit as soon as it is complete, in
// order, and returns nil when the job ends normally (the feeder ran out at
// the end of a feeder batch, the flatbed page was read, Options.Pages were
// delivered). When the device fails midway it returns the error after the
// good pages were emitted; an error returned by emit stops the job and is
// returned as it is; a cancelled ctx stops the job (the device is told to
// stop) and returns ctx's error.
type Source interface {
	// Devices lists the devices this driver can reach now. A driver that
	// finds none returns an empty list, not an error; an error means the
	// search itself failed.
	Devices(ctx context.Context) ([]Device, error)
	// Caps asks the device what it can do.
	Caps(ctx context.Context, dev Device) (Caps, error)
	// Scan runs one scan job.
	Scan(ctx context.Context, dev Device, opt Options, emit func(Page) error) error
}

// Device is a scanner a Source can reach.
type Device struct {
	// ID is stable across runs and names the driver first:
	// "sane:test:0", "escl:http://192.0.2.7:80/eSCL".
	ID string `json:"id"`
	// Name is what a person recognises ("Brother MFC-L2710DW").
	Name string `json:"name"`
	// Vendor and Model, when the device says.
	Vendor string `json:"vendor,omitempty"`
	Model  string `json:"model,omitempty"`
	// Driver is the ID's prefix ("sane", "escl", "file").
	Driver string `json:"driver"`
}

// Driver returns the driver name of a device ID ("sane" for
// "sane:test:0"), or "" when the ID names none.
func Driver(id string) string {
	d, _, ok := strings.Cut(id, ":")
	if !ok {
		return ""
	}
	return d
}

// Input is where the paper is: on the glass or in the feeder.
type Input string

// Inputs a device may offer.
const (
	Flatbed Input = "flatbed"
	Feeder  Input = "feeder"
	// Duplex is the feeder reading both sides of every sheet: pages come
	// front, back, front, back.
	Duplex Input = "duplex"
)

// Mode is the colour of the scanned image.
type Mode string

// Modes a device may offer.
const (
	Color Mode = "color"
	Gray  Mode = "gray"
	// BW is black and white, one bit per pixel.
	BW Mode = "bw"
)

// ParseInput reads an Input as typed by a person.
func ParseInput(s string) (Input, error) {
	switch strings.ToLower(s) {
	case "flatbed", "platen", "glass":
		return Flatbed, nil
	case "feeder", "adf":
		return Feeder, nil
	case "duplex":
		return Duplex, nil
	}
	return "", fmt.Errorf("unknown source %q: use flatbed, feeder or duplex", s)
}

// ParseMode reads a Mode as typed by a person.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(s) {
	case "color", "colour":
		return Color, nil
	case "gray", "grey":
		return Gray, nil
	case "bw", "lineart", "black-and-white", "mono":
		return BW, nil
	}
	return "", fmt.Errorf("unknown mode %q: use color, gray or bw", s)
}

// Area is a rectangle on the scan surface in millimetres from the top-left
// corner. The zero Area is the whole surface.
type Area struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// IsZero reports whether a is the whole surface.
func (a Area) IsZero() bool { return a.Width <= 0 || a.Height <= 0 }

// Options describe one scan job. The zero value scans the device's
// default input with defaults that suit OCR of office documents.
type Options struct {
	// Input is flatbed, feeder or duplex; empty picks the device's
	// first (as listed in its Caps).
	Input Input
	// Resolution in dots per inch; 0 means 300.
	Resolution int
	// Mode is colour, grey or black and white; empty means colour.
	Mode Mode
	// Area to scan; zero means the whole surface (A4 where the device
	// has to be told a size, as the feeder of some does).
	Area Area
	// Pages stops the job after this many pages; 0 means all the
	// feeder holds (one page on a flatbed).
	Pages int
	// DeviceOptions are driver-specific settings passed as they are, in
	// order (SANE option names and values, as scanimage takes them).
	DeviceOptions []DeviceOption
}

// DeviceOption is one driver-specific NAME=VALUE setting.
type DeviceOption struct {
	Name, Value string
}

// ParseDeviceOption reads NAME=VALUE.
func ParseDeviceOption(s string) (DeviceOption, error) {
	n, v, ok := strings.Cut(s, "=")
	n = strings.TrimSpace(strings.TrimLeft(n, "-"))
	if !ok || n == "" {
		return DeviceOption{}, fmt.Errorf("device option %q: write it as NAME=VALUE", s)
	}
	return DeviceOption{Name: n, Value: v}, nil
}

// Defaults every driver applies to what Options leaves empty.
const (
	// DefaultResolution: 300 dpi is what OCR engines are trained for and
	// what archival guidelines ask for text.
	DefaultResolution = 300
	// DefaultMode: colour keeps stamps, signatures and highlighted text
	// telling apart; the PDF stage compresses what turns out bi-level.
	DefaultMode = Color
)

// WithDefaults returns o with every empty field set: the input to the
// first the device lists in caps, resolution and mode to the defaults
// (or, when the device cannot do them, to its nearest).
func (o Options) WithDefaults(caps Caps) Options {
	if o.Input == "" && len(caps.Inputs) > 0 {
		o.Input = caps.Inputs[0].Input
	}
	in, _ := caps.Input(o.Input)
	if o.Resolution <= 0 {
		o.Resolution = DefaultResolution
		if in != nil {
			o.Resolution = in.Nearest(DefaultResolution)
		}
	}
	if o.Mode == "" {
		o.Mode = DefaultMode
		if in != nil && len(in.Modes) > 0 && !in.HasMode(DefaultMode) {
			o.Mode = in.Modes[0]
		}
	}
	return o
}

// Caps is what a device can do, input by input.
type Caps struct {
	Inputs []InputCaps `json:"inputs"`
}

// Input returns the capabilities of one input, or false when the device
// has none of that kind.
func (c Caps) Input(in Input) (*InputCaps, bool) {
	for i := range c.Inputs {
		if c.Inputs[i].Input == in {
			return &c.Inputs[i], true
		}
	}
	return nil, false
}

// Check tells whether opt asks for something the device cannot do, with
// what it can do instead.
func (c Caps) Check(opt Options) error {
	if opt.Input == "" {
		return nil
	}
	in, ok := c.Input(opt.Input)
	if !ok {
		var have []string
		for _, i := range c.Inputs {
			have = append(have, string(i.Input))
		}
		return fmt.Errorf("this scanner has no %s (it has: %s)", opt.Input, strings.Join(have, ", "))
	}
	if opt.Mode != "" && len(in.Modes) > 0 && !in.HasMode(opt.Mode) {
		var have []string
		for _, m := range in.Modes {
			have = append(have, string(m))
		}
		return fmt.Errorf("the %s cannot scan in %s (it can: %s)", opt.Input, opt.Mode, strings.Join(have, ", "))
	}
	if opt.Resolution > 0 && len(in.Resolutions) > 0 && in.Nearest(opt.Resolution) != opt.Resolution &&
		(opt.Resolution < in.Resolutions[0] || opt.Resolution > in.Resolutions[len(in.Resolutions)-1]) {
		return fmt.Errorf("the %s cannot scan at %d dpi (it can from %d to %d)", opt.Input, opt.Resolution,
			in.Resolutions[0], in.Resolutions[len(in.Resolutions)-1])
	}
	return nil
}

// InputCaps is what one input of a device can do.
type InputCaps struct {
	Input Input `json:"input"`
	// Resolutions the device offers, ascending. A device with a range
	// lists its usual steps within it.
	Resolutions []int `json:"resolutions"`
	// Modes the device offers, in its own order.
	Modes []Mode `json:"modes"`
	// MaxWidth and MaxHeight of the scan surface in millimetres, 0 when
	// unknown.
	MaxWidth  float64 `json:"max_width_mm,omitempty"`
	MaxHeight float64 `json:"max_height_mm,omitempty"`
}

// HasMode reports whether the input offers m.
func (c InputCaps) HasMode(m Mode) bool {
	for _, x := range c.Modes {
		if x == m {
			return true
		}
	}
	return false
}

// Nearest returns the offered resolution closest to dpi (the higher on a
// tie), or dpi itself when none are listed.
func (c InputCaps) Nearest(dpi int) int {
	best := 0
	for _, r := range c.Resolutions {
		if best == 0 || abs(r-dpi) < abs(best-dpi) || (abs(r-dpi) == abs(best-dpi) && r > best) {
			best = r
		}
	}
	if best == 0 {
		return dpi
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
