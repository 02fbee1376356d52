package sane

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The SANE option model, in Go: what libsane_cgo.go copies out of each
// SANE_Option_Descriptor, so that choosing and checking values is pure Go
// and tested without a scanner. The numbers are the C ones (sane.h).

type optType int

const (
	typeBool   optType = 0
	typeInt    optType = 1
	typeFixed  optType = 2
	typeString optType = 3
	typeButton optType = 4
	typeGroup  optType = 5
)

type optUnit int

const (
	unitNone        optUnit = 0
	unitPixel       optUnit = 1
	unitBit         optUnit = 2
	unitMM          optUnit = 3
	unitDPI         optUnit = 4
	unitPercent     optUnit = 5
	unitMicrosecond optUnit = 6
)

func (u optUnit) String() string {
	return [...]string{"", "px", "bit", "mm", "dpi", "%", "µs"}[min(max(int(u), 0), 6)]
}

type constraintKind int

const (
	constraintNone       constraintKind = 0
	constraintRange      constraintKind = 1
	constraintWordList   constraintKind = 2
	constraintStringList constraintKind = 3
)

// Capability bits and control_option info bits.
const (
	capSoftSelect = 1 << 0
	capAutomatic  = 1 << 4
	capInactive   = 1 << 5

	infoInexact       = 1 << 0
	infoReloadOptions = 1 << 1
)

// fixedScale is SANE_FIX's 1<<16.
const fixedScale = 65536

// optDesc is one SANE_Option_Descriptor. Range bounds and word lists hold
// SANE words: plain integers for int options, 16.16 fixed point for fixed
// ones.
type optDesc struct {
	Name, Title string
	Type        optType
	Unit        optUnit
	Size        int // bytes
	Cap         int
	Constraint  constraintKind
	Min, Max    int32
	Quant       int32
	Words       []int32
	Strings     []string
}

func (d *optDesc) active() bool   { return d.Cap&capInactive == 0 }
func (d *optDesc) settable() bool { return d.Cap&capSoftSelect != 0 }

// count is how many words the option's value holds (arrays hold several).
func (d *optDesc) count() int {
	switch d.Type {
	case typeBool, typeInt, typeFixed:
		return max(d.Size/4, 1)
	}
	return 0
}

// float turns a word of this option into a number.
func (d *optDesc) float(w int32) float64 {
	if d.Type == typeFixed {
		return float64(w) / fixedScale
	}
	return float64(w)
}

// word turns a number into a word of this option, rounding.
func (d *optDesc) word(f float64) int32 {
	if d.Type == typeFixed {
		f *= fixedScale
	}
	return int32(math.Round(f))
}

// format writes a word the way scanimage shows it, with the unit; fixed
// values to 4 decimals, the precision of 16.16 (SANE_FIX(215.9) is
// 215.89999…).
func (d *optDesc) format(w int32) string {
	v := d.float(w)
	if d.Type == typeFixed {
		v = math.Round(v*1e4) / 1e4
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + d.Unit.String()
}

// allowed describes the constraint for an error message.
func (d *optDesc) allowed() string {
	switch d.Constraint {
	case constraintRange:
		s := d.format(d.Min) + ".." + d.format(d.Max)
		if d.Quant > 0 && d.float(d.Quant) != 1 {
			s += " in steps of " + d.format(d.Quant)
		}
		return s
	case constraintWordList:
		vs := make([]string, len(d.Words))
		for i, w := range d.Words {
			vs[i] = d.format(w)
		}
		return strings.Join(vs, ", ")
	case constraintStringList:
		return strings.Join(d.Strings, ", ")
	}
	switch d.Type {
	case typeBool:
		return "yes, no"
	case typeInt:
		return "whole numbers"
	case typeFixed:
		return "numbers"
	}
	return "any text"
}

// check tells whether w satisfies the constraint, and returns the word to
// set: for a word list of a fixed option, the list's own word nearest to w
// (SANE_FIX truncates where strconv rounds, so 12.1 is not bit for bit the
// backend's 12.1).
func (d *optDesc) check(w int32) (int32, error) {
	switch d.Constraint {
	case constraintRange:
		if w < d.Min || w > d.Max {
			return w, fmt.Errorf("%s is out of range (allowed: %s)", d.format(w), d.allowed())
		}
	case constraintWordList:
		for _, x := range d.Words {
			if x == w || (d.Type == typeFixed && abs64(int64(x)-int64(w)) <= 1) {
				return x, nil
			}
		}
		return w, fmt.Errorf("%s is not one of the allowed values (%s)", d.format(w), d.allowed())
	}
	return w, nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// matchString returns the string of the list equal to s ignoring case, as
// the device spells it.
func (d *optDesc) matchString(s string) (string, bool) {
	for _, x := range d.Strings {
		if x == s {
			return x, true
		}
	}
	for _, x := range d.Strings {
		if strings.EqualFold(x, s) {
			return x, true
		}
	}
	return "", false
}

// unitFactors are the suffixes a number may carry, per unit, with what they
// multiply it by (scanimage takes "210mm", "21cm", "300dpi").
var unitFactors = map[optUnit]map[string]float64{
	unitMM:          {"mm": 1, "cm": 10, "in": 25.4, `"`: 25.4},
	unitDPI:         {"dpi": 1},
	unitPercent:     {"%": 1},
	unitMicrosecond: {"us": 1, "µs": 1},
	unitPixel:       {"pel": 1, "px": 1},
	unitBit:         {"bit": 1, "b": 1},
}

// parseNumber reads one number of this option, with an optional unit.
func (d *optDesc) parseNumber(s string) (int32, error) {
	s = strings.TrimSpace(s)
	factor := 1.0
	for suffix, f := range unitFactors[d.Unit] {
		if len(s) > len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
			s, factor = strings.TrimSpace(s[:len(s)-len(suffix)]), f
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && d.Type == typeInt {
		// 0x… and 0… as scanimage's strtol takes them.
		if i, ierr := strconv.ParseInt(s, 0, 32); ierr == nil {
			f, err = float64(i), nil
		}
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	f *= factor
	if d.Type == typeInt && f != math.Trunc(f) {
		return 0, fmt.Errorf("%g is not a whole number", f)
	}
	limit := float64(math.MaxInt32)
	if d.Type == typeFixed {
		limit /= fixedScale
	}
	if math.Abs(f) > limit {
		return 0, fmt.Errorf("%g is too large", f)
	}
	return d.word(f), nil
}

// parseBool reads a bool value as scanimage does, and a bare name as yes.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "yes", "y", "true", "on", "1":
		return true, nil
	case "no", "n", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither yes nor no", s)
}
