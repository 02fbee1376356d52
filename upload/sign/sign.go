package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Key is what signs: a private key behind crypto.Signer (from a PKCS#12
// file or a PKCS#11 token, whose key never leaves it) and its
// certificates: keys.Key's Signer, Certificate and Chain.
type Key struct {
	// Signer signs digests; RSA and ECDSA keys are supported.
	Signer crypto.Signer
	// Certificate is the signer's certificate, for Signer's public key.
	Certificate *x509.Certificate
	// Chain is the issuing certificates, nearest first; they go into the
	// signature so a verifier can build the path to its trusted root.
	Chain []*x509.Certificate
}

// Options are what a signature says besides the document's digest.
type Options struct {
	// Reason, Location, Contact and Name go into the signature
	// dictionary (/Reason, /Location, /ContactInfo, /Name); empty ones
	// are left out. Name is the signer's name as shown; validators show
	// the certificate's subject anyway.
	Reason, Location, Contact, Name string
	// Time is the claimed signing time (/M); zero means now.
	Time time.Time
	// Certify makes a certification (DocMDP) signature, which allows
	// later form filling and signatures only (P 2); it must be the
	// document's first signature. The default is an approval signature.
	Certify bool
	// Digest is the hash of the document and of the signed attributes:
	// SHA-256 (zero means it), SHA-384 or SHA-512.
	Digest crypto.Hash
	// PSS signs with RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys.
	// v1.5 is the default because every token and validator has it.
	PSS bool
	// TSA, when set, timestamps the signature (PAdES B-T). If the
	// authority fails, Sign fails and writes nothing.
	TSA *TSA
	// Appearance, when set, shows the signature as a block on a page;
	// nil leaves the signature invisible (a widget of no size on page 1).
	Appearance *Appearance
}

func (o *Options) applyDefaults() {
	if o.Time.IsZero() {
		// The signature is made now; /M says so.
		o.Time = time.Now()
	}
	if o.Digest == 0 {
		// PAdES baseline's usual digest, which every validator knows.
		o.Digest = crypto.SHA256
	}
	if o.Appearance != nil {
		// A copy: the caller's options stay as given, defaults and all.
		a := *o.Appearance
		a.applyDefaults()
		o.Appearance = &a
	}
}

// Sign writes to out the PDF read from in (size bytes) followed by an
// incremental update that signs it: a signature field in the form (made
// when there is none, /SigFlags 3), its widget (invisible on page 1, or
// with opt.Appearance a block drawn on the page it names), and the
// signature dictionary (/Filter /Adobe.PPKLite, /SubFilter
// /ETSI.CAdES.detached) whose /Contents holds a detached CMS SignedData
// over the whole file but that hex string: PAdES B-B, or B-T with
// opt.TSA. The original bytes are copied unchanged, so they are a prefix
// of the output, and earlier signatures stay valid.
//
// The whole update is built, signed and (with a TSA) timestamped in
// memory before anything is written: on any error, nothing has been
// written to out. An error while writing leaves out partial; write to a
// temporary file and rename it. Encrypted PDFs are refused. ctx bounds
// the timestamp query; the key's Sign cannot be interrupted.
func Sign(ctx context.Context, in io.ReaderAt, size int64, out io.Writer, key Key, opt Options) error {
	opt.applyDefaults()
	if err := checkKey(key, opt); err != nil {
		return err
	}
	if a := opt.Appearance; a != nil {
		if err := a.check(); err != nil {
			return err
		}
	}
	l, err := readLayout(in, size, opt)
	if err != nil {
		return err
	}
	var blk *block
	if opt.Appearance != nil {
		if blk, err = l.drawBlock(in, size, key, opt); err != nil {
			return err
		}
	}
	signer := cmsSigner{key: key.Signer, cert: key.Certificate, chain: key.Chain, hash: opt.Digest, pss: opt.PSS}
	reserve := reserveFor(key, opt.TSA != nil)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		u, ph := l.build(opt, reserve, blk)
		h := opt.Digest.New()
		if _, err := io.Copy(h, io.NewSectionReader(in, 0, size)); err != nil {
			return fmt.Errorf("sign: read the PDF: %w", err)
		}
		b := u.buf.Bytes()
		h.Write(b[:ph.contents[0]])
		h.Write(b[ph.contents[1]:])
		si, err := signer.sign(h.Sum(nil))
		if err != nil {
			return fmt.Errorf("sign: %w", err)
		}
		if opt.TSA != nil {
			tok, err := opt.TSA.timestampSignature(ctx, si.signature, opt.Digest)
			if err != nil {
				return err
			}
			si.unsigned = append(si.unsigned, attributeDER(oidAttrSignatureTimeStamp, tok))
		}
		sig := si.encode()
		if len(sig) > reserve {
			// The estimate was short (a TSA with a long chain): make room
			// and sign again; a second miss would be a bug.
			if attempt > 0 {
				return fmt.Errorf("sign: the signature (%d bytes) does not fit the room made for it (%d)", len(sig), reserve)
			}
			reserve = len(sig) + 2048
			continue
		}
		hex.Encode(b[ph.contents[0]+1:], sig)
		if _, err := io.Copy(out, io.NewSectionReader(in, 0, size)); err != nil {
			return fmt.Errorf("sign: write the signed PDF: %w", err)
		}
		if _, err := out.Write(b); err != nil {
			return fmt.Errorf("sign: write the signed PDF: %w", err)
		}
		return nil
	}
}

