package sign_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/demat-app/demat/upload/sign"
)

// handPDF writes a PDF of the given objects (numbered from 1) with a
// classic cross-reference table; extra goes into the trailer, and eol
// says whether the file ends with an end-of-line after %%EOF.
func handPDF(objs []string, extra string, eol bool) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF", len(objs)+1, extra, xref)
	if eol {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func stream(s string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(s), s)
}

const helloPage = "BT /F1 24 Tf 72 720 Td (Hello) Tj ET"

// TestSignShapes signs PDFs whose form and pages are laid out as other
// writers do: the form inside the catalog with a text field already
// there, a page's annotations in an array object of their own, no /ID,
// no /Info and no end-of-line after %%EOF; or the form and its field
// list as objects of their own, an unsigned signature field already
// named Signature1, and page 1 deep in the page tree with inherited
// attributes. pdfsig, qpdf and Verify check each.
func TestSignShapes(t *testing.T) {
	p := testPKI(t)
	tests := []struct {
		name  string
		pdf   []byte
		field string
	}{
		{name: "direct form, indirect annots", field: "Signature1", pdf: handPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >> >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595.276 841.89] >>",
			"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots 7 0 R >>",
			stream(helloPage),
			"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
			"<< /FT /Tx /T (Nom) /V (Jeanne) /Type /Annot /Subtype /Widget /Rect [72 600 300 620] /P 3 0 R /F 4 >>",
			"[6 0 R 8 0 R]",
			"<< /Type /Annot /Subtype /Link /Rect [72 700 200 720] /Border [0 0 0] /F 4 /A << /S /URI /URI (https://example.org) >> >>",
		}, "", false)},
		{name: "indirect form and fields, deep page", field: "Signature2", pdf: handPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R /AcroForm 6 0 R >>",
			"<< /Type /Pages /Kids [9 0 R] /Count 1 /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> >>",
			"<< /Type /Page /Parent 9 0 R /Contents 4 0 R /Annots [8 0 R] >>",
			stream(helloPage),
			"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
			"<< /Fields 7 0 R /SigFlags 0 >>",
			"[8 0 R]",
			"<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 >>",
			"<< /Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 1 >>",
			"<< /Producer (hand) >>",
		}, "/Info 10 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]", true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := signPDF(t, tt.pdf, p.key(t, "ecdsa", "Jeanne Dupont"), sign.Options{Reason: "Vu"})
			path := write(t, "signed.pdf", out)
			report := pdfsig(t, path)
			if v := pdfsigFieldOf(report, tt.field, "Signature Validation"); v != "Signature is Valid." || !strings.Contains(report, "- Total document signed") {
				t.Errorf("pdfsig: %s: %q\n%s", tt.field, v, report)
			}
			if out := runQPDFCheck(t, path); !strings.Contains(out, "No syntax or stream encoding errors") {
				t.Errorf("qpdf --check: %s", out)
			}
			rep, err := sign.Verify(out, p.trust)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict != sign.Valid || len(rep.Signatures) != 1 || rep.Signatures[0].Field != tt.field {
				t.Errorf("Verify: %v, %d signatures, %+v", rep.Verdict, len(rep.Signatures), rep.Signatures)
			}
		})
	}
}

// pdfsigFieldOf gives the value pdfsig prints for a field of the
// signature in the form field named name.
func pdfsigFieldOf(report, name, field string) string {
	for n := 1; n < len(regexp.MustCompile(`(?m)^Signature #\d+:`).FindAllString(report, -1))+1; n++ {
		if pdfsigField(report, n, "Signature Field Name") == name {
			return pdfsigField(report, n, field)
		}
	}
	return ""
}
