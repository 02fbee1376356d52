package sign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload/sign"
)

// TestSign signs a demat PDF/A with RSA and ECDSA keys and each digest,
// and has the result checked by poppler's pdfsig (NSS underneath),
// OpenSSL (the CMS's attributes, and the detached signature verified
// over the byte range against the test root), qpdf, pdfcpu's strict
// validation, the PDF/A structure check, and Verify.
func TestSign(t *testing.T) {
	p := testPKI(t)
	tests := []struct {
		name   string
		key    string
		digest crypto.Hash
		pss    bool
		hash   string // as pdfsig names it
	}{
		{name: "rsa", key: "rsa", hash: "SHA-256"},
		{name: "ecdsa", key: "ecdsa", hash: "SHA-256"},
		{name: "rsa-pss-sha384", key: "rsa", digest: crypto.SHA384, pss: true, hash: "SHA-384"},
		{name: "ecdsa-sha512", key: "ecdsa", digest: crypto.SHA512, hash: "SHA-512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := dematPDF(t, 2)
			key := p.key(t, tt.key, "Jeanne Dupont")
			opt := sign.Options{Reason: "Accusé de réception", Location: "الرباط", Contact: "jeanne@example.org", Name: "Jeanne Dupont",
				Digest: tt.digest, PSS: tt.pss, Time: time.Now().Add(-time.Minute).Truncate(time.Second)}
			out := signPDF(t, data, key, opt)
			path := write(t, "signed.pdf", out)

			report := pdfsig(t, path)
			for field, want := range map[string]string{
				"Signature Validation":           "Signature is Valid.",
				"Signature Type":                 "ETSI.CAdES.detached",
				"Signer Certificate Common Name": "Jeanne Dupont",
				"Signing Hash Algorithm":         tt.hash,
				"Signature Field Name":           "Signature1",
			} {
				if got := pdfsigField(report, 1, field); got != want {
					t.Errorf("pdfsig: %s: %q, want %q", field, got, want)
				}
			}
			if !strings.Contains(report, "- Total document signed") {
				t.Errorf("pdfsig does not say the total document is signed:\n%s", report)
			}

			cms, signed := signedParts(t, out, 0)
			printed := opensslPrint(t, cms)
			if !strings.Contains(printed, "id-smime-aa-signingCertificateV2") {
				t.Errorf("openssl does not show signingCertificateV2:\n%s", printed)
			}
			if strings.Contains(printed, "signingTime") {
				t.Errorf("the CMS has a signingTime attribute, which PAdES forbids:\n%s", printed)
			}
			testenv.Run(t, "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", write(t, "sig.der", cms),
				"-content", write(t, "signed.bin", signed), "-CAfile", pemFile(t, p.root), "-purpose", "any", "-out", write(t, "out", nil))

			pdftest.Validate(t, path, true)

			rep, err := sign.Verify(out, p.trust)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict != sign.Valid || len(rep.Signatures) != 1 {
				t.Fatalf("Verify: %v, %d signatures, problems %v", rep.Verdict, len(rep.Signatures), rep.Problems)
			}
			s := rep.Signatures[0]
			want := tt.digest
			if want == 0 {
				want = crypto.SHA256
			}
			if !s.DigestOK || !s.SignatureOK || !s.SigningCertV2 || !s.SigningCertOK || !s.ChainOK || !s.CoversDocument ||
				s.Level != "B-B" || s.Digest != want || s.Timestamp != nil || len(s.Chain) != 3 {
				t.Errorf("Verify: %+v", s)
			}
			if s.Reason != opt.Reason || s.Location != opt.Location || s.Contact != opt.Contact || s.Name != opt.Name || !s.SigningTime.Equal(opt.Time) {
				t.Errorf("Verify read back %q %q %q %q %v, want %q %q %q %q %v", s.Reason, s.Location, s.Contact, s.Name, s.SigningTime,
					opt.Reason, opt.Location, opt.Contact, opt.Name, opt.Time)
			}
			if s.Certification != 0 || s.Pages != 2 || rep.Pages != 2 || s.Field != "Signature1" {
				t.Errorf("Verify: certification %d, pages %d/%d, field %q", s.Certification, s.Pages, rep.Pages, s.Field)
			}
		})
	}
}

