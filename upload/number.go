package upload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// NumberSource says where a server that registers what it receives (a
// bureau d'ordre platform) puts the registration number it gives in its
// answer to a delivery. The zero NumberSource reads none.
type NumberSource struct {
	// Header is the name of a response header holding the number
	// ("X-Registration-Number").
	Header string
	// JSON is an RFC 6901 JSON pointer to the number in a JSON answer's
	// body ("/registration/number"); the value is a string or an
	// integer.
	JSON string
}

// IsZero reports whether the source reads no number.
func (s NumberSource) IsZero() bool { return s.Header == "" && s.JSON == "" }

// String says where the number is looked for, for messages.
func (s NumberSource) String() string {
	var parts []string
	if s.Header != "" {
		parts = append(parts, "header "+s.Header)
	}
	if s.JSON != "" {
		parts = append(parts, "JSON "+s.JSON)
	}
	return strings.Join(parts, " or ")
}

// Check says what is wrong with the source's settings.
func (s NumberSource) Check() error {
	if s.Header != "" && !token(s.Header) {
		return fmt.Errorf("%q is not an HTTP header name", s.Header)
	}
	if s.JSON != "" {
		if _, err := pointer(s.JSON); err != nil {
			return err
		}
	}
	return nil
}

// MaxNumberLength bounds a number taken from a server: a registration
// number is short; a longer value is an error page or an attack.
const MaxNumberLength = 128

// maxAnswer bounds the JSON answer read for the number.
const maxAnswer = 1 << 20

// errNoNumber is an answer that has no number where the source says.
var errNoNumber = errors.New("no registration number")

// Read takes the number from an answer: the header first, then the JSON
// body (read here, up to 1 MiB; the caller still closes it). It gives ""
// and nil when the answer has none, and an error when it has one that
// cannot be a registration number (or two that differ).
func (s NumberSource) Read(resp *http.Response) (string, error) {
	if s.IsZero() || resp == nil {
		return "", nil
	}
	var fromHeader, fromJSON string
	if s.Header != "" {
		if v := resp.Header.Get(s.Header); v != "" {
			n, err := clean(v)
			if err != nil {
				return "", fmt.Errorf("header %s: %w", s.Header, err)
			}
			fromHeader = n
		}
	}
	if s.JSON != "" && resp.Body != nil && jsonType(resp.Header.Get("Content-Type")) {
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		if err != nil {
			return "", fmt.Errorf("read the answer: %w", err)
		}
		n, err := s.FromJSON(data)
		switch {
		case errors.Is(err, errNoNumber) || len(bytes.TrimSpace(data)) == 0:
			// An empty answer (a 201 or 204, tus's completing PATCH)
			// gives no number; the header may.
		case err != nil && fromHeader != "":
			// Not JSON, but the header gave the number.
		case err != nil:
			return "", err
		default:
			fromJSON = n
		}
	}
	if fromHeader != "" && fromJSON != "" && fromHeader != fromJSON {
		return "", fmt.Errorf("the answer gives two numbers: %q in header %s, %q at %s", fromHeader, s.Header, fromJSON, s.JSON)
	}
	if fromHeader != "" {
		return fromHeader, nil
	}
	return fromJSON, nil
}

// FromJSON takes the number at the source's JSON pointer in data; an
// error wrapping errNoNumber when nothing is there.
func (s NumberSource) FromJSON(data []byte) (string, error) {
	ref, err := pointer(s.JSON)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("the answer is not JSON: %w", err)
	}
	for _, tok := range ref {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return "", fmt.Errorf("%w at %s", errNoNumber, s.JSON)
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) || (len(tok) > 1 && tok[0] == '0') {
				return "", fmt.Errorf("%w at %s", errNoNumber, s.JSON)
			}
			v = c[i]
		default:
			return "", fmt.Errorf("%w at %s", errNoNumber, s.JSON)
		}
	}
	switch n := v.(type) {
	case string:
		if n == "" {
			return "", fmt.Errorf("%w at %s (empty)", errNoNumber, s.JSON)
		}
		out, err := clean(n)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.JSON, err)
		}
		return out, nil
	case json.Number:
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return "", fmt.Errorf("%s: %s is not a whole number", s.JSON, n)
		}
		return n.String(), nil
	case nil:
		return "", fmt.Errorf("%w at %s (null)", errNoNumber, s.JSON)
	}
	return "", fmt.Errorf("%s: a registration number is a string or a whole number, not %T", s.JSON, v)
}

// clean checks a number as the server wrote it: trimmed, printable, short.
func clean(v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", errNoNumber
	case len(v) > MaxNumberLength:
		return "", fmt.Errorf("a registration number of %d bytes (at most %d): not a number", len(v), MaxNumberLength)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return "", fmt.Errorf("the registration number %q holds a control character", v)
		}
	}
	return v, nil
}

// pointer splits an RFC 6901 JSON pointer into its reference tokens.
func pointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("JSON pointer %q: it starts with / (e.g. /registration/number)", p)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1')) {
				return nil, fmt.Errorf("JSON pointer %q: ~ is written ~0, / is written ~1", p)
			}
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// jsonType reports whether a Content-Type is JSON (application/json,
// application/problem+json…); a missing one is given the benefit of
// the doubt.
func jsonType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json")
}

// token reports whether s is an HTTP header name (RFC 9110 token).
func token(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// NumberNote is what a receipt says when the server was expected to
// give a number and did not: which answer lacked it, or why the value
// was refused.
func NumberNote(s NumberSource, err error) string {
	if err != nil {
		return "the server's registration number was refused: " + err.Error()
	}
	return "the server's answer gave no registration number (" + s.String() + ")"
}
