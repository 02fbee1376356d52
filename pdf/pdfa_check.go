package pdf

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// CheckPDFA checks the structure PDF/A-2b and -3b require of the file at
// path, as far as it can be checked without a full validator (none is
// packaged for Debian; veraPDF is the reference): the header; the trailer's
// ID and no encryption; the XMP packet (uncompressed, its PDF/A
// identification, agreeing with the Info dictionary, every property of a
// non-standard namespace described by an extension schema); an output
// intent with a sound embedded ICC profile; every font embedded; no
// JavaScript, actions that launch or import, external content, LZW,
// transfer functions or interpolated images; embedded files only as
// PDF/A-3 associated files. It does not check the rendering model (colour
// spaces against the output intent beyond their kind, transparency
// groups, font program internals). It returns every problem found,
// joined, or nil.
func CheckPDFA(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	c := &pdfaChecker{}
	c.check(data)
	return errors.Join(c.problems...)
}

type pdfaChecker struct {
	x        *model.XRefTable
	part     int
	problems []error
}

func (c *pdfaChecker) fail(format string, a ...any) {
	c.problems = append(c.problems, fmt.Errorf("pdf/a: "+format, a...))
}

func (c *pdfaChecker) check(data []byte) {
	// Header: a version PDF/A-2 and -3 take (1.0–1.7), then a comment of
	// four bytes over 127 that marks the file binary.
	if !bytes.HasPrefix(data, []byte("%PDF-1.")) || len(data) < 9 || data[7] < '0' || data[7] > '7' {
		c.fail("header is not %%PDF-1.0 to 1.7")
	}
	if i := bytes.IndexByte(data, '\n'); i < 0 || len(data) < i+6 || data[i+1] != '%' || data[i+2] < 128 || data[i+3] < 128 || data[i+4] < 128 || data[i+5] < 128 {
		c.fail("no binary comment after the header")
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadContext(bytes.NewReader(data), conf)
	if err != nil {
		c.fail("cannot read the file: %v", err)
		return
	}
	x := ctx.XRefTable
	c.x = x
	if x.Encrypt != nil {
		c.fail("the file is encrypted")
	}
	if len(x.ID) != 2 {
		c.fail("the trailer has no /ID of two strings")
	}
	cat, err := x.Catalog()
	if err != nil {
		c.fail("no catalogue: %v", err)
		return
	}
	props, packet := c.metadata(cat)
	c.infoAgrees(props)
	c.outputIntents(cat)
	if _, ok := cat["AcroForm"]; ok {
		if d, _ := x.DereferenceDict(cat["AcroForm"]); d != nil {
			if _, ok := d["XFA"]; ok {
				c.fail("the form has XFA")
			}
			if b, ok := d["NeedsAppearances"].(types.Boolean); ok && bool(b) {
				c.fail("the form needs appearances")
			}
		}
	}
	c.extensionSchemas(props, packet)
	c.objects(cat)
}

// metadata checks the catalogue's XMP packet and gives its properties.
func (c *pdfaChecker) metadata(cat types.Dict) (map[string][]string, []byte) {
	sd, _, err := c.x.DereferenceStreamDict(cat["Metadata"])
	if err != nil || sd == nil {
		c.fail("the catalogue has no /Metadata stream")
		return nil, nil
	}
	if _, ok := sd.Dict["Filter"]; ok {
		c.fail("the metadata stream is compressed")
	}
	if t, _ := sd.Dict["Type"].(types.Name); t != "Metadata" {
		c.fail("the metadata stream's /Type is %q, want /Metadata", t)
	}
	if t, _ := sd.Dict["Subtype"].(types.Name); t != "XML" {
		c.fail("the metadata stream's /Subtype is %q, want /XML", t)
	}
	if err := sd.Decode(); err != nil {
		c.fail("the metadata stream cannot be read: %v", err)
		return nil, nil
	}
	packet := sd.Content
	if !bytes.Contains(packet, []byte("<?xpacket begin=")) || !bytes.Contains(packet, []byte("<?xpacket end=")) {
		c.fail("the metadata is not an XMP packet (no xpacket header and trailer)")
	}
	if err := xml.Unmarshal(packet, new(struct{})); err != nil {
		c.fail("the XMP packet is not well-formed XML: %v", err)
	}
	props, err := readXMP(packet)
	if err != nil {
		c.fail("the XMP packet cannot be read: %v", err)
	}
	part, conf := first(props, nsPDFAID+"part"), first(props, nsPDFAID+"conformance")
	switch {
	case part != "2" && part != "3":
		c.fail("pdfaid:part is %q, want 2 or 3", part)
	case !slices.Contains([]string{"A", "B", "U"}, conf):
		c.fail("pdfaid:conformance is %q, want A, B or U", conf)
	}
	fmt.Sscan(part, &c.part)
	return props, packet
}

func first(props map[string][]string, key string) string {
	if v := props[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// infoAgrees checks that the Info dictionary says what the XMP says
// (ISO 19005-2, 6.6.2.1, table 3).
func (c *pdfaChecker) infoAgrees(props map[string][]string) {
	info := map[string]string{}
	if c.x.Info != nil {
		d, err := c.x.DereferenceDict(*c.x.Info)
		if err != nil {
			c.fail("the Info dictionary cannot be read: %v", err)
			return
		}
		for k, v := range d {
			s, err := c.x.DereferenceText(v)
			if err != nil {
				c.fail("Info /%s is not a text string", k)
				continue
			}
			info[k] = s
		}
	}
	pairs := []struct{ info, xmp string }{
		{"Title", nsDC + "title"}, {"Author", nsDC + "creator"}, {"Subject", nsDC + "description"},
		{"Keywords", nsPDF + "Keywords"}, {"Producer", nsPDF + "Producer"}, {"Creator", nsXMP + "CreatorTool"},
	}
	for _, p := range pairs {
		iv, inInfo := info[p.info]
		xv := first(props, p.xmp)
		if p.info == "Author" {
			xv = strings.Join(props[p.xmp], ", ")
		}
		if inInfo && iv != xv {
			c.fail("Info /%s %q and XMP %s %q differ", p.info, iv, p.xmp, xv)
		}
	}
	for _, p := range []struct{ info, xmp string }{{"CreationDate", nsXMP + "CreateDate"}, {"ModDate", nsXMP + "ModifyDate"}} {
		iv, ok := info[p.info]
		if !ok {
			continue
		}
		it, err1 := types.DateTime(iv, true)
		xt, err2 := time.Parse(time.RFC3339, first(props, p.xmp))
		if !err1 || err2 != nil || !it.Equal(xt) {
			c.fail("Info /%s %q and XMP %s %q differ", p.info, iv, p.xmp, first(props, p.xmp))
		}
	}
}

// outputIntents checks the PDF/A output intent and its ICC profile.
func (c *pdfaChecker) outputIntents(cat types.Dict) {
	arr, err := c.x.DereferenceArray(cat["OutputIntents"])
	if err != nil || len(arr) == 0 {
		c.fail("no /OutputIntents: device colours need one")
		return
	}
	found := false
	for _, o := range arr {
		d, err := c.x.DereferenceDict(o)
		if err != nil || d == nil {
			c.fail("an output intent is not a dictionary")
			continue
		}
		if s, _ := d["S"].(types.Name); s != "GTS_PDFA1" {
			continue
		}
		found = true
		sd, _, err := c.x.DereferenceStreamDict(d["DestOutputProfile"])
		if err != nil || sd == nil {
			c.fail("the PDF/A output intent has no embedded ICC profile")
			continue
		}
		if err := sd.Decode(); err != nil {
			c.fail("the ICC profile cannot be read: %v", err)
			continue
		}
		n, _ := sd.Dict["N"].(types.Integer)
		p := sd.Content
		if len(p) < 132 || string(p[36:40]) != "acsp" || int(binary.BigEndian.Uint32(p)) != len(p) {
			c.fail("the output intent's ICC profile is not a sound ICC profile")
			continue
		}
		want := map[string]int{"RGB ": 3, "GRAY": 1, "CMYK": 4}[string(p[16:20])]
		if want == 0 || int(n) != want {
			c.fail("the ICC profile's colour space %q does not match /N %d", p[16:20], n)
		}
		if class := string(p[12:16]); class != "mntr" && class != "prtr" {
			c.fail("the ICC profile's class %q is neither mntr nor prtr", class)
		}
		if v := p[8]; v != 2 && v != 4 {
			c.fail("the ICC profile's version %d is not 2 or 4", v)
		}
	}
	if !found {
		c.fail("no output intent of subtype GTS_PDFA1")
	}
}

// predefined are the XMP schemas PDF/A readers know without an
// extension schema (ISO 19005-2, 6.6.2.3.1, and XMP 2004's).
var predefined = []string{
	nsDC, nsXMP, nsPDF, nsXMPMM, nsPDFAID, nsPDFAExt, nsPDFASch, nsPDFAPrp,
	"http://ns.adobe.com/xap/1.0/rights/", "http://ns.adobe.com/xap/1.0/bj/", "http://ns.adobe.com/xap/1.0/t/pg/",
	"http://ns.adobe.com/xap/1.0/g/img/", "http://ns.adobe.com/photoshop/1.0/", "http://ns.adobe.com/camera-raw-settings/1.0/",
	"http://ns.adobe.com/exif/1.0/", "http://ns.adobe.com/exif/1.0/aux/", "http://ns.adobe.com/tiff/1.0/",
	"http://ns.adobe.com/xmp/1.0/DynamicMedia/", "http://www.aiim.org/pdfa/ns/type#", "http://www.aiim.org/pdfa/ns/field#",
}

// extensionSchemas checks that each property of another namespace is
// described by an extension schema in the packet.
func (c *pdfaChecker) extensionSchemas(props map[string][]string, packet []byte) {
	described := map[string]bool{} // namespace + property name
	dec := xml.NewDecoder(bytes.NewReader(packet))
	dec.Strict = false
	var ns string
	var cur xml.Name
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			cur = t.Name
		case xml.CharData:
			s := strings.TrimSpace(string(t))
			switch {
			case s == "":
			case cur.Space == nsPDFASch && cur.Local == "namespaceURI":
				ns = s
			case cur.Space == nsPDFAPrp && cur.Local == "name":
				described[ns+s] = true
			}
		case xml.EndElement:
			cur = xml.Name{}
		}
	}
	var missing []string
	for key := range props {
		if slices.ContainsFunc(predefined, func(p string) bool { return strings.HasPrefix(key, p) && !strings.Contains(key[len(p):], "/") }) {
			continue
		}
		if !described[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		c.fail("XMP property %s has no extension schema", m)
	}
}

// forbiddenActions are action types PDF/A does not allow.
var forbiddenActions = []string{"Launch", "Sound", "Movie", "ResetForm", "ImportData", "JavaScript", "Hide", "SetOCGState", "Rendition", "Trans", "GoTo3DView"}

// objects walks every object of the file.
func (c *pdfaChecker) objects(cat types.Dict) {
	associated := map[int]bool{} // file specifications listed in an /AF
	var specs []int
	nrs := make([]int, 0, len(c.x.Table))
	for nr := range c.x.Table {
		nrs = append(nrs, nr)
	}
	sort.Ints(nrs)
	for _, nr := range nrs {
		e := c.x.Table[nr]
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		var d types.Dict
		stream := false
		switch o := e.Object.(type) {
		case types.Dict:
			d = o
		case types.StreamDict:
			d, stream = o.Dict, true
		default:
			continue
		}
		c.dict(nr, d, stream)
		if af, ok := d["AF"]; ok {
			if arr, err := c.x.DereferenceArray(af); err == nil {
				for _, r := range arr {
					if ref, ok := r.(types.IndirectRef); ok {
						associated[ref.ObjectNumber.Value()] = true
					}
				}
			}
		}
		if t, _ := d["Type"].(types.Name); t == "Filespec" || d["EF"] != nil {
			if _, ok := d["EF"]; ok {
				specs = append(specs, nr)
			}
		}
	}
	if names, _ := c.x.DereferenceDict(cat["Names"]); names != nil {
		if _, ok := names["JavaScript"]; ok {
			c.fail("the document has JavaScript")
		}
		if _, ok := names["EmbeddedFiles"]; ok && c.part < 3 {
			c.fail("PDF/A-%d holds embedded files (only PDF/A-3 takes arbitrary files)", c.part)
		}
	}
	for _, nr := range specs {
		spec, _ := c.x.DereferenceDict(*types.NewIndirectRef(nr, 0))
		if c.part < 3 {
			continue // reported above
		}
		for _, k := range []string{"F", "UF", "AFRelationship"} {
			if _, ok := spec[k]; !ok {
				c.fail("embedded file specification %d has no /%s", nr, k)
			}
		}
		if !associated[nr] {
			c.fail("embedded file specification %d is not an associated file (no /AF lists it)", nr)
		}
		ef, _ := c.x.DereferenceDict(spec["EF"])
		sd, _, err := c.x.DereferenceStreamDict(ef["F"])
		if err != nil || sd == nil {
			c.fail("embedded file specification %d has no file stream", nr)
			continue
		}
		if _, ok := sd.Dict["Subtype"].(types.Name); !ok {
			c.fail("embedded file %d has no MIME type (/Subtype)", nr)
		}
		params, _ := c.x.DereferenceDict(sd.Dict["Params"])
		if params == nil || params["ModDate"] == nil {
			c.fail("embedded file %d has no /Params /ModDate", nr)
		}
	}
}

// dict checks one dictionary (a stream's too) for what PDF/A forbids.
func (c *pdfaChecker) dict(nr int, d types.Dict, stream bool) {
	typ, _ := d["Type"].(types.Name)
	sub, _ := d["Subtype"].(types.Name)
	for _, k := range []string{"JS", "AA", "OPI", "Alternates", "PS", "XFA"} {
		if _, ok := d[k]; ok {
			c.fail("object %d has /%s", nr, k)
		}
	}
	if s, ok := d["S"].(types.Name); ok && slices.Contains(forbiddenActions, string(s)) && typ != "OutputIntent" {
		c.fail("object %d is a %s action", nr, s)
	}
	if b, ok := d["Interpolate"].(types.Boolean); ok && bool(b) {
		c.fail("image %d is interpolated", nr)
	}
	if _, ok := d["TR"]; ok && typ == "ExtGState" {
		c.fail("graphics state %d has a transfer function", nr)
	}
	if tr2, ok := d["TR2"]; ok && typ == "ExtGState" {
		if n, _ := tr2.(types.Name); n != "Default" {
			c.fail("graphics state %d has a transfer function", nr)
		}
	}
	if sub == "PS" || (typ == "XObject" && d["Ref"] != nil) {
		c.fail("object %d is PostScript or a reference XObject", nr)
	}
	if stream {
		for _, k := range []string{"F", "FFilter", "FDecodeParms"} {
			if _, ok := d[k]; ok {
				c.fail("stream %d takes its data from an external file (/%s)", nr, k)
			}
		}
		if hasFilter(d, "LZWDecode") || hasFilter(d, "Crypt") {
			c.fail("stream %d uses a filter PDF/A forbids (LZW or Crypt)", nr)
		}
	}
	if typ == "Font" {
		c.font(nr, d, sub)
	}
	if typ == "Annot" {
		f, _ := d["F"].(types.Integer)
		if sub != "Popup" && (f&4 == 0 || f&(1|2|32) != 0) {
			c.fail("annotation %d is not set to print, or is hidden", nr)
		}
	}
}

func hasFilter(d types.Dict, name string) bool {
	switch f := d["Filter"].(type) {
	case types.Name:
		return string(f) == name
	case types.Array:
		for _, e := range f {
			if n, ok := e.(types.Name); ok && string(n) == name {
				return true
			}
		}
	}
	return false
}

// font checks that a font's program is embedded (Type 0 fonts through
// their descendant; Type 3 fonts are drawn by the file itself).
func (c *pdfaChecker) font(nr int, d types.Dict, sub types.Name) {
	switch sub {
	case "Type0":
		arr, err := c.x.DereferenceArray(d["DescendantFonts"])
		if err != nil || len(arr) != 1 {
			c.fail("Type 0 font %d has no descendant font", nr)
		}
		return
	case "Type3":
		return
	}
	fd, err := c.x.DereferenceDict(d["FontDescriptor"])
	if err != nil || fd == nil {
		c.fail("font %d (%s) has no font descriptor, so it is not embedded", nr, sub)
		return
	}
	if fd["FontFile"] == nil && fd["FontFile2"] == nil && fd["FontFile3"] == nil {
		name, _ := d["BaseFont"].(types.Name)
		c.fail("font %d (%s) is not embedded", nr, name)
	}
	if sub == "CIDFontType2" && d["CIDToGIDMap"] == nil {
		c.fail("CID font %d has no /CIDToGIDMap", nr)
	}
}
