package keys

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const p12Pass = "correct horse 42"

// exportP12 makes a .p12 with the real `openssl pkcs12 -export`, as a
// person or a CA would, and returns its path. extra are openssl options
// (-legacy, -nokeys); the passphrase goes through the environment.
func exportP12(t *testing.T, dir, name string, key crypto.Signer, leaf *PEMFile, chain []*PEMFile, extra ...string) string {
	t.Helper()
	args := []string{"pkcs12", "-export", "-out", filepath.Join(dir, name), "-passout", "env:P12PASS", "-name", "agent"}
	if leaf != nil {
		args = append(args, "-in", leaf.path)
	}
	if key != nil {
		args = append(args, "-inkey", writePEM(t, dir, name+".key.pem", keyPEM(t, key)))
	}
	if len(chain) > 0 {
		var blocks []*pem.Block
		for _, c := range chain {
			blocks = append(blocks, c.blocks...)
		}
		args = append(args, "-certfile", writePEM(t, dir, name+".chain.pem", blocks...))
	}
	args = append(args, extra...)
	run(t, []string{"P12PASS=" + p12Pass}, "openssl", args...)
	return filepath.Join(dir, name)
}

// PEMFile is certificates written to a PEM file.
type PEMFile struct {
	path   string
	blocks []*pem.Block
}

