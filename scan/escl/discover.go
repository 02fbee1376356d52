package escl

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/brutella/dnssd"
	dnssdlog "github.com/brutella/dnssd/log"
)

// DNS-SD service types of eSCL over http and over https.
const (
	serviceHTTP  = "_uscan._tcp.local."
	serviceHTTPS = "_uscans._tcp.local."
)

// instance is one announced service instance, as mDNS describes it.
type instance struct {
	service string // serviceHTTP or serviceHTTPS
	name    string // instance name, shown by the device's own software
	ips     []net.IP
	iface   string // interface it was seen on, the zone of link-local addresses
	port    int
	txt     map[string]string
}

// get reads a TXT key whatever its case: devices write "UUID" or "uuid".
func (in instance) get(key string) (string, bool) {
	for k, v := range in.txt {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

func (in instance) value(key string) string {
	v, _ := in.get(key)
	return v
}

// candidate turns an announcement into a device; false when it gives no
// usable address.
func (in instance) candidate() (candidate, bool) {
	if in.port <= 0 || in.port > 65535 {
		return candidate{}, false
	}
	ip := pickIP(in.ips)
	if ip == nil {
		return candidate{}, false
	}
	host := ip.String()
	if ip.To4() == nil && ip.IsLinkLocalUnicast() {
		if in.iface == "" {
			return candidate{}, false
		}
		host += "%" + in.iface
	}
	scheme := "http"
	if in.service == serviceHTTPS {
		scheme = "https"
	}
	// "rs" is the resource path, "eSCL" when absent; written with or
	// without slashes, and empty for the few devices that serve eSCL at
	// their root.
	path := defaultResource
	if rs, ok := in.get("rs"); ok {
		path = strings.Trim(strings.TrimSpace(rs), "/")
		if path != "" {
			path = "/" + path
		}
	}
	c := candidate{
		base: &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(in.port)), Path: path},
		uuid: normUUID(in.value("uuid")),
		ipv6: ip.To4() == nil,
	}
	// "ty" is the human-readable model; "mdl" and "mfg" appear on
	// devices that copy their printer TXT record.
	c.name = firstNonEmpty(in.value("ty"), in.value("mdl"), in.name, host)
	c.vendor = firstNonEmpty(in.value("mfg"), vendorOf(c.name))
	c.model = firstNonEmpty(in.value("mdl"), strings.TrimSpace(strings.TrimPrefix(c.name, c.vendor)))
	return c, true
}

// pickIP prefers IPv4, then a routable IPv6 address, then a link-local
// one.
func pickIP(ips []net.IP) net.IP {
	var v6, ll net.IP
	for _, ip := range ips {
		switch {
		case ip == nil || ip.IsUnspecified() || ip.IsMulticast():
		case ip.To4() != nil:
			return ip
		case ip.IsLinkLocalUnicast():
			if ll == nil {
				ll = ip
			}
		default:
			if v6 == nil {
				v6 = ip
			}
		}
	}
	if v6 != nil {
		return v6
	}
	return ll
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

var quietDNSSD sync.Once

// browseDNSSD lists the instances of service with mDNS until ctx ends.
func browseDNSSD(ctx context.Context, service string, found func(instance)) error {
	// The library prints protocol notices to standard output, which the
	// CLI's --json output owns: silence it once for the process.
	quietDNSSD.Do(dnssdlog.Info.Disable)
	return dnssd.LookupType(ctx, service, func(e dnssd.BrowseEntry) {
		found(instance{service: service, name: e.Name, ips: e.IPs, iface: e.IfaceName, port: e.Port, txt: e.Text})
	}, func(dnssd.BrowseEntry) {})
}
