package app

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/upload/credentials"
)

// prefOCRLanguages is the preference holding the OCR languages
// ("fra+ara"); empty for Services.Languages.
const prefOCRLanguages = "ocr_languages"

// prefSaveFolder is the preference holding the folder the Save dialog
// opens in; empty for the toolkit's choice.
const prefSaveFolder = "save_folder"

// settingsView is the Settings screen: the interface language, the
// languages text is recognised in and the folder documents are saved in
// (the app's preferences); the targets and the signing certificates
// (the configuration, their secrets in the keyring).
type settingsView struct {
	w       *Window
	content fyne.CanvasObject

	language     *widget.Select
	ocr          *widget.Entry
	folder       *widget.Entry
	chooseFolder *widget.Button
	status       *widget.Label

	targets     []Target
	targetRows  *fyne.Container
	addTarget   *widget.Button
	testButtons map[string]*widget.Button
	passButtons map[string]*widget.Button
	// removeTargets and removeCerts are the rows' Remove buttons, by
	// name.
	removeTargets map[string]*widget.Button
	removeCerts   map[string]*widget.Button

	certRows        *fyne.Container
	addCert         *widget.Button
	certPassButtons map[string]*widget.Button

	// The dialog shown (adding a target or a certificate, a password),
	// and its fields, named for the tests.
	dialog     dialog.Dialog
	form       map[string]*widget.Entry
	kind       *widget.Select
	formError  *widget.Label
	formOK     *widget.Button
	formCancel *widget.Button
	browse     *widget.Button
}

func newSettingsView(w *Window) *settingsView {
	v := &settingsView{w: w}
	system := lang.X("settings.system_language", "The system's language")
	names := []string{system}
	for _, l := range Languages {
		names = append(names, l.Name)
	}
	v.language = widget.NewSelect(names, nil)
	v.language.SetSelected(system)
	saved := w.app.Preferences().String(prefLanguage)
	for _, l := range Languages {
		if l.Code == saved {
			v.language.SetSelected(l.Name)
		}
	}
	v.language.OnChanged = v.setLanguage

	v.ocr = widget.NewEntry()
	v.ocr.SetPlaceHolder(strings.Join(w.svc.Languages, "+"))
	v.ocr.SetText(w.app.Preferences().String(prefOCRLanguages))
	v.ocr.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		if _, err := ocr.ParseLanguages(s); err != nil {
			return errors.New(lang.X("settings.bad_ocr", "Tesseract language codes joined by +, for example fra+ara+eng."))
		}
		return nil
	}
	v.ocr.OnChanged = func(s string) {
		if v.ocr.Validator(s) == nil {
			w.app.Preferences().SetString(prefOCRLanguages, strings.TrimSpace(s))
		}
	}
	v.folder = widget.NewEntry()
	v.folder.SetPlaceHolder(lang.X("settings.folder_none", "(the last folder used)"))
	v.folder.SetText(w.app.Preferences().String(prefSaveFolder))
	v.folder.OnChanged = func(s string) { w.app.Preferences().SetString(prefSaveFolder, strings.TrimSpace(s)) }
	v.chooseFolder = widget.NewButtonWithIcon(lang.X("settings.choose", "Choose…"), theme.FolderOpenIcon(), v.askFolder)
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	form := widget.NewForm(
		widget.NewFormItem(lang.X("settings.language", "Language of the window"), v.language),
		widget.NewFormItem(lang.X("settings.ocr", "Languages of the documents (text recognition)"), v.ocr),
		widget.NewFormItem(lang.X("settings.folder", "Folder documents are saved in"), container.NewBorder(nil, nil, nil, v.chooseFolder, v.folder)),
	)
	box := container.NewVBox(form)
	if w.svc.TargetList != nil {
		v.targetRows = container.NewVBox()
		v.addTarget = widget.NewButtonWithIcon(lang.X("settings.add_target", "Add a target…"), theme.ContentAddIcon(), v.askTarget)
		box.Add(widget.NewCard(lang.X("settings.targets", "Where documents are sent"),
			lang.X("settings.targets_card", "Folders, WebDAV spaces, SFTP drops and tus services. Passwords are kept in the keyring, never in the configuration."),
			container.NewVBox(v.targetRows, container.NewHBox(v.addTarget))))
		v.reloadTargets()
	} else {
		help := widget.NewLabel(lang.X("settings.targets_help", "Where documents can be sent is set up in a terminal: demat target add. Without it, they go to the demat folder in your documents."))
		help.Wrapping = fyne.TextWrapWord
		box.Add(help)
	}
	if w.svc.Certificates != nil && w.svc.AddCertificate != nil {
		v.certRows = container.NewVBox()
		v.addCert = widget.NewButtonWithIcon(lang.X("settings.add_cert", "Add a certificate…"), theme.ContentAddIcon(), v.askCertificate)
		box.Add(widget.NewCard(lang.X("settings.certs", "Signing certificates"),
			lang.X("settings.certs_card", "A PKCS#12 file (.p12, .pfx) or a key on a token (pkcs11: address); the passphrase or PIN is kept in the keyring."),
			container.NewVBox(v.certRows, container.NewHBox(v.addCert))))
		v.reloadCertificates()
	}
	if w.svc.DocTypes != nil {
		box.Add(docTypesCard(w.svc.DocTypes()))
	}
	box.Add(v.status)
	v.content = container.NewVScroll(box)
	return v
}

