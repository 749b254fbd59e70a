// Package webhook delivers the store's events to registered webhooks: it
// fans the outbox out into deliveries, sends them signed the Standard
// Webhooks way, retries failures with back-off, and turns off webhooks that
// keep failing. Deliveries live in the store, so a restart loses none: at
// least once, in the face of crashes and slow or failing receivers.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/storefront/customers/netguard"
	"github.com/storefront/customers/storage"
)

// Config tunes a Dispatcher; zero fields take the defaults.
type Config struct {
	// StoreID and StoreHash fill the envelope's store_id and producer
	// ("stores/{hash}").
	StoreID, StoreHash string
	// Concurrency bounds the deliveries in flight; PerWebhook bounds them
	// per webhook, so one slow receiver holds at most that many.
	Concurrency, PerWebhook int
	// Timeout bounds one attempt.
	Timeout time.Duration
	// FirstRetry is the wait after a first failure; each further failure
	// triples it, up to MaxRetry.
	FirstRetry, MaxRetry time.Duration
	// DeactivateAfter is how long a webhook may fail without a success
	// before it is turned off.
	DeactivateAfter time.Duration
	// Client sends the requests; nil means a client that follows no
	// redirects, uses no proxy and connects only where Guard allows.
	Client *http.Client
	// Guard is the destination policy of the default client: the zero
	// value refuses loopback, private and reserved addresses, checked on
	// every connection (so DNS rebinding fails too).
	Guard netguard.Guard
	// Logger receives delivery failures; nil means slog.Default().
	Logger *slog.Logger
	// Observe, when set, is told every attempt's outcome ("success",
	// "failure", "error") and duration, and QueueDepth the number of
	// pending deliveries after each round.
	Observe    func(outcome string, d time.Duration)
	QueueDepth func(n int)
}

// Defaults of Config.
const (
	DefaultConcurrency     = 16
	DefaultPerWebhook      = 2
	DefaultTimeout         = 10 * time.Second
	DefaultFirstRetry      = 5 * time.Second
	DefaultMaxRetry        = time.Hour
	DefaultDeactivateAfter = 48 * time.Hour
)

// Dispatcher sends pending deliveries. Start it with Run.
type Dispatcher struct {
	db  *storage.DB
	cfg Config

	mu       sync.Mutex
	inFlight map[int]int // webhook id -> deliveries in flight
	total    int
	freed    chan struct{}
	wg       sync.WaitGroup
}

