// Package faultproxy is a reverse proxy for tests that injects the
// failures a remote API shows: latency, dropped connections, 429 answers
// with BigCommerce's rate-limit headers, 500s, and answers that stall
// halfway through their body.
package faultproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what the proxy does with one request.
type Fault struct {
	// Delay is waited before anything else.
	Delay time.Duration
	// Drop closes the connection without an answer. With Forward, the
	// request reaches the target first and only its answer is lost.
	Drop bool
	// Status answers with this status (429 with BigCommerce's headers)
	// without forwarding.
	Status int
	// ResetMs is the 429's X-Rate-Limit-Time-Reset-Ms (default 200).
	ResetMs int
	// Stall forwards, sends the answer's headers and half its body, then
	// waits until the client gives up (or Stall passes) and cuts the
	// connection.
	Stall time.Duration
	// Forward, with Drop, lets the target carry the request out.
	Forward bool
}

// Rule picks the fault of a request; the zero Fault forwards it as is.
type Rule func(r *http.Request) Fault

// Proxy is a running fault proxy.
type Proxy struct {
	URL    string
	server *httptest.Server
	proxy  *httputil.ReverseProxy

	mu     sync.Mutex
	rule   Rule
	target *url.URL

	// Requests counts the requests seen; Faults those given a fault.
	Requests, Faults atomic.Int64
	// inFlight is the requests being served; MaxInFlight its peak.
	inFlight, maxInFlight atomic.Int64
}

// MaxInFlight is the most requests served at once so far.
func (p *Proxy) MaxInFlight() int64 { return p.maxInFlight.Load() }

// ResetMaxInFlight starts counting the peak again.
func (p *Proxy) ResetMaxInFlight() { p.maxInFlight.Store(0) }

// New starts a proxy to target (scheme://host; empty: set later with
// SetTarget); Close stops it.
func New(target string) *Proxy {
	p := &Proxy{}
	p.SetTarget(target)
	p.proxy = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		p.mu.Lock()
		t := p.target
		p.mu.Unlock()
		r.SetURL(t)
		r.Out.Host = t.Host
	}}
	p.proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		w.WriteHeader(http.StatusBadGateway)
	}
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.server.URL
	return p
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.server.CloseClientConnections()
	p.server.Close()
}

// SetTarget points the proxy at target (scheme://host).
func (p *Proxy) SetTarget(target string) {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	p.mu.Lock()
	p.target = u
	p.mu.Unlock()
}

// SetRule replaces the rule; nil forwards everything.
func (p *Proxy) SetRule(r Rule) {
	p.mu.Lock()
	p.rule = r
	p.mu.Unlock()
}

// Times returns a rule that gives f to the first n requests that match
// (nil: all) and forwards everything else.
func Times(n int, match func(*http.Request) bool, f Fault) Rule {
	var left atomic.Int64
	left.Store(int64(n))
	return func(r *http.Request) Fault {
		if (match == nil || match(r)) && left.Add(-1) >= 0 {
			return f
		}
		return Fault{}
	}
}

// Every returns a rule that gives f to every nth request that matches.
func Every(n int, match func(*http.Request) bool, f Fault) Rule {
	var seen atomic.Int64
	return func(r *http.Request) Fault {
		if (match == nil || match(r)) && seen.Add(1)%int64(n) == 0 {
			return f
		}
		return Fault{}
	}
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.Requests.Add(1)
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for m := p.maxInFlight.Load(); n > m && !p.maxInFlight.CompareAndSwap(m, n); m = p.maxInFlight.Load() {
	}
	p.mu.Lock()
	rule := p.rule
	p.mu.Unlock()
	var f Fault
	if rule != nil {
		f = rule(r)
	}
	if f != (Fault{}) {
		p.Faults.Add(1)
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case f.Drop && f.Forward:
		rec := httptest.NewRecorder()
		p.proxy.ServeHTTP(rec, r)
		drop(w)
	case f.Drop:
		io.Copy(io.Discard, r.Body)
		drop(w)
	case f.Status == http.StatusTooManyRequests:
		reset := f.ResetMs
		if reset == 0 {
			reset = 200
		}
		h := w.Header()
		h.Set("X-Rate-Limit-Time-Window-Ms", "30000")
		h.Set("X-Rate-Limit-Time-Reset-Ms", strconv.Itoa(reset))
		h.Set("X-Rate-Limit-Requests-Quota", "150")
		h.Set("X-Rate-Limit-Requests-Left", "0")
		h.Set("Retry-After", strconv.Itoa((reset+999)/1000))
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"status":429,"title":"Too many requests","type":"/api-docs/getting-started/api-status-codes"}`)
	case f.Status != 0:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		io.WriteString(w, `{"status":`+strconv.Itoa(f.Status)+`,"title":"Injected failure","type":"/api-docs/getting-started/api-status-codes"}`)
	case f.Stall > 0:
		rec := httptest.NewRecorder()
		p.proxy.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		body := rec.Body.Bytes()
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		select {
		case <-time.After(f.Stall):
		case <-r.Context().Done():
		}
		drop(w)
	default:
		p.proxy.ServeHTTP(w, r)
	}
}

// drop closes the client's connection at once.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
