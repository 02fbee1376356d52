package app

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/internal/receipt"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/upload/outbox"
)

// RegistryStep is a step of a registration at the desk, in the order
// they are done.
type RegistryStep string

// The steps of a registration, as the Registry desk screen ticks them.
const (
	// StepNumber: the number is taken (the entry is pending).
	StepNumber RegistryStep = "number"
	// StepRecognise: the pages are read, recognised and written.
	StepRecognise RegistryStep = "recognise"
	// StepStamp: the arrival stamp is on the first page.
	StepStamp RegistryStep = "stamp"
	// StepSign: the PDF is signed.
	StepSign RegistryStep = "sign"
	// StepRegister: the entry is complete, with the PDF's hash; the
	// receipt, when asked for, is written.
	StepRegister RegistryStep = "register"
	// StepQueue: the PDF is in the outbox for its target.
	StepQueue RegistryStep = "queue"
)

// RegistryRequest is one item registered at the desk, made from the
// pages captured: numbered, built with the stamp, signed, registered,
// its receipt written and queued, as demat process --register --stamp
// --receipt --sign --send does it.
type RegistryRequest struct {
	// Kind is the register: incoming, outgoing or internal.
	Kind register.Kind
	// Pages are the pages, in order.
	Pages []scan.Page
	// Options are the pipeline's: OCR languages and the description
	// (PDF.Meta, without a registration number), Progress.
	Options pipeline.Options
	// Stamp draws the arrival stamp on page 1, in StampLang (fr, ar or
	// en).
	Stamp     bool
	StampLang string
	// Signer signs the PDF; nil leaves it unsigned.
	Signer Signer
	// Desk signs the receipt's QR code; nil writes no receipt.
	Desk Signer
	// Receipt is the receipt's layout and language.
	Receipt receipt.Options
	// Target is where the PDF is queued; empty queues it nowhere.
	Target string
	// Step is called as each step is done, from the job's goroutine; it
	// must not block.
	Step func(RegistryStep)
}

// RegistryResult is what a registration made.
type RegistryResult struct {
	// Entry is the register's entry; Number is empty when none was
	// taken, and State says whether it is registered or was voided.
	Entry register.Entry
	// PDF is the registered PDF, kept in the data folder.
	PDF string
	// Receipt is the depositor's receipt, empty when none was written.
	Receipt string
	// Delivery is the outbox's, ID 0 when not queued.
	Delivery outbox.Delivery
	// Warnings are the pipeline's (a stamp that covers some text).
	Warnings []string
}

// prefReceiptLayout and prefReceiptLang remember the receipt's paper and
// language; prefReceipt whether one is written ("off" when not).
const (
	prefReceiptLayout = "registry_receipt_layout"
	prefReceiptLang   = "registry_receipt_lang"
	prefReceipt       = "registry_receipt"
)

// registryView is the Registry desk screen: an item handed in, its pages
// captured in Pages, is described, then registered, stamped, signed and
// sent in one go, and the depositor's receipt printed.
type registryView struct {
	w       *Window
	content fyne.CanvasObject

	summary    *widget.Label
	form       *widget.Form
	direction  *widget.Select
	entries    map[string]*widget.Entry
	stamp      *widget.Check
	paperLang  *widget.Select
	signWith   *widget.Select
	certs      []Certificate
	target     *widget.Select
	receipt    *widget.Check
	layout     *widget.Select
	receiptWhy *widget.Label
	run        *widget.Button

	progress  *fyne.Container
	steps     map[RegistryStep]*widget.Icon
	stepRows  map[RegistryStep]fyne.CanvasObject
	ocrBar    *widget.ProgressBar
	cancel    *widget.Button
	status    *widget.Label
	done      *fyne.Container
	number    *canvas.Text
	doneText  *widget.Label
	print     *widget.Button
	printHow  *widget.Label
	saveAs    *widget.Button
	clear     *widget.Button
	receiptAt string
	// running: this screen's registration runs.
	running bool
	// options is the form of the stamp, signature, target and receipt,
	// refreshed so its labels follow their widgets' state.
	options *widget.Form
}

