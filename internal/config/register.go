package config

// Register is the [register] table: how registration numbers are
// written. The numbering itself (one gapless sequence per register and
// year) is not configurable; only its spelling is.
//
//	[register]
//	format = "AJR/{year}/{code}/{seq:6}"
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
}

// RegisterCodes are the registers' short codes.
type RegisterCodes struct {
	Incoming string `toml:"incoming"`
	Outgoing string `toml:"outgoing"`
	Internal string `toml:"internal"`
}
