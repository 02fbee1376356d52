package escl

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func seedCaptures(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed in testdata: %v", err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<scan:ScannerCapabilities><scan:Platen><scan:PlatenInputCaps><scan:SettingProfiles><scan:SettingProfile><scan:SupportedResolutions><scan:ResolutionRange><scan:XResolutionRange><scan:Min>1</scan:Min><scan:Max>99999</scan:Max><scan:Step>0</scan:Step></scan:XResolutionRange></scan:ResolutionRange></scan:SupportedResolutions></scan:SettingProfile></scan:SettingProfiles></scan:PlatenInputCaps></scan:Platen></scan:ScannerCapabilities>`))
}

// FuzzParseCaps: whatever a device sends, parsing ends without a panic,
// and capabilities it accepts convert to what scan.Caps promises.
func FuzzParseCaps(f *testing.F) {
	seedCaptures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseCaps(data)
		if err != nil {
			return
		}
		sc := c.toScan()
		if len(sc.Inputs) == 0 {
			t.Fatal("accepted capabilities without an input")
		}
		for _, in := range sc.Inputs {
			if !slices.IsSorted(in.Resolutions) {
				t.Fatalf("%s: resolutions not ascending: %v", in.Input, in.Resolutions)
			}
			for _, r := range in.Resolutions {
				if r <= 0 || r > 19200 {
					t.Fatalf("%s: resolution %d", in.Input, r)
				}
			}
			if in.MaxWidth < 0 || in.MaxHeight < 0 {
				t.Fatalf("%s: size %g×%g", in.Input, in.MaxWidth, in.MaxHeight)
			}
			ic := c.input(in.Input)
			if r := ic.pickResolution(300); r <= 0 {
				t.Fatalf("%s: picked resolution %d", in.Input, r)
			}
			ic.pickFormat()
		}
	})
}

// FuzzParseStatus: whatever a device sends, parsing and mapping end
// without a panic.
func FuzzParseStatus(f *testing.F) {
	seedCaptures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseStatus(data)
		if err != nil {
			return
		}
		s.precheck(true)
		s.precheck(false)
		s.feederEmpty()
	})
}
