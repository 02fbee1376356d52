package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/internal/receipt"
	"github.com/demat-app/demat/internal/register"
)

// TestRegistryForm: the Registry desk tab is there only with a registry
// service; its form is prefilled from Describe; the request it makes
// carries the description, the direction, the stamp and the receipt's
// paper and language, which are remembered; a registration that fails
// after its number was taken says so in words, with the number voided,
// and keeps the pages. (The main package's TestRegistryDesk runs the
// real registration.)
func TestRegistryForm(t *testing.T) {
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			var got RegistryRequest
			f := newFixture(t, l.Code, func(s *Services) {
				s.Registry = func(ctx context.Context, req RegistryRequest) (RegistryResult, error) {
					got = req
					req.Step(StepNumber)
					// The pipeline failing after the number was taken.
					e := register.Entry{Number: "2025/A/000007", Kind: req.Kind, State: register.Void, Note: "failed: disk full"}
					return RegistryResult{Entry: e}, errors.New("disk full")
				}
			})
			w := f.w
			if w.registry == nil || w.tabs.Items[3].Content != w.registry.content {
				t.Fatal("no Registry desk tab after Save and send")
			}
			f.importPages(t, "phototest.tif")
			test.Type(w.describe.entries["sender"], "Commune de Salé")
			test.Type(w.describe.entries["reference"], "CS/2025/12")
			w.show(w.registry.content)
			v := w.registry
			if v.entries["sender"].Text != "Commune de Salé" || v.entries["reference"].Text != "CS/2025/12" {
				t.Errorf("not prefilled from Describe: %q %q", v.entries["sender"].Text, v.entries["reference"].Text)
			}
			if !v.stamp.Checked {
				t.Error("incoming mail is not stamped by default")
			}
			v.direction.SetSelected(directions()[2].label) // internal
			if v.stamp.Checked {
				t.Error("an internal item is stamped by default")
			}
			v.stamp.SetChecked(true)
			v.entries["subject"].SetText("Note de service")
			v.paperLang.SetSelected("العربية")
			v.layout.SetSelected(layouts()[2].label)
			if !v.receiptWhy.Visible() || !v.receipt.Disabled() {
				t.Error("with no certificate, the receipt is offered")
			}
			test.Tap(v.run)
			f.ui.until(t, "the registration", func() bool { return !w.busy() })

			m := got.Options.PDF.Meta
			if got.Kind != register.Internal || m.Direction != "internal" || m.Sender != "Commune de Salé" || m.Subject != "Note de service" || len(got.Pages) != 1 {
				t.Errorf("request %+v, meta %+v", got, m)
			}
			if !got.Stamp || got.StampLang != "ar" || got.Receipt.Layout != receipt.Strip || got.Receipt.Lang != "ar" || got.Desk != nil || got.Target != "documents" {
				t.Errorf("stamp %v %q, receipt %+v, desk %v, target %q", got.Stamp, got.StampLang, got.Receipt, got.Desk, got.Target)
			}
			prefs := w.app.Preferences()
			if prefs.String(prefReceiptLayout) != "80mm" || prefs.String(prefReceiptLang) != "ar" {
				t.Error("the receipt's paper and language are not remembered")
			}
			if !strings.Contains(v.status.Text, "disk full") || !strings.Contains(v.status.Text, "2025/A/000007") {
				t.Errorf("status %q", v.status.Text)
			}
			if v.done.Visible() || len(w.doc.pages) != 1 || v.run.Disabled() {
				t.Error("after a failure: the outcome is shown, the pages are gone or the button is off")
			}

			// Rebuilt (the language changed), the choices come back.
			w.Rebuild()
			if w.registry.layout.Selected != layouts()[2].label || w.registry.paperLang.Selected != "العربية" {
				t.Error("the receipt's choices are not kept")
			}
		})
	}
}

// The registry desk's outcome (the number in large type, what was done,
// Print the receipt) stays on screen when the language changes, in the
// new language, until Next item.
func TestRegistryOutcomeKept(t *testing.T) {
	f := newFixture(t, "en", func(s *Services) {
		s.Registry = func(ctx context.Context, req RegistryRequest) (RegistryResult, error) {
			e := register.Entry{Number: "2025/A/000008", Kind: req.Kind, State: register.Registered, Pages: 1}
			return RegistryResult{Entry: e}, nil
		}
	})
	w := f.w
	f.importPages(t, "phototest.tif")
	w.show(w.registry.content)
	w.registry.entries["sender"].SetText("Commune de Salé")
	test.Tap(w.registry.run)
	f.ui.until(t, "the registration", func() bool { return !w.busy() })
	if v := w.registry; !v.done.Visible() || v.number.Text != "2025/A/000008" {
		t.Fatalf("outcome not shown: %q, status %q", v.number.Text, v.status.Text)
	}
	english := w.registry.doneText.Text
	t.Cleanup(func() { SetLanguage("en") })
	if err := SetLanguage("fr"); err != nil {
		t.Fatal(err)
	}
	w.Rebuild()
	if v := w.registry; !v.done.Visible() || v.number.Text != "2025/A/000008" || v.doneText.Text == english || v.doneText.Text == "" {
		t.Errorf("after the language changed: shown %v, number %q, text %q", v.done.Visible(), v.number.Text, v.doneText.Text)
	}
	w.Clear()
	if w.registry.done.Visible() || w.doc.registryShown != nil {
		t.Error("Next item left the outcome on screen")
	}
}
