package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// The object identifiers of CMS (RFC 5652), ESS (RFC 2634, RFC 5035),
// RFC 3161 and the algorithms (RFC 4055, RFC 5754, RFC 5758).
var (
	oidData                    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidAttrContentType         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidAttrSigningCertificate  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidAttrSigningCertV2       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidAttrSignatureTimeStamp  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidSHA1                    = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256                  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384                  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512                  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidRSAEncryption           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA1WithRSA             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256WithRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSAPSS                  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1                    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECPublicKey             = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA1           = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA256         = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384         = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512         = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519                 = asn1.ObjectIdentifier{1, 3, 101, 112}
	digestOIDs                 = map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA1: oidSHA1, crypto.SHA256: oidSHA256, crypto.SHA384: oidSHA384, crypto.SHA512: oidSHA512}
	rsaOIDs                    = map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA1: oidSHA1WithRSA, crypto.SHA256: oidSHA256WithRSA, crypto.SHA384: oidSHA384WithRSA, crypto.SHA512: oidSHA512WithRSA}
	ecdsaOIDs                  = map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA1: oidECDSAWithSHA1, crypto.SHA256: oidECDSAWithSHA256, crypto.SHA384: oidECDSAWithSHA384, crypto.SHA512: oidECDSAWithSHA512}
	errUnsupportedSigAlgorithm = errors.New("unsupported signature algorithm")
)

// hashForOID gives the digest algorithm an identifier names, 0 when none.
func hashForOID(oid asn1.ObjectIdentifier) crypto.Hash {
	for h, o := range digestOIDs {
		if o.Equal(oid) {
			return h
		}
	}
	return 0
}

// der encodes one DER element: tag, minimal length, content.
func der(tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	default:
		var l []byte
		for v := n; v > 0; v >>= 8 {
			l = append([]byte{byte(v)}, l...)
		}
		out = append(out, 0x80|byte(len(l)))
		out = append(out, l...)
	}
	for _, c := range content {
		out = append(out, c...)
	}
	return out
}

// derSet encodes a SET OF with its elements sorted by their encodings,
// as DER requires: the signed attributes are hashed in this form, so a
// verifier re-encoding them must get the same bytes.
func derSet(tag byte, elems [][]byte) []byte {
	s := slices.Clone(elems)
	slices.SortFunc(s, bytes.Compare)
	return der(tag, s...)
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		// Only values built here are marshalled; a failure is a bug.
		panic(fmt.Sprintf("sign: asn1: %v", err))
	}
	return b
}

// attributeDER encodes an Attribute: SEQUENCE { type, SET OF value }.
func attributeDER(typ asn1.ObjectIdentifier, values ...[]byte) []byte {
	return der(0x30, mustMarshal(typ), derSet(0x31, values))
}

// algorithmID encodes an AlgorithmIdentifier; null adds NULL parameters,
// which RFC 4055 wants after the sha*WithRSAEncryption identifiers and RFC
// 5754 does not want after the digest identifiers.
func algorithmID(oid asn1.ObjectIdentifier, null bool) pkix.AlgorithmIdentifier {
	a := pkix.AlgorithmIdentifier{Algorithm: oid}
	if null {
		a.Parameters = asn1.NullRawValue
	}
	return a
}

// pssParams is RSASSA-PSS-params (RFC 4055); the defaults (SHA-1, salt
// of 20) are never written here, but are read.
type pssParams struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
	SaltLength   int                      `asn1:"optional,explicit,tag:2,default:20"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// signatureAlgorithm chooses how key signs a digest made with h: the
// identifier written in the SignerInfo and the options for crypto.Signer.
func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash, pss bool) (pkix.AlgorithmIdentifier, crypto.SignerOpts, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		if pss {
			hashID := algorithmID(digestOIDs[h], false)
			params := pssParams{
				Hash:         hashID,
				MGF:          pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: mustMarshal(hashID)}},
				SaltLength:   h.Size(),
				TrailerField: 1,
			}
			return pkix.AlgorithmIdentifier{Algorithm: oidRSAPSS, Parameters: asn1.RawValue{FullBytes: mustMarshal(params)}},
				&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}, nil
		}
		return algorithmID(rsaOIDs[h], true), h, nil
	case *ecdsa.PublicKey:
		return algorithmID(ecdsaOIDs[h], false), h, nil
	}
	return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: key type %T (use an RSA or ECDSA key)", errUnsupportedSigAlgorithm, pub)
}

// essCertIDv2 is ESSCertIDv2 (RFC 5035) with SHA-256, the default
// algorithm, which DER therefore leaves out.
type essCertIDv2 struct {
	HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"`
	CertHash      []byte
	IssuerSerial  issuerSerial `asn1:"optional"`
}

