package sane

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/demat-app/demat/scan"
)

// SANE's well-known option names (saneopts.h).
const (
	optSource      = "source"
	optMode        = "mode"
	optDepth       = "depth"
	optResolution  = "resolution"
	optXResolution = "x-resolution"
	optYResolution = "y-resolution"
	optTLX         = "tl-x"
	optTLY         = "tl-y"
	optBRX         = "br-x"
	optBRY         = "br-y"
)

// optionError is a setting demat refuses before the backend sees it (an
// unknown option, a value outside the constraint). It becomes
// scan.ErrInvalidOption.
type optionError struct{ msg string }

func (e *optionError) Error() string { return e.msg }

func optionErrorf(format string, args ...any) error {
	return &optionError{fmt.Sprintf(format, args...)}
}

// device is an open SANE device with its option descriptors, kept up to
// date when setting one option changes the others (SANE_INFO_RELOAD_OPTIONS).
// It is used from one goroutine.
type device struct {
	h     handle
	opts  []optDesc
	index map[string]int
}

func newDevice(h handle) (*device, error) {
	dv := &device{h: h}
	if err := dv.reload(); err != nil {
		return nil, err
	}
	return dv, nil
}

func (dv *device) reload() error {
	opts, err := dv.h.descriptors()
	if err != nil {
		return fmt.Errorf("read the option descriptors: %w", err)
	}
	dv.opts = opts
	dv.index = make(map[string]int, len(opts))
	for i := 1; i < len(opts); i++ {
		if n := opts[i].Name; n != "" && opts[i].Type != typeGroup {
			if _, dup := dv.index[n]; !dup {
				dv.index[n] = i
			}
		}
	}
	return nil
}

// lookup returns an option by name, or -1 and nil.
func (dv *device) lookup(name string) (int, *optDesc) {
	i, ok := dv.index[name]
	if !ok {
		i, ok = dv.index[strings.ToLower(name)]
	}
	if !ok {
		return -1, nil
	}
	return i, &dv.opts[i]
}

// usable returns an option demat may set now: present, active and settable.
func (dv *device) usable(name string) (int, *optDesc) {
	i, d := dv.lookup(name)
	if d == nil || !d.active() || !d.settable() {
		return -1, nil
	}
	return i, d
}

// after handles the info bits of a set.
func (dv *device) after(info int, err error) error {
	if err != nil {
		return err
	}
	if info&infoReloadOptions != 0 {
		return dv.reload()
	}
	return nil
}

func (dv *device) setStringAt(i int, s string) error {
	d := &dv.opts[i]
	if err := dv.after(dv.h.setString(i, s)); err != nil {
		return fmt.Errorf("set %s to %q: %w", d.Name, s, err)
	}
	return nil
}

// setNumberAt sets every word of a numeric option to f, within its
// constraint.
func (dv *device) setNumberAt(i int, f float64) error {
	d := &dv.opts[i]
	w, err := d.check(d.word(f))
	if err != nil {
		return optionErrorf("option %q: %v", d.Name, err)
	}
	words := make([]int32, d.count())
	for k := range words {
		words[k] = w
	}
	if err := dv.after(dv.h.setWords(i, words)); err != nil {
		return fmt.Errorf("set %s to %s: %w", d.Name, d.format(w), err)
	}
	return nil
}

// number reads the (first) value of a numeric option.
func (dv *device) number(name string) (float64, bool) {
	i, d := dv.lookup(name)
	if d == nil || !d.active() || d.count() == 0 {
		return 0, false
	}
	w, err := dv.h.getWords(i, d.count())
	if err != nil || len(w) == 0 {
		return 0, false
	}
	return d.float(w[0]), true
}

