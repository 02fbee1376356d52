package pdf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// XMP namespaces demat writes.
const (
	nsRDF     = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsXMP     = "http://ns.adobe.com/xap/1.0/"
	nsPDF     = "http://ns.adobe.com/pdf/1.3/"
	nsXMPMM   = "http://ns.adobe.com/xap/1.0/mm/"
	nsPDFAID  = "http://www.aiim.org/pdfa/ns/id/"
	nsPDFAExt = "http://www.aiim.org/pdfa/ns/extension/"
	nsPDFASch = "http://www.aiim.org/pdfa/ns/schema#"
	nsPDFAPrp = "http://www.aiim.org/pdfa/ns/property#"
)

// xmpDoc is what the XMP packet says of a document.
type xmpDoc struct {
	meta               Metadata
	producer, tool     string
	created, modified  time.Time
	documentID, instID string
	part               int    // PDF/A part, 0 for none
	conformance        string // "B"
}

// xmpDate writes a time as XMP does (ISO 8601 with its zone), to the
// second, as the Info dictionary's dates are.
func xmpDate(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }

// pdfDate writes the same instant as a PDF date string, in the same zone,
// so that the two agree to the second as PDF/A requires.
func pdfDate(t time.Time) string {
	s := t.Format("D:20060102150405-07'00'")
	return s
}

// packet builds the XMP packet: Dublin Core, XMP basic, Adobe PDF and
// media management properties matching the Info dictionary, the PDF/A
// identification, the registry's properties in demat's namespace, and the
// PDF/A extension schema that describes that namespace (PDF/A readers
// refuse properties of a schema they are not told about). The packet is
// padded, as XMP recommends, so that an editor can update it in place.
func (d xmpDoc) packet() []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	prop := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "   <%s>%s</%s>\n", name, esc(value), name)
		}
	}
	alt := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "   <%s><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></%s>\n", name, esc(value), name)
		}
	}
	list := func(name, kind string, values ...string) {
		if len(values) == 0 || (len(values) == 1 && values[0] == "") {
			return
		}
		fmt.Fprintf(&b, "   <%s><rdf:%s>", name, kind)
		for _, v := range values {
			fmt.Fprintf(&b, "<rdf:li>%s</rdf:li>", esc(v))
		}
		fmt.Fprintf(&b, "</rdf:%s></%s>\n", kind, name)
	}
	m := d.meta
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF xmlns:rdf=\"" + nsRDF + "\">\n")
	fmt.Fprintf(&b, "  <rdf:Description rdf:about=\"\"\n    xmlns:dc=\"%s\"\n    xmlns:xmp=\"%s\"\n    xmlns:pdf=\"%s\"\n    xmlns:xmpMM=\"%s\"\n    xmlns:pdfaid=\"%s\"\n    xmlns:%s=\"%s\"\n    xmlns:pdfaExtension=\"%s\"\n    xmlns:pdfaSchema=\"%s\"\n    xmlns:pdfaProperty=\"%s\">\n",
		nsDC, nsXMP, nsPDF, nsXMPMM, nsPDFAID, prefixRegistry, NSRegistry, nsPDFAExt, nsPDFASch, nsPDFAPrp)
	if d.part > 0 {
		prop("pdfaid:part", fmt.Sprint(d.part))
		prop("pdfaid:conformance", d.conformance)
	}
	prop("dc:format", "application/pdf")
	alt("dc:title", m.Title)
	list("dc:creator", "Seq", m.Author)
	alt("dc:description", m.Subject)
	list("dc:subject", "Bag", m.Keywords...)
	list("dc:language", "Bag", m.Language)
	list("dc:date", "Seq", m.Date)
	prop("pdf:Producer", d.producer)
	prop("pdf:Keywords", strings.Join(m.Keywords, ", "))
	prop("xmp:CreatorTool", d.tool)
	prop("xmp:CreateDate", xmpDate(d.created))
	prop("xmp:ModifyDate", xmpDate(d.modified))
	prop("xmp:MetadataDate", xmpDate(d.modified))
	prop("xmpMM:DocumentID", d.documentID)
	prop("xmpMM:InstanceID", d.instID)
	for _, f := range metaFields {
		if f.xmp != "" {
			prop(prefixRegistry+":"+f.xmp, *f.field(&m))
		}
	}
	b.WriteString(registrySchema)
	b.WriteString("  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n")
	pad := strings.Repeat(" ", 99) + "\n"
	for i := 0; i < 20; i++ {
		b.WriteString(pad)
	}
	b.WriteString("<?xpacket end=\"w\"?>")
	return b.Bytes()
}

// registrySchema describes demat's namespace for PDF/A (ISO 19005-2,
// 6.6.2.3: the extension schema container).
var registrySchema = func() string {
	var b strings.Builder
	b.WriteString("   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">\n")
	b.WriteString("    <pdfaSchema:schema>demat registry properties</pdfaSchema:schema>\n")
	fmt.Fprintf(&b, "    <pdfaSchema:namespaceURI>%s</pdfaSchema:namespaceURI>\n", NSRegistry)
	fmt.Fprintf(&b, "    <pdfaSchema:prefix>%s</pdfaSchema:prefix>\n", prefixRegistry)
	b.WriteString("    <pdfaSchema:property><rdf:Seq>\n")
	for _, f := range metaFields {
		if f.xmp == "" {
			continue
		}
		typ := "Text"
		if f.check != nil && f.key == "received" {
			typ = "Date"
		}
		fmt.Fprintf(&b, "     <rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>%s</pdfaProperty:name><pdfaProperty:valueType>%s</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>%s</pdfaProperty:description></rdf:li>\n",
			f.xmp, typ, xmlText(f.help))
	}
	b.WriteString("    </rdf:Seq></pdfaSchema:property>\n   </rdf:li></rdf:Bag></pdfaExtension:schemas>\n")
	return b.String()
}()

func xmlText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