type essCertID struct {
	CertHash     []byte
	IssuerSerial issuerSerial `asn1:"optional"`
}

// issuerSerial is IssuerSerial: GeneralNames holding the issuer's name as
// a directoryName ([4]), and the serial number.
type issuerSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// signingCertificateV2 builds the ESS signing-certificate-v2 attribute
// value naming cert: PAdES requires it so the certificate cannot be
// swapped for another with the same key.
func signingCertificateV2(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.Raw)
	name := der(0x30, der(0xa4, cert.RawIssuer))
	id := der(0x30, mustMarshal(sum[:]), der(0x30, name, mustMarshal(cert.SerialNumber)))
	return der(0x30, der(0x30, id))
}

// cmsSigner is what a signature needs to build a SignerInfo.
type cmsSigner struct {
	key   crypto.Signer
	cert  *x509.Certificate
	chain []*x509.Certificate
	hash  crypto.Hash
	pss   bool
}

// signedInfo is a SignerInfo built and signed, waiting for its unsigned
// attributes (the timestamp) before it is encoded.
type signedInfo struct {
	s           cmsSigner
	digestAlg   pkix.AlgorithmIdentifier
	sigAlg      pkix.AlgorithmIdentifier
	signedAttrs []byte // the SET OF Attribute, tag 0x31, as signed
	signature   []byte
	unsigned    [][]byte // encoded Attributes
}

// sign builds the signed attributes over the document digest and signs
// them: content-type id-data, message-digest and signing-certificate-v2.
// There is no signing-time: PAdES takes the claimed time from /M.
func (s cmsSigner) sign(digest []byte) (*signedInfo, error) {
	sigAlg, opts, err := signatureAlgorithm(s.key.Public(), s.hash, s.pss)
	if err != nil {
		return nil, err
	}
	attrs := derSet(0x31, [][]byte{
		attributeDER(oidAttrContentType, mustMarshal(oidData)),
		attributeDER(oidAttrMessageDigest, mustMarshal(digest)),
		attributeDER(oidAttrSigningCertV2, signingCertificateV2(s.cert)),
	})
	h := s.hash.New()
	h.Write(attrs)
	sig, err := s.key.Sign(rand.Reader, h.Sum(nil), opts)
	if err != nil {
		return nil, fmt.Errorf("the key could not sign (%w): check the token is connected and unlocked", err)
	}
	// A token that signed with another key than the certificate's would
	// give a signature every verifier rejects: say so now.
	if err := verifySignature(s.cert.PublicKey, sigAlg, s.hash, h.Sum(nil), sig); err != nil {
		return nil, fmt.Errorf("the key's signature does not verify with the certificate's public key (is it the certificate of this key?): %w", err)
	}
	return &signedInfo{s: s, digestAlg: algorithmID(digestOIDs[s.hash], false), sigAlg: sigAlg, signedAttrs: attrs, signature: sig}, nil
}

// encode gives the ContentInfo holding the detached SignedData.
func (si *signedInfo) encode() []byte {
	c := si.s.cert
	sid := der(0x30, c.RawIssuer, mustMarshal(c.SerialNumber))
	signedAttrs := slices.Clone(si.signedAttrs)
	signedAttrs[0] = 0xa0 // [0] IMPLICIT
	parts := [][]byte{
		mustMarshal(1),
		sid,
		mustMarshal(si.digestAlg),
		signedAttrs,
		mustMarshal(si.sigAlg),
		mustMarshal(si.signature),
	}
	if len(si.unsigned) > 0 {
		parts = append(parts, derSet(0xa1, si.unsigned))
	}
	signerInfo := der(0x30, parts...)
	certs := [][]byte{c.Raw}
	for _, ch := range si.s.chain {
		if !bytes.Equal(ch.Raw, c.Raw) {
			certs = append(certs, ch.Raw)
		}
	}
	signedData := der(0x30,
		mustMarshal(1),
		der(0x31, mustMarshal(si.digestAlg)),
		der(0x30, mustMarshal(oidData)),
		derSet(0xa0, certs),
		der(0x31, signerInfo),
	)
	return der(0x30, mustMarshal(oidSignedData), der(0xa0, signedData))
}

