package sign

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Verdict is the conclusion about a signature or a document, in the three
// values of ETSI EN 319 102-1.
type Verdict int

const (
	// Invalid: something is broken: a digest or signature value is wrong,
	// a byte range does not cover its revision, a certification's rules
	// were broken, or the document changed after its last signature.
	Invalid Verdict = iota
	// Indeterminate: everything is intact, but a certificate could not be
	// chained to a trusted root at the time that counts (unknown issuer,
	// expired): the document is what was signed, by whom is not proven.
	Indeterminate
	// Valid: intact, and every certificate chains to a trusted root.
	Valid
)

// String gives the verdict in lower case, as ETSI names it.
func (v Verdict) String() string {
	switch v {
	case Valid:
		return "valid"
	case Indeterminate:
		return "indeterminate"
	}
	return "invalid"
}

// ErrUnsigned is returned by Verify for a PDF without signatures.
var ErrUnsigned = errors.New("sign: the PDF has no signature")

// Report is what Verify found.
type Report struct {
	// Signatures in the order they were made (by the revision they sign).
	Signatures []*Signature
	// Pages is the document's page count.
	Pages int
	// Verdict is Valid only when every signature is valid and the last
	// one covers the whole document; the worst of the signatures'
	// verdicts otherwise, and Invalid when the last signature does not
	// cover the document.
	Verdict Verdict
	// Problems are what made the document's verdict worse than its
	// signatures', in sentences.
	Problems []string
}

// Signature is one signature's verification.
type Signature struct {
	Field     string // the field's full name
	SubFilter string // ETSI.CAdES.detached, adbe.pkcs7.detached, ETSI.RFC3161…
	// Level is the PAdES level the signature meets: "B-B" or "B-T" (the
	// baseline of ETSI EN 319 142-1); "BES" for a CAdES signature
	// outside the baseline (with a signing-time attribute, as PAdES-BES
	// allowed); empty for others (adbe.pkcs7.*) and invalid ones.
	Level string

	Signer                          string // the signer certificate's subject
	Certificate                     *x509.Certificate
	SigningTime                     time.Time // /M, the time the signer claims
	Reason, Location, Contact, Name string
	// Certification is the DocMDP P (1 to 3) of a certification
	// signature, 0 for an approval signature.
	Certification int

	Digest      crypto.Hash
	DigestOK    bool // the signed bytes hash to the digest the signature covers
	SignatureOK bool // the signature value verifies with the signer's key
	// SigningCertV2 says the signed attributes carry an ESS
	// signing-certificate-v2; SigningCertOK that it (or a v1 one) names
	// the certificate that verified the signature.
	SigningCertV2 bool
	SigningCertOK bool
	// Timestamp is the signature's RFC 3161 timestamp, nil when none.
	Timestamp *Timestamp

	// ChainOK says Certificate chains to the trust roots (with the
	// signature's certificates as intermediates) at ValidatedAt: the
	// timestamp's time when it is sound, else the time of verification.
	ChainOK     bool
	ChainError  string
	Chain       []*x509.Certificate
	ValidatedAt time.Time

	ByteRange [4]int64
	// Revision is which revision the signature signs (1 is the
	// original file), 0 when its byte range ends at none.
	Revision int
	// CoversRevision says the byte range is the whole file up to the end
	// of that revision, but the /Contents hex string.
	CoversRevision bool
	// CoversDocument says that revision is the whole file.
	CoversDocument bool
	// Pages is the page count of the revision signed.
	Pages int
	// Later is what incremental updates after the signed revision added,
	// modified or deleted: objects by their type. Signatures, form
	// fields and annotations added later leave the signature valid;
	// pages added or removed, or a page's content changed, make it
	// invalid (what the signer saw is no longer what is shown), and so
	// does any change a certification does not permit.
	Later []Change

	// Block is the visible signature block demat drew for this
	// signature, nil when the signature has none (or another
	// application drew it).
	Block *Block

	Verdict  Verdict
	Problems []string // why the verdict is not Valid
}

