package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/sign"
)

// finishView is the Save and send screen: it makes the searchable PDF
// from the pages and the description, saves it or queues it for a
// target, and shows the progress of each stage.
type finishView struct {
	w       *Window
	content fyne.CanvasObject

	summary   *widget.Label
	save      *widget.Button
	target    *widget.Select
	send      *widget.Button
	clear     *widget.Button
	progress  *fyne.Container
	readBar   *widget.ProgressBar
	ocrBar    *widget.ProgressBar
	readLabel *widget.Label
	ocrLabel  *widget.Label
	cancel    *widget.Button
	status    *widget.Label

	// certs are the certificates offered; signWith chooses one, or
	// none (the first option).
	certs    []Certificate
	signWith *widget.Select
	// visible shows the signature as a block on a page, sigPage says
	// which (first or last) and sigCorner where on it.
	visible   *widget.Check
	sigPage   *widget.Select
	sigCorner *widget.Select
	signBar   *widget.ProgressBar
	signStep  *fyne.Container
	// The passphrase dialog, while shown.
	secretDialog           dialog.Dialog
	secret                 *widget.Entry
	remember               *widget.Check
	secretOK, secretCancel *widget.Button
	// signNote is said after the outcome: a passphrase the keyring
	// could not keep.
	signNote string
}

func newFinishView(w *Window) *finishView {
	v := &finishView{w: w}
	v.summary = widget.NewLabel("")
	v.summary.TextStyle.Bold = true
	v.save = widget.NewButtonWithIcon(lang.X("finish.save", "Save as PDF…"), theme.DocumentSaveIcon(), v.askSave)
	v.target = widget.NewSelect(nil, nil)
	v.target.PlaceHolder = lang.X("finish.choose_target", "(choose where to send it)")
	if w.svc.Targets != nil {
		v.target.Options = w.svc.Targets()
		if len(v.target.Options) > 0 {
			v.target.SetSelected(v.target.Options[0])
		}
	}
	v.target.OnChanged = func(string) { v.refresh() }
	v.send = widget.NewButtonWithIcon(lang.X("finish.send", "Send"), theme.MailSendIcon(), v.Send)
	v.send.Importance = widget.HighImportance
	v.clear = widget.NewButtonWithIcon(lang.X("finish.new", "New document"), theme.ContentClearIcon(), v.askClear)

	v.readBar, v.ocrBar = widget.NewProgressBar(), widget.NewProgressBar()
	v.readLabel = widget.NewLabel(lang.X("finish.stage_read", "Pages prepared"))
	v.ocrLabel = widget.NewLabel(lang.X("finish.stage_ocr", "Pages recognised and written"))
	v.cancel = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), w.Cancel)
	v.signBar = widget.NewProgressBar()
	v.signBar.Max = 1
	v.signStep = container.NewVBox(widget.NewLabel(lang.X("finish.stage_sign", "Signed and checked")), v.signBar)
	v.progress = container.NewVBox(v.readLabel, v.readBar, v.ocrLabel, v.ocrBar, v.signStep, container.NewHBox(v.cancel))
	v.progress.Hide()
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	saveBox := widget.NewCard(lang.X("finish.save_title", "Save"), lang.X("finish.save_help", "A searchable PDF on this computer."), container.NewHBox(v.save))
	var sendBox fyne.CanvasObject = widget.NewLabel("")
	if w.svc.Send != nil {
		sendBox = widget.NewCard(lang.X("finish.send_title", "Send"),
			lang.X("finish.send_help", "Through the outbox: it keeps trying until the document has arrived, even after a restart."),
			container.NewBorder(nil, nil, nil, v.send, v.target))
	}
	v.content = container.NewVBox(v.summary, saveBox, sendBox, v.progress, v.status, container.NewHBox(v.clear))
	if w.svc.Certificates != nil && w.svc.OpenCertificate != nil {
		v.content.(*fyne.Container).Objects = slices.Insert(v.content.(*fyne.Container).Objects, 1, v.newSignBox())
	}
	return v
}