// registryFields are the form's text lines: metadata keys and labels.
func registryFields() []field {
	return []field{
		{"sender", lang.X("registry.sender", "Depositor or sender"), textField},
		{"recipient", lang.X("registry.recipient", "Recipient service"), textField},
		{"subject", lang.X("field.subject", "Summary"), longField},
		{"reference", lang.X("field.reference", "Sender's reference"), textField},
		{"confidentiality", lang.X("field.confidentiality", "Confidentiality"), textField},
	}
}

// paperLangs are the languages a stamp and a receipt are printed in.
var paperLangs = []struct{ Code, Name string }{{"fr", "Français"}, {"ar", "العربية"}, {"en", "English"}}

// layouts are the receipt's papers, with their words.
func layouts() []struct {
	layout receipt.Layout
	label  string
} {
	return []struct {
		layout receipt.Layout
		label  string
	}{
		{receipt.A4, lang.X("registry.a4", "A4 sheet")},
		{receipt.A5, lang.X("registry.a5", "A5 sheet")},
		{receipt.Strip, lang.X("registry.80mm", "80 mm receipt printer")},
	}
}

// addRegistry inserts the Registry desk tab after Save and send, when
// the services can register; it prefills the form from the description
// whenever the tab is shown.
func (w *Window) addRegistry() {
	w.registry = nil
	if w.svc.Registry == nil {
		return
	}
	v := newRegistryView(w)
	w.registry = v
	if again := w.doc.registryShown; again != nil {
		again(v)
	}
	item := container.NewTabItemWithIcon(lang.X("tab.registry", "Registry desk"), theme.MailReplyAllIcon(), v.content)
	w.tabs.Items = slices.Insert(w.tabs.Items, min(3, len(w.tabs.Items)), item)
	w.tabs.Refresh()
	shown := w.tabs.OnSelected
	w.tabs.OnSelected = func(it *container.TabItem) {
		if shown != nil {
			shown(it)
		}
		if it.Content == v.content {
			v.prefill()
			v.refresh()
		}
	}
}