func TestLoadPKCS12(t *testing.T) {
	need(t, "openssl")
	pki := newPKI()
	k := testKeys()
	dir := t.TempDir()
	certs := func(name string, cs ...*x509.Certificate) *PEMFile {
		f := &PEMFile{}
		for _, c := range cs {
			f.blocks = append(f.blocks, certPEM(c))
		}
		f.path = writePEM(t, dir, name, f.blocks...)
		return f
	}
	rsaLeaf := pki.leaf(t, k["rsa3072"], "Agent RSA")
	ecLeaf := pki.leaf(t, k["p256"], "Agent P-256")
	inter, root, stranger := pki.intermediate, pki.root, pki.stranger
	both := []*x509.Certificate{inter, root}

	tests := []struct {
		name      string
		key       crypto.Signer
		leaf      *PEMFile
		chain     []*PEMFile
		extra     []string
		algo      string // what `openssl pkcs12 -info` must show, to prove the file is of the kind the case claims
		want      *x509.Certificate
		wantChain []*x509.Certificate
		wantErr   error
	}{
		{name: "rsa3072 aes", key: k["rsa3072"], leaf: certs("rsa.pem", rsaLeaf), chain: []*PEMFile{certs("ca.pem", inter, root)}, algo: "AES-256-CBC", want: rsaLeaf, wantChain: both},
		{name: "p256 aes", key: k["p256"], leaf: certs("ec.pem", ecLeaf), chain: []*PEMFile{certs("ca.pem", inter, root)}, algo: "AES-256-CBC", want: ecLeaf, wantChain: both},
		{name: "rsa3072 legacy", key: k["rsa3072"], leaf: certs("rsa.pem", rsaLeaf), chain: []*PEMFile{certs("ca.pem", inter, root)}, extra: []string{"-legacy"}, algo: "TripleDES", want: rsaLeaf, wantChain: both},
		{name: "p256 legacy", key: k["p256"], leaf: certs("ec.pem", ecLeaf), chain: []*PEMFile{certs("ca.pem", inter, root)}, extra: []string{"-legacy"}, algo: "RC2", want: ecLeaf, wantChain: both},
		// Issuers in the wrong order and a stranger: the chain comes out
		// ordered and without the stranger.
		{name: "chain unordered with a stranger", key: k["p256"], leaf: certs("ec.pem", ecLeaf), chain: []*PEMFile{certs("mixed.pem", root, stranger, inter)}, algo: "AES-256-CBC", want: ecLeaf, wantChain: both},
		// The leaf after its CA in the file: found by its key, not its place.
		{name: "leaf not first", key: k["rsa3072"], leaf: certs("ca-then-leaf.pem", inter, rsaLeaf), algo: "AES-256-CBC", want: rsaLeaf, wantChain: []*x509.Certificate{inter}},
		{name: "no chain", key: k["p256"], leaf: certs("ec.pem", ecLeaf), algo: "AES-256-CBC", want: ecLeaf},
		{name: "certificates only", leaf: certs("rsa.pem", rsaLeaf), chain: []*PEMFile{certs("ca.pem", inter, root)}, extra: []string{"-nokeys"}, wantErr: ErrNoKey},
		{name: "rsa1024", key: k["rsa1024"], leaf: certs("weak.pem", pki.leaf(t, k["rsa1024"], "Weak")), wantErr: ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := exportP12(t, dir, strings.ReplaceAll(tt.name, " ", "-")+".p12", tt.key, tt.leaf, tt.chain, tt.extra...)
			if tt.algo != "" {
				info := run(t, []string{"P12PASS=" + p12Pass}, "openssl", "pkcs12", "-info", "-noout", "-in", path, "-passin", "env:P12PASS", "-legacy")
				if !strings.Contains(info, tt.algo) {
					t.Fatalf("openssl made a file without %s:\n%s", tt.algo, info)
				}
			}
			key, err := LoadPKCS12(path, p12Pass)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("LoadPKCS12 = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), p12Pass) {
					t.Errorf("error shows the passphrase: %v", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer key.Close()
			if !key.Certificate.Equal(tt.want) {
				t.Errorf("certificate = %s, want %s", key.Certificate.Subject, tt.want.Subject)
			}
			if key.Label != filepath.Base(path) {
				t.Errorf("label = %q, want the file's name %q", key.Label, filepath.Base(path))
			}
			checkChain(t, key.Chain, tt.wantChain...)
			checkSigns(t, key)
			if err := key.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestLoadPKCS12Errors(t *testing.T) {
	need(t, "openssl")
	pki := newPKI()
	k := testKeys()
	dir := t.TempDir()
	leaf := writePEM(t, dir, "leaf.pem", certPEM(pki.leaf(t, k["p256"], "Agent")))
	good := exportP12(t, dir, "agent.p12", k["p256"], &PEMFile{path: leaf}, nil)

	pngPath := filepath.Join(dir, "scan.p12")
	f, err := os.Create(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, image.NewGray(image.Rect(0, 0, 16, 16))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	pemPath := writePEM(t, dir, "key.p12", keyPEM(t, k["p256"]))

	edKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	edCert := mustIssue(pki.intermediate, k["intermediate"], edKey, "Agent Ed25519", false)
	ed := exportP12(t, dir, "ed25519.p12", edKey, &PEMFile{path: writePEM(t, dir, "ed.pem", certPEM(edCert))}, nil)

	keyOnly := exportP12(t, dir, "key-only.p12", k["p256"], nil, nil, "-nocerts")

	// The same file with its outer SEQUENCE re-encoded with an indefinite
	// length, as BER allows and DER does not.
	der, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		t.Fatal(err)
	}
	ber := filepath.Join(dir, "ber.p12")
	if err := os.WriteFile(ber, append(append([]byte{0x30, 0x80}, outer.Bytes...), 0, 0), 0o600); err != nil {
		t.Fatal(err)
	}

	const wrong = "Tr0ub4dor&3"
	tests := []struct {
		name, path, pass string
		want             error
		text             string
	}{
		{"wrong passphrase", good, wrong, ErrWrongPassphrase, "wrong passphrase"},
		{"empty passphrase", good, "", ErrWrongPassphrase, "wrong passphrase"},
		{"emoji passphrase", good, "clé 🔑", ErrWrongPassphrase, "no PKCS#12 passphrase can hold"},
		{"png renamed", pngPath, p12Pass, ErrNotPKCS12, "not a PKCS#12 file"},
		{"pem renamed", pemPath, p12Pass, ErrNotPKCS12, "PEM file"},
		{"missing", filepath.Join(dir, "nope.p12"), p12Pass, fs.ErrNotExist, "nope.p12"},
		{"ed25519", ed, p12Pass, ErrUnsupportedKey, "unsupported key"},
		{"key without certificate", keyOnly, p12Pass, ErrNoCertificate, "export it again with the certificate"},
		{"ber", ber, p12Pass, nil, "BER-encoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPKCS12(tt.path, tt.pass)
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("LoadPKCS12 = %v, want %v", err, tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.text) {
				t.Errorf("error %q does not say %q", msg, tt.text)
			}
			for _, secret := range []string{wrong, p12Pass, "🔑"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error shows a passphrase: %q", msg)
				}
			}
			t.Log(msg)
		})
	}
}
