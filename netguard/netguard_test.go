package netguard_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/storefront/customers/netguard"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14":     true,
		"8.8.8.8":           true,
		"2606:4700::1111":   true,
		"127.0.0.1":         false,
		"127.8.9.10":        false,
		"10.0.0.1":          false,
		"172.16.5.4":        false,
		"172.32.0.1":        true,
		"192.168.1.1":       false,
		"169.254.169.254":   false,
		"100.64.0.1":        false,
		"100.128.0.1":       true,
		"0.0.0.0":           false,
		"224.0.0.1":         false,
		"255.255.255.255":   false,
		"::":                false,
		"::1":               false,
		"fe80::1":           false,
		"fd00::1":           false,
		"ff02::1":           false,
		"::ffff:127.0.0.1":  false,
		"::ffff:8.8.8.8":    true,
		"64:ff9b::a00:1":    false, // NAT64 of 10.0.0.1
		"64:ff9b::808:808":  true,  // NAT64 of 8.8.8.8
		"2002:a9fe:a9fe::1": false, // 6to4 of 169.254.169.254
		"2002:808:808::1":   true,
	} {
		if got := netguard.Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// resolver answers names from a table.
type resolver map[string][]string

func (r resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := r[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestCheckURL(t *testing.T) {
	names := resolver{"public.example": {"93.184.215.14"}, "internal.example": {"93.184.215.14", "10.1.2.3"},
		"metadata.example": {"169.254.169.254"}}
	strict := netguard.Guard{Resolver: names}
	lax := netguard.Guard{AllowPrivate: true, Resolver: names}
	for _, tt := range []struct {
		url         string
		strict, lax string // "" accepted, else a word of the refusal
	}{
		{"https://public.example/hook", "", ""},
		{"https://unknown.example/hook", "", ""}, // checked again at connect time
		{"https://internal.example/hook", "private", ""},
		{"https://metadata.example/", "private", ""},
		{"https://169.254.169.254/latest/meta-data", "private", ""},
		{"https://[::1]:22/", "private", ""},
		{"https://localhost/", "private", ""},
		{"https://api.localhost./", "private", ""},
		{"http://127.0.0.1:8080/in", "https", ""},
		{"http://public.example/in", "https", "https"},
		{"ftp://public.example/in", "https", "https"},
		{"https://user:pw@public.example/", "credentials", "credentials"},
		{"/relative", "absolute", "absolute"},
	} {
		for _, c := range []struct {
			g    netguard.Guard
			want string
		}{{strict, tt.strict}, {lax, tt.lax}} {
			err := c.g.CheckURL(context.Background(), tt.url)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s (allow private %v): %v", tt.url, c.g.AllowPrivate, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("%s (allow private %v): %v, want %q", tt.url, c.g.AllowPrivate, err, c.want)
			}
		}
	}
}

func TestControl(t *testing.T) {
	var strict netguard.Guard
	for addr, ok := range map[string]bool{"93.184.215.14:443": true, "[2606:4700::1111]:443": true,
		"127.0.0.1:80": false, "[::1]:443": false, "169.254.169.254:80": false, "[::ffff:10.0.0.1]:443": false} {
		err := strict.Control("tcp", addr, nil)
		if (err == nil) != ok || (err != nil && !errors.Is(err, netguard.ErrNotAllowed)) {
			t.Errorf("Control(%s) = %v", addr, err)
		}
	}
	if err := (netguard.Guard{AllowPrivate: true}).Control("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("allowed private: %v", err)
	}
}
