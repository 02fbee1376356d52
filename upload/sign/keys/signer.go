//go:build cgo

package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"sync"

	"github.com/miekg/pkcs11"
)

// secret is a PIN kept in memory; it prints and logs as REDACTED so a stray
// %v or slog call cannot leak it.
type secret string

func (secret) String() string       { return "REDACTED" }
func (secret) GoString() string     { return "REDACTED" }
func (secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// tokenSigner is a crypto.Signer whose private key stays on a PKCS#11 token.
// mu serialises its use of the session: a PKCS#11 session runs one operation
// at a time, and SignInit/Sign (and the per-signature login of
// CKA_ALWAYS_AUTHENTICATE keys) must not interleave.
type tokenSigner struct {
	mu         sync.Mutex
	ctx        *pkcs11.Ctx
	session    pkcs11.SessionHandle
	slot       uint
	key        pkcs11.ObjectHandle
	pub        crypto.PublicKey
	alwaysAuth bool
	pin        secret
	desc       string
	closed     bool
}

var _ crypto.Signer = (*tokenSigner)(nil)

// Public returns the public key of the key's certificate.
func (s *tokenSigner) Public() crypto.PublicKey { return s.pub }

// String names the key without its internals (the session, the PIN).
func (s *tokenSigner) String() string { return s.desc }

// LogValue logs the key by name.
func (s *tokenSigner) LogValue() slog.Value { return slog.StringValue(s.desc) }

// Sign signs digest, the hash of the message computed with opts.HashFunc
// (SHA-256, SHA-384 or SHA-512), as crypto.Signer requires. RSA keys give a
// PKCS#1 v1.5 signature, or PSS when opts is *rsa.PSSOptions; ECDSA keys give
// an ASN.1 DER signature, like ecdsa.PrivateKey. rand is not used: the token
// has its own.
func (s *tokenSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil {
		return nil, fmt.Errorf("keys: sign with %s: no hash given; pass the digest's hash (crypto.SHA256…) as opts", s.desc)
	}
	h := opts.HashFunc()
	if _, ok := pkcs11Hashes[h]; !ok {
		return nil, fmt.Errorf("keys: sign with %s: %v digests are not supported; use SHA-256, SHA-384 or SHA-512", s.desc, h)
	}
	if len(digest) != h.Size() {
		return nil, fmt.Errorf("keys: sign with %s: the digest has %d bytes, a %v digest has %d; pass the hash of the data, not the data", s.desc, len(digest), h, h.Size())
	}
	mech, input, err := s.mechanism(digest, opts)
	if err != nil {
		return nil, fmt.Errorf("keys: sign with %s: %w", s.desc, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("keys: sign with %s: the key is closed; open it again", s.desc)
	}
	if err := s.ctx.SignInit(s.session, mech, s.key); err != nil {
		return nil, fmt.Errorf("keys: sign with %s: %w", s.desc, signError(err))
	}
	if s.alwaysAuth {
		if err := s.ctx.Login(s.session, pkcs11.CKU_CONTEXT_SPECIFIC, string(s.pin)); err != nil {
			// A failed C_Sign ends the pending operation; without it the
			// session would refuse every later SignInit.
			_, _ = s.ctx.Sign(s.session, input)
			var flags uint
			if info, ierr := s.ctx.GetTokenInfo(s.slot); ierr == nil {
				flags = info.Flags
			}
			return nil, loginError(err, flags, s.desc)
		}
	}
	sig, err := s.ctx.Sign(s.session, input)
	if err != nil {
		return nil, fmt.Errorf("keys: sign with %s: %w", s.desc, signError(err))
	}
	if _, ok := s.pub.(*ecdsa.PublicKey); ok {
		return ecdsaDER(sig)
	}
	return sig, nil
}

// pkcs11Hashes maps a hash to its PKCS#11 mechanism and MGF1 for PSS.
var pkcs11Hashes = map[crypto.Hash][2]uint{
	crypto.SHA256: {pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256},
	crypto.SHA384: {pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384},
	crypto.SHA512: {pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512},
}

// digestInfoPrefixes are the DER DigestInfo headers (RFC 8017 §9.2 note 1)
// that CKM_RSA_PKCS needs in front of the digest: the raw mechanism is the
// one every token has, where CKM_SHA256_RSA_PKCS would hash again.
var digestInfoPrefixes = map[crypto.Hash][]byte{
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// mechanism returns the PKCS#11 mechanism and the input for signing digest
// with opts.
func (s *tokenSigner) mechanism(digest []byte, opts crypto.SignerOpts) ([]*pkcs11.Mechanism, []byte, error) {
	h := opts.HashFunc()
	switch pub := s.pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			salt := pss.SaltLength
			switch salt {
			case rsa.PSSSaltLengthEqualsHash:
				salt = h.Size()
			case rsa.PSSSaltLengthAuto:
				// As rsa.SignPSS does: the largest salt that fits.
				salt = (pub.N.BitLen()-1+7)/8 - 2 - h.Size()
			}
			if salt < 0 {
				return nil, nil, fmt.Errorf("PSS salt length %d is invalid for this key", pss.SaltLength)
			}
			p := pkcs11Hashes[h]
			return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(p[0], p[1], uint(salt)))}, digest, nil
		}
		in := append(append([]byte(nil), digestInfoPrefixes[h]...), digest...)
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)}, in, nil
	case *ecdsa.PublicKey:
		if _, ok := opts.(*rsa.PSSOptions); ok {
			return nil, nil, errors.New("PSS options with an ECDSA key; pass the hash alone")
		}
		// ECDSA signs the leftmost bits of a digest longer than the curve's
		// order (SEC 1 §4.1.3); tokens differ in whether they cut it
		// themselves, so cut it here. The curves supported are byte-sized
		// except P-521, whose 66 bytes are longer than any digest.
		if n := (pub.Curve.Params().BitSize + 7) / 8; len(digest) > n {
			digest = digest[:n]
		}
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}, digest, nil
	}
	return nil, nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, s.pub)
}

// ecdsaDER turns the r‖s a token returns into the ASN.1 form Go, CMS and
// X.509 use.
func ecdsaDER(raw []byte) ([]byte, error) {
	if len(raw) == 0 || len(raw)%2 != 0 {
		return nil, fmt.Errorf("keys: the token returned an ECDSA signature of %d bytes, which cannot be r‖s", len(raw))
	}
	n := len(raw) / 2
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:n]), new(big.Int).SetBytes(raw[n:])})
}

// signError explains the failures of SignInit and Sign.
func signError(err error) error {
	switch {
	case isRV(err, pkcs11.CKR_MECHANISM_INVALID), isRV(err, pkcs11.CKR_MECHANISM_PARAM_INVALID):
		return fmt.Errorf("%w: the token cannot make this kind of signature; choose PKCS#1 v1.5 instead of PSS, or another hash", err)
	case isRV(err, pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED), isRV(err, pkcs11.CKR_KEY_TYPE_INCONSISTENT):
		return fmt.Errorf("%w: the token does not allow this key to sign; pick its signing key (object= or id=)", err)
	}
	return tokenError(err)
}
