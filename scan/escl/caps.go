package escl

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/demat-app/demat/scan"
)

// capabilities is what a device's ScannerCapabilities says, as much as the
// driver uses of it.
type capabilities struct {
	version      string // pwg:Version, echoed in ScanSettings
	makeAndModel string
	manufacturer string
	uuid         string
	// inputs are nil when the device has none of that kind.
	platen, adfSimplex, adfDuplex *inputCaps
}

// inputCaps is one input source. Sizes are in 1/300 inch, the unit of
// eSCL.
type inputCaps struct {
	minWidth, maxWidth, minHeight, maxHeight int

	modes      []string // eSCL colour modes, in the device's order
	formats    []string // MIME types, lower case, pwg:DocumentFormat and scan:DocumentFormatExt together
	formatsExt []string // those listed as scan:DocumentFormatExt
	discrete   []int    // square discrete resolutions, ascending
	ranges     []resRange
	intents    []string
}

type resRange struct{ min, max, step int }

// eSCL colour modes for the shared modes.
var modeNames = map[scan.Mode]string{scan.Color: "RGB24", scan.Gray: "Grayscale8", scan.BW: "BlackAndWhite1"}

// usualResolutions are the steps a resolution range is offered in: what
// scanners' own discrete lists hold.
var usualResolutions = []int{75, 100, 150, 200, 240, 300, 400, 600, 1200, 2400, 4800}

// parseCaps reads a ScannerCapabilities document.
func parseCaps(data []byte) (capabilities, error) {
	var c capabilities
	root, err := parseXML(data)
	if err != nil {
		return c, fmt.Errorf("scanner capabilities: %w", err)
	}
	if root.name != "ScannerCapabilities" {
		return c, rootError("ScannerCapabilities", root)
	}
	c.version = root.value("Version")
	c.makeAndModel = root.value("MakeAndModel")
	c.manufacturer = root.value("Manufacturer")
	c.uuid = root.value("UUID")
	if p := root.child("Platen"); p != nil {
		c.platen = parseInput(p.child("PlatenInputCaps"))
	}
	if a := root.child("Adf"); a != nil {
		c.adfSimplex = parseInput(a.child("AdfSimplexInputCaps"))
		c.adfDuplex = parseInput(a.child("AdfDuplexInputCaps"))
		// eSCL lets a device announce duplex only as an ADF option, its
		// duplex caps being the simplex ones (the Brother MFC-L8690CDW
		// lists both; others list just the option).
		if c.adfDuplex == nil && c.adfSimplex != nil {
			for _, o := range a.child("AdfOptions").children("AdfOption") {
				if strings.TrimSpace(o.text) == "Duplex" {
					d := *c.adfSimplex
					c.adfDuplex = &d
				}
			}
		}
	}
	// The Canon iR2625/2630 lists 600 dpi but scans at most 300
	// (sane-airscan #57): keep what it can do.
	if c.makeAndModel == "Canon iR2625/2630" {
		for _, in := range []*inputCaps{c.platen, c.adfSimplex, c.adfDuplex} {
			if in != nil && len(in.discrete) > 0 && in.discrete[0] <= 300 {
				in.discrete = slices.DeleteFunc(in.discrete, func(r int) bool { return r > 300 })
			}
		}
	}
	if c.platen == nil && c.adfSimplex == nil && c.adfDuplex == nil {
		return c, errors.New("scanner capabilities list neither a platen nor a feeder")
	}
	return c, nil
}

// parseInput reads a PlatenInputCaps, AdfSimplexInputCaps or
// AdfDuplexInputCaps element; nil for none.
func parseInput(n *node) *inputCaps {
	if n == nil {
		return nil
	}
	in := &inputCaps{
		minWidth: n.intValue("MinWidth"), maxWidth: n.intValue("MaxWidth"),
		minHeight: n.intValue("MinHeight"), maxHeight: n.intValue("MaxHeight"),
	}
	for _, p := range n.child("SettingProfiles").children("SettingProfile") {
		for _, m := range p.child("ColorModes").children("ColorMode") {
			in.modes = appendNew(in.modes, strings.TrimSpace(m.text))
		}
		for _, f := range p.child("DocumentFormats").elements() {
			v := strings.ToLower(strings.TrimSpace(f.text))
			switch f.name {
			case "DocumentFormat":
				in.formats = appendNew(in.formats, v)
			case "DocumentFormatExt":
				in.formats = appendNew(in.formats, v)
				in.formatsExt = appendNew(in.formatsExt, v)
			}
		}
		// The Xerox B235 repeats SupportedResolutions once per colour
		// mode; the union is what the input can do.
		for _, sr := range p.children("SupportedResolutions") {
			for _, d := range sr.children("DiscreteResolutions") {
				in.discrete = append(in.discrete, discreteResolutions(d)...)
			}
			for _, r := range sr.children("ResolutionRange") {
				if rr, ok := resolutionRange(r); ok {
					in.ranges = append(in.ranges, rr)
				}
			}
		}
	}
	// Intents are scan:Intent on HP and Canon, scan:SupportedIntent on
	// Kyocera.
	for _, i := range n.child("SupportedIntents").elements() {
		in.intents = appendNew(in.intents, strings.TrimSpace(i.text))
	}
	slices.Sort(in.discrete)
	in.discrete = slices.Compact(in.discrete)
	if in.minWidth > in.maxWidth {
		in.minWidth = 0
	}
	if in.minHeight > in.maxHeight {
		in.minHeight = 0
	}
	return in
}