// checkKey refuses, before anything is done, what would give a signature
// no validator accepts.
func checkKey(key Key, opt Options) error {
	if key.Signer == nil || key.Certificate == nil {
		return errors.New("sign: no key or no certificate: choose a signing certificate")
	}
	switch opt.Digest {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return fmt.Errorf("sign: digest %v is not allowed: use SHA-256, SHA-384 or SHA-512", opt.Digest)
	}
	pub, ok := key.Signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Certificate.PublicKey) {
		return fmt.Errorf("sign: the certificate %q is not the key's: choose the certificate that goes with this key", key.Certificate.Subject.CommonName)
	}
	if _, _, err := signatureAlgorithm(key.Signer.Public(), opt.Digest, opt.PSS); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	c := key.Certificate
	if opt.Time.Before(c.NotBefore) || opt.Time.After(c.NotAfter) {
		return fmt.Errorf("sign: the certificate %q is valid from %s to %s, not at %s: renew it or choose another", c.Subject.CommonName,
			c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), opt.Time.Format(time.DateTime))
	}
	if c.KeyUsage != 0 && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Errorf("sign: the certificate %q is not for signatures (its key usage has neither digital signature nor non-repudiation): choose a signing certificate", c.Subject.CommonName)
	}
	return nil
}

// reserveFor estimates the size of the CMS: its structure and attributes,
// the certificates, the signature value, and a timestamp token with the
// TSA's certificates. Sign makes more room if a token is larger.
func reserveFor(key Key, tsa bool) int {
	n := 1024 + len(key.Certificate.Raw)
	for _, c := range key.Chain {
		n += len(c.Raw)
	}
	switch pub := key.Certificate.PublicKey.(type) {
	case *rsa.PublicKey:
		n += pub.Size()
	case *ecdsa.PublicKey:
		n += 2*(pub.Curve.Params().BitSize+7)/8 + 16
	}
	if tsa {
		n += 12 << 10
	}
	return n
}

// layout is what the update needs from the original: where things are,
// and copies of the objects it rewrites.
type layout struct {
	base      int64 // the original's size
	newline   bool  // the original does not end with an end-of-line
	prev      int64 // its last cross-reference section
	stream    bool  // … which is a stream
	next      int   // first free object number
	tr        trailer
	x         *model.XRefTable
	catalog   types.Dict
	pageRef   types.IndirectRef
	page      types.Dict
	geometry  pageGeometry
	fieldName string
}