// set applies one NAME=VALUE device option as scanimage would: the value is
// parsed by the option's type, checked against its constraint, and refused
// with the allowed values when it does not fit.
func (dv *device) set(name, value string) error {
	i, d := dv.lookup(name)
	if d == nil {
		return optionErrorf("the scanner has no option %q (it has: %s)", name, strings.Join(dv.names(), ", "))
	}
	name = d.Name
	switch {
	case !d.active():
		return optionErrorf("option %q is inactive now: another setting turns it off (the mode, the source, or a switch such as %q)", name, "read-limit")
	case !d.settable():
		return optionErrorf("option %q can only be read, not set", name)
	case d.Type == typeGroup:
		return optionErrorf("%q is a group of options, not an option", name)
	}
	if strings.EqualFold(strings.TrimSpace(value), "auto") && d.Cap&capAutomatic != 0 {
		if err := dv.after(dv.h.setAuto(i)); err != nil {
			return fmt.Errorf("set %s to auto: %w", name, err)
		}
		return nil
	}
	var err error
	switch d.Type {
	case typeButton:
		err = dv.after(dv.h.press(i))
	case typeString:
		v := value
		if d.Constraint == constraintStringList {
			var ok bool
			if v, ok = d.matchString(value); !ok {
				return optionErrorf("option %q: %q is not one of: %s", name, value, d.allowed())
			}
		} else if d.Size > 0 && len(v) >= d.Size {
			return optionErrorf("option %q: %q is longer than the %d characters it takes", name, value, d.Size-1)
		}
		err = dv.after(dv.h.setString(i, v))
	case typeBool:
		b, perr := parseBool(value)
		if perr != nil {
			return optionErrorf("option %q: %v (allowed: yes, no)", name, perr)
		}
		var w int32
		if b {
			w = 1
		}
		err = dv.after(dv.h.setWords(i, []int32{w}))
	case typeInt, typeFixed:
		words, perr := dv.parseWords(d, value)
		if perr != nil {
			return optionErrorf("option %q: %v", name, perr)
		}
		err = dv.after(dv.h.setWords(i, words))
	default:
		return optionErrorf("option %q has a type demat does not know (%d)", name, d.Type)
	}
	if err != nil {
		return fmt.Errorf("set %s to %q: %w", name, value, err)
	}
	return nil
}

// parseWords reads the value of a numeric option: one number, set into
// every element of an array, or as many comma-separated numbers as the
// array holds.
func (dv *device) parseWords(d *optDesc, value string) ([]int32, error) {
	parts := strings.Split(value, ",")
	n := d.count()
	if len(parts) != 1 && len(parts) != n {
		return nil, fmt.Errorf("takes %d values, got %d", n, len(parts))
	}
	words := make([]int32, n)
	for k := range words {
		p := parts[0]
		if len(parts) > 1 {
			p = parts[k]
		}
		w, err := d.parseNumber(p)
		if err != nil {
			return nil, err
		}
		if w, err = d.check(w); err != nil {
			return nil, err
		}
		words[k] = w
	}
	return words, nil
}

// names lists the options a person can set, for error messages.
func (dv *device) names() []string {
	var out []string
	for i := 1; i < len(dv.opts); i++ {
		d := &dv.opts[i]
		if d.Name != "" && d.Type != typeGroup && d.settable() {
			out = append(out, d.Name)
		}
	}
	return out
}

// classifySource tells which input a SANE source string names. Backends
// spell them their own way: "Flatbed", "FlatBed", "Normal"; "ADF", "ADF
// Front", "Automatic Document Feeder", "Automatic Document
// Feeder(left aligned)"; "ADF Duplex", "Duplex". A back-side-only source
// and film units are not paper inputs.
func classifySource(s string) (scan.Input, bool) {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "duplex"):
		return scan.Duplex, true
	case strings.Contains(l, "back"), strings.Contains(l, "transparen"), strings.Contains(l, "negative"),
		strings.Contains(l, "slide"), strings.Contains(l, "film"), strings.Contains(l, "tma"):
		return "", false
	case strings.Contains(l, "adf"), strings.Contains(l, "feeder"), strings.Contains(l, "simplex"):
		return scan.Feeder, true
	case strings.Contains(l, "flatbed"), strings.Contains(l, "platen"), strings.Contains(l, "glass"),
		strings.Contains(l, "document table"), l == "normal":
		return scan.Flatbed, true
	}
	return "", false
}

// classifyMode tells which mode a SANE mode string names: "Color", "24bit
// Color"; "Gray", "True Gray"; "Lineart", "Binary", "Black & White".
// Halftone and dithered modes are none of them: they are bi-level pictures
// of a grey page, bad for OCR.
func classifyMode(s string) (scan.Mode, bool) {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "halftone"), strings.Contains(l, "dither"), strings.Contains(l, "diffusion"):
		return "", false
	case strings.Contains(l, "lineart"), strings.Contains(l, "line art"), strings.Contains(l, "binary"),
		strings.Contains(l, "black"), l == "bw", l == "b&w", strings.HasPrefix(l, "mono"):
		return scan.BW, true
	case strings.Contains(l, "gray"), strings.Contains(l, "grey"):
		return scan.Gray, true
	case strings.Contains(l, "color"), strings.Contains(l, "colour"):
		return scan.Color, true
	}
	return "", false
}

