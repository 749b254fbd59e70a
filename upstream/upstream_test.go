package upstream_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/storefront/customers/internal/faultproxy"
	"github.com/storefront/customers/internal/proctest"
	"github.com/storefront/customers/upstream"
	"github.com/storefront/customers/wire"
)

func TestMain(m *testing.M) {
	code := m.Run()
	proctest.Cleanup()
	os.Exit(code)
}

// store is a real upstream: this server in plain mode, in a process of its
// own, behind a fault proxy.
type store struct {
	proc  *proctest.Server
	proxy *faultproxy.Proxy
	token string
	base  string // the proxy's /stores/{hash}
}

func startStore(t *testing.T, args ...string) *store {
	t.Helper()
	db := filepath.Join(t.TempDir(), "upstream.db")
	token := proctest.Token(t, db)
	proc := proctest.Start(t, nil, append([]string{"-addr", "127.0.0.1:0", "-db", db, "-store-hash", "up1", "-log-format", "text"}, args...)...)
	p := faultproxy.New(proc.URL)
	t.Cleanup(p.Close)
	return &store{proc: proc, proxy: p, token: token, base: p.URL + "/stores/up1"}
}

func (s *store) client(t *testing.T, cfg upstream.Config) (*upstream.Client, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.BaseURL, cfg.Token, cfg.AllowPrivate, cfg.Registerer = s.base, s.token, true, reg
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 10 * time.Millisecond
	}
	c, err := upstream.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}

func createCustomers(t *testing.T, c *upstream.Client, n int, prefix string) []wire.Customer {
	t.Helper()
	var in []wire.CustomerPost
	for i := range n {
		in = append(in, wire.CustomerPost{Email: prefix + strconv.Itoa(i) + "@example.com", FirstName: "F" + strconv.Itoa(i), LastName: "L"})
	}
	var out wire.Collection[wire.Customer]
	if err := c.Do(context.Background(), http.MethodPost, "/v3/customers", nil, in, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Data) != n {
		t.Fatalf("created %d, want %d", len(out.Data), n)
	}
	return out.Data
}

func countByEmail(t *testing.T, c *upstream.Client, email string) int {
	t.Helper()
	var out wire.Collection[wire.Customer]
	if err := c.Get(context.Background(), "/v3/customers", url.Values{"email:in": {email}}, &out); err != nil {
		t.Fatal(err)
	}
	return len(out.Data)
}

// TestClient_Calls: reads and writes reach the store with the token; a
// wrong token is Rejected with the store's 401 and the error names neither
// token; V3 errors carry the store's body.
func TestClient_Calls(t *testing.T) {
	t.Parallel()
	s := startStore(t)
	c, reg := s.client(t, upstream.Config{})
	made := createCustomers(t, c, 3, "calls")
	var page wire.Collection[wire.Customer]
	if err := c.Get(context.Background(), "/v3/customers", url.Values{"id:in": {strconv.Itoa(made[0].ID) + "," + strconv.Itoa(made[2].ID)}, "include": {"addresses"}}, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 || page.Data[0].ID != made[0].ID || page.Data[1].ID != made[2].ID {
		t.Fatalf("id:in read %+v", page.Data)
	}
	if got := testutil.ToFloat64(mustVec(t, reg, "customers_upstream_requests_total", "GET", "/v3/customers", "200")); got != 1 {
		t.Fatalf("requests_total GET 200 = %v, want 1", got)
	}

	bad, _ := upstream.New(upstream.Config{BaseURL: s.base, Token: "wrong-token-value", AllowPrivate: true})
	err := bad.Get(context.Background(), "/v3/customers", nil, nil)
	e, ok := errors.AsType[*upstream.Error](err)
	if !ok || e.Kind != upstream.Rejected || e.Status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-token-value") || strings.Contains(err.Error(), s.token) {
		t.Fatalf("the error names the token: %v", err)
	}

	// A duplicate email: 422 with the store's field map.
	err = c.Do(context.Background(), http.MethodPost, "/v3/customers", nil,
		[]wire.CustomerPost{{Email: made[1].Email, FirstName: "a", LastName: "b"}}, nil)
	e, ok = errors.AsType[*upstream.Error](err)
	if !ok || e.Kind != upstream.Rejected || e.Status != http.StatusUnprocessableEntity && e.Status != http.StatusConflict || e.Body == nil {
		t.Fatalf("duplicate: %#v", err)
	}
}

