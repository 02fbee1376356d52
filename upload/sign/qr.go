package sign

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/demat-app/demat/internal/typeset"
)

// QR is what a signature block's QR code says: the SHA-256 and the length
// of the document as it was before the signature (the unsigned file, which
// is the first Length bytes of the signed one), and the registration
// number. As text:
//
//	DEMAT1;sha256=<64 lower-case hex digits>;len=<decimal bytes>[;reg=<number>]
//
// The registration number is percent-encoded (RFC 3986) where it holds
// '%', ';', '=', parentheses, a backslash, a space or anything outside
// printable ASCII (as UTF-8 bytes): the text is ASCII, splits on ';' and
// goes into a PDF string as it is. Readers ignore fields they do not
// know, so later versions may add some; a change of meaning takes DEMAT2.
//
// Anyone can check a printed block against a signed file without demat:
// head -c LEN signed.pdf | sha256sum gives the QR code's hash.
type QR struct {
	SHA256       [sha256.Size]byte
	Length       int64
	Registration string
}

// qrPrefix starts every demat QR code, and names its version.
const qrPrefix = "DEMAT1"

// maxRegistration bounds the registration number in the QR code: beyond
// it, the code's modules get too small to print and read back.
const maxRegistration = 120

// String gives the QR code's text.
func (q QR) String() string {
	s := fmt.Sprintf("%s;sha256=%s;len=%d", qrPrefix, hex.EncodeToString(q.SHA256[:]), q.Length)
	if q.Registration != "" {
		s += ";reg=" + escapeQR(q.Registration)
	}
	return s
}

// ParseQR reads a QR code's text, as String writes it.
func ParseQR(s string) (QR, error) {
	var q QR
	fields := strings.Split(strings.TrimSpace(s), ";")
	if fields[0] != qrPrefix {
		return q, fmt.Errorf("sign: QR code %.40q is not a demat signature block's (it does not start with %s;)", s, qrPrefix)
	}
	var hasHash, hasLen bool
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "sha256":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return q, fmt.Errorf("sign: QR code: sha256 %.70q is not 64 hex digits", v)
			}
			copy(q.SHA256[:], b)
			hasHash = true
		case "len":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return q, fmt.Errorf("sign: QR code: len %.30q is not a size", v)
			}
			q.Length, hasLen = n, true
		case "reg":
			r, err := url.PathUnescape(v)
			if err != nil {
				return q, fmt.Errorf("sign: QR code: reg %.40q: %v", v, err)
			}
			q.Registration = r
		}
	}
	if !hasHash || !hasLen {
		return q, errors.New("sign: QR code: no sha256 or no len")
	}
	return q, nil
}

// escapeQR percent-encodes what would make a registration number
// ambiguous or non-ASCII in the QR code's text.
func escapeQR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("%;=()\\", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// qrModules encodes text as a QR code and gives its modules, true for
// dark, row by row from the top (see typeset.QR).
func qrModules(text string) ([][]bool, error) {
	m, err := typeset.QR(text)
	if err != nil {
		return nil, fmt.Errorf("sign: signature block: %w", err)
	}
	return m, nil
}