// TestSignXRefStream signs a PDF whose cross-reference is a stream and
// whose objects are in object streams (qpdf rewrites demat's file so):
// the update ends with a cross-reference stream too, and a second
// signature over the first still leaves both valid.
func TestSignXRefStream(t *testing.T) {
	p := testPKI(t)
	dir := t.TempDir()
	plain := write(t, "plain.pdf", dematPDF(t, 3))
	objstm := dir + "/objstm.pdf"
	testenv.Run(t, "qpdf", "--object-streams=generate", plain, objstm)
	data := readFile(t, objstm)

	once := signPDF(t, data, p.key(t, "rsa", "Jeanne Dupont"), sign.Options{})
	twice := signPDF(t, once, p.key(t, "ecdsa", "Karim Benali"), sign.Options{Reason: "Vu"})
	for _, update := range [][]byte{once[len(data):], twice[len(once):]} {
		if !bytes.Contains(update, []byte("/Type/XRef")) || bytes.Contains(update, []byte("\nxref\n")) {
			t.Errorf("the update does not end with a cross-reference stream:\n%s", update[len(update)-300:])
		}
	}
	path := write(t, "twice.pdf", twice)
	report := pdfsig(t, path)
	for n, cn := range []string{"Jeanne Dupont", "Karim Benali"} {
		if v := pdfsigField(report, n+1, "Signature Validation"); v != "Signature is Valid." {
			t.Errorf("pdfsig: signature %d: %q\n%s", n+1, v, report)
		}
		if v := pdfsigField(report, n+1, "Signer Certificate Common Name"); v != cn {
			t.Errorf("pdfsig: signature %d by %q, want %q", n+1, v, cn)
		}
	}
	if !strings.Contains(report, "- Not total document signed") || !strings.Contains(report, "- Total document signed") {
		t.Errorf("pdfsig should say the first signature covers part of the document, the second all of it:\n%s", report)
	}
	pdftest.Validate(t, path, true)

	rep, err := sign.Verify(twice, p.trust)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != sign.Valid || len(rep.Signatures) != 2 {
		t.Fatalf("Verify: %v, %d signatures, %v", rep.Verdict, len(rep.Signatures), rep.Problems)
	}
	first, second := rep.Signatures[0], rep.Signatures[1]
	if first.Field != "Signature1" || second.Field != "Signature2" || first.CoversDocument || !second.CoversDocument ||
		first.Revision != 2 || second.Revision != 3 {
		t.Errorf("Verify: first %q revision %d covers all %v, second %q revision %d covers all %v",
			first.Field, first.Revision, first.CoversDocument, second.Field, second.Revision, second.CoversDocument)
	}
	// After the first signature: the second's dictionary, field, and
	// appearance, and the page and form that list it.
	for _, want := range []string{"added signature", "added signature field (Widget)", "added XObject (Form)", "modified page"} {
		if !containsChange(first.Later, want) {
			t.Errorf("the changes after the first signature %v do not include %q", first.Later, want)
		}
	}
	if containsChange(first.Later, "added page") {
		t.Errorf("no page was added: %v", first.Later)
	}
}

