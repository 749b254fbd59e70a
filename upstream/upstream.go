// Package upstream is a client of a BigCommerce store's REST API (the
// customers domain, V3 and V2), for the facade mode: the server mirrors a
// store it does not own and passes writes through to it.
//
// The client keeps to the store's etiquette: it sends the API token as
// X-Auth-Token and never writes it anywhere else; it reads
// X-Rate-Limit-Requests-Left and X-Rate-Limit-Time-Reset-Ms on every
// answer and waits for the window to reset before it would run out; at
// most MaxWrites write requests are in flight at once; idempotent calls
// (GET, PUT, DELETE) are retried on 429, 5xx and network failures with
// jittered exponential back-off, non-idempotent ones (POST) never; and a
// circuit breaker, opened by consecutive failures, refuses calls fast until
// a probe succeeds. Outbound connections go through netguard unless
// private destinations are allowed.
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/storefront/customers/netguard"
	"github.com/storefront/customers/wire"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the store's API root, https://api.bigcommerce.com/stores/{hash}.
	BaseURL string
	// Token is the store API account's access token.
	Token string
	// AllowPrivate lets the client reach loopback and private addresses
	// (tests, an upstream on the same network).
	AllowPrivate bool
	// Timeout bounds one attempt, the whole body included (default 30s).
	Timeout time.Duration
	// MaxWrites bounds the write requests in flight (default 3).
	MaxWrites int
	// Retries is how many times an idempotent call is tried again (default 4).
	Retries int
	// BackoffBase is the first retry's wait before jitter (default 250ms);
	// each further retry doubles it, up to BackoffMax (default 10s).
	BackoffBase, BackoffMax time.Duration
	// BreakerFailures consecutive failures open the breaker (default 5) for
	// BreakerCooldown (default 10s), after which one probe may pass.
	BreakerFailures int
	BreakerCooldown time.Duration
	// RateReserve is how many requests of the window the client leaves
	// unused: with this many left it waits for the reset (default 1).
	RateReserve int
	// Registerer, when set, receives the client's metrics.
	Registerer prometheus.Registerer
}

// Kind classifies a failed call for the caller.
type Kind int

const (
	// Rejected: the store answered 4xx (other than 413 and 429): the
	// request is wrong and was not carried out.
	Rejected Kind = iota + 1
	// Throttled: the store answered 429 and retries ran out (or the call
	// is not retried); nothing was done.
	Throttled
	// Unavailable: 413, 5xx, a refused or dropped connection, or the
	// breaker is open; for a non-idempotent call on a dropped connection,
	// see Uncertain.
	Unavailable
	// Uncertain: a non-idempotent request was sent but no answer came
	// (timeout, connection lost): it may or may not have been carried out.
	Uncertain
)

// Error is a failed call. It never carries the token or request bodies.
type Error struct {
	Kind Kind
	// Op is "METHOD /path" without the query.
	Op string
	// Status is the HTTP status, 0 when none came.
	Status int
	// Body is the store's error body, when it sent one.
	Body *wire.Error
	// RetryAfter is the store's advice on 429 (or while the breaker is
	// open).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upstream %s: ", e.Op)
	switch {
	case e.Status != 0:
		fmt.Fprintf(&b, "status %d", e.Status)
		if e.Body != nil && e.Body.Title != "" {
			fmt.Fprintf(&b, " (%s)", e.Body.Title)
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, 0 when it is not an *Error.
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return 0
}

// ErrBreakerOpen is the cause of calls refused while the breaker is open.
var ErrBreakerOpen = errors.New("the upstream is failing; calls are refused for a while")

// Client calls one store. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	token   string
	http    *http.Client
	cfg     Config
	writes  chan struct{}
	metrics *metrics

	mu        sync.Mutex
	pauseTill time.Time // no request before this (rate-limit window)
	failures  int       // consecutive
	openTill  time.Time // breaker open until
	probing   bool      // a half-open probe is in flight
	left      int       // last X-Rate-Limit-Requests-Left, -1 unknown
}

// New returns a client of the store at cfg.BaseURL.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("upstream: the URL must be an absolute http(s) URL, such as https://api.bigcommerce.com/stores/{hash}")
	}
	if u.User != nil {
		return nil, errors.New("upstream: the URL must not carry credentials")
	}
	if cfg.Token == "" {
		return nil, errors.New("upstream: an API token is required")
	}
	guard := netguard.Guard{AllowPrivate: cfg.AllowPrivate}
	if err := guard.CheckURL(context.Background(), u.String()); err != nil {
		return nil, fmt.Errorf("upstream: the URL %s", err)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, 30*time.Second)
	def(&cfg.BackoffBase, 250*time.Millisecond)
	def(&cfg.BackoffMax, 10*time.Second)
	def(&cfg.BreakerCooldown, 10*time.Second)
	defInt(&cfg.MaxWrites, 3)
	defInt(&cfg.BreakerFailures, 5)
	if cfg.Retries == 0 {
		cfg.Retries = 4
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.RateReserve == 0 {
		cfg.RateReserve = 1
	}
	tr := &http.Transport{
		DialContext:           guard.Dialer(10 * time.Second).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	c := &Client{base: u, token: cfg.Token, cfg: cfg, writes: make(chan struct{}, cfg.MaxWrites), left: -1,
		http: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // never carry the token elsewhere
		}}}
	c.metrics = newMetrics(cfg.Registerer)
	return c, nil
}