// newSignBox is the choice of the certificate the document is signed
// with, before it is saved or sent.
func (v *finishView) newSignBox() fyne.CanvasObject {
	w := v.w
	v.certs = w.svc.Certificates()
	v.signWith = newCertSelect(v.certs, w.app.Preferences(), prefCertificate, v.refresh)
	help := lang.X("finish.sign_help", "A PAdES signature with your certificate, made before the document is saved or sent; its passphrase or PIN comes from the keyring.")
	if len(v.certs) == 0 {
		help = lang.X("finish.sign_none", "No certificate yet: add one in Settings to sign documents.")
	}
	choose := container.NewBorder(nil, nil, widget.NewLabel(lang.X("finish.sign_with", "Sign with")), nil, v.signWith)
	if len(v.certs) == 0 {
		return widget.NewCard(lang.X("finish.sign_title", "Signature"), help, choose)
	}
	return widget.NewCard(lang.X("finish.sign_title", "Signature"), help, container.NewVBox(choose, v.newLookRow()))
}

// The preferences holding how the signature was last shown.
const (
	prefSigVisible = "sign.visible"
	prefSigPage    = "sign.page"
	prefSigCorner  = "sign.corner"
)

// corners are where a visible signature can go, with their words.
func corners() []struct{ value, label string } {
	return []struct{ value, label string }{
		{"bottom-right", lang.X("finish.corner_br", "bottom right")},
		{"bottom-left", lang.X("finish.corner_bl", "bottom left")},
		{"top-right", lang.X("finish.corner_tr", "top right")},
		{"top-left", lang.X("finish.corner_tl", "top left")},
	}
}

// newLookRow is the choice of showing the signature on the page: a
// framed block with the signer, the date, the registration number and a
// QR code of the document's fingerprint, on the first or last page, in
// a corner.
func (v *finishView) newLookRow() fyne.CanvasObject {
	prefs := v.w.app.Preferences()
	first, last := lang.X("finish.page_first", "on the first page"), lang.X("finish.page_last", "on the last page")
	v.sigPage = widget.NewSelect([]string{first, last}, nil)
	v.sigPage.SetSelected(first)
	if prefs.Bool(prefSigPage) {
		v.sigPage.SetSelected(last)
	}
	v.sigPage.OnChanged = func(s string) { prefs.SetBool(prefSigPage, s == last) }
	var labels []string
	for _, c := range corners() {
		labels = append(labels, c.label)
	}
	v.sigCorner = widget.NewSelect(labels, nil)
	v.sigCorner.SetSelected(labels[0])
	for _, c := range corners() {
		if c.value == prefs.String(prefSigCorner) {
			v.sigCorner.SetSelected(c.label)
		}
	}
	v.sigCorner.OnChanged = func(label string) {
		for _, c := range corners() {
			if c.label == label {
				prefs.SetString(prefSigCorner, c.value)
			}
		}
	}
	v.visible = widget.NewCheck(lang.X("finish.visible", "Show it on the page"), nil)
	v.visible.SetChecked(prefs.Bool(prefSigVisible))
	v.visible.OnChanged = func(on bool) {
		prefs.SetBool(prefSigVisible, on)
		v.refresh()
	}
	return container.NewHBox(v.visible, v.sigPage, v.sigCorner)
}

// look is how the signature is to be shown; nil keeps it invisible.
func (v *finishView) look(registration string) *Look {
	if v.visible == nil || !v.visible.Checked {
		return nil
	}
	l := &Look{Last: v.sigPage.SelectedIndex() == 1, Registration: registration}
	for _, c := range corners() {
		if c.label == v.sigCorner.Selected {
			l.Corner = c.value
		}
	}
	return l
}

// signer is the certificate chosen, or nil for no signature.
func (v *finishView) signer() *Certificate { return chosenCert(v.signWith, v.certs) }

// refresh shows what can be done now.
func (v *finishView) refresh() {
	busy := v.w.busy()
	n := len(v.w.doc.pages)
	if n == 0 {
		v.summary.SetText(lang.X("finish.no_pages", "No pages yet: add them in Pages."))
	} else {
		v.summary.SetText(lang.X("finish.pages", "{{.N}} page(s) in this document.", map[string]any{"N": n}))
	}
	setEnabled(v.save, !busy && n > 0)
	setEnabled(v.send, !busy && n > 0 && v.target.Selected != "")
	setEnabled(v.clear, !busy && n > 0)
	signing := v.signer() != nil
	for _, s := range []*widget.Select{v.target, v.signWith, v.sigPage, v.sigCorner} {
		if s == nil {
			continue
		}
		if busy || (s == v.sigPage || s == v.sigCorner) && (!signing || !v.visible.Checked) {
			s.Disable()
		} else {
			s.Enable()
		}
	}
	if v.visible != nil {
		if busy || !signing {
			v.visible.Disable()
		} else {
			v.visible.Enable()
		}
	}
}

