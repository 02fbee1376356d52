package escl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// node is one XML element, named by its local name only.
//
// Devices disagree on namespaces: the schema puts InputSource, Version and
// DocumentFormat in pwg:, ColorMode and resolutions in scan:, and firmware
// writes them in whichever it likes (sane-airscan's pwg:/scan: notes; HP
// and Canon differ). Matching on local names reads all of them; the
// element names themselves do not collide between the two namespaces.
type node struct {
	name string
	text string
	kids []*node
}

// Limits on what a device may send: a capabilities document is a few
// tens of kilobytes; these refuse a malicious or broken one long before
// it costs memory.
const (
	maxXMLDepth = 64
	maxXMLNodes = 100_000
)

var errXMLLimit = errors.New("XML document too deep or too large")

// parseXML reads a document into a tree of local names.
func parseXML(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	// Firmware writes unescaped ampersands in names and forgets end
	// tags; the lenient mode reads what a person would.
	dec.Strict = false
	dec.CharsetReader = charsetReader
	var root *node
	var stack []*node
	count := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if len(stack) >= maxXMLDepth || count > maxXMLNodes {
				return nil, errXMLLimit
			}
			n := &node{name: t.Name.Local}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				n := stack[len(stack)-1]
				if len(n.text) < 4096 {
					n.text += string(t)
				}
			}
		}
	}
	if root == nil {
		return nil, errors.New("no XML element")
	}
	return root, nil
}

// charsetReader reads the encodings devices declare besides UTF-8: some
// write ISO-8859-1 (or call it that) in model names and notes.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252", "us-ascii", "ascii":
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		out := make([]rune, len(b))
		for i, c := range b {
			out[i] = rune(c)
		}
		return strings.NewReader(string(out)), nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// child returns the first child named name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// elements returns all children, whatever their names; nil for a nil
// node, so lookups chain over missing elements.
func (n *node) elements() []*node {
	if n == nil {
		return nil
	}
	return n.kids
}

// children returns the children named name.
func (n *node) children(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// value returns the trimmed text of the first child named name.
func (n *node) value(name string) string {
	if c := n.child(name); c != nil {
		return strings.TrimSpace(c.text)
	}
	return ""
}

// intValue reads a child as a non-negative integer; 0 when absent or not
// a number (devices write "" for unknown sizes).
func (n *node) intValue(name string) int {
	v, err := strconv.Atoi(n.value(name))
	if err != nil || v < 0 {
		return 0
	}
	return v
}

func rootError(kind string, got *node) error {
	if got.name == "Envelope" {
		return fmt.Errorf("not eSCL: a SOAP (WSD) message where %s was expected", kind)
	}
	return fmt.Errorf("not eSCL %s: the document is <%s>", kind, got.name)
}