// setLanguage saves the language chosen and rebuilds the window in it.
func (v *settingsView) setLanguage(name string) {
	code := ""
	for _, l := range Languages {
		if l.Name == name {
			code = l.Code
		}
	}
	w := v.w
	w.app.Preferences().SetString(prefLanguage, code)
	if err := SetLanguage(code); err != nil {
		w.svc.Logger.Warn("translations", "err", err)
	}
	if !w.Rebuild() {
		w.relang = true
		v.status.SetText(lang.X("settings.busy", "The language changes once the current job has finished or been cancelled."))
	}
}

// ocrLanguages are the languages to recognise: the setting's, else the
// default.
func (v *settingsView) ocrLanguages() []string {
	return ocrLanguagesOr(v.ocr.Text, v.w.svc.Languages)
}

// saveFolder is the folder the Save dialog opens in, if set and there.
func (w *Window) saveFolder() fyne.ListableURI {
	p := strings.TrimSpace(w.app.Preferences().String(prefSaveFolder))
	if p == "" {
		return nil
	}
	l, err := storage.ListerForURI(storage.NewFileURI(p))
	if err != nil {
		return nil
	}
	return l
}

func (v *settingsView) askFolder() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		v.folder.SetText(u.Path())
	}, v.w.win)
	if l := v.w.saveFolder(); l != nil {
		d.SetLocation(l)
	}
	d.Show()
	d.Resize(dialogSize(v.w.win))
}

// reloadTargets lists the targets again, off the UI goroutine.
func (v *settingsView) reloadTargets() {
	w, list := v.w, v.w.svc.TargetList
	go func() {
		ts, err := list()
		fyne.Do(func() {
			if w.settings != v {
				return
			}
			if err != nil {
				v.status.SetText(err.Error())
				return
			}
			v.showTargets(ts)
		})
	}()
}

func (v *settingsView) showTargets(ts []Target) {
	v.targets = ts
	v.testButtons, v.passButtons = map[string]*widget.Button{}, map[string]*widget.Button{}
	v.removeTargets = map[string]*widget.Button{}
	v.targetRows.RemoveAll()
	for _, t := range ts {
		title := t.Name + " · " + t.Kind
		if t.Default {
			title += " · " + lang.X("settings.default", "default")
		}
		name := widget.NewLabel(title)
		name.TextStyle.Bold = true
		where := t.URL
		if t.User != "" {
			where += " · " + lang.X("settings.user", "user {{.User}}", map[string]any{"User": t.User})
		}
		if t.Path != "" {
			where += " · " + t.Path
		}
		detail := widget.NewLabel(where)
		detail.Truncation = fyne.TextTruncateEllipsis
		test := widget.NewButtonWithIcon(lang.X("settings.test", "Test"), theme.MediaPlayIcon(), func() { v.Test(t.Name) })
		v.testButtons[t.Name] = test
		buttons := container.NewHBox(test)
		if t.Credential != "" {
			pw := widget.NewButtonWithIcon(lang.X("settings.password", "Password…"), theme.AccountIcon(), func() {
				v.askSecret(lang.X("settings.password_title", "Password of {{.Name}}", map[string]any{"Name": t.Name}),
					lang.X("settings.password_prompt", "The password (or token) of {{.User}} at {{.Name}}. It is kept in this computer's keyring.", map[string]any{"User": t.User, "Name": t.Name}),
					t.Credential)
			})
			v.passButtons[t.Name] = pw
			buttons.Add(pw)
		}
		if remove := v.w.svc.RemoveTarget; remove != nil && !t.BuiltIn {
			name := t.Name
			rm := widget.NewButtonWithIcon(lang.X("settings.remove", "Remove…"), theme.DeleteIcon(), func() {
				v.askRemove(lang.X("settings.remove_target_title", "Remove the target {{.Name}}?", map[string]any{"Name": name}),
					lang.X("settings.remove_target_text", "Documents will no longer be sent to {{.Name}}. What it already received stays there; its password stays in the keyring.", map[string]any{"Name": name}),
					func() error { return remove(context.Background(), name) },
					lang.X("settings.target_removed", "Target {{.Name}} removed.", map[string]any{"Name": name}))
			})
			v.removeTargets[t.Name] = rm
			buttons.Add(rm)
		}
		v.targetRows.Add(container.NewBorder(nil, nil, nil, container.NewCenter(buttons), container.NewVBox(name, detail)))
	}
	v.content.Refresh() // the card grows with its rows
}

