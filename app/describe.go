package app

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/pdf"
)

// field is one line of the description form: a metadata key (pdf.Metadata
// Set/Get) and how it is entered.
type field struct {
	key, label string
	kind       fieldKind
}

type fieldKind int

const (
	textField fieldKind = iota
	longField
	dateField
	directionField
	languageField
)

// fields are the form's lines, in the order a registry clerk fills them.
// Built per view so that the labels are in the current language.
func fields() []field {
	return []field{
		{"title", lang.X("field.title", "Title"), textField},
		{"direction", lang.X("field.direction", "Direction"), directionField},
		{"document_type", lang.X("field.document_type", "Document type"), textField},
		{"sender", lang.X("field.sender", "Sender"), textField},
		{"recipient", lang.X("field.recipient", "Recipient"), textField},
		{"reference", lang.X("field.reference", "Sender's reference"), textField},
		{"date", lang.X("field.date", "Date of the document"), dateField},
		{"received", lang.X("field.received", "Received on"), dateField},
		{"registration_number", lang.X("field.registration_number", "Registration number"), textField},
		{"subject", lang.X("field.subject", "Summary"), longField},
		{"keywords", lang.X("field.keywords", "Keywords (separated by commas)"), textField},
		{"confidentiality", lang.X("field.confidentiality", "Confidentiality"), textField},
		{"author", lang.X("field.author", "Author"), textField},
		{"language", lang.X("field.language", "Language of the document"), languageField},
	}
}

// directions are the values pdf accepts for "direction", with their
// words.
func directions() []struct{ value, label string } {
	return []struct{ value, label string }{
		{"incoming", lang.X("direction.incoming", "Incoming")},
		{"outgoing", lang.X("direction.outgoing", "Outgoing")},
		{"internal", lang.X("direction.internal", "Internal")},
	}
}

// describeView is the Describe screen: the document's metadata.
type describeView struct {
	w       *Window
	content fyne.CanvasObject

	form      *widget.Form
	entries   map[string]*widget.Entry
	direction *widget.Select
	language  *widget.Select
	status    *widget.Label
}

func newDescribeView(w *Window) *describeView {
	v := &describeView{w: w, entries: map[string]*widget.Entry{}}
	v.form = widget.NewForm()
	for _, f := range fields() {
		val := w.doc.meta[f.key]
		switch f.kind {
		case directionField:
			var labels []string
			for _, d := range directions() {
				labels = append(labels, d.label)
			}
			v.direction = widget.NewSelect(labels, nil)
			v.direction.PlaceHolder = lang.X("describe.choose", "(choose)")
			for _, d := range directions() {
				if d.value == val {
					v.direction.SetSelected(d.label)
				}
			}
			v.form.Append(f.label, v.direction)
		case languageField:
			var names []string
			for _, l := range Languages {
				names = append(names, l.Name)
			}
			v.language = widget.NewSelect(names, nil)
			v.language.PlaceHolder = lang.X("describe.language_auto", "(from the text recognition languages)")
			for _, l := range Languages {
				if l.Code == val {
					v.language.SetSelected(l.Name)
				}
			}
			v.form.Append(f.label, v.language)
		default:
			e := widget.NewEntry()
			if f.kind == longField {
				e = widget.NewMultiLineEntry()
				e.Wrapping = fyne.TextWrapWord
				e.SetMinRowsVisible(3)
			}
			if f.kind == dateField {
				e.PlaceHolder = lang.X("describe.date_format", "YYYY-MM-DD")
				key := f.key
				e.Validator = func(s string) error { return checkField(key, s) }
			}
			e.SetText(val)
			v.entries[f.key] = e
			v.form.Append(f.label, e)
		}
	}
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Importance = widget.DangerImportance
	intro := widget.NewLabel(lang.X("describe.intro", "Describe the document: these details go into the PDF and decide where it is filed."))
	intro.Wrapping = fyne.TextWrapWord
	v.content = container.NewBorder(intro, v.status, nil, nil, container.NewVScroll(v.form))
	return v
}

// checkField says, in words, why pdf refuses a date; nil for a valid
// or empty value.
func checkField(key, s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var m pdf.Metadata
	if err := m.Set(key, s); err != nil {
		return errors.New(lang.X("describe.bad_date", "Write the date as YYYY-MM-DD, for example 2025-03-14."))
	}
	return nil
}

// values gives the form's values by metadata key; empty ones are left
// out.
func (v *describeView) values() map[string]string {
	out := map[string]string{}
	for k, e := range v.entries {
		if s := strings.TrimSpace(e.Text); s != "" {
			out[k] = s
		}
	}
	for _, d := range directions() {
		if d.label == v.direction.Selected {
			out["direction"] = d.value
		}
	}
	for _, l := range Languages {
		if l.Name == v.language.Selected {
			out["language"] = l.Code
		}
	}
	return out
}

// save keeps the form's values in the document, valid or not, so that a
// rebuilt form shows them again.
func (v *describeView) save() { v.w.doc.meta = v.values() }

// Metadata checks the form and gives the document's metadata. On an
// invalid value it says which field, in words, and shows it.
func (v *describeView) Metadata() (pdf.Metadata, error) {
	v.save()
	var m pdf.Metadata
	for _, f := range fields() {
		val, ok := v.w.doc.meta[f.key]
		if !ok {
			continue
		}
		if err := m.Set(f.key, val); err != nil {
			msg := lang.X("describe.invalid", "{{.Field}}: this value is not valid.", map[string]any{"Field": f.label})
			if f.kind == dateField {
				msg = f.label + ": " + checkField(f.key, val).Error()
			}
			v.status.SetText(msg)
			return m, errors.New(msg)
		}
	}
	v.status.SetText("")
	return m, nil
}
