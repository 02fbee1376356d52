package escl

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/demat-app/demat/scan"
)

// Driver is the eSCL scan source, made with New. It is safe for
// concurrent use: its fields are set once by New, each Scan owns its job,
// and the HTTP client (with its connection pool) is shared.
type Driver struct {
	opt    Options
	log    *slog.Logger
	hc     *http.Client
	dialer *net.Dialer
	// browse lists the instances of one DNS-SD service type until ctx
	// ends; tests replace it, as a real browse would send multicast
	// beyond the machine.
	browse func(ctx context.Context, service string, found func(instance)) error
}

var _ scan.Source = (*Driver)(nil)

// New makes a driver.
func New(opt Options) *Driver {
	opt.applyDefaults()
	d := &Driver{opt: opt, log: opt.Logger, browse: browseDNSSD}
	d.dialer = &net.Dialer{Timeout: opt.RequestTimeout, KeepAlive: 30 * time.Second}
	if opt.HTTPClient != nil {
		d.hc = opt.HTTPClient
	} else {
		tr := &http.Transport{
			// No proxy: scanners are on the local network, where a proxy
			// from the environment cannot reach them and must not see the
			// pages.
			Proxy:                 nil,
			DialContext:           d.dialer.DialContext,
			DialTLSContext:        d.dialTLS,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		d.hc = &http.Client{
			Transport: tr,
			// A job's Location is followed by hand (see jobURL); other
			// redirects are a device's web UI, never eSCL.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return d
}

// Devices lists the scanners found by mDNS during BrowseTimeout and those
// configured in Addresses that answer in that time. A device announced
// both over http and https (or on several interfaces) is listed once,
// https preferred. When multicast is unavailable the browse is logged
// and the configured devices are still listed.
func (d *Driver) Devices(ctx context.Context) ([]scan.Device, error) {
	bctx, cancel := context.WithTimeout(ctx, d.opt.BrowseTimeout)
	defer cancel()
	var (
		mu    sync.Mutex
		found []candidate
		wg    sync.WaitGroup
	)
	add := func(c candidate) {
		mu.Lock()
		found = append(found, c)
		mu.Unlock()
	}
	if !d.opt.DisableDiscovery {
		for _, svc := range []string{serviceHTTP, serviceHTTPS} {
			wg.Go(func() {
				err := d.browse(bctx, svc, func(in instance) {
					if c, ok := in.candidate(); ok {
						add(c)
					}
				})
				if err != nil && bctx.Err() == nil {
					d.log.Warn("escl: mDNS discovery unavailable; listing configured scanners only", "service", svc, "err", err)
				}
			})
		}
	}
	for _, a := range d.opt.Addresses {
		dev, err := DeviceFor(a)
		if err != nil {
			d.log.Warn("escl: configured scanner address unusable", "address", redact(a), "err", err)
			continue
		}
		wg.Go(func() {
			c, err := d.probe(bctx, dev)
			if err != nil {
				if ctx.Err() == nil {
					d.log.Warn("escl: configured scanner does not answer", "device", dev.ID, "err", err)
				}
				return
			}
			c.order = -1 // a configured address wins over the same device discovered
			add(c)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return dedupe(found), nil
}

// probe asks a configured device for its capabilities, for its name and
// identity.
func (d *Driver) probe(ctx context.Context, dev scan.Device) (candidate, error) {
	base, err := deviceBase(dev)
	if err != nil {
		return candidate{}, err
	}
	caps, _, err := d.fetchCaps(ctx, base)
	if err != nil {
		return candidate{}, err
	}
	c := candidate{base: base, uuid: normUUID(caps.uuid), name: caps.makeAndModel, vendor: caps.manufacturer}
	if c.name == "" {
		c.name = base.Host
	}
	if c.vendor == "" {
		c.vendor = vendorOf(caps.makeAndModel)
	}
	c.model = strings.TrimSpace(strings.TrimPrefix(caps.makeAndModel, c.vendor))
	return c, nil
}

// Caps reads what the device can do.
func (d *Driver) Caps(ctx context.Context, dev scan.Device) (scan.Caps, error) {
	base, err := deviceBase(dev)
	if err != nil {
		return scan.Caps{}, err
	}
	caps, _, err := d.fetchCaps(ctx, base)
	if err != nil {
		if ctx.Err() != nil {
			return scan.Caps{}, ctx.Err()
		}
		return scan.Caps{}, fmt.Errorf("escl: %s: %w", deviceName(dev, base), err)
	}
	return caps.toScan(), nil
}

// endpoint is the URL of one eSCL resource under base.
func endpoint(base *url.URL, name string) string {
	return baseString(base) + "/" + name
}

// fetchCaps gets and parses ScannerCapabilities; it also returns the
// response's Server header, which some quirks key on.
func (d *Driver) fetchCaps(ctx context.Context, base *url.URL) (capabilities, string, error) {
	r := request{method: http.MethodGet, url: endpoint(base, "ScannerCapabilities"), wait: d.opt.RequestTimeout}
	resp, err := d.sendRetry(ctx, r, d.log, nil)
	if err != nil {
		return capabilities{}, "", err
	}
	body, err := readBody(resp, d.opt.MaxPageBytes)
	if err != nil {
		return capabilities{}, "", fmt.Errorf("%s: %w", r, err)
	}
	if resp.StatusCode != http.StatusOK {
		return capabilities{}, "", statusError(r, resp, body)
	}
	caps, err := parseCaps(body)
	if err != nil {
		return capabilities{}, "", fmt.Errorf("%s: %w: %w", r, scan.ErrDevice, err)
	}
	return caps, resp.Header.Get("Server"), nil
}

// fetchStatus gets and parses ScannerStatus.
func (d *Driver) fetchStatus(ctx context.Context, base *url.URL) (status, error) {
	r := request{method: http.MethodGet, url: endpoint(base, "ScannerStatus"), wait: d.opt.RequestTimeout}
	resp, err := d.sendRetry(ctx, r, d.log, nil)
	if err != nil {
		return status{}, err
	}
	body, err := readBody(resp, 1<<20)
	if err != nil {
		return status{}, fmt.Errorf("%s: %w", r, err)
	}
	if resp.StatusCode != http.StatusOK {
		return status{}, statusError(r, resp, body)
	}
	st, err := parseStatus(body)
	if err != nil {
		return status{}, fmt.Errorf("%s: %w: %w", r, scan.ErrDevice, err)
	}
	return st, nil
}

// vendors whose names lead a MakeAndModel, to fill Device.Vendor when the
// device does not say it separately.
var vendors = []string{"Brother", "Canon", "Dell", "Epson", "Fuji Xerox", "FUJIFILM", "HP", "Kodak", "Konica Minolta",
	"Kyocera", "Lexmark", "OKI", "Panasonic", "Pantum", "Ricoh", "Samsung", "Sharp", "Toshiba", "Xerox"}

func vendorOf(makeAndModel string) string {
	for _, v := range vendors {
		if len(makeAndModel) > len(v) && strings.EqualFold(makeAndModel[:len(v)], v) && !isLetter(makeAndModel[len(v)]) {
			return makeAndModel[:len(v)]
		}
	}
	return ""
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// normUUID reduces a UUID to lower-case hex digits and dashes, whatever
// the device wraps it in ("urn:uuid:", braces).
func normUUID(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "urn:")
	s = strings.TrimPrefix(s, "uuid:")
	return strings.Trim(s, "{}")
}

// candidate is a device found one way or another, before duplicates are
// merged.
type candidate struct {
	base                *url.URL
	uuid                string
	name, vendor, model string
	ipv6                bool
	order               int // lower wins among equals
}

// dedupe merges the candidates that are the same device (same UUID, or
// else same base URL), keeping the best way to reach it: https over http
// (same device, and the pages travel encrypted), then IPv4 over IPv6
// (link-local IPv6 addresses need a zone that changes with the
// interface), then a configured address over a discovered one.
func dedupe(cs []candidate) []scan.Device {
	best := map[string]candidate{}
	var keys []string
	for _, c := range cs {
		key := c.uuid
		if key == "" {
			key = idOf(c.base)
		}
		old, ok := best[key]
		if !ok {
			keys = append(keys, key)
			best[key] = c
			continue
		}
		if better(c, old) {
			if c.name == "" || c.name == c.base.Host {
				c.name = old.name
			}
			best[key] = c
		}
	}
	out := make([]scan.Device, 0, len(keys))
	seen := map[string]bool{}
	for _, k := range keys {
		c := best[k]
		dev := deviceOf(c.base, c.name)
		if seen[dev.ID] {
			continue
		}
		seen[dev.ID] = true
		dev.Vendor, dev.Model = c.vendor, c.model
		out = append(out, dev)
	}
	slices.SortStableFunc(out, func(a, b scan.Device) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func better(c, old candidate) bool {
	if (c.base.Scheme == "https") != (old.base.Scheme == "https") {
		return c.base.Scheme == "https"
	}
	if c.ipv6 != old.ipv6 {
		return !c.ipv6
	}
	return c.order < old.order
}
