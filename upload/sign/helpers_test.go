package sign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"image"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/upload/sign"
)

// pki is a test PKI: a root, an intermediate issuing the signers, and a
// timestamp authority, all made here.
type pki struct {
	root, inter, tsa *x509.Certificate
	interKey, tsaKey crypto.Signer
	trust            *x509.CertPool
}

var (
	pkiOnce sync.Once
	thePKI  *pki
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testPKI makes the PKI once: RSA keys are slow to generate under -race.
func testPKI(t testing.TB) *pki {
	t.Helper()
	pkiOnce.Do(func() {
		rootKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		root := issue(nil, nil, rootKey, template("demat test root CA", true))
		interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		inter := issue(root, rootKey, interKey, template("demat test signing CA", true))
		tsaKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tt := template("demat test TSA", false)
		tt.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
		tsa := issue(inter, interKey, tsaKey, tt)
		trust := x509.NewCertPool()
		trust.AddCert(root)
		thePKI = &pki{root: root, inter: inter, tsa: tsa, interKey: interKey, tsaKey: tsaKey, trust: trust}
	})
	return thePKI
}

func template(cn string, ca bool) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	c := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"demat tests"}, Country: []string{"FR"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	if ca {
		c.IsCA, c.BasicConstraintsValid = true, true
		c.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	return c
}

// issue signs tmpl for key with the parent's key (self-signed when
// parent is nil).
func issue(parent *x509.Certificate, parentKey crypto.Signer, key crypto.Signer, tmpl *x509.Certificate) *x509.Certificate {
	return testenv.Issue(parent, parentKey, key, tmpl)
}

// key makes a signer certified by the intermediate: "rsa" (2048) or
// "ecdsa" (P-256).
func (p *pki) key(t testing.TB, kind, cn string) sign.Key {
	t.Helper()
	var k crypto.Signer
	switch kind {
	case "rsa":
		rsaOnce.Do(func() { rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048) })
		k = rsaKey
	case "ecdsa":
		k, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("no key kind %q", kind)
	}
	tmpl := template(cn, false)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
	return sign.Key{Signer: k, Certificate: issue(p.inter, p.interKey, k, tmpl), Chain: []*x509.Certificate{p.inter, p.root}}
}

// dematPDF writes a PDF/A-2b of n blank pages with demat's own writer:
// what Sign is given in production.
func dematPDF(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pdf.NewWriter(&b, pdf.Options{Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		img := image.NewGray(image.Rect(0, 0, 850, 1100))
		for j := range img.Pix {
			img.Pix[j] = 0xff
		}
		p := scan.NewPage(img, 100, 100, "t")
		if err := w.AddPage(&p, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// signPDF signs data and checks the output begins with data unchanged.
func signPDF(t testing.TB, data []byte, key sign.Key, opt sign.Options) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := sign.Sign(context.Background(), bytes.NewReader(data), int64(len(data)), &out, key, opt); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if !bytes.HasPrefix(out.Bytes(), data) {
		t.Fatal("the signed PDF does not begin with the original bytes: the update is not incremental")
	}
	return out.Bytes()
}

// write puts data in a temporary file.
func write(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pdfsig runs poppler's pdfsig, which exits with 1 (or more) when a
// signature does not verify: its report is what is checked.
func pdfsig(t testing.TB, args ...string) string {
	t.Helper()
	testenv.Require(t, "pdfsig")
	out, err := exec.Command("pdfsig", args...).CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("pdfsig: %v", err)
	}
	return string(out)
}

// pdfsigField gives the value pdfsig prints for a field of signature n
// (from 1), e.g. "Signature Validation".
func pdfsigField(report string, n int, field string) string {
	parts := regexp.MustCompile(`(?m)^Signature #\d+:`).Split(report, -1)
	if n >= len(parts) {
		return ""
	}
	for _, line := range strings.Split(parts[n], "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// tsaChain is the TSA certificate's issuers, put in its tokens.
func (p *pki) tsaChain() []*x509.Certificate { return []*x509.Certificate{p.inter, p.root} }

var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// signedParts gives signature n's CMS (its DER, without the placeholder's
// padding) and the bytes its byte range covers, read from the file the
// way any verifier does.
func signedParts(t testing.TB, data []byte, n int) (cms, signed []byte) {
	t.Helper()
	m := byteRangeRE.FindAllSubmatch(data, -1)
	if n >= len(m) {
		t.Fatalf("no signature %d (%d byte ranges)", n, len(m))
	}
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(m[n][i+1]))
	}
	gap := data[br[1]+1 : br[2]-1]
	raw := make([]byte, len(gap)/2)
	if _, err := hex.Decode(raw, gap); err != nil {
		t.Fatal(err)
	}
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(raw, &v); err != nil {
		t.Fatalf("the /Contents is not DER: %v", err)
	}
	signed = append(append([]byte{}, data[br[0]:br[0]+br[1]]...), data[br[2]:br[2]+br[3]]...)
	return v.FullBytes, signed
}

// opensslPrint prints a CMS structure with openssl.
func opensslPrint(t testing.TB, cms []byte) string {
	t.Helper()
	return testenv.Run(t, "openssl", "cms", "-inform", "DER", "-in", write(t, "sig.der", cms), "-cmsout", "-print")
}

// pemFile writes certificates as PEM.
func pemFile(t testing.TB, certs ...*x509.Certificate) string {
	t.Helper()
	var b bytes.Buffer
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return write(t, "certs.pem", b.Bytes())
}

func TestMain(m *testing.M) {
	testenv.Main(m, func() error {
		// pdfcpu must not create its configuration folder in $HOME.
		model.ConfigPath = "disable"
		return nil
	})
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runQPDFCheck runs qpdf --check, which exits with 2 on errors and 3 on
// warnings: its report is what is checked.
func runQPDFCheck(t testing.TB, path string) string {
	t.Helper()
	testenv.Require(t, "qpdf")
	out, err := exec.Command("qpdf", "--check", path).CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("qpdf: %v", err)
	}
	return string(out)
}
