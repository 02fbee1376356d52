package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
)

// Errors a caller can test with errors.Is to tell the person what to do. The
// returned errors wrap them with the file or token involved and a sentence
// saying what to do; they never contain a passphrase or a PIN.
var (
	// ErrWrongPassphrase is a PKCS#12 passphrase that does not open the file.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrNotPKCS12 is a file that is not PKCS#12 at all (a PEM file, a
	// picture, a truncated download).
	ErrNotPKCS12 = errors.New("not a PKCS#12 file")
	// ErrNoKey is a PKCS#12 file with no private key (a certificate-only
	// export), or a token without the private key the URI names.
	ErrNoKey = errors.New("no private key")
	// ErrNoCertificate is a private key whose certificate is not next to it.
	ErrNoCertificate = errors.New("no certificate for the key")
	// ErrUnsupportedKey is a key demat cannot sign PAdES with (Ed25519, DSA,
	// RSA under 2048 bits, an uncommon curve).
	ErrUnsupportedKey = errors.New("unsupported key")
	// ErrWrongPIN is a PIN the token refused. Tokens lock after a few wrong
	// tries, so a caller must not retry it on its own.
	ErrWrongPIN = errors.New("wrong PIN")
	// ErrPINLocked is a token whose user PIN is blocked after too many wrong
	// tries; only its administrator (with the PUK or SO PIN) can unblock it.
	ErrPINLocked = errors.New("PIN locked")
	// ErrNoToken is a token that is not there (card not inserted, other
	// label), or that went away while a Key was open.
	ErrNoToken = errors.New("token not present")
	// ErrNoModule is a PKCS#11 module (the token's driver library) that
	// cannot be found or loaded.
	ErrNoModule = errors.New("no PKCS#11 module")
	// ErrNoCgo is OpenToken in a build without cgo, which cannot load a
	// PKCS#11 module.
	ErrNoCgo = errors.New("built without cgo")
)

// Key is a signing key and its certificate chain, from a PKCS#12 file or a
// PKCS#11 token.
//
// Signer is safe for concurrent use: a file key is a Go private key, and a
// token key serialises its signatures on one PKCS#11 session (a session
// cannot run two operations at once, and a token signs one thing at a time
// anyway). After Close, a token Signer returns an error.
type Key struct {
	// Signer signs digests; its Public key is Certificate's.
	Signer crypto.Signer
	// Certificate is the signer's certificate.
	Certificate *x509.Certificate
	// Chain holds the issuers of Certificate that the file or token carries,
	// nearest first (the issuing CA, then its issuer…), as far as they go; it
	// may be empty. Certificates that are not issuers of Certificate are left
	// out: a CMS signature should carry the signer's path, not strangers.
	Chain []*x509.Certificate
	// Label names the key in messages and is the default credential name:
	// the file's base name ("agent.p12") or the token's label ("demat").
	Label string

	close func() error
}

// Close releases the key: for a token it ends the session, logs out when it
// was the last Key open on that token, and unloads the module when it was the
// last Key using it. For a file it does nothing. Close may be called more
// than once, from any goroutine; a Sign in progress finishes first.
func (k *Key) Close() error {
	if k == nil || k.close == nil {
		return nil
	}
	return k.close()
}

// minRSABits is the smallest RSA key accepted: ETSI TS 119 312 retired
// 1024-bit RSA for signatures, and validators reject it.
const minRSABits = 2048

// checkSupported returns an ErrUnsupportedKey error for a public key demat
// cannot produce an acceptable PAdES signature with.
func checkSupported(pub crypto.PublicKey) error {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < minRSABits {
			return fmt.Errorf("%w: RSA key of %d bits, %d at least are needed; ask for a new certificate with a stronger key", ErrUnsupportedKey, pub.N.BitLen(), minRSABits)
		}
		return nil
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("%w: ECDSA on curve %s; use an RSA key or ECDSA on P-256 or P-384", ErrUnsupportedKey, pub.Curve.Params().Name)
	default:
		return fmt.Errorf("%w: %T keys cannot sign PAdES here; use an RSA key or ECDSA on P-256 or P-384", ErrUnsupportedKey, pub)
	}
}

// samePublicKey reports whether a and b are the same public key.
func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// issuerChain returns the issuers of leaf found among pool, nearest first. An
// issuer must have the leaf's issuer name as subject and a key that verifies
// the leaf's signature (names alone are ambiguous after a CA renewal). It
// stops at a self-signed certificate or when no issuer is found.
func issuerChain(leaf *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	used := make([]bool, len(pool))
	cur := leaf
	for len(chain) < len(pool) {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) && cur.CheckSignature(cur.SignatureAlgorithm, cur.RawTBSCertificate, cur.Signature) == nil {
			break
		}
		next := -1
		for i, c := range pool {
			if used[i] || c.Equal(cur) || c.Equal(leaf) || !bytes.Equal(c.RawSubject, cur.RawIssuer) {
				continue
			}
			if c.CheckSignature(cur.SignatureAlgorithm, cur.RawTBSCertificate, cur.Signature) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		chain = append(chain, pool[next])
		cur = pool[next]
	}
	return chain
}
