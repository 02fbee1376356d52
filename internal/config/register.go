package config

import "fmt"

// Register is the [register] table: how registration numbers are
// written. The numbering itself (one gapless sequence per register and
// year) is not configurable; only its spelling is.
//
//	[register]
//	format = "AJR/{year}/{code}/{seq:6}"
//	service = "Bureau d'ordre — Direction X"
//	certificate = "desk"
//	[register.codes]
//	incoming = "A"
//	outgoing = "D"
//	internal = "I"
type Register struct {
	// Format is the number's template: {year} (2026), {yy} (26), {code}
	// (the register's code), {register} (incoming, outgoing, internal),
	// {seq} or {seq:N} (the sequence, zero-padded to N digits). Empty
	// for the default, "{year}/{code}/{seq:6}".
	Format string `toml:"format"`
	// Codes are the registers' codes for {code}; empty ones default to
	// A (arrivée), D (départ) and I (interne).
	Codes RegisterCodes `toml:"codes"`
	// Service names the desk on its depositors' receipts and arrival
	// stamps ("Bureau d'ordre — Direction X"); empty prints none.
	Service string `toml:"service"`
	// Certificate signs the depositors' receipts: a name from
	// [certificates], a PKCS#12 file or a pkcs11: URI, as --cert takes
	// them. Empty: the one --sign gives, else --cert must be given.
	Certificate string `toml:"certificate"`
	// Numbering says who gives the numbers: "local" (or empty), the
	// register's own gapless sequence; "server", the server a registered
	// document is delivered to (a target with number_header or
	// number_json), the local number then being provisional until the
	// delivery's answer gives the server's.
	Numbering string `toml:"numbering"`
}

// CheckNumbering says what is wrong with the numbering setting.
func (r Register) CheckNumbering() error {
	switch r.Numbering {
	case "", "local", "server":
		return nil
	}
	return fmt.Errorf("[register] numbering %q: want local (the register's own numbers) or server (the numbers the target's server gives)", r.Numbering)
}

// RegisterCodes are the registers' short codes.
type RegisterCodes struct {
	Incoming string `toml:"incoming"`
	Outgoing string `toml:"outgoing"`
	Internal string `toml:"internal"`
}