func (v *finishView) askSave() {
	if v.w.busy() || len(v.w.doc.pages) == 0 {
		return
	}
	if _, err := v.w.describe.Metadata(); err != nil {
		v.status.SetText(err.Error())
		v.w.show(v.w.describe.content)
		return
	}
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		path := wc.URI().Path()
		wc.Close()
		v.Save(path)
	}, v.w.win)
	d.SetFileName(fileName(v.w.doc.meta) + ".pdf")
	if l := v.w.saveFolder(); l != nil {
		d.SetLocation(l)
	}
	d.Show()
	d.Resize(dialogSize(v.w.win)) // after Show: a file dialog builds its content there
}

// fileName names the PDF after the document's title.
func fileName(meta map[string]string) string {
	if n := upload.Sanitise(meta["title"]); n != "" {
		return n
	}
	return "document"
}

// Save makes the PDF at path, replacing a file there (the save dialog
// asked).
func (v *finishView) Save(path string) {
	v.run(path, true, func(_ context.Context, res *pipeline.Result, _ pdf.Metadata) (outcome, error) {
		return outcome{msg: lang.X("finish.saved", "Saved {{.Path}}: {{.Pages}} page(s), {{.Words}} words recognised.",
			map[string]any{"Path": res.Output, "Pages": res.Pages, "Words": res.Words})}, nil
	}, nil)
}

// Send makes the PDF in a temporary folder and queues it for the chosen
// target; the outbox keeps its own copy.
func (v *finishView) Send() {
	target := v.target.Selected
	if target == "" || v.w.svc.Send == nil {
		return
	}
	dir, err := os.MkdirTemp("", "demat-send-")
	if err != nil {
		v.status.SetText(err.Error())
		return
	}
	out := filepath.Join(dir, fileName(v.w.describe.values())+".pdf")
	send := v.w.svc.Send
	v.run(out, false, func(ctx context.Context, res *pipeline.Result, m pdf.Metadata) (outcome, error) {
		d, err := send(ctx, target, res.Output, m.Map())
		if err != nil {
			return outcome{}, err
		}
		return outcome{msg: lang.X("finish.queued", "Queued for {{.Target}} as {{.Dest}}: the Outbox shows when it has arrived.",
			map[string]any{"Target": d.Target, "Dest": d.Dest}), toOutbox: true, delivery: d.ID}, nil
	}, func() { os.RemoveAll(dir) })
}

// outcome is what a finished job says, and whether to show the outbox.
type outcome struct {
	msg      string
	toOutbox bool
	// delivery is the outbox's id of the document sent: the outbox
	// selects it, so that its receipt shows once it has arrived.
	delivery int64
}

