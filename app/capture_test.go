package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/sane"
)

// The scanning tests drive the real SANE test backend. The test binary is
// the driver's child process too: started with saneChildEnv set, TestMain
// serves SANE instead of running the tests.
const saneChildEnv = "DEMAT_APP_SANE_CHILD"

func saneChild() {
	if err := sane.Serve(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// saneDrivers are the window's scanner drivers: SANE with the test
// backend alone (the machine's own scanners are neither used nor
// probed). beforePage, when set, is the driver's BeforePage.
func saneDrivers(t *testing.T, beforePage func(int) []scan.DeviceOption) []Driver {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dll.conf"), []byte("test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	command := func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, exe)
		// A race-enabled child would sleep a second on exit waiting for
		// late reports.
		gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
		cmd.Env = append(os.Environ(), saneChildEnv+"=1", "SANE_CONFIG_DIR="+dir, "GORACE="+gorace)
		return cmd
	}
	return []Driver{{Name: "sane", Source: sane.New(sane.Options{Command: command, Timeout: 30 * time.Second, BeforePage: beforePage})}}
}

// waitScanners waits until the devices are found and the chosen one's
// capabilities known, and checks the test backend's first device is the
// one chosen.
func waitScanners(t *testing.T, f *fixture) {
	t.Helper()
	s := &f.w.scanners
	f.ui.until(t, "the scanners", func() bool {
		_, known := s.caps[s.device]
		return !s.searching && (known || len(s.devices) == 0)
	})
	if s.device != "sane:test:0" {
		t.Fatalf("chosen device %q among %v (problems %q): the SANE test backend is missing: run make deps", s.device, s.devices, s.problems)
	}
}

// TestScan: in each language, the scanners are found at start, the
// feeder, a resolution and a colour are chosen, and Scan brings every
// sheet of the test backend's feeder as a page.
func TestScan(t *testing.T) {
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			f := newFixture(t, l.Code, func(s *Services) { s.Scanners = saneDrivers(t, nil) })
			w := f.w
			waitScanners(t, f)
			b := w.pages.scanBar
			if len(b.device.Options) != 2 || b.scan.Disabled() {
				t.Fatalf("devices %q, Scan disabled %v", b.device.Options, b.scan.Disabled())
			}
			if got := b.input.Selected; got != tr(l.Code, "scan.flatbed") {
				t.Errorf("source %q, want the flatbed (listed first)", got)
			}
			if got := b.resolution.Selected; !strings.Contains(got, "300") {
				t.Errorf("resolution %q, want 300 dpi", got)
			}
			b.input.SetSelected(tr(l.Code, "scan.feeder"))
			b.resolution.SetSelected(strings.ReplaceAll(tr(l.Code, "scan.dpi"), "{{.DPI}}", "75"))
			b.mode.SetSelected(tr(l.Code, "scan.gray"))
			if o := w.scanners.opt; o.Input != scan.Feeder || o.Resolution != 75 || o.Mode != scan.Gray {
				t.Fatalf("settings chosen %+v", o)
			}
			golden(t, f.win.Canvas(), l.Code+"/scan.xml")

			test.Tap(b.scan)
			if !w.busy() || !b.scan.Disabled() || !b.device.Disabled() || w.pages.cancel.Hidden {
				t.Fatal("scanning leaves Scan or the device enabled, or shows no Cancel")
			}
			f.ui.until(t, "the scan", func() bool { return !w.busy() })
			// The test backend's feeder holds 10 sheets.
			if n := len(w.doc.pages); n != 10 || w.pages.grid.Length() != 10 {
				t.Fatalf("%d pages scanned, want 10 (status %q)", n, w.pages.status.Text)
			}
			if p := w.doc.pages[0].scan; p.XDPI != 75 {
				t.Errorf("page at %v dpi", p.XDPI)
			}
			if got, want := w.pages.status.Text, strings.ReplaceAll(tr(l.Code, "pages.count"), "{{.N}}", "10"); got != want {
				t.Errorf("status %q", got)
			}
			// The settings survive a change of language, which rebuilds
			// the views.
			w.Rebuild()
			if w.pages.scanBar.input.Selected != tr(l.Code, "scan.feeder") {
				t.Errorf("after a rebuild the source is %q", w.pages.scanBar.input.Selected)
			}
		})
	}
}

// TestScanJam: a jam at the fourth sheet keeps the three pages scanned
// and says what to do, in the window's language.
func TestScanJam(t *testing.T) {
	jam := func(page int) []scan.DeviceOption {
		if page == 4 {
			return []scan.DeviceOption{{Name: "read-return-value", Value: "SANE_STATUS_JAMMED"}}
		}
		return nil
	}
	f := newFixture(t, "fr", func(s *Services) { s.Scanners = saneDrivers(t, jam) })
	w := f.w
	waitScanners(t, f)
	w.pages.scanBar.input.SetSelected(tr("fr", "scan.feeder"))
	w.pages.scanBar.resolution.SetSelected("75 ppp")
	w.Scan()
	f.ui.until(t, "the scan", func() bool { return !w.busy() })
	if n := len(w.doc.pages); n != 3 {
		t.Errorf("%d pages kept, want the 3 before the jam", n)
	}
	if got := w.pages.status.Text; !strings.Contains(got, tr("fr", "device.paper_jam")) || !strings.Contains(got, "3 page") {
		t.Errorf("status %q", got)
	}
}

// TestScanCancel: Cancel during a feeder scan stops the scanner and keeps
// the pages already delivered.
func TestScanCancel(t *testing.T) {
	var once sync.Once
	second := make(chan struct{})
	hold := make(chan struct{})
	f := newFixture(t, "en", func(s *Services) {
		s.Scanners = saneDrivers(t, func(page int) []scan.DeviceOption {
			if page == 2 {
				// Page 1 is delivered; page 2 waits until Cancel.
				once.Do(func() { close(second) })
				<-hold
			}
			return nil
		})
	})
	release := sync.OnceFunc(func() { close(hold) })
	defer release()
	w := f.w
	waitScanners(t, f)
	w.pages.scanBar.input.SetSelected("Feeder")
	w.pages.scanBar.resolution.SetSelected("75 dpi")
	w.Scan()
	<-second
	f.ui.until(t, "the first page", func() bool { return len(w.doc.pages) == 1 })
	test.Tap(w.pages.cancel)
	release()
	f.ui.until(t, "the cancelled scan", func() bool { return !w.busy() })
	if n := len(w.doc.pages); n != 1 {
		t.Errorf("%d pages kept, want the one delivered before Cancel", n)
	}
	if got := w.pages.status.Text; got != tr("en", "pages.import_cancelled") {
		t.Errorf("status %q", got)
	}
	if w.pages.scanBar.scan.Disabled() {
		t.Error("Scan stays disabled after Cancel")
	}
}
