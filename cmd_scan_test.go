package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/scan/escl"
	"github.com/demat-app/demat/scan/escl/escltest"
)

// A real device's capabilities, served on loopback: devices reports what
// it can do, scan returns every page it hands out, in order.
func TestESCLCLI(t *testing.T) {
	caps, err := os.ReadFile(filepath.Join("scan", "escl", "testdata", "HP-LaserJet-MFP-M426fdn-ScannerCapabilities.xml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := escltest.New(t, escltest.Config{Caps: caps, Sheets: 4})

	code, out, errOut := runCLI("devices", "--escl", srv.URL, "--json")
	if code != 0 {
		t.Fatalf("devices: exit %d: %s", code, errOut)
	}
	var list struct {
		Devices []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Caps struct {
				Inputs []struct {
					Input       string   `json:"input"`
					Resolutions []int    `json:"resolutions"`
					Modes       []string `json:"modes"`
				} `json:"inputs"`
			} `json:"caps"`
		} `json:"devices"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("devices --json: %v\n%s", err, out)
	}
	var id string
	for _, d := range list.Devices {
		if d.ID == srv.ID {
			id = d.ID
			var inputs []string
			for _, in := range d.Caps.Inputs {
				inputs = append(inputs, in.Input)
				if len(in.Resolutions) == 0 || len(in.Modes) == 0 {
					t.Errorf("%s: no resolutions or modes: %+v", in.Input, in)
				}
			}
			if got := strings.Join(inputs, ","); got != "flatbed,feeder,duplex" {
				t.Errorf("inputs %s, want the M426fdn's flatbed,feeder,duplex", got)
			}
		}
	}
	if id == "" {
		t.Fatalf("devices did not list %s:\n%s", srv.ID, out)
	}

	pdf := filepath.Join(t.TempDir(), "out.pdf")
	code, _, errOut = runCLI("scan", "--device", id, "--source", "feeder", "--resolution", "150", "-l", "eng", "-o", pdf)
	if code != 0 {
		t.Fatalf("scan: exit %d: %s", code, errOut)
	}
	pages := strings.Split(strings.TrimRight(testenv.PDFText(t, pdf), "\f"), "\f")
	if len(pages) != 4 {
		t.Fatalf("PDF has %d pages, want 4", len(pages))
	}
	for i, p := range pages {
		if want := escltest.PageLabel(i + 1); !strings.Contains(p, want) {
			t.Errorf("page %d does not read %q:\n%s", i+1, want, p)
		}
	}
}

// A jam after two pages: the two pages are written, the message says what
// happened after which page and what to do, and the exit status is 3.
func TestESCLJamCLI(t *testing.T) {
	srv := escltest.New(t, escltest.Config{Sheets: 5, Faults: escltest.Faults{JamAfter: 2}})
	pdf := filepath.Join(t.TempDir(), "out.pdf")
	code, _, errOut := runCLI("scan", "--device", srv.ID, "--source", "feeder", "--resolution", "300", "-l", "eng", "-o", pdf)
	if code != 3 {
		t.Fatalf("exit %d, want 3: %s", code, errOut)
	}
	t.Logf("stderr: %s", errOut)
	for _, want := range []string{"paper jam", "after page 2", "remove the stuck sheet"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("message does not say %q:\n%s", want, errOut)
		}
	}
	pages := strings.Split(strings.TrimRight(testenv.PDFText(t, pdf), "\f"), "\f")
	if len(pages) != 2 || !strings.Contains(pages[1], escltest.PageLabel(2)) {
		t.Errorf("PDF pages %q, want the 2 pages before the jam", pages)
	}
}

// A scanner's self-signed certificate is refused with its fingerprint and
// the flag to pin it, and accepted once pinned.
func TestESCLPinCLI(t *testing.T) {
	srv := escltest.New(t, escltest.Config{TLS: true, Sheets: 1})
	host := strings.TrimPrefix(strings.TrimSuffix(srv.URL, "/eSCL"), "https://")
	fp := escl.Fingerprint(srv.Certificate)
	pdf := filepath.Join(t.TempDir(), "out.pdf")
	code, _, errOut := runCLI("scan", "--device", srv.ID, "-l", "eng", "-o", pdf)
	if code == 0 || !strings.Contains(errOut, "--pin "+host+"="+fp) {
		t.Fatalf("unpinned: exit %d, want a refusal saying how to pin: %s", code, errOut)
	}
	code, _, errOut = runCLI("scan", "--device", srv.ID, "--pin", host+"="+fp, "-l", "eng", "-o", pdf)
	if code != 0 {
		t.Fatalf("pinned: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI("scan", "--device", srv.ID, "--pin", "nonsense", "-o", pdf); code != 2 {
		t.Errorf("bad --pin: exit %d: %s", code, errOut)
	}
}
