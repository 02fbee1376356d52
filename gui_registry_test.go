package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/assets"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/outbox"
)

// TestRegistryDesk is the clerk's flow at the registry desk, in each
// language, over the window's real services (register, stamp, signing,
// receipt, outbox and a folder target in temporary folders): the sample
// page, the Registry desk tab filled in, one button; the number shown
// is the register's, the target receives the stamped and signed PDF,
// and demat receipt verify accepts the receipt.
func TestRegistryDesk(t *testing.T) {
	dir := t.TempDir()
	const pass = "bureau d'ordre"
	p12, _ := testPKI(t, dir, pass)
	archives := filepath.Join(dir, "archives")
	os.Mkdir(archives, 0o755)
	cfgPath := filepath.Join(dir, "config.toml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("[register]\nservice = \"Bureau d'ordre central\"\n\n[[target]]\nname = \"archives\"\nkind = \"folder\"\nurl = %q\n\n[[certificate]]\nname = \"agent\"\nfile = %q\n",
		archives, p12)), 0o600)
	t.Setenv("DEMAT_CONFIG", cfgPath)
	t.Setenv("DEMAT_DATA", filepath.Join(dir, "data"))
	ring := credentials.New()
	if err := ring.Set("agent.p12", credentials.NewSecret(pass)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ring.Delete("agent.p12") })

	for i, tc := range []struct{ code, layout string }{{"en", "a4"}, {"fr", "a5"}, {"ar", "80mm"}} {
		t.Run(tc.code, func(t *testing.T) {
			d := newDesk(t, tc.code)
			d.tap(t, tr(tc.code, "pages.sample"))
			d.until(t, "the sample page", func() bool {
				return d.button(tr(tc.code, "pages.sample")) == nil && d.button(tr(tc.code, "common.cancel")) == nil
			})

			d.selectTab(t, tr(tc.code, "tab.registry"))
			d.entry(t, tr(tc.code, "registry.sender")).SetText("Commune de Bellerive")
			d.entry(t, tr(tc.code, "registry.recipient")).SetText("Service de l'urbanisme")
			d.entry(t, tr(tc.code, "field.subject")).SetText("Demande de permis de construire")
			d.entry(t, tr(tc.code, "field.reference")).SetText(fmt.Sprintf("URB/2026/%d", 118+i))
			d.choose(t, tr(tc.code, "finish.sign_with"), "agent")
			d.choose(t, tr(tc.code, "registry.send_to"), "archives")
			d.choose(t, tr(tc.code, "registry.paper_lang"), map[string]string{"en": "English", "fr": "Français", "ar": "العربية"}[tc.code])
			d.choose(t, tr(tc.code, "registry.layout"), tr(tc.code, map[string]string{"a4": "registry.a4", "a5": "registry.a5", "80mm": "registry.80mm"}[tc.layout]))
			d.tap(t, tr(tc.code, "registry.run"))
			var shown string
			d.until(t, "the number", func() bool {
				if n := d.number(); n != nil {
					shown = n.Text
				}
				return shown != ""
			})

			es, err := d.reg.List(context.Background(), register.Filter{})
			if err != nil || len(es) != i+1 {
				t.Fatalf("%d entries (%v), want %d", len(es), err, i+1)
			}
			e := es[i]
			if shown != e.Number || e.State != register.Registered || e.Sender != "Commune de Bellerive" || e.Recipient != "Service de l'urbanisme" || e.Kind != register.Incoming {
				t.Fatalf("shown %q; entry %+v", shown, e)
			}
			if p := d.button(tr(tc.code, "registry.print")); p == nil || p.Hidden || d.label(tr(tc.code, "registry.print_viewer")) == nil {
				t.Error("no Print the receipt, or it does not say how it prints")
			}
			// Pressed again, the same item is not numbered twice.
			d.tap(t, tr(tc.code, "registry.run"))
			if es, _ := d.reg.List(context.Background(), register.Filter{}); len(es) != i+1 ||
				d.label(strings.ReplaceAll(tr(tc.code, "registry.already"), "{{.Number}}", shown)) == nil {
				t.Errorf("pressed again: %d entries, or no word of the number already given", len(es))
			}

			// The PDF kept is the register's, stamped and signed.
			if sum, _, _ := register.HashFile(e.File); sum != e.SHA256 {
				t.Errorf("the register's hash is not the PDF's %s", e.File)
			}
			if txt := testenv.PDFText(t, e.File); !strings.Contains(txt, e.Number) || !strings.Contains(txt, "Bureau d'ordre central") {
				t.Errorf("no stamp's words on page 1:\n%s", txt)
			}
			if code, out, _ := runCLI("verify", e.File); !strings.Contains(out, "Agent du bureau d'ordre") {
				t.Errorf("verify %d: %s", code, out)
			}

			// The outbox delivers it to the target.
			d.deliver(t)
			var delivered string
			filepath.WalkDir(archives, func(p string, de os.DirEntry, err error) error {
				if err == nil && !de.IsDir() {
					if desc, err := pdf.Describe(p); err == nil && desc.Meta.RegistrationNumber == e.Number {
						delivered = p
					}
				}
				return nil
			})
			if delivered == "" {
				t.Fatalf("no PDF numbered %s in the target", e.Number)
			}
			if sum, _, _ := register.HashFile(delivered); sum != e.SHA256 {
				t.Error("the target's PDF is not the registered one")
			}

			// The receipt, beside the PDF, is genuine and matches.
			rec := strings.TrimSuffix(e.File, ".pdf") + ".receipt.pdf"
			code, out, stderr := runCLI("receipt", "verify", rec)
			if code != 0 || !strings.Contains(out, "Matches the register: "+e.Number) {
				t.Errorf("receipt verify %d: %s%s", code, out, stderr)
			}
			if got := d.a.Preferences().String("registry_receipt_layout"); got != tc.layout {
				t.Errorf("receipt layout remembered as %q", got)
			}
		})
	}
}