// Test writes and removes a probe on the named target.
func (v *settingsView) Test(name string) {
	w, test := v.w, v.w.svc.TestTarget
	if test == nil {
		return
	}
	if b := v.testButtons[name]; b != nil {
		b.Disable()
	}
	v.status.SetText(lang.X("settings.testing", "Trying {{.Name}}…", map[string]any{"Name": name}))
	go func() {
		where, err := test(context.Background(), name)
		fyne.Do(func() {
			if w.settings != v {
				return
			}
			if b := v.testButtons[name]; b != nil {
				b.Enable()
			}
			if err != nil {
				v.status.SetText(lang.X("settings.test_failed", "{{.Name}} does not work: {{.Error}}", map[string]any{"Name": name, "Error": err.Error()}))
				return
			}
			v.status.SetText(lang.X("settings.test_ok", "{{.Name}} works: a small test file was written to {{.Where}} and removed.", map[string]any{"Name": name, "Where": where}))
		})
	}()
}

// reloadCertificates lists the certificates again.
func (v *settingsView) reloadCertificates() {
	v.certPassButtons, v.removeCerts = map[string]*widget.Button{}, map[string]*widget.Button{}
	v.certRows.RemoveAll()
	certs := v.w.svc.Certificates()
	if len(certs) == 0 {
		v.certRows.Add(widget.NewLabel(lang.X("settings.no_certs", "No certificate yet.")))
	}
	for _, c := range certs {
		name := widget.NewLabel(c.Name)
		name.TextStyle.Bold = true
		detail := widget.NewLabel(c.Where)
		detail.Truncation = fyne.TextTruncateEllipsis
		title := lang.X("sign.passphrase_title", "Passphrase of {{.Name}}", map[string]any{"Name": c.Name})
		prompt := lang.X("settings.passphrase_prompt", "The passphrase of {{.Name}}. It is kept in this computer's keyring and checked when you first sign.", map[string]any{"Name": c.Name})
		label := lang.X("settings.passphrase", "Passphrase…")
		if c.Token {
			title = lang.X("sign.pin_title", "PIN of {{.Name}}", map[string]any{"Name": c.Name})
			prompt = lang.X("settings.pin_prompt", "The PIN of the token holding {{.Name}}. It is kept in this computer's keyring.", map[string]any{"Name": c.Name})
			label = lang.X("settings.pin", "PIN…")
		}
		cred := c.Credential
		pw := widget.NewButtonWithIcon(label, theme.AccountIcon(), func() { v.askSecret(title, prompt, cred) })
		v.certPassButtons[c.Name] = pw
		var buttons fyne.CanvasObject = pw
		if remove := v.w.svc.RemoveCertificate; remove != nil {
			n := c.Name
			rm := widget.NewButtonWithIcon(lang.X("settings.remove", "Remove…"), theme.DeleteIcon(), func() {
				v.askRemove(lang.X("settings.remove_cert_title", "Remove the certificate {{.Name}}?", map[string]any{"Name": n}),
					lang.X("settings.remove_cert_text", "Documents will no longer be signed with {{.Name}}; its passphrase or PIN is removed from the keyring. The file or token itself is not touched.", map[string]any{"Name": n}),
					func() error { return remove(n) },
					lang.X("settings.cert_removed", "Certificate {{.Name}} removed.", map[string]any{"Name": n}))
			})
			v.removeCerts[c.Name] = rm
			buttons = container.NewHBox(pw, rm)
		}
		v.certRows.Add(container.NewBorder(nil, nil, nil, container.NewCenter(buttons), container.NewVBox(name, detail)))
	}
	if v.content != nil {
		v.content.Refresh()
	}
}

