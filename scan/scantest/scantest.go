// Package scantest is the conformance suite every scan.Source passes: the
// behaviour the pipeline, the CLI and the window rely on whatever the
// driver (pages in order and valid, the page limit, an emit error or a
// cancel stopping the job, the device usable again afterwards).
//
// A driver's tests call Run with a real device (the SANE test backend, the
// eSCL test server, a folder of files). It must not hold driver-specific
// checks: those belong in the driver's own tests.
package scantest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/scan"
)

// Harness describes the source under test.
type Harness struct {
	// Source is the driver.
	Source scan.Source
	// Device is a device of Source that can scan.
	Device scan.Device
	// Listed says Devices must list Device (false for sources that are
	// not discovered, such as a folder given by path).
	Listed bool
	// Batch is a job that delivers BatchPages pages (at least 3), such
	// as a full feeder.
	Batch      scan.Options
	BatchPages int
	// Single is a job that delivers exactly one page (a flatbed scan);
	// zero when the device has no flatbed.
	Single *scan.Options
	// Timeout bounds each job (default one minute).
	Timeout time.Duration
}

// Run checks h.Source against the contract of scan.Source.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.BatchPages < 3 {
		t.Fatalf("scantest: the harness's batch must give at least 3 pages, says %d", h.BatchPages)
	}
	if h.Timeout <= 0 {
		h.Timeout = time.Minute
	}
	driver := scan.Driver(h.Device.ID)
	if driver == "" || driver != h.Device.Driver {
		t.Fatalf("device ID %q must start with its driver name %q and a colon", h.Device.ID, h.Device.Driver)
	}

	t.Run("Devices", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
		defer cancel()
		devs, err := h.Source.Devices(ctx)
		if err != nil {
			t.Fatalf("Devices: %v", err)
		}
		seen := map[string]bool{}
		for _, d := range devs {
			if seen[d.ID] {
				t.Errorf("device %q listed twice", d.ID)
			}
			seen[d.ID] = true
			if scan.Driver(d.ID) != d.Driver || d.Driver != driver {
				t.Errorf("device %q: driver %q, want IDs of the form %s:…", d.ID, d.Driver, driver)
			}
			if d.Name == "" {
				t.Errorf("device %q has no name to show", d.ID)
			}
		}
		if h.Listed && !seen[h.Device.ID] {
			t.Errorf("Devices did not list %q (listed: %v)", h.Device.ID, devs)
		}
	})

	t.Run("Caps", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
		defer cancel()
		caps, err := h.Source.Caps(ctx, h.Device)
		if err != nil {
			t.Fatalf("Caps: %v", err)
		}
		if len(caps.Inputs) == 0 {
			t.Fatal("Caps lists no input")
		}
		for _, in := range caps.Inputs {
			if _, err := scan.ParseInput(string(in.Input)); err != nil {
				t.Errorf("input %q: %v", in.Input, err)
			}
			if !slices.IsSorted(in.Resolutions) {
				t.Errorf("%s: resolutions not ascending: %v", in.Input, in.Resolutions)
			}
			for _, r := range in.Resolutions {
				if r <= 0 {
					t.Errorf("%s: resolution %d", in.Input, r)
				}
			}
			for _, m := range in.Modes {
				if _, err := scan.ParseMode(string(m)); err != nil {
					t.Errorf("%s: mode %q: %v", in.Input, m, err)
				}
			}
		}
		if h.Batch.Input != "" {
			if _, ok := caps.Input(h.Batch.Input); !ok {
				t.Errorf("Caps has no %s, which the batch uses", h.Batch.Input)
			}
		}
	})

	t.Run("Batch", func(t *testing.T) {
		pages, err := collect(t, h, h.Batch, nil)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if len(pages) != h.BatchPages {
			t.Fatalf("batch gave %d pages, want %d", len(pages), h.BatchPages)
		}
		for i, p := range pages {
			checkPage(t, i+1, p)
		}
	})

	if h.Single != nil {
		t.Run("Single", func(t *testing.T) {
			pages, err := collect(t, h, *h.Single, nil)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if len(pages) != 1 {
				t.Fatalf("single job gave %d pages, want 1", len(pages))
			}
			checkPage(t, 1, pages[0])
		})
	}

	t.Run("PageLimit", func(t *testing.T) {
		opt := h.Batch
		opt.Pages = 2
		pages, err := collect(t, h, opt, nil)
		if err != nil {
			t.Fatalf("Scan with Pages=2: %v", err)
		}
		if len(pages) != 2 {
			t.Fatalf("Pages=2 gave %d pages", len(pages))
		}
	})

	t.Run("EmitErrorStops", func(t *testing.T) {
		stop := errors.New("scantest: stop here")
		calls := 0
		_, err := collect(t, h, h.Batch, func(n int) error {
			calls++
			if n == 2 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Fatalf("Scan returned %v, want the error emit returned", err)
		}
		if calls != 2 {
			t.Fatalf("emit was called %d times, want 2 (no call after it failed)", calls)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		start := time.Now()
		err := h.Source.Scan(ctx, h.Device, h.Batch, func(p scan.Page) error {
			calls++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Scan returned %v, want context.Canceled", err)
		}
		if calls != 1 {
			t.Fatalf("emit was called %d times after the job was cancelled at page 1", calls)
		}
		if d := time.Since(start); d > h.Timeout {
			t.Fatalf("cancel took %v", d)
		}
	})

	// A cancelled or failed job must leave the device usable.
	t.Run("UsableAfterCancel", func(t *testing.T) {
		opt := h.Batch
		opt.Pages = 1
		pages, err := collect(t, h, opt, nil)
		if err != nil {
			t.Fatalf("Scan after a cancelled job: %v", err)
		}
		if len(pages) != 1 {
			t.Fatalf("got %d pages, want 1", len(pages))
		}
	})
}

// collect runs one job and returns its pages; check, when set, is called
// with each page's number before it is kept.
func collect(t *testing.T, h Harness, opt scan.Options, check func(n int) error) ([]scan.Page, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
	defer cancel()
	var pages []scan.Page
	err := h.Source.Scan(ctx, h.Device, opt, func(p scan.Page) error {
		if check != nil {
			if err := check(len(pages) + 1); err != nil {
				return err
			}
		}
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

func checkPage(t *testing.T, n int, p scan.Page) {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Errorf("page %d: %v", n, err)
		return
	}
	if strings.TrimSpace(p.Source) == "" {
		t.Errorf("page %d: no Source to name it in messages", n)
	}
	img, err := p.Pixels()
	if err != nil {
		t.Errorf("page %d: %v", n, err)
		return
	}
	if b := img.Bounds(); b.Dx() != p.Width || b.Dy() != p.Height {
		t.Errorf("page %d: pixels %v, page says %d×%d", n, b, p.Width, p.Height)
	}
	if p.XDPI < 50 || p.XDPI > 4800 || p.YDPI < 50 || p.YDPI > 4800 {
		t.Errorf("page %d: resolution %g×%g dpi is not credible", n, p.XDPI, p.YDPI)
	}
}