// readLayout reads the original with pdfcpu and checks it can be signed.
func readLayout(in io.ReaderAt, size int64, opt Options) (*layout, error) {
	if size >= 1e10-1e8 {
		// The byte range is written in ten digits a number.
		return nil, fmt.Errorf("sign: the PDF is %d bytes, more than the 9.9 GB a signature can cover", size)
	}
	prev, stream, err := lastXRef(in, size)
	if err != nil {
		return nil, fmt.Errorf("sign: the PDF's cross-reference is damaged (%v): repair it (qpdf in.pdf out.pdf) and sign the repaired file", err)
	}
	ctx, err := readContext(io.NewSectionReader(in, 0, size))
	if err != nil {
		return nil, fmt.Errorf("sign: read the PDF: %v (is it a PDF? repair it with qpdf and try again)", err)
	}
	x := ctx.XRefTable
	if x.Encrypt != nil {
		return nil, errors.New("sign: the PDF is encrypted: save an unprotected copy and sign that")
	}
	if x.Root == nil {
		return nil, errors.New("sign: the PDF has no catalog: repair it with qpdf and try again")
	}
	cat, err := x.Catalog()
	if err != nil {
		return nil, fmt.Errorf("sign: read the PDF's catalog: %v", err)
	}
	if x.PageCount < 1 {
		return nil, errors.New("sign: the PDF has no page to hold the signature")
	}
	nr := 1
	if a := opt.Appearance; a != nil {
		switch {
		case a.Page > x.PageCount || -a.Page > x.PageCount:
			return nil, fmt.Errorf("sign: the signature block is to go on page %d, and the document has %d", a.Page, x.PageCount)
		case a.Page < 0:
			nr = x.PageCount + 1 + a.Page
		case a.Page > 0:
			nr = a.Page
		}
	}
	page, pageRef, attrs, err := x.PageDict(nr, false)
	if err != nil || page == nil || pageRef == nil {
		return nil, fmt.Errorf("sign: read page %d: %v", nr, err)
	}
	l := &layout{base: size, prev: prev, stream: stream, x: x, catalog: cat.Clone().(types.Dict), pageRef: *pageRef, page: page.Clone().(types.Dict)}
	if opt.Appearance != nil {
		if l.geometry, err = geometryOf(nr, attrs); err != nil {
			return nil, err
		}
	}
	last := make([]byte, 1)
	if _, err := in.ReadAt(last, size-1); err != nil {
		return nil, fmt.Errorf("sign: read the PDF: %w", err)
	}
	l.newline = last[0] != '\n' && last[0] != '\r'
	l.next = x.MaxObjNr + 1
	if x.Size != nil && *x.Size > l.next {
		l.next = *x.Size
	}
	for n := range x.Table {
		l.next = max(l.next, n+1)
	}
	l.tr = trailer{root: *x.Root, info: x.Info, id: x.ID, prev: prev}
	if len(l.tr.id) != 2 {
		l.tr.id = newID()
	}

	// Existing fields: a free name, whether the document is signed, and
	// whether it is certified in a way that forbids another signature.
	names := map[string]bool{}
	signed := false
	if form, _ := x.DereferenceDict(cat["AcroForm"]); form != nil {
		fields, _ := x.DereferenceArray(form["Fields"])
		walkFields(x, fields, func(d types.Dict, top bool) {
			if t, err := x.DereferenceText(d["T"]); err == nil && top {
				names[t] = true
			}
			if ft, _ := d["FT"].(types.Name); ft == "Sig" && d["V"] != nil {
				signed = true
			}
		})
	}
	for i := 1; ; i++ {
		if n := fmt.Sprintf("Signature%d", i); !names[n] {
			l.fieldName = n
			break
		}
	}
	if p := docMDP(x, cat); p == 1 {
		return nil, errors.New("sign: the document is certified with no changes allowed: another signature would break its certification")
	}
	if opt.Certify && signed {
		return nil, errors.New("sign: the document is already signed, and a certification must be the first signature: sign it without certifying")
	}
	return l, nil
}

// walkFields calls fn for every field of the form's tree (top says it is
// a top-level field), once each, however the tree loops.
func walkFields(x *model.XRefTable, fields types.Array, fn func(d types.Dict, top bool)) {
	seen := map[int]bool{}
	var walk func(a types.Array, depth int)
	walk = func(a types.Array, depth int) {
		if depth > 32 {
			return
		}
		for _, o := range a {
			if ref, ok := o.(types.IndirectRef); ok {
				if seen[ref.ObjectNumber.Value()] {
					continue
				}
				seen[ref.ObjectNumber.Value()] = true
			}
			d, err := x.DereferenceDict(o)
			if err != nil || d == nil {
				continue
			}
			fn(d, depth == 0)
			if kids, _ := x.DereferenceArray(d["Kids"]); kids != nil {
				walk(kids, depth+1)
			}
		}
	}
	walk(fields, 0)
}