func newRegistryView(w *Window) *registryView {
	v := &registryView{w: w, entries: map[string]*widget.Entry{}}
	prefs := w.app.Preferences()
	v.summary = widget.NewLabel("")
	v.summary.TextStyle.Bold = true

	v.form = widget.NewForm()
	var dirs []string
	for _, d := range directions() {
		dirs = append(dirs, d.label)
	}
	v.direction = widget.NewSelect(dirs, func(string) {
		// Desks stamp the mail they receive: on for incoming, as demat
		// process --register does.
		if v.stamp != nil {
			v.stamp.SetChecked(v.kind() == register.Incoming)
		}
	})
	v.form.Append(lang.X("field.direction", "Direction"), v.direction)
	for _, f := range registryFields() {
		e := widget.NewEntry()
		if f.kind == longField {
			e = widget.NewMultiLineEntry()
			e.Wrapping = fyne.TextWrapWord
			e.SetMinRowsVisible(2)
		}
		v.entries[f.key] = e
		v.form.Append(f.label, e)
	}

	v.stamp = widget.NewCheck(lang.X("registry.stamp", "Arrival stamp on page 1"), nil)
	var names []string
	for _, l := range paperLangs {
		names = append(names, l.Name)
	}
	v.paperLang = widget.NewSelect(names, func(s string) {
		for _, l := range paperLangs {
			if l.Name == s {
				prefs.SetString(prefReceiptLang, l.Code)
			}
		}
	})
	savedLang := prefs.String(prefReceiptLang) // read before a choice is made
	v.paperLang.SetSelected(paperLangs[0].Name)
	for _, l := range paperLangs {
		if l.Code == savedLang {
			v.paperLang.SetSelected(l.Name)
		}
	}

	if w.svc.Certificates != nil && w.svc.OpenCertificate != nil {
		v.certs = w.svc.Certificates()
	}
	v.signWith = newCertSelect(v.certs, prefs, prefCertificate, v.refresh)

	v.target = widget.NewSelect(nil, nil)
	v.target.PlaceHolder = lang.X("finish.choose_target", "(choose where to send it)")
	if w.svc.Targets != nil {
		v.target.Options = w.svc.Targets()
		if len(v.target.Options) > 0 {
			v.target.SetSelected(v.target.Options[0])
		}
	}

	v.receipt = widget.NewCheck(lang.X("registry.receipt", "Depositor's receipt"), func(on bool) {
		if on {
			prefs.SetString(prefReceipt, "")
		} else {
			prefs.SetString(prefReceipt, "off")
		}
		v.refresh()
	})
	v.receipt.SetChecked(prefs.String(prefReceipt) != "off")
	var papers []string
	for _, l := range layouts() {
		papers = append(papers, l.label)
	}
	v.layout = widget.NewSelect(papers, func(s string) {
		for _, l := range layouts() {
			if l.label == s {
				prefs.SetString(prefReceiptLayout, string(l.layout))
			}
		}
	})
	savedLayout := prefs.String(prefReceiptLayout)
	v.layout.SetSelected(papers[0])
	for _, l := range layouts() {
		if string(l.layout) == savedLayout {
			v.layout.SetSelected(l.label)
		}
	}
	v.receiptWhy = widget.NewLabel(lang.X("registry.receipt_no_cert", "A receipt's QR code is signed by the desk's certificate: choose one in Sign with, or add one in Settings."))
	v.receiptWhy.Wrapping = fyne.TextWrapWord
	v.receiptWhy.Importance = widget.WarningImportance

	v.run = widget.NewButtonWithIcon(lang.X("registry.run", "Register, stamp, sign and send"), theme.ConfirmIcon(), v.Run)
	v.run.Importance = widget.HighImportance

	// The steps, ticked as they are done.
	v.steps, v.stepRows = map[RegistryStep]*widget.Icon{}, map[RegistryStep]fyne.CanvasObject{}
	rows := container.NewVBox()
	v.ocrBar = widget.NewProgressBar()
	for _, s := range []struct {
		step  RegistryStep
		label string
	}{
		{StepNumber, lang.X("registry.step_number", "Numbering")},
		{StepRecognise, lang.X("registry.step_recognise", "Recognising the text")},
		{StepStamp, lang.X("registry.step_stamp", "Stamping page 1")},
		{StepSign, lang.X("registry.step_sign", "Signing")},
		{StepRegister, lang.X("registry.step_register", "Recording in the register")},
		{StepQueue, lang.X("registry.step_queue", "Queued for sending")},
	} {
		icon := widget.NewIcon(theme.RadioButtonIcon())
		v.steps[s.step] = icon
		row := container.NewBorder(nil, nil, icon, nil, widget.NewLabel(s.label))
		if s.step == StepRecognise {
			row = container.NewBorder(nil, nil, icon, nil, container.NewVBox(widget.NewLabel(s.label), v.ocrBar))
		}
		v.stepRows[s.step] = row
		rows.Add(row)
	}
	v.cancel = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), w.Cancel)
	v.progress = container.NewVBox(rows, container.NewHBox(v.cancel))
	v.progress.Hide()
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	// The outcome: the number, big, and the receipt.
	v.number = canvas.NewText("", theme.Color(theme.ColorNamePrimary))
	v.number.TextSize = 36
	v.number.TextStyle.Bold = true
	v.number.Alignment = fyne.TextAlignCenter
	v.doneText = widget.NewLabel("")
	v.doneText.Wrapping = fyne.TextWrapWord
	v.doneText.Alignment = fyne.TextAlignCenter
	v.print = widget.NewButtonWithIcon(lang.X("registry.print", "Print the receipt"), theme.DocumentPrintIcon(), v.Print)
	v.print.Importance = widget.HighImportance
	v.printHow = widget.NewLabel(lang.X("registry.print_viewer", "Opens the receipt in this computer's PDF viewer, to print it from there."))
	if w.svc.PrintReceipt != nil {
		v.printHow.SetText(lang.X("registry.print_lp", "Sends the receipt to the default printer (lp)."))
	}
	v.printHow.Wrapping = fyne.TextWrapWord
	v.printHow.Alignment = fyne.TextAlignCenter
	v.saveAs = widget.NewButtonWithIcon(lang.X("registry.save_receipt", "Save the receipt as…"), theme.DocumentSaveIcon(), v.askSaveReceipt)
	v.clear = widget.NewButtonWithIcon(lang.X("registry.next", "Next item"), theme.ContentClearIcon(), w.Clear)
	v.done = container.NewVBox(v.number, v.doneText, container.NewCenter(container.NewHBox(v.print, v.saveAs)), v.printHow,
		container.NewCenter(v.clear))
	v.done.Hide()

	v.options = widget.NewForm(
		widget.NewFormItem("", v.stamp),
		widget.NewFormItem(lang.X("registry.paper_lang", "Stamp and receipt in"), v.paperLang),
		widget.NewFormItem(lang.X("finish.sign_with", "Sign with"), v.signWith),
		widget.NewFormItem(lang.X("registry.send_to", "Send to"), v.target),
		widget.NewFormItem("", v.receipt),
		widget.NewFormItem(lang.X("registry.layout", "Receipt paper"), v.layout),
	)
	intro := widget.NewLabel(lang.X("registry.intro", "An item handed in: capture its pages in Pages, say what it is, then register it in one go. A number is never lost: if something fails, the register says why."))
	intro.Wrapping = fyne.TextWrapWord
	item := widget.NewCard(lang.X("registry.item", "The item"), "", v.form)
	how := widget.NewCard(lang.X("registry.how", "Registration"), "", container.NewVBox(v.options, v.receiptWhy))
	v.content = container.NewVScroll(container.NewVBox(intro, v.summary, container.NewGridWithColumns(2, item, how), container.NewCenter(v.run),
		v.progress, v.status, v.done))
	v.direction.SetSelected(dirs[0])
	v.prefill()
	v.refresh()
	return v
}