// changed rebuilds the window after the configuration changed (the Save
// and send screen offers the new target or certificate) and says msg.
func (v *settingsView) changed(msg string) {
	w := v.w
	if !w.Rebuild() {
		w.relang = true // rebuilt once the job ends
	}
	w.settings.status.SetText(msg)
}

// showForm shows a dialog holding items, with Cancel and ok; ok runs
// submit off the UI goroutine and closes the dialog when it returns nil,
// else shows its error.
func (v *settingsView) showForm(title, okText string, items []*widget.FormItem, submit func() error, done func()) {
	v.closeDialog()
	w := v.w
	v.formError = widget.NewLabel("")
	v.formError.Wrapping = fyne.TextWrapWord
	v.formError.Importance = widget.DangerImportance
	v.formError.Hide()
	form := widget.NewForm(items...)
	v.formOK = widget.NewButtonWithIcon(okText, theme.ConfirmIcon(), nil)
	v.formOK.Importance = widget.HighImportance
	v.formCancel = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), v.closeDialog)
	ok := v.formOK
	v.formOK.OnTapped = func() {
		ok.Disable()
		go func() {
			err := submit()
			fyne.Do(func() {
				if w.settings != v {
					return
				}
				ok.Enable()
				if err != nil {
					v.formError.SetText(err.Error())
					v.formError.Show()
					return
				}
				v.closeDialog()
				done()
			})
		}()
	}
	content := container.NewVBox(form, v.formError, container.NewHBox(layout.NewSpacer(), v.formCancel, v.formOK))
	v.dialog = dialog.NewCustomWithoutButtons(title, content, w.win)
	v.dialog.Resize(fyne.NewSize(min(640, w.win.Canvas().Size().Width*0.9), 0))
	v.dialog.Show()
}

func (v *settingsView) closeDialog() {
	if v.dialog != nil {
		v.dialog.Hide()
		v.dialog = nil
	}
}

// askTarget asks for a new target's settings and adds it.
func (v *settingsView) askTarget() {
	e := func(placeholder string) *widget.Entry {
		x := widget.NewEntry()
		x.SetPlaceHolder(placeholder)
		return x
	}
	v.form = map[string]*widget.Entry{
		"name": e("archives"),
		"url":  e("https://cloud.example.org/remote.php/dav/files/agent/Courrier"),
		"user": e(""),
		"path": e("{year}/{direction}/{reference}.pdf"),
	}
	v.kind = widget.NewSelect(TargetKinds, nil)
	v.kind.SetSelected("webdav")
	add := v.w.svc.AddTarget
	form, kind := v.form, v.kind
	var t Target
	v.showForm(lang.X("settings.add_target_title", "Add a target"), lang.X("settings.add", "Add"), []*widget.FormItem{
		widget.NewFormItem(lang.X("settings.target_name", "Name"), form["name"]),
		widget.NewFormItem(lang.X("settings.target_kind", "Kind"), kind),
		widget.NewFormItem(lang.X("settings.target_url", "Address (URL or folder)"), form["url"]),
		widget.NewFormItem(lang.X("settings.target_user", "User name"), form["user"]),
		widget.NewFormItem(lang.X("settings.target_path", "Where each document goes (optional)"), form["path"]),
	}, func() error {
		return add(t)
	}, func() {
		v.changed(lang.X("settings.target_added", "Target {{.Name}} added. If it needs a password, set it with Password…, then Test it.", map[string]any{"Name": t.Name}))
	})
	// t is read when Add is tapped, on the UI goroutine, before submit
	// runs on its own.
	tap := v.formOK.OnTapped
	v.formOK.OnTapped = func() {
		t = Target{Name: form["name"].Text, Kind: kind.Selected, URL: form["url"].Text, User: form["user"].Text, Path: form["path"].Text}
		tap()
	}
}

