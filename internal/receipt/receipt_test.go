package receipt_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/receipt"
	"github.com/demat-app/demat/internal/testenv"
)

// desk makes a self-signed desk certificate with key.
func desk(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Bureau d'ordre — Direction X"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func payload(t *testing.T, key crypto.Signer, cert *x509.Certificate, number string) receipt.Payload {
	t.Helper()
	p := receipt.Payload{Number: number, Time: time.Date(2026, 3, 15, 10, 15, 2, 500, time.UTC), Pages: 3,
		SHA256: sha256.Sum256([]byte("the registered PDF"))}
	p, err := receipt.Sign(p, key, cert)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPayload: a payload signs, reads back, checks; any change to a
// field or the signature is refused; another certificate is refused.
func TestPayload(t *testing.T) {
	key := ecKey(t)
	cert := desk(t, key)
	p := payload(t, key, cert, "AJR/2026/A/000123")
	s := p.String()
	t.Logf("payload (%d bytes): %s", len(s), s)
	if len(s) > 240 {
		t.Errorf("an ECDSA P-256 payload is %d bytes: too big for a small QR code", len(s))
	}
	q, err := receipt.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Verify(cert); err != nil {
		t.Fatalf("genuine payload: %v", err)
	}
	if q.Number != p.Number || !q.Time.Equal(p.Time) || q.SHA256 != p.SHA256 || q.Pages != 3 {
		t.Errorf("read back %+v, want %+v", q, p)
	}
	for name, alter := range map[string]func(string) string{
		"number": func(s string) string { return strings.Replace(s, "000123", "000124", 1) },
		"pages":  func(s string) string { return strings.Replace(s, ";p=3;", ";p=4;", 1) },
		"time":   func(s string) string { return strings.Replace(s, "10:15:02", "10:15:03", 1) },
		"hash":   func(s string) string { i := strings.Index(s, ";h=") + 3; return s[:i] + "f" + s[i+1:] },
		"sig": func(s string) string {
			i := strings.Index(s, ";s=") + 3
			c := byte('A')
			if s[i] == 'A' {
				c = 'B'
			}
			return s[:i] + string(c) + s[i+1:]
		},
	} {
		a := alter(s)
		if a == s {
			t.Fatalf("%s: not altered", name)
		}
		q, err := receipt.Parse(a)
		if err == nil {
			err = q.Verify(cert)
		}
		if err == nil {
			t.Errorf("altered %s: accepted", name)
		}
	}
	other := desk(t, ecKey(t))
	if err := q.Verify(other); err == nil {
		t.Error("verified with another certificate")
	}
	for _, bad := range []string{"DEMAT1;sha256=00;len=1", "DEMATR1;n=1", s + ";x=1", strings.Replace(s, "A/0", "A%2f0", 1)} {
		if _, err := receipt.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	// Numbers with separators and Arabic survive.
	q2, err := receipt.Parse(payload(t, key, cert, "ع/2026; A=1").String())
	if err != nil || q2.Number != "ع/2026; A=1" {
		t.Errorf("Arabic number: %q, %v", q2.Number, err)
	}
}

// photograph renders a receipt PDF at 150 dpi, then rotates it by 3°
// and saves it as a JPEG of quality 85, as a phone's picture of it
// would be; it gives the PNG and the JPEG.
func photograph(t *testing.T, pdfPath string) (png, jpg string) {
	t.Helper()
	testenv.Require(t, "pdftoppm", "convert")
	base := strings.TrimSuffix(pdfPath, ".pdf")
	testenv.Run(t, "pdftoppm", "-png", "-r", "150", "-singlefile", pdfPath, base)
	png, jpg = base+".png", base+"-photo.jpg"
	testenv.Run(t, "convert", png, "-background", "white", "-rotate", "3", "-quality", "85", jpg)
	return png, jpg
}

// TestWriteAndRead: receipts in every layout and language are valid
// PDF/A-2b, say the number in their text layer, and their QR code,
// rendered at 150 dpi and photographed, reads back with gozxing and
// with zbarimg, and verifies.
func TestWriteAndRead(t *testing.T) {
	testenv.Require(t, "zbarimg")
	ec := ecKey(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		layout receipt.Layout
		lang   string
		key    crypto.Signer
	}{
		{receipt.A4, "fr", ec}, {receipt.A5, "ar", ec}, {receipt.Strip, "fr", ec}, {receipt.Strip, "ar", ec},
		{receipt.Strip, "en", rsaKey}, // RSA-2048: the biggest payload, on the narrowest paper
	} {
		name := fmt.Sprintf("%s-%s-%T", tt.layout, tt.lang, tt.key)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cert := desk(t, tt.key)
			p := payload(t, tt.key, cert, "AJR/2026/A/000123")
			r := receipt.Receipt{Number: p.Number, Registered: p.Time, Depositor: "Commune de Salé — مكتب الضبط",
				Subject: "Demande de permis de construire, lot 12, avec les plans et l'attestation de propriété", Service: "Bureau d'ordre — Direction X",
				Pages: p.Pages, SHA256: hex.EncodeToString(p.SHA256[:]), Signer: cert.Subject.CommonName, Fingerprint: receipt.Fingerprint(cert), Payload: p.String()}
			if tt.lang == "ar" {
				r.Depositor, r.Subject = "جماعة سلا", "طلب رخصة البناء"
			}
			dir := t.TempDir()
			out := filepath.Join(dir, "receipt.pdf")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := receipt.Write(f, r, receipt.Options{Layout: tt.layout, Lang: tt.lang, Location: time.UTC}); err != nil {
				t.Fatal(err)
			}
			f.Close()
			pdftest.Validate(t, out, true)
			if text := testenv.PDFText(t, out); !strings.Contains(text, "AJR/2026/A/000123") {
				t.Errorf("the text layer lacks the number:\n%s", text)
			}
			png, jpg := photograph(t, out)
			for _, img := range []string{png, jpg} {
				got, err := receipt.DecodeFile(context.Background(), img)
				if err != nil {
					if d := os.Getenv("RECEIPT_FAIL"); d != "" {
						data, _ := os.ReadFile(img)
						os.WriteFile(filepath.Join(d, filepath.Base(img)), data, 0o644)
					}
					t.Fatalf("%s: %v", filepath.Base(img), err)
				}
				if got != p.String() {
					t.Fatalf("%s: read %q, want %q", filepath.Base(img), got, p.String())
				}
				q, err := receipt.Parse(got)
				if err == nil {
					err = q.Verify(cert)
				}
				if err != nil {
					t.Errorf("%s: %v", filepath.Base(img), err)
				}
				z := strings.TrimSpace(testenv.Run(t, "zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", img))
				if z != p.String() {
					t.Errorf("zbarimg %s: %q, want %q", filepath.Base(img), z, p.String())
				}
			}
			// The PDF itself reads too.
			if got, err := receipt.DecodeFile(context.Background(), out); err != nil || got != p.String() {
				t.Errorf("the PDF: %q, %v", got, err)
			}
			if os.Getenv("RECEIPT_KEEP") != "" {
				keep := filepath.Join(os.Getenv("RECEIPT_KEEP"), strings.ReplaceAll(name, "*", ""))
				os.Rename(png, keep+".png")
				os.Rename(jpg, keep+".jpg")
			}
		})
	}
}

// TestStore: the desk keeps its certificates and finds them by key id.
func TestStore(t *testing.T) {
	cert := desk(t, ecKey(t))
	s := receipt.Store(filepath.Join(t.TempDir(), "certs"))
	if _, err := s.Find(receipt.KeyID(cert)); !receipt.IsUnknown(err) {
		t.Fatalf("empty store: %v", err)
	}
	if err := s.Save(cert); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(cert); err != nil {
		t.Fatal(err)
	}
	c, err := s.Find(receipt.KeyID(cert))
	if err != nil || !c.Equal(cert) {
		t.Fatalf("Find: %v", err)
	}
	if _, err := s.Find("../../etc/passwd"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a path as key id: %v", err)
	}
}
