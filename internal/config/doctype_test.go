package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestDocTypes(t *testing.T) {
	c, err := LoadFile(write(t, `
[[doctype]]
name = "courrier"
label = { fr = "Courrier arrivée", ar = "بريد وارد", en = "Incoming letter" }
direction = "incoming"
[[doctype.field]]
key = "sender"
required = true
label = { fr = "Expéditeur", ar = "المرسل" }
[[doctype.field]]
key = "confidentiality"
choices = ["Normal", "Confidentiel"]
default = "Normal"
[[doctype.field]]
key = "reference"
pattern = '[A-Z]{2,4}/\d+'
hint = "DRH/1234"
[[doctype.field]]
key = "received"
default = "today"

[[doctype]]
name = "facture"
label = "Facture"
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.DocTypeNames(); strings.Join(got, ",") != "courrier,facture" {
		t.Fatalf("names %v", got)
	}
	d, ok := c.DocType("courrier")
	if !ok {
		t.Fatal("courrier not found")
	}
	if d.Label.In("ar") != "بريد وارد" || d.Label.In("de") != "Incoming letter" {
		t.Errorf("label ar %q, de %q", d.Label.In("ar"), d.Label.In("de"))
	}
	if f, _ := c.DocType("facture"); f.Label.In("ar") != "Facture" {
		t.Errorf("one label for every language: %q", f.Label.In("ar"))
	}
	if d.Fields[0].Label.In("en") != "Expéditeur" {
		t.Errorf("no English label: falls back to French, got %q", d.Fields[0].Label.In("en"))
	}

	err = d.Check(map[string]string{"confidentiality": "Secret", "reference": "DRH/12x"})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Key != "sender" || !errors.Is(err, ErrRequired) {
		t.Errorf("missing sender: %v", err)
	}
	if !errors.Is(err, ErrNotChoice) || !errors.Is(err, ErrPattern) {
		t.Errorf("bad choice and pattern not both reported: %v", err)
	}
	if err := d.Check(map[string]string{"sender": "Wilaya", "confidentiality": "Normal", "reference": "DRH/12"}); err != nil {
		t.Errorf("valid description refused: %v", err)
	}
	// The pattern matches the whole value, not a part of it.
	if err := d.Fields[2].Check("xDRH/12"); !errors.Is(err, ErrPattern) {
		t.Errorf("partial match accepted: %v", err)
	}
}

func TestDocTypeErrors(t *testing.T) {
	for _, tc := range []struct{ toml, want string }{
		{"[[doctype]]\nlabel = \"x\"", "no name"},
		{"[[doctype]]\nname = \"a\"\n[[doctype]]\nname = \"a\"", "two document types"},
		{"[[doctype]]\nname = \"a\"\n[[doctype.field]]\nkey = \"colour\"", "not a metadata key"},
		{"[[doctype]]\nname = \"a\"\n[[doctype.field]]\nkey = \"sender\"\n[[doctype.field]]\nkey = \"sender\"", "listed twice"},
		{"[[doctype]]\nname = \"a\"\n[[doctype.field]]\nkey = \"reference\"\npattern = \"(\"", "not a valid regular expression"},
		{"[[doctype]]\nname = \"a\"\ndirection = \"sideways\"", "direction"},
		{"[[doctype]]\nname = \"a\"\n[[doctype.field]]\nkey = \"confidentiality\"\nchoices = [\"A\"]\ndefault = \"B\"", "default"},
		{"[[doctype]]\nname = \"a\"\nlabel = 3", "want a string"},
	} {
		_, err := LoadFile(write(t, tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.toml, err, tc.want)
		}
	}
}

func TestRemoveCertificate(t *testing.T) {
	p := write(t, `# the desk's configuration
[[certificate]]
name = "agent"
file = "/a/agent.p12"

[[certificate]]
name = "cachet"
file = "/a/cachet.p12" # the service's seal

[register]
certificate = "cachet"
`)
	c, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveCertificate("cachet"); err == nil || !strings.Contains(err.Error(), "[register] certificate") {
		t.Errorf("removing the receipts' certificate: %v", err)
	}
	if err := c.RemoveCertificate("nobody"); err == nil {
		t.Error("removing a certificate that is not there")
	}
	if err := c.RemoveCertificate("agent"); err != nil {
		t.Fatal(err)
	}
	c2, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Certificates) != 1 || c2.Certificates[0].Name != "cachet" || len(c.Certificates) != 1 {
		t.Errorf("left %+v (in memory %+v)", c2.Certificates, c.Certificates)
	}
	data, _ := os.ReadFile(p)
	if !strings.Contains(string(data), "# the desk's configuration") || !strings.Contains(string(data), "# the service's seal") {
		t.Errorf("comments lost:\n%s", data)
	}
}