// verifySignature checks sig over the digest of the signed bytes with
// pub, for the algorithm alg says (h is the SignerInfo's digest algorithm,
// which digest was made with).
func verifySignature(pub crypto.PublicKey, alg pkix.AlgorithmIdentifier, h crypto.Hash, digest, sig []byte) error {
	oid := alg.Algorithm
	want := func(m map[crypto.Hash]asn1.ObjectIdentifier) error {
		// sha256WithRSAEncryption and the like name their own hash: it
		// must be the one the digest was made with.
		for hh, o := range m {
			if o.Equal(oid) && hh != h {
				return fmt.Errorf("%w: %v signature over a %v digest", errUnsupportedSigAlgorithm, hh, h)
			}
		}
		return nil
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		switch {
		case oid.Equal(oidRSAPSS):
			var p pssParams
			if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err != nil {
				return fmt.Errorf("RSASSA-PSS parameters: %v", err)
			}
			hh := crypto.SHA1
			if len(p.Hash.Algorithm) > 0 {
				hh = hashForOID(p.Hash.Algorithm)
			}
			if hh != h {
				return fmt.Errorf("%w: RSASSA-PSS with %v over a %v digest", errUnsupportedSigAlgorithm, hh, h)
			}
			return rsa.VerifyPSS(pub, h, digest, sig, &rsa.PSSOptions{SaltLength: p.SaltLength, Hash: h})
		case oid.Equal(oidRSAEncryption) || isIn(oid, rsaOIDs):
			if err := want(rsaOIDs); err != nil {
				return err
			}
			return rsa.VerifyPKCS1v15(pub, h, digest, sig)
		}
	case *ecdsa.PublicKey:
		if oid.Equal(oidECPublicKey) || isIn(oid, ecdsaOIDs) {
			if err := want(ecdsaOIDs); err != nil {
				return err
			}
			if !ecdsa.VerifyASN1(pub, digest, sig) {
				return errors.New("ECDSA signature does not verify")
			}
			return nil
		}
	case ed25519.PublicKey:
		return fmt.Errorf("%w: Ed25519 in CMS signs the attributes themselves, not a digest", errUnsupportedSigAlgorithm)
	}
	return fmt.Errorf("%w: %v with a %T key", errUnsupportedSigAlgorithm, oid, pub)
}

func isIn(oid asn1.ObjectIdentifier, m map[crypto.Hash]asn1.ObjectIdentifier) bool {
	for _, o := range m {
		if o.Equal(oid) {
			return true
		}
	}
	return false
}

// The parsed forms: loose where CMS allows variants (SET contents as raw
// values), strict where the signature depends on the bytes.
type rawContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type rawSignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo rawEncap
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []rawSignerInfo `asn1:"set"`
}

type rawEncap struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type rawSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type rawAttribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue
}

// attr is one attribute with its values' encodings.
type attr struct {
	typ    asn1.ObjectIdentifier
	values [][]byte
}

// cms is a parsed SignedData with one signer (PAdES and RFC 3161 tokens
// both have exactly one).
type cms struct {
	certs        []*x509.Certificate
	signer       *x509.Certificate // nil when no certificate matches the SignerInfo
	eContentType asn1.ObjectIdentifier
	eContent     []byte // nil when detached
	hash         crypto.Hash
	sigAlg       pkix.AlgorithmIdentifier
	signature    []byte
	signedAttrs  []byte // the SET OF Attribute as signed (tag 0x31), nil when absent
	attrs        []attr
	unsigned     []attr
}

// maxCMS bounds what is parsed: a PDF's /Contents, or a timestamp token.
const maxCMS = 8 << 20

