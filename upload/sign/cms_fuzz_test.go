package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// selfSigned makes an ECDSA key and a self-signed certificate for it.
func selfSigned(t testing.TB, cn string) (*ecdsa.PrivateKey, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

// cmsSeeds are a CMS signature as Sign makes it, and a timestamp token
// over its value as digitorus/timestamp makes one.
func cmsSeeds(t testing.TB) (sig, token []byte) {
	key, cert := selfSigned(t, "signer")
	digest := sha256.Sum256([]byte("the document"))
	si, err := cmsSigner{key: key, cert: cert, hash: crypto.SHA256}.sign(digest[:])
	if err != nil {
		t.Fatal(err)
	}
	tsaKey, tsaCert := selfSigned(t, "tsa")
	h := sha256.Sum256(si.signature)
	resp, err := (&timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: h[:], Time: time.Now(), Nonce: big.NewInt(7),
		Policy: asn1.ObjectIdentifier{1, 2, 3}, AddTSACertificate: true}).CreateResponseWithOpts(tsaCert, tsaKey, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	token, err = parseTimeStampResp(resp)
	if err != nil {
		t.Fatal(err)
	}
	si.unsigned = append(si.unsigned, attributeDER(oidAttrSignatureTimeStamp, token))
	return si.encode(), token
}

// TestCMSRoundTrip parses what Sign builds, and a token, and checks them.
func TestCMSRoundTrip(t *testing.T) {
	sig, token := cmsSeeds(t)
	c, err := parseCMS(sig)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("the document"))
	if ok, err := c.checkDigest(digest[:]); !ok || err != nil {
		t.Errorf("checkDigest: %v %v", ok, err)
	}
	if err := c.checkSignature(digest[:]); err != nil {
		t.Errorf("checkSignature: %v", err)
	}
	if v, ok, err := c.certBinding(); v != 2 || !ok || err != nil {
		t.Errorf("certBinding: %d %v %v", v, ok, err)
	}
	if _, err := checkToken(token, c.signature); err != nil {
		t.Errorf("checkToken: %v", err)
	}
	if _, err := checkToken(token, []byte("another signature")); err == nil {
		t.Error("checkToken accepts a token over another value")
	}
	// DER goes through berToDER unchanged.
	if norm, err := berToDER(sig); err != nil || !bytes.Equal(norm, sig) {
		t.Errorf("berToDER changed DER: %v", err)
	}
}

// TestBERToDER checks indefinite lengths and constructed strings become
// DER that encoding/asn1 reads.
func TestBERToDER(t *testing.T) {
	tests := []struct {
		name     string
		ber, der []byte
	}{
		{"indefinite sequence", []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{"constructed octet string", []byte{0x24, 0x80, 0x04, 0x02, 'a', 'b', 0x04, 0x01, 'c', 0x00, 0x00}, []byte{0x04, 0x03, 'a', 'b', 'c'}},
		{"nested", []byte{0xa0, 0x80, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00}, []byte{0xa0, 0x04, 0x30, 0x02, 0x05, 0x00}},
		{"definite kept", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := berToDER(tt.ber)
			if err != nil || !bytes.Equal(got, tt.der) {
				t.Errorf("berToDER(% x) = % x, %v; want % x", tt.ber, got, err, tt.der)
			}
		})
	}
}

// FuzzParseCMS feeds the CMS and token parsers, and the BER converter,
// changed signatures: they must not panic, and a signature must not
// verify once its signed part changed.
func FuzzParseCMS(f *testing.F) {
	sig, token := cmsSeeds(f)
	f.Add(sig)
	f.Add(token)
	f.Add([]byte{0x30, 0x80, 0x24, 0x80, 0x04, 0x01, 'a', 0x00, 0x00, 0x00, 0x00})
	digest := sha256.Sum256([]byte("the document"))
	f.Fuzz(func(t *testing.T, data []byte) {
		berToDER(data)
		if c, err := parseCMS(data); err == nil {
			c.checkDigest(digest[:])
			c.checkSignature(digest[:])
			c.certBinding()
		}
		if tok, err := parseToken(data); err == nil {
			tok.verify()
			tok.imprint(data)
		}
	})
}

// FuzzRevisions feeds the scanners of a file's tail and revisions.
func FuzzRevisions(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\nxref\n0 1\n0000000000 65535 f \ntrailer\n<<>>\nstartxref\n29\n%%EOF\n"))
	f.Add([]byte("x\nstartxref 2 %%EOF\r\n3 0 obj\nstartxref\n99999999999999999999\n%%EOF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		last := int64(-1)
		for _, e := range revisionEnds(data) {
			if e[0] <= last || e[1] < e[0] || e[1] > int64(len(data)) {
				t.Fatalf("revision ends %v out of order or bounds", e)
			}
			last = e[1]
		}
		if off, _, err := lastXRef(bytes.NewReader(data), int64(len(data))); err == nil && (off <= 0 || off >= int64(len(data))) {
			t.Fatalf("lastXRef gave %d for %d bytes", off, len(data))
		}
	})
}
