package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/demat-app/demat/pdf"
)

// DocType is one [[doctype]]: a kind of document the desk handles, and
// the description it must carry. The window's Describe screen shows its
// fields; demat process --type checks --meta against it.
//
//	[[doctype]]
//	name = "courrier"
//	label = { fr = "Courrier arrivée", ar = "بريد وارد", en = "Incoming letter" }
//	direction = "incoming"
//	[[doctype.field]]
//	key = "sender"
//	required = true
//	[[doctype.field]]
//	key = "confidentiality"
//	choices = ["Normal", "Confidentiel", "Secret"]
//	default = "Normal"
//	[[doctype.field]]
//	key = "reference"
//	pattern = '^[A-Z]{2,4}/\d+$'
//	hint = { fr = "Par exemple DRH/1234", en = "For example DRH/1234" }
type DocType struct {
	// Name is what --type takes; the label is what people read.
	Name  string `toml:"name"`
	Label Text   `toml:"label"`
	// Direction prefills the direction (incoming, outgoing, internal).
	Direction string `toml:"direction"`
	// Fields are the form's lines, in order. A type with none shows every
	// metadata field, none required.
	Fields []DocField `toml:"field"`
}

// DocField is one line of a document type's form.
type DocField struct {
	// Key is a metadata key (demat help metadata).
	Key string `toml:"key"`
	// Label replaces the field's usual name.
	Label Text `toml:"label"`
	// Required: the document is not saved or sent without it.
	Required bool `toml:"required"`
	// Choices are the values offered; with Open, others may be typed.
	Choices []string `toml:"choices"`
	Open    bool     `toml:"open"`
	// Pattern is a regular expression (RE2) a value must match in full.
	Pattern string `toml:"pattern"`
	// Hint says what a valid value looks like; shown under a refused one.
	Hint Text `toml:"hint"`
	// Default prefills the field; "today" is the date of the day.
	Default string `toml:"default"`

	re *regexp.Regexp
}

// Text is a string people read, in one language or several:
// "Courrier" or { fr = "Courrier", ar = "بريد", en = "Letter" }.
type Text map[string]string

// UnmarshalTOML takes a string (for every language) or a table by
// language code.
func (t *Text) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*t = Text{"": v}
	case map[string]any:
		out := Text{}
		for k, s := range v {
			str, ok := s.(string)
			if !ok {
				return fmt.Errorf("%s: want a string", k)
			}
			out[k] = str
		}
		*t = out
	default:
		return fmt.Errorf("want a string or a table of languages (fr = \"…\", ar = \"…\")")
	}
	return nil
}

// In gives the text in language lang (fr, ar, en), else in the one
// written for every language, else in English, French, Arabic, in that
// order; "" when there is none.
func (t Text) In(lang string) string {
	for _, l := range []string{lang, "", "en", "fr", "ar"} {
		if s, ok := t[l]; ok && s != "" {
			return s
		}
	}
	for _, s := range t {
		return s
	}
	return ""
}

// DocType finds a document type by name.
func (c *Config) DocType(name string) (DocType, bool) {
	for _, d := range c.DocTypes {
		if d.Name == name {
			return d, true
		}
	}
	return DocType{}, false
}

// DocTypeNames lists the document types' names, in the configuration's
// order.
func (c *Config) DocTypeNames() []string {
	var out []string
	for _, d := range c.DocTypes {
		out = append(out, d.Name)
	}
	return out
}

func checkDocTypes(ds []DocType) error {
	seen := map[string]bool{}
	for i := range ds {
		d := &ds[i]
		if d.Name == "" {
			return fmt.Errorf("doctype %d has no name", i+1)
		}
		if seen[d.Name] {
			return fmt.Errorf("two document types are named %q", d.Name)
		}
		seen[d.Name] = true
		if d.Direction != "" {
			var m pdf.Metadata
			if err := m.Set("direction", d.Direction); err != nil {
				return fmt.Errorf("doctype %q: %w", d.Name, err)
			}
		}
		keys := map[string]bool{}
		for j := range d.Fields {
			f := &d.Fields[j]
			var m pdf.Metadata
			if err := m.Set(f.Key, ""); err != nil || f.Key == "" {
				return fmt.Errorf("doctype %q field %d: key %q is not a metadata key (see demat help metadata)", d.Name, j+1, f.Key)
			}
			if keys[f.Key] {
				return fmt.Errorf("doctype %q: field %q is listed twice", d.Name, f.Key)
			}
			keys[f.Key] = true
			if f.Pattern != "" {
				re, err := regexp.Compile(`^(?:` + f.Pattern + `)$`)
				if err != nil {
					return fmt.Errorf("doctype %q field %s: pattern %q is not a valid regular expression: %w", d.Name, f.Key, f.Pattern, err)
				}
				f.re = re
			}
			if f.Default != "" && f.Default != "today" {
				if err := f.check(f.Default); err != nil {
					return fmt.Errorf("doctype %q field %s: default %q: %w", d.Name, f.Key, f.Default, err)
				}
			}
		}
	}
	return nil
}

// Errors a field's value can have; FieldError wraps one.
var (
	ErrRequired  = errors.New("required")
	ErrNotChoice = errors.New("not one of the choices")
	ErrPattern   = errors.New("does not have the expected form")
)

// FieldError says which field of a document type refuses its value.
type FieldError struct {
	Key string
	Err error
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Check says whether value fits the field: present when required, one of
// the choices unless open, matching the pattern. The value's own form
// (a date, a direction) is pdf.Metadata.Set's to check.
func (f DocField) Check(value string) error {
	if err := f.check(value); err != nil {
		return &FieldError{Key: f.Key, Err: err}
	}
	return nil
}

func (f DocField) check(value string) error {
	value = strings.TrimSpace(value)
	if value == "" {
		if f.Required {
			return ErrRequired
		}
		return nil
	}
	if len(f.Choices) > 0 && !f.Open && !slices.Contains(f.Choices, value) {
		return fmt.Errorf("%w (%s)", ErrNotChoice, strings.Join(f.Choices, ", "))
	}
	re := f.re
	if re == nil && f.Pattern != "" {
		var err error
		if re, err = regexp.Compile(`^(?:` + f.Pattern + `)$`); err != nil {
			return err
		}
	}
	if re != nil && !re.MatchString(value) {
		return ErrPattern
	}
	return nil
}

// Check checks a document's metadata against the type: every field's
// value, in the type's order. The error joins one FieldError per
// refused field.
func (d DocType) Check(meta map[string]string) error {
	var errs []error
	for _, f := range d.Fields {
		if err := f.Check(meta[f.Key]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
