package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

func TestParseTrustedProxies(t *testing.T) {
	set, err := parseTrustedProxies(" 10.1.2.3/8, 127.0.0.1 ,, fd00::/8, ::ffff:192.168.0.0/112,2001:db8::7 ")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := set.String(), "10.0.0.0/8,127.0.0.1/32,fd00::/8,192.168.0.0/16,2001:db8::7/128"; got != want {
		t.Fatalf("parsed %s, want %s", got, want)
	}
	if set, err := parseTrustedProxies(""); err != nil || len(set) != 0 {
		t.Fatalf("empty: %v, %v", set, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.1:80", "fe80::1%eth0", "127.0.0.1,nope", "::ffff:0:0/64"} {
		if _, err := parseTrustedProxies(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	// The flag and its variable refuse what does not parse.
	if _, err := parseServeFlags([]string{"-trusted-proxies", "10.0.0.0/8,balancer"}); err == nil || !strings.Contains(err.Error(), "balancer") {
		t.Fatalf("a bad -trusted-proxies: %v", err)
	}
	t.Setenv("TRUSTED_PROXIES", "10.0.0.0/40")
	if _, err := parseServeFlags(nil); err == nil {
		t.Fatal("a bad TRUSTED_PROXIES was accepted")
	}
	t.Setenv("TRUSTED_PROXIES", "10.0.0.0/8")
	if cfg, err := parseServeFlags(nil); err != nil || cfg.trustedProxies != "10.0.0.0/8" {
		t.Fatalf("TRUSTED_PROXIES: %q, %v", cfg.trustedProxies, err)
	}
}

// TestForwardedClient is the choice of the client address: the rightmost
// X-Forwarded-For entry that is not a trusted proxy, from a trusted peer
// only.
func TestForwardedClient(t *testing.T) {
	set, err := parseTrustedProxies("10.0.0.0/8, 127.0.0.1, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	many := strings.Repeat("10.0.0.9, ", 40) + "10.0.0.8"
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer: the header is ignored", "198.51.100.1", []string{"203.0.113.5"}, "198.51.100.1"},
		{"untrusted peer: chain ignored", "198.51.100.1", []string{"203.0.113.5, 10.0.0.1"}, "198.51.100.1"},
		{"untrusted peer next to a trusted range", "11.0.0.1", []string{"203.0.113.5"}, "11.0.0.1"},
		{"trusted peer, one client", "10.0.0.1", []string{"203.0.113.5"}, "203.0.113.5"},
		{"trusted peer, no header", "10.0.0.1", nil, "10.0.0.1"},
		{"trusted peer, empty header", "10.0.0.1", []string{""}, "10.0.0.1"},
		{"spoofed leftmost entries", "10.0.0.1", []string{"1.2.3.4, 5.6.7.8, 203.0.113.5"}, "203.0.113.5"},
		{"chain of trusted proxies", "127.0.0.1", []string{"1.2.3.4, 203.0.113.5, 10.0.0.7, 10.0.0.2"}, "203.0.113.5"},
		{"several header lines", "10.0.0.1", []string{"1.2.3.4, 203.0.113.5", "10.0.0.3"}, "203.0.113.5"},
		{"client in the last of several lines", "10.0.0.1", []string{"1.2.3.4", "203.0.113.6"}, "203.0.113.6"},
		{"spaces and no spaces", "10.0.0.1", []string{"1.2.3.4,203.0.113.5 ,  10.0.0.3"}, "203.0.113.5"},
		{"entries with ports", "10.0.0.1", []string{"203.0.113.5:4711"}, "203.0.113.5"},
		{"IPv6 client", "10.0.0.1", []string{"2001:db8::5"}, "2001:db8::5"},
		{"IPv6 client in brackets with a port", "10.0.0.1", []string{"[2001:db8::5]:4711"}, "2001:db8::5"},
		{"IPv6 client in brackets", "10.0.0.1", []string{"[2001:db8::5]"}, "2001:db8::5"},
		{"IPv6 trusted peer", "fd00::1", []string{"203.0.113.5"}, "203.0.113.5"},
		{"IPv4-mapped trusted peer", "::ffff:10.0.0.1", []string{"::ffff:203.0.113.5"}, "203.0.113.5"},
		{"IPv6 trusted hop", "10.0.0.1", []string{"203.0.113.5, fd00::2"}, "203.0.113.5"},
		{"garbage stops at the last trusted hop", "10.0.0.1", []string{"203.0.113.5, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"garbage from the peer itself", "10.0.0.1", []string{"203.0.113.5, not an address"}, "10.0.0.1"},
		{"unknown (haproxy's word for no address)", "10.0.0.1", []string{"unknown"}, "10.0.0.1"},
		{"an empty entry", "10.0.0.1", []string{"203.0.113.5,,10.0.0.2"}, "10.0.0.2"},
		{"a zone", "10.0.0.1", []string{"fe80::1%eth0"}, "10.0.0.1"},
		{"a name", "10.0.0.1", []string{"client.example.com"}, "10.0.0.1"},
		{"a very long entry", "10.0.0.1", []string{"203.0.113.5, " + strings.Repeat("9", 5000)}, "10.0.0.1"},
		{"a very long spoofed entry left of the client", "10.0.0.1", []string{strings.Repeat("x", 5000) + ", 203.0.113.5"}, "203.0.113.5"},
		{"more trusted hops than are walked", "10.0.0.1", []string{"203.0.113.5, " + many}, "10.0.0.9"},
		{"all trusted: the farthest hop", "10.0.0.1", []string{"10.0.0.4, 10.0.0.3"}, "10.0.0.4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := set.client(netip.MustParseAddr(c.peer), c.xff)
			if got != netip.MustParseAddr(c.want) {
				t.Fatalf("client %s, want %s", got, c.want)
			}
		})
	}
	// Nobody trusted (the default): the header is never read.
	if got := trustedProxies(nil).client(netip.MustParseAddr("10.0.0.1"), []string{"203.0.113.5"}); got.String() != "10.0.0.1" {
		t.Fatalf("with no trusted proxies the client is %s", got)
	}
}

// TestWithForwardedFor: the middleware rewrites RemoteAddr in a form that
// SplitHostPort and ParseAddrPort read, and leaves untrusted peers alone.
func TestWithForwardedFor(t *testing.T) {
	set, _ := parseTrustedProxies("10.0.0.0/8")
	var seen string
	h := withForwardedFor(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr }), set)
	for _, c := range []struct{ remote, xff, want string }{
		{"10.0.0.1:5000", "203.0.113.5", "203.0.113.5:0"},
		{"10.0.0.1:5000", "2001:db8::5", "[2001:db8::5]:0"},
		{"10.0.0.1:5000", "", "10.0.0.1:5000"},
		{"198.51.100.1:5000", "203.0.113.5", "198.51.100.1:5000"},
		{"not an address", "203.0.113.5", "not an address"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if seen != c.want {
			t.Errorf("%s with %q: RemoteAddr %q, want %q", c.remote, c.xff, seen, c.want)
		}
		if _, _, err := net.SplitHostPort(seen); err != nil && c.remote != "not an address" {
			t.Errorf("%q does not split: %v", seen, err)
		}
	}
}

// TestTrustedProxyPasswordBudgets runs the real server with 127.0.0.2 as
// its trusted proxy. Two clients forwarded by it get a password-check
// budget each, whatever a client prepends to the header; the same headers
// from 127.0.0.1, not trusted, are ignored: its requests share one budget.
func TestTrustedProxyPasswordBudgets(t *testing.T) {
	t.Parallel()
	s := startTelServer(t, "-db", storagetest.DemoFile(t, storage.DemoCustomers), "-demo", "-trusted-proxies", "127.0.0.2")
	from := func(local string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
		c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: d.DialContext, MaxConnsPerHost: 1}}
		t.Cleanup(c.CloseIdleConnections)
		return c
	}
	proxy, direct := from("127.0.0.2"), from("127.0.0.1")
	// try checks email's password once and reports whether the check was
	// refused for the client's budget.
	try := func(c *http.Client, xff, email string) bool {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": `mutation($e: String!) { login(email: $e, password: "wrong-guess") { userErrors { code } } }`,
			"variables": map[string]any{"e": email}})
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", s.apiToken())
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Errors []struct {
				Extensions struct{ Code string } `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		if len(out.Errors) == 0 {
			return false
		}
		if out.Errors[0].Extensions.Code != "THROTTLED" {
			t.Fatalf("want THROTTLED or no error, got %+v", out.Errors)
		}
		return true
	}
	// spend checks until the budget is gone and returns how many passed.
	spend := func(c *http.Client, xff, email string) int {
		t.Helper()
		for n := 0; n <= 50; n++ {
			if try(c, xff, email) {
				return n
			}
		}
		t.Fatalf("%s was never throttled", email)
		return 0
	}

	const account = "proxied@x.io"
	if n := spend(proxy, "203.0.113.1", account); n == 0 {
		t.Fatal("the first client had no budget at all")
	}
	if !try(proxy, "203.0.113.1", account) {
		t.Fatal("the first client's budget came back")
	}
	// A client that puts the first client's address leftmost is still
	// itself; and the same address forwarded is still spent.
	if try(proxy, "203.0.113.1, 203.0.113.2", account) {
		t.Fatal("the second client shares the first one's budget behind the trusted proxy")
	}
	if !try(proxy, "198.51.100.9, 203.0.113.1", account) {
		t.Fatal("a spoofed leftmost entry gave the first client a fresh budget")
	}
	// The proxy's own requests (no header) are a client of their own too.
	if try(proxy, "", account) {
		t.Fatal("the proxy itself shares a forwarded client's budget")
	}

	// From 127.0.0.1, not trusted, the header changes nothing.
	const other = "direct@x.io"
	spend(direct, "203.0.113.3", other)
	if !try(direct, "203.0.113.4", other) {
		t.Fatal("an untrusted peer chose its address with X-Forwarded-For")
	}
	if !try(direct, "", other) {
		t.Fatal("an untrusted peer's budget came back without the header")
	}
	if strings.Contains(s.logs.String(), "203.0.113.") {
		t.Fatal("an X-Forwarded-For value reached the log")
	}
}
