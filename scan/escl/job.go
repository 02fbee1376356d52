package escl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/demat-app/demat/scan"
)

// Brother MFC-L2710DW answers 404 (and says its feeder is empty) when the
// next page is asked for right after the previous one arrived
// (sane-airscan). A pause of half the previous page's transfer time, at
// most nextPageDelay, avoids it without slowing fast scanners.
const nextPageDelay = time.Second

// earlyRetries is how often a first page answered 404 while the feeder
// says it holds paper is asked for again: some firmware creates the job
// before its feeder is ready.
const earlyRetries = 3

// Scan runs one job on dev and delivers its pages through emit as each
// arrives, as scan.Source says. Before creating the job it checks the
// device's status (busy, warming up, feeder empty, jammed or open). The
// job is stopped with one DELETE when it ends early: the page limit, a
// flatbed page, emit's error, a cancel, or a failure; a feeder job that
// ran out ends by itself.
func (d *Driver) Scan(ctx context.Context, dev scan.Device, opt scan.Options, emit func(scan.Page) error) error {
	base, err := deviceBase(dev)
	if err != nil {
		return err
	}
	name := deviceName(dev, base)
	log := d.log.With("device", dev.ID)
	// wrap names the device in an error, once; the caller's cancel is
	// returned as it is.
	wrap := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("escl: %s: %w", name, err)
	}
	caps, server, err := d.fetchCaps(ctx, base)
	if err != nil {
		return wrap(err)
	}
	sc := caps.toScan()
	opt = opt.WithDefaults(sc)
	if err := sc.Check(opt); err != nil {
		return fmt.Errorf("escl: %s: %w: %w", name, scan.ErrInvalidOption, err)
	}
	in := caps.input(opt.Input)
	if in == nil {
		return fmt.Errorf("escl: %s: %w: no %s", name, scan.ErrInvalidOption, opt.Input)
	}
	set, warnings, err := newSettings(caps, in, opt)
	if err != nil {
		return fmt.Errorf("escl: %s: %w: %w", name, scan.ErrInvalidOption, err)
	}
	feeder := opt.Input != scan.Flatbed

	st, err := d.fetchStatus(ctx, base)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, scan.ErrOffline):
		return wrap(err)
	case err != nil:
		// A status the driver cannot read is no reason not to try.
		log.Warn("escl: scanner status unreadable; scanning anyway", "err", err)
	default:
		if err := st.precheck(feeder); err != nil {
			return fmt.Errorf("escl: %s: %w", name, err)
		}
	}

	j, err := d.createJob(ctx, base, caps, server, set, feeder, log)
	if err != nil {
		return wrap(err)
	}
	log = log.With("job", j.url)
	j.log = log
	log.Debug("escl: job created", "input", opt.Input, "mode", set.mode, "dpi", set.resolution, "format", set.format)

	run := &run{d: d, j: j, base: base, name: name, feeder: feeder, set: set, warnings: warnings, log: log}
	err = run.pages(ctx, opt.Pages, emit)
	if !run.ended {
		j.cancel(ctx)
	}
	return err
}

// job is a scan job the device created; its owner is the Scan call that
// created it.
type job struct {
	d         *Driver
	url       string
	log       *slog.Logger
	cancelled bool
}

// next is the URL of the job's next page. Devices write Location with or
// without a trailing slash; sane-airscan adds one only when missing.
func (j *job) next() string {
	if strings.HasSuffix(j.url, "/") {
		return j.url + "NextDocument"
	}
	return j.url + "/NextDocument"
}

// cancel tells the device to stop the job, once. It runs on the way out,
// often because ctx was cancelled: it gets a context of its own, bounded
// by CancelTimeout, and its failure is only logged (the pages already
// delivered are safe, and the device drops abandoned jobs itself).
func (j *job) cancel(ctx context.Context) {
	if j.cancelled {
		return
	}
	j.cancelled = true
	cctx, stop := context.WithTimeout(context.WithoutCancel(ctx), j.d.opt.CancelTimeout)
	defer stop()
	r := request{method: http.MethodDelete, url: j.url, wait: j.d.opt.CancelTimeout}
	resp, err := j.d.send(cctx, r)
	if err != nil {
		j.log.Warn("escl: could not cancel the job on the scanner", "err", err)
		return
	}
	drain(resp)
	j.log.Debug("escl: job cancelled", "status", resp.StatusCode)
}

