package typeset

import (
	"fmt"
	"strings"
)

// QRField percent-encodes a value (a registration number) for a demat QR
// code's key=value fields, which ';' and '=' separate: those, '%',
// spaces, control characters and non-ASCII bytes are written %XX, so the
// payload stays unambiguous and plain ASCII. url.PathUnescape reads it
// back.
func QRField(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("%;=", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