// New returns a dispatcher over db.
func New(db *storage.DB, cfg Config) *Dispatcher {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.PerWebhook <= 0 {
		cfg.PerWebhook = DefaultPerWebhook
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.FirstRetry <= 0 {
		cfg.FirstRetry = DefaultFirstRetry
	}
	if cfg.MaxRetry <= 0 {
		cfg.MaxRetry = DefaultMaxRetry
	}
	if cfg.DeactivateAfter <= 0 {
		cfg.DeactivateAfter = DefaultDeactivateAfter
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			Transport: &http.Transport{
				Proxy:               nil, // a proxy would dial for us, past the guard
				DialContext:         cfg.Guard.Dialer(cfg.Timeout).DialContext,
				TLSHandshakeTimeout: cfg.Timeout,
				MaxIdleConnsPerHost: cfg.PerWebhook * 2,
				IdleConnTimeout:     90 * time.Second,
				ForceAttemptHTTP2:   true,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Dispatcher{db: db, cfg: cfg, inFlight: map[int]int{}, freed: make(chan struct{}, 1)}
}

// Run fans out and sends until ctx ends, then waits for the attempts in
// flight (each bounded by the timeout) and returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	defer d.wg.Wait()
	for {
		signal := d.db.EventSignal()
		if err := d.round(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.ErrorContext(ctx, "webhook dispatch", "err", err)
		}
		wait := time.Minute
		if next, err := d.db.NextDue(ctx); err == nil && next != nil {
			wait = max(time.Until(*next), 10*time.Millisecond)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-signal:
		case <-d.freed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// round fans out every new event and starts as many due deliveries as
// there are free slots.
func (d *Dispatcher) round(ctx context.Context) error {
	for {
		n, err := d.db.FanOut(ctx, 500)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	for {
		free, inFlight := d.slots()
		if free == 0 {
			break
		}
		due, err := d.db.ClaimDue(ctx, free, d.cfg.Timeout+30*time.Second, d.cfg.PerWebhook, inFlight)
		if err != nil {
			return err
		}
		for _, dd := range due {
			d.take(dd.Webhook.ID)
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				defer d.release(dd.Webhook.ID)
				d.attempt(context.WithoutCancel(ctx), dd)
			}()
		}
		if len(due) < free {
			break
		}
	}
	if d.cfg.QueueDepth != nil {
		if n, err := d.db.PendingDeliveries(ctx); err == nil {
			d.cfg.QueueDepth(n)
		}
	}
	return nil
}

// slots returns how many deliveries may start, and how many are in flight
// per webhook.
func (d *Dispatcher) slots() (int, map[int]int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg.Concurrency - d.total, maps.Clone(d.inFlight)
}

func (d *Dispatcher) take(webhook int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inFlight[webhook]++
	d.total++
}

func (d *Dispatcher) release(webhook int) {
	d.mu.Lock()
	d.inFlight[webhook]--
	if d.inFlight[webhook] == 0 {
		delete(d.inFlight, webhook)
	}
	d.total--
	d.mu.Unlock()
	select {
	case d.freed <- struct{}{}:
	default:
	}
}

// Envelope is the body of a webhook request (domain/customers-spec.md
// §6.2).
type Envelope struct {
	Scope     string          `json:"scope"`
	StoreID   string          `json:"store_id"`
	Data      json.RawMessage `json:"data"`
	Hash      string          `json:"hash"`
	CreatedAt int64           `json:"created_at"`
	Producer  string          `json:"producer"`
}

// MessageID is the webhook-id of an event's requests: the same on every
// retry, so receivers can drop repeats.
func MessageID(eventID int64) string { return "evt_" + strconv.FormatInt(eventID, 10) }

// Sign returns the webhook-signature value of a body: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under the secret's key.
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, timestamp)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// attempt sends one delivery and records the outcome.
func (d *Dispatcher) attempt(ctx context.Context, dd *storage.DueDelivery) {
	body, err := json.Marshal(Envelope{Scope: dd.Event.Scope, StoreID: d.cfg.StoreID, Data: dd.Event.Data, Hash: dd.Event.Hash,
		CreatedAt: dd.Event.CreatedAt.Unix(), Producer: "stores/" + d.cfg.StoreHash})
	if err != nil {
		d.cfg.Logger.ErrorContext(ctx, "webhook envelope", "err", err, "delivery_id", dd.Delivery.ID)
		return
	}
	start := time.Now()
	code, sendErr := d.send(ctx, dd, body, start)
	res := storage.AttemptResult{At: start.UTC().Truncate(time.Second), Duration: time.Since(start)}
	outcome := "success"
	switch {
	case sendErr != nil:
		res.Err, outcome = d.describe(sendErr), "error"
	case code >= 300 && code <= 399:
		res.StatusCode, res.Err, outcome = &code, "HTTP "+strconv.Itoa(code)+" (redirects are not followed)", "failure"
	case code < 200 || code > 299:
		res.StatusCode, res.Err, outcome = &code, "HTTP "+strconv.Itoa(code), "failure"
	default:
		res.StatusCode, res.OK = &code, true
	}
	if !res.OK {
		res.Retry = start.Add(d.backoff(dd.Delivery.AttemptCount + 1))
		// The operator's log gets the network detail, but never the URL:
		// a destination's query string may hold a secret.
		detail := res.Err
		if sendErr != nil {
			detail = withoutURL(sendErr).Error()
		}
		d.cfg.Logger.WarnContext(ctx, "webhook delivery failed", "delivery_id", dd.Delivery.ID, "webhook_id", dd.Webhook.ID,
			"attempt", dd.Delivery.AttemptCount+1, "error", detail, "retry_at", res.Retry.UTC().Format(time.RFC3339))
	}
	if d.cfg.Observe != nil {
		d.cfg.Observe(outcome, res.Duration)
	}
	if err := d.db.RecordAttempt(ctx, dd.Delivery, res, d.cfg.DeactivateAfter); err != nil {
		// The lease runs out and the delivery is tried again: at least once.
		d.cfg.Logger.ErrorContext(ctx, "record webhook attempt", "err", err, "delivery_id", dd.Delivery.ID)
	}
}

// send posts the body with the signature headers; it returns the response
// status, or an error when there was none.
func (d *Dispatcher) send(ctx context.Context, dd *storage.DueDelivery, body []byte, now time.Time) (int, error) {
	key, err := storage.SecretKey(dd.Secret)
	if err != nil {
		return 0, fmt.Errorf("bad secret: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dd.Webhook.Destination, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range dd.Webhook.Headers {
		req.Header.Set(k, v)
	}
	id, ts := MessageID(dd.Event.ID), now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "customers-graphql-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(key, id, ts, body))
	res, err := d.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, nil
}

// describe says why an attempt got no answer, as a store owner reading
// lastError needs it: timed out, not allowed, or could not connect. It
// does not tell a refused port from a failed TLS handshake or an unknown
// name: lastError is visible through the API, and that detail would make
// the webhook a port scanner.
func (d *Dispatcher) describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, netguard.ErrNotAllowed):
		return "The destination's address is not allowed (loopback, private or reserved)."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "Timed out after " + d.cfg.Timeout.String() + "."
	}
	return "Could not connect."
}

// withoutURL drops the URL that net/http puts in front of its errors.
func withoutURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// backoff is the wait before attempt n+1 after n failures: FirstRetry, then
// tripling, up to MaxRetry.
func (d *Dispatcher) backoff(failures int) time.Duration {
	wait := float64(d.cfg.FirstRetry) * math.Pow(3, float64(failures-1))
	return time.Duration(math.Min(wait, float64(d.cfg.MaxRetry)))
}