// Block is a visible signature block demat drew, as its appearance
// records the text of its QR code. Verify does not decode the drawn QR
// code: it reads what the signer's demat put in the same, signed,
// appearance.
type Block struct {
	// Page is the page that shows the block, from 1; 0 when unknown.
	Page int
	// Text is the QR code's text, and QR what it says.
	Text string
	QR   QR
	// Matches says the QR code's hash is that of the document as it was
	// before this signature: the file's first QR.Length bytes, ending
	// where the signature's own update begins.
	Matches bool
}

// Timestamp is a signature's RFC 3161 timestamp.
type Timestamp struct {
	Time        time.Time
	TSA         string // the TSA certificate's subject
	Certificate *x509.Certificate
	SignatureOK bool // the token's signature verifies
	ImprintOK   bool // the token is over this signature's value
	ChainOK     bool // the TSA's certificate chains to the trust roots at Time
	ChainError  string
}

// Change is one object a later incremental update added, modified or
// deleted.
type Change struct {
	Object int
	Action string // "added", "modified" or "deleted"
	Type   string // "page", "annotation (Text)", "signature", "catalog"…
}

// String says the change in words: "added page 12".
func (c Change) String() string { return fmt.Sprintf("%s %s %d", c.Action, c.Type, c.Object) }

// Verify checks every signature of a PDF: its byte range, digest,
// signature value, signing-certificate binding, timestamp, certificate
// chain against trust (nil means the system's roots), and what later
// incremental updates changed. It returns ErrUnsigned for a PDF without
// signatures, and an error for a file it cannot read; a malformed
// signature is a Signature with an Invalid verdict and its problem.
func Verify(data []byte, trust *x509.CertPool) (rep *Report, err error) {
	defer func() {
		if p := recover(); p != nil {
			rep, err = nil, fmt.Errorf("sign: verify: malformed PDF (%v)", p)
		}
	}()
	ctx, err := readContext(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("sign: verify: read the PDF: %v", err)
	}
	x := ctx.XRefTable
	sigs := findSignatures(x)
	if len(sigs) == 0 {
		return nil, ErrUnsigned
	}
	rep = &Report{Pages: x.PageCount, Verdict: Valid}
	ends := revisionEnds(data)
	revs := map[int64]*model.XRefTable{} // parsed revisions, by end
	for _, f := range sigs {
		s := verifyOne(data, x, f, trust, ends)
		if s.Revision > 0 && !s.CoversDocument {
			var detail []change
			s.Later, s.Pages, detail = changesAfter(data, x, s.ByteRange[2]+s.ByteRange[3], revs)
			if s.Certification > 0 {
				if bad := forbidden(s.Certification, detail, x); len(bad) > 0 {
					s.fail("the document was certified (P %d), then changed in ways the certification forbids: %s", s.Certification, joinChanges(bad))
				}
			} else if vis := visualChanges(detail); len(vis) > 0 || s.Pages != x.PageCount {
				// What the signer saw is no longer what is shown: DSS
				// fails such a signature too (pages added: BBB_FC_DSFREAP).
				s.fail("the pages changed after this signature (it signed %d, there are %d): %s", s.Pages, x.PageCount, joinChanges(vis))
			}
		} else {
			s.Pages = x.PageCount
		}
		s.Block = blockOf(data, x, f.widget, s, ends)
		rep.Signatures = append(rep.Signatures, s)
	}
	slices.SortStableFunc(rep.Signatures, func(a, b *Signature) int {
		return int((a.ByteRange[2] + a.ByteRange[3]) - (b.ByteRange[2] + b.ByteRange[3]))
	})
	for _, s := range rep.Signatures {
		rep.Verdict = min(rep.Verdict, s.Verdict)
	}
	last := rep.Signatures[len(rep.Signatures)-1]
	if !last.CoversDocument {
		rep.Verdict = Invalid
		if len(last.Later) > 0 {
			rep.Problems = append(rep.Problems, "the document was changed after its last signature: "+joinChanges(last.Later))
		} else {
			rep.Problems = append(rep.Problems, "the last signature does not cover the whole document")
		}
	}
	return rep, nil
}