func mustVec(t *testing.T, reg *prometheus.Registry, name string, labels ...string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var vals []string
			for _, l := range m.GetLabel() {
				vals = append(vals, l.GetValue())
			}
			// Labels come sorted by name: method, route, status.
			if strings.Join(vals, " ") == strings.Join(labels, " ") {
				return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x", Help: "x"}, func() float64 { return m.GetCounter().GetValue() })
			}
		}
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x", Help: "x"}, func() float64 { return 0 })
}

// TestClient_RateLimit: against a store that allows 5 requests a second,
// 16 reads in a row all succeed and none is answered 429: the client waits
// for the window's reset when the store says it is nearly spent.
func TestClient_RateLimit(t *testing.T) {
	t.Parallel()
	s := startStore(t, "-rest-rate-limit", "5/1s")
	c, reg := s.client(t, upstream.Config{Retries: -1})
	for i := range 16 {
		if err := c.Get(context.Background(), "/v3/customers", nil, nil); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if got := testutil.ToFloat64(mustVec(t, reg, "customers_upstream_requests_total", "GET", "/v3/customers", "429")); got != 0 {
		t.Fatalf("%v answers were 429", got)
	}
	if c.RequestsLeft() < 0 {
		t.Fatal("the client did not read X-Rate-Limit-Requests-Left")
	}
}

// TestClient_Retries: idempotent calls are retried through 429s (with
// BigCommerce's headers), 500s, dropped connections and a stall mid-body;
// a POST is not: a 429 or 500 reaches the caller and nothing was created;
// a POST whose answer was lost after the store carried it out is
// Uncertain, and the store has it.
func TestClient_Retries(t *testing.T) {
	t.Parallel()
	s := startStore(t, "-rest-rate-limit", "0")
	c, _ := s.client(t, upstream.Config{Timeout: 700 * time.Millisecond, BreakerFailures: 100})
	gets := func(r *http.Request) bool { return r.Method == http.MethodGet }
	posts := func(r *http.Request) bool { return r.Method == http.MethodPost }
	for name, f := range map[string]faultproxy.Fault{
		"429":     {Status: 429, ResetMs: 50},
		"500":     {Status: 500},
		"502":     {Status: 502},
		"dropped": {Drop: true},
		"stall":   {Stall: 5 * time.Second},
		"latency": {Delay: 900 * time.Millisecond},
	} {
		t.Run("GET "+name, func(t *testing.T) {
			s.proxy.SetRule(faultproxy.Times(2, gets, f))
			before := s.proxy.Requests.Load()
			var out wire.Collection[wire.Customer]
			if err := c.Get(context.Background(), "/v3/customers", nil, &out); err != nil {
				t.Fatalf("not retried: %v", err)
			}
			if n := s.proxy.Requests.Load() - before; n != 3 {
				t.Fatalf("%d attempts, want 3", n)
			}
		})
	}
	for name, tc := range map[string]struct {
		f    faultproxy.Fault
		kind upstream.Kind
		made bool
	}{
		"429":            {faultproxy.Fault{Status: 429}, upstream.Throttled, false},
		"500":            {faultproxy.Fault{Status: 500}, upstream.Unavailable, false},
		"answer dropped": {faultproxy.Fault{Drop: true, Forward: true}, upstream.Uncertain, true},
	} {
		t.Run("POST "+name, func(t *testing.T) {
			s.proxy.SetRule(faultproxy.Times(1, posts, tc.f))
			before := s.proxy.Requests.Load()
			email := "post-" + strings.ReplaceAll(name, " ", "-") + "@example.com"
			err := c.Do(context.Background(), http.MethodPost, "/v3/customers", nil,
				[]wire.CustomerPost{{Email: email, FirstName: "a", LastName: "b"}}, nil)
			if k := upstream.KindOf(err); k != tc.kind {
				t.Fatalf("kind %v, want %v (%v)", k, tc.kind, err)
			}
			if n := s.proxy.Requests.Load() - before; n != 1 {
				t.Fatalf("%d attempts, want 1", n)
			}
			s.proxy.SetRule(nil)
			if got := countByEmail(t, c, email); (got == 1) != tc.made {
				t.Fatalf("the store has %d, want made=%v", got, tc.made)
			}
		})
	}
}

// TestClient_Breaker: consecutive failures open the breaker: calls fail
// fast without reaching the store; after the cooldown a probe closes it.
func TestClient_Breaker(t *testing.T) {
	t.Parallel()
	s := startStore(t, "-rest-rate-limit", "0")
	c, reg := s.client(t, upstream.Config{Retries: -1, BreakerFailures: 3, BreakerCooldown: 300 * time.Millisecond})
	s.proxy.SetRule(func(*http.Request) faultproxy.Fault { return faultproxy.Fault{Status: 503} })
	for range 3 {
		if k := upstream.KindOf(c.Get(context.Background(), "/v3/customers", nil, nil)); k != upstream.Unavailable {
			t.Fatalf("kind %v", k)
		}
	}
	before := s.proxy.Requests.Load()
	err := c.Get(context.Background(), "/v3/customers", nil, nil)
	if !errors.Is(err, upstream.ErrBreakerOpen) || !c.BreakerOpen() {
		t.Fatalf("breaker not open: %v", err)
	}
	if s.proxy.Requests.Load() != before {
		t.Fatal("a call reached the store while the breaker was open")
	}
	if got := gaugeValue(t, reg, "customers_upstream_breaker_open"); got != 1 {
		t.Fatalf("breaker_open = %v", got)
	}
	s.proxy.SetRule(nil)
	time.Sleep(350 * time.Millisecond)
	if err := c.Get(context.Background(), "/v3/customers", nil, nil); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if c.BreakerOpen() || gaugeValue(t, reg, "customers_upstream_breaker_open") != 0 {
		t.Fatal("the breaker stayed open")
	}
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestClient_ConcurrentWrites: 12 writes started at once reach the store
// at most 3 at a time.
func TestClient_ConcurrentWrites(t *testing.T) {
	t.Parallel()
	s := startStore(t, "-rest-rate-limit", "0")
	c, _ := s.client(t, upstream.Config{})
	s.proxy.SetRule(func(r *http.Request) faultproxy.Fault {
		if r.Method == http.MethodPost {
			return faultproxy.Fault{Delay: 100 * time.Millisecond}
		}
		return faultproxy.Fault{}
	})
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			errs <- c.Do(context.Background(), http.MethodPost, "/v3/customers", nil,
				[]wire.CustomerPost{{Email: "w" + strconv.Itoa(i) + "@example.com", FirstName: "a", LastName: "b"}}, nil)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if m := s.proxy.MaxInFlight(); m > 3 || m < 2 {
		t.Fatalf("%d writes in flight at once, want at most 3", m)
	}
}

// TestClient_Guard: without AllowPrivate a loopback store is refused, at
// construction and (for a public-looking name) at connection.
func TestClient_Guard(t *testing.T) {
	t.Parallel()
	if _, err := upstream.New(upstream.Config{BaseURL: "http://127.0.0.1:1/stores/x", Token: "t"}); err == nil {
		t.Fatal("a loopback upstream was accepted without AllowPrivate")
	}
	if _, err := upstream.New(upstream.Config{BaseURL: "https://api.example.com/stores/x"}); err == nil {
		t.Fatal("no token accepted")
	}
	if _, err := upstream.New(upstream.Config{BaseURL: "ftp://x/y", Token: "t"}); err == nil {
		t.Fatal("ftp accepted")
	}
}
