package receipt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/demat-app/demat/internal/typeset"
)

// Prefix starts every receipt payload and names its version: a change of
// meaning takes DEMATR2.
const Prefix = "DEMATR1"

// maxNumber bounds the registration number in a payload: beyond it the
// QR code's modules get too small to print on a receipt printer.
const maxNumber = 80

// Payload is what a receipt's QR code says: the registered item and the
// desk's signature over it. As text:
//
//	DEMATR1;n=<number>;t=<RFC 3339 UTC>;h=<SHA-256, 64 hex>;p=<pages>;k=<key>;s=<signature>
//
// k is the first 12 bytes of the SHA-256 of the desk certificate's DER,
// base64url: it names the certificate, which is too big to carry. s is
// the base64url signature, with SHA-256, over the text before ";s="
// (ECDSA as r‖s, each the curve's size, not DER: 64 bytes for P-256;
// RSA PKCS #1 v1.5). The number is percent-encoded where it holds '%',
// ';', '=', a space or anything outside printable ASCII, so the text is
// ASCII and splits on ';'. Fields come in this order, so the signed text
// is exactly the one printed; readers refuse unknown fields.
type Payload struct {
	// Number is the registration number.
	Number string
	// Time is when the item was registered, to the second.
	Time time.Time
	// SHA256 is the registered PDF's SHA-256.
	SHA256 [sha256.Size]byte
	// Pages is the registered PDF's page count.
	Pages int
	// Key names the signing certificate (KeyID).
	Key string
	// Sig is the signature over Signed().
	Sig []byte
}

// KeyID is how a payload names a certificate: the first 12 bytes of the
// SHA-256 of its DER, base64url (96 bits: no two desks' certificates
// collide by chance, and the verifier checks the signature anyway).
func KeyID(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Fingerprint is a certificate's SHA-256 fingerprint as people compare
// them: upper-case hex pairs separated by colons.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// Signed is the text the signature covers: the payload up to ";s=".
func (p Payload) Signed() string {
	return fmt.Sprintf("%s;n=%s;t=%s;h=%s;p=%d;k=%s", Prefix, typeset.QRField(p.Number), p.Time.UTC().Format(time.RFC3339),
		hex.EncodeToString(p.SHA256[:]), p.Pages, p.Key)
}

// String is the QR code's text.
func (p Payload) String() string {
	return p.Signed() + ";s=" + base64.RawURLEncoding.EncodeToString(p.Sig)
}

// Sign fills p's Key and Sig with the desk's key and certificate. The
// time is kept to the second, as printed.
func Sign(p Payload, key crypto.Signer, cert *x509.Certificate) (Payload, error) {
	if p.Number == "" || len(p.Number) > maxNumber {
		return p, fmt.Errorf("receipt: registration number %q: want 1 to %d bytes", p.Number, maxNumber)
	}
	p.Time = p.Time.UTC().Truncate(time.Second)
	p.Key = KeyID(cert)
	digest := sha256.Sum256([]byte(p.Signed()))
	var opts crypto.SignerOpts = crypto.SHA256
	if _, ok := cert.PublicKey.(ed25519.PublicKey); ok {
		return p, errors.New("receipt: Ed25519 keys are not supported: use an ECDSA or RSA certificate")
	}
	sig, err := key.Sign(rand.Reader, digest[:], opts)
	if err != nil {
		return p, fmt.Errorf("receipt: sign the payload: %w", err)
	}
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		if sig, err = rawECDSA(sig, (pub.Curve.Params().BitSize+7)/8); err != nil {
			return p, err
		}
	}
	p.Sig = sig
	if err := p.Verify(cert); err != nil {
		return p, fmt.Errorf("receipt: the key does not match the certificate: %w", err)
	}
	return p, nil
}

// rawECDSA turns an ASN.1 ECDSA signature into r‖s, each size bytes: 8
// bytes fewer in the QR code, and a fixed length.
func rawECDSA(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("receipt: the key gave an ECDSA signature that is not ASN.1: %v", err)
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// ErrSignature is the error of a payload whose signature does not check:
// the receipt was altered, or not made with this certificate.
var ErrSignature = errors.New("the signature does not match: the receipt was altered, or was not signed with this certificate")

// Verify checks p's signature with cert (which p must name).
func (p Payload) Verify(cert *x509.Certificate) error {
	if p.Key != KeyID(cert) {
		return fmt.Errorf("receipt: signed by certificate %s, not %s", p.Key, KeyID(cert))
	}
	digest := sha256.Sum256([]byte(p.Signed()))
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(p.Sig) != 2*size {
			return ErrSignature
		}
		r, s := new(big.Int).SetBytes(p.Sig[:size]), new(big.Int).SetBytes(p.Sig[size:])
		if !ecdsa.Verify(pub, digest[:], r, s) {
			return ErrSignature
		}
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], p.Sig) != nil {
			return ErrSignature
		}
	default:
		return fmt.Errorf("receipt: certificate key %T is not supported", pub)
	}
	return nil
}

// Parse reads a payload's text, as String writes it. It checks the form,
// not the signature (Verify does).
func Parse(s string) (Payload, error) {
	var p Payload
	s = strings.TrimSpace(s)
	fields := strings.Split(s, ";")
	if fields[0] != Prefix {
		return p, fmt.Errorf("receipt: QR code %.40q is not a demat receipt's (it does not start with %s;)", s, Prefix)
	}
	want := []string{"n", "t", "h", "p", "k", "s"}
	if len(fields) != len(want)+1 {
		return p, fmt.Errorf("receipt: QR code: want the fields %s, got %d fields", strings.Join(want, ", "), len(fields)-1)
	}
	for i, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		if k != want[i] {
			return p, fmt.Errorf("receipt: QR code: field %d is %q, want %q", i+1, k, want[i])
		}
		var err error
		switch k {
		case "n":
			p.Number, err = url.PathUnescape(v)
			if err == nil && (p.Number == "" || len(p.Number) > maxNumber) {
				err = errors.New("empty or too long")
			}
		case "t":
			p.Time, err = time.Parse(time.RFC3339, v)
		case "h":
			var b []byte
			b, err = hex.DecodeString(v)
			if err == nil && len(b) != sha256.Size {
				err = errors.New("not 64 hex digits")
			}
			copy(p.SHA256[:], b)
		case "p":
			p.Pages, err = strconv.Atoi(v)
			if err == nil && p.Pages < 0 {
				err = errors.New("negative")
			}
		case "k":
			p.Key = v
			if len(v) != 16 {
				err = errors.New("not a certificate's key id")
			}
		case "s":
			p.Sig, err = base64.RawURLEncoding.DecodeString(v)
		}
		if err != nil {
			return p, fmt.Errorf("receipt: QR code: %s=%.40q: %v", k, v, err)
		}
	}
	// The signed text must be the one read, byte for byte: a payload
	// that says the same in another spelling is not the one signed.
	if got := p.Signed(); got != s[:strings.LastIndex(s, ";s=")] {
		return p, fmt.Errorf("receipt: QR code: not in canonical form")
	}
	return p, nil
}
