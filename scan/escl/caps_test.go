package escl

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/demat-app/demat/scan"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCapsCaptures maps the capabilities real devices sent.
func TestCapsCaptures(t *testing.T) {
	for _, tc := range []struct {
		file         string
		makeAndModel string
		uuid         string
		version      string
		want         scan.Caps
		format       string // chosen page format, flatbed or first input
		formatExt    bool
	}{
		{
			file: "HP-LaserJet-MFP-M426fdn-ScannerCapabilities.xml", makeAndModel: "HP LaserJet MFP M426fdn", version: "2.5",
			want: scan.Caps{Inputs: []scan.InputCaps{
				{Input: scan.Flatbed, Resolutions: []int{75, 200, 300, 600, 1200}, Modes: []scan.Mode{scan.Color, scan.Gray}, MaxWidth: 215.9, MaxHeight: 297},
				{Input: scan.Feeder, Resolutions: []int{75, 200, 300}, Modes: []scan.Mode{scan.Color, scan.Gray}, MaxWidth: 215.9, MaxHeight: 381},
				{Input: scan.Duplex, Resolutions: []int{75, 200, 300}, Modes: []scan.Mode{scan.Color, scan.Gray}, MaxWidth: 215.9, MaxHeight: 381},
			}},
			format: "image/jpeg", formatExt: true,
		},
		{
			// Non-square 200×100 and 200×400 are left out.
			file: "Kyocera-ECOSYS-M2040dn-ScannerCapabilities.xml", makeAndModel: "Kyocera ECOSYS M2040dn", version: "2.62",
			uuid: "4509a320-00a0-008f-00b6-002507510eca",
			want: scan.Caps{Inputs: []scan.InputCaps{
				{Input: scan.Flatbed, Resolutions: []int{200, 300, 400, 600}, Modes: []scan.Mode{scan.BW, scan.Gray, scan.Color}, MaxWidth: 216, MaxHeight: 297},
				{Input: scan.Feeder, Resolutions: []int{200, 300, 400, 600}, Modes: []scan.Mode{scan.BW, scan.Gray, scan.Color}, MaxWidth: 216, MaxHeight: 356},
				{Input: scan.Duplex, Resolutions: []int{200, 300, 400, 600}, Modes: []scan.Mode{scan.BW, scan.Gray, scan.Color}, MaxWidth: 216, MaxHeight: 356},
			}},
			format: "image/jpeg", formatExt: false,
		},
		{
			// SupportedResolutions repeated per colour mode; no duplex.
			file: "Xerox-B235-ScannerCapabilities.xml", makeAndModel: "Xerox(R) B235 MFP", version: "2.9",
			uuid: "67bbb526-3a17-474f-a567-2ca5f6156613",
			want: scan.Caps{Inputs: []scan.InputCaps{
				{Input: scan.Flatbed, Resolutions: []int{75, 150, 200, 300, 400, 600}, Modes: []scan.Mode{scan.Color, scan.Gray, scan.BW}, MaxWidth: 215.9, MaxHeight: 297},
				{Input: scan.Feeder, Resolutions: []int{75, 150, 200, 300, 400, 600}, Modes: []scan.Mode{scan.Color, scan.Gray, scan.BW}, MaxWidth: 215.9, MaxHeight: 355.6},
			}},
			format: "image/jpeg", formatExt: true,
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := parseCaps(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if c.makeAndModel != tc.makeAndModel || normUUID(c.uuid) != tc.uuid || c.version != tc.version {
				t.Errorf("identity = %q %q %q, want %q %q %q", c.makeAndModel, c.uuid, c.version, tc.makeAndModel, tc.uuid, tc.version)
			}
			if got := c.toScan(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("caps =\n%+v\nwant\n%+v", got, tc.want)
			}
			f, ext, err := c.input(tc.want.Inputs[0].Input).pickFormat()
			if err != nil || f != tc.format || ext != tc.formatExt {
				t.Errorf("format = %q %v %v, want %q %v", f, ext, err, tc.format, tc.formatExt)
			}
		})
	}
}