// modeChoice is how the device gets to a scan.Mode: a mode string, and for
// black and white on a device with no lineart mode (the test backend), its
// grey mode at depth 1.
type modeChoice struct {
	value string
	depth int // 0: leave the depth alone
}

// modes lists what the device's current mode option offers, in its order.
func (dv *device) modes() ([]scan.Mode, map[scan.Mode]modeChoice) {
	_, d := dv.usable(optMode)
	if d == nil || d.Constraint != constraintStringList {
		return nil, nil
	}
	var order []scan.Mode
	choice := map[scan.Mode]modeChoice{}
	for _, s := range d.Strings {
		m, ok := classifyMode(s)
		if !ok {
			continue
		}
		if _, seen := choice[m]; seen {
			continue
		}
		c := modeChoice{value: s}
		if m != scan.BW {
			c.depth = 8
		}
		choice[m] = c
		order = append(order, m)
	}
	if _, ok := choice[scan.BW]; !ok {
		if g, ok := choice[scan.Gray]; ok && dv.depthAllows(1) {
			choice[scan.BW] = modeChoice{value: g.value, depth: 1}
			order = append(order, scan.BW)
		}
	}
	return order, choice
}

// depthAllows tells whether the depth option can be set to n.
func (dv *device) depthAllows(n int) bool {
	_, d := dv.lookup(optDepth)
	if d == nil || !d.settable() || d.Type != typeInt {
		return false
	}
	_, err := d.check(int32(n))
	return err == nil
}

// resolutionOption returns the option that sets the resolution: resolution,
// or x-resolution on backends that set the axes apart.
func (dv *device) resolutionOption() (int, *optDesc) {
	if i, d := dv.usable(optResolution); d != nil {
		return i, d
	}
	return dv.usable(optXResolution)
}

// usualResolutions are the steps listed within a resolution range: what
// scanners with a word list offer, and what people ask for.
var usualResolutions = []int{75, 100, 150, 200, 240, 300, 400, 600, 1200, 2400, 4800}

// resolutions lists what a resolution option offers, ascending: all of a
// word list; of a range, its ends and the usual steps within it.
func resolutions(d *optDesc) []int {
	var out []int
	switch d.Constraint {
	case constraintWordList:
		for _, w := range d.Words {
			out = append(out, int(math.Round(d.float(w))))
		}
	case constraintRange:
		lo, hi := int(math.Ceil(d.float(d.Min))), int(math.Floor(d.float(d.Max)))
		out = append(out, lo, hi)
		for _, r := range usualResolutions {
			w := d.word(float64(r))
			if r > lo && r < hi && (d.Quant <= 0 || (w-d.Min)%d.Quant == 0) {
				out = append(out, r)
			}
		}
	}
	out = slices.DeleteFunc(out, func(r int) bool { return r <= 0 })
	slices.Sort(out)
	return slices.Compact(out)
}

// extent returns the lowest and highest value a geometry option takes.
func extent(d *optDesc) (lo, hi float64, ok bool) {
	switch d.Constraint {
	case constraintRange:
		return d.float(d.Min), d.float(d.Max), true
	case constraintWordList:
		if len(d.Words) == 0 {
			return 0, 0, false
		}
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, w := range d.Words {
			lo, hi = min(lo, d.float(w)), max(hi, d.float(w))
		}
		return lo, hi, true
	}
	return 0, 0, false
}

// caps asks the device what each of its paper inputs can do, selecting
// each source in turn (resolutions and surface often differ between the
// glass and the feeder).
func (dv *device) caps() (scan.Caps, error) {
	var c scan.Caps
	si, src := dv.usable(optSource)
	if src == nil || src.Constraint != constraintStringList {
		c.Inputs = append(c.Inputs, dv.inputCaps(scan.Flatbed))
		return c, nil
	}
	seen := map[scan.Input]bool{}
	for _, s := range src.Strings {
		in, ok := classifySource(s)
		if !ok || seen[in] {
			continue
		}
		if err := dv.setStringAt(si, s); err != nil {
			continue // a source the backend lists but refuses is not one to offer
		}
		seen[in] = true
		c.Inputs = append(c.Inputs, dv.inputCaps(in))
		if si, src = dv.usable(optSource); src == nil {
			break
		}
	}
	if len(c.Inputs) == 0 {
		return c, fmt.Errorf("none of the scanner's sources (%s) is a flatbed or a document feeder", strings.Join(src.Strings, ", "))
	}
	return c, nil
}