// run makes the PDF at out in the background, then calls after on the
// same goroutine; its outcome is shown. cleanup, when set, runs at the
// end whatever happened.
func (v *finishView) run(out string, force bool, after func(context.Context, *pipeline.Result, pdf.Metadata) (outcome, error), cleanup func()) {
	w := v.w
	meta, err := w.describe.Metadata()
	if err != nil || w.busy() || len(w.doc.pages) == 0 {
		if cleanup != nil {
			cleanup()
		}
		if err != nil {
			v.status.SetText(err.Error())
			w.show(w.describe.content)
		}
		return
	}
	langs := w.settings.ocrLanguages()
	cert := v.signer()
	look := v.look(meta.RegistrationNumber)
	// The pages as they are now: the buttons that change them are off
	// while the job runs, and turning happens on the job's goroutine.
	pages := make([]page, len(w.doc.pages))
	for i, p := range w.doc.pages {
		pages[i] = *p
	}
	ctx, n := w.startJob()
	total := float64(len(pages))
	v.readBar.Max, v.ocrBar.Max = total, total
	v.readBar.SetValue(0)
	v.ocrBar.SetValue(0)
	v.signBar.SetValue(0)
	v.signNote = ""
	if cert != nil {
		v.signStep.Show()
		v.status.SetText(lang.X("finish.opening", "Opening the certificate {{.Name}}…", map[string]any{"Name": cert.Name}))
	} else {
		v.signStep.Hide()
		v.status.SetText(lang.X("finish.working", "Making the searchable PDF…"))
	}
	v.progress.Show()
	logger := w.svc.Logger
	build, verify := w.svc.Build, w.svc.Verify
	say := func(s string) {
		fyne.Do(func() {
			if n == w.jobs {
				w.finish.status.SetText(s)
			}
		})
	}
	go func() {
		if cleanup != nil {
			defer cleanup()
		}
		signed := ""
		res, err := func() (outcome, error) {
			// The key is opened before the pages are recognised: a
			// wrong passphrase is found at once, not after the OCR.
			var sg Signer
			final := out
			if cert != nil {
				var err error
				if sg, err = v.openSigner(ctx, n, *cert); err != nil {
					return outcome{}, err
				}
				defer sg.Close()
				say(lang.X("finish.working", "Making the searchable PDF…"))
				dir, err := os.MkdirTemp("", "demat-unsigned-")
				if err != nil {
					return outcome{}, err
				}
				defer os.RemoveAll(dir)
				out = filepath.Join(dir, filepath.Base(final))
			}
			sps := make([]scan.Page, len(pages))
			for i := range pages {
				sp, err := pages[i].captured()
				if err != nil {
					return outcome{}, err
				}
				sps[i] = sp
			}
			opt := pipeline.Options{Languages: langs, Force: force, Logger: logger, PDF: pdf.Options{Meta: meta},
				Progress: func(e pipeline.Event) {
					fyne.Do(func() {
						if n != w.jobs {
							return
						}
						switch e.Stage {
						case pipeline.StageRead:
							w.finish.readBar.SetValue(float64(e.Done))
						case pipeline.StageWrite:
							w.finish.ocrBar.SetValue(float64(e.Done))
						}
					})
				}}
			res, err := build(ctx, sps, out, opt)
			if err != nil {
				return outcome{}, err
			}
			if sg != nil {
				say(lang.X("finish.signing", "Signing with {{.Name}}…", map[string]any{"Name": cert.Name}))
				var err error
				if vs, ok := sg.(VisibleSigner); ok && look != nil {
					err = vs.SignVisible(ctx, out, final, *look)
				} else {
					err = sg.Sign(ctx, out, final)
				}
				if err != nil {
					return outcome{}, err
				}
				rep, verr := verify(final)
				signed = signedText(sg.Who(), rep, verr)
				if verr == nil && rep.Verdict == sign.Invalid {
					os.Remove(final)
					return outcome{}, errors.New(signed)
				}
				res.Output = final
				fyne.Do(func() {
					if n == w.jobs {
						w.finish.signBar.SetValue(1)
					}
				})
			}
			return after(ctx, res, meta)
		}()
		fyne.Do(func() {
			if !w.endJob(n) {
				return
			}
			f := w.finish
			f.progress.Hide()
			switch {
			case errors.Is(err, context.Canceled):
				f.status.SetText(lang.X("finish.cancelled", "Stopped: nothing was written or sent. The pages are still here."))
			case errors.Is(err, pipeline.ErrExists):
				f.status.SetText(lang.X("finish.exists", "A file of that name is already there: choose another name."))
			case err != nil:
				logger.Warn("finish", "err", err)
				f.status.SetText(lang.X("finish.failed", "It did not work: {{.Error}}", map[string]any{"Error": err.Error()}))
			default:
				msg := res.msg
				if signed != "" {
					msg = signed + "\n" + msg
				}
				if f.signNote != "" {
					msg += "\n" + f.signNote
				}
				f.status.SetText(msg)
				if res.toOutbox && w.outbox != nil {
					w.outbox.selected = res.delivery
					w.outbox.reload()
					w.show(w.outbox.content)
				}
			}
			w.jobShown()
		})
	}()
}

// askClear starts a new document once the person confirms.
func (v *finishView) askClear() {
	w := v.w
	dialog.ShowConfirm(lang.X("finish.new", "New document"),
		lang.X("finish.new_confirm", "Put these pages and this description aside and start a new document? Files already saved or sent are kept."),
		func(ok bool) {
			if ok {
				w.Clear()
			}
		}, w.win)
}

// Clear starts a new, empty document.
func (w *Window) Clear() {
	if w.busy() {
		return
	}
	w.doc = document{meta: map[string]string{"received": w.svc.Now().Format("2006-01-02")}}
	w.Rebuild()
	w.show(w.pages.content)
}

// ocrLanguagesOr gives the languages in s, or def when s names none.
func ocrLanguagesOr(s string, def []string) []string {
	if l, err := ocr.ParseLanguages(s); err == nil && len(l) > 0 {
		return l
	}
	return def
}
