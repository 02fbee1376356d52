package app

import (
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/internal/config"
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

// archiveFields are the fields archive projects describe their boxes
// with: offered when a document type names them.
func archiveFields() []field {
	return []field{
		{"box", lang.X("field.box", "Box"), textField},
		{"folder", lang.X("field.folder", "Folder"), textField},
		{"dates", lang.X("field.dates", "Dates covered (e.g. 1950/1962)"), textField},
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

// describeView is the Describe screen: the document's metadata. With
// document types in the configuration, a type is chosen first and its
// fields come first, the others under "More details".
type describeView struct {
	w       *Window
	content fyne.CanvasObject

	// types are the configuration's document types; docType chooses
	// among them (nil when there are none).
	types   []config.DocType
	docType *widget.Select
	// scroll shows the form of the type chosen (and its "More
	// details").
	scroll *container.Scroll
	form   *widget.Form

	entries   map[string]*widget.Entry
	choices   map[string]*widget.Select
	direction *widget.Select
	language  *widget.Select
	status    *widget.Label
}

// prefDocType is the preference holding the document type last chosen:
// a desk handles one kind of paper most of the day.
const prefDocType = "describe.doctype"

func newDescribeView(w *Window) *describeView {
	v := &describeView{w: w}
	if w.svc.DocTypes != nil {
		v.types = w.svc.DocTypes()
	}
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Importance = widget.DangerImportance
	intro := widget.NewLabel(lang.X("describe.intro", "Describe the document: these details go into the PDF and decide where it is filed."))
	intro.Wrapping = fyne.TextWrapWord
	var top fyne.CanvasObject = intro
	if len(v.types) > 0 {
		var labels []string
		for _, d := range v.types {
			labels = append(labels, typeLabel(d))
		}
		v.docType = widget.NewSelect(labels, nil)
		typeForm := widget.NewForm(widget.NewFormItem(lang.X("field.document_type", "Document type"), v.docType))
		top = container.NewVBox(intro, typeForm, widget.NewSeparator())
		name := w.doc.meta["document_type"]
		if _, ok := v.typeNamed(name); !ok {
			name = w.app.Preferences().String(prefDocType)
			if _, ok := v.typeNamed(name); !ok {
				name = v.types[0].Name
			}
			v.applyType(name)
		}
		d, _ := v.typeNamed(name)
		v.docType.SetSelected(typeLabel(d))
		v.docType.OnChanged = func(label string) {
			for _, d := range v.types {
				if typeLabel(d) == label {
					v.save()
					v.applyType(d.Name)
					w.app.Preferences().SetString(prefDocType, d.Name)
					v.fill()
				}
			}
		}
	}
	v.scroll = container.NewVScroll(nil)
	v.fill()
	v.content = container.NewBorder(top, v.status, nil, nil, v.scroll)
	return v
}

// typeLabel is how a document type is named in the current language.
func typeLabel(d config.DocType) string {
	if s := d.Label.In(CurrentLanguage()); s != "" {
		return s
	}
	return d.Name
}

func (v *describeView) typeNamed(name string) (config.DocType, bool) {
	for _, d := range v.types {
		if d.Name == name {
			return d, true
		}
	}
	return config.DocType{}, false
}

// current is the document type chosen, if any.
func (v *describeView) current() (config.DocType, bool) {
	if v.docType == nil {
		return config.DocType{}, false
	}
	return v.typeNamed(v.w.doc.meta["document_type"])
}

// applyType makes name the document's type and fills its empty fields
// with the type's defaults.
func (v *describeView) applyType(name string) {
	meta := v.w.doc.meta
	meta["document_type"] = name
	d, _ := v.typeNamed(name)
	if meta["direction"] == "" && d.Direction != "" {
		meta["direction"] = d.Direction
	}
	for _, f := range d.Fields {
		if meta[f.Key] != "" || f.Default == "" {
			continue
		}
		if f.Default == "today" {
			meta[f.Key] = v.w.svc.Now().Format("2006-01-02")
		} else {
			meta[f.Key] = f.Default
		}
	}
}

// fill builds the form of the type chosen, with the document's values.
func (v *describeView) fill() {
	v.entries, v.choices = map[string]*widget.Entry{}, map[string]*widget.Select{}
	v.direction, v.language = nil, nil
	v.form = widget.NewForm()
	var shown fyne.CanvasObject = v.form
	d, typed := v.current()
	all := fields()
	if !typed || len(d.Fields) == 0 {
		for _, f := range all {
			if typed && f.key == "document_type" {
				continue // the type chooser above stands for it
			}
			v.appendField(v.form, f, nil)
		}
	} else {
		more := widget.NewForm()
		byKey := map[string]field{}
		for _, f := range append(all, archiveFields()...) {
			byKey[f.key] = f
		}
		for i := range d.Fields {
			df := &d.Fields[i]
			v.appendField(v.form, byKey[df.Key], df)
		}
		for _, f := range all {
			if f.key == "document_type" || slices.ContainsFunc(d.Fields, func(df config.DocField) bool { return df.Key == f.key }) {
				continue
			}
			v.appendField(more, f, nil)
		}
		acc := widget.NewAccordion(widget.NewAccordionItem(lang.X("describe.more", "More details"), more))
		shown = container.NewVBox(v.form, acc)
	}
	v.scroll.Content = shown
	v.scroll.Refresh()
}

// appendField adds one line for f to form; df is the document type's
// rules for it, if any.
func (v *describeView) appendField(form *widget.Form, f field, df *config.DocField) {
	val := v.w.doc.meta[f.key]
	label := f.label
	var hint string
	if df != nil {
		if s := df.Label.In(CurrentLanguage()); s != "" {
			label = s
		}
		hint = df.Hint.In(CurrentLanguage())
		if df.Required {
			label += " *"
			if hint == "" {
				hint = lang.X("describe.required_hint", "Required")
			}
		}
	}
	var w fyne.CanvasObject
	switch {
	case f.kind == directionField:
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
		w = v.direction
	case f.kind == languageField:
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
		w = v.language
	case df != nil && len(df.Choices) > 0 && !df.Open:
		s := widget.NewSelect(df.Choices, nil)
		s.PlaceHolder = lang.X("describe.choose", "(choose)")
		if slices.Contains(df.Choices, val) {
			s.SetSelected(val)
		}
		v.choices[f.key] = s
		w = s
	default:
		var e *widget.Entry
		switch {
		case df != nil && len(df.Choices) > 0:
			se := widget.NewSelectEntry(df.Choices)
			e, w = &se.Entry, se
		case f.kind == longField:
			e = widget.NewMultiLineEntry()
			e.Wrapping = fyne.TextWrapWord
			e.SetMinRowsVisible(3)
			w = e
		default:
			e = widget.NewEntry()
			w = e
		}
		if f.kind == dateField {
			e.PlaceHolder = lang.X("describe.date_format", "YYYY-MM-DD")
			key := f.key
			e.Validator = func(s string) error { return checkField(key, s) }
		} else if df != nil && df.Pattern != "" {
			rule := *df
			e.Validator = func(s string) error {
				if strings.TrimSpace(s) == "" {
					return nil // "required" is said on sending, not while typing
				}
				return fieldError(label, rule.Check(s))
			}
		}
		e.SetText(val)
		v.entries[f.key] = e
	}
	form.AppendItem(&widget.FormItem{Text: label, Widget: w, HintText: hint})
}

// fieldError says in words why a document type's rule refuses a value;
// nil for nil.
func fieldError(label string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, config.ErrRequired):
		return errors.New(lang.X("describe.required", "{{.Field}}: this field is required.", map[string]any{"Field": label}))
	case errors.Is(err, config.ErrNotChoice):
		return errors.New(lang.X("describe.not_choice", "{{.Field}}: choose one of the values offered.", map[string]any{"Field": label}))
	}
	return errors.New(lang.X("describe.pattern", "{{.Field}}: this value does not have the expected form.", map[string]any{"Field": label}))
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
	for k, s := range v.choices {
		if s.Selected != "" {
			out[k] = s.Selected
		}
	}
	if v.direction != nil {
		for _, d := range directions() {
			if d.label == v.direction.Selected {
				out["direction"] = d.value
			}
		}
	}
	if v.language != nil {
		for _, l := range Languages {
			if l.Name == v.language.Selected {
				out["language"] = l.Code
			}
		}
	}
	if d, ok := v.current(); ok {
		out["document_type"] = d.Name
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
	refuse := func(msg string) (pdf.Metadata, error) {
		v.status.SetText(msg)
		return m, errors.New(msg)
	}
	labels := map[string]string{}
	for _, f := range append(fields(), archiveFields()...) {
		labels[f.key] = f.label
		val, ok := v.w.doc.meta[f.key]
		if !ok {
			continue
		}
		if err := m.Set(f.key, val); err != nil {
			if f.kind == dateField {
				return refuse(f.label + ": " + checkField(f.key, val).Error())
			}
			return refuse(lang.X("describe.invalid", "{{.Field}}: this value is not valid.", map[string]any{"Field": f.label}))
		}
	}
	if d, ok := v.current(); ok {
		for _, df := range d.Fields {
			err := df.Check(v.w.doc.meta[df.Key])
			if err == nil {
				continue
			}
			label := labels[df.Key]
			if s := df.Label.In(CurrentLanguage()); s != "" {
				label = s
			}
			msg := fieldError(label, err).Error()
			if h := df.Hint.In(CurrentLanguage()); h != "" && errors.Is(err, config.ErrPattern) {
				msg += " " + h
			}
			return refuse(msg)
		}
	}
	v.status.SetText("")
	return m, nil
}