// TestTestdataCaptures parses every capture kept in testdata: each is
// capabilities or a status, or a WSD message refused as such.
func TestTestdataCaptures(t *testing.T) {
	parseEveryCapture(t, "testdata")
}

// TestCorpusCaptures parses every capture of the shared corpus, which
// holds more than the repository may redistribute. It is beside the
// repository, not in a clone.
func TestCorpusCaptures(t *testing.T) {
	dir := os.Getenv("DEMAT_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir = filepath.Join(dir, "06_escl_xml")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the shared corpus is not at %s (set DEMAT_CORPUS): the testdata copies are parsed by TestTestdataCaptures", dir)
	}
	parseEveryCapture(t, dir)
}

func parseEveryCapture(t *testing.T, dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no capture in %s: %v", dir, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			root, err := parseXML(data)
			if err != nil {
				t.Fatal(err)
			}
			switch root.name {
			case "ScannerCapabilities":
				c, err := parseCaps(data)
				if err != nil {
					t.Fatal(err)
				}
				sc := c.toScan()
				if len(sc.Inputs) == 0 {
					t.Fatal("no input")
				}
				for _, in := range sc.Inputs {
					if len(in.Resolutions) == 0 || !slices.IsSorted(in.Resolutions) || len(in.Modes) == 0 || in.MaxWidth <= 0 || in.MaxHeight <= 0 {
						t.Errorf("%s: %+v", in.Input, in)
					}
					if _, _, err := c.input(in.Input).pickFormat(); err != nil {
						t.Errorf("%s: %v", in.Input, err)
					}
				}
				if c.makeAndModel == "" || c.version == "" {
					t.Errorf("make and model %q, version %q", c.makeAndModel, c.version)
				}
			case "ScannerStatus":
				s, err := parseStatus(data)
				if err != nil {
					t.Fatal(err)
				}
				if s.state == "" || len(s.jobs) == 0 {
					t.Errorf("status %+v", s)
				}
			case "Envelope":
				_, err := parseCaps(data)
				if err == nil || !strings.Contains(err.Error(), "WSD") {
					t.Errorf("a WSD message parsed as eSCL capabilities: %v", err)
				}
			default:
				t.Errorf("unknown capture <%s>", root.name)
			}
		})
	}
}

