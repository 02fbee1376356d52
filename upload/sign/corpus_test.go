package sign_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/upload/sign"
)

// corpusDir is the shared corpus's signed-PDF vectors: DEMAT_CORPUS, or
// ../../../shared/corpus beside the repository when it is set but empty.
// ok is false when DEMAT_CORPUS is not set at all.
func corpusDir() (dir string, ok bool) {
	dir, ok = os.LookupEnv("DEMAT_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	return filepath.Join(dir, "07_signed_pdf"), ok
}

// TestCorpus checks Verify against the signed-PDF vectors of the shared
// corpus (07_signed_pdf, see its MANIFEST.md): DSS's PAdES-BES and
// pdfsign's adbe.pkcs7.detached valid, the latter with one byte changed
// (digest mismatch), against what poppler's pdfsig says of them
// (*.pdfsig-expected.txt) and what DSS's own test asserts (PAdES-BES, not
// baseline: it has a signing-time). Their test certificates chain to no
// trusted root and have expired: the verdict is Indeterminate for the
// intact ones. It then signs the unsigned vector and the two signed ones
// over their signatures, and has pdfsig check every signature.
//
// The corpus is not in the repository, so that a plain clone's `go test
// ./...` passes, this test runs only when DEMAT_CORPUS is set (to the
// corpus folder, or empty for ../../../shared/corpus); set, it fails
// saying where it looked when the files are not there.
func TestCorpus(t *testing.T) {
	dir, ok := corpusDir()
	if !ok {
		t.Skip("the shared corpus is not in the repository: set DEMAT_CORPUS to run this test")
	}
	if _, err := os.Stat(filepath.Join(dir, "dss_pades-bes.pdf")); err != nil {
		t.Fatalf("the signed-PDF vectors are not in %s (%v): set DEMAT_CORPUS to the shared corpus folder", dir, err)
	}
	tests := []struct {
		file    string
		verdict sign.Verdict
		level   string
	}{
		{file: "dss_pades-bes", verdict: sign.Indeterminate, level: "BES"},
		{file: "pdfsign_hello_hsm", verdict: sign.Indeterminate},
		{file: "pdfsign_sigmodified", verdict: sign.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readFile(t, filepath.Join(dir, tt.file+".pdf"))
			want := string(readFile(t, filepath.Join(dir, tt.file+".pdfsig-expected.txt")))
			rep, err := sign.Verify(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Signatures) != 1 {
				t.Fatalf("%d signatures", len(rep.Signatures))
			}
			s := rep.Signatures[0]
			br := s.ByteRange
			validation := "Signature is Valid."
			if !s.DigestOK {
				validation = "Digest Mismatch."
			} else if !s.SignatureOK {
				validation = "Signature is Invalid."
			}
			for field, got := range map[string]string{
				"Signature Field Name":           s.Field,
				"Signer Certificate Common Name": s.Certificate.Subject.CommonName,
				"Signing Time":                   s.SigningTime.UTC().Format("Jan 02 2006 15:04:05"),
				"Signing Hash Algorithm":         s.Digest.String(),
				"Signature Type":                 s.SubFilter,
				"Signed Ranges":                  fmt.Sprintf("[%d - %d], [%d - %d]", br[0], br[0]+br[1], br[2], br[2]+br[3]),
				"Signature Validation":           validation,
			} {
				if w := pdfsigField(want, 1, field); got != w {
					t.Errorf("%s: %q, pdfsig says %q", field, got, w)
				}
			}
			if s.CoversDocument != strings.Contains(want, "- Total document signed") {
				t.Errorf("covers the document: %v; pdfsig:\n%s", s.CoversDocument, want)
			}
			if strings.Contains(want, "Certificate has Expired") && (s.ChainOK || !s.Certificate.NotAfter.Before(time.Now())) {
				t.Errorf("pdfsig says the certificate has expired; chain ok %v, not after %v", s.ChainOK, s.Certificate.NotAfter)
			}
			if rep.Verdict != tt.verdict || s.Level != tt.level {
				t.Errorf("verdict %v, level %q; want %v, %q; problems %v", rep.Verdict, s.Level, tt.verdict, tt.level, s.Problems)
			}
		})
	}

	p := testPKI(t)
	key := p.key(t, "rsa", "Jeanne Dupont")
	t.Run("sign pdfsign_hello", func(t *testing.T) {
		data := readFile(t, filepath.Join(dir, "pdfsign_hello.pdf"))
		if _, err := sign.Verify(data, nil); !errors.Is(err, sign.ErrUnsigned) {
			t.Errorf("Verify of an unsigned PDF: %v, want ErrUnsigned", err)
		}
		out := signPDF(t, data, key, sign.Options{})
		report := pdfsig(t, write(t, "hello.pdf", out))
		if v := pdfsigField(report, 1, "Signature Validation"); v != "Signature is Valid." || !strings.Contains(report, "- Total document signed") {
			t.Errorf("pdfsig:\n%s", report)
		}
		rep, err := sign.Verify(out, p.trust)
		if err != nil || rep.Verdict != sign.Valid {
			t.Errorf("Verify: %v %+v", err, rep)
		}
	})
	for _, file := range []string{"dss_pades-bes", "pdfsign_hello_hsm"} {
		t.Run("sign over "+file, func(t *testing.T) {
			data := readFile(t, filepath.Join(dir, file+".pdf"))
			out := signPDF(t, data, key, sign.Options{})
			report := pdfsig(t, write(t, "twice.pdf", out))
			for n := 1; n <= 2; n++ {
				if v := pdfsigField(report, n, "Signature Validation"); v != "Signature is Valid." {
					t.Errorf("pdfsig: signature %d: %q\n%s", n, v, report)
				}
			}
			rep, err := sign.Verify(out, p.trust)
			if err != nil {
				t.Fatal(err)
			}
			first, ours := rep.Signatures[0], rep.Signatures[1]
			if first.Verdict != sign.Indeterminate || ours.Verdict != sign.Valid || rep.Verdict != sign.Indeterminate || !ours.CoversDocument {
				t.Errorf("Verify: first %v %v, ours %v %v, document %v", first.Verdict, first.Problems, ours.Verdict, ours.Problems, rep.Verdict)
			}
			if !containsChange(first.Later, "added signature") {
				t.Errorf("the changes after the first signature do not list ours: %v", first.Later)
			}
		})
	}
}