// createJob posts the settings and returns the job the device made.
func (d *Driver) createJob(ctx context.Context, base *url.URL, caps capabilities, server string, set settings, feeder bool, log *slog.Logger) (*job, error) {
	r := request{method: http.MethodPost, url: endpoint(base, "ScanJobs"), body: set.marshal(), wait: d.opt.RequestTimeout}
	// HP LaserJet MFP M630, Color LaserJet FlowMFP M578 and most devices
	// whose web server calls itself HP_Compact_Server accept a job only
	// with Host: localhost (sane-airscan #92, #116); their Location then
	// names localhost, which jobURL replaces.
	if server == "HP_Compact_Server" || caps.makeAndModel == "HP LaserJet MFP M630" || caps.makeAndModel == "HP Color LaserJet FlowMFP M578" {
		r.host = "localhost"
	}
	resp, err := d.sendRetry(ctx, r, log, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		body, _ := readBody(resp, 64<<10)
		err := statusError(r, resp, body)
		switch resp.StatusCode {
		case http.StatusConflict, http.StatusBadRequest:
			// Devices refuse a job with 409 both for settings they cannot
			// do and for a state they are in: the status tells which.
			if st, serr := d.fetchStatus(ctx, base); serr == nil {
				if e := st.precheck(feeder); e != nil {
					return nil, fmt.Errorf("%s: %s: %w", r, resp.Status, e)
				}
			}
			return nil, fmt.Errorf("%w: %w", err, scan.ErrInvalidOption)
		}
		return nil, err
	}
	// The Kyocera ECOSYS M6526cdn drops the TLS connection after the
	// headers of this response (sane-airscan #163): the body is not
	// needed and not read.
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("%s: %s without a Location for the job: %w", r, resp.Status, scan.ErrDevice)
	}
	u, err := jobURL(base, r.url, loc)
	if err != nil {
		return nil, fmt.Errorf("%s: Location %q: %w: %w", r, loc, scan.ErrDevice, err)
	}
	if u != loc {
		log.Debug("escl: job location rewritten", "location", loc, "job", u)
	}
	return &job{d: d, url: u, log: log}, nil
}

// jobURL resolves a job's Location: relative to the request (RFC 9110),
// then put on the device's own scheme and address. Devices name another
// interface or "localhost" there (HP's Host: localhost quirk, devices
// behind NAT or with several addresses); NAPS2 and sane-airscan keep only
// the path too.
func jobURL(base *url.URL, requestURL, location string) (string, error) {
	ref, err := url.Parse(strings.TrimSpace(location))
	if err != nil {
		return "", err
	}
	req, err := url.Parse(requestURL)
	if err != nil {
		return "", err
	}
	u := req.ResolveReference(ref)
	if u.Path == "" || u.Path == "/" {
		return "", errors.New("no job path")
	}
	u.Scheme, u.Host, u.User, u.Fragment = base.Scheme, base.Host, nil, ""
	return u.String(), nil
}

// run is the page loop of one job.
type run struct {
	d        *Driver
	j        *job
	base     *url.URL
	name     string
	feeder   bool
	set      settings
	warnings []string
	log      *slog.Logger
	// ended is set when the device ended the job itself, so it needs no
	// cancel.
	ended bool
}

