package receipt

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Store is a folder of the certificates a desk signed receipts with,
// one PEM file each, named by KeyID: the desk keeps a copy of every
// certificate it used, so that its receipts can still be checked after
// the certificate is renewed, or when the signing key is on a token that
// is not plugged in.
type Store string

// Save keeps cert, once.
func (s Store) Save(cert *x509.Certificate) error {
	path := filepath.Join(string(s), KeyID(cert)+".pem")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(string(s), 0o755); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	tmp, err := os.CreateTemp(string(s), ".cert-*")
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = pem.Encode(tmp, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("receipt: keep the desk's certificate: %w", err)
	}
	return nil
}

// Find gives the kept certificate that key names, or an error wrapping
// os.ErrNotExist.
func (s Store) Find(key string) (*x509.Certificate, error) {
	if len(key) != 16 || filepath.Base(key) != key {
		return nil, fmt.Errorf("receipt: certificate %q: %w", key, os.ErrNotExist)
	}
	certs, err := ReadCertificates(filepath.Join(string(s), key+".pem"))
	if err != nil {
		return nil, err
	}
	return Pick(key, certs)
}

// ReadCertificates reads the certificates of a PEM file (or a single DER
// one).
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("receipt: %s: %w", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		c, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("receipt: %s: no certificate (want PEM or DER)", path)
		}
		out = append(out, c)
	}
	return out, nil
}

// Pick gives the certificate of certs that key names.
func Pick(key string, certs []*x509.Certificate) (*x509.Certificate, error) {
	for _, c := range certs {
		if KeyID(c) == key {
			return c, nil
		}
	}
	return nil, fmt.Errorf("receipt: certificate %s: %w", key, errNotKnown)
}

var errNotKnown = fmt.Errorf("not among the certificates given: %w", os.ErrNotExist)

// IsUnknown says whether err is Find's or Pick's "no such certificate".
func IsUnknown(err error) bool { return errors.Is(err, os.ErrNotExist) }
