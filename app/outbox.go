package app

import (
	"context"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/upload/outbox"
)

// outboxView is the Outbox screen: every delivery, newest first, with
// where it stands in words, Retry, and the receipt of the selected one.
type outboxView struct {
	w       *Window
	content fyne.CanvasObject

	items    []outbox.Delivery
	list     *widget.List
	selected int64 // id of the selected delivery, 0 for none
	empty    *widget.Label
	details  *widget.Label
	// loads counts reloads, so that a slow answer cannot replace a
	// newer one.
	loads int
}

func newOutboxView(w *Window) *outboxView {
	v := &outboxView{w: w}
	v.list = widget.NewList(
		func() int { return len(v.items) },
		func() fyne.CanvasObject { return newDeliveryRow(v) },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*deliveryRow).set(v.items[i]) },
	)
	v.list.OnSelected = func(i widget.ListItemID) {
		v.selected = v.items[i].ID
		v.details.SetText(receiptText(v.items[i]))
	}
	v.list.OnUnselected = func(widget.ListItemID) {
		v.selected = 0
		v.details.SetText("")
	}
	v.empty = widget.NewLabel(lang.X("outbox.empty", "Nothing sent yet. Documents sent from Save and send appear here until they have arrived, with their receipt."))
	v.empty.Wrapping = fyne.TextWrapWord
	v.empty.Alignment = fyne.TextAlignCenter
	v.details = widget.NewLabel("")
	v.details.Wrapping = fyne.TextWrapWord
	v.details.Selectable = true
	v.content = container.NewBorder(nil, v.details, nil, nil, container.NewStack(v.list, container.NewCenter(v.empty)))
	return v
}

// reload reads the deliveries off the UI goroutine and shows them.
func (v *outboxView) reload() {
	v.loads++
	n, ob, w := v.loads, v.w.svc.Outbox, v.w
	go func() {
		ds, err := ob.List(context.Background())
		fyne.Do(func() {
			if w.outbox != v || n != v.loads {
				return
			}
			if err != nil {
				w.svc.Logger.Warn("outbox list", "err", err)
				v.details.SetText(lang.X("outbox.unreadable", "The outbox cannot be read: {{.Error}}", map[string]any{"Error": err.Error()}))
				return
			}
			v.show(ds)
		})
	}()
}

func (v *outboxView) show(ds []outbox.Delivery) {
	v.items = ds
	v.list.Refresh()
	if len(ds) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	for i, d := range ds {
		if d.ID == v.selected {
			v.list.Select(i) // shows its receipt, or where it stands
			v.details.SetText(receiptText(d))
		}
	}
}

// Retry makes delivery id due now; the running outbox takes it up.
func (v *outboxView) Retry(id int64) {
	ob, w := v.w.svc.Outbox, v.w
	go func() {
		err := ob.Retry(context.Background(), id)
		fyne.Do(func() {
			if w.outbox != v {
				return
			}
			if err != nil {
				v.details.SetText(err.Error())
			}
			v.reload()
		})
	}()
}

// stateText says where a delivery stands, in words.
func stateText(d outbox.Delivery) string {
	switch d.State {
	case outbox.Pending:
		if d.Error != "" {
			return lang.X("state.waiting", "Will try again")
		}
		return lang.X("state.pending", "Waiting to be sent")
	case outbox.Sending:
		return lang.X("state.sending", "Sending…")
	case outbox.Delivered:
		return lang.X("state.delivered", "Delivered")
	case outbox.NeedsCredentials:
		return lang.X("state.credentials", "Password needed")
	case outbox.Failed:
		return lang.X("state.failed", "Failed")
	}
	return string(d.State)
}