// found is a signature dictionary found through the form.
type found struct {
	field  string
	num    int
	dict   types.Dict
	widget types.Dict // the field's (first) widget, nil when none
}

// findSignatures walks the form's fields for values that are signature
// dictionaries (a /ByteRange and /Contents), once each.
func findSignatures(x *model.XRefTable) []found {
	cat, err := x.Catalog()
	if err != nil {
		return nil
	}
	form, _ := x.DereferenceDict(cat["AcroForm"])
	if form == nil {
		return nil
	}
	fields, _ := x.DereferenceArray(form["Fields"])
	var out []found
	seen := map[int]bool{}
	var walk func(a types.Array, prefix string, depth int)
	walk = func(a types.Array, prefix string, depth int) {
		if depth > 32 {
			return
		}
		for _, o := range a {
			ref, ok := o.(types.IndirectRef)
			if ok {
				if seen[-ref.ObjectNumber.Value()] {
					continue
				}
				seen[-ref.ObjectNumber.Value()] = true
			}
			d, _ := x.DereferenceDict(o)
			if d == nil {
				continue
			}
			name := prefix
			if t, err := x.DereferenceText(d["T"]); err == nil && t != "" {
				if name != "" {
					name += "."
				}
				name += t
			}
			if v, ok := d["V"].(types.IndirectRef); ok && !seen[v.ObjectNumber.Value()] {
				if sd, _ := x.DereferenceDict(v); sd != nil && sd["ByteRange"] != nil && sd["Contents"] != nil {
					seen[v.ObjectNumber.Value()] = true
					out = append(out, found{field: name, num: v.ObjectNumber.Value(), dict: sd, widget: widgetOf(x, d)})
				}
			}
			if kids, _ := x.DereferenceArray(d["Kids"]); kids != nil {
				walk(kids, name, depth+1)
			}
		}
	}
	walk(fields, "", 0)
	return out
}

// widgetOf gives a field's widget: the field itself when they are merged
// (it has a /Rect), else its first kid that is one.
func widgetOf(x *model.XRefTable, field types.Dict) types.Dict {
	if field["Rect"] != nil {
		return field
	}
	kids, _ := x.DereferenceArray(field["Kids"])
	for _, k := range kids {
		if d, _ := x.DereferenceDict(k); d != nil && d["Rect"] != nil && d["T"] == nil {
			return d
		}
	}
	return nil
}

// blockOf reads the QR code's text a demat signature block recorded in
// its widget's appearance, and checks it against the file.
func blockOf(data []byte, x *model.XRefTable, widget types.Dict, s *Signature, ends [][2]int64) *Block {
	if widget == nil {
		return nil
	}
	ap, _ := x.DereferenceDict(widget["AP"])
	sd, _, _ := x.DereferenceStreamDict(ap["N"])
	if sd == nil {
		return nil
	}
	pi, _ := x.DereferenceDict(sd.Dict["PieceInfo"])
	piece, _ := x.DereferenceDict(pi[pieceName])
	priv, _ := x.DereferenceDict(piece["Private"])
	text, err := x.DereferenceText(priv["QR"])
	if err != nil || text == "" {
		return nil
	}
	b := &Block{Text: text}
	if ref, ok := widget["P"].(types.IndirectRef); ok {
		b.Page, _ = x.PageNumber(ref.ObjectNumber.Value())
	}
	q, err := ParseQR(text)
	if err != nil {
		return b
	}
	b.QR = q
	// The hashed prefix must be the whole previous revision, and end
	// before this signature's update: the document as it was.
	if s.Revision < 2 || q.Length < ends[s.Revision-2][0] || q.Length > s.ByteRange[1] {
		return b
	}
	b.Matches = sha256.Sum256(data[:q.Length]) == q.SHA256
	return b
}

func (s *Signature) fail(format string, a ...any) {
	s.Verdict = Invalid
	s.Problems = append(s.Problems, fmt.Sprintf(format, a...))
}

