package app

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/internal/register"
)

// registerView is the Register screen: the desk's entries, newest
// first, narrowed by a search and a register, with every field of the
// selected one.
type registerView struct {
	w       *Window
	content fyne.CanvasObject

	search  *widget.Entry
	kind    *widget.Select
	items   []register.Entry
	list    *widget.List
	empty   *widget.Label
	details *widget.Label
	// selected is the number of the selected entry, "" for none.
	selected string
	// loads counts reloads and shown the one last shown, so that a slow
	// answer cannot replace a newer one (the search reloads on every
	// key).
	loads, shown int
}

// kinds are the register choices: all of them, then each as the
// Describe screen names its direction.
func kinds() []struct {
	kind  register.Kind
	label string
} {
	out := []struct {
		kind  register.Kind
		label string
	}{{"", lang.X("register.all", "All registers")}}
	for _, d := range directions() {
		out = append(out, struct {
			kind  register.Kind
			label string
		}{register.Kind(d.value), d.label})
	}
	return out
}

func newRegisterView(w *Window) *registerView {
	v := &registerView{w: w}
	v.search = widget.NewEntry()
	v.search.PlaceHolder = lang.X("register.search", "Search: number, sender, recipient, subject, reference…")
	v.search.OnChanged = func(string) { v.reload() }
	var labels []string
	for _, k := range kinds() {
		labels = append(labels, k.label)
	}
	v.kind = widget.NewSelect(labels, func(string) { v.reload() })
	v.kind.Selected = labels[0] // set before OnChanged can load
	v.list = widget.NewList(
		func() int { return len(v.items) },
		func() fyne.CanvasObject { return newEntryRow() },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*entryRow).set(v.items[i]) },
	)
	v.list.OnSelected = func(i widget.ListItemID) {
		v.selected = v.items[i].Number
		v.details.SetText(entryText(v.items[i]))
	}
	v.list.OnUnselected = func(widget.ListItemID) {
		v.selected = ""
		v.details.SetText("")
	}
	v.empty = widget.NewLabel("")
	v.empty.Wrapping = fyne.TextWrapWord
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Hide()
	v.details = widget.NewLabel("")
	v.details.Wrapping = fyne.TextWrapWord
	v.details.Selectable = true
	split := container.NewHSplit(container.NewStack(v.list, container.NewCenter(v.empty)), container.NewVScroll(v.details))
	split.Offset = 0.55
	v.content = container.NewBorder(container.NewBorder(nil, nil, nil, v.kind, v.search), nil, nil, nil, split)
	return v
}

// filter is what the search and the register choice ask for.
func (v *registerView) filter() register.Filter {
	f := register.Filter{Text: strings.TrimSpace(v.search.Text)}
	for _, k := range kinds() {
		if k.label == v.kind.Selected {
			f.Kind = k.kind
		}
	}
	return f
}

// reload reads the entries off the UI goroutine and shows them.
func (v *registerView) reload() {
	v.loads++
	n, reg, w, f := v.loads, v.w.svc.Register, v.w, v.filter()
	go func() {
		es, err := reg.List(context.Background(), f)
		fyne.Do(func() {
			if w.register != v || n != v.loads {
				return
			}
			v.shown = n
			if err != nil {
				w.svc.Logger.Warn("register list", "err", err)
				v.details.SetText(lang.X("register.unreadable", "The register cannot be read: {{.Error}}", map[string]any{"Error": err.Error()}))
				return
			}
			slices.Reverse(es) // newest first: today's mail is what is looked for
			v.show(es, f)
		})
	}()
}

// loaded says whether the last reload has been shown.
func (v *registerView) loaded() bool { return v.shown == v.loads }

func (v *registerView) show(es []register.Entry, f register.Filter) {
	sel := v.selected
	v.items = es
	v.list.UnselectAll() // indexes change; the selection is found again below
	v.list.Refresh()
	switch {
	case len(es) > 0:
		v.empty.Hide()
	case f == (register.Filter{}):
		v.empty.SetText(lang.X("register.empty", "The register is empty. Documents registered with demat (process --register, register add) appear here."))
		v.empty.Show()
	default:
		v.empty.SetText(lang.X("register.nomatch", "No entry matches."))
		v.empty.Show()
	}
	for i, e := range es {
		if e.Number == sel {
			v.list.Select(i)
			return
		}
	}
	v.selected = ""
	v.details.SetText("")
}

// kindText names a register as the Describe screen names directions.
func kindText(k register.Kind) string {
	for _, d := range directions() {
		if d.value == string(k) {
			return d.label
		}
	}
	return string(k)
}

