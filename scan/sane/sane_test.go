package sane_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/sane"
	"github.com/demat-app/demat/scan/scantest"
)

// The tests drive the real SANE test backend. The test binary is its own
// child process: started with childEnv set, TestMain runs sane.Serve
// instead of the tests.
const childEnv = "DEMAT_SANE_CHILD"

// configDir is a SANE_CONFIG_DIR that enables only the test backend, so
// that the tests neither depend on nor probe the machine's scanners.
var configDir string

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := sane.Serve(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "demat-sane-test-")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "dll.conf"), []byte("test\n"), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sane tests:", err)
		os.Exit(1)
	}
	configDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// children records the child processes a driver started, so that tests
// can kill, stop or check them.
type children struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
}

func (c *children) last() *exec.Cmd {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cmds[len(c.cmds)-1]
}

func (c *children) command(ctx context.Context) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.CommandContext(ctx, exe)
	// A race-enabled binary sleeps a second on exit, waiting for late
	// reports; the child's own races are reported all the same.
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), childEnv+"=1", "SANE_CONFIG_DIR="+configDir, "GORACE="+gorace)
	c.mu.Lock()
	c.cmds = append(c.cmds, cmd)
	c.mu.Unlock()
	return cmd
}

var testDev = scan.Device{ID: "sane:test:0", Name: "Noname frontend-tester", Driver: "sane"}

// newDriver returns a driver whose children run this test binary against
// the test backend, failing the test when the backend is missing.
func newDriver(t *testing.T, edit func(*sane.Options)) (*sane.Driver, *children) {
	t.Helper()
	requireSANE(t)
	kids := &children{}
	opt := sane.Options{
		Command: kids.command,
		Timeout: 20 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&opt)
	}
	t.Cleanup(func() {
		kids.mu.Lock()
		defer kids.mu.Unlock()
		for _, c := range kids.cmds {
			if st := c.ProcessState; st != nil && st.ExitCode() == 66 {
				t.Errorf("child %d found a data race (its report is in the log above)", st.Pid())
			}
		}
	})
	return sane.New(opt), kids
}

// testWriter logs the driver's debug events, the children's standard
// error among them, with the test.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var (
	saneOnce sync.Once
	saneErr  error
)

