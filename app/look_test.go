package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/sign"
	"github.com/demat-app/demat/upload/sign/keys"
)

// lookSigner is fileSigner that can show the signature, recording where
// it was asked to.
type lookSigner struct {
	fileSigner
	looks *[]Look
}

func (s lookSigner) SignVisible(ctx context.Context, in, out string, look Look) error {
	*s.looks = append(*s.looks, look)
	a := &sign.Appearance{Page: 1, Registration: look.Registration}
	if look.Last {
		a.Page = -1
	}
	c, _, err := sign.ParsePlace(look.Corner)
	if err != nil {
		return err
	}
	a.Corner = c
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	return sign.Sign(ctx, f, st.Size(), o, sign.Key{Signer: s.k.Signer, Certificate: s.k.Certificate, Chain: s.k.Chain}, sign.Options{Appearance: a})
}

// The Signature card shows the signature on a page when asked: on the
// last page, top left, with the document's registration number; the
// choice is remembered, and offered only with a certificate.
func TestVisibleSignature(t *testing.T) {
	const pass = "phrase"
	c := newTestCert(t, t.TempDir(), pass)
	cred := "demat-app-test-look.p12"
	ring := credentials.New()
	ring.Set(cred, credentials.NewSecret(pass))
	t.Cleanup(func() { ring.Delete(cred) })
	var looks []Look
	f := newFixture(t, "fr", func(s *Services) {
		withCert(c, cred)(s)
		s.OpenCertificate = func(_ context.Context, name string, secret credentials.Secret) (Signer, error) {
			k, err := keys.LoadPKCS12(c.p12, secret.Reveal())
			if err != nil {
				return nil, err
			}
			return lookSigner{fileSigner{k}, &looks}, nil
		}
	})
	w, v := f.w, f.w.finish
	if v.visible == nil || !v.visible.Disabled() || !v.sigPage.Disabled() {
		t.Fatal("showing the signature is offered without a certificate chosen")
	}
	v.signWith.SetSelected("agent")
	if v.visible.Disabled() || !v.sigCorner.Disabled() {
		t.Fatal("with a certificate: Show it must be offered, the place only once it is ticked")
	}
	test.Tap(v.visible)
	v.sigPage.SetSelected(tr("fr", "finish.page_last"))
	v.sigCorner.SetSelected(tr("fr", "finish.corner_tl"))
	if v.sigCorner.Disabled() {
		t.Fatal("the place cannot be chosen")
	}

	f.importPages(t, "phototest.tif", "phototest.tif")
	w.describe.entries["registration_number"].SetText("AJR/2026/A/000123")
	out := filepath.Join(t.TempDir(), "vu.pdf")
	v.Save(out)
	f.ui.until(t, "the signed PDF", func() bool { return !w.busy() })
	if len(looks) != 1 || looks[0] != (Look{Last: true, Corner: "top-left", Registration: "AJR/2026/A/000123"}) {
		t.Fatalf("asked to show it %+v (status %q)", looks, v.status.Text)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := sign.Verify(data, c.pool)
	if err != nil || len(rep.Signatures) != 1 || rep.Signatures[0].Block == nil {
		t.Fatalf("report %+v, %v (status %q)", rep, err, v.status.Text)
	}
	if b := rep.Signatures[0].Block; b.Page != rep.Pages || b.QR.Registration != "AJR/2026/A/000123" || !b.Matches {
		t.Errorf("block %+v on a document of %d pages", b, rep.Pages)
	}

	// The window rebuilt (another language) shows the same choice.
	w.Rebuild()
	v = w.finish
	if !v.visible.Checked || v.sigPage.SelectedIndex() != 1 || v.sigCorner.SelectedIndex() != 3 {
		t.Errorf("not remembered: %v %d %d", v.visible.Checked, v.sigPage.SelectedIndex(), v.sigCorner.SelectedIndex())
	}
}