// prefill fills the empty fields from the Describe screen's values.
func (v *registryView) prefill() {
	meta := v.w.doc.meta
	if v.w.describe != nil {
		meta = v.w.describe.values()
	}
	for k, e := range v.entries {
		if strings.TrimSpace(e.Text) == "" && meta[k] != "" {
			e.SetText(meta[k])
		}
	}
	for _, d := range directions() {
		if d.value == meta["direction"] {
			v.direction.SetSelected(d.label)
		}
	}
}

// kind is the register chosen.
func (v *registryView) kind() register.Kind {
	for _, d := range directions() {
		if d.label == v.direction.Selected {
			return register.Kind(d.value)
		}
	}
	return register.Incoming
}

// cert is the certificate chosen to sign with, nil for none.
func (v *registryView) cert() *Certificate { return chosenCert(v.signWith, v.certs) }

// desk is the certificate that signs the receipt: the one chosen to
// sign with, else the desk's own ([register] certificate), as demat
// process --receipt chooses it.
func (v *registryView) desk() *Certificate {
	if c := v.cert(); c != nil {
		return c
	}
	if v.w.svc.DeskCertificate == nil {
		return nil
	}
	name := v.w.svc.DeskCertificate()
	for i, c := range v.certs {
		if c.Name == name && name != "" {
			return &v.certs[i]
		}
	}
	return nil
}