func (s *Signature) doubt(format string, a ...any) {
	s.Verdict = min(s.Verdict, Indeterminate)
	s.Problems = append(s.Problems, fmt.Sprintf(format, a...))
}

// verifyOne checks one signature but what later updates changed.
func verifyOne(data []byte, x *model.XRefTable, f found, trust *x509.CertPool, ends [][2]int64) *Signature {
	s := &Signature{Field: f.field, Verdict: Valid}
	d := f.dict
	text := func(k string) string {
		t, _ := x.DereferenceText(d[k])
		return t
	}
	s.SubFilter = nameOf(x, d["SubFilter"])
	s.Reason, s.Location, s.Contact, s.Name = text("Reason"), text("Location"), text("ContactInfo"), text("Name")
	if m := text("M"); m != "" {
		if t, ok := types.DateTime(m, true); ok {
			s.SigningTime = t
		}
	}
	s.Certification = mdpP(x, d)
	if s.Certification > 0 {
		// Only the signature the catalog's /Perms names certifies.
		if cat, err := x.Catalog(); err == nil {
			perms, _ := x.DereferenceDict(cat["Perms"])
			if ref, ok := perms["DocMDP"].(types.IndirectRef); !ok || ref.ObjectNumber.Value() != f.num {
				s.Certification = 0
			}
		}
	}

	contents, ok := s.byteRange(data, x, d, ends)
	if !ok {
		return s
	}
	br := s.ByteRange
	signed := func(h crypto.Hash) []byte {
		hh := h.New()
		hh.Write(data[br[0] : br[0]+br[1]])
		hh.Write(data[br[2] : br[2]+br[3]])
		return hh.Sum(nil)
	}

	if s.SubFilter == "ETSI.RFC3161" {
		s.documentTimestamp(contents, signed, trust)
		return s
	}
	switch s.SubFilter {
	case "ETSI.CAdES.detached", "adbe.pkcs7.detached", "adbe.pkcs7.sha1":
	default:
		s.fail("sub-filter %q is not supported", s.SubFilter)
		return s
	}
	c, err := parseCMS(contents)
	if err != nil {
		s.fail("the signature is malformed: %v", err)
		return s
	}
	s.Certificate = c.signer
	if c.signer != nil {
		s.Signer = c.signer.Subject.String()
	}
	s.Digest = c.hash
	var digest []byte
	contentOK := true
	if s.SubFilter == "adbe.pkcs7.sha1" {
		// The signed content is the SHA-1 digest of the byte range.
		contentOK = bytes.Equal(c.eContent, signed(crypto.SHA1))
		h := c.hash.New()
		h.Write(c.eContent)
		digest = h.Sum(nil)
	} else {
		if c.eContent != nil {
			s.fail("the signature encapsulates content, but %s is detached", s.SubFilter)
		}
		digest = signed(c.hash)
	}
	if c.hash == crypto.SHA1 && s.SubFilter != "adbe.pkcs7.sha1" {
		s.doubt("the digest is SHA-1, which no longer protects a signature")
	}
	if ok, err := c.checkDigest(digest); err != nil {
		s.fail("the signature is malformed: %v", err)
	} else if !ok || !contentOK {
		s.fail("digest mismatch: the document is not what was signed")
	} else {
		s.DigestOK = true
	}
	if err := c.checkSignature(digest); err != nil {
		s.fail("the signature value does not verify: %v", err)
	} else {
		s.SignatureOK = true
	}

	version, match, err := c.certBinding()
	s.SigningCertV2 = version == 2
	s.SigningCertOK = match
	hasSigningTime := false
	if v, _ := findAttr(c.attrs, oidAttrSigningTime); v != nil {
		hasSigningTime = true
	}
	switch {
	case err != nil:
		s.fail("the signing-certificate attribute is malformed: %v", err)
	case version > 0 && !match:
		s.fail("the signing-certificate attribute names another certificate than the signer's")
	case version == 0 && s.SubFilter == "ETSI.CAdES.detached":
		s.fail("a CAdES signature must name its certificate in a signing-certificate-v2 attribute, and this one does not")
	}
	if s.SubFilter == "ETSI.CAdES.detached" && s.Verdict != Invalid {
		ct, _ := findAttr(c.attrs, oidAttrContentType)
		var oid asn1.ObjectIdentifier
		if ct != nil {
			asn1.Unmarshal(ct, &oid)
		}
		switch {
		case version == 2 && !hasSigningTime && oid.Equal(oidData):
			s.Level = "B-B"
		case oid.Equal(oidData):
			// A signing-time attribute (or ESS v1): the older PAdES-BES
			// of ETSI TS 102 778-3, which the baseline profile narrowed.
			s.Level = "BES"
		}
	}

	// The timestamp over the signature value. Without one, nothing
	// proves when the signature was made (the claimed time is the
	// signer's clock, which a signer holding an expired or revoked key
	// could set back): the certificate is checked now, as ETSI EN 319
	// 102-1 does, and proving the time is what B-T is for.
	at := time.Now()
	if v, ok := findAttr(c.unsigned, oidAttrSignatureTimeStamp); !ok {
		s.fail("the signature has several timestamp attributes")
	} else if v != nil {
		ts, err := checkTimestamp(v, c.signature, trust)
		s.Timestamp = ts
		switch {
		case err != nil:
			s.fail("the timestamp does not verify: %v", err)
		case !ts.SignatureOK:
			s.fail("the timestamp's signature does not verify")
		case !ts.ImprintOK:
			s.fail("the timestamp is not over this signature")
		case !ts.ChainOK:
			s.doubt("the timestamp authority's certificate is not trusted: %s", ts.ChainError)
		default:
			at = ts.Time
			if s.Level == "B-B" {
				s.Level = "B-T"
			}
		}
		if !s.SigningTime.IsZero() && ts.SignatureOK && ts.Time.Before(s.SigningTime.Add(-5*time.Minute)) {
			s.fail("the timestamp (%s) is before the claimed signing time (%s)", ts.Time.Format(time.RFC3339), s.SigningTime.Format(time.RFC3339))
		}
	}
	if c.signer != nil {
		s.ValidatedAt = at
		s.Chain, s.ChainError = chain(c.signer, c.certs, trust, at, x509.ExtKeyUsageAny)
		s.ChainOK = s.ChainError == ""
		if !s.ChainOK {
			s.doubt("the signer's certificate is not trusted: %s", s.ChainError)
		}
		if ku := c.signer.KeyUsage; ku != 0 && ku&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
			s.fail("the signer's certificate is not for signatures (key usage)")
		}
	}
	if s.Verdict == Invalid {
		s.Level = ""
	}
	return s
}