// RequestsLeft is the store's last reported X-Rate-Limit-Requests-Left
// (-1 before the first answer).
func (c *Client) RequestsLeft() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left
}

// BreakerOpen reports whether calls are being refused.
func (c *Client) BreakerOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Before(c.openTill)
}

// Get sends GET path?query and decodes the answer into out.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	return c.Do(ctx, http.MethodGet, path, query, nil, out)
}

// Do sends one call: body (when not nil) as JSON, the answer decoded into
// out (when not nil and the answer has a body). A non-2xx answer is an
// *Error.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("upstream %s %s: %w", method, path, err)
		}
	}
	op := method + " " + path
	idempotent := method != http.MethodPost && method != http.MethodPatch
	if method != http.MethodGet {
		select {
		case c.writes <- struct{}{}:
			defer func() { <-c.writes }()
		case <-ctx.Done():
			return &Error{Kind: Unavailable, Op: op, Err: ctx.Err()}
		}
	}
	for attempt := 0; ; attempt++ {
		err := c.attempt(ctx, method, path, query, payload, out, idempotent)
		if err == nil {
			return nil
		}
		e, _ := errors.AsType[*Error](err)
		retry := e != nil && idempotent && attempt < c.cfg.Retries && ctx.Err() == nil &&
			(e.Kind == Throttled || (e.Kind == Unavailable && !errors.Is(e.Err, ErrBreakerOpen)))
		if !retry {
			return err
		}
		wait := c.backoff(attempt)
		if e.RetryAfter > wait {
			wait = e.RetryAfter
		}
		if err := sleep(ctx, wait); err != nil {
			return &Error{Kind: e.Kind, Op: op, Status: e.Status, Body: e.Body, Err: err}
		}
	}
}

