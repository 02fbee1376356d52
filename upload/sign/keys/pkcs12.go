package keys

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"software.sslmate.com/src/go-pkcs12"
)

// maxPKCS12Size bounds what LoadPKCS12 reads: a key and a long chain take a
// few kilobytes, so anything bigger is the wrong file, not a PKCS#12.
const maxPKCS12Size = 1 << 20

// LoadPKCS12 reads a PKCS#12 file (.p12, .pfx) and opens it with passphrase.
//
// It reads what OpenSSL 3 writes by default (AES-256-CBC with PBKDF2 and an
// HMAC-SHA-256 MAC) as well as the legacy files (3DES, RC2-40, SHA-1 MAC) that
// older OpenSSL, Windows and Java exports produce. The file must hold exactly
// one private key and its certificate; the other certificates that are the
// certificate's issuers become the Chain. The leaf is found by matching the
// key, not by position, since exporters do not agree on the order.
//
// A wrong passphrase is an error wrapping ErrWrongPassphrase; a file that is
// not PKCS#12 wraps ErrNotPKCS12; a file without a key wraps ErrNoKey. The
// passphrase never appears in an error. The returned Key's Close does
// nothing and its Signer is safe for concurrent use.
func LoadPKCS12(path string, passphrase string) (*Key, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w; check the key file's path", err)
	}
	defer f.Close()
	data, err := readAtMost(f, maxPKCS12Size)
	if err != nil {
		return nil, fmt.Errorf("keys: read %s: %w", path, err)
	}
	if err := sniffPKCS12(data); err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}

	priv, cert, others, err := pkcs12.DecodeChain(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, pkcs12Error(err))
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("keys: %s: %w: %T keys cannot sign; use an RSA key or ECDSA on P-256 or P-384", path, ErrUnsupportedKey, priv)
	}
	if err := checkSupported(signer.Public()); err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}

	all := append([]*x509.Certificate{cert}, others...)
	var leaf *x509.Certificate
	for _, c := range all {
		if samePublicKey(signer.Public(), c.PublicKey) {
			leaf = c
			break
		}
	}
	if leaf == nil {
		return nil, fmt.Errorf("keys: %s: %w: none of its %d certificates belongs to its private key; export the key together with its own certificate", path, ErrNoCertificate, len(all))
	}
	var pool []*x509.Certificate
	for _, c := range all {
		if c != leaf {
			pool = append(pool, c)
		}
	}
	return &Key{
		Signer:      signer,
		Certificate: leaf,
		Chain:       issuerChain(leaf, pool),
		Label:       name,
	}, nil
}

// readAtMost reads r whole, failing when it holds more than limit bytes.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: the file is over %d bytes, far more than a key and its certificates; pick the .p12 or .pfx file your certificate came in", ErrNotPKCS12, limit)
	}
	return data, nil
}

// pfxOutline is the outer shape of every PKCS#12 file (RFC 7292 §4): a
// version, the authenticated content and an optional MAC.
type pfxOutline struct {
	Version  int
	AuthSafe struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
	}
	MacData asn1.RawValue `asn1:"optional"`
}

// sniffPKCS12 tells a file that is not PKCS#12 at all apart from one that is
// damaged or locked, so the person hears "wrong file" rather than a parser
// message, with a hint for the usual mix-ups.
func sniffPKCS12(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		return fmt.Errorf("%w: this is a PEM file (a key or certificate in text form); make a PKCS#12 file from the key and certificate with `openssl pkcs12 -export -inkey key.pem -in cert.pem -out signer.p12`", ErrNotPKCS12)
	}
	var pfx pfxOutline
	rest, err := asn1.Unmarshal(data, &pfx)
	if err != nil && len(data) > 2 && data[0] == 0x30 && data[1] == 0x80 {
		// A SEQUENCE of indefinite length: BER, which some older exporters
		// write and which go-pkcs12, like encoding/asn1, does not read.
		return errors.New("this PKCS#12 file is BER-encoded, which demat cannot read; convert it with `openssl pkcs12 -in old.p12 -out keys.pem` then `openssl pkcs12 -export -in keys.pem -out new.p12` (and delete keys.pem)")
	}
	if err != nil || len(rest) != 0 || pfx.Version != 3 {
		return fmt.Errorf("%w: pick the .p12 or .pfx file your certificate came in", ErrNotPKCS12)
	}
	return nil
}

// pkcs12Error maps go-pkcs12's errors, which are plain strings except for the
// password ones, to this package's sentinels.
func pkcs12Error(err error) error {
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return fmt.Errorf("%w: the passphrase does not open this file; check it (it is case-sensitive) and try again", ErrWrongPassphrase)
	case errors.Is(err, pkcs12.ErrDecryption):
		// The MAC accepted the passphrase but the key did not decrypt with
		// it: a file protected with two passphrases, or a damaged one.
		return fmt.Errorf("%w: the passphrase does not decrypt the key in this file; check it, or export the file again", ErrWrongPassphrase)
	case strings.Contains(err.Error(), "cannot be encoded in UCS-2"):
		return fmt.Errorf("%w: the passphrase has characters (an emoji, say) that no PKCS#12 passphrase can hold, so it cannot be this file's; check it", ErrWrongPassphrase)
	case strings.Contains(err.Error(), "private key missing"):
		return fmt.Errorf("%w: the file holds only certificates; export it again with its private key", ErrNoKey)
	case strings.Contains(err.Error(), "certificate missing"):
		return fmt.Errorf("%w: the file holds a key without its certificate; export it again with the certificate", ErrNoCertificate)
	case strings.Contains(err.Error(), "expected exactly one key bag"):
		return fmt.Errorf("%w: the file holds several private keys; export only the signing key and its certificate", ErrUnsupportedKey)
	case strings.Contains(err.Error(), "unknown private key type"):
		return fmt.Errorf("%w: the file's private key is of a kind demat cannot use; use an RSA key or ECDSA on P-256 or P-384", ErrUnsupportedKey)
	}
	var notImpl pkcs12.NotImplementedError
	if errors.As(err, &notImpl) {
		return fmt.Errorf("this PKCS#12 file uses a feature demat cannot read (%v); export it again with `openssl pkcs12 -export`", err)
	}
	return fmt.Errorf("damaged PKCS#12 file (%v); export it again", err)
}
