package escl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/demat-app/demat/scan"
)

// Causes of a request's own cancellation, told apart from the caller's.
var (
	errNoAnswer = errors.New("no answer in time")
	errStalled  = errors.New("transfer stalled")
)

// request is one HTTP exchange with a device.
type request struct {
	method, url string
	body        []byte        // XML to send, or nil
	wait        time.Duration // bound on the wait for the response headers
	host        string        // Host header to send instead of the URL's, or ""
}

func (r request) String() string { return r.method + " " + r.url }

// send makes one request and returns the response once its headers are
// in. Its body reports a stall longer than IdleTimeout, a broken
// connection and the caller's cancel as errors of this package's kinds;
// closing it releases the request.
func (d *Driver) send(ctx context.Context, r request) (*http.Response, error) {
	rctx, cancel := context.WithCancelCause(ctx)
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(rctx, r.method, r.url, body)
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "text/xml")
	}
	if r.host != "" {
		req.Host = r.host
	}
	timer := time.AfterFunc(r.wait, func() { cancel(errNoAnswer) })
	resp, err := d.hc.Do(req)
	timer.Stop()
	if err != nil {
		err = d.classify(ctx, rctx, r, err)
		cancel(nil)
		return nil, err
	}
	b := &guardedBody{rc: resp.Body, ctx: ctx, rctx: rctx, cancel: cancel, r: r, d: d}
	b.timer = time.AfterFunc(d.opt.IdleTimeout, func() { cancel(errStalled) })
	resp.Body = b
	return resp, nil
}

// guardedBody is a response body under the idle timeout.
type guardedBody struct {
	rc        io.ReadCloser
	ctx, rctx context.Context
	cancel    context.CancelCauseFunc
	timer     *time.Timer
	r         request
	d         *Driver
}

func (b *guardedBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.d.opt.IdleTimeout)
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		err = b.d.classify(b.ctx, b.rctx, b.r, err)
	}
	return n, err
}

func (b *guardedBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// classify turns a transport error into the caller's cancel (returned as
// it is), ErrOffline (nothing reached the device, or it never answered),
// a CertificateError, or ErrCommunication (the exchange broke midway).
func (d *Driver) classify(ctx, rctx context.Context, r request, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch context.Cause(rctx) {
	case errNoAnswer:
		return fmt.Errorf("%s: no answer within %v: %w", r, r.wait, scan.ErrOffline)
	case errStalled:
		return fmt.Errorf("%s: nothing received for %v mid-transfer: %w", r, d.opt.IdleTimeout, scan.ErrCommunication)
	}
	var ce *CertificateError
	if errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", r, ce)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if unreachable(err) {
		return fmt.Errorf("%s: %w: %w", r, scan.ErrOffline, err)
	}
	return fmt.Errorf("%s: %w: %w", r, scan.ErrCommunication, err)
}

// unreachable tells whether err means the request never reached the
// device: no route, nothing listening, a name that does not resolve.
func unreachable(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

// sendRetry sends r, trying again while the device answers 503 Service
// Unavailable: HP, Brother and Canon say so while a page is being
// scanned or the lamp warms up. It honours Retry-After and gives up with
// ErrBusy after BusyTimeout. onBusy, when set, runs between attempts and
// stops them with its error (a jam reported while waiting).
func (d *Driver) sendRetry(ctx context.Context, r request, log *slog.Logger, onBusy func(context.Context) error) (*http.Response, error) {
	start := time.Now()
	delay := d.opt.RetryDelay
	for attempt := 1; ; attempt++ {
		resp, err := d.send(ctx, r)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			return resp, nil
		}
		wait := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		drain(resp)
		if wait <= 0 {
			wait = delay
			delay = min(2*delay, maxRetryDelay)
		}
		left := d.opt.BusyTimeout - time.Since(start)
		if left <= 0 {
			return nil, fmt.Errorf("%s: still answering 503 Service Unavailable after %d attempts in %v: %w",
				r, attempt, time.Since(start).Round(time.Millisecond), scan.ErrBusy)
		}
		if onBusy != nil {
			if err := onBusy(ctx); err != nil {
				return nil, err
			}
		}
		log.Debug("escl: device busy, trying again", "attempt", attempt, "wait", min(wait, left))
		if err := sleep(ctx, min(wait, left)); err != nil {
			return nil, err
		}
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; 0 when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), time.Hour)
	}
	return 0
}

// sleep waits d, or less if ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain reads what is left of a small body so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// readBody reads a whole body of at most limit bytes and closes it.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("the scanner announced %d bytes, more than the %d accepted: %w", resp.ContentLength, limit, scan.ErrDevice)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the scanner sent more than the %d bytes accepted: %w", limit, scan.ErrDevice)
	}
	return data, nil
}

// statusError is a response status the driver did not expect.
func statusError(r request, resp *http.Response, body []byte) error {
	msg := fmt.Sprintf("%s: %s", r, resp.Status)
	if t := bytes.TrimSpace(body); len(t) > 0 && len(t) < 200 && !bytes.ContainsAny(t, "<>") {
		msg += " (" + string(t) + ")"
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		// Some HP firmware sends eSCL over http on to https. The driver
		// does not follow: the device's ID (and its pinned certificate)
		// must name where the pages travel.
		if loc := resp.Header.Get("Location"); loc != "" {
			return fmt.Errorf("%s: the scanner sends requests on to %s: use that address: %w", msg, redact(loc), scan.ErrNotFound)
		}
		return fmt.Errorf("%s: %w", msg, scan.ErrNotFound)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%s: %w", msg, scan.ErrDenied)
	case http.StatusNotFound:
		return fmt.Errorf("%s: no eSCL service at this address: %w", msg, scan.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", msg, scan.ErrDevice)
}