// parseCMS parses a ContentInfo holding a SignedData. BER (indefinite
// lengths, constructed strings), which some signers write, is turned
// into DER first; the signed attributes must be DER anyway.
func parseCMS(data []byte) (*cms, error) {
	if len(data) > maxCMS {
		return nil, fmt.Errorf("CMS of %d bytes is too large", len(data))
	}
	// What follows the structure (the placeholder's zero padding) is
	// left alone.
	var ci rawContentInfo
	if _, err := asn1.Unmarshal(data, &ci); err != nil {
		norm, nerr := berToDER(data)
		if nerr != nil {
			return nil, fmt.Errorf("not a CMS structure: %v", err)
		}
		if _, err := asn1.Unmarshal(norm, &ci); err != nil {
			return nil, fmt.Errorf("not a CMS structure: %v", err)
		}
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("CMS content is %v, not SignedData", ci.ContentType)
	}
	var sd rawSignedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("SignedData: %v", err)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("SignedData has %d signers, want 1", len(sd.SignerInfos))
	}
	c := &cms{eContentType: sd.EncapContentInfo.EContentType}
	if e := sd.EncapContentInfo.EContent; len(e.FullBytes) > 0 {
		// The RawValue is the [0] wrapper; the OCTET STRING is inside,
		// constructed in some BER.
		var oct []byte
		if _, err := asn1.Unmarshal(e.Bytes, &oct); err != nil {
			norm, nerr := berToDER(e.Bytes)
			if nerr != nil {
				return nil, fmt.Errorf("encapsulated content: %v", err)
			}
			if _, err := asn1.Unmarshal(norm, &oct); err != nil {
				return nil, fmt.Errorf("encapsulated content: %v", err)
			}
		}
		c.eContent = oct
	}
	for rest := sd.Certificates.Bytes; len(rest) > 0; {
		var raw asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &raw); err != nil {
			return nil, fmt.Errorf("certificates: %v", err)
		}
		if raw.Class != asn1.ClassUniversal || raw.Tag != asn1.TagSequence {
			continue // an attribute or other certificate: not ours to use
		}
		cert, err := x509.ParseCertificate(raw.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("certificate: %v", err)
		}
		c.certs = append(c.certs, cert)
	}
	si := sd.SignerInfos[0]
	c.hash = hashForOID(si.DigestAlgorithm.Algorithm)
	if c.hash == 0 || !c.hash.Available() {
		return nil, fmt.Errorf("unsupported digest algorithm %v", si.DigestAlgorithm.Algorithm)
	}
	c.sigAlg, c.signature = si.SignatureAlgorithm, si.Signature
	var err error
	if len(si.SignedAttrs.FullBytes) > 0 {
		c.signedAttrs = slices.Clone(si.SignedAttrs.FullBytes)
		c.signedAttrs[0] = 0x31
		if c.attrs, err = parseAttrs(si.SignedAttrs.Bytes); err != nil {
			return nil, fmt.Errorf("signed attributes: %v", err)
		}
	}
	if len(si.UnsignedAttrs.FullBytes) > 0 {
		if c.unsigned, err = parseAttrs(si.UnsignedAttrs.Bytes); err != nil {
			return nil, fmt.Errorf("unsigned attributes: %v", err)
		}
	}
	c.signer = findSigner(c.certs, si.SID)
	return c, nil
}

func parseAttrs(b []byte) ([]attr, error) {
	var out []attr
	for len(b) > 0 {
		var ra rawAttribute
		var err error
		if b, err = asn1.Unmarshal(b, &ra); err != nil {
			return nil, err
		}
		if ra.Values.Tag != asn1.TagSet {
			return nil, fmt.Errorf("attribute %v: values are not a SET", ra.Type)
		}
		a := attr{typ: ra.Type}
		for v := ra.Values.Bytes; len(v) > 0; {
			var raw asn1.RawValue
			if v, err = asn1.Unmarshal(v, &raw); err != nil {
				return nil, fmt.Errorf("attribute %v: %v", ra.Type, err)
			}
			a.values = append(a.values, raw.FullBytes)
		}
		out = append(out, a)
	}
	return out, nil
}