// byteRange checks the signature's /ByteRange against the file and gives
// the /Contents bytes from the gap it leaves.
func (s *Signature) byteRange(data []byte, x *model.XRefTable, d types.Dict, ends [][2]int64) ([]byte, bool) {
	arr, _ := x.DereferenceArray(d["ByteRange"])
	if len(arr) != 4 {
		s.fail("the byte range is not four numbers")
		return nil, false
	}
	for i, o := range arr {
		n, ok := o.(types.Integer)
		if !ok || n < 0 {
			s.fail("the byte range is not four numbers")
			return nil, false
		}
		s.ByteRange[i] = int64(n)
	}
	a, b, c, l := s.ByteRange[0], s.ByteRange[1], s.ByteRange[2], s.ByteRange[3]
	size := int64(len(data))
	if a != 0 || b < 2 || c <= b+1 || c > size || l > size-c {
		s.fail("the byte range %v does not start the file, or goes past its end", s.ByteRange)
		return nil, false
	}
	gap := data[b:c]
	if gap[0] != '<' || gap[len(gap)-1] != '>' {
		s.fail("the byte range leaves out more than the signature's hex string")
		return nil, false
	}
	hexText := bytes.Map(func(r rune) rune {
		if isSpace(byte(r)) {
			return -1
		}
		return r
	}, gap[1:len(gap)-1])
	if len(hexText)%2 == 1 {
		hexText = append(hexText, '0')
	}
	contents := make([]byte, len(hexText)/2)
	if _, err := hex.Decode(contents, hexText); err != nil {
		s.fail("the byte range leaves out more than the signature's hex string")
		return nil, false
	}
	if hl, ok := d["Contents"].(types.HexLiteral); ok {
		if b, err := hl.Bytes(); err == nil && !bytes.Equal(bytes.TrimRight(b, "\x00"), bytes.TrimRight(contents, "\x00")) {
			s.fail("the byte range's gap is not this signature's /Contents")
			return nil, false
		}
	}
	end := c + l
	for i, e := range ends {
		if end >= e[0] && end <= e[1] {
			s.Revision = i + 1
			s.CoversRevision = true
			s.CoversDocument = i == len(ends)-1 && len(bytes.TrimLeft(data[end:], " \t\r\n\x00")) == 0
			break
		}
	}
	if !s.CoversRevision {
		s.fail("the byte range %v does not end where a revision of the file ends", s.ByteRange)
	}
	return contents, true
}

