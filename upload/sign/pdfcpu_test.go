package sign_test

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/demat-app/demat/upload/sign"
)

// TestPDFCPU has pdfcpu's signature validation (api.ValidateSignatures,
// new in v0.14) check our signatures, with the test root as its trusted
// store and a CRL served on loopback so it can settle revocation: it
// finds them valid and PAdES B-B, sees the timestamp of a B-T one (its
// PAdES field never says B-T: by design timestamps "do not promote it"),
// and a tampered file invalid. It reports a certification with P 2 as
// "unsupported" (it only supports P 1), so that case checks it is seen
// as certified.
func TestPDFCPU(t *testing.T) {
	p := testPKI(t)
	ts := newTSA(t, p, nil)
	store := t.TempDir()
	if err := os.WriteFile(filepath.Join(store, "root.pem"), readFile(t, pemFile(t, p.root)), 0o644); err != nil {
		t.Fatal(err)
	}
	old := model.TrustedCertDir
	model.TrustedCertDir = store
	t.Cleanup(func() { model.TrustedCertDir = old })

	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1),
		ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour)}, p.inter, p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	crls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(crl) }))
	t.Cleanup(crls.Close)
	key := p.key(t, "ecdsa", "Jeanne Dupont")
	tmpl := template("Jeanne Dupont", false)
	tmpl.CRLDistributionPoints = []string{crls.URL + "/signing-ca.crl"}
	key.Certificate = issue(p.inter, p.interKey, key.Signer, tmpl)

	tests := []struct {
		name      string
		opt       sign.Options
		tamper    bool
		status    model.SignatureStatus
		pades     string
		timestamp bool
		certified bool
	}{
		{name: "B-B", status: model.SignatureStatusValid, pades: "B-B"},
		{name: "B-T", opt: sign.Options{TSA: ts.config()}, status: model.SignatureStatusValid, pades: "B-B", timestamp: true},
		{name: "tampered", tamper: true, status: model.SignatureStatusInvalid},
		{name: "certified", opt: sign.Options{Certify: true}, status: model.SignatureStatusUnknown, certified: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := signPDF(t, dematPDF(t, 1), key, tt.opt)
			if tt.tamper {
				out[bytes.Index(out, []byte("stream\n"))+20] ^= 0xff
			}
			conf := model.NewDefaultConfiguration()
			conf.AllowedRevocationHosts = []string{"127.0.0.1"}
			res, err := api.ValidateSignatures(write(t, "signed.pdf", out), true, conf)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 {
				t.Fatalf("pdfcpu found %d signatures", len(res))
			}
			r := res[0]
			signer := r.Details.Signers[0]
			t.Logf("pdfcpu: %s, %s, PAdES %q, timestamp %v %v, certified %v", r.Status, r.Reason, signer.PAdES, signer.HasTimestamp, signer.Timestamp, r.Certified())
			if r.Status != tt.status || signer.PAdES != tt.pades || signer.HasTimestamp != tt.timestamp || r.Certified() != tt.certified {
				t.Errorf("pdfcpu: status %q (%s), PAdES %q, timestamp %v, certified %v; want %q, %q, %v, %v; problems %v %v",
					r.Status, r.Reason, signer.PAdES, signer.HasTimestamp, r.Certified(), tt.status, tt.pades, tt.timestamp, tt.certified, r.Problems, signer.Problems)
			}
			if r.Details.SubFilter != "ETSI.CAdES.detached" {
				t.Errorf("pdfcpu: sub-filter %q", r.Details.SubFilter)
			}
		})
	}
}
