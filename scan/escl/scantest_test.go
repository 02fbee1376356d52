package escl_test

import (
	"testing"
	"time"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/escl"
	"github.com/demat-app/demat/scan/escl/escltest"
	"github.com/demat-app/demat/scan/scantest"
)

// TestConformance runs the suite every scan.Source passes against the
// eSCL test server, over http and over https with a pinned certificate.
func TestConformance(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			srv := escltest.New(t, escltest.Config{TLS: tls})
			o := fast(t)
			o.Addresses = []string{srv.URL}
			o.BrowseTimeout = 2 * time.Second
			if tls {
				o.Pins = map[string]string{"127.0.0.1": escl.Fingerprint(srv.Certificate)}
			}
			single := small
			single.Input = scan.Flatbed
			scantest.Run(t, scantest.Harness{
				Source:     escl.New(o),
				Device:     device(t, srv),
				Listed:     true,
				Batch:      small,
				BatchPages: 5,
				Single:     &single,
				Timeout:    30 * time.Second,
			})
		})
	}
}