// TestCertify makes a certification signature (DocMDP, P 2): the catalog
// names it in /Perms (read back with pdfcpu; poppler's pdfsig does not
// print certification), the file stays PDF/A, Verify reports it; a later
// approval signature is allowed, a page added after it is not, and
// certifying a signed document is refused.
func TestCertify(t *testing.T) {
	p := testPKI(t)
	data := dematPDF(t, 1)
	key := p.key(t, "ecdsa", "Jeanne Dupont")
	certified := signPDF(t, data, key, sign.Options{Certify: true, Reason: "Copie conforme"})

	ctx, err := api.ReadContext(bytes.NewReader(certified), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := ctx.Catalog()
	perms, _ := ctx.DereferenceDict(cat["Perms"])
	sigDict, _ := ctx.DereferenceDict(perms["DocMDP"])
	if sigDict == nil || sigDict["Reference"] == nil || !strings.Contains(sigDict["Reference"].PDFString(), "/P 2") {
		t.Fatalf("the catalog's /Perms /DocMDP does not lead to a signature with a DocMDP P 2 reference: %v", perms)
	}
	path := write(t, "certified.pdf", certified)
	pdftest.Validate(t, path, true)
	report := pdfsig(t, path)
	if v := pdfsigField(report, 1, "Signature Validation"); v != "Signature is Valid." {
		t.Errorf("pdfsig: %q\n%s", v, report)
	}
	t.Logf("pdfsig on a certification signature:\n%s", report)

	rep, err := sign.Verify(certified, p.trust)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != sign.Valid || rep.Signatures[0].Certification != 2 {
		t.Fatalf("Verify: %v, certification P %d, %v", rep.Verdict, rep.Signatures[0].Certification, rep.Signatures[0].Problems)
	}

	approved := signPDF(t, certified, p.key(t, "rsa", "Karim Benali"), sign.Options{})
	rep, err = sign.Verify(approved, p.trust)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != sign.Valid || rep.Signatures[0].Certification != 2 || rep.Signatures[1].Certification != 0 {
		t.Errorf("certified then approved: %v, %+v", rep.Verdict, rep.Signatures[0].Problems)
	}

	// A page added after the certification breaks it, even signed over.
	added := signPDF(t, appendPage(t, certified), key, sign.Options{})
	rep, err = sign.Verify(added, p.trust)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != sign.Invalid || !strings.Contains(strings.Join(rep.Signatures[0].Problems, " "), "certification forbids") {
		t.Errorf("certified, page added, signed: %v, %v", rep.Verdict, rep.Signatures[0].Problems)
	}

	var out bytes.Buffer
	err = sign.Sign(context.Background(), bytes.NewReader(approved), int64(len(approved)), &out, key, sign.Options{Certify: true})
	if err == nil || !strings.Contains(err.Error(), "already signed") || out.Len() != 0 {
		t.Errorf("certifying a signed document: %v, %d bytes written", err, out.Len())
	}
}

// TestTamper changes one byte inside each part of the signed range:
// pdfsig says the digest does not match, and so does Verify.
func TestTamper(t *testing.T) {
	p := testPKI(t)
	data := dematPDF(t, 1)
	signed := signPDF(t, data, p.key(t, "rsa", "Jeanne Dupont"), sign.Options{Reason: "Original"})
	tests := []struct {
		name string
		at   func([]byte) int
		to   byte
	}{
		// In the original file: a byte of the page image's stream.
		{name: "original", at: func(b []byte) int { return bytes.Index(b, []byte("stream\n")) + 20 }, to: 0x55},
		// In the update, before /Contents: the reason.
		{name: "reason", at: func(b []byte) int { return bytes.Index(b, []byte("(Original)")) + 1 }, to: 'X'},
		// In the update, after /Contents: the widget's flags.
		{name: "widget", at: func(b []byte) int { return bytes.Index(b, []byte("/F 132")) + 5 }, to: '6'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(signed)
			i := tt.at(b)
			if i <= 0 || b[i] == tt.to {
				t.Fatalf("no byte to change at %d", i)
			}
			b[i] = tt.to
			report := pdfsig(t, write(t, "tampered.pdf", b))
			if v := pdfsigField(report, 1, "Signature Validation"); v != "Digest Mismatch." {
				t.Errorf("pdfsig: %q, want Digest Mismatch.\n%s", v, report)
			}
			rep, err := sign.Verify(b, p.trust)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if rep.Verdict != sign.Invalid || s.DigestOK || s.Verdict != sign.Invalid || !strings.Contains(strings.Join(s.Problems, " "), "digest mismatch") {
				t.Errorf("Verify: %v, digest ok %v, problems %v", rep.Verdict, s.DigestOK, s.Problems)
			}
		})
	}
}

// TestChangedAfterSigning adds a page in an incremental update after the
// signature: pdfsig still finds the signature valid for the revision it
// signed; Verify says what was added and, like DSS (a signature followed
// by added pages fails, BBB_FC_DSFREAP), fails the signature and the
// document.
func TestChangedAfterSigning(t *testing.T) {
	p := testPKI(t)
	signed := signPDF(t, dematPDF(t, 1), p.key(t, "ecdsa", "Jeanne Dupont"), sign.Options{})
	changed := appendPage(t, signed)

	report := pdfsig(t, write(t, "changed.pdf", changed))
	if v := pdfsigField(report, 1, "Signature Validation"); v != "Signature is Valid." || !strings.Contains(report, "- Not total document signed") {
		t.Errorf("pdfsig: %q, want a valid signature that does not cover the document\n%s", v, report)
	}
	rep, err := sign.Verify(changed, p.trust)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Signatures[0]
	if rep.Verdict != sign.Invalid || s.Verdict != sign.Invalid || !s.DigestOK || !s.SignatureOK || s.CoversDocument || !s.CoversRevision || s.Pages != 1 || rep.Pages != 2 {
		t.Fatalf("Verify: document %v, signature %v, covers document %v, pages %d then %d", rep.Verdict, s.Verdict, s.CoversDocument, s.Pages, rep.Pages)
	}
	if !containsChange(s.Later, "added page") || !containsChange(s.Later, "modified page tree") {
		t.Errorf("changes after signing: %v", s.Later)
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "added page") {
		t.Errorf("document problems: %v", rep.Problems)
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "it signed 1, there are 2") {
		t.Errorf("signature problems: %v", s.Problems)
	}
}

