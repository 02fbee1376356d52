package register

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/demat-app/demat/internal/config"
)

// Kind is a register: incoming, outgoing or internal.
type Kind string

// The registers.
const (
	Incoming Kind = "incoming"
	Outgoing Kind = "outgoing"
	Internal Kind = "internal"
)

// Kinds are the registers, in the order people list them.
var Kinds = []Kind{Incoming, Outgoing, Internal}

// ParseKind reads a register's name.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case Incoming, Outgoing, Internal:
		return k, nil
	}
	return "", fmt.Errorf("register %q: want incoming, outgoing or internal", s)
}

// DefaultFormat is the number's template when the configuration has
// none: the year first so that numbers sort by year, the register's code
// so that the three registers never share a number, six digits because
// even a busy ministry desk stays under a million items a year.
const DefaultFormat = "{year}/{code}/{seq:6}"

// Format writes registration numbers.
type Format struct {
	parts []part
	codes map[Kind]string
}

type part struct {
	lit   string
	field string // year, yy, code, register, seq
	width int
}

// NewFormat reads the [register] configuration.
func NewFormat(c config.Register) (Format, error) {
	f := Format{codes: map[Kind]string{
		// French desks say arrivée, départ, interne.
		Incoming: "A", Outgoing: "D", Internal: "I",
	}}
	for k, v := range map[Kind]string{Incoming: c.Codes.Incoming, Outgoing: c.Codes.Outgoing, Internal: c.Codes.Internal} {
		if v = strings.TrimSpace(v); v != "" {
			f.codes[k] = v
		}
	}
	if f.codes[Incoming] == f.codes[Outgoing] || f.codes[Incoming] == f.codes[Internal] || f.codes[Outgoing] == f.codes[Internal] {
		return Format{}, fmt.Errorf("register: [register.codes]: the three registers need different codes")
	}
	tmpl := c.Format
	if tmpl == "" {
		tmpl = DefaultFormat
	}
	seen := map[string]bool{}
	for rest := tmpl; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			f.parts = append(f.parts, part{lit: rest})
			break
		}
		if i > 0 {
			f.parts = append(f.parts, part{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return Format{}, fmt.Errorf("register: format %q: a { is not closed", tmpl)
		}
		name, width, _ := strings.Cut(rest[i+1:i+j], ":")
		p := part{field: name}
		switch name {
		case "year", "yy", "code", "register":
			if width != "" {
				return Format{}, fmt.Errorf("register: format %q: only {seq} takes a width", tmpl)
			}
		case "seq":
			if width != "" {
				n, err := strconv.Atoi(width)
				if err != nil || n < 1 || n > 12 {
					return Format{}, fmt.Errorf("register: format %q: {seq:%s}: want a width from 1 to 12", tmpl, width)
				}
				p.width = n
			}
		default:
			return Format{}, fmt.Errorf("register: format %q: unknown {%s} (know {year}, {yy}, {code}, {register}, {seq:N})", tmpl, name)
		}
		seen[name] = true
		f.parts = append(f.parts, p)
		rest = rest[i+j+1:]
	}
	// Without these the numbers of two years or two registers could be
	// the same text.
	switch {
	case !seen["seq"]:
		return Format{}, fmt.Errorf("register: format %q: needs {seq}", tmpl)
	case !seen["year"] && !seen["yy"]:
		return Format{}, fmt.Errorf("register: format %q: needs {year} or {yy}: numbers restart every year", tmpl)
	case !seen["code"] && !seen["register"]:
		return Format{}, fmt.Errorf("register: format %q: needs {code} or {register}: each register has its own sequence", tmpl)
	}
	return f, nil
}

// Number writes the number of sequence seq of register k in year.
func (f Format) Number(k Kind, year int, seq int64) string {
	var b strings.Builder
	for _, p := range f.parts {
		switch p.field {
		case "":
			b.WriteString(p.lit)
		case "year":
			fmt.Fprintf(&b, "%04d", year)
		case "yy":
			fmt.Fprintf(&b, "%02d", year%100)
		case "code":
			b.WriteString(f.codes[k])
		case "register":
			b.WriteString(string(k))
		case "seq":
			fmt.Fprintf(&b, "%0*d", p.width, seq)
		}
	}
	return b.String()
}
