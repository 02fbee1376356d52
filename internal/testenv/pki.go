package testenv

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
)

// Issue makes the certificate tmpl for key's public key, signed by
// parentKey as parent (self-signed when parent is nil): the test PKIs of
// the signing tests. It panics on error, as a test's set-up cannot go on.
func Issue(parent *x509.Certificate, parentKey, key crypto.Signer, tmpl *x509.Certificate) *x509.Certificate {
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}