// TestSignRefuses checks what Sign refuses before doing anything.
func TestSignRefuses(t *testing.T) {
	p := testPKI(t)
	data := dematPDF(t, 1)
	key := p.key(t, "ecdsa", "Jeanne Dupont")
	other := p.key(t, "ecdsa", "Karim Benali")
	tests := []struct {
		name string
		data []byte
		key  sign.Key
		opt  sign.Options
		want string
	}{
		{name: "no key", data: data, want: "no key"},
		{name: "wrong certificate", data: data, key: sign.Key{Signer: key.Signer, Certificate: other.Certificate}, want: "not the key's"},
		{name: "sha1", data: data, key: key, opt: sign.Options{Digest: crypto.SHA1}, want: "not allowed"},
		{name: "expired", data: data, key: key, opt: sign.Options{Time: time.Now().Add(48 * time.Hour)}, want: "renew it"},
		{name: "not a pdf", data: []byte("hello, world"), key: key, want: "damaged"},
		{name: "truncated", data: data[:len(data)/2], key: key, want: "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := sign.Sign(context.Background(), bytes.NewReader(tt.data), int64(len(tt.data)), &out, tt.key, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) || out.Len() != 0 {
				t.Errorf("Sign: %v (%d bytes written), want an error saying %q", err, out.Len(), tt.want)
			}
		})
	}
}

func containsChange(cs []sign.Change, prefix string) bool {
	for _, c := range cs {
		if strings.HasPrefix(c.String(), prefix+" ") {
			return true
		}
	}
	return false
}

// appendPage adds, in a hand-written incremental update, a copy of the
// last page at the end of the page tree: what an attacker (or a careless
// tool) does to a signed file.
func appendPage(t testing.TB, data []byte) []byte {
	t.Helper()
	ctx, err := api.ReadContext(bytes.NewReader(data), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		t.Fatal(err)
	}
	x := ctx.XRefTable
	pagesRef := x.RootDict["Pages"].(types.IndirectRef)
	pages, _ := x.DereferenceDict(pagesRef)
	last, _, _, err := x.PageDict(x.PageCount, false)
	if err != nil {
		t.Fatal(err)
	}
	next := *x.Size
	page := last.Clone().(types.Dict)
	delete(page, "Annots")
	page["Parent"] = pagesRef
	pages = pages.Clone().(types.Dict)
	pages["Kids"] = append(pages["Kids"].(types.Array), types.IndirectRef{ObjectNumber: types.Integer(next)})
	pages["Count"] = types.Integer(x.PageCount + 1)

	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(data)
	prev, _ := strconv.Atoi(string(m[1]))
	var b bytes.Buffer
	b.Write(data)
	off1 := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", next, page.PDFString())
	off2 := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", pagesRef.ObjectNumber, pages.PDFString())
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n", pagesRef.ObjectNumber, off2, next, off1)
	trailer := types.Dict{"Size": types.Integer(next + 1), "Root": *x.Root, "Prev": types.Integer(prev), "ID": x.ID}
	fmt.Fprintf(&b, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", trailer.PDFString(), xref)
	return b.Bytes()
}

// TestSigningCertificateSwapped replaces, in a signed file, the signer's
// certificate by another the same CA issued for the same key with the
// same serial number (a CA mistake, or an attack): the signature value
// still verifies with the key, but the signing-certificate-v2 attribute
// names the original certificate, and Verify says so.
func TestSigningCertificateSwapped(t *testing.T) {
	p := testPKI(t)
	key := p.key(t, "ecdsa", "Jeanne Dupont")
	var other *x509.Certificate
	for i := 0; i < 100 && other == nil; i++ {
		tmpl := template("Jeanne Dupond", false)
		tmpl.SerialNumber = key.Certificate.SerialNumber
		tmpl.ExtKeyUsage = key.Certificate.ExtKeyUsage
		if c := issue(p.inter, p.interKey, key.Signer, tmpl); len(c.Raw) == len(key.Certificate.Raw) {
			other = c
		}
	}
	if other == nil {
		t.Fatal("no certificate of the same length")
	}
	signed := signPDF(t, dematPDF(t, 1), key, sign.Options{})
	from, to := []byte(hex.EncodeToString(key.Certificate.Raw)), []byte(hex.EncodeToString(other.Raw))
	if bytes.Count(signed, from) != 1 {
		t.Fatal("the certificate is not in the /Contents once")
	}
	swapped := bytes.Replace(signed, from, to, 1)

	rep, err := sign.Verify(swapped, p.trust)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Signatures[0]
	if !s.SignatureOK || !s.DigestOK || !s.SigningCertV2 || s.SigningCertOK || s.Verdict != sign.Invalid || s.Certificate.Subject.CommonName != "Jeanne Dupond" {
		t.Errorf("Verify: signature %v, digest %v, v2 %v, matches %v, verdict %v, signer %q", s.SignatureOK, s.DigestOK, s.SigningCertV2, s.SigningCertOK, s.Verdict, s.Signer)
	}
	if !strings.Contains(strings.Join(s.Problems, " "), "names another certificate") {
		t.Errorf("problems: %v", s.Problems)
	}
}