// detailText is a delivery's second line: what happened, in words, and
// the server's own message when it failed.
func detailText(d outbox.Delivery) string {
	switch d.State {
	case outbox.Delivered:
		return lang.X("detail.delivered", "Arrived in {{.Target}} as {{.Dest}}.", map[string]any{"Target": d.Target, "Dest": d.Dest})
	case outbox.Sending:
		pct := 0
		if d.Size > 0 {
			pct = int(d.Sent * 100 / d.Size)
		}
		return lang.X("detail.sending", "To {{.Target}}: {{.Percent}}% sent.", map[string]any{"Target": d.Target, "Percent": pct})
	case outbox.Pending:
		if d.Error == "" {
			return lang.X("detail.pending", "To {{.Target}}, as soon as possible.", map[string]any{"Target": d.Target})
		}
		return lang.X("detail.waiting", "{{.Target}} could not be reached; the next try is at {{.Time}}. ({{.Error}})",
			map[string]any{"Target": d.Target, "Time": d.NextAt.Format("15:04"), "Error": d.Error})
	case outbox.NeedsCredentials:
		return lang.X("detail.credentials", "{{.Target}} refused the password, or none is stored. Store it (in a terminal: demat credentials set), then Retry. ({{.Error}})",
			map[string]any{"Target": d.Target, "Error": d.Error})
	}
	return lang.X("detail.failed", "{{.Target}} refused the document: {{.Error}}", map[string]any{"Target": d.Target, "Error": d.Error})
}

// receiptText is the selected delivery's receipt, or its error.
func receiptText(d outbox.Delivery) string {
	r := d.Receipt
	if d.State != outbox.Delivered || r == nil {
		return detailText(d)
	}
	lines := []string{
		lang.X("receipt.location", "Where: {{.Location}}", map[string]any{"Location": r.Location}),
		lang.X("receipt.time", "Confirmed: {{.Time}}", map[string]any{"Time": r.Time.Local().Format("2006-01-02 15:04:05")}),
		lang.X("receipt.size", "Size: {{.Size}} bytes, checked by {{.Check}}", map[string]any{"Size": r.Size, "Check": r.Verified}),
		lang.X("receipt.sha256", "SHA-256: {{.Sum}}", map[string]any{"Sum": r.SHA256}),
	}
	if r.Number != "" {
		lines = append(lines, lang.X("receipt.number", "Numbered by the server: {{.Number}}", map[string]any{"Number": r.Number}))
	}
	if r.NumberNote != "" {
		lines = append(lines, lang.X("receipt.number_note", "No number from the server: {{.Why}}", map[string]any{"Why": r.NumberNote}))
	}
	if r.Already {
		lines = append(lines, lang.X("receipt.already", "It was already there: an earlier try had delivered it."))
	}
	return strings.Join(lines, "\n")
}

// deliveryRow is one delivery in the list.
type deliveryRow struct {
	widget.BaseWidget
	v      *outboxView
	id     int64
	title  *widget.Label
	detail *widget.Label
	retry  *widget.Button
}

func newDeliveryRow(v *outboxView) *deliveryRow {
	r := &deliveryRow{v: v, title: widget.NewLabel(""), detail: widget.NewLabel("")}
	r.title.TextStyle.Bold = true
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.retry = widget.NewButtonWithIcon(lang.X("outbox.retry", "Retry"), theme.ViewRefreshIcon(), func() { v.Retry(r.id) })
	r.ExtendBaseWidget(r)
	return r
}

func (r *deliveryRow) set(d outbox.Delivery) {
	r.id = d.ID
	r.title.SetText(stateText(d) + " · " + filepath.Base(d.Dest))
	r.detail.SetText(detailText(d))
	switch d.State {
	case outbox.Failed, outbox.NeedsCredentials:
		r.retry.Show()
	case outbox.Pending:
		if d.Error != "" {
			r.retry.Show()
		} else {
			r.retry.Hide()
		}
	default:
		r.retry.Hide()
	}
}

// CreateRenderer puts the retry button beside the two lines.
func (r *deliveryRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, container.NewCenter(r.retry),
		container.NewVBox(r.title, r.detail)))
}
