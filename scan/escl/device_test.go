package escl

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/escl/escltest"
)

func TestDeviceFor(t *testing.T) {
	for _, tc := range []struct {
		in, want, wantErr string
	}{
		{"192.0.2.7", "escl:http://192.0.2.7:80/eSCL", ""},
		{" 192.0.2.7:8080 ", "escl:http://192.0.2.7:8080/eSCL", ""},
		{"192.0.2.7:443", "escl:https://192.0.2.7:443/eSCL", ""},
		{"http://192.0.2.7", "escl:http://192.0.2.7:80/eSCL", ""},
		{"http://192.0.2.7/", "escl:http://192.0.2.7:80/eSCL", ""},
		{"http://192.0.2.7/eSCL/", "escl:http://192.0.2.7:80/eSCL", ""},
		{"HTTP://Scanner.Example/eSCL", "escl:http://scanner.example:80/eSCL", ""},
		{"https://scanner.example/eSCL", "escl:https://scanner.example:443/eSCL", ""},
		{"http://192.0.2.7:80/eSCL/ScannerCapabilities", "escl:http://192.0.2.7:80/eSCL", ""},
		{"http://192.0.2.7/airscan/v1/", "escl:http://192.0.2.7:80/airscan/v1", ""},
		{"http://[2001:db8::7]/eSCL", "escl:http://[2001:db8::7]:80/eSCL", ""},
		{"http://[fe80::1%25eth0]:8080/eSCL", "escl:http://[fe80::1%25eth0]:8080/eSCL", ""},
		{"http://[FE80::1%25Wi-Fi]/eSCL", "escl:http://[fe80::1%25Wi-Fi]:80/eSCL", ""},
		// An ID is taken as written: "/" is a device serving at its root.
		{"escl:http://192.0.2.7:80/eSCL", "escl:http://192.0.2.7:80/eSCL", ""},
		{"escl:http://192.0.2.7:80/", "escl:http://192.0.2.7:80/", ""},
		{"escl:http://192.0.2.7:80", "escl:http://192.0.2.7:80/eSCL", ""},
		{"", "", "empty address"},
		{"ftp://192.0.2.7/eSCL", "", "http or https"},
		{"http://admin:secret@192.0.2.7/eSCL", "", "passwords"},
		{"http:///eSCL", "", "no host"},
	} {
		dev, err := DeviceFor(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("DeviceFor(%q) = %v, %v; want error %q", tc.in, dev, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("the error repeats the password: %v", err)
			}
			continue
		}
		if err != nil || dev.ID != tc.want || dev.Driver != "escl" || dev.Name == "" || scan.Driver(dev.ID) != "escl" {
			t.Errorf("DeviceFor(%q) = %+v, %v; want %s", tc.in, dev, err, tc.want)
			continue
		}
		// IDs survive a round trip through DeviceFor and deviceBase.
		again, err := DeviceFor(dev.ID)
		if err != nil || again.ID != dev.ID {
			t.Errorf("DeviceFor(%q) = %v, %v; the ID changed", dev.ID, again.ID, err)
		}
		base, err := deviceBase(dev)
		if err != nil || idOf(base) != dev.ID {
			t.Errorf("deviceBase(%s) = %v, %v", dev.ID, base, err)
		}
	}
	if _, err := deviceBase(scan.Device{ID: "sane:test:0"}); !errors.Is(err, scan.ErrNotFound) {
		t.Errorf("a SANE ID: %v", err)
	}
}

func TestJobURL(t *testing.T) {
	base, err := parseBase("http://192.0.2.7:80/eSCL", false)
	if err != nil {
		t.Fatal(err)
	}
	req := endpoint(base, "ScanJobs")
	for _, tc := range []struct{ loc, want string }{
		{"http://192.0.2.7:80/eSCL/ScanJobs/1001", "http://192.0.2.7:80/eSCL/ScanJobs/1001"},
		{"http://192.0.2.7/eSCL/ScanJobs/1001", "http://192.0.2.7:80/eSCL/ScanJobs/1001"},
		{"/eSCL/ScanJobs/1001", "http://192.0.2.7:80/eSCL/ScanJobs/1001"},
		{"ScanJobs/1001", "http://192.0.2.7:80/eSCL/ScanJobs/1001"},
		{"http://localhost/eSCL/ScanJobs/1001/", "http://192.0.2.7:80/eSCL/ScanJobs/1001/"},
		{"http://10.1.2.3:8080/eSCL/ScanJobs/1001", "http://192.0.2.7:80/eSCL/ScanJobs/1001"},
		{"/eSCL/ScanJobs/urn:uuid:4509a320-00a0-008f-00b6-00559a327d32", "http://192.0.2.7:80/eSCL/ScanJobs/urn:uuid:4509a320-00a0-008f-00b6-00559a327d32"},
	} {
		got, err := jobURL(base, req, tc.loc)
		if err != nil || got != tc.want {
			t.Errorf("jobURL(%q) = %q, %v; want %q", tc.loc, got, err, tc.want)
		}
	}
	for _, loc := range []string{"/", "http://192.0.2.7", "%zz"} {
		if got, err := jobURL(base, req, loc); err == nil {
			t.Errorf("jobURL(%q) = %q, want an error", loc, got)
		}
	}
	j := job{url: "http://192.0.2.7:80/eSCL/ScanJobs/1001/"}
	if j.next() != "http://192.0.2.7:80/eSCL/ScanJobs/1001/NextDocument" {
		t.Errorf("next = %s", j.next())
	}
	j.url = strings.TrimSuffix(j.url, "/")
	if j.next() != "http://192.0.2.7:80/eSCL/ScanJobs/1001/NextDocument" {
		t.Errorf("next = %s", j.next())
	}
}

func TestInstanceCandidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   instance
		id   string
		dev  string // name
		uuid string
	}{
		{"ipv4, rs and ty", instance{service: serviceHTTP, name: "BRW1234", port: 80,
			ips: []net.IP{net.ParseIP("fe80::1"), net.ParseIP("192.0.2.7")}, iface: "eth0",
			txt: map[string]string{"rs": "eSCL", "ty": "Brother MFC-L2710DW series", "uuid": "E3248000-80CE-11DB-8000-30055C773BCF"}},
			"escl:http://192.0.2.7:80/eSCL", "Brother MFC-L2710DW series", "e3248000-80ce-11db-8000-30055c773bcf"},
		{"https, rs with slashes, no ty", instance{service: serviceHTTPS, name: "HP LaserJet MFP M426fdn (5F8C2B)", port: 443,
			ips: []net.IP{net.ParseIP("192.0.2.8")}, txt: map[string]string{"rs": "/eSCL/"}},
			"escl:https://192.0.2.8:443/eSCL", "HP LaserJet MFP M426fdn (5F8C2B)", ""},
		{"no rs means eSCL", instance{service: serviceHTTP, name: "x", port: 8080, ips: []net.IP{net.ParseIP("2001:db8::9")}, txt: map[string]string{}},
			"escl:http://[2001:db8::9]:8080/eSCL", "x", ""},
		{"empty rs is the root", instance{service: serviceHTTP, name: "x", port: 80, ips: []net.IP{net.ParseIP("192.0.2.9")}, txt: map[string]string{"rs": ""}},
			"escl:http://192.0.2.9:80/", "x", ""},
		{"link-local only gets its zone", instance{service: serviceHTTP, name: "x", port: 80, ips: []net.IP{net.ParseIP("fe80::2")}, iface: "wlan0", txt: map[string]string{}},
			"escl:http://[fe80::2%25wlan0]:80/eSCL", "x", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := tc.in.candidate()
			if !ok {
				t.Fatal("no candidate")
			}
			dev := deviceOf(c.base, c.name)
			if dev.ID != tc.id || dev.Name != tc.dev || c.uuid != tc.uuid {
				t.Errorf("got %s %q %q, want %s %q %q", dev.ID, dev.Name, c.uuid, tc.id, tc.dev, tc.uuid)
			}
			if again, err := DeviceFor(dev.ID); err != nil || again.ID != dev.ID {
				t.Errorf("DeviceFor(%s) = %s, %v", dev.ID, again.ID, err)
			}
		})
	}
	for _, in := range []instance{
		{service: serviceHTTP, port: 80},
		{service: serviceHTTP, port: 0, ips: []net.IP{net.ParseIP("192.0.2.7")}},
		{service: serviceHTTP, port: 80, ips: []net.IP{net.ParseIP("fe80::2")}}, // no interface for the zone
	} {
		if c, ok := in.candidate(); ok {
			t.Errorf("candidate(%+v) = %+v", in, c)
		}
	}
}

// fakeBrowse announces instances as mDNS would, without multicast: a
// real browse in a test would send queries beyond this machine.
func fakeBrowse(byService map[string][]instance, err error) func(context.Context, string, func(instance)) error {
	return func(ctx context.Context, service string, found func(instance)) error {
		if err != nil {
			return err
		}
		for _, in := range byService[service] {
			in.service = service
			found(in)
		}
		<-ctx.Done()
		return ctx.Err()
	}
}

// logRecorder keeps what the driver logged.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	msg := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.String()
		return true
	})
	l.msgs = append(l.msgs, msg)
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }
func (l *logRecorder) joined() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs, "\n")
}

