package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/outbox"
	"github.com/demat-app/demat/upload/sign"
	"github.com/demat-app/demat/upload/sign/keys"
)

// testCert is a CA, a signer's certificate it issued, and the signer's
// PKCS#12 file protected by pass.
type testCert struct {
	p12  string
	pool *x509.CertPool
}

func newTestCert(t *testing.T, dir, pass string) testCert {
	t.Helper()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := testenv.Issue(nil, nil, caKey, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "demat test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := testenv.Issue(ca, caKey, key, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Agent du bureau d'ordre"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	})
	data, err := pkcs12.Modern.Encode(key, leaf, []*x509.Certificate{ca}, pass)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "agent.p12")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return testCert{p12: p, pool: pool}
}

// fileSigner signs with a PKCS#12 key, as the program's does (without
// its audit trail).
type fileSigner struct{ k *keys.Key }

func (s fileSigner) Who() string  { return s.k.Certificate.Subject.CommonName }
func (s fileSigner) Close() error { return s.k.Close() }
func (s fileSigner) Sign(ctx context.Context, in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	tmp := out + ".partial"
	o, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := sign.Sign(ctx, f, st.Size(), o, sign.Key{Signer: s.k.Signer, Certificate: s.k.Certificate, Chain: s.k.Chain}, sign.Options{Reason: "test"}); err != nil {
		o.Close()
		os.Remove(tmp)
		return err
	}
	o.Close()
	return os.Rename(tmp, out)
}

// withCert makes the fixture offer the certificate c as "agent".
func withCert(c testCert, cred string) func(*Services) {
	return func(s *Services) {
		s.Certificates = func() []Certificate {
			return []Certificate{{Name: "agent", Credential: cred, Where: c.p12}}
		}
		s.OpenCertificate = func(_ context.Context, name string, secret credentials.Secret) (Signer, error) {
			k, err := keys.LoadPKCS12(c.p12, secret.Reveal())
			if err != nil {
				return nil, err
			}
			return fileSigner{k}, nil
		}
		s.Verify = func(path string) (*sign.Report, error) {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			return sign.Verify(data, c.pool)
		}
	}
}

// TestSignAndSend, in each language: the certificate's passphrase is not
// in the keyring, so the window asks for it; a wrong one is asked again;
// the right one is kept in the keyring; the document is signed, checked,
// sent, and its receipt shown in the outbox. Then saving signs again with
// the keyring's passphrase, without asking.
func TestSignAndSend(t *testing.T) {
	const pass = "phrase secrète سرية"
	c := newTestCert(t, t.TempDir(), pass)
	ring := credentials.New()
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			cred := "demat-app-test-" + l.Code + ".p12"
			ring.Delete(cred)
			t.Cleanup(func() { ring.Delete(cred) })
			f := newFixture(t, l.Code, withCert(c, cred))
			w, v := f.w, f.w.finish
			f.importPages(t, "phototest.tif")
			w.tabs.SelectIndex(1)
			test.Type(w.describe.entries["title"], "Courrier")
			w.tabs.SelectIndex(2)
			if v.signWith == nil || len(v.signWith.Options) != 2 {
				t.Fatal("no choice of certificate")
			}
			v.signWith.SetSelected("agent")
			if w.app.Preferences().String(prefCertificate) != "agent" {
				t.Error("the certificate chosen is not remembered")
			}
			golden(t, f.win.Canvas(), l.Code+"/finish-sign.xml")

			test.Tap(v.send)
			f.ui.until(t, "the passphrase dialog", func() bool { return v.secretDialog != nil })
			golden(t, f.win.Canvas(), l.Code+"/sign-passphrase.xml")
			test.Type(v.secret, "wrong")
			test.Tap(v.secretOK)
			f.ui.until(t, "the passphrase asked again", func() bool { return v.secretDialog != nil })
			test.Type(v.secret, pass)
			test.Tap(v.secretOK)
			f.ui.until(t, "the delivery", func() bool {
				o := w.outbox
				return !w.busy() && len(o.items) == 1 && o.items[0].State == outbox.Delivered
			})
			if s := v.status.Text; !strings.HasPrefix(s, tr(l.Code, "sign.valid")[:8]) {
				t.Errorf("status %q", s)
			}
			if got, err := ring.Get(cred); err != nil || got.Reveal() != pass {
				t.Errorf("the passphrase was not kept in the keyring (%v)", err)
			}
			if w.outbox.selected != w.outbox.items[0].ID || !strings.Contains(w.outbox.details.Text, "SHA-256") {
				t.Errorf("the outbox does not show the receipt: %q", w.outbox.details.Text)
			}
			w.tabs.SelectIndex(2)
			golden(t, f.win.Canvas(), l.Code+"/finish-signed.xml")

			sent := filepath.Join(f.root, "Courrier.pdf")
			data, err := os.ReadFile(sent)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := sign.Verify(data, c.pool)
			if err != nil || rep.Verdict != sign.Valid || rep.Signatures[0].Signer == "" {
				t.Fatalf("the delivered PDF's signature: %v %+v", err, rep)
			}
			if !strings.Contains(testenv.PDFText(t, sent), "lazy fox") {
				t.Error("the signed PDF has no text")
			}

			// Saving now signs with the keyring's passphrase: no dialog.
			out := filepath.Join(t.TempDir(), "saved.pdf")
			v.Save(out)
			f.ui.until(t, "the signed PDF", func() bool { return !w.busy() })
			if v.secretDialog != nil {
				t.Error("the passphrase was asked although the keyring has it")
			}
			data, err = os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (status %q)", err, v.status.Text)
			}
			if rep, err := sign.Verify(data, c.pool); err != nil || rep.Verdict != sign.Valid {
				t.Errorf("the saved PDF's signature: %v", err)
			}
		})
	}
}

// TestSignCancelled: closing the passphrase dialog stops the job; nothing
// is written and the keyring is untouched.
func TestSignCancelled(t *testing.T) {
	c := newTestCert(t, t.TempDir(), "pw")
	cred := "demat-app-test-cancel.p12"
	f := newFixture(t, "en", withCert(c, cred))
	w, v := f.w, f.w.finish
	f.importPages(t, "phototest.tif")
	v.signWith.SetSelected("agent")
	out := filepath.Join(t.TempDir(), "out.pdf")
	v.Save(out)
	f.ui.until(t, "the passphrase dialog", func() bool { return v.secretDialog != nil })
	test.Tap(v.secretCancel)
	f.ui.until(t, "the job's end", func() bool { return !w.busy() })
	if _, err := os.Stat(out); err == nil {
		t.Error("a cancelled signature wrote its output")
	}
	if _, err := credentials.New().Get(cred); !errors.Is(err, credentials.ErrNotFound) {
		t.Errorf("keyring: %v", err)
	}
	if got, want := v.status.Text, tr("en", "finish.cancelled"); got != want {
		t.Errorf("status %q, want %q", got, want)
	}
}
