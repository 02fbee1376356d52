package escl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/demat-app/demat/scan"
)

// driverName prefixes every device ID of this driver.
const driverName = "escl"

// defaultResource is the eSCL resource path when the device does not say
// (mDNS TXT "rs" absent) or the person did not type one.
const defaultResource = "/eSCL"

// DeviceFor makes the device for an address a person typed or pasted:
// "192.0.2.7", "192.0.2.7:8080", "http://192.0.2.7/eSCL/",
// "https://scanner.example/eSCL", even a copied
// ".../eSCL/ScannerCapabilities". A missing scheme means http (https for
// port 443), a missing port the scheme's, and a missing or bare "/" path
// the usual /eSCL. An argument that starts with "escl:" is a device ID
// and is read as it is written (an ID whose path is "/" names a device
// serving eSCL at its root).
func DeviceFor(address string) (scan.Device, error) {
	s := strings.TrimSpace(address)
	id, isID := strings.CutPrefix(s, driverName+":")
	if isID {
		s = id
	}
	u, err := parseBase(s, !isID)
	if err != nil {
		return scan.Device{}, fmt.Errorf("escl: address %q: %w", redact(address), err)
	}
	return deviceOf(u, u.Host), nil
}

// redact hides the password of an address in messages.
func redact(address string) string {
	if u, err := url.Parse(strings.TrimSpace(address)); err == nil && u.User != nil {
		return u.Redacted()
	}
	return address
}

// deviceOf makes the device for a base URL.
func deviceOf(base *url.URL, name string) scan.Device {
	return scan.Device{ID: idOf(base), Name: name, Driver: driverName}
}

// idOf spells the device ID of a base URL: "escl:http://192.0.2.7:80/eSCL",
// and "escl:http://192.0.2.7:80/" for a device serving eSCL at its root.
func idOf(base *url.URL) string {
	s := baseString(base)
	if strings.Trim(base.Path, "/") == "" {
		s += "/"
	}
	return driverName + ":" + s
}

// baseString spells a base URL for requests: explicit port, no trailing
// slash ("http://192.0.2.7:80/eSCL", "http://192.0.2.7:80" at the root).
func baseString(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimSuffix(u.Path, "/")}
	return c.String()
}

// endpoints a person may paste along with the base.
var endpoints = []string{"/ScannerCapabilities", "/ScannerStatus", "/ScanJobs"}

// parseBase reads a base URL. typed is forgiving about the path; an ID is
// taken as written.
func parseBase(s string, typed bool) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("empty address")
	}
	hadScheme := strings.Contains(s, "://")
	if !hadScheme {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q: an eSCL scanner is reached over http or https", u.Scheme)
	}
	if u.User != nil {
		// A password in an ID would end up in logs and settings files.
		return nil, errors.New("user names and passwords in the address are not supported")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, errors.New("no host name or IP address")
	}
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	} else if port == "443" && !hadScheme {
		u.Scheme = "https"
	}
	// The explicit port also covers the Epson quirk of refusing a Host
	// header without one (sane-airscan quirk_port_in_host): Go sends the
	// host as the URL spells it.
	// Host names compare without case; an IPv6 zone is an interface
	// name, which keeps its own.
	h, zone, hasZone := strings.Cut(host, "%")
	h = strings.ToLower(h)
	if hasZone {
		h += "%" + zone
	}
	u.Host = net.JoinHostPort(h, port)
	p := u.Path
	if typed {
		p = strings.TrimRight(p, "/")
		for _, e := range endpoints {
			if strings.HasSuffix(strings.ToLower(p), strings.ToLower(e)) {
				p = p[:len(p)-len(e)]
				break
			}
		}
		p = strings.TrimRight(p, "/")
		if p == "" {
			p = defaultResource
		}
	} else {
		switch p {
		case "":
			p = defaultResource
		case "/":
			p = ""
		default:
			p = strings.TrimRight(p, "/")
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: p}, nil
}

// deviceBase returns the base URL of a device of this driver.
func deviceBase(dev scan.Device) (*url.URL, error) {
	rest, ok := strings.CutPrefix(dev.ID, driverName+":")
	if !ok {
		return nil, fmt.Errorf("escl: device %q is not an eSCL device: %w", dev.ID, scan.ErrNotFound)
	}
	u, err := parseBase(rest, false)
	if err != nil {
		return nil, fmt.Errorf("escl: device %q: %w: %w", dev.ID, scan.ErrNotFound, err)
	}
	return u, nil
}

// deviceName is how messages name a device: its name, or its address.
func deviceName(dev scan.Device, base *url.URL) string {
	if dev.Name != "" {
		return dev.Name
	}
	return base.Host
}
