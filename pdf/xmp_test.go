package pdf

import (
	"testing"
	"time"
)

// The XMP reader takes what the writer writes, and never fails on
// anything else.
func FuzzReadXMP(f *testing.F) {
	doc := xmpDoc{meta: Metadata{Title: "عنوان & <titre>", Author: "A", Keywords: []string{"a", "b"}, Sender: "s"},
		producer: "demat", created: time.Unix(0, 0).UTC(), modified: time.Unix(0, 0).UTC(), part: 2, conformance: "B"}
	f.Add(doc.packet())
	f.Add([]byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="application/pdf"/></rdf:RDF></x:xmpmeta>`))
	f.Add([]byte(`<a><b>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		readXMP(data)
	})
}

func TestReadXMPRoundTrip(t *testing.T) {
	m := Metadata{Title: "Demande — طلب", Author: "Bureau d'ordre", Subject: "x < y", Keywords: []string{"été", "مراسلة"},
		Language: "fr", Date: "2026-11-20", Reference: "R/1", Sender: "وزارة", Direction: "incoming", Received: "2026-11-23"}
	doc := xmpDoc{meta: m, producer: "demat 1", tool: "demat 1", created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), modified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), part: 3, conformance: "B"}
	props, err := readXMP(doc.packet())
	if err != nil {
		t.Fatal(err)
	}
	var d Description
	d.fill(props)
	if d.Meta.Title != m.Title || d.Meta.Author != m.Author || d.Meta.Subject != m.Subject || len(d.Meta.Keywords) != 2 ||
		d.Meta.Sender != m.Sender || d.Meta.Received != m.Received || d.Meta.Date != m.Date || d.PDFA != "3b" || d.Created != "2026-01-02T03:04:05+00:00" {
		t.Errorf("read back %+v (pdfa %q, created %q)", d.Meta, d.PDFA, d.Created)
	}
	// The extension schema's structures are not properties.
	if _, ok := props[nsPDFASch+"namespaceURI"]; ok {
		t.Error("a field of the extension schema was read as a property")
	}
}