func TestCapsQuirks(t *testing.T) {
	const head = `<?xml version="1.0"?><scan:ScannerCapabilities xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm"><pwg:Version>2.6</pwg:Version>`
	profile := func(res string) string {
		return `<scan:MaxWidth>2550</scan:MaxWidth><scan:MaxHeight>3508</scan:MaxHeight><scan:SettingProfiles><scan:SettingProfile>` +
			`<scan:ColorModes><scan:ColorMode>RGB24</scan:ColorMode><scan:ColorMode>RGB48</scan:ColorMode></scan:ColorModes>` +
			`<scan:DocumentFormats><pwg:DocumentFormat>image/jpeg</pwg:DocumentFormat></scan:DocumentFormats>` +
			`<scan:SupportedResolutions>` + res + `</scan:SupportedResolutions></scan:SettingProfile></scan:SettingProfiles>`
	}
	platen := func(res string) string {
		return `<scan:Platen><scan:PlatenInputCaps>` + profile(res) + `</scan:PlatenInputCaps></scan:Platen>`
	}
	discrete := `<scan:DiscreteResolutions><scan:DiscreteResolution><scan:XResolution>300</scan:XResolution><scan:YResolution>300</scan:YResolution></scan:DiscreteResolution>` +
		`<scan:DiscreteResolution><scan:XResolution>600</scan:XResolution><scan:YResolution>600</scan:YResolution></scan:DiscreteResolution></scan:DiscreteResolutions>`
	for _, tc := range []struct {
		name    string
		xml     string
		input   scan.Input
		res     []int
		modes   []scan.Mode
		wantErr string
	}{
		{"canon iR2625 announces 600 but scans 300", head + `<pwg:MakeAndModel>Canon iR2625/2630</pwg:MakeAndModel>` + platen(discrete) + `</scan:ScannerCapabilities>`,
			scan.Flatbed, []int{300}, []scan.Mode{scan.Color}, ""},
		{"pairs without DiscreteResolution wrapper", head + platen(`<scan:DiscreteResolutions><scan:XResolution>150</scan:XResolution><scan:YResolution>150</scan:YResolution><scan:XResolution>300</scan:XResolution><scan:YResolution>300</scan:YResolution></scan:DiscreteResolutions>`) + `</scan:ScannerCapabilities>`,
			scan.Flatbed, []int{150, 300}, []scan.Mode{scan.Color}, ""},
		{"resolution range in usual steps", head + platen(`<scan:ResolutionRange><scan:XResolutionRange><scan:Min>100</scan:Min><scan:Max>600</scan:Max><scan:Step>50</scan:Step></scan:XResolutionRange><scan:YResolutionRange><scan:Min>100</scan:Min><scan:Max>600</scan:Max><scan:Step>50</scan:Step></scan:YResolutionRange></scan:ResolutionRange>`) + `</scan:ScannerCapabilities>`,
			scan.Flatbed, []int{100, 150, 200, 300, 400, 600}, []scan.Mode{scan.Color}, ""},
		{"odd range gives its ends", head + platen(`<scan:ResolutionRange><scan:XResolutionRange><scan:Min>301</scan:Min><scan:Max>303</scan:Max></scan:XResolutionRange></scan:ResolutionRange>`) + `</scan:ScannerCapabilities>`,
			scan.Flatbed, []int{301, 303}, []scan.Mode{scan.Color}, ""},
		{"duplex announced as an ADF option", head + `<scan:Adf><scan:AdfSimplexInputCaps>` + profile(discrete) + `</scan:AdfSimplexInputCaps><scan:AdfOptions><scan:AdfOption>Duplex</scan:AdfOption></scan:AdfOptions></scan:Adf></scan:ScannerCapabilities>`,
			scan.Duplex, []int{300, 600}, []scan.Mode{scan.Color}, ""},
		{"elements in the other namespace", strings.NewReplacer("scan:Platen", "pwg:Platen", "scan:ColorMode>", "pwg:ColorMode>").Replace(head + platen(discrete) + `</scan:ScannerCapabilities>`),
			scan.Flatbed, []int{300, 600}, []scan.Mode{scan.Color}, ""},
		{"no input", head + `</scan:ScannerCapabilities>`, "", nil, nil, "neither a platen nor a feeder"},
		{"status instead", `<scan:ScannerStatus xmlns:scan="x"><pwg:State xmlns:pwg="y">Idle</pwg:State></scan:ScannerStatus>`, "", nil, nil, "not eSCL ScannerCapabilities"},
		{"html error page", `<html><body>Error 500</body></html>`, "", nil, nil, "not eSCL"},
		{"not xml", `{"json": true}`, "", nil, nil, "no XML element"},
		{"too deep", strings.Repeat("<a>", maxXMLDepth+1), "", nil, nil, "too deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseCaps([]byte(tc.xml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in, ok := c.toScan().Input(tc.input)
			if !ok {
				t.Fatalf("no %s in %+v", tc.input, c.toScan())
			}
			if !slices.Equal(in.Resolutions, tc.res) || !slices.Equal(in.Modes, tc.modes) {
				t.Errorf("got %v %v, want %v %v", in.Resolutions, in.Modes, tc.res, tc.modes)
			}
		})
	}
}