// askCertificate asks for a certificate's name and file or token
// address, and adds it.
func (v *settingsView) askCertificate() {
	name, where := widget.NewEntry(), widget.NewEntry()
	name.SetPlaceHolder("agent")
	where.SetPlaceHolder(lang.X("settings.cert_where_hint", "/home/agent/agent.p12, or pkcs11:token=…"))
	v.form = map[string]*widget.Entry{"name": name, "where": where}
	v.browse = widget.NewButtonWithIcon(lang.X("settings.choose", "Choose…"), theme.FolderOpenIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			where.SetText(r.URI().Path())
		}, v.w.win)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".p12", ".pfx"}))
		d.Show()
		d.Resize(dialogSize(v.w.win))
	})
	add := v.w.svc.AddCertificate
	var n, wh string
	v.showForm(lang.X("settings.add_cert_title", "Add a signing certificate"), lang.X("settings.add", "Add"), []*widget.FormItem{
		widget.NewFormItem(lang.X("settings.cert_name", "Name"), name),
		widget.NewFormItem(lang.X("settings.cert_where", "File or token"), container.NewBorder(nil, nil, nil, v.browse, where)),
	}, func() error {
		return add(n, wh)
	}, func() {
		v.changed(lang.X("settings.cert_added", "Certificate {{.Name}} added. Set its passphrase or PIN with the button beside it, or type it when you first sign.", map[string]any{"Name": n}))
	})
	tap := v.formOK.OnTapped
	v.formOK.OnTapped = func() {
		n, wh = name.Text, where.Text
		tap()
	}
}

// askRemove asks whether to remove something, saying what it means;
// Remove runs remove off the UI goroutine and, once done, rebuilds the
// window and says done.
func (v *settingsView) askRemove(title, text string, remove func() error, done string) {
	help := widget.NewLabel(text)
	help.Wrapping = fyne.TextWrapWord
	v.showForm(title, lang.X("settings.remove_ok", "Remove"), []*widget.FormItem{widget.NewFormItem("", help)},
		remove, func() { v.changed(done) })
	v.formOK.Importance = widget.DangerImportance
	v.formOK.SetIcon(theme.DeleteIcon())
}

// docTypesCard shows the document types of the configuration and their
// fields, as the Describe screen asks for them.
func docTypesCard(types []config.DocType) fyne.CanvasObject {
	rows := container.NewVBox()
	if len(types) == 0 {
		rows.Add(widget.NewLabel(lang.X("settings.no_doctypes", "None: the Describe screen shows every field, none required.")))
	}
	code := CurrentLanguage()
	labels := map[string]string{}
	for _, f := range append(fields(), archiveFields()...) {
		labels[f.key] = f.label
	}
	for _, d := range types {
		name := widget.NewLabel(typeLabel(d))
		name.TextStyle.Bold = true
		var parts []string
		for _, f := range d.Fields {
			p := labels[f.Key]
			if l := f.Label.In(code); l != "" {
				p = l
			}
			if f.Required {
				p += " *"
			}
			if len(f.Choices) > 0 {
				p += " (" + strings.Join(f.Choices, " / ") + ")"
			}
			parts = append(parts, p)
		}
		detail := widget.NewLabel(strings.Join(parts, " · "))
		if len(parts) == 0 {
			detail.SetText(lang.X("settings.doctype_all", "Every field, none required."))
		}
		detail.Wrapping = fyne.TextWrapWord
		rows.Add(container.NewVBox(name, detail))
	}
	return widget.NewCard(lang.X("settings.doctypes", "Document types"),
		lang.X("settings.doctypes_card", "Set in the configuration file, [[doctype]] tables: the fields each kind of document needs (* required)."),
		rows)
}

// askSecret asks for a password, passphrase or PIN and keeps it in the
// keyring under credential.
func (v *settingsView) askSecret(title, prompt, credential string) {
	entry := widget.NewPasswordEntry()
	v.form = map[string]*widget.Entry{"secret": entry}
	ring := v.w.svc.Keyring
	var s credentials.Secret
	help := widget.NewLabel(prompt)
	help.Wrapping = fyne.TextWrapWord
	v.showForm(title, lang.X("settings.store", "Keep in the keyring"), []*widget.FormItem{
		widget.NewFormItem("", help),
		widget.NewFormItem(lang.X("settings.secret", "Password"), entry),
	}, func() error {
		if s.IsZero() {
			return errors.New(lang.X("settings.secret_empty", "Type it first."))
		}
		return ring.Set(credential, s)
	}, func() {
		v.status.SetText(lang.X("settings.stored", "Kept in the keyring as {{.Name}}.", map[string]any{"Name": credential}))
	})
	tap := v.formOK.OnTapped
	v.formOK.OnTapped = func() {
		s = credentials.NewSecret(entry.Text)
		tap()
	}
	entry.OnSubmitted = func(string) { v.formOK.OnTapped() }
	v.w.win.Canvas().Focus(entry)
}
