package escl

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/demat-app/demat/scan"
)

// scanSettings reads a ScanSettings document by full names, namespaces
// included, the way a strict device does.
type scanSettings struct {
	XMLName xml.Name `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 ScanSettings"`
	Version string   `xml:"http://www.pwg.org/schemas/2010/12/sm Version"`
	Intent  string   `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 Intent"`
	Regions []struct {
		Height  int    `xml:"http://www.pwg.org/schemas/2010/12/sm Height"`
		Units   string `xml:"http://www.pwg.org/schemas/2010/12/sm ContentRegionUnits"`
		Width   int    `xml:"http://www.pwg.org/schemas/2010/12/sm Width"`
		XOffset int    `xml:"http://www.pwg.org/schemas/2010/12/sm XOffset"`
		YOffset int    `xml:"http://www.pwg.org/schemas/2010/12/sm YOffset"`
	} `xml:"http://www.pwg.org/schemas/2010/12/sm ScanRegions>ScanRegion"`
	InputSource string  `xml:"http://www.pwg.org/schemas/2010/12/sm InputSource"`
	ColorMode   string  `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 ColorMode"`
	Format      string  `xml:"http://www.pwg.org/schemas/2010/12/sm DocumentFormat"`
	FormatExt   string  `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 DocumentFormatExt"`
	XRes        int     `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 XResolution"`
	YRes        int     `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 YResolution"`
	Duplex      *string `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 Duplex"`
}

func TestSettings(t *testing.T) {
	hp, err := parseCaps(readTestdata(t, "HP-LaserJet-MFP-M426fdn-ScannerCapabilities.xml"))
	if err != nil {
		t.Fatal(err)
	}
	ky, err := parseCaps(readTestdata(t, "Kyocera-ECOSYS-M2040dn-ScannerCapabilities.xml"))
	if err != nil {
		t.Fatal(err)
	}
	a5 := scan.Area{X: 10, Y: 20, Width: 148, Height: 210}
	for _, tc := range []struct {
		name      string
		caps      capabilities
		opt       scan.Options
		want      scanSettings
		region    [4]int // height, width, x, y
		duplex    string // "" when not sent
		warnings  int
		formatExt bool
	}{
		{"hp flatbed whole glass", hp, scan.Options{Input: scan.Flatbed, Resolution: 300, Mode: scan.Color},
			scanSettings{Version: "2.5", Intent: "TextAndGraphic", InputSource: "Platen", ColorMode: "RGB24", Format: "image/jpeg", XRes: 300, YRes: 300},
			[4]int{3508, 2550, 0, 0}, "", 0, true},
		{"hp duplex grey, unsupported dpi moved", hp, scan.Options{Input: scan.Duplex, Resolution: 250, Mode: scan.Gray},
			scanSettings{Version: "2.5", Intent: "TextAndGraphic", InputSource: "Feeder", ColorMode: "Grayscale8", Format: "image/jpeg", XRes: 300, YRes: 300},
			[4]int{4500, 2550, 0, 0}, "true", 1, true},
		{"kyocera feeder area, no DocumentFormatExt", ky, scan.Options{Input: scan.Feeder, Resolution: 200, Mode: scan.BW, Area: a5},
			scanSettings{Version: "2.62", Intent: "TextAndGraphic", InputSource: "Feeder", ColorMode: "BlackAndWhite1", Format: "image/jpeg", XRes: 200, YRes: 200},
			[4]int{2480, 1748, 118, 236}, "false", 0, false},
		{"area clamped to the glass", ky, scan.Options{Input: scan.Flatbed, Resolution: 300, Mode: scan.Color, Area: scan.Area{X: 200, Y: 0, Width: 100, Height: 400}},
			scanSettings{Version: "2.62", Intent: "TextAndGraphic", InputSource: "Platen", ColorMode: "RGB24", Format: "image/jpeg", XRes: 300, YRes: 300},
			[4]int{3508, 189, 2362, 0}, "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, warnings, err := newSettings(tc.caps, tc.caps.input(tc.opt.Input), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != tc.warnings {
				t.Errorf("warnings %q", warnings)
			}
			doc := set.marshal()
			var got scanSettings
			if err := xml.Unmarshal(doc, &got); err != nil {
				t.Fatalf("%v\n%s", err, doc)
			}
			if len(got.Regions) != 1 {
				t.Fatalf("%d regions\n%s", len(got.Regions), doc)
			}
			r := got.Regions[0]
			if [4]int{r.Height, r.Width, r.XOffset, r.YOffset} != tc.region || r.Units != "escl:ThreeHundredthsOfInches" {
				t.Errorf("region %+v, want %v", r, tc.region)
			}
			duplex := ""
			if got.Duplex != nil {
				duplex = *got.Duplex
			}
			if duplex != tc.duplex {
				t.Errorf("duplex %q, want %q", duplex, tc.duplex)
			}
			if (got.FormatExt != "") != tc.formatExt || (tc.formatExt && got.FormatExt != got.Format) {
				t.Errorf("DocumentFormatExt %q", got.FormatExt)
			}
			tc.want.XMLName, tc.want.Regions, tc.want.Duplex, tc.want.FormatExt = got.XMLName, got.Regions, got.Duplex, got.FormatExt
			if got.Version != tc.want.Version || got.Intent != tc.want.Intent || got.InputSource != tc.want.InputSource ||
				got.ColorMode != tc.want.ColorMode || got.Format != tc.want.Format || got.XRes != tc.want.XRes || got.YRes != tc.want.YRes {
				t.Errorf("settings\n%+v\nwant\n%+v\n%s", got, tc.want, doc)
			}
		})
	}
}

func TestSettingsOrder(t *testing.T) {
	// Some firmware validates the sequence: keep the order devices are
	// known to take.
	set := settings{version: "2.0", input: scan.Duplex, mode: "RGB24", resolution: 300, width: 2550, height: 3508, format: "image/jpeg", formatExt: true}
	doc := string(set.marshal())
	var seq []int
	for _, e := range []string{"pwg:Version", "pwg:ScanRegions", "pwg:InputSource", "scan:ColorMode", "pwg:DocumentFormat",
		"scan:DocumentFormatExt", "scan:XResolution", "scan:YResolution", "scan:Duplex"} {
		i := strings.Index(doc, "<"+e+">")
		if i < 0 {
			t.Fatalf("no %s in\n%s", e, doc)
		}
		seq = append(seq, i)
	}
	if !slices.IsSorted(seq) {
		t.Errorf("elements out of order:\n%s", doc)
	}
	if strings.Contains(doc, "<scan:Intent>") {
		t.Error("intent sent though none was chosen")
	}
}
