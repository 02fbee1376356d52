package sign_test

import (
	"testing"

	"github.com/demat-app/demat/upload/sign"
)

// FuzzVerify feeds Verify signed PDFs with bytes changed, cut or added:
// it must never panic, and never call valid what is not intact.
func FuzzVerify(f *testing.F) {
	p := testPKI(f)
	key := p.key(f, "ecdsa", "Jeanne Dupont")
	demat := signPDF(f, dematPDF(f, 1), key, sign.Options{Reason: "Vu"})
	f.Add(demat)
	f.Add(signPDF(f, demat, key, sign.Options{}))
	f.Add(signPDF(f, demat, key, sign.Options{Appearance: &sign.Appearance{Registration: "AJR/2026/A/000123"}}))
	f.Add(signPDF(f, handPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 200 200] >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		stream("0 0 m 100 100 l S"),
	}, "", true), key, sign.Options{Certify: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := sign.Verify(data, p.trust)
		if err != nil {
			return
		}
		if len(rep.Signatures) == 0 {
			t.Fatal("a report without signatures")
		}
		if rep.Verdict == sign.Valid {
			for _, s := range rep.Signatures {
				if !s.DigestOK || !s.SignatureOK || !s.CoversRevision || s.Verdict != sign.Valid {
					t.Fatalf("document valid, but a signature is not: %+v", s)
				}
			}
			if !rep.Signatures[len(rep.Signatures)-1].CoversDocument {
				t.Fatal("document valid, but its last signature does not cover it")
			}
		}
	})
}
