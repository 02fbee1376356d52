package escl_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/escl"
	"github.com/demat-app/demat/scan/escl/escltest"
)

// testLog sends the driver's log to the test's, shown when it fails.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// fast are timeouts that keep fault tests short; each test that is about
// a timeout sets its own.
func fast(t testing.TB) escl.Options {
	return escl.Options{
		DisableDiscovery: true,
		RequestTimeout:   3 * time.Second,
		PageTimeout:      3 * time.Second,
		IdleTimeout:      2 * time.Second,
		BusyTimeout:      2 * time.Second,
		RetryDelay:       5 * time.Millisecond,
		CancelTimeout:    2 * time.Second,
		Logger:           slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// small is a job that renders quickly: a 100×140 mm area at 75 dpi.
var small = scan.Options{Input: scan.Feeder, Resolution: 75, Mode: scan.Color, Area: scan.Area{Width: 100, Height: 140}}

func device(t testing.TB, srv *escltest.Server) scan.Device {
	t.Helper()
	dev, err := escl.DeviceFor(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if dev.ID != srv.ID {
		t.Fatalf("DeviceFor(%s) = %s, want %s", srv.URL, dev.ID, srv.ID)
	}
	return dev
}

// collect runs a job and keeps its pages.
func collect(ctx context.Context, d *escl.Driver, dev scan.Device, opt scan.Options) ([]scan.Page, error) {
	var pages []scan.Page
	err := d.Scan(ctx, dev, opt, func(p scan.Page) error {
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

// checkPages checks that pages are the server's pages 1..n, in order,
// whole and decodable.
func checkPages(t *testing.T, pages []scan.Page, n int, dpi float64) {
	t.Helper()
	if len(pages) != n {
		t.Fatalf("%d pages, want %d", len(pages), n)
	}
	for i, p := range pages {
		if err := p.Validate(); err != nil {
			t.Errorf("page %d: %v", i+1, err)
		}
		if !bytes.Contains(p.File, []byte(escltest.PageLabel(i+1))) {
			t.Errorf("page %d is not the server's page %d", i+1, i+1)
		}
		if !strings.HasSuffix(p.Source, fmt.Sprintf(" page %d", i+1)) {
			t.Errorf("page %d: source %q", i+1, p.Source)
		}
		if p.XDPI != dpi || p.YDPI != dpi || p.GuessedDPI {
			t.Errorf("page %d: %g×%g dpi (guessed %v), want %g", i+1, p.XDPI, p.YDPI, p.GuessedDPI, dpi)
		}
		img, err := p.Pixels()
		if err != nil {
			t.Errorf("page %d: %v", i+1, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != p.Width || b.Dy() != p.Height {
			t.Errorf("page %d: decoded %v, says %d×%d", i+1, b, p.Width, p.Height)
		}
	}
}

func TestScan(t *testing.T) {
	// 100×140 mm at 75 dpi.
	const w, h = 295, 413
	pngOnly := []byte(escltest.Caps(escltest.CapsConfig{Platen: true, Feeder: true, Formats: []string{"application/pdf", "image/png"}}))
	pdfOnly := []byte(escltest.Caps(escltest.CapsConfig{Platen: true, Feeder: true, Formats: []string{"application/pdf"}}))
	simplex := []byte(escltest.Caps(escltest.CapsConfig{Platen: true, Feeder: true}))
	ranged := []byte(escltest.Caps(escltest.CapsConfig{Platen: true, Feeder: true, Range: [3]int{75, 600, 25}}))
	hpStatus, err := os.ReadFile(filepath.Join("testdata", "HP-LaserJet-MFP-M426fdn-ScannerStatus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	kyoceraStatus, err := os.ReadFile(filepath.Join("testdata", "Kyocera-ECOSYS-M2040dn-ScannerStatus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	idleLoaded := bytes.ReplaceAll(hpStatus, []byte("ScannerAdfEmpty"), []byte("ScannerAdfLoaded"))

	type result struct {
		pages    int
		err      error // nil, or what errors.Is must match
		deletes  int
		jobs     int
		dpi      float64
		nextDocs int // 0: not checked
	}
	for _, tc := range []struct {
		name  string
		cfg   escltest.Config
		opt   func(*escl.Options)
		scan  scan.Options
		want  result
		check func(t *testing.T, srv *escltest.Server, pages []scan.Page)
	}{
		{name: "feeder, five pages in order", scan: small, want: result{pages: 5, jobs: 1, dpi: 75, nextDocs: 6},
			check: func(t *testing.T, srv *escltest.Server, pages []scan.Page) {
				set := srv.Settings()[0]
				if set.InputSource != "Feeder" || set.Duplex == nil || *set.Duplex || set.ColorMode != "RGB24" ||
					set.XResolution != 75 || set.Width != 1181 || set.Height != 1654 || set.DocumentFormat != "image/jpeg" ||
					set.DocumentFormatExt != "image/jpeg" || set.Version != "2.63" || set.Intent != "TextAndGraphic" {
					t.Errorf("settings %+v\n%s", set, set.XML)
				}
				for i, p := range pages {
					if p.Width != w || p.Height != h || p.Original == nil || p.Original.Format != scan.JPEG ||
						p.Original.Components != 3 || p.Original.BitsPerComponent != 8 || !bytes.Equal(p.Original.Data, p.File) ||
						p.Original.Width != w || p.Original.Height != h || len(p.Warnings) != 0 {
						t.Errorf("page %d: %dx%d original %+v warnings %q", i+1, p.Width, p.Height, p.Original != nil, p.Warnings)
					}
				}
				if srv.ActiveJobs() != 0 {
					t.Error("the job is still active on the scanner")
				}
			}},
		{name: "flatbed gives one page and releases the job", scan: scan.Options{Input: scan.Flatbed, Resolution: 75, Mode: scan.Gray},
			want: result{pages: 1, deletes: 1, jobs: 1, dpi: 75},
			check: func(t *testing.T, srv *escltest.Server, pages []scan.Page) {
				set := srv.Settings()[0]
				// The whole glass: 2550×3508 units of 1/300 inch.
				if set.InputSource != "Platen" || set.Duplex != nil || set.Width != 2550 || set.Height != 3508 || set.ColorMode != "Grayscale8" {
					t.Errorf("settings %+v", set)
				}
				if p := pages[0]; p.Width != 637 || p.Height != 877 || p.Original.Components != 1 {
					t.Errorf("page %d×%d, %d components", p.Width, p.Height, p.Original.Components)
				}
			}},
		{name: "duplex", cfg: escltest.Config{Sheets: 4}, scan: func() scan.Options { o := small; o.Input = scan.Duplex; return o }(),
			want: result{pages: 4, jobs: 1, dpi: 75},
			check: func(t *testing.T, srv *escltest.Server, pages []scan.Page) {
				if set := srv.Settings()[0]; set.InputSource != "Feeder" || set.Duplex == nil || !*set.Duplex {
					t.Errorf("settings %+v", set)
				}
			}},
		{name: "page limit cancels the rest", scan: func() scan.Options { o := small; o.Pages = 2; return o }(),
			want: result{pages: 2, deletes: 1, jobs: 1, dpi: 75, nextDocs: 2}},
		{name: "defaults: first input, 300 dpi, colour", cfg: escltest.Config{Caps: []byte(escltest.Caps(escltest.CapsConfig{Feeder: true}))},
			scan: scan.Options{Area: scan.Area{Width: 20, Height: 20}}, want: result{pages: 5, jobs: 1, dpi: 300}},
		{name: "503 then 200 before each page", cfg: escltest.Config{Faults: escltest.Faults{Busy: 2}}, scan: small,
			want: result{pages: 5, jobs: 1, dpi: 75, nextDocs: 5*3 + 1}},
		{name: "busy creating the job, then created", cfg: escltest.Config{Faults: escltest.Faults{Create503: 2}}, scan: small,
			want: result{pages: 5, jobs: 1, dpi: 75}},
		{name: "jam at page 3", cfg: escltest.Config{Faults: escltest.Faults{JamAfter: 2}}, scan: small,
			want: result{pages: 2, err: scan.ErrPaperJam, deletes: 1, jobs: 1, dpi: 75}},
		{name: "connection dropped mid-image", cfg: escltest.Config{Faults: escltest.Faults{DropPage: 3}}, scan: small,
			want: result{pages: 2, err: scan.ErrCommunication, deletes: 1, jobs: 1, dpi: 75}},
		{name: "image cut short in a whole response", cfg: escltest.Config{Faults: escltest.Faults{TruncatePage: 2}}, scan: small,
			want: result{pages: 1, err: scan.ErrCommunication, deletes: 1, jobs: 1, dpi: 75}},
		{name: "job that never ends", cfg: escltest.Config{Faults: escltest.Faults{BusyForever: true}}, scan: small,
			opt:  func(o *escl.Options) { o.BusyTimeout = 300 * time.Millisecond },
			want: result{err: scan.ErrBusy, deletes: 1, jobs: 1}},
		{name: "page that never comes", cfg: escltest.Config{Faults: escltest.Faults{HangPages: true}}, scan: small,
			opt:  func(o *escl.Options) { o.PageTimeout = 300 * time.Millisecond },
			want: result{err: scan.ErrOffline, deletes: 1, jobs: 1}},
		{name: "empty feeder stops before the job", cfg: escltest.Config{Sheets: -1}, scan: small,
			want: result{err: scan.ErrFeederEmpty}},
		{name: "empty feeder found by the job", cfg: escltest.Config{Sheets: -1, Status: idleLoaded}, scan: small,
			want: result{err: scan.ErrFeederEmpty, jobs: 1, nextDocs: 4}},
		{name: "status capture: HP idle with an empty feeder", cfg: escltest.Config{Status: hpStatus}, scan: small,
			want: result{err: scan.ErrFeederEmpty}},
		{name: "status capture: HP idle with an empty feeder, flatbed job", cfg: escltest.Config{Status: hpStatus},
			scan: func() scan.Options { o := small; o.Input = scan.Flatbed; return o }(), want: result{pages: 1, deletes: 1, jobs: 1, dpi: 75}},
		{name: "status capture: Kyocera processing another job", cfg: escltest.Config{Status: kyoceraStatus}, scan: small,
			want: result{err: scan.ErrBusy}},
		{name: "Location as a path", cfg: escltest.Config{Location: escltest.AbsolutePath}, scan: small, want: result{pages: 5, jobs: 1, dpi: 75}},
		{name: "Location relative to the request", cfg: escltest.Config{Location: escltest.Relative}, scan: small, want: result{pages: 5, jobs: 1, dpi: 75}},
		{name: "Location naming another host, with a slash", cfg: escltest.Config{Location: escltest.OtherHost}, scan: small,
			want: result{pages: 5, jobs: 1, dpi: 75}},
		{name: "HP: job accepted only with Host localhost", cfg: escltest.Config{Server: "HP_Compact_Server", RequireLocalhost: true, Location: escltest.OtherHost},
			scan: small, want: result{pages: 5, jobs: 1, dpi: 75},
			check: func(t *testing.T, srv *escltest.Server, _ []scan.Page) {
				if h := srv.Settings()[0].Host; h != "localhost" {
					t.Errorf("Host %q", h)
				}
			}},
		{name: "PNG when the device offers no JPEG", cfg: escltest.Config{Caps: pngOnly, Sheets: 2}, scan: small,
			want: result{pages: 2, jobs: 1, dpi: 75},
			check: func(t *testing.T, srv *escltest.Server, pages []scan.Page) {
				if f := srv.Settings()[0].DocumentFormatExt; f != "image/png" {
					t.Errorf("asked %q", f)
				}
				for _, p := range pages {
					if p.Original == nil || p.Original.Format != scan.PNG || p.Original.Components != 3 {
						t.Errorf("original %+v", p.Original)
					}
				}
			}},
		{name: "black and white PNG", cfg: escltest.Config{Caps: pngOnly, Sheets: 1}, scan: func() scan.Options { o := small; o.Mode = scan.BW; return o }(),
			want: result{pages: 1, jobs: 1, dpi: 75},
			check: func(t *testing.T, srv *escltest.Server, pages []scan.Page) {
				if o := pages[0].Original; o == nil || o.BitsPerComponent != 1 || o.Components != 1 {
					t.Errorf("original %+v", o)
				}
			}},
		{name: "device offering only PDF", cfg: escltest.Config{Caps: pdfOnly}, scan: small, want: result{err: scan.ErrInvalidOption}},
		{name: "duplex on a simplex feeder", cfg: escltest.Config{Caps: simplex}, scan: func() scan.Options { o := small; o.Input = scan.Duplex; return o }(),
			want: result{err: scan.ErrInvalidOption}},
		{name: "resolution range: the nearest step", cfg: escltest.Config{Caps: ranged, Sheets: 1}, scan: func() scan.Options { o := small; o.Resolution = 110; return o }(),
			want: result{pages: 1, jobs: 1, dpi: 100},
			check: func(t *testing.T, srv *escltest.Server, pages []scan.Page) {
				if r := srv.Settings()[0].XResolution; r != 100 || len(pages[0].Warnings) != 1 {
					t.Errorf("asked %d dpi, warnings %q", r, pages[0].Warnings)
				}
			}},
		{name: "device scanning at a resolution of its own", cfg: escltest.Config{Sheets: 1, Faults: escltest.Faults{ScanDPI: 150}}, scan: small,
			want: result{pages: 1, jobs: 1, dpi: 150},
			check: func(t *testing.T, _ *escltest.Server, pages []scan.Page) {
				if len(pages[0].Warnings) != 1 {
					t.Errorf("warnings %q", pages[0].Warnings)
				}
			}},
		{name: "firmware stating a constant 72 dpi", cfg: escltest.Config{Sheets: 1, Faults: escltest.Faults{StatedDPI: 72}}, scan: small,
			want: result{pages: 1, jobs: 1, dpi: 75}},
		{name: "job refused with 409 while idle", cfg: escltest.Config{Faults: escltest.Faults{CreateStatus: 409}}, scan: small,
			want: result{err: scan.ErrInvalidOption}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := escltest.New(t, tc.cfg)
			o := fast(t)
			if tc.opt != nil {
				tc.opt(&o)
			}
			d := escl.New(o)
			pages, err := collect(context.Background(), d, device(t, srv), tc.scan)
			switch {
			case tc.want.err == nil && err != nil:
				t.Fatalf("Scan: %v", err)
			case tc.want.err != nil && !errors.Is(err, tc.want.err):
				t.Fatalf("Scan = %v, want %v", err, tc.want.err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "escl: ") {
				t.Errorf("error without the driver's context: %v", err)
			}
			checkPages(t, pages, tc.want.pages, tc.want.dpi)
			if n := srv.Deletes(); n != tc.want.deletes {
				t.Errorf("%d DELETEs, want %d", n, tc.want.deletes)
			}
			if n := srv.Jobs(); n != tc.want.jobs {
				t.Errorf("%d jobs created, want %d", n, tc.want.jobs)
			}
			if tc.want.nextDocs > 0 && srv.NextDocuments() != tc.want.nextDocs {
				t.Errorf("%d NextDocument requests, want %d", srv.NextDocuments(), tc.want.nextDocs)
			}
			if tc.check != nil && !t.Failed() {
				tc.check(t, srv, pages)
			}
		})
	}
}

func TestScanEmitError(t *testing.T) {
	srv := escltest.New(t, escltest.Config{})
	d := escl.New(fast(t))
	stop := errors.New("disk full")
	calls := 0
	err := d.Scan(context.Background(), device(t, srv), small, func(scan.Page) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("Scan = %v, want emit's error as it is", err)
	}
	if calls != 2 || srv.Deletes() != 1 {
		t.Errorf("%d emits, %d DELETEs; want 2 and 1", calls, srv.Deletes())
	}
}

func TestScanCancel(t *testing.T) {
	t.Run("in emit", func(t *testing.T) {
		srv := escltest.New(t, escltest.Config{})
		d := escl.New(fast(t))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		err := d.Scan(ctx, device(t, srv), small, func(scan.Page) error {
			calls++
			if calls == 2 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || calls != 2 {
			t.Fatalf("Scan = %v after %d pages, want context.Canceled after 2", err, calls)
		}
		if srv.Deletes() != 1 || srv.ActiveJobs() != 0 {
			t.Errorf("%d DELETEs, %d active jobs; want 1 and 0", srv.Deletes(), srv.ActiveJobs())
		}
	})
	t.Run("while the device holds a page", func(t *testing.T) {
		srv := escltest.New(t, escltest.Config{Faults: escltest.Faults{HangPages: true}})
		d := escl.New(fast(t))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := collect(ctx, d, device(t, srv), small)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Scan = %v, want the context's error", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("cancel took %v", d)
		}
		if srv.Deletes() != 1 {
			t.Errorf("%d DELETEs, want 1", srv.Deletes())
		}
	})
	t.Run("while the device is busy", func(t *testing.T) {
		srv := escltest.New(t, escltest.Config{Faults: escltest.Faults{BusyForever: true}})
		o := fast(t)
		o.BusyTimeout = time.Minute
		d := escl.New(o)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if _, err := collect(ctx, d, device(t, srv), small); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Scan = %v, want the context's error", err)
		}
		if srv.Deletes() != 1 {
			t.Errorf("%d DELETEs, want 1", srv.Deletes())
		}
	})
}

// A device that accepts connections and never answers is offline once
// the configured wait is over, for every operation.
func TestDeviceNeverAnswers(t *testing.T) {
	srv := escltest.New(t, escltest.Config{Faults: escltest.Faults{Hang: true}})
	o := fast(t)
	o.RequestTimeout = 200 * time.Millisecond
	d := escl.New(o)
	dev := device(t, srv)
	for name, op := range map[string]func() error{
		"caps": func() error { _, err := d.Caps(context.Background(), dev); return err },
		"scan": func() error { _, err := collect(context.Background(), d, dev, small); return err },
	} {
		start := time.Now()
		err := op()
		if !errors.Is(err, scan.ErrOffline) {
			t.Errorf("%s: %v, want ErrOffline", name, err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("%s gave up after %v, not after the configured 200ms", name, el)
		}
	}
	// Devices leaves it out, and says so in the log only.
	o.Addresses = []string{srv.URL}
	o.BrowseTimeout = 300 * time.Millisecond
	devs, err := escl.New(o).Devices(context.Background())
	if err != nil || len(devs) != 0 {
		t.Errorf("Devices = %v, %v; want none", devs, err)
	}
}

func TestDeviceSwitchedOff(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dev, err := escl.DeviceFor(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := escl.New(fast(t)).Caps(context.Background(), dev); !errors.Is(err, scan.ErrOffline) {
		t.Errorf("Caps = %v, want ErrOffline", err)
	}
}

func TestRetryAfter(t *testing.T) {
	srv := escltest.New(t, escltest.Config{Faults: escltest.Faults{Busy: 1, RetryAfter: 1}})
	o := fast(t)
	o.BusyTimeout = 10 * time.Second
	d := escl.New(o)
	start := time.Now()
	pages, err := collect(context.Background(), d, device(t, srv), scan.Options{Input: scan.Flatbed, Resolution: 75, Area: small.Area})
	if err != nil || len(pages) != 1 {
		t.Fatalf("Scan = %d pages, %v", len(pages), err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v, before the second Retry-After asked", el)
	}
}

func TestHTTPS(t *testing.T) {
	srv := escltest.New(t, escltest.Config{TLS: true, Sheets: 2})
	dev := device(t, srv)
	host := strings.TrimPrefix(strings.TrimSuffix(srv.URL, escltest.Resource), "https://")
	fp := escl.Fingerprint(srv.Certificate)
	if len(fp) != 95 || strings.Count(fp, ":") != 31 {
		t.Fatalf("fingerprint %q", fp)
	}
	bare := strings.ToLower(strings.ReplaceAll(fp, ":", ""))

	t.Run("unpinned self-signed certificate refused", func(t *testing.T) {
		_, err := collect(context.Background(), escl.New(fast(t)), dev, small)
		var ce *escl.CertificateError
		if !errors.As(err, &ce) {
			t.Fatalf("Scan = %v, want a CertificateError", err)
		}
		if ce.Addr != host || ce.Fingerprint != fp || ce.Pinned != "" {
			t.Errorf("error %+v", ce)
		}
		if msg := err.Error(); !strings.Contains(msg, "pin fingerprint "+fp) || !strings.Contains(msg, host) {
			t.Errorf("the message does not say what to pin: %s", msg)
		}
		if errors.Is(err, scan.ErrOffline) || srv.Jobs() != 0 {
			t.Errorf("%v; %d jobs", err, srv.Jobs())
		}
	})
	t.Run("pinned certificate accepted", func(t *testing.T) {
		for _, pins := range []map[string]string{{host: fp}, {host: bare}, {"127.0.0.1": "SHA256:" + fp}} {
			o := fast(t)
			o.Pins = pins
			pages, err := collect(context.Background(), escl.New(o), dev, small)
			if err != nil {
				t.Fatalf("pins %v: %v", pins, err)
			}
			checkPages(t, pages, 2, 75)
		}
	})
	t.Run("another certificate than the pinned one refused", func(t *testing.T) {
		o := fast(t)
		o.Pins = map[string]string{host: strings.Repeat("ab", 32)}
		_, err := escl.New(o).Caps(context.Background(), dev)
		var ce *escl.CertificateError
		if !errors.As(err, &ce) || ce.Pinned == "" || !strings.Contains(err.Error(), "not the pinned") {
			t.Fatalf("Caps = %v", err)
		}
	})
	t.Run("certificate signed by a trusted authority", func(t *testing.T) {
		o := fast(t)
		o.RootCAs = x509.NewCertPool()
		o.RootCAs.AddCert(srv.Certificate)
		if _, err := escl.New(o).Caps(context.Background(), dev); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("dropped mid-image over TLS", func(t *testing.T) {
		srv := escltest.New(t, escltest.Config{TLS: true, Faults: escltest.Faults{DropPage: 2}})
		o := fast(t)
		o.RootCAs = x509.NewCertPool()
		o.RootCAs.AddCert(srv.Certificate)
		pages, err := collect(context.Background(), escl.New(o), device(t, srv), small)
		if !errors.Is(err, scan.ErrCommunication) || len(pages) != 1 || srv.Deletes() != 1 {
			t.Fatalf("Scan = %d pages, %v, %d DELETEs", len(pages), err, srv.Deletes())
		}
	})
}

// TestCapsOverHTTP serves each capture and reads it back through Caps.
func TestCapsOverHTTP(t *testing.T) {
	for _, tc := range []struct {
		file   string
		inputs []scan.Input
	}{
		{"HP-LaserJet-MFP-M426fdn-ScannerCapabilities.xml", []scan.Input{scan.Flatbed, scan.Feeder, scan.Duplex}},
		{"Kyocera-ECOSYS-M2040dn-ScannerCapabilities.xml", []scan.Input{scan.Flatbed, scan.Feeder, scan.Duplex}},
		{"Xerox-B235-ScannerCapabilities.xml", []scan.Input{scan.Flatbed, scan.Feeder}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			srv := escltest.New(t, escltest.Config{Caps: data})
			caps, err := escl.New(fast(t)).Caps(context.Background(), device(t, srv))
			if err != nil {
				t.Fatal(err)
			}
			var got []scan.Input
			for _, in := range caps.Inputs {
				got = append(got, in.Input)
				if len(in.Resolutions) == 0 || len(in.Modes) == 0 || in.MaxWidth < 200 || in.MaxHeight < 290 {
					t.Errorf("%s: %+v", in.Input, in)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.inputs) {
				t.Errorf("inputs %v, want %v", got, tc.inputs)
			}
		})
	}
	t.Run("a web page instead", func(t *testing.T) {
		srv := escltest.New(t, escltest.Config{Caps: []byte("<html><body>Login</body></html>")})
		if _, err := escl.New(fast(t)).Caps(context.Background(), device(t, srv)); !errors.Is(err, scan.ErrDevice) || !strings.Contains(err.Error(), "not eSCL") {
			t.Errorf("Caps = %v", err)
		}
	})
	t.Run("sent on to https", func(t *testing.T) {
		target := "https://127.0.0.1:443/eSCL/ScannerCapabilities"
		srv := httptest.NewServer(http.RedirectHandler(target, http.StatusMovedPermanently))
		defer srv.Close()
		dev, err := escl.DeviceFor(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, err = escl.New(fast(t)).Caps(context.Background(), dev)
		if !errors.Is(err, scan.ErrNotFound) || !strings.Contains(err.Error(), target) {
			t.Errorf("Caps = %v", err)
		}
	})
	t.Run("no eSCL at this path", func(t *testing.T) {
		srv := escltest.New(t, escltest.Config{})
		dev, err := escl.DeviceFor(strings.TrimSuffix(srv.URL, escltest.Resource) + "/airscan")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := escl.New(fast(t)).Caps(context.Background(), dev); !errors.Is(err, scan.ErrNotFound) {
			t.Errorf("Caps = %v, want ErrNotFound", err)
		}
	})
}