// findSigner finds the certificate the SignerInfo's identifier names: an
// IssuerAndSerialNumber, or a [0] SubjectKeyIdentifier.
func findSigner(certs []*x509.Certificate, sid asn1.RawValue) *x509.Certificate {
	if sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 {
		for _, c := range certs {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes) {
				return c
			}
		}
		return nil
	}
	var ias struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	if _, err := asn1.Unmarshal(sid.FullBytes, &ias); err != nil || ias.Serial == nil {
		return nil
	}
	for _, c := range certs {
		if c.SerialNumber.Cmp(ias.Serial) == 0 && bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) {
			return c
		}
	}
	return nil
}

// attr gives the single value of the attribute typ, or nil. Several
// attributes of one type, or several values, are refused (RFC 5652 §11
// for the message digest and content type): nil as well, with ok false.
func findAttr(attrs []attr, typ asn1.ObjectIdentifier) (value []byte, ok bool) {
	var found []byte
	n := 0
	for _, a := range attrs {
		if a.typ.Equal(typ) {
			n++
			if len(a.values) == 1 {
				found = a.values[0]
			} else {
				return nil, false
			}
		}
	}
	if n > 1 {
		return nil, false
	}
	return found, true
}

// checkDigest says whether the signed content's digest is what the
// signature covers: the message-digest attribute, or, without signed
// attributes, always true (the signature itself is then over the digest
// and checkSignature decides).
func (c *cms) checkDigest(digest []byte) (bool, error) {
	if c.signedAttrs == nil {
		return true, nil
	}
	v, ok := findAttr(c.attrs, oidAttrMessageDigest)
	if !ok || v == nil {
		return false, errors.New("no single message-digest attribute")
	}
	var md []byte
	if _, err := asn1.Unmarshal(v, &md); err != nil {
		return false, fmt.Errorf("message-digest attribute: %v", err)
	}
	return bytes.Equal(md, digest), nil
}

// checkSignature verifies the signature value: over the signed attributes
// when there are some, over the content's digest otherwise.
func (c *cms) checkSignature(contentDigest []byte) error {
	if c.signer == nil {
		return errors.New("the signer's certificate is not in the signature")
	}
	d := contentDigest
	if c.signedAttrs != nil {
		h := c.hash.New()
		h.Write(c.signedAttrs)
		d = h.Sum(nil)
	}
	return verifySignature(c.signer.PublicKey, c.sigAlg, c.hash, d, c.signature)
}

// certBinding says whether the ESS signing-certificate attribute (v2, or
// v1 with SHA-1) names the signer's certificate: version 0 when absent.
func (c *cms) certBinding() (version int, match bool, err error) {
	if c.signer == nil {
		return 0, false, nil
	}
	if v, ok := findAttr(c.attrs, oidAttrSigningCertV2); !ok {
		return 2, false, errors.New("several signing-certificate-v2 attributes")
	} else if v != nil {
		var sc struct {
			Certs    []essCertIDv2
			Policies asn1.RawValue `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(v, &sc); err != nil || len(sc.Certs) == 0 {
			return 2, false, fmt.Errorf("signing-certificate-v2 attribute: %v", err)
		}
		id := sc.Certs[0]
		h := crypto.SHA256
		if len(id.HashAlgorithm.Algorithm) > 0 {
			h = hashForOID(id.HashAlgorithm.Algorithm)
		}
		if h == 0 || !h.Available() {
			return 2, false, fmt.Errorf("signing-certificate-v2 uses an unknown hash %v", id.HashAlgorithm.Algorithm)
		}
		hh := h.New()
		hh.Write(c.signer.Raw)
		return 2, bytes.Equal(hh.Sum(nil), id.CertHash) && id.IssuerSerial.names(c.signer), nil
	}
	if v, ok := findAttr(c.attrs, oidAttrSigningCertificate); !ok {
		return 1, false, errors.New("several signing-certificate attributes")
	} else if v != nil {
		var sc struct {
			Certs    []essCertID
			Policies asn1.RawValue `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(v, &sc); err != nil || len(sc.Certs) == 0 {
			return 1, false, fmt.Errorf("signing-certificate attribute: %v", err)
		}
		sum := sha1.Sum(c.signer.Raw)
		return 1, bytes.Equal(sum[:], sc.Certs[0].CertHash) && sc.Certs[0].IssuerSerial.names(c.signer), nil
	}
	return 0, false, nil
}

// names says whether an IssuerSerial, when present, names cert.
func (is issuerSerial) names(cert *x509.Certificate) bool {
	if is.Serial == nil {
		return true // optional, absent
	}
	if is.Serial.Cmp(cert.SerialNumber) != 0 {
		return false
	}
	// GeneralNames: look for the directoryName ([4] EXPLICIT Name).
	for rest := is.Issuer.Bytes; len(rest) > 0; {
		var gn asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &gn); err != nil {
			return false
		}
		if gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 && bytes.Equal(gn.Bytes, cert.RawIssuer) {
			return true
		}
	}
	return false
}