// refresh shows what can be done now.
func (v *registryView) refresh() {
	if v.content == nil {
		return // still being built
	}
	n := len(v.w.doc.pages)
	if n == 0 {
		v.summary.SetText(lang.X("finish.no_pages", "No pages yet: add them in Pages."))
	} else {
		v.summary.SetText(lang.X("finish.pages", "{{.N}} page(s) in this document.", map[string]any{"N": n}))
	}
	// The button stays on while another screen's job runs (an import):
	// this screen is not told when it ends; Run says to wait.
	setEnabled(v.run, !v.running)
	if v.desk() == nil {
		v.receiptWhy.Show()
		v.receipt.Disable()
	} else {
		v.receiptWhy.Hide()
		v.receipt.Enable()
	}
	on := !v.running && v.receipt.Checked && v.desk() != nil
	for _, s := range []*widget.Select{v.direction, v.paperLang, v.signWith, v.target, v.layout} {
		if v.running || (s == v.layout && !on) {
			s.Disable()
		} else {
			s.Enable()
		}
	}
	if v.options != nil {
		v.options.Refresh()
	}
}

// request is the registration the form asks for, checked: its error
// says, in words, what to change.
func (v *registryView) request() (RegistryRequest, error) {
	w := v.w
	var req RegistryRequest
	m, err := w.describe.Metadata()
	if err != nil {
		return req, err
	}
	if m.RegistrationNumber != "" {
		return req, errors.New(lang.X("registry.has_number", "The Describe tab gives a registration number: the register gives it. Clear Registration number there."))
	}
	for k, e := range v.entries {
		if err := m.Set(k, strings.TrimSpace(e.Text)); err != nil {
			return req, err
		}
	}
	req.Kind = v.kind()
	m.Direction = string(req.Kind)
	if req.Kind == register.Incoming && strings.TrimSpace(m.Sender) == "" {
		return req, errors.New(lang.X("registry.need_sender", "Say who handed the item in (Depositor or sender): the register and the receipt name them."))
	}
	req.Options = pipeline.Options{Languages: w.settings.ocrLanguages(), Logger: w.svc.Logger, PDF: pdf.Options{Meta: m}}
	req.Stamp = v.stamp.Checked
	req.StampLang = v.paperCode()
	req.Receipt = receipt.Options{Lang: req.StampLang, Layout: receipt.A4}
	for _, l := range layouts() {
		if l.label == v.layout.Selected {
			req.Receipt.Layout = l.layout
		}
	}
	req.Target = v.target.Selected
	return req, nil
}

// paperCode is the stamp's and the receipt's language.
func (v *registryView) paperCode() string {
	for _, l := range paperLangs {
		if l.Name == v.paperLang.Selected {
			return l.Code
		}
	}
	return "fr"
}