// docMDP gives the P of the document's certification signature: 0 when it
// is not certified, 1 (no changes), 2 (form filling and signing) or 3
// (also annotations).
func docMDP(x *model.XRefTable, cat types.Dict) int {
	perms, _ := x.DereferenceDict(cat["Perms"])
	if perms == nil {
		return 0
	}
	sig, _ := x.DereferenceDict(perms["DocMDP"])
	if sig == nil {
		return 0
	}
	return mdpP(x, sig)
}

// mdpP gives the DocMDP P of a signature dictionary's /Reference, 0 when
// it has none.
func mdpP(x *model.XRefTable, sig types.Dict) int {
	refs, _ := x.DereferenceArray(sig["Reference"])
	for _, r := range refs {
		d, _ := x.DereferenceDict(r)
		if d == nil {
			continue
		}
		if m, _ := d["TransformMethod"].(types.Name); m != "DocMDP" {
			continue
		}
		params, _ := x.DereferenceDict(d["TransformParams"])
		if p, ok := params["P"].(types.Integer); ok && p >= 1 && p <= 3 {
			return int(p)
		}
		return 2 // the default
	}
	return 0
}

// placeholder is where the update's /Contents hex string is: the
// offsets, in the update's bytes, of its '<' and just after its '>'.
type placeholder struct {
	contents [2]int
}

// byteRangeWidth is the room for "[0 a b c]": numbers of up to ten
// digits, files of up to 9 GB.
const byteRangeWidth = len("[0 0000000000 0000000000 0000000000]")