func TestDevices(t *testing.T) {
	srv := escltest.New(t, escltest.Config{})
	uuid := "E3248000-80CE-11DB-8000-30055C773BCF"
	announced := map[string][]instance{
		serviceHTTP: {
			// One device on two interfaces and over both schemes.
			{name: "Brother MFC-L2710DW series", port: 80, ips: []net.IP{net.ParseIP("192.0.2.7")}, txt: map[string]string{"ty": "Brother MFC-L2710DW series", "uuid": uuid, "rs": "eSCL"}},
			{name: "Brother MFC-L2710DW series", port: 80, ips: []net.IP{net.ParseIP("fe80::7")}, iface: "eth0", txt: map[string]string{"ty": "Brother MFC-L2710DW series", "uuid": uuid, "rs": "eSCL"}},
			// The test server announced too: found by address as well.
			{name: "escltest", port: 0, txt: map[string]string{}},
			// A device without UUID.
			{name: "Old scanner", port: 8080, ips: []net.IP{net.ParseIP("192.0.2.20")}, txt: map[string]string{"rs": "scan"}},
		},
		serviceHTTPS: {
			{name: "Brother MFC-L2710DW series", port: 443, ips: []net.IP{net.ParseIP("192.0.2.7")}, txt: map[string]string{"ty": "Brother MFC-L2710DW series", "UUID": "urn:uuid:" + uuid, "rs": "/eSCL"}},
		},
	}
	for _, tc := range []struct {
		name      string
		browseErr error
		disable   bool
		want      []string
		log       string
	}{
		{"discovered and configured", nil, false,
			[]string{"escl:https://192.0.2.7:443/eSCL", srv.ID, "escl:http://192.0.2.20:8080/scan"}, ""},
		{"multicast unavailable", errors.New("listen udp4 224.0.0.251:5353: bind: permission denied"), false,
			[]string{srv.ID}, "mDNS discovery unavailable"},
		{"discovery off", nil, true, []string{srv.ID}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &logRecorder{}
			d := New(Options{
				Addresses: []string{srv.URL, "http://127.0.0.1:1/eSCL", "ftp://admin:secret@nowhere"}, DisableDiscovery: tc.disable,
				BrowseTimeout: 300 * time.Millisecond, RequestTimeout: time.Second, Logger: slog.New(rec),
			})
			var browsed atomic.Bool
			d.browse = func(ctx context.Context, service string, found func(instance)) error {
				browsed.Store(true)
				return fakeBrowse(announced, tc.browseErr)(ctx, service, found)
			}
			devs, err := d.Devices(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, dev := range devs {
				ids = append(ids, dev.ID)
				if dev.Driver != "escl" || dev.Name == "" {
					t.Errorf("device %+v", dev)
				}
				if dev.ID == srv.ID && (dev.Name != escltest.MakeAndModel || dev.Vendor != "Demat") {
					t.Errorf("configured device named from its capabilities: %+v", dev)
				}
			}
			if strings.Join(ids, " ") != strings.Join(tc.want, " ") {
				t.Errorf("devices\n%s\nwant\n%s", strings.Join(ids, "\n"), strings.Join(tc.want, "\n"))
			}
			if browsed.Load() == tc.disable {
				t.Errorf("browsed = %v with discovery disabled = %v", browsed.Load(), tc.disable)
			}
			logs := rec.joined()
			if tc.log != "" && !strings.Contains(logs, tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, logs)
			}
			if strings.Contains(logs, "secret") {
				t.Errorf("a password reached the log:\n%s", logs)
			}
			for _, want := range []string{"configured scanner does not answer", "configured scanner address unusable"} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		d := New(Options{DisableDiscovery: true, Addresses: []string{srv.URL}})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := d.Devices(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Devices = %v, want context.Canceled", err)
		}
	})
}

func TestDedupePrefersConfiguredAndIPv4(t *testing.T) {
	mk := func(u string) candidate {
		b, err := parseBase(u, false)
		if err != nil {
			t.Fatal(err)
		}
		return candidate{base: b, uuid: "u", name: "Scanner", ipv6: strings.Contains(u, "[")}
	}
	v6, v4, conf := mk("http://[2001:db8::1]:80/eSCL"), mk("http://192.0.2.1:80/eSCL"), mk("http://scanner.lan:80/eSCL")
	conf.order = -1
	if got := dedupe([]candidate{v6, v4}); len(got) != 1 || got[0].ID != "escl:http://192.0.2.1:80/eSCL" {
		t.Errorf("IPv4 not preferred: %v", got)
	}
	if got := dedupe([]candidate{v4, conf}); len(got) != 1 || got[0].ID != "escl:http://scanner.lan:80/eSCL" {
		t.Errorf("configured address not preferred: %v", got)
	}
}