// pages fetches and emits pages until the job ends, limit pages were
// delivered (0: no limit), or something fails.
func (r *run) pages(ctx context.Context, limit int, emit func(scan.Page) error) error {
	n := 0
	early := 0
	var lastLoad time.Duration
	for {
		if limit > 0 && n >= limit {
			return nil
		}
		if n > 0 && !r.feeder {
			// A flatbed job is one page; the cancel releases the device
			// at once rather than when its job times out.
			return nil
		}
		if n > 0 {
			if err := sleep(ctx, min(nextPageDelay, lastLoad/2)); err != nil {
				return err
			}
		}
		start := time.Now()
		data, code, err := r.fetch(ctx, n+1)
		lastLoad = time.Since(start)
		if err != nil {
			return err
		}
		switch code {
		case http.StatusOK:
			info, err := inspect(data)
			if err != nil {
				if errors.Is(err, errTruncated) {
					return fmt.Errorf("escl: %s: page %d: %w: %w", r.name, n+1, scan.ErrCommunication, err)
				}
				return fmt.Errorf("escl: %s: page %d: %w: %w", r.name, n+1, scan.ErrDevice, err)
			}
			n++
			p := newPage(data, info, r.set.resolution, r.set.width, fmt.Sprintf("%s page %d", r.name, n))
			p.Warnings = append(append([]string(nil), r.warnings...), p.Warnings...)
			r.log.Debug("escl: page", "page", n, "bytes", len(data), "width", p.Width, "height", p.Height, "dpi", p.XDPI)
			if err := emit(p); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		case http.StatusNotFound, http.StatusGone:
			// No more pages: the normal end of a feeder job.
			if n > 0 {
				r.ended = true
				return nil
			}
			st, serr := r.d.fetchStatus(ctx, r.base)
			if serr == nil && code == http.StatusNotFound && r.feeder && st.adfState == "ScannerAdfLoaded" && early < earlyRetries {
				early++
				r.log.Debug("escl: first page not ready although the feeder holds paper; asking again", "attempt", early)
				if err := sleep(ctx, r.d.opt.RetryDelay); err != nil {
					return err
				}
				continue
			}
			r.ended = true
			return r.noPage(ctx, code, st, serr)
		case http.StatusConflict:
			return r.conflict(ctx, n)
		}
	}
}

// fetch asks for the next page: its bytes and 200, or no bytes and the
// status (404, 410, 409) the loop must explain.
func (r *run) fetch(ctx context.Context, page int) ([]byte, int, error) {
	req := request{method: http.MethodGet, url: r.j.next(), wait: r.d.opt.PageTimeout}
	var onBusy func(context.Context) error
	if r.feeder {
		// While the device answers 503, a jam or an open cover would
		// otherwise only show when the retries run out.
		onBusy = func(ctx context.Context) error {
			st, err := r.d.fetchStatus(ctx, r.base)
			if err != nil {
				return ctx.Err()
			}
			if e := st.adfError(); e != nil && !errors.Is(e, scan.ErrFeederEmpty) {
				return e
			}
			return nil
		}
	}
	resp, err := r.d.sendRetry(ctx, req, r.log, onBusy)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("escl: %s: page %d: %w", r.name, page, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusGone, http.StatusConflict:
		drain(resp)
		return nil, resp.StatusCode, nil
	default:
		body, _ := readBody(resp, 64<<10)
		return nil, 0, fmt.Errorf("escl: %s: page %d: %w", r.name, page, statusError(req, resp, body))
	}
	data, err := readBody(resp, r.d.opt.MaxPageBytes)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("escl: %s: page %d: %w", r.name, page, err)
	}
	return data, http.StatusOK, nil
}

// noPage explains a job that ended before its first page.
func (r *run) noPage(ctx context.Context, code int, st status, serr error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if serr == nil && r.feeder {
		if e := st.adfError(); e != nil {
			return fmt.Errorf("escl: %s: no page: %w", r.name, e)
		}
	}
	switch {
	case code == http.StatusGone:
		return fmt.Errorf("escl: %s: the job was cancelled on the scanner before its first page: %w", r.name, scan.ErrDevice)
	case r.feeder:
		// A feeder job that ends at once found no paper, whatever the
		// status says (sane-airscan reads 404 on the first page the same).
		return fmt.Errorf("escl: %s: the job ended without a page: %w", r.name, scan.ErrFeederEmpty)
	}
	return fmt.Errorf("escl: %s: the job ended without sending the page: %w", r.name, scan.ErrDevice)
}

// conflict explains a 409 Conflict on a page: devices answer it for a jam
// or an open cover, and the status says which. A feeder that says empty
// after some pages ran out normally.
func (r *run) conflict(ctx context.Context, n int) error {
	st, err := r.d.fetchStatus(ctx, r.base)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil {
		if r.feeder {
			if e := st.adfError(); e != nil {
				if errors.Is(e, scan.ErrFeederEmpty) && n > 0 {
					return nil
				}
				return fmt.Errorf("escl: %s: after %d pages: %w", r.name, n, e)
			}
		}
		if e := st.deviceError(); e != nil && !errors.Is(e, scan.ErrBusy) {
			return fmt.Errorf("escl: %s: after %d pages: %w", r.name, n, e)
		}
	}
	return fmt.Errorf("escl: %s: page %d: the scanner answered 409 Conflict and its status does not say why: %w", r.name, n+1, scan.ErrDevice)
}