// Run registers the item: the keys are opened first (a wrong passphrase
// costs no number), then the service numbers, builds, stamps, signs,
// records, writes the receipt and queues, each step ticked off. The
// pages stay in the window whatever happens.
func (v *registryView) Run() {
	w := v.w
	switch {
	case w.busy():
		v.status.SetText(lang.X("registry.wait", "Wait until the pages are read, then press the button again."))
		return
	case len(w.doc.pages) == 0:
		v.status.SetText(lang.X("finish.no_pages", "No pages yet: add them in Pages."))
		return
	case w.doc.registered != "":
		v.status.SetText(lang.X("registry.already", "This item is registered as {{.Number}}. Press Next item for the next one.", map[string]any{"Number": w.doc.registered}))
		return
	}
	req, err := v.request()
	if err != nil {
		v.status.SetText(err.Error())
		return
	}
	cert, desk := v.cert(), (*Certificate)(nil)
	if v.receipt.Checked {
		desk = v.desk()
	}
	pages := make([]page, len(w.doc.pages))
	for i, p := range w.doc.pages {
		pages[i] = *p
	}
	w.finish.signNote = "" // a note of an earlier save is not this registration's
	ctx, n := w.startJob()
	v.running = true
	v.refresh()
	for _, ic := range v.steps {
		ic.SetResource(theme.RadioButtonIcon())
	}
	for step, shown := range map[RegistryStep]bool{StepStamp: req.Stamp, StepSign: cert != nil, StepQueue: req.Target != ""} {
		if shown {
			v.stepRows[step].Show()
		} else {
			v.stepRows[step].Hide()
		}
	}
	v.ocrBar.Max = float64(len(pages))
	v.ocrBar.SetValue(0)
	v.done.Hide()
	v.progress.Show()
	v.progress.Refresh()
	v.status.SetText("")
	current := func(f func(v *registryView)) {
		fyne.Do(func() {
			if n == w.jobs && w.registry != nil {
				f(w.registry)
			}
		})
	}
	req.Step = func(s RegistryStep) {
		current(func(v *registryView) { v.steps[s].SetResource(theme.ConfirmIcon()) })
	}
	req.Options.Progress = func(e pipeline.Event) {
		if e.Stage == pipeline.StageWrite {
			current(func(v *registryView) { v.ocrBar.SetValue(float64(e.Done)) })
		}
	}
	registry, verify := w.svc.Registry, w.svc.Verify
	go func() {
		signed := ""
		res, err := func() (RegistryResult, error) {
			// The keys are opened before a number is taken.
			if cert != nil {
				sg, err := w.finish.openSigner(ctx, n, *cert)
				if err != nil {
					return RegistryResult{}, err
				}
				defer sg.Close()
				req.Signer = sg
			}
			if desk != nil {
				if cert != nil && desk.Name == cert.Name {
					req.Desk = req.Signer
				} else {
					sg, err := w.finish.openSigner(ctx, n, *desk)
					if err != nil {
						return RegistryResult{}, err
					}
					defer sg.Close()
					req.Desk = sg
				}
			}
			sps := make([]scan.Page, len(pages))
			for i := range pages {
				sp, err := pages[i].captured()
				if err != nil {
					return RegistryResult{}, err
				}
				sps[i] = sp
			}
			req.Pages = sps
			res, err := registry(ctx, req)
			if err == nil && req.Signer != nil && res.PDF != "" {
				rep, verr := verify(res.PDF)
				signed = signedText(req.Signer.Who(), rep, verr)
			}
			return res, err
		}()
		fyne.Do(func() {
			v.running = false
			if !w.endJob(n) {
				return
			}
			if v := w.registry; v != nil {
				v.show(res, err, signed)
			}
			w.jobShown()
		})
	}()
}

// show says how the registration went.
func (v *registryView) show(res RegistryResult, err error, signed string) {
	w := v.w
	w.doc.registryShown = func(nv *registryView) { nv.show(res, err, signed) }
	v.progress.Hide()
	v.refresh()
	e := res.Entry
	registered := e.Number != "" && (e.State == register.Registered || e.State == register.AwaitingNumber)
	voided := func(msg string) string {
		switch {
		case e.Number == "":
		case e.State == register.Void:
			msg += " " + lang.X("registry.voided", "The number {{.Number}} stays in the register, marked void.", map[string]any{"Number": e.Number})
		default:
			// The void itself failed: the entry is left pending, and
			// the next demat completes or voids it.
			msg += " " + lang.X("registry.pending", "The number {{.Number}} is left pending in the register: do not register this item again before checking it there.", map[string]any{"Number": e.Number})
		}
		return msg
	}
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled) && !registered:
		v.status.SetText(voided(lang.X("registry.cancelled", "Stopped: nothing was sent. The pages are still here.")))
		return
	case !registered:
		w.svc.Logger.Warn("registry", "err", err)
		v.status.SetText(voided(lang.X("registry.failed", "It did not work: {{.Error}}. The pages are still here: correct what is said and press the button again.", map[string]any{"Error": err.Error()})))
		return
	}
	w.doc.registered = e.Number
	v.number.Text = e.Number
	v.number.Refresh()
	lines := []string{lang.X("registry.registered", "Registered in the {{.Register}} register on {{.When}}, {{.N}} page(s).",
		map[string]any{"Register": strings.ToLower(kindText(e.Kind)), "When": e.Registered.Local().Format("2006-01-02 15:04"), "N": e.Pages})}
	if e.State == register.AwaitingNumber {
		lines = append(lines, lang.X("registry.provisional", "{{.Number}} is provisional: the server gives the number when the document is delivered (the Register tab shows it then).", map[string]any{"Number": e.Number}))
	}
	if signed != "" {
		lines = append(lines, signed)
	}
	if res.Delivery.ID != 0 {
		lines = append(lines, lang.X("finish.queued", "Queued for {{.Target}} as {{.Dest}}: the Outbox shows when it has arrived.",
			map[string]any{"Target": res.Delivery.Target, "Dest": res.Delivery.Dest}))
	}
	lines = append(lines, res.Warnings...)
	if err != nil {
		// Registered, but what came after failed: say what is left.
		lines = append(lines, lang.X("registry.after", "It is registered, but: {{.Error}}. The PDF is kept at {{.Path}}.", map[string]any{"Error": err.Error(), "Path": res.PDF}))
	}
	if w.finish.signNote != "" {
		lines = append(lines, w.finish.signNote)
	}
	v.doneText.SetText(strings.Join(lines, "\n"))
	v.receiptAt = res.Receipt
	if res.Receipt == "" {
		v.print.Hide()
		v.saveAs.Hide()
		v.printHow.Hide()
	} else {
		v.print.Show()
		v.saveAs.Show()
		v.printHow.Show()
	}
	v.done.Show()
	if w.outbox != nil {
		w.outbox.reload()
	}
}