func (dv *device) inputCaps(in scan.Input) scan.InputCaps {
	ic := scan.InputCaps{Input: in}
	if _, d := dv.resolutionOption(); d != nil {
		ic.Resolutions = resolutions(d)
	}
	ic.Modes, _ = dv.modes()
	for _, g := range []struct {
		name string
		dst  *float64
	}{{optBRX, &ic.MaxWidth}, {optBRY, &ic.MaxHeight}} {
		if _, d := dv.lookup(g.name); d != nil && d.Unit == unitMM {
			if _, hi, ok := extent(d); ok {
				*g.dst = hi
			}
		}
	}
	return ic
}

// longPaper is a surface height past which a device is in long-paper mode
// (sheet-fed scanners offer metres): scanning "the whole surface" there
// would give a page metres long, so demat asks for A4 as the scan.Area
// contract says.
const (
	longPaper = 1000.0
	a4Height  = 297.0
)

// configure sets the device up for a job: source, mode, depth, resolution
// and area from opt (empty fields resolved as scan.Options.WithDefaults
// does), then the device options in order. It returns the job as resolved.
func (dv *device) configure(opt scan.Options) (scan.Options, error) {
	if err := dv.configureSource(&opt); err != nil {
		return opt, err
	}
	if err := dv.configureMode(&opt); err != nil {
		return opt, err
	}
	if err := dv.configureResolution(&opt); err != nil {
		return opt, err
	}
	if err := dv.configureArea(opt); err != nil {
		return opt, err
	}
	for _, o := range opt.DeviceOptions {
		if err := dv.set(o.Name, o.Value); err != nil {
			return opt, err
		}
	}
	return opt, nil
}

func (dv *device) configureSource(opt *scan.Options) error {
	si, src := dv.usable(optSource)
	if src == nil || src.Constraint != constraintStringList {
		// Nothing to choose: the input only says whether to read one
		// page or until the feeder is empty.
		if opt.Input == "" {
			opt.Input = scan.Flatbed
		}
		return nil
	}
	var have []string
	for _, s := range src.Strings {
		in, ok := classifySource(s)
		if !ok {
			continue
		}
		have = append(have, fmt.Sprintf("%s (%q)", in, s))
		if opt.Input == "" {
			opt.Input = in
		}
		if in == opt.Input {
			return dv.setStringAt(si, s)
		}
	}
	if opt.Input == "" {
		return optionErrorf("none of the scanner's sources (%s) is a flatbed or a document feeder", strings.Join(src.Strings, ", "))
	}
	return optionErrorf("the scanner has no %s (its sources: %s)", opt.Input, strings.Join(have, ", "))
}

func (dv *device) configureMode(opt *scan.Options) error {
	mi, _ := dv.usable(optMode)
	order, choice := dv.modes()
	if mi < 0 || len(order) == 0 {
		if opt.Mode == "" {
			opt.Mode = scan.DefaultMode
		}
		return nil // a device without modes scans the way it scans
	}
	if opt.Mode == "" {
		opt.Mode = scan.DefaultMode
		if _, ok := choice[opt.Mode]; !ok {
			opt.Mode = order[0]
		}
	}
	c, ok := choice[opt.Mode]
	if !ok {
		have := make([]string, len(order))
		for i, m := range order {
			have[i] = string(m)
		}
		return optionErrorf("the scanner cannot scan in %s (it can: %s)", opt.Mode, strings.Join(have, ", "))
	}
	if err := dv.setStringAt(mi, c.value); err != nil {
		return err
	}
	if c.depth == 0 {
		return nil
	}
	di, d := dv.usable(optDepth)
	if d == nil {
		if c.depth == 1 {
			return optionErrorf("the scanner cannot scan in %s: its depth cannot be set to 1 bit", opt.Mode)
		}
		return nil
	}
	if _, err := d.check(int32(c.depth)); err != nil {
		if c.depth == 1 {
			return optionErrorf("the scanner cannot scan in %s: depth %v", opt.Mode, err)
		}
		return nil // 8 bits is a preference; 16 is reduced to 8 when read
	}
	return dv.setNumberAt(di, float64(c.depth))
}