// documentTimestamp checks a document timestamp (ETSI.RFC3161): a token
// whose imprint is the byte range's digest.
func (s *Signature) documentTimestamp(contents []byte, signed func(crypto.Hash) []byte, trust *x509.CertPool) {
	t, err := parseToken(contents)
	if err != nil {
		s.fail("the document timestamp is malformed: %v", err)
		return
	}
	s.Certificate = t.tsa
	if t.tsa != nil {
		s.Signer = t.tsa.Subject.String()
	}
	s.Digest = t.cms.hash
	s.SigningTime = t.time
	if err := t.verify(); err != nil {
		s.fail("the document timestamp does not verify: %v", err)
	} else {
		s.SignatureOK = true
	}
	var info tstInfo
	asn1.Unmarshal(t.cms.eContent, &info)
	h := hashForOID(info.MessageImprint.HashAlgorithm.Algorithm)
	if h == 0 || !h.Available() || !bytes.Equal(signed(h), info.MessageImprint.HashedMessage) {
		s.fail("digest mismatch: the document is not what was timestamped")
	} else {
		s.DigestOK = true
	}
	if t.tsa != nil {
		s.ValidatedAt = t.time
		s.Chain, s.ChainError = chain(t.tsa, t.cms.certs, trust, t.time, x509.ExtKeyUsageTimeStamping)
		s.ChainOK = s.ChainError == ""
		if !s.ChainOK {
			s.doubt("the timestamp authority's certificate is not trusted: %s", s.ChainError)
		}
	}
}

// checkTimestamp checks a signature-time-stamp token over sig; the error
// says why a token is malformed or its signature does not verify.
func checkTimestamp(der, sig []byte, trust *x509.CertPool) (*Timestamp, error) {
	ts := &Timestamp{}
	t, err := parseToken(der)
	if err != nil {
		return ts, err
	}
	ts.Time, ts.Certificate = t.time, t.tsa
	if t.tsa != nil {
		ts.TSA = t.tsa.Subject.String()
	}
	err = t.verify()
	ts.SignatureOK = err == nil
	ts.ImprintOK = t.imprint(sig)
	if t.tsa != nil {
		_, ts.ChainError = chain(t.tsa, t.cms.certs, trust, t.time, x509.ExtKeyUsageTimeStamping)
		ts.ChainOK = ts.ChainError == ""
	}
	return ts, err
}

// chain verifies cert's path to trust at a time, with the other
// certificates as intermediates; it gives the path, or why there is none.
func chain(cert *x509.Certificate, certs []*x509.Certificate, trust *x509.CertPool, at time.Time, usage x509.ExtKeyUsage) ([]*x509.Certificate, string) {
	inter := x509.NewCertPool()
	for _, c := range certs {
		if c != cert {
			inter.AddCert(c)
		}
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: trust, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		return nil, err.Error()
	}
	return chains[0], ""
}

func nameOf(x *model.XRefTable, o types.Object) string {
	o, _ = x.Dereference(o)
	n, _ := o.(types.Name)
	return string(n)
}

func joinChanges(cs []Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.String())
	}
	return strings.Join(s, ", ")
}