// TestRegistryDeskCancel: a registration stopped after its number was
// taken voids the number, as demat process does on Ctrl-C, says so in
// words and keeps the pages.
func TestRegistryDeskCancel(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DEMAT_CONFIG", filepath.Join(dir, "config.toml"))
	t.Setenv("DEMAT_DATA", filepath.Join(dir, "data"))
	d := newDesk(t, "fr")
	d.tap(t, tr("fr", "pages.sample"))
	d.until(t, "the sample page", func() bool {
		return d.button(tr("fr", "pages.sample")) == nil && d.button(tr("fr", "common.cancel")) == nil
	})
	d.selectTab(t, tr("fr", "tab.registry"))
	d.entry(t, tr("fr", "registry.sender")).SetText("Société Atlas")
	d.tap(t, tr("fr", "registry.run"))
	pending := func() []register.Entry {
		es, _ := d.reg.List(context.Background(), register.Filter{})
		return es
	}
	d.until(t, "the number", func() bool { return len(pending()) == 1 })
	d.tap(t, tr("fr", "common.cancel"))
	d.until(t, "the end of the job", func() bool { return !d.button(tr("fr", "registry.run")).Disabled() })
	es := pending()
	if len(es) != 1 || es[0].State != register.Void || es[0].Note != "cancelled" {
		t.Fatalf("entries %+v, want one void (cancelled)", es)
	}
	if d.number() != nil {
		t.Error("a number is shown big for a registration stopped")
	}
	want := tr("fr", "registry.cancelled") + " " + strings.ReplaceAll(tr("fr", "registry.voided"), "{{.Number}}", es[0].Number)
	if d.label(want) == nil {
		t.Errorf("the window does not say %q", want)
	}
	d.selectTab(t, tr("fr", "tab.pages"))
	if b := d.button(tr("fr", "pages.sample")); b != nil {
		t.Error("the pages were lost")
	}
}

// desk is the window over the program's services in a temporary data
// folder.
type desk struct {
	a   *loopApp
	win fyne.Window
	w   *app.Window
	reg *register.Register
	ob  *outbox.Outbox
	gc  *guiConfig
}

func newDesk(t *testing.T, code string) *desk {
	t.Helper()
	t.Setenv("LANGUAGE", os.Getenv("LANGUAGE"))
	ctx := context.Background()
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ob, err := openOutbox(ctx, logger)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := openRegister(ctx, logger)
	if err != nil {
		t.Fatal(err)
	}
	gc := newGUIConfig(cfg, logger)
	svc := gc.services(ob)
	svc.Register = guiRegister{r: reg, ob: ob, logger: logger}
	gr, err := newGUIRegistry(gc, reg, ob, logger)
	if err != nil {
		t.Fatal(err)
	}
	gr.wire(&svc)
	svc.PrintReceipt = nil // never a real printer: the viewer's way is shown
	svc.Languages = []string{"eng"}
	a := newLoopApp(t)
	a.Preferences().SetString("language", code)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1000, 900))
	w := app.New(a, win, svc)
	t.Cleanup(func() {
		reg.Close()
		ob.Close()
	})
	return &desk{a: a, win: win, w: w, reg: reg, ob: ob, gc: gc}
}

// deliver runs the outbox until what is queued is delivered.
func (d *desk) deliver(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.ob.Run(ctx, outbox.RunOptions{Targets: d.gc, Mode: outbox.Settled}); err != nil {
		t.Fatal(err)
	}
}

