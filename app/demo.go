package app

// Demo puts the window in a state worth showing, for the screenshots in
// docs/screenshots (made by the main package's TestScreenshots): pages,
// page (the page view of the sample page, its text recognised),
// describe, sign, passphrase, settings, add-target, registry. Call it on
// the UI goroutine.
func (w *Window) Demo(screen string) {
	switch screen {
	case "pages":
		w.show(w.pages.content)
		if len(w.doc.pages) == 0 {
			w.pages.Sample()
		}
	case "page":
		w.show(w.pages.content)
		if len(w.doc.pages) == 0 {
			w.pages.Sample()
		}
		w.whenIdle(func() {
			w.pages.page.readOnLoad = true
			w.pages.Open(0)
		})
	case "registry":
		w.DemoRegistry()
	case "describe":
		w.show(w.describe.content)
	case "sign", "passphrase":
		w.show(w.finish.content)
		if f := w.finish; f.signWith != nil && len(f.certs) > 0 {
			f.signWith.SetSelected(f.certs[0].Name)
			if screen == "passphrase" {
				f.askSecret(f.certs[0], "", func(secretAnswer) {})
			}
		}
	case "register":
		if w.register != nil {
			w.show(w.register.content)
			w.register.reload()
		}
	case "settings":
		w.show(w.settings.content)
	case "add-target":
		w.show(w.settings.content)
		if w.settings.addTarget != nil {
			w.settings.askTarget()
		}
	}
}
