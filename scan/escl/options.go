package escl

import (
	"crypto/x509"
	"log/slog"
	"net/http"
	"time"
)

// Options configure a Driver. The zero value discovers devices with mDNS
// and uses defaults that suit office scanners on a local network.
type Options struct {
	// Addresses are scanners to reach besides those discovered, as a
	// person types them: "192.0.2.7", "http://192.0.2.7/eSCL",
	// "https://scanner.example:8443/eSCL" (see DeviceFor).
	Addresses []string
	// DisableDiscovery turns mDNS browsing off: Devices lists only
	// Addresses (networks that block multicast, or tests).
	DisableDiscovery bool
	// Pins maps a device's "host:port" (or just "host") to the SHA-256
	// fingerprint of a certificate to accept although no authority this
	// computer trusts signed it: the self-signed certificate most
	// scanners ship with. Hex, upper or lower case, colons optional.
	Pins map[string]string
	// RootCAs verifies device certificates; nil uses the system's roots.
	RootCAs *x509.CertPool
	// HTTPClient, when set, replaces the driver's own client. Its
	// transport then owns TLS: Pins and RootCAs are not applied.
	HTTPClient *http.Client
	// Logger receives what the driver did and worked around; nil
	// discards it.
	Logger *slog.Logger

	// BrowseTimeout is how long Devices listens for mDNS answers and
	// waits for configured addresses to answer.
	BrowseTimeout time.Duration
	// RequestTimeout bounds the wait for the headers of a control
	// request (capabilities, status, job creation, cancel).
	RequestTimeout time.Duration
	// PageTimeout bounds the wait for the headers of a page
	// (NextDocument), which some devices hold back while scanning it.
	PageTimeout time.Duration
	// IdleTimeout is how long a response body may stall before the
	// connection counts as broken.
	IdleTimeout time.Duration
	// BusyTimeout bounds the time spent retrying a request the device
	// answers with 503 Service Unavailable.
	BusyTimeout time.Duration
	// RetryDelay is the first pause after a 503 without Retry-After;
	// pauses double up to maxRetryDelay.
	RetryDelay time.Duration
	// CancelTimeout bounds the DELETE that stops a job.
	CancelTimeout time.Duration
	// MaxPageBytes refuses a page (and a capabilities document) larger
	// than this.
	MaxPageBytes int64
}

// maxRetryDelay caps the pause between two attempts: longer and a device
// that became ready sits idle.
const maxRetryDelay = 5 * time.Second

func (o *Options) applyDefaults() {
	if o.Logger == nil {
		// Library code logs through what it is given; nothing given means
		// nothing wanted.
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BrowseTimeout <= 0 {
		// Devices answer an mDNS query within a second; three leave room
		// for a sleeping printer's network chip and Wi-Fi power saving.
		o.BrowseTimeout = 3 * time.Second
	}
	if o.RequestTimeout <= 0 {
		// A scanner that is awake answers a control request in well under
		// a second; 30 s covers one waking up from deep sleep.
		o.RequestTimeout = 30 * time.Second
	}
	if o.PageTimeout <= 0 {
		// Some devices (HP, Canon) send no header until the page is
		// scanned: an A4 colour flatbed page at 1200 dpi takes over a
		// minute on an office MFP.
		o.PageTimeout = 2 * time.Minute
	}
	if o.IdleTimeout <= 0 {
		// Mid-image a device sends continuously; 30 s of silence is a
		// dropped Wi-Fi link or a crashed firmware, not a slow scan.
		o.IdleTimeout = 30 * time.Second
	}
	if o.BusyTimeout <= 0 {
		// sane-airscan retries NextDocument 30 times a second apart
		// because the HP LaserJet MFP M28w needs that many at high
		// resolution; two minutes gives the same with backoff.
		o.BusyTimeout = 2 * time.Minute
	}
	if o.RetryDelay <= 0 {
		// One second is the pause sane-airscan found devices tolerate;
		// shorter and slow firmware spends its time answering 503s.
		o.RetryDelay = time.Second
	}
	if o.CancelTimeout <= 0 {
		// A cancel is best effort on the way out: the person is waiting,
		// and a device that does not answer in 5 s is gone anyway.
		o.CancelTimeout = 5 * time.Second
	}
	if o.MaxPageBytes <= 0 {
		// An A3 colour page at 600 dpi is 30–60 MB as JPEG and under
		// 210 MB as 8-bit PNG; 256 MiB holds that and refuses a device
		// streaming garbage forever.
		o.MaxPageBytes = 256 << 20
	}
}