// walk calls fn on every object shown in the window, as a person sees
// them: containers, cards, forms, scrolls, tabs' selected content.
func (d *desk) walk(fn func(fyne.CanvasObject)) {
	var visit func(o fyne.CanvasObject)
	visit = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		fn(o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				visit(c)
			}
		case *container.Scroll:
			visit(x.Content)
		case *widget.Card:
			visit(x.Content)
		case *widget.Form:
			for _, it := range x.Items {
				visit(it.Widget)
			}
		case *container.AppTabs:
			if s := x.Selected(); s != nil {
				visit(s.Content)
			}
		case fyne.Widget:
			if _, leaf := o.(*widget.Entry); leaf {
				return
			}
			for _, c := range test.WidgetRenderer(x).Objects() {
				visit(c)
			}
		}
	}
	visit(d.win.Content())
}

func (d *desk) button(text string) *widget.Button {
	var b *widget.Button
	d.walk(func(o fyne.CanvasObject) {
		if x, ok := o.(*widget.Button); ok && x.Text == text && b == nil {
			b = x
		}
	})
	return b
}

func (d *desk) label(text string) *widget.Label {
	var l *widget.Label
	d.walk(func(o fyne.CanvasObject) {
		if x, ok := o.(*widget.Label); ok && x.Text == text && l == nil {
			l = x
		}
	})
	return l
}

// number is the big number shown once an item is registered.
func (d *desk) number() *canvas.Text {
	var n *canvas.Text
	d.walk(func(o fyne.CanvasObject) {
		if x, ok := o.(*canvas.Text); ok && x.TextSize >= 30 && x.Text != "" {
			n = x
		}
	})
	return n
}

// formItem is the widget of the form line labelled label.
func (d *desk) formItem(t *testing.T, label string) fyne.CanvasObject {
	t.Helper()
	var w fyne.CanvasObject
	d.walk(func(o fyne.CanvasObject) {
		if f, ok := o.(*widget.Form); ok {
			for _, it := range f.Items {
				if it.Text == label && w == nil {
					w = it.Widget
				}
			}
		}
	})
	if w == nil {
		t.Fatalf("no form line %q", label)
	}
	return w
}

func (d *desk) entry(t *testing.T, label string) *widget.Entry {
	t.Helper()
	return d.formItem(t, label).(*widget.Entry)
}

func (d *desk) choose(t *testing.T, label, option string) {
	t.Helper()
	s := d.formItem(t, label).(*widget.Select)
	s.SetSelected(option)
	if s.Selected != option {
		t.Fatalf("%s: no option %q in %q", label, option, s.Options)
	}
}

func (d *desk) tap(t *testing.T, text string) {
	t.Helper()
	b := d.button(text)
	if b == nil {
		t.Fatalf("no button %q", text)
	}
	test.Tap(b)
}

func (d *desk) selectTab(t *testing.T, text string) {
	t.Helper()
	tabs, ok := d.win.Content().(*container.AppTabs)
	if !ok {
		t.Fatal("the window shows no tabs")
	}
	for _, it := range tabs.Items {
		if it.Text == text {
			tabs.Select(it)
			return
		}
	}
	t.Fatalf("no tab %q", text)
}

// until runs the window's queued work until cond holds.
func (d *desk) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !d.a.drv.until(what, cond) {
		var said []string
		d.walk(func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && l.Text != "" {
				said = append(said, l.Text)
			}
		})
		t.Fatalf("timed out waiting for %s; the window says:\n%s", what, strings.Join(said, "\n"))
	}
}

// tr gives the translation of key in language code.
func tr(code, key string) string {
	data, err := assets.Translations.ReadFile("translations/" + code + ".json")
	if err != nil {
		panic(err)
	}
	m := map[string]string{}
	json.Unmarshal(data, &m)
	if v, ok := m[key]; ok {
		return v
	}
	panic("no translation " + key + " in " + code)
}

// loopApp is Fyne's test app whose fyne.Do hands functions to the test
// goroutine, which plays the UI goroutine (as app's tests do): jobs touch
// widgets only there.
type loopApp struct {
	fyne.App
	drv *loopDriver
}

func (a *loopApp) Driver() fyne.Driver { return a.drv }

type loopDriver struct {
	fyne.Driver
	calls  chan func()
	closed atomic.Bool // the test is over: late reports are dropped
}

func (d *loopDriver) DoFromGoroutine(f func(), wait bool) {
	if d.closed.Load() {
		return
	}
	done := make(chan struct{})
	d.calls <- func() { defer close(done); f() }
	if wait {
		<-done
	}
}

func (d *loopDriver) until(what string, cond func() bool) bool {
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	for !cond() {
		select {
		case f := <-d.calls:
			f()
		case <-deadline.C:
			return false
		}
	}
	return true
}

func newLoopApp(t *testing.T) *loopApp {
	var la *loopApp
	// Last of the cleanups: a job's late report must not run on its own
	// goroutine under the plain test app (see app's newLoopApp).
	t.Cleanup(func() {
		la.drv.closed.Store(true)
		fyne.SetCurrentApp(la)
	})
	a := test.NewTempApp(t)
	la = &loopApp{App: a, drv: &loopDriver{Driver: a.Driver(), calls: make(chan func(), 4096)}}
	fyne.SetCurrentApp(la)
	return la
}
