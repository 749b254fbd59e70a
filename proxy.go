package main

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Behind a load balancer every request's TCP peer is the balancer, so the
// per-address limits (password checks, sign-ups, anonymous cost budgets,
// streams per client, the standby's caller by address, SSO request_ip)
// would count all of its clients as one. With -trusted-proxies the server
// believes X-Forwarded-For from the proxies named there, and only from
// them: the client is the rightmost address of the header that is not a
// trusted proxy's, the last hop no trusted proxy vouches for. Everything
// left of it was written by the client itself and is ignored.

// Bounds on what of X-Forwarded-For is read: the hops walked from the
// right, and the length of one entry (an IPv6 address with a zone and a
// port is well under it). Past either, the walk stops where it is.
const (
	maxForwardedHops     = 16
	maxForwardedEntryLen = 64
)

// trustedProxies is the set of proxies whose X-Forwarded-For is believed.
// The zero value trusts nobody.
type trustedProxies []netip.Prefix

// parseTrustedProxies reads -trusted-proxies: comma-separated IP addresses
// and CIDR prefixes, such as "10.0.0.0/8, 127.0.0.1, fd00::/8". Empty
// items are skipped; anything else that is not an address or a prefix is
// an error naming it.
func parseTrustedProxies(s string) (trustedProxies, error) {
	var set trustedProxies
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP prefix such as 10.0.0.0/8", item)
			}
			a := p.Addr()
			if a.Is4In6() {
				if p.Bits() < 96 {
					return nil, fmt.Errorf("%q: an IPv4-mapped prefix needs at least 96 bits", item)
				}
				p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
			}
			set = append(set, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IP address or prefix such as 10.0.0.0/8", item)
		}
		a = a.Unmap()
		set = append(set, netip.PrefixFrom(a, a.BitLen()))
	}
	return set, nil
}

// String lists the set as -trusted-proxies takes it.
func (t trustedProxies) String() string {
	s := make([]string, len(t))
	for i, p := range t {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// trusts reports whether a is one of the trusted proxies.
func (t trustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// client returns the address of the client behind peer, the request's TCP
// peer, given the request's X-Forwarded-For header lines in order. When
// peer is not trusted the header is not read and peer is the client. Else
// the entries are walked from the right while they are trusted proxies;
// the first that is not is the client. A malformed entry, an entry past
// the bounds, or the header's end stops the walk at the last address
// reached, a trusted proxy: a request is never put on an address that no
// trusted proxy wrote.
func (t trustedProxies) client(peer netip.Addr, forwardedFor []string) netip.Addr {
	peer = peer.Unmap()
	if !t.trusts(peer) {
		return peer
	}
	last, hops := peer, 0
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		v := forwardedFor[i]
		for {
			if hops == maxForwardedHops {
				return last
			}
			hops++
			// Only the tail of v is searched, so a long header costs
			// nothing past the bounds.
			tail := v
			if len(tail) > maxForwardedEntryLen+1 {
				tail = v[len(v)-maxForwardedEntryLen-1:]
			}
			comma := strings.LastIndexByte(tail, ',')
			if comma < 0 && len(tail) < len(v) {
				return last // an entry longer than any address
			}
			entry := tail[comma+1:]
			a, ok := parseForwardedAddr(entry)
			if !ok {
				return last
			}
			if !t.trusts(a) {
				return a
			}
			last = a
			if comma < 0 {
				break // this header line is done; the one before it is next
			}
			v = v[:len(v)-len(tail)+comma]
		}
	}
	return last
}

// parseForwardedAddr reads one X-Forwarded-For entry: an IP address,
// optionally with a port ("192.0.2.1:4711", "[2001:db8::1]:4711") or in
// brackets, spaces around it allowed. Zones, names and "unknown" are not
// addresses.
func parseForwardedAddr(entry string) (netip.Addr, bool) {
	entry = strings.TrimSpace(entry)
	if entry == "" || len(entry) > maxForwardedEntryLen {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(entry)
		switch {
		case err2 == nil:
			a = ap.Addr()
		case strings.HasPrefix(entry, "[") && strings.HasSuffix(entry, "]"):
			if a, err = netip.ParseAddr(entry[1 : len(entry)-1]); err != nil {
				return netip.Addr{}, false
			}
		default:
			return netip.Addr{}, false
		}
	}
	if a.Zone() != "" || !a.IsValid() {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// withForwardedFor rewrites each request's RemoteAddr to its client's
// address (trustedProxies.client), in host:port form with port 0, so that
// every per-address path downstream counts the client, not the proxy. With
// no trusted proxies it is h itself. The header is client input: it is
// never logged.
func withForwardedFor(h http.Handler, t trustedProxies) http.Handler {
	if len(t) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ap, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			h.ServeHTTP(w, r)
			return
		}
		if c := t.client(ap.Addr(), r.Header.Values("X-Forwarded-For")); c != ap.Addr().Unmap() {
			r2 := *r
			r2.RemoteAddr = netip.AddrPortFrom(c, 0).String()
			r = &r2
		}
		h.ServeHTTP(w, r)
	})
}