// build writes the update with a /Contents placeholder of reserve bytes
// and its /ByteRange filled in.
func (l *layout) build(opt Options, reserve int, blk *block) (*update, placeholder) {
	u := &update{base: l.base}
	if l.newline {
		u.buf.WriteByte('\n')
	}
	next := l.next
	alloc := func() int { next++; return next - 1 }
	sigNum, fieldNum, apNum := alloc(), alloc(), alloc()
	sigRef := types.IndirectRef{ObjectNumber: types.Integer(sigNum)}
	fieldRef := types.IndirectRef{ObjectNumber: types.Integer(fieldNum)}

	rect := types.Array{types.Integer(0), types.Integer(0), types.Integer(0), types.Integer(0)}
	if blk == nil {
		// The empty appearance: PDF/A wants one on every widget.
		u.entries = append(u.entries, xrefEntry{apNum, 0, u.offset()})
		fmt.Fprintf(&u.buf, "%d 0 obj\n<</BBox[0 0 0 0]/Length 0/Subtype/Form/Type/XObject>>\nstream\n\nendstream\nendobj\n", apNum)
	} else {
		rect = blk.write(u, apNum, alloc(), opt.Time)
	}

	// The signature dictionary, with the byte range and the contents
	// last, so their places are known when they are filled.
	var d strings.Builder
	d.WriteString("<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached")
	fmt.Fprintf(&d, "/M%s", pdfText(pdfDate(opt.Time)))
	for _, kv := range [][2]string{{"Name", opt.Name}, {"Reason", opt.Reason}, {"Location", opt.Location}, {"ContactInfo", opt.Contact}} {
		if kv[1] != "" {
			fmt.Fprintf(&d, "/%s%s", kv[0], pdfText(kv[1]))
		}
	}
	if opt.Certify {
		d.WriteString("/Reference[<</Type/SigRef/TransformMethod/DocMDP/TransformParams<</Type/TransformParams/P 2/V/1.2>>>>]")
	}
	d.WriteString("/ByteRange")
	u.entries = append(u.entries, xrefEntry{sigNum, 0, u.offset()})
	fmt.Fprintf(&u.buf, "%d 0 obj\n%s", sigNum, d.String())
	brAt := u.buf.Len()
	u.buf.WriteString(strings.Repeat(" ", byteRangeWidth))
	u.buf.WriteString("/Contents")
	var ph placeholder
	ph.contents[0] = u.buf.Len()
	u.buf.WriteByte('<')
	u.buf.Write(bytes.Repeat([]byte{'0'}, 2*reserve))
	u.buf.WriteByte('>')
	ph.contents[1] = u.buf.Len()
	u.buf.WriteString(">>\nendobj\n")

	// The field and its widget, merged: one object.
	field := types.Dict{
		"Type":    types.Name("Annot"),
		"Subtype": types.Name("Widget"),
		"FT":      types.Name("Sig"),
		"T":       types.StringLiteral(l.fieldName),
		"V":       sigRef,
		"Rect":    rect,
		"F":       types.Integer(132), // print, locked
		"P":       l.pageRef,
		"AP":      types.Dict{"N": types.IndirectRef{ObjectNumber: types.Integer(apNum)}},
	}
	u.object(fieldNum, 0, field.PDFString())

	// The page's annotations: the array itself when it is an object of
	// its own, else the page.
	x := l.x
	if ref, ok := l.page["Annots"].(types.IndirectRef); ok {
		annots, _ := x.DereferenceArray(ref)
		annots = append(annots.Clone().(types.Array), fieldRef)
		u.object(ref.ObjectNumber.Value(), ref.GenerationNumber.Value(), annots.PDFString())
	} else {
		page := l.page.Clone().(types.Dict)
		annots, _ := page["Annots"].(types.Array)
		page["Annots"] = append(annots.Clone().(types.Array), fieldRef)
		u.object(l.pageRef.ObjectNumber.Value(), l.pageRef.GenerationNumber.Value(), page.PDFString())
	}

	// The form: the field added, SigFlags 3 (signatures exist, append
	// only). Same rule: rewrite the object that holds what changes.
	cat := l.catalog.Clone().(types.Dict)
	catChanged := false
	var form types.Dict
	formRef, formIndirect := cat["AcroForm"].(types.IndirectRef)
	if formIndirect {
		form, _ = x.DereferenceDict(formRef)
	} else {
		form, _ = cat["AcroForm"].(types.Dict)
	}
	if form == nil {
		form = types.Dict{}
	}
	form = form.Clone().(types.Dict)
	form["SigFlags"] = types.Integer(3)
	if ref, ok := form["Fields"].(types.IndirectRef); ok {
		fields, _ := x.DereferenceArray(ref)
		fields = append(fields.Clone().(types.Array), fieldRef)
		u.object(ref.ObjectNumber.Value(), ref.GenerationNumber.Value(), fields.PDFString())
	} else {
		fields, _ := form["Fields"].(types.Array)
		form["Fields"] = append(fields.Clone().(types.Array), fieldRef)
	}
	switch {
	case formIndirect:
		u.object(formRef.ObjectNumber.Value(), formRef.GenerationNumber.Value(), form.PDFString())
	case cat["AcroForm"] != nil:
		cat["AcroForm"] = form
		catChanged = true
	default:
		n := alloc()
		u.object(n, 0, form.PDFString())
		cat["AcroForm"] = types.IndirectRef{ObjectNumber: types.Integer(n)}
		catChanged = true
	}
	if opt.Certify {
		perms, _ := x.DereferenceDict(cat["Perms"])
		if perms == nil {
			perms = types.Dict{}
		}
		perms = perms.Clone().(types.Dict)
		perms["DocMDP"] = sigRef
		cat["Perms"] = perms
		catChanged = true
	}
	if catChanged {
		u.object(l.tr.root.ObjectNumber.Value(), l.tr.root.GenerationNumber.Value(), cat.PDFString())
	}

	t := l.tr
	if l.stream {
		num := alloc()
		t.size = next
		u.finishStream(num, t)
	} else {
		t.size = next
		u.finishTable(t)
	}

	// The byte range: everything but the hex string.
	total := u.base + int64(u.buf.Len())
	cs, ce := u.base+int64(ph.contents[0]), u.base+int64(ph.contents[1])
	br := fmt.Sprintf("[0 %d %d %d]", cs, ce, total-ce)
	copy(u.buf.Bytes()[brAt:], br)
	return u, ph
}