func requireSANE(t *testing.T) {
	t.Helper()
	saneOnce.Do(func() {
		kids := &children{}
		d := sane.New(sane.Options{Command: kids.command, Timeout: 20 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		devs, err := d.Devices(ctx)
		if err != nil {
			saneErr = err
			return
		}
		for _, dv := range devs {
			if dv.ID == testDev.ID {
				return
			}
		}
		saneErr = fmt.Errorf("the SANE test backend lists no test:0 (devices: %v)", devs)
	})
	if saneErr != nil {
		t.Fatalf("libsane with its test backend is needed (%v): run `make deps`, and build with cgo", saneErr)
	}
}

// scanAll runs a job and returns its pages and error.
func scanAll(t *testing.T, d *sane.Driver, opt scan.Options) ([]scan.Page, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var pages []scan.Page
	err := d.Scan(ctx, testDev, opt, func(p scan.Page) error {
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

func opts(kv ...string) []scan.DeviceOption {
	var out []scan.DeviceOption
	for _, s := range kv {
		n, v, _ := strings.Cut(s, "=")
		out = append(out, scan.DeviceOption{Name: n, Value: v})
	}
	return out
}

// px is what the test backend makes of a length in mm at dpi.
func px(mm float64, dpi int) int { return int(float64(dpi) * mm / 25.4) }

func near(a, b int) bool { return a-b <= 1 && b-a <= 1 }

func TestDevices(t *testing.T) {
	d, _ := newDriver(t, nil)
	devs, err := d.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, dv := range devs {
		ids = append(ids, dv.ID)
		if dv.ID == testDev.ID {
			if dv.Name != "Noname frontend-tester" || dv.Vendor != "Noname" || dv.Model != "frontend-tester" || dv.Driver != "sane" {
				t.Errorf("test:0 listed as %+v", dv)
			}
		}
	}
	if !slices.Contains(ids, "sane:test:0") || !slices.Contains(ids, "sane:test:1") {
		t.Errorf("devices %v, want sane:test:0 and sane:test:1", ids)
	}
}

func TestCaps(t *testing.T) {
	d, _ := newDriver(t, nil)
	caps, err := d.Caps(context.Background(), testDev)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []scan.Input
	for _, in := range caps.Inputs {
		inputs = append(inputs, in.Input)
		if !slices.Equal(in.Modes, []scan.Mode{scan.Gray, scan.Color, scan.BW}) {
			t.Errorf("%s: modes %v, want gray, color and bw (grey at 1 bit)", in.Input, in.Modes)
		}
		r := in.Resolutions
		if len(r) == 0 || r[0] != 1 || r[len(r)-1] != 1200 || !slices.Contains(r, 300) || !slices.Contains(r, 75) || !slices.IsSorted(r) {
			t.Errorf("%s: resolutions %v, want 1…1200 with the usual steps", in.Input, r)
		}
		if in.MaxWidth != 200 || in.MaxHeight != 200 {
			t.Errorf("%s: surface %g×%g mm, want 200×200", in.Input, in.MaxWidth, in.MaxHeight)
		}
	}
	if !slices.Equal(inputs, []scan.Input{scan.Flatbed, scan.Feeder}) {
		t.Errorf("inputs %v, want flatbed then feeder", inputs)
	}
}

func TestUnknownDevice(t *testing.T) {
	d, _ := newDriver(t, nil)
	for _, id := range []string{"sane:nosuch:7", "escl:http://192.0.2.1/eSCL"} {
		_, err := d.Caps(context.Background(), scan.Device{ID: id})
		if !errors.Is(err, scan.ErrNotFound) {
			t.Errorf("Caps(%s) = %v, want ErrNotFound", id, err)
		}
	}
}

func TestFlatbedPage(t *testing.T) {
	d, _ := newDriver(t, nil)
	pages, err := scanAll(t, d, scan.Options{
		Input: scan.Flatbed, Mode: scan.Gray, Resolution: 100,
		Area: scan.Area{X: 10, Y: 20, Width: 100, Height: 50},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 {
		t.Fatalf("flatbed gave %d pages, want 1", len(pages))
	}
	p := pages[0]
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if !near(p.Width, px(100, 100)) || !near(p.Height, px(50, 100)) {
		t.Errorf("page is %d×%d px, want %d×%d (100×50 mm at 100 dpi)", p.Width, p.Height, px(100, 100), px(50, 100))
	}
	if p.XDPI != 100 || p.YDPI != 100 || p.GuessedDPI {
		t.Errorf("resolution %g×%g (guessed %v), want 100", p.XDPI, p.YDPI, p.GuessedDPI)
	}
	if p.Source != "test:0 page 1" {
		t.Errorf("source %q", p.Source)
	}
	if _, ok := p.Image.(*image.Gray); !ok {
		t.Errorf("grey page is a %T", p.Image)
	}
}

// A zero Area is the whole surface, not the backend's default 80×100 mm;
// an empty Options is flatbed, colour, 300 dpi.
func TestDefaults(t *testing.T) {
	d, _ := newDriver(t, nil)
	pages, err := scanAll(t, d, scan.Options{Mode: scan.Gray, Resolution: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || !near(pages[0].Width, px(200, 50)) || !near(pages[0].Height, px(200, 50)) {
		t.Fatalf("whole surface at 50 dpi: %d pages, first %d×%d, want 1 of %d×%d", len(pages), pages[0].Width, pages[0].Height, px(200, 50), px(200, 50))
	}

	// The test backend sets its geometry in whole millimetres.
	pages, err = scanAll(t, d, scan.Options{Area: scan.Area{Width: 25, Height: 12}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 {
		t.Fatalf("default job gave %d pages, want 1 (the flatbed is the first source)", len(pages))
	}
	p := pages[0]
	if _, ok := p.Image.(*image.RGBA); !ok || p.XDPI != 300 || !near(p.Width, px(25, 300)) || !near(p.Height, px(12, 300)) {
		t.Errorf("default job: %T %d×%d at %g dpi, want colour %d×%d at 300 dpi", p.Image, p.Width, p.Height, p.XDPI, px(25, 300), px(12, 300))
	}
}

func TestModes(t *testing.T) {
	d, _ := newDriver(t, nil)
	area := scan.Area{Width: 60, Height: 40}
	tests := []struct {
		name    string
		mode    scan.Mode
		options []string
		check   func(t *testing.T, img image.Image)
	}{
		{"gray white", scan.Gray, []string{"test-picture=Solid white"}, allGray(255)},
		{"gray black", scan.Gray, []string{"test-picture=Solid black"}, allGray(0)},
		{"gray 16 bits white", scan.Gray, []string{"test-picture=Solid white", "depth=16"}, allGray(255)},
		{"bw black", scan.BW, []string{"test-picture=Solid black"}, allGray(0)},
		{"bw white", scan.BW, []string{"test-picture=Solid white"}, allGray(255)},
		{"bw grid", scan.BW, []string{"test-picture=Grid"}, bilevelBoth},
		{"color pattern", scan.Color, []string{"test-picture=Color pattern"}, colourful},
		{"color 16 bits white", scan.Color, []string{"test-picture=Solid white", "depth=16"}, allRGB(255)},
		{"color 16 bits pattern", scan.Color, []string{"test-picture=Color pattern", "depth=16"}, colourful},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := scanAll(t, d, scan.Options{Input: scan.Flatbed, Mode: tt.mode, Resolution: 75, Area: area, DeviceOptions: opts(tt.options...)})
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 1 {
				t.Fatalf("%d pages", len(pages))
			}
			p := pages[0]
			if !near(p.Width, px(60, 75)) || !near(p.Height, px(40, 75)) || p.XDPI != 75 || p.YDPI != 75 {
				t.Errorf("page %d×%d at %g×%g dpi, want %d×%d at 75", p.Width, p.Height, p.XDPI, p.YDPI, px(60, 75), px(40, 75))
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			tt.check(t, p.Image)
		})
	}
}

func allGray(v uint8) func(*testing.T, image.Image) {
	return func(t *testing.T, img image.Image) {
		t.Helper()
		g, ok := img.(*image.Gray)
		if !ok {
			t.Fatalf("image is a %T, want *image.Gray", img)
		}
		b := g.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if got := g.GrayAt(x, y).Y; got != v {
					t.Fatalf("pixel (%d,%d) = %d, want %d everywhere", x, y, got, v)
				}
			}
		}
	}
}

func allRGB(v uint8) func(*testing.T, image.Image) {
	return func(t *testing.T, img image.Image) {
		t.Helper()
		c, ok := img.(*image.RGBA)
		if !ok {
			t.Fatalf("image is a %T, want *image.RGBA", img)
		}
		b := c.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if p := c.RGBAAt(x, y); p.R != v || p.G != v || p.B != v || p.A != 255 {
					t.Fatalf("pixel (%d,%d) = %v, want %d everywhere", x, y, p, v)
				}
			}
		}
	}
}

func bilevelBoth(t *testing.T, img image.Image) {
	t.Helper()
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("image is a %T, want *image.Gray", img)
	}
	var n [256]int
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			n[g.GrayAt(x, y).Y]++
		}
	}
	if n[0] == 0 || n[255] == 0 || n[0]+n[255] != b.Dx()*b.Dy() {
		t.Errorf("a 1-bit grid has %d black, %d white and %d other pixels", n[0], n[255], b.Dx()*b.Dy()-n[0]-n[255])
	}
}

func colourful(t *testing.T, img image.Image) {
	t.Helper()
	c, ok := img.(*image.RGBA)
	if !ok {
		t.Fatalf("image is a %T, want *image.RGBA", img)
	}
	colours := map[[3]uint8]bool{}
	b := c.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := c.RGBAAt(x, y)
			if p.A != 255 {
				t.Fatalf("pixel (%d,%d) has alpha %d", x, y, p.A)
			}
			colours[[3]uint8{p.R, p.G, p.B}] = true
		}
	}
	var chromatic bool
	for k := range colours {
		if k[0] != k[1] || k[1] != k[2] {
			chromatic = true
		}
	}
	if len(colours) < 8 || !chromatic {
		t.Errorf("the colour pattern has %d colours (chromatic: %v)", len(colours), chromatic)
	}
}

// maxDiff is the largest difference between two images' samples.
func maxDiff(t *testing.T, a, b image.Image) int {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("sizes differ: %v and %v", a.Bounds(), b.Bounds())
	}
	m := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				m = max(m, d, -d)
			}
		}
	}
	return m
}