// entryStateText says where an entry stands, in words.
func entryStateText(e register.Entry) string {
	switch e.State {
	case register.Registered:
		return lang.X("register.registered", "Registered")
	case register.Pending:
		return lang.X("register.pending", "Being made")
	case register.Void:
		return lang.X("register.void", "Void")
	case register.AwaitingNumber:
		return lang.X("register.awaiting", "Awaiting its number from the server")
	}
	return string(e.State)
}

// receivedDate is the day an entry's item arrived (Received may also
// hold the time and zone).
func receivedDate(e register.Entry) string {
	if len(e.Received) > 10 {
		return e.Received[:10]
	}
	return e.Received
}

// entryText is every field of an entry, one per line, the empty ones
// left out.
func entryText(e register.Entry) string {
	var lines []string
	line := func(label, value string) {
		if value != "" {
			lines = append(lines, lang.X("register.line", "{{.Label}}: {{.Value}}", map[string]any{"Label": label, "Value": value}))
		}
	}
	state := entryStateText(e)
	if e.Note != "" {
		state += " (" + e.Note + ")"
	}
	line(lang.X("register.number", "Number"), e.Number)
	line(lang.X("register.provisional", "Provisional number"), e.Provisional)
	if e.ServerNumber != e.Number {
		line(lang.X("register.server_number", "Number given by the server"), e.ServerNumber)
	}
	line(lang.X("field.direction", "Direction"), kindText(e.Kind))
	line(lang.X("register.state", "State"), state)
	line(lang.X("register.when", "Registered on"), e.Registered.Local().Format("2006-01-02 15:04:05"))
	line(lang.X("field.received", "Received on"), e.Received)
	line(lang.X("field.sender", "Sender"), e.Sender)
	line(lang.X("field.recipient", "Recipient"), e.Recipient)
	line(lang.X("field.subject", "Summary"), e.Subject)
	line(lang.X("field.reference", "Sender's reference"), e.Reference)
	line(lang.X("field.document_type", "Document type"), e.DocumentType)
	line(lang.X("field.title", "Title"), e.Title)
	line(lang.X("field.confidentiality", "Confidentiality"), e.Confidentiality)
	if e.Pages > 0 {
		line(lang.X("register.pages", "Pages"), strconv.Itoa(e.Pages))
	}
	line(lang.X("register.file", "File"), e.File)
	line("SHA-256", e.SHA256)
	if e.Operator != "" {
		line(lang.X("register.operator", "By"), lang.X("register.operator_on", "{{.Who}} on {{.Where}}", map[string]any{"Who": e.Operator, "Where": e.Workstation}))
	}
	for _, d := range e.Deliveries {
		lines = append(lines, "", lang.X("register.delivered", "Delivered to {{.Target}}:", map[string]any{"Target": d.Target}),
			lang.X("receipt.location", "Where: {{.Location}}", map[string]any{"Location": d.Location}),
			lang.X("receipt.time", "Confirmed: {{.Time}}", map[string]any{"Time": d.Time.Local().Format("2006-01-02 15:04:05")}),
			lang.X("receipt.size", "Size: {{.Size}} bytes, checked by {{.Check}}", map[string]any{"Size": d.Size, "Check": d.Verified}),
			lang.X("receipt.sha256", "SHA-256: {{.Sum}}", map[string]any{"Sum": d.SHA256}))
		if d.Number != "" {
			lines = append(lines, lang.X("receipt.number", "Numbered by the server: {{.Number}}", map[string]any{"Number": d.Number}))
		}
		if d.NumberNote != "" {
			lines = append(lines, lang.X("receipt.number_note", "No number from the server: {{.Why}}", map[string]any{"Why": d.NumberNote}))
		}
	}
	return strings.Join(lines, "\n")
}

// entryRow is one entry in the list: number, register and state, then
// the item.
type entryRow struct {
	widget.BaseWidget
	title  *widget.Label
	detail *widget.Label
}

func newEntryRow() *entryRow {
	r := &entryRow{title: widget.NewLabel(""), detail: widget.NewLabel("")}
	r.title.TextStyle.Bold = true
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

func (r *entryRow) set(e register.Entry) {
	r.title.SetText(strings.Join([]string{e.Number, kindText(e.Kind), entryStateText(e)}, " · "))
	var parts []string
	for _, s := range []string{receivedDate(e), e.Sender, e.Subject} {
		if s = strings.Join(strings.Fields(s), " "); s != "" {
			parts = append(parts, s)
		}
	}
	if e.Pages > 0 {
		parts = append(parts, lang.X("register.page_count", "{{.N}} page(s)", map[string]any{"N": e.Pages}))
	}
	r.detail.SetText(strings.Join(parts, " · "))
}

// CreateRenderer stacks the two lines.
func (r *entryRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewVBox(r.title, r.detail))
}
