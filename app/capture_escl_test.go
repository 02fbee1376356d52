package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/scan/escl"
	"github.com/demat-app/demat/scan/escl/escltest"
)

// A network scanner that is not announced is added by typing its
// address: a wrong address or one where nothing answers is said in the
// dialog; a real one is asked what it can do, chosen, scans, and is
// listed again at the next start.
func TestScanByAddress(t *testing.T) {
	srv := escltest.New(t, escltest.Config{Sheets: 2})
	var prefs []string
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			withESCL := func(s *Services) {
				s.Scanners = []Driver{{Name: "escl", Source: escl.New(escl.Options{DisableDiscovery: true})}}
				s.DeviceAt = escl.DeviceFor
			}
			f := newFixture(t, l.Code, withESCL)
			w := f.w
			s := &w.scanners
			f.ui.until(t, "the search", func() bool { return !s.searching })
			b := w.pages.scanBar
			if b.byAddress == nil || b.byAddress.Disabled() {
				t.Fatal("no way to add a scanner by its address")
			}

			test.Tap(b.byAddress)
			test.Type(b.addrEntry, "http://")
			test.Tap(b.addrOK)
			if b.addrError.Hidden || !strings.Contains(b.addrError.Text, strings.Split(tr(l.Code, "scan.address_bad"), "{{")[0]) {
				t.Errorf("a bad address: %q", b.addrError.Text)
			}
			b.addrEntry.SetText("http://127.0.0.1:1/eSCL")
			test.Tap(b.addrOK)
			f.ui.until(t, "the refusal", func() bool { return !b.addrOK.Disabled() && strings.Contains(b.addrError.Text, "127.0.0.1:1") })
			if s.device != "" || len(s.typed) != 0 {
				t.Fatalf("a scanner that does not answer was added: %q", s.device)
			}

			// As a person copies it from the scanner's web page.
			b.addrEntry.SetText(srv.URL + "/ScannerCapabilities")
			test.Tap(b.addrOK)
			f.ui.until(t, "the scanner added", func() bool { _, ok := s.caps[srv.ID]; return ok && s.device == srv.ID })
			if b.device.Selected == "" || b.scan.Disabled() {
				t.Fatalf("device shown %q, Scan disabled %v", b.device.Selected, b.scan.Disabled())
			}
			b.input.SetSelected(tr(l.Code, "scan.feeder"))
			test.Tap(b.scan)
			f.ui.until(t, "the scan", func() bool { return !w.busy() })
			if len(w.doc.pages) != 2 {
				t.Fatalf("%d pages scanned, want the feeder's 2 (status %q)", len(w.doc.pages), w.pages.status.Text)
			}
			prefs = w.app.Preferences().StringList(prefScannerAddresses)
			if len(prefs) != 1 {
				t.Fatalf("addresses remembered %q", prefs)
			}

			// The next start reads the address back and lists it with
			// the scanners found.
			s.typed, s.devices = nil, nil
			w.loadTypedScanners()
			w.FindDevices()
			f.ui.until(t, "the search", func() bool { return !s.searching })
			if !containsDevice(s.devices, srv.ID) {
				t.Errorf("after a new search the devices are %v", s.devices)
			}
		})
	}
}