func (dv *device) configureResolution(opt *scan.Options) error {
	ri, d := dv.resolutionOption()
	if d == nil {
		if opt.Resolution <= 0 {
			opt.Resolution = scan.DefaultResolution
		}
		return nil
	}
	allowed := resolutions(d)
	if opt.Resolution <= 0 {
		opt.Resolution = scan.InputCaps{Resolutions: allowed}.Nearest(scan.DefaultResolution)
		if d.Constraint == constraintRange {
			lo, hi := d.float(d.Min), d.float(d.Max)
			opt.Resolution = int(min(max(float64(scan.DefaultResolution), math.Ceil(lo)), math.Floor(hi)))
		}
	}
	if _, err := d.check(d.word(float64(opt.Resolution))); err != nil {
		return optionErrorf("the scanner cannot scan at %d dpi (it can: %s)", opt.Resolution, d.allowed())
	}
	if err := dv.setNumberAt(ri, float64(opt.Resolution)); err != nil {
		return err
	}
	if d.Name == optXResolution {
		if yi, yd := dv.usable(optYResolution); yd != nil {
			return dv.setNumberAt(yi, float64(opt.Resolution))
		}
	}
	return nil
}

// configureArea sets the scan area: the whole surface when opt.Area is
// zero (SANE backends default to some smaller area, the test backend to
// 80×100 mm), else the area asked for, refused when it leaves the surface.
func (dv *device) configureArea(opt scan.Options) error {
	type edge struct {
		name string
		i    int
		d    *optDesc
		lo   float64
		hi   float64
	}
	var edges [4]edge
	for k, name := range []string{optTLX, optTLY, optBRX, optBRY} {
		i, d := dv.usable(name)
		if d == nil || (d.Type != typeInt && d.Type != typeFixed) {
			return nil // no settable geometry (a hand scanner): the device decides
		}
		lo, hi, ok := extent(d)
		if !ok {
			return nil
		}
		edges[k] = edge{name, i, d, lo, hi}
	}
	tlx, tly, brx, bry := edges[0], edges[1], edges[2], edges[3]
	// mm converts millimetres to the option's unit.
	mm := func(e edge, v float64) float64 {
		if e.d.Unit == unitPixel {
			return v / 25.4 * float64(opt.Resolution)
		}
		return v
	}
	var want [4]float64
	if opt.Area.IsZero() {
		want = [4]float64{tlx.lo, tly.lo, brx.hi, bry.hi}
		if bry.d.Unit == unitMM && bry.hi-tly.lo > longPaper {
			want[3] = tly.lo + a4Height
		}
	} else {
		a := opt.Area
		want = [4]float64{mm(tlx, a.X), mm(tly, a.Y), mm(brx, a.X+a.Width), mm(bry, a.Y+a.Height)}
		for k, e := range edges {
			if want[k] < e.lo-1e-6 || want[k] > e.hi+1e-6 {
				return optionErrorf("the area %g,%g %g×%g mm does not fit on the scan surface (%s can be %s)",
					a.X, a.Y, a.Width, a.Height, e.name, e.d.allowed())
			}
		}
	}
	// Top-left to its lowest first, so that no backend sees a bottom-right
	// above the top-left while the area moves.
	for _, e := range []edge{tlx, tly} {
		if err := dv.setNumberAt(e.i, e.lo); err != nil {
			return err
		}
	}
	for _, s := range []struct {
		e edge
		v float64
	}{{brx, want[2]}, {bry, want[3]}, {tlx, want[0]}, {tly, want[1]}} {
		if err := dv.setNumberAt(s.e.i, clampQuant(s.e.d, s.v)); err != nil {
			return err
		}
	}
	return nil
}

// clampQuant keeps v within a range option and on its steps, so that
// "the whole surface" of a range with a quant always passes check.
func clampQuant(d *optDesc, v float64) float64 {
	if d.Constraint != constraintRange {
		return v
	}
	w := min(max(d.word(v), d.Min), d.Max)
	if d.Quant > 0 {
		w = d.Min + (w-d.Min)/d.Quant*d.Quant
	}
	return d.float(w)
}

// resolutionSet reads back the resolution the device will scan at, which
// may differ from the one asked for (SANE_INFO_INEXACT).
func (dv *device) resolutionSet() (x, y float64) {
	x, okx := dv.number(optXResolution)
	y, oky := dv.number(optYResolution)
	r, ok := dv.number(optResolution)
	if !okx {
		x, okx = r, ok
	}
	if !oky {
		y, oky = r, ok
	}
	if !okx || !oky {
		return 0, 0
	}
	return x, y
}

// isOptionError tells whether err is demat's refusal of a setting.
func isOptionError(err error) bool {
	var oe *optionError
	return errors.As(err, &oe)
}
