package stamp

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/demat-app/demat/internal/typeset"
)

// PayloadPrefix starts every stamp's QR code and names its version: a
// change of meaning takes DEMATS2.
const PayloadPrefix = "DEMATS1"

// Payload is what a stamp's QR code says, as text:
//
//	DEMATS1;n=<number>;t=<RFC 3339 UTC, or YYYY-MM-DD>
//
// It is not signed, unlike a receipt's (DEMATR1): a stamp is inside the
// document it stamps, whose PAdES signature covers it, and a signature
// over the document's hash cannot sit inside that document. It is a
// handle to the register: a clerk's reader or phone gives the number to
// look up (demat register show), and the time tells a copy stamped
// again from the original. The number is percent-encoded as in a
// receipt's payload ('%', ';', '=', spaces and anything outside
// printable ASCII), so the text is ASCII and splits on ';'.
type Payload struct {
	Number string
	// Time is when the item was received, to the second.
	Time time.Time
	// DateOnly says that only Time's day is known, in Time's zone.
	DateOnly bool
}

// String is the QR code's text.
func (p Payload) String() string {
	t := p.Time.UTC().Format(time.RFC3339)
	if p.DateOnly {
		t = p.Time.Format(time.DateOnly)
	}
	return fmt.Sprintf("%s;n=%s;t=%s", PayloadPrefix, typeset.QRField(p.Number), t)
}

// ParsePayload reads a stamp's QR code text, as String writes it.
func ParsePayload(s string) (Payload, error) {
	var p Payload
	f := strings.Split(strings.TrimSpace(s), ";")
	if f[0] != PayloadPrefix {
		return p, fmt.Errorf("stamp: QR code %.40q is not a demat stamp's (it does not start with %s;)", s, PayloadPrefix)
	}
	if len(f) != 3 || !strings.HasPrefix(f[1], "n=") || !strings.HasPrefix(f[2], "t=") {
		return p, errors.New("stamp: QR code: want the fields n and t")
	}
	var err error
	if p.Number, err = url.PathUnescape(f[1][2:]); err != nil || p.Number == "" {
		return p, fmt.Errorf("stamp: QR code: number %.40q: empty or badly encoded", f[1][2:])
	}
	t := f[2][2:]
	if p.Time, err = time.Parse(time.RFC3339, t); err != nil {
		if p.Time, err = time.Parse(time.DateOnly, t); err != nil {
			return p, fmt.Errorf("stamp: QR code: time %.40q: want RFC 3339 or YYYY-MM-DD", t)
		}
		p.DateOnly = true
	}
	return p, nil
}
