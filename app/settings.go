package app

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/ocr"
)

// prefOCRLanguages is the preference holding the OCR languages
// ("fra+ara"); empty for Services.Languages.
const prefOCRLanguages = "ocr_languages"

// settingsView is the Settings screen: the interface language and the
// languages text is recognised in, kept in the app's preferences.
type settingsView struct {
	w       *Window
	content fyne.CanvasObject

	language *widget.Select
	ocr      *widget.Entry
	status   *widget.Label
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
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	form := widget.NewForm(
		widget.NewFormItem(lang.X("settings.language", "Language of the window"), v.language),
		widget.NewFormItem(lang.X("settings.ocr", "Languages of the documents (text recognition)"), v.ocr),
	)
	help := widget.NewLabel(lang.X("settings.targets_help", "Where documents can be sent is set up in a terminal: demat target add. Without it, they go to the demat folder in your documents."))
	help.Wrapping = fyne.TextWrapWord
	v.content = container.NewVBox(form, v.status, help)
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