func TestPickResolutionAndFormat(t *testing.T) {
	in := &inputCaps{discrete: []int{100, 200, 300}, ranges: []resRange{{min: 400, max: 1200, step: 100}}}
	for dpi, want := range map[int]int{300: 300, 250: 300, 500: 500, 550: 600, 50: 100, 5000: 1200} {
		if got := in.pickResolution(dpi); got != want {
			t.Errorf("pickResolution(%d) = %d, want %d", dpi, got, want)
		}
	}
	for _, tc := range []struct {
		formats, ext []string
		want         string
		wantExt      bool
		wantErr      bool
	}{
		{[]string{"application/pdf", "image/png", "image/jpeg"}, nil, "image/jpeg", false, false},
		{[]string{"application/pdf", "image/png"}, []string{"image/png"}, "image/png", true, false},
		{nil, nil, "image/jpeg", false, false},
		{[]string{"application/pdf", "image/tiff"}, nil, "", false, true},
	} {
		f, ext, err := (&inputCaps{formats: tc.formats, formatsExt: tc.ext}).pickFormat()
		if f != tc.want || ext != tc.wantExt || (err != nil) != tc.wantErr {
			t.Errorf("pickFormat(%v) = %q %v %v", tc.formats, f, ext, err)
		}
		if err != nil && !strings.Contains(err.Error(), "application/pdf, image/tiff") {
			t.Errorf("error does not say what the scanner offers: %v", err)
		}
	}
}

func TestStatusCaptures(t *testing.T) {
	for _, tc := range []struct {
		file            string
		flatbed, feeder error
	}{
		{"HP-LaserJet-MFP-M426fdn-ScannerStatus.xml", nil, scan.ErrFeederEmpty},
		{"Kyocera-ECOSYS-M2040dn-ScannerStatus.xml", scan.ErrBusy, scan.ErrBusy},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s, err := parseStatus(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.precheck(false); !errors.Is(err, tc.flatbed) || (tc.flatbed == nil) != (err == nil) {
				t.Errorf("flatbed precheck = %v, want %v", err, tc.flatbed)
			}
			if err := s.precheck(true); !errors.Is(err, tc.feeder) {
				t.Errorf("feeder precheck = %v, want %v", err, tc.feeder)
			}
		})
	}
}

func TestStatusMapping(t *testing.T) {
	for _, tc := range []struct {
		state, adf string
		want       error // for a feeder job
	}{
		{"Idle", "ScannerAdfLoaded", nil},
		{"Idle", "", nil},
		{"Idle", "ScannerAdfEmpty", scan.ErrFeederEmpty},
		{"Idle", "ScannerAdfJam", scan.ErrPaperJam},
		{"Idle", "ScannerAdfMispick", scan.ErrPaperJam},
		{"Idle", "ScannerAdfMultipickDetected", scan.ErrPaperJam},
		{"Idle", "ScannerAdfDoorOpen", scan.ErrCoverOpen},
		{"Idle", "ScannerAdfHatchOpen", scan.ErrCoverOpen},
		{"Idle", "ScannerAdfInputTrayOverloaded", scan.ErrDevice},
		{"Processing", "ScannerAdfLoaded", scan.ErrBusy},
		{"Testing", "ScannerAdfLoaded", scan.ErrWarmingUp},
		{"Stopped", "ScannerAdfLoaded", scan.ErrDevice},
		{"Down", "", scan.ErrOffline},
	} {
		err := status{state: tc.state, adfState: tc.adf}.precheck(true)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s/%s: %v, want %v", tc.state, tc.adf, err, tc.want)
		}
	}
	if err := (status{state: "Idle", adfState: "ScannerAdfJam"}).precheck(false); err != nil {
		t.Errorf("a jammed feeder stops a flatbed job: %v", err)
	}
}

func TestParseStatusRefuses(t *testing.T) {
	for _, doc := range []string{
		string(readTestdata(t, "Kyocera-ECOSYS-M2040dn-WSD-GetScannerElementsResponse.xml")),
		string(readTestdata(t, "HP-LaserJet-MFP-M426fdn-ScannerCapabilities.xml")),
		"", "<", "garbage",
	} {
		if _, err := parseStatus([]byte(doc)); err == nil {
			t.Errorf("parseStatus(%.40q) = nil error", doc)
		}
	}
}
