package upload

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultTemplate puts a document under its own file name.
const DefaultTemplate = "{name}"

// maxElement is the longest path element written, in bytes: most file
// systems and servers stop at 255; the rest is room for a "-2" suffix
// and a temporary prefix.
const maxElement = 200

// Path builds a document's destination from a template such as
// "{year}/{direction}/{reference}.pdf". A placeholder is a metadata key
// (see pdf.MetadataKeys) or one of:
//
//	{name}   the document's file name without its extension
//	{year} {month} {day} {date}   the received date (metadata "received"
//	         when set, else now), {date} as 2006-01-02
//	{id}     the delivery id
//
// Every value is sanitised (Sanitise): no separator, no "..", no control
// character; Arabic and accents are kept. A template whose last element
// has no extension gets ".pdf". A placeholder without a value is an
// error that names it, so that a document is never filed under an empty
// folder name.
func Path(template string, vars map[string]string, now time.Time) (string, error) {
	if strings.TrimSpace(template) == "" {
		template = DefaultTemplate
	}
	date := now
	if r := vars["received"]; r != "" {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
			if t, err := time.Parse(layout, r); err == nil {
				date = t
				break
			}
		}
	}
	value := func(key string) (string, bool) {
		switch key {
		case "year":
			return date.Format("2006"), true
		case "month":
			return date.Format("01"), true
		case "day":
			return date.Format("02"), true
		case "date":
			return date.Format("2006-01-02"), true
		}
		v, ok := vars[key]
		return v, ok && strings.TrimSpace(v) != ""
	}
	template = strings.ReplaceAll(template, "\\", "/")
	var elems []string
	for _, raw := range strings.Split(template, "/") {
		if raw == "" || raw == "." {
			continue
		}
		var b strings.Builder
		rest := raw
		for {
			i := strings.IndexByte(rest, '{')
			if i < 0 {
				b.WriteString(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				return "", fmt.Errorf("path template %q: unclosed {", template)
			}
			b.WriteString(rest[:i])
			key := strings.ToLower(strings.TrimSpace(rest[i+1 : i+j]))
			v, ok := value(key)
			if !ok {
				return "", fmt.Errorf("path template %q needs %q, which this document has no value for (give it with --meta %s=…)", template, key, key)
			}
			b.WriteString(Sanitise(v))
			rest = rest[i+j+1:]
		}
		e := Sanitise(b.String())
		if e == "" {
			return "", fmt.Errorf("path template %q gives an empty folder or file name", template)
		}
		elems = append(elems, e)
	}
	if len(elems) == 0 {
		return "", fmt.Errorf("path template %q gives no file name", template)
	}
	last := elems[len(elems)-1]
	if path.Ext(last) == "" {
		elems[len(elems)-1] = last + ".pdf"
	}
	return strings.Join(elems, "/"), nil
}

// Sanitise makes s safe as one path element on any file system or
// server: control and format characters removed, separators and the
// characters Windows shares refuse replaced by '_', leading and trailing
// dots and spaces trimmed ("..", ".hidden", "name."), cut to 200 bytes
// on a character boundary. Letters of every script are kept.
func Sanitise(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteByte('_')
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r) && !isJoiner(r):
			// dropped: NUL, newlines, bidi overrides
		case strings.ContainsRune(`/\:*?"<>|`, r):
			b.WriteByte('_')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.Trim(strings.Join(strings.Fields(b.String()), " "), ". ")
	if len(out) > maxElement {
		cut := maxElement
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = strings.TrimRight(out[:cut], ". ")
	}
	return out
}

// isJoiner keeps the zero-width joiners Arabic and Persian names use.
func isJoiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// Redact gives a URL fit for logs and messages: no user or password,
// and no query (which may carry a token).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.Fragment = ""
	return u.String()
}

// TempName is the temporary name a target writes a document under before
// renaming it into place: in the same folder, hidden, and derived from
// the delivery id so that a later attempt finds it and resumes. Not
// ".part": Nextcloud refuses names ending so (its own partial uploads).
func TempName(doc Doc) string {
	dir, _ := path.Split(doc.Name)
	return dir + ".demat-" + doc.ID + ".tmp"
}

// Suffixed gives the n-th alternative name for a document whose
// destination is taken: "a/b.pdf" → "a/b-2.pdf".
func Suffixed(name string, n int) string {
	if n <= 1 {
		return name
	}
	ext := path.Ext(name)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), n, ext)
}