// backoff is the wait before retry attempt+1: exponential, with full
// jitter over its upper half.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffBase << attempt
	if d > c.cfg.BackoffMax || d <= 0 {
		d = c.cfg.BackoffMax
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// idSegment finds path segments that are ids, so that metric labels name
// routes rather than records.
var idSegment = regexp.MustCompile(`/[0-9]+(/|$)`)

func route(path string) string {
	for {
		r := idSegment.ReplaceAllString(path, "/{id}$1")
		if r == path {
			return r
		}
		path = r
	}
}

// admit waits for the rate-limit window and checks the breaker.
func (c *Client) admit(ctx context.Context, op string) error {
	c.mu.Lock()
	now := time.Now()
	if now.Before(c.openTill) {
		wait := c.openTill.Sub(now)
		c.mu.Unlock()
		return &Error{Kind: Unavailable, Op: op, RetryAfter: wait, Err: ErrBreakerOpen}
	}
	if c.failures >= c.cfg.BreakerFailures {
		// Half-open: one probe at a time.
		if c.probing {
			c.mu.Unlock()
			return &Error{Kind: Unavailable, Op: op, RetryAfter: time.Second, Err: ErrBreakerOpen}
		}
		c.probing = true
	}
	pause := c.pauseTill.Sub(now)
	c.mu.Unlock()
	if pause > 0 {
		c.metrics.pauses.Inc()
		if err := sleep(ctx, pause); err != nil {
			c.endProbe()
			return &Error{Kind: Unavailable, Op: op, Err: err}
		}
	}
	return nil
}

func (c *Client) endProbe() {
	c.mu.Lock()
	c.probing = false
	c.mu.Unlock()
}

// record notes an attempt's outcome for the breaker and the rate window.
func (c *Client) record(h http.Header, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.probing = false
	if failed {
		c.failures++
		if c.failures >= c.cfg.BreakerFailures {
			c.openTill = time.Now().Add(c.cfg.BreakerCooldown)
			c.metrics.breakerOpen.Set(1)
		}
	} else {
		c.failures = 0
		c.openTill = time.Time{}
		c.metrics.breakerOpen.Set(0)
	}
	if h == nil {
		return
	}
	left, errL := strconv.Atoi(h.Get("X-Rate-Limit-Requests-Left"))
	reset, errR := strconv.Atoi(h.Get("X-Rate-Limit-Time-Reset-Ms"))
	if errL == nil {
		c.left = left
		c.metrics.left.Set(float64(left))
	}
	if errL == nil && errR == nil && left <= c.cfg.RateReserve {
		till := time.Now().Add(time.Duration(reset) * time.Millisecond)
		if till.After(c.pauseTill) {
			c.pauseTill = till
		}
	}
}

// attempt sends the request once.
func (c *Client) attempt(ctx context.Context, method, path string, query url.Values, payload []byte, out any, idempotent bool) error {
	op := method + " " + path
	if err := c.admit(ctx, op); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		c.endProbe()
		return &Error{Kind: Rejected, Op: op, Err: errors.New("bad request URL")}
	}
	req.Header.Set("X-Auth-Token", c.token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	res, err := c.http.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(res.Body, 64<<20))
		res.Body.Close()
	}
	rt := route(path)
	c.metrics.duration.WithLabelValues(method, rt).Observe(time.Since(start).Seconds())
	if err != nil {
		c.metrics.requests.WithLabelValues(method, rt, "error").Inc()
		c.record(nil, true)
		kind := Unavailable
		if !idempotent {
			kind = Uncertain // the request may have reached the store
		}
		if res == nil && !idempotent && isDialError(err) {
			kind = Unavailable // never sent
		}
		return &Error{Kind: kind, Op: op, Err: cleanErr(err)}
	}
	c.metrics.requests.WithLabelValues(method, rt, strconv.Itoa(res.StatusCode)).Inc()
	failed := res.StatusCode >= 500
	c.record(res.Header, failed)
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if out != nil && len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, out); err != nil {
				return &Error{Kind: Unavailable, Op: op, Status: res.StatusCode, Err: fmt.Errorf("decode the answer: %w", err)}
			}
		}
		return nil
	}
	e := &Error{Op: op, Status: res.StatusCode}
	var eb wire.Error
	if json.Unmarshal(body, &eb) == nil && (eb.Title != "" || eb.Status != 0 || len(eb.Errors) > 0) {
		e.Body = &eb
	} else {
		// V2 answers a list of {status, message}.
		var v2 []struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &v2) == nil && len(v2) > 0 {
			e.Body = &wire.Error{Status: v2[0].Status, Title: v2[0].Message}
		}
	}
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		e.Kind = Throttled
		if ms, err := strconv.Atoi(res.Header.Get("X-Rate-Limit-Time-Reset-Ms")); err == nil {
			e.RetryAfter = time.Duration(ms) * time.Millisecond
		} else if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		c.mu.Lock()
		if till := time.Now().Add(e.RetryAfter); till.After(c.pauseTill) {
			c.pauseTill = till
		}
		c.mu.Unlock()
	case res.StatusCode == http.StatusRequestEntityTooLarge || res.StatusCode >= 500:
		e.Kind = Unavailable
	default:
		e.Kind = Rejected
	}
	return e
}

// isDialError reports whether err happened before the request was sent.
func isDialError(err error) bool {
	return errors.Is(err, netguard.ErrNotAllowed) || strings.Contains(err.Error(), "dial tcp") ||
		strings.Contains(err.Error(), "connection refused")
}

// cleanErr drops the URL from a transport error (it names the store, not
// the token, but a query may carry customer emails).
func cleanErr(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	left        prometheus.Gauge
	breakerOpen prometheus.Gauge
	pauses      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "customers", Subsystem: "upstream", Name: "requests_total",
			Help: "Calls to the upstream store by method, route and status (error: no answer)."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "customers", Subsystem: "upstream", Name: "request_duration_seconds",
			Help:    "Time of each call to the upstream store, body included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"method", "route"}),
		left: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "customers", Subsystem: "upstream", Name: "rate_limit_requests_left",
			Help: "The upstream's last X-Rate-Limit-Requests-Left."}),
		breakerOpen: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "customers", Subsystem: "upstream", Name: "breaker_open",
			Help: "1 while the circuit breaker refuses calls to the upstream."}),
		pauses: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "customers", Subsystem: "upstream", Name: "rate_limit_pauses_total",
			Help: "Calls held back until the upstream's rate-limit window reset."}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.left, m.breakerOpen, m.pauses)
	}
	return m
}
