package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
)

// testPKI makes a CA and a signer certificate, and the signer's PKCS#12
// file (written by openssl, as a user's would be) protected by pass. It
// returns the .p12 and the CA's PEM.
func testPKI(t *testing.T, dir, pass string) (p12, caPEM string) {
	t.Helper()
	testenv.Require(t, "openssl")
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "demat test CA", Organization: []string{"Royaume du Maroc"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	ca := testenv.Issue(nil, nil, caKey, caTmpl)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	leaf := testenv.Issue(ca, caKey, key, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Agent du bureau d'ordre"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	})
	caDER, leafDER := ca.Raw, leaf.Raw
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caPEM = write("ca.pem", "CERTIFICATE", caDER)
	certPEM := write("agent.pem", "CERTIFICATE", leafDER)
	keyPEM := write("agent.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	p12 = filepath.Join(dir, "agent.p12")
	testenv.Run(t, "openssl", "pkcs12", "-export", "-inkey", keyPEM, "-in", certPEM, "-certfile", caPEM, "-passout", "pass:"+pass, "-out", p12)
	return p12, caPEM
}

// A PDF signed by demat is a valid PAdES signature for poppler and for
// demat verify; a changed byte or a page added after it is caught; the
// passphrase lives only in the keyring.
func TestSignCLI(t *testing.T) {
	testenv.Require(t, "pdfsig")
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "config")
	os.Mkdir(cfgDir, 0o700)
	t.Setenv("DEMAT_CONFIG", filepath.Join(cfgDir, "config.toml"))
	const pass = "phrase secrète سرية 2026"
	p12, caPEM := testPKI(t, dir, pass)

	in := filepath.Join(dir, "lettre.pdf")
	if code, _, stderr := runCLI("process", "-l", "fra+ara", "-o", in, testenv.Testdata("letter-fr-ar.png")); code != 0 {
		t.Fatalf("process: %s", stderr)
	}
	out := filepath.Join(dir, "lettre-signee.pdf")
	// No passphrase in the keyring and no terminal: told how to store it.
	if code, _, stderr := runCLI("sign", in, "-o", out, "--cert", p12); code != 1 || !strings.Contains(stderr, "demat credentials set agent.p12") {
		t.Fatalf("sign without a stored passphrase: %d %q", code, stderr)
	}
	if code, _, stderr := runCLIIn(pass, "credentials", "set", "--stdin", "agent.p12"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := runCLI("-v", "sign", in, "-o", out, "--cert", p12, "--reason", "Enregistré sous AJR/2026/A/000123", "--location", "Rabat")
	if code != 0 {
		t.Fatalf("sign: %d %s", code, stderr)
	}
	if strings.Contains(stdout+stderr, pass) {
		t.Error("the passphrase appeared in demat's output")
	}
	orig, _ := os.ReadFile(in)
	signed, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(signed), string(orig)) {
		t.Error("the signed file does not begin with the original's bytes (not an incremental update)")
	}
	pdftest.Validate(t, out, true)
	sig := testenv.Run(t, "pdfsig", out)
	for _, want := range []string{"Signature Type: ETSI.CAdES.detached", "Total document signed", "Signature Validation: Signature is Valid."} {
		if !strings.Contains(sig, want) {
			t.Errorf("pdfsig lacks %q:\n%s", want, sig)
		}
	}

	// demat verify: valid against the test CA, not proven without it.
	code, stdout, _ = runCLI("verify", "--json", "--trust", caPEM, out)
	var rep struct {
		Verdict    string `json:"verdict"`
		Signatures []struct {
			Signer         string `json:"signer"`
			Level          string `json:"level"`
			CoversDocument bool   `json:"covers_document"`
			Reason         string `json:"reason"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || rep.Verdict != "valid" || len(rep.Signatures) != 1 ||
		rep.Signatures[0].Level != "B-B" || !rep.Signatures[0].CoversDocument || !strings.Contains(rep.Signatures[0].Signer, "Agent du bureau d'ordre") ||
		rep.Signatures[0].Reason != "Enregistré sous AJR/2026/A/000123" {
		t.Errorf("verify --trust: exit %d, %v\n%s", code, err, stdout)
	}
	if code, stdout, _ := runCLI("verify", out); code != 1 || !strings.Contains(stdout, "INDETERMINATE") {
		t.Errorf("verify without the CA: exit %d\n%s", code, stdout)
	}

	// One byte changed inside the signed range.
	bad := append([]byte(nil), signed...)
	i := strings.Index(string(bad), "/Producer")
	bad[i+3] ^= 0x20
	badPath := filepath.Join(dir, "altered.pdf")
	os.WriteFile(badPath, bad, 0o644)
	if code, stdout, _ := runCLI("verify", "--trust", caPEM, badPath); code != 1 || !strings.Contains(stdout, "BROKEN") {
		t.Errorf("verify of an altered file: exit %d\n%s", code, stdout)
	}
	if s := testenv.Run(t, "pdfsig", badPath); strings.Contains(s, "Signature is Valid") {
		t.Errorf("pdfsig found the altered file valid:\n%s", s)
	}

	// Signed again (a second incremental update): the first signature no
	// longer covers the whole document, and says what was added.
	twice := filepath.Join(dir, "twice.pdf")
	if code, _, stderr := runCLI("sign", out, "-o", twice, "--cert", p12); code != 0 {
		t.Fatalf("second signature: %s", stderr)
	}
	if code, stdout, _ := runCLI("verify", "--trust", caPEM, twice); code != 0 || !strings.Contains(stdout, "NOT the whole document") {
		t.Errorf("verify of a twice-signed file: exit %d\n%s", code, stdout)
	}

	// demat process --sign: the output is signed; the unsigned
	// intermediate is gone.
	direct := filepath.Join(dir, "direct.pdf")
	if code, _, stderr := runCLI("process", "-l", "eng", "--sign", p12, "--meta", "registration_number=AJR/2026/A/000124", "-o", direct, testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatalf("process --sign: %s", stderr)
	}
	if code, stdout, _ := runCLI("verify", "--trust", caPEM, direct); code != 0 {
		t.Errorf("process --sign output: %s", stdout)
	}
	pdftest.Validate(t, direct, true)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "unsigned") || strings.Contains(e.Name(), "partial") {
			t.Errorf("left behind: %s", e.Name())
		}
	}

	// The passphrase is in the keyring and nowhere else: not in the
	// configuration folder, not in the files written.
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || strings.HasSuffix(p, ".p12") {
			return nil
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), pass) {
			t.Errorf("%s holds the passphrase", p)
		}
		return nil
	})
}

// The same with the key on a token (SoftHSM2), named in the
// configuration, its PIN read from the keyring under the token's label.
func TestSignTokenCLI(t *testing.T) {
	testenv.Require(t, "softhsm2-util", "pkcs11-tool", "pdfsig")
	const module = "/usr/lib/softhsm/libsofthsm2.so"
	if _, err := os.Stat(module); err != nil {
		t.Fatalf("SoftHSM2's module %s is missing: run make deps", module)
	}
	dir := t.TempDir()
	const pin = "4321"
	_, caPEM := testPKI(t, dir, "unused")
	tokens := filepath.Join(dir, "tokens")
	os.Mkdir(tokens, 0o700)
	conf := filepath.Join(dir, "softhsm2.conf")
	os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600)
	t.Setenv("SOFTHSM2_CONF", conf)
	testenv.Run(t, "softhsm2-util", "--init-token", "--free", "--label", "Cachet", "--pin", pin, "--so-pin", "8765")
	// The signer's key (PKCS#8, as softhsm2-util imports it) and its
	// certificate, from the PKI made for the file test.
	testenv.Run(t, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", filepath.Join(dir, "agent.key"), "-out", filepath.Join(dir, "agent.pk8"))
	testenv.Run(t, "softhsm2-util", "--import", filepath.Join(dir, "agent.pk8"), "--token", "Cachet", "--label", "signer", "--id", "01", "--pin", pin)
	testenv.Run(t, "openssl", "x509", "-in", filepath.Join(dir, "agent.pem"), "-outform", "DER", "-out", filepath.Join(dir, "agent.der"))
	testenv.Run(t, "pkcs11-tool", "--module", module, "--token-label", "Cachet", "--login", "--pin", pin,
		"--write-object", filepath.Join(dir, "agent.der"), "--type", "cert", "--id", "01", "--label", "signer")

	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("[[certificate]]\nname = \"cachet\"\npkcs11 = \"pkcs11:token=Cachet;object=signer?module-path="+module+"\"\n"), 0o600)
	t.Setenv("DEMAT_CONFIG", cfg)
	if code, out, _ := runCLI("credentials", "list"); code != 0 || !strings.Contains(out, "missing: demat credentials set Cachet") {
		t.Errorf("list: %d %q", code, out)
	}
	if code, _, stderr := runCLIIn(pin, "credentials", "set", "--stdin", "Cachet"); code != 0 {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "cachet.pdf")
	if code, _, stderr := runCLI("process", "-l", "eng", "--sign", "cachet", "-o", out, testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatalf("process --sign cachet: %s", stderr)
	}
	sig := testenv.Run(t, "pdfsig", out)
	for _, want := range []string{"Signature Type: ETSI.CAdES.detached", "Total document signed", "Signature Validation: Signature is Valid."} {
		if !strings.Contains(sig, want) {
			t.Errorf("pdfsig lacks %q:\n%s", want, sig)
		}
	}
	if code, stdout, _ := runCLI("verify", "--trust", caPEM, out); code != 0 {
		t.Errorf("verify: %d\n%s", code, stdout)
	}
	// A wrong PIN in the keyring: refused before any page is read, and
	// nothing written.
	runCLIIn("0000", "credentials", "set", "--stdin", "Cachet")
	out2 := filepath.Join(dir, "wrong.pdf")
	code, _, stderr := runCLI("process", "-l", "eng", "--sign", "cachet", "-o", out2, testenv.Testdata("phototest.tif"))
	if code != 1 || !strings.Contains(strings.ToLower(stderr), "pin") || strings.Contains(stderr, "0000") {
		t.Errorf("wrong PIN: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("a PDF was written with a wrong PIN")
	}
}

// A visible signature from the command line: on the last page, numbered
// from the PDF's own registration_number metadata, read back by ZBar from
// poppler's rendering, and reported by demat verify as matching the
// unsigned document; placed by --sig-place in demat process --sign; and
// bad places refused as usage errors.
func TestSignVisibleCLI(t *testing.T) {
	testenv.Require(t, "pdfsig", "pdftoppm", "zbarimg")
	dir := t.TempDir()
	t.Setenv("DEMAT_CONFIG", filepath.Join(dir, "config.toml"))
	const pass = "visible 2026"
	p12, caPEM := testPKI(t, dir, pass)
	if code, _, stderr := runCLIIn(pass, "credentials", "set", "--stdin", "agent.p12"); code != 0 {
		t.Fatal(stderr)
	}
	in := filepath.Join(dir, "courrier.pdf")
	if code, _, stderr := runCLI("process", "-l", "eng", "--pdfa", "2b", "--meta", "registration_number=AJR/2026/A/000127", "-o", in, testenv.Testdata("phototest.tif"), testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatalf("process: %s", stderr)
	}
	out := filepath.Join(dir, "signe.pdf")
	if code, _, stderr := runCLI("sign", in, "-o", out, "--cert", p12, "--visible", "--sig-page", "last", "--reason", "Enregistré"); code != 0 {
		t.Fatalf("sign --visible: %s", stderr)
	}
	pdftest.Validate(t, out, true)
	if s := testenv.Run(t, "pdfsig", out); !strings.Contains(s, "Signature is Valid.") || !strings.Contains(s, "Total document signed") {
		t.Errorf("pdfsig:\n%s", s)
	}
	prefix := filepath.Join(dir, "page")
	testenv.Run(t, "pdftoppm", "-png", "-r", "150", "-f", "2", "-l", "2", "-singlefile", out, prefix)
	qr := strings.TrimSpace(testenv.Run(t, "zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", prefix+".png"))
	orig, _ := os.ReadFile(in)
	want := fmt.Sprintf("DEMAT1;sha256=%x;len=%d;reg=AJR/2026/A/000127", sha256.Sum256(orig), len(orig))
	if qr != want {
		t.Errorf("the QR code on page 2 says %q, want %q", qr, want)
	}

	code, stdout, _ := runCLI("verify", "--json", "--trust", caPEM, out)
	var rep struct {
		Verdict    string `json:"verdict"`
		Signatures []struct {
			Block *struct {
				Page         int    `json:"page"`
				QR           string `json:"qr"`
				Registration string `json:"registration"`
				Matches      bool   `json:"matches"`
			} `json:"block"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || rep.Verdict != "valid" || len(rep.Signatures) != 1 {
		t.Fatalf("verify --json: exit %d, %v\n%s", code, err, stdout)
	}
	if b := rep.Signatures[0].Block; b == nil || b.Page != 2 || b.QR != want || b.Registration != "AJR/2026/A/000127" || !b.Matches {
		t.Errorf("verify --json's block: %+v", b)
	}
	if _, stdout, _ := runCLI("verify", "--trust", caPEM, out); !strings.Contains(stdout, "visible on page 2") || !strings.Contains(stdout, "it matches the document as it was before this signature") {
		t.Errorf("verify does not describe the block:\n%s", stdout)
	}

	// The block speaks the document's language (English here), or
	// --sig-lang's: Tesseract reads its first line on the rendered page.
	if got := blockWords(t, out, 2, "eng"); !strings.Contains(got, "Digitally signed by") {
		t.Errorf("an English document's block does not say \"Digitally signed by\"; OCR read:\n%s", got)
	}
	arabic := filepath.Join(dir, "arabe.pdf")
	if code, _, stderr := runCLI("sign", in, "-o", arabic, "--cert", p12, "--sig-lang", "ar"); code != 0 {
		t.Fatalf("sign --sig-lang ar: %s", stderr)
	}
	if got := blockWords(t, arabic, 1, "ara"); !strings.Contains(got, "التاريخ") {
		t.Errorf("--sig-lang ar: the block does not say التاريخ; OCR read:\n%s", got)
	}

	// demat process --sign with the block at a place, numbered by
	// --registration, in French as the document's language says.
	direct := filepath.Join(dir, "direct.pdf")
	if code, _, stderr := runCLI("process", "-l", "eng", "--meta", "language=fr", "--sign", p12, "--sig-place", "1,1,60,25mm", "--registration", "AJR/2026/A/000128", "-o", direct, testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatalf("process --sign --sig-place: %s", stderr)
	}
	if got := blockWords(t, direct, 1, "fra"); !strings.Contains(got, "Signé électroniquement par") {
		t.Errorf("a French document's block does not say \"Signé électroniquement par\"; OCR read:\n%s", got)
	}
	if _, stdout, _ := runCLI("verify", "--trust", caPEM, direct); !strings.Contains(stdout, "registration AJR/2026/A/000128: it matches") {
		t.Errorf("process --sign --sig-place:\n%s", stdout)
	}

	for _, args := range [][]string{
		{"--sig-page", "0"},
		{"--sig-page", "avant-dernière"},
		{"--sig-place", "middle"},
		{"--sig-place", "1,2,3mm"},
		{"--sig-lang", "de"},
	} {
		code, _, stderr := runCLI(append([]string{"sign", in, "-o", filepath.Join(dir, "x.pdf"), "--cert", p12}, args...)...)
		if code != 2 || !strings.Contains(stderr, args[0]) {
			t.Errorf("sign %v: exit %d %q, want a usage error", args, code, stderr)
		}
	}
	// A block on a page the document does not have, or on a page too
	// small for it (multipage-g4's second page is 34 × 17 mm): refused,
	// nothing written.
	label := filepath.Join(dir, "label.pdf")
	if code, _, stderr := runCLI("process", "-l", "eng", "-o", label, testenv.Testdata("multipage-g4.tif")); code != 0 {
		t.Fatalf("process: %s", stderr)
	}
	for _, tt := range []struct{ in, page, want string }{{in, "3", "page 3, and the document has 2"}, {label, "last", "too small for a signature block"}} {
		if code, _, stderr := runCLI("sign", tt.in, "-o", filepath.Join(dir, "x.pdf"), "--cert", p12, "--sig-page", tt.page); code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("sign --sig-page %s: exit %d %q, want %q", tt.page, code, stderr, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("x.pdf was written")
	}
}

// blockWords is what Tesseract (in lang) reads on page of the PDF at
// path rendered at 300 dpi, its spaces and bidi marks normalised.
func blockWords(t *testing.T, path string, page int, lang string) string {
	t.Helper()
	testenv.Require(t, "pdftoppm", "tesseract")
	prefix := filepath.Join(t.TempDir(), "page")
	testenv.Run(t, "pdftoppm", "-png", "-r", "300", "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), "-singlefile", path, prefix)
	return testenv.Normalise(testenv.Run(t, "tesseract", prefix+".png", "-", "-l", lang))
}