// The three-pass frames of the colour pattern decode to the same picture
// as the single-pass one. (At 16 bits the backend draws another pattern.)
func TestFrameKinds(t *testing.T) {
	d, _ := newDriver(t, nil)
	base := scan.Options{Input: scan.Flatbed, Mode: scan.Color, Resolution: 60, Area: scan.Area{Width: 80, Height: 50}}
	one := func(t *testing.T, extra ...string) image.Image {
		t.Helper()
		o := base
		o.DeviceOptions = opts(append([]string{"test-picture=Color pattern"}, extra...)...)
		pages, err := scanAll(t, d, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(pages) != 1 {
			t.Fatalf("%d pages", len(pages))
		}
		return pages[0].Image
	}
	ref := one(t)
	for _, tt := range []struct {
		name  string
		extra []string
	}{
		{"three-pass RGB", []string{"three-pass=yes"}},
		{"three-pass BGR", []string{"three-pass=yes", "three-pass-order=BGR"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if m := maxDiff(t, ref, one(t, tt.extra...)); m > 1 {
				t.Errorf("differs from the 8-bit single-pass page by up to %d", m)
			}
		})
	}
}

// A hand scanner does not know the height until the end of the frame.
func TestHandScanner(t *testing.T) {
	d, _ := newDriver(t, nil)
	for _, mode := range []scan.Mode{scan.Gray, scan.Color} {
		pages, err := scanAll(t, d, scan.Options{Input: scan.Flatbed, Mode: mode, Resolution: 50, DeviceOptions: opts("hand-scanner=yes")})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if len(pages) != 1 || !near(pages[0].Width, px(110, 50)) || !near(pages[0].Height, px(170, 50)) {
			t.Fatalf("%s: %d pages, first %d×%d, want one of %d×%d (110×170 mm)", mode, len(pages), pages[0].Width, pages[0].Height, px(110, 50), px(170, 50))
		}
		if err := pages[0].Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestFeeder(t *testing.T) {
	d, _ := newDriver(t, nil)
	tests := []struct {
		name  string
		pages int
		want  int
	}{
		{"all the feeder holds", 0, 10},
		{"page limit", 3, 3},
		{"limit above what it holds", 12, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := scanAll(t, d, scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50, Pages: tt.pages, Area: scan.Area{Width: 50, Height: 50}})
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != tt.want {
				t.Fatalf("%d pages, want %d", len(pages), tt.want)
			}
			for i, p := range pages {
				if want := fmt.Sprintf("test:0 page %d", i+1); p.Source != want {
					t.Errorf("page %d is %q", i+1, p.Source)
				}
				if err := p.Validate(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// The test backend has no duplex: asking for it names what it has.
func TestDuplexRefused(t *testing.T) {
	d, _ := newDriver(t, nil)
	pages, err := scanAll(t, d, scan.Options{Input: scan.Duplex, Mode: scan.Gray, Resolution: 50})
	if !errors.Is(err, scan.ErrInvalidOption) || !strings.Contains(err.Error(), `feeder ("Automatic Document Feeder")`) {
		t.Fatalf("duplex on test:0: %v, want ErrInvalidOption naming the sources", err)
	}
	if len(pages) != 0 {
		t.Errorf("%d pages", len(pages))
	}
}

// Each status sane_read can return maps to its shared device error.
func TestStatusErrors(t *testing.T) {
	d, _ := newDriver(t, nil)
	tests := []struct {
		status string
		want   *scan.DeviceError
	}{
		{"SANE_STATUS_JAMMED", scan.ErrPaperJam},
		{"SANE_STATUS_NO_DOCS", scan.ErrFeederEmpty},
		{"SANE_STATUS_COVER_OPEN", scan.ErrCoverOpen},
		{"SANE_STATUS_IO_ERROR", scan.ErrCommunication},
		{"SANE_STATUS_DEVICE_BUSY", scan.ErrBusy},
		{"SANE_STATUS_ACCESS_DENIED", scan.ErrDenied},
		{"SANE_STATUS_INVAL", scan.ErrInvalidOption},
		{"SANE_STATUS_UNSUPPORTED", scan.ErrInvalidOption},
		{"SANE_STATUS_NO_MEM", scan.ErrDevice},
		{"SANE_STATUS_CANCELLED", scan.ErrDevice}, // the scanner's own Cancel button
		{"SANE_STATUS_EOF", scan.ErrDevice},       // a page without a line
	}
	for _, tt := range tests {
		for _, in := range []scan.Input{scan.Feeder, scan.Flatbed} {
			t.Run(tt.status+"/"+string(in), func(t *testing.T) {
				pages, err := scanAll(t, d, scan.Options{Input: in, Mode: scan.Gray, Resolution: 50,
					DeviceOptions: opts("read-return-value=" + tt.status)})
				if got := scan.AsDeviceError(err); got != tt.want {
					t.Fatalf("error %v (%v), want %s", err, got, tt.want.Code)
				}
				if len(pages) != 0 {
					t.Errorf("%d pages", len(pages))
				}
				if !strings.Contains(err.Error(), "test:0 page 1") {
					t.Errorf("error %q does not name the page", err)
				}
			})
		}
	}
}

// A jam at page 4 of a feeder batch: pages 1–3, then the jam.
func TestJamAtPage4(t *testing.T) {
	var asked []int
	d, _ := newDriver(t, func(o *sane.Options) {
		o.BeforePage = func(page int) []scan.DeviceOption {
			asked = append(asked, page)
			if page == 4 {
				return opts("read-return-value=SANE_STATUS_JAMMED")
			}
			return nil
		}
	})
	pages, err := scanAll(t, d, scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50})
	if !errors.Is(err, scan.ErrPaperJam) || !strings.Contains(err.Error(), "page 4") {
		t.Fatalf("error %v, want a paper jam on page 4", err)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages before the jam, want 3", len(pages))
	}
	if !slices.Equal(asked, []int{1, 2, 3, 4}) {
		t.Errorf("BeforePage called for pages %v", asked)
	}
}

// Options set between pages apply from that page on.
func TestOptionsBetweenPages(t *testing.T) {
	d, _ := newDriver(t, func(o *sane.Options) {
		o.BeforePage = func(page int) []scan.DeviceOption {
			if page%2 == 0 {
				return opts("test-picture=Solid white")
			}
			return opts("test-picture=Solid black")
		}
	})
	pages, err := scanAll(t, d, scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50, Pages: 4, Area: scan.Area{Width: 20, Height: 20}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 4 {
		t.Fatalf("%d pages", len(pages))
	}
	for i, p := range pages {
		want := uint8(0)
		if (i+1)%2 == 0 {
			want = 255
		}
		t.Run(fmt.Sprint("page ", i+1), func(t *testing.T) { allGray(want)(t, p.Image) })
	}
}

func TestInvalidOptions(t *testing.T) {
	d, _ := newDriver(t, nil)
	tests := []struct {
		name string
		opt  scan.Options
		want []string // in the message
	}{
		{"unknown option", scan.Options{DeviceOptions: opts("no-such-option=1")}, []string{`no option "no-such-option"`, "test-picture"}},
		{"value not in list", scan.Options{DeviceOptions: opts("test-picture=Plaid")}, []string{`"test-picture"`, "Solid black, Solid white, Color pattern, Grid"}},
		{"out of range", scan.Options{DeviceOptions: opts("ppl-loss=500")}, []string{`"ppl-loss"`, "0px..128px"}},
		{"not in word list", scan.Options{DeviceOptions: opts("depth=12")}, []string{`"depth"`, "1, 8, 16"}},
		{"not a number", scan.Options{DeviceOptions: opts("ppl-loss=lots")}, []string{`"ppl-loss"`, "not a number"}},
		{"not whole", scan.Options{DeviceOptions: opts("ppl-loss=1.5")}, []string{"whole number"}},
		{"bad bool", scan.Options{DeviceOptions: opts("read-limit=maybe")}, []string{`"read-limit"`, "yes, no"}},
		{"inactive", scan.Options{DeviceOptions: opts("read-limit-size=100")}, []string{`"read-limit-size"`, "inactive"}},
		{"resolution", scan.Options{Resolution: 5000}, []string{"5000 dpi", "1dpi..1200dpi"}},
		{"area off the surface", scan.Options{Area: scan.Area{X: 150, Width: 100, Height: 10}}, []string{"does not fit", "br-x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opt
			o.Input, o.Mode = scan.Flatbed, scan.Gray
			if o.Resolution == 0 {
				o.Resolution = 50
			}
			pages, err := scanAll(t, d, o)
			if !errors.Is(err, scan.ErrInvalidOption) {
				t.Fatalf("error %v, want ErrInvalidOption", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if len(pages) != 0 {
				t.Errorf("%d pages", len(pages))
			}
		})
	}
}

// Valid device options in scanimage's forms are taken.
func TestDeviceOptionForms(t *testing.T) {
	d, _ := newDriver(t, nil)
	pages, err := scanAll(t, d, scan.Options{Input: scan.Flatbed, Mode: scan.Gray, Resolution: 50, DeviceOptions: opts(
		"ppl-loss=0x0",             // strtol's hex
		"test-picture=solid WHITE", // case-insensitive list value
		"read-limit",               // bare bool: yes
		"read-limit-size=4096",     // active now
		"br-x=2cm", "br-y=1in",     // units
	)})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || !near(pages[0].Width, px(20, 50)) || !near(pages[0].Height, px(25.4, 50)) {
		t.Fatalf("%d pages, first %d×%d, want 20×25.4 mm at 50 dpi", len(pages), pages[0].Width, pages[0].Height)
	}
	allGray(255)(t, pages[0].Image)
}

// The child is killed with SIGKILL after page 2: the two pages are
// delivered, then ErrCommunication.
func TestChildKilled(t *testing.T) {
	d, kids := newDriver(t, nil)
	var pages []scan.Page
	err := d.Scan(context.Background(), testDev, scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50}, func(p scan.Page) error {
		pages = append(pages, p)
		if len(pages) == 2 {
			if err := kids.last().Process.Kill(); err != nil {
				t.Errorf("kill the child: %v", err)
			}
		}
		return nil
	})
	if !errors.Is(err, scan.ErrCommunication) || !strings.Contains(err.Error(), "child process died after page 2") {
		t.Fatalf("error %v, want ErrCommunication after page 2", err)
	}
	if len(pages) != 2 {
		t.Fatalf("%d pages, want the 2 read before the child died", len(pages))
	}
}

// A child that never answers is taken for a hung device after Timeout,
// and killed.
func TestHungChild(t *testing.T) {
	requireSANE(t)
	var cmd *exec.Cmd
	d := sane.New(sane.Options{Timeout: 500 * time.Millisecond, Command: func(ctx context.Context) *exec.Cmd {
		cmd = exec.CommandContext(ctx, "sleep", "1000")
		return cmd
	}})
	start := time.Now()
	_, err := scanAll(t, d, scan.Options{})
	if !errors.Is(err, scan.ErrOffline) {
		t.Fatalf("error %v, want ErrOffline", err)
	}
	if el := time.Since(start); el < 500*time.Millisecond || el > 15*time.Second {
		t.Errorf("gave up after %v, with a timeout of 0.5 s", el)
	}
	if cmd.ProcessState == nil {
		t.Error("the hung child was left running")
	}
	if _, err := d.Devices(context.Background()); !errors.Is(err, scan.ErrOffline) {
		t.Errorf("Devices: %v, want ErrOffline", err)
	}

	// Cancelling does not wait for the timeout.
	d = sane.New(sane.Options{Timeout: time.Minute, Command: func(ctx context.Context) *exec.Cmd {
		cmd = exec.CommandContext(ctx, "sleep", "1000")
		return cmd
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := d.Devices(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Devices with a cancelled context: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("cancel took %v", el)
	}
	if cmd.ProcessState == nil {
		t.Error("the hung child was left running")
	}
}

// A program that is not the child fails clearly.
func TestWrongChild(t *testing.T) {
	requireSANE(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"exits", []string{"sh", "-c", "echo 'unknown command' >&2; exit 3"}, "ended before starting: exit status 3 (it said: unknown command)"},
		{"says something else", []string{"echo", "Usage: demat [command]"}, "is not the SANE helper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sane.New(sane.Options{Timeout: 10 * time.Second, Command: func(ctx context.Context) *exec.Cmd {
				return exec.CommandContext(ctx, tt.args[0], tt.args[1:]...)
			}})
			_, err := d.Devices(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// Cancelling between pages stops the job: the pages before are kept, the
// child cancels the scan and exits by itself.
func TestCancel(t *testing.T) {
	d, kids := newDriver(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := d.Scan(ctx, testDev, scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50}, func(p scan.Page) error {
		n++
		if n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n != 2 {
		t.Errorf("emit called %d times, want 2", n)
	}
	if st := kids.last().ProcessState; st == nil || !st.Success() {
		t.Errorf("child state after cancel: %v, want exited cleanly", st)
	}
}

// Cancelling in the middle of a slow page reaches the child between two
// sane_read calls.
func TestCancelMidPage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var started time.Time
	d, kids := newDriver(t, func(o *sane.Options) {
		o.BeforePage = func(page int) []scan.DeviceOption {
			// Cancel 300 ms into the page, however long the child took to
			// start: the backend waits 200 ms before each 64 kB it hands
			// over, so a page of 150 kB takes 600 ms.
			started = time.Now()
			time.AfterFunc(300*time.Millisecond, cancel)
			return opts("read-delay=yes", "read-delay-duration=200000")
		}
	})
	n := 0
	err := d.Scan(ctx, testDev, scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50}, func(p scan.Page) error {
		n++
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n != 0 {
		t.Errorf("%d pages emitted, the page was cancelled", n)
	}
	if el := time.Since(started); el > 5*time.Second {
		t.Errorf("cancel took %v", el)
	}
	if st := kids.last().ProcessState; st == nil || !st.Success() {
		t.Errorf("child state after cancel: %v, want exited cleanly", st)
	}
}

func TestEmitError(t *testing.T) {
	d, kids := newDriver(t, nil)
	stop := errors.New("disk full")
	n := 0
	err := d.Scan(context.Background(), testDev, scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50}, func(p scan.Page) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("error %v, want emit's own", err)
	}
	if n != 3 {
		t.Errorf("emit called %d times", n)
	}
	if st := kids.last().ProcessState; st == nil || !st.Success() {
		t.Errorf("child state: %v, want exited cleanly", st)
	}
}

func TestConformance(t *testing.T) {
	d, _ := newDriver(t, nil)
	single := scan.Options{Input: scan.Flatbed, Mode: scan.Color, Resolution: 75, Area: scan.Area{Width: 100, Height: 100}}
	scantest.Run(t, scantest.Harness{
		Source:     d,
		Device:     testDev,
		Listed:     true,
		Batch:      scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50},
		BatchPages: 10,
		Single:     &single,
		Timeout:    time.Minute,
	})
}