// berToDER re-encodes BER with definite lengths, and constructed OCTET
// STRINGs as primitive ones. Elements already definite are copied as they
// are, so the DER parts (certificates, signed attributes) keep their
// bytes.
func berToDER(b []byte) ([]byte, error) {
	out, n, err := berElement(b, 0)
	if err != nil {
		return nil, err
	}
	return append(out, b[n:]...), nil
}

const maxBERDepth = 32

// berElement converts the element at the start of b, giving its DER form
// and how many bytes of b it took.
func berElement(b []byte, depth int) ([]byte, int, error) {
	if depth > maxBERDepth {
		return nil, 0, errors.New("ber: nested too deep")
	}
	if len(b) < 2 {
		return nil, 0, errors.New("ber: truncated")
	}
	tagLen := 1
	if b[0]&0x1f == 0x1f {
		for tagLen < len(b) && b[tagLen]&0x80 != 0 {
			tagLen++
		}
		tagLen++
		if tagLen >= len(b) || tagLen > 5 {
			return nil, 0, errors.New("ber: bad tag")
		}
	}
	tag := b[:tagLen]
	constructed := b[0]&0x20 != 0
	p := tagLen
	l := int(b[p])
	p++
	if l == 0x80 {
		if !constructed {
			return nil, 0, errors.New("ber: indefinite length on a primitive")
		}
		var content [][]byte
		for {
			if p+2 > len(b) {
				return nil, 0, errors.New("ber: no end-of-contents")
			}
			if b[p] == 0 && b[p+1] == 0 {
				p += 2
				break
			}
			e, n, err := berElement(b[p:], depth+1)
			if err != nil {
				return nil, 0, err
			}
			content = append(content, e)
			p += n
		}
		return rebuild(tag, content), p, nil
	}
	if l&0x80 != 0 {
		k := l & 0x7f
		if k > 4 || p+k > len(b) {
			return nil, 0, errors.New("ber: bad length")
		}
		l = 0
		for i := 0; i < k; i++ {
			l = l<<8 | int(b[p+i])
		}
		p += k
	}
	if l < 0 || p+l > len(b) {
		return nil, 0, errors.New("ber: length past the end")
	}
	if !constructed {
		return b[:p+l], p + l, nil
	}
	var content [][]byte
	changed := false
	for q := p; q < p+l; {
		e, n, err := berElement(b[q:p+l], depth+1)
		if err != nil {
			return nil, 0, err
		}
		if n != len(e) || !bytes.Equal(e, b[q:q+n]) {
			changed = true
		}
		content = append(content, e)
		q += n
	}
	if !changed && !(len(tag) == 1 && tag[0] == 0x24) {
		return b[:p+l], p + l, nil
	}
	return rebuild(tag, content), p + l, nil
}

// rebuild encodes a constructed element from its converted children; a
// constructed OCTET STRING becomes a primitive one holding the
// concatenated fragments.
func rebuild(tag []byte, children [][]byte) []byte {
	if len(tag) == 1 && tag[0] == 0x24 {
		var all []byte
		for _, c := range children {
			var oct []byte
			if _, err := asn1.Unmarshal(c, &oct); err == nil {
				all = append(all, oct...)
			}
		}
		return der(0x04, all)
	}
	e := der(0x30, children...) // the length encoding, then the real tag
	return append(slices.Clone(tag), e[1:]...)
}