// discreteResolutions reads the square resolutions of a
// DiscreteResolutions element. Non-square ones (the Kyocera M2040dn lists
// 200×100 and 200×400 for fax-like modes) are left out: pages keep square
// pixels.
func discreteResolutions(d *node) []int {
	var out []int
	add := func(x, y int) {
		if y == 0 {
			y = x
		}
		if x > 0 && x == y && x <= 19200 {
			out = append(out, x)
		}
	}
	for _, r := range d.children("DiscreteResolution") {
		add(r.intValue("XResolution"), r.intValue("YResolution"))
	}
	// Some firmware drops the DiscreteResolution wrapper and lists
	// XResolution/YResolution pairs directly.
	x := 0
	for _, k := range d.elements() {
		switch k.name {
		case "XResolution":
			if x > 0 {
				add(x, 0)
			}
			x = atoi(k.text)
		case "YResolution":
			add(x, atoi(k.text))
			x = 0
		}
	}
	if x > 0 {
		add(x, 0)
	}
	return out
}

// resolutionRange reads a ResolutionRange; false when it is unusable.
func resolutionRange(r *node) (resRange, bool) {
	get := func(names ...string) (rr resRange) {
		for _, n := range names {
			if c := r.child(n); c != nil {
				return resRange{c.intValue("Min"), c.intValue("Max"), c.intValue("Step")}
			}
		}
		return rr
	}
	x := get("XResolutionRange", "XResolution")
	y := get("YResolutionRange", "YResolution")
	if y.max == 0 {
		y = x
	}
	rr := resRange{max(x.min, y.min), min(x.max, y.max), max(x.step, y.step)}
	if rr.min <= 0 || rr.max < rr.min || rr.max > 19200 {
		return rr, false
	}
	return rr, true
}

func atoi(s string) int {
	n := 0
	for _, c := range strings.TrimSpace(s) {
		if c < '0' || c > '9' || n > 1<<20 {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func appendNew(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// input returns the caps of one shared input kind.
func (c capabilities) input(in scan.Input) *inputCaps {
	switch in {
	case scan.Flatbed:
		return c.platen
	case scan.Feeder:
		return c.adfSimplex
	case scan.Duplex:
		return c.adfDuplex
	}
	return nil
}

// toScan converts to the shared form: flatbed first (what a person with
// an MFP means when saying nothing), then feeder, then duplex.
func (c capabilities) toScan() scan.Caps {
	var out scan.Caps
	for _, k := range []scan.Input{scan.Flatbed, scan.Feeder, scan.Duplex} {
		in := c.input(k)
		if in == nil {
			continue
		}
		ic := scan.InputCaps{
			Input:       k,
			Resolutions: in.resolutions(),
			MaxWidth:    units300ToMM(in.maxWidth),
			MaxHeight:   units300ToMM(in.maxHeight),
		}
		for _, m := range in.modes {
			for sm, name := range modeNames {
				if m == name {
					ic.Modes = append(ic.Modes, sm)
				}
			}
		}
		if ic.Resolutions == nil {
			ic.Resolutions = []int{}
		}
		out.Inputs = append(out.Inputs, ic)
	}
	return out
}

// resolutions lists what the input offers, ascending: its discrete values
// and the usual steps within its ranges.
func (in *inputCaps) resolutions() []int {
	out := slices.Clone(in.discrete)
	for _, r := range in.ranges {
		n := 0
		for _, u := range usualResolutions {
			if r.contains(u) {
				out = append(out, u)
				n++
			}
		}
		if n == 0 {
			out = append(out, r.min, r.max)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (r resRange) contains(dpi int) bool {
	if dpi < r.min || dpi > r.max {
		return false
	}
	return r.step <= 1 || (dpi-r.min)%r.step == 0
}

// pickResolution returns the resolution to ask for: dpi itself when the
// device can do it, else the nearest it offers (the higher on a tie).
func (in *inputCaps) pickResolution(dpi int) int {
	if slices.Contains(in.discrete, dpi) {
		return dpi
	}
	for _, r := range in.ranges {
		if r.contains(dpi) {
			return dpi
		}
	}
	return scan.InputCaps{Resolutions: in.resolutions()}.Nearest(dpi)
}

// Page formats the driver reads, in order of preference: JPEG is what
// every eSCL device sends and a PDF embeds as it is; PNG is lossless
// where a device offers it. PDF and TIFF pages would need a parser of
// their own here and every device that offers them offers JPEG too.
var readableFormats = []string{"image/jpeg", "image/png"}

// pickFormat returns the MIME type to ask for, and whether to send it as
// DocumentFormatExt too.
func (in *inputCaps) pickFormat() (format string, ext bool, err error) {
	for _, f := range readableFormats {
		if slices.Contains(in.formats, f) {
			return f, slices.Contains(in.formatsExt, f), nil
		}
	}
	if len(in.formats) == 0 {
		// A device that lists no format at all still sends JPEG: it is
		// the format every eSCL device must support.
		return "image/jpeg", false, nil
	}
	return "", false, fmt.Errorf("the scanner sends pages only as %s; demat reads JPEG or PNG pages from network scanners",
		strings.Join(in.formats, ", "))
}

// pickIntent chooses the device's processing: TextAndGraphic keeps stamps
// and signatures as they are (NAPS2 sends it to every device); Document
// is the next best for text. Devices that list none get none, as some
// refuse settings with elements they did not announce.
func (in *inputCaps) pickIntent() string {
	for _, i := range []string{"TextAndGraphic", "Document"} {
		if slices.Contains(in.intents, i) {
			return i
		}
	}
	return ""
}

// units300ToMM converts 1/300 inch to millimetres, to 0.1 mm.
func units300ToMM(v int) float64 {
	return math.Round(float64(v)*254/300) / 10
}

// mmToUnits300 converts millimetres to 1/300 inch.
func mmToUnits300(mm float64) int {
	return int(math.Round(mm * 300 / 25.4))
}
