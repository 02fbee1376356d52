package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"github.com/demat-app/demat/internal/testenv"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// need fails the test when a tool the test drives is missing: the tests run
// the real OpenSSL and SoftHSM2, and `make deps` installs them.
func need(t testing.TB, tools ...string) {
	t.Helper()
	testenv.Require(t, tools...)
}

// run runs a command and fails the test with its output when it fails.
func run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// testKeys are generated once per test binary: RSA 3072 takes a while,
// more so under -race.
var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	m := map[string]crypto.Signer{}
	var err error
	gen := func(name string, f func() (crypto.Signer, error)) {
		if err == nil {
			m[name], err = f()
		}
	}
	gen("rsa3072", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 3072) })
	gen("rsa2048", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	gen("rsa1024", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 1024) })
	gen("p256", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
	gen("p384", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) })
	gen("always", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
	gen("root", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) })
	gen("intermediate", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	gen("stranger", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
	if err != nil {
		panic(err)
	}
	return m
})

// testPKI is a root CA, an intermediate CA it issued, and a self-signed
// stranger that issued nothing here.
type testPKI struct {
	root, intermediate, stranger *x509.Certificate
}

var newPKI = sync.OnceValue(func() testPKI {
	k := testKeys()
	root := mustIssue(nil, k["root"], k["root"], "Demat Test Root CA", true)
	inter := mustIssue(root, k["root"], k["intermediate"], "Demat Test Issuing CA", true)
	stranger := mustIssue(nil, k["stranger"], k["stranger"], "Someone Else", true)
	return testPKI{root, inter, stranger}
})

// leaf issues a signing certificate for key from the intermediate CA.
func (p testPKI) leaf(t testing.TB, key crypto.Signer, cn string) *x509.Certificate {
	t.Helper()
	return mustIssue(p.intermediate, testKeys()["intermediate"], key, cn, false)
}

var serial = struct {
	sync.Mutex
	n int64
}{}

// mustIssue makes a certificate for subject's public key signed by issuerKey
// (self-signed when issuer is nil).
func mustIssue(issuer *x509.Certificate, issuerKey, subject crypto.Signer, cn string, ca bool) *x509.Certificate {
	serial.Lock()
	serial.n++
	n := serial.n
	serial.Unlock()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(n),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Demat Tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  ca,
	}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	}
	return testenv.Issue(issuer, issuerKey, subject, tmpl)
}

// writePEM writes blocks to dir/name and returns the path.
func writePEM(t testing.TB, dir, name string, blocks ...*pem.Block) string {
	t.Helper()
	var b []byte
	for _, bl := range blocks {
		b = append(b, pem.EncodeToMemory(bl)...)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func keyPEM(t testing.TB, key crypto.Signer) *pem.Block {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
}

func certPEM(c *x509.Certificate) *pem.Block {
	return &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}
}

// checkSigns signs digests the way a CMS library does (a digest and its hash
// as opts) with every hash and, for RSA, both paddings, and verifies each
// signature with the certificate's public key.
func checkSigns(t *testing.T, k *Key) {
	t.Helper()
	msg := []byte("%PDF-1.7 the bytes a PAdES signature covers")
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		digest := hashOf(h, msg)
		switch pub := k.Certificate.PublicKey.(type) {
		case *rsa.PublicKey:
			sig, err := k.Signer.Sign(rand.Reader, digest, h)
			if err != nil {
				t.Fatalf("%v PKCS#1 v1.5: %v", h, err)
			}
			if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
				t.Errorf("%v PKCS#1 v1.5 signature does not verify: %v", h, err)
			}
			for _, salt := range []int{rsa.PSSSaltLengthEqualsHash, rsa.PSSSaltLengthAuto} {
				opts := &rsa.PSSOptions{SaltLength: salt, Hash: h}
				sig, err := k.Signer.Sign(rand.Reader, digest, opts)
				if err != nil {
					t.Fatalf("%v PSS salt %d: %v", h, salt, err)
				}
				if err := rsa.VerifyPSS(pub, h, digest, sig, opts); err != nil {
					t.Errorf("%v PSS salt %d signature does not verify: %v", h, salt, err)
				}
			}
		case *ecdsa.PublicKey:
			sig, err := k.Signer.Sign(rand.Reader, digest, h)
			if err != nil {
				t.Fatalf("%v ECDSA: %v", h, err)
			}
			if !ecdsa.VerifyASN1(pub, digest, sig) {
				t.Errorf("%v ECDSA signature does not verify", h)
			}
		default:
			t.Fatalf("unexpected public key %T", pub)
		}
	}
	if !samePublicKey(k.Signer.Public(), k.Certificate.PublicKey) {
		t.Error("Signer.Public is not the certificate's key")
	}
}

func hashOf(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(msg)
		return s[:]
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		return s[:]
	default:
		s := sha512.Sum512(msg)
		return s[:]
	}
}

// checkChain compares a Key's chain with the expected issuers, by subject.
func checkChain(t *testing.T, got []*x509.Certificate, want ...*x509.Certificate) {
	t.Helper()
	names := func(cs []*x509.Certificate) []string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Subject.CommonName)
		}
		return s
	}
	if len(got) != len(want) {
		t.Fatalf("chain = %q, want %q", names(got), names(want))
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Fatalf("chain = %q, want %q", names(got), names(want))
		}
	}
}
