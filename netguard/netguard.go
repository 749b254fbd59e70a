// Package netguard keeps the server's outbound requests (webhook
// deliveries) away from addresses a client should not be able to reach
// through it: loopback, private, link-local (cloud metadata at
// 169.254.169.254), carrier-grade NAT, multicast, unspecified and other
// reserved ranges. A URL is checked when it is registered, and every
// connection again when it is made, on the address actually dialled, so a
// name that resolves to a public address at registration and to a private
// one later (DNS rebinding) is still refused.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// blocked are the ranges refused unless private destinations are allowed.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network", unspecified
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // carrier-grade NAT
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"fc00::/7",        // unique local
		"fe80::/10",       // link-local
		"ff00::/8",        // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Public reports whether ip is an address outbound requests may reach
// without the operator's leave. An IPv4 address embedded in IPv6 (mapped,
// NAT64, 6to4) is judged as that IPv4 address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(ip):
			return Public(netip.AddrFrom4([4]byte(b[12:16])))
		case netip.MustParsePrefix("2002::/16").Contains(ip):
			return Public(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return ip.IsValid()
}

// ErrNotAllowed is the error of a destination in a refused range.
var ErrNotAllowed = errors.New("the destination's address is not allowed")

// Guard applies the policy; the zero value refuses every non-public
// address.
type Guard struct {
	// AllowPrivate lets requests reach every address (development, tests,
	// a receiver on the same private network).
	AllowPrivate bool
	// Resolver looks names up at registration; nil means net.DefaultResolver.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
}

// CheckURL checks a destination before it is stored: an absolute https
// URL (http only with AllowPrivate) whose host is, or resolves to, public
// addresses only. A name that does not resolve now is accepted: it may
// exist later, and every connection is checked again (Control). It returns
// a message for the person registering the URL.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return errors.New("must be an absolute https URL without credentials")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	ip, ipErr := netip.ParseAddr(host)
	local := host == "localhost" || strings.HasSuffix(host, ".localhost") || (ipErr == nil && !Public(ip))
	switch {
	case u.Scheme == "http" && g.AllowPrivate && local:
		return nil // development: a receiver on this machine or network
	case u.Scheme == "http":
		return errors.New("must use https (plain http only to a local receiver, when private destinations are allowed)")
	case u.Scheme != "https":
		return errors.New("must be an https URL")
	case g.AllowPrivate:
		return nil
	case local:
		return errors.New("must not point to a loopback, private or reserved address")
	case ipErr == nil:
		return nil
	}
	var r interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	} = net.DefaultResolver
	if g.Resolver != nil {
		r = g.Resolver
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !Public(a) {
			return fmt.Errorf("must not point to a loopback, private or reserved address (%s resolves to one)", host)
		}
	}
	return nil
}

// Control is a net.Dialer Control function: it refuses a connection to a
// non-public address unless AllowPrivate. It sees the address being
// dialled, after any name resolution.
func (g Guard) Control(_, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !Public(ap.Addr()) {
		return ErrNotAllowed
	}
	return nil
}

// Dialer returns a dialer that checks every connection.
func (g Guard) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.Control}
}