// Print prints the receipt: with lp when the services have it, else by
// opening it in the system's PDF viewer.
func (v *registryView) Print() {
	if v.receiptAt == "" {
		return
	}
	w := v.w
	if p := w.svc.PrintReceipt; p != nil {
		path := v.receiptAt
		go func() {
			err := p(path)
			fyne.Do(func() {
				if err != nil {
					v.status.SetText(lang.X("registry.print_failed", "The receipt could not be printed: {{.Error}}. Check the printer, or save the receipt and print it from there.", map[string]any{"Error": err.Error()}))
				} else {
					v.status.SetText(lang.X("registry.printed", "The receipt was sent to the printer."))
				}
			})
		}()
		return
	}
	u, err := url.Parse(storage.NewFileURI(v.receiptAt).String())
	if err == nil {
		err = w.app.OpenURL(u)
	}
	if err != nil {
		v.status.SetText(lang.X("registry.print_failed", "The receipt could not be printed: {{.Error}}. Check the printer, or save the receipt and print it from there.", map[string]any{"Error": err.Error()}))
	}
}

// askSaveReceipt copies the receipt where the person chooses.
func (v *registryView) askSaveReceipt() {
	if v.receiptAt == "" {
		return
	}
	from := v.receiptAt
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		defer wc.Close()
		if err := copyFile(wc, from); err != nil {
			v.status.SetText(lang.X("registry.save_failed", "The receipt could not be saved there: {{.Error}}", map[string]any{"Error": err.Error()}))
			return
		}
		v.status.SetText(lang.X("registry.saved_receipt", "Receipt saved as {{.Path}}.", map[string]any{"Path": wc.URI().Path()}))
	}, v.w.win)
	d.SetFileName(filepath.Base(from))
	if l := v.w.saveFolder(); l != nil {
		d.SetLocation(l)
	}
	d.Show()
	d.Resize(dialogSize(v.w.win))
}

// copyFile writes the file at path to w.
func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// DemoRegistry shows the Registry desk with the sample page and an item
// described, for the screenshots. Call it on the UI goroutine.
func (w *Window) DemoRegistry() {
	v := w.registry
	if v == nil {
		return
	}
	if len(w.doc.pages) == 0 {
		w.pages.Sample()
		w.whenIdle(func() {
			if w.registry == v {
				v.refresh()
			}
		})
	}
	w.show(v.content)
	if len(v.certs) > 0 {
		v.signWith.SetSelected(v.certs[0].Name)
	}
	v.entries["sender"].SetText("Commune de Bellerive")
	v.entries["recipient"].SetText("Service de l'urbanisme")
	v.entries["subject"].SetText("Demande de permis de construire")
	v.entries["reference"].SetText("URB/2026/118")
}
