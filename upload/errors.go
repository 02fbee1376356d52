package upload

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The shared delivery errors, mapped by every target so that the outbox
// and the GUI treat them alike.
var (
	// ErrAuth: the server refused the credentials, or none is stored.
	// The delivery waits for `demat credentials set` (needs-credentials).
	ErrAuth = errors.New("the server refused the credentials")
	// ErrExists: the destination already holds a different document.
	ErrExists = errors.New("the destination already holds another document")
	// ErrNoSpace: the destination is full (HTTP 507, ENOSPC). Temporary:
	// someone may make room.
	ErrNoSpace = errors.New("no space left at the destination")
	// ErrUntrusted: the server's certificate or host key is not trusted.
	ErrUntrusted = errors.New("the server is not trusted")
)

// classified marks an error as temporary or permanent, with an optional
// wait the server asked for.
type classified struct {
	err        error
	temporary  bool
	retryAfter time.Duration
}

func (c *classified) Error() string { return c.err.Error() }
func (c *classified) Unwrap() error { return c.err }

// Temporary marks err as worth retrying later.
func Temporary(err error) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, temporary: true}
}

// Permanent marks err as not worth retrying: the delivery fails until a
// person retries it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &classified{err: err}
}

// RetryAfter marks err as temporary, not to be retried before d (an
// HTTP Retry-After).
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, temporary: true, retryAfter: d}
}

// IsTemporary says whether a delivery that failed with err should be
// tried again later. Explicit marks (Temporary, Permanent, RetryAfter)
// decide first; then refused credentials, conflicts and untrusted
// servers are not temporary, and lost connections, timeouts, a full
// destination and anything unknown are: an outbox that gives up on an
// error it does not know loses documents.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var c *classified
	if errors.As(err, &c) {
		return c.temporary
	}
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	switch {
	case errors.Is(err, ErrAuth), errors.Is(err, ErrExists), errors.Is(err, ErrUntrusted),
		errors.Is(err, context.Canceled),
		errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie):
		return false
	}
	return true
}

// IsTransport says whether err is a lost, refused or stalled connection
// (as opposed to an answer from the server).
func IsTransport(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}

// Delay is the wait a server asked for with err (Retry-After), if any.
func Delay(err error) (time.Duration, bool) {
	var c *classified
	if errors.As(err, &c) && c.retryAfter > 0 {
		return c.retryAfter, true
	}
	return 0, false
}

// StatusError is an HTTP answer that is not a success.
type StatusError struct {
	// Op is what was being done ("PUT", "create upload").
	Op string
	// URL is the request's URL, without credentials.
	URL string
	// Code and Status are the HTTP status.
	Code   int
	Status string
	// Body is the start of the answer's body, for the error message.
	Body string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.Op, e.URL, e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Is makes 401 and 403 match ErrAuth and 507 match ErrNoSpace.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden
	case ErrNoSpace:
		return e.Code == http.StatusInsufficientStorage || e.Code == http.StatusRequestEntityTooLarge
	}
	return false
}

// CheckStatus turns a response that is not 2xx into a classified error:
// 408, 425, 429, 500, 502, 503, 504 and 507 are temporary (with the
// server's Retry-After), 401 and 403 are ErrAuth, the rest permanent.
// It reads (a little of) and closes the body of a failed response.
func CheckStatus(resp *http.Response, op string) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	se := &StatusError{
		Op: op, URL: Redact(resp.Request.URL.String()),
		Code: resp.StatusCode, Status: resp.Status, Body: firstLine(string(body)),
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, http.StatusInsufficientStorage:
		if d := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); d > 0 {
			return RetryAfter(se, d)
		}
		return Temporary(se)
	case http.StatusUnauthorized, http.StatusForbidden:
		return se // ErrAuth by Is: needs credentials, not temporary
	}
	return Permanent(se)
}

// ParseRetryAfter reads a Retry-After header: seconds or an HTTP date.
// Zero when absent or unreadable; capped at a day so that a confused
// server cannot park a delivery for ever.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, 24*time.Hour)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
