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
	// BigCommerceFirstRetry scales BigCommerce's retry schedule (for
	// webhooks in its format): the first wait; 0 means 60 seconds.
	BigCommerceFirstRetry time.Duration
	// Client sends the requests; nil means a client that follows no
	// redirects, uses no proxy and connects only where Guard allows.
	Client *http.Client
	// Guard is the destination policy of the default client: the zero
	// value refuses loopback, private and reserved addresses, checked on
	// every connection (so DNS rebinding fails too).
	Guard netguard.Guard
	// Logger receives delivery failures; nil means slog.Default().
	Logger *slog.Logger
	// WriteShare bounds the share of the store's (single) writer that the
	// dispatcher's own bookkeeping (fan-out, claims, attempt records) may
	// take while a backlog drains, so that the API's writes barely wait:
	// after each of its transactions, it leaves the writer alone for the
	// rest of the share. 0 means DefaultWriteShare.
	WriteShare float64
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
	// DefaultWriteShare leaves the API four fifths of the writer: a
	// backlog of 20,000 still drains in well under a minute here
	// (BENCHMARKS.md).
	DefaultWriteShare = 0.2
)

// Store is what the dispatcher needs of the store: the outbox fanned out
// into deliveries, claimed under a lease, released, and their attempts
// recorded. *storage.DB is one.
type Store interface {
	EventSignal() <-chan struct{}
	FanOut(ctx context.Context, limit int) (int, error)
	ClaimDue(ctx context.Context, limit int, lease time.Duration, perWebhook int, inFlight map[int]int) ([]*storage.DueDelivery, error)
	ReleaseDeliveries(ctx context.Context, ids []int) error
	RecordAttempts(ctx context.Context, attempts []storage.Attempt, deactivateAfter time.Duration) error
	NextDue(ctx context.Context) (*time.Time, error)
	PendingDeliveries(ctx context.Context) (int, error)
}

var _ Store = (*storage.DB)(nil)

// Dispatcher sends pending deliveries. Start it with Run.
type Dispatcher struct {
	db  Store
	cfg Config

	mu sync.Mutex
	// lanes hold each webhook's claimed deliveries: the queue waiting, and
	// how many attempts run.
	lanes map[int]*lane
	// running counts the attempts in flight; held the deliveries claimed
	// and not yet finished (queued or running), by id.
	running int
	held    map[int]bool
	freed   chan struct{}
	wg      sync.WaitGroup
	// outcomes carries finished attempts to the recorder, which writes
	// what has gathered in one transaction.
	outcomes chan storage.Attempt
	// depthAt is when the queue depth was last counted.
	depthAt time.Time
}

// New returns a dispatcher over db.
func New(db Store, cfg Config) *Dispatcher {
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
	if cfg.WriteShare <= 0 || cfg.WriteShare > 1 {
		cfg.WriteShare = DefaultWriteShare
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
	return &Dispatcher{db: db, cfg: cfg, lanes: map[int]*lane{}, held: map[int]bool{}, freed: make(chan struct{}, 1),
		outcomes: make(chan storage.Attempt, cfg.Concurrency)}
}

// lane is one webhook's share of the dispatcher.
type lane struct {
	queue   []*storage.DueDelivery
	running int
}

// prefetch is how many claimed deliveries a webhook may hold per attempt
// it may run: a claim takes the write lock once for several deliveries,
// and a healthy receiver never waits for the next claim.
const prefetch = 8

// lease is how long claimed deliveries stay reserved: long enough for a
// full queue to be sent through the webhook's slots at the worst (every
// attempt timing out), and three timeouts for recording the outcomes. A
// crash leaves them due again after it: 120 s with the default timeout.
func (d *Dispatcher) lease() time.Duration {
	return time.Duration(prefetch+4) * d.cfg.Timeout
}

// Run fans out and sends until ctx ends, then waits for the attempts in
// flight (each bounded by the timeout), records them and returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		d.record(context.WithoutCancel(ctx))
	}()
	defer func() {
		d.wg.Wait()
		close(d.outcomes)
		<-recorded
		// What was claimed and not sent is due again at once, not when its
		// lease ends.
		if ids := d.unsent(); len(ids) > 0 {
			if err := d.db.ReleaseDeliveries(context.WithoutCancel(ctx), ids); err != nil {
				d.cfg.Logger.WarnContext(ctx, "release webhook deliveries", "err", err)
			}
		}
	}()
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
		var n int
		err := d.paced(ctx, func() (err error) { n, err = d.db.FanOut(ctx, 500); return err })
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	for ctx.Err() == nil {
		limit, held := d.room()
		if limit == 0 {
			break
		}
		var due []*storage.DueDelivery
		err := d.paced(ctx, func() (err error) {
			due, err = d.db.ClaimDue(ctx, limit, d.lease(), d.cfg.PerWebhook*prefetch, held)
			return err
		})
		if err != nil {
			return err
		}
		d.enqueue(due)
		d.start(ctx)
		if len(due) < limit {
			break
		}
	}
	d.start(ctx)
	// Counting the queue reads every pending delivery's index entry: once a
	// second is enough for a gauge.
	if d.cfg.QueueDepth != nil && time.Since(d.depthAt) >= time.Second {
		d.depthAt = time.Now()
		if n, err := d.db.PendingDeliveries(ctx); err == nil {
			d.cfg.QueueDepth(n)
		}
	}
	return nil
}

// record writes finished attempts until outcomes closes: each transaction
// takes every attempt that finished while the one before was written, so
// a draining backlog holds the write lock once for many deliveries and
// other writers hardly wait.
func (d *Dispatcher) record(ctx context.Context) {
	for first := range d.outcomes {
		batch := []storage.Attempt{first}
	gather:
		for len(batch) < 256 {
			select {
			case a, ok := <-d.outcomes:
				if !ok {
					break gather
				}
				batch = append(batch, a)
			default:
				break gather
			}
		}
		if err := d.paced(ctx, func() error { return d.db.RecordAttempts(ctx, batch, d.cfg.DeactivateAfter) }); err != nil {
			// The leases run out and the deliveries are tried again: at least
			// once.
			d.cfg.Logger.ErrorContext(ctx, "record webhook attempts", "err", err, "attempts", len(batch))
		}
		d.wake() // retries are scheduled now: the next may be due soon
	}
}

// paced runs one of the dispatcher's write transactions, then waits so
// that its transactions take at most WriteShare of the time: a transaction
// of 1 ms at a share of a fifth is followed by 4 ms of leaving the writer
// to the API. The fan-out's read-only check that finds nothing is cheap
// and barely waits.
func (d *Dispatcher) paced(ctx context.Context, write func() error) error {
	start := time.Now()
	err := write()
	rest := time.Duration(float64(time.Since(start)) * (1 - d.cfg.WriteShare) / d.cfg.WriteShare)
	select {
	case <-ctx.Done():
	case <-time.After(rest):
	}
	return err
}

// wake has Run look for due deliveries again.
func (d *Dispatcher) wake() {
	select {
	case d.freed <- struct{}{}:
	default:
	}
}

// room returns how many deliveries a claim may take in all, and how many
// each webhook holds already (queued or running).
func (d *Dispatcher) room() (int, map[int]int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	held := make(map[int]int, len(d.lanes))
	for id, l := range d.lanes {
		held[id] = len(l.queue) + l.running
	}
	return max(d.cfg.Concurrency*prefetch-len(d.held), 0), held
}

// enqueue adds claimed deliveries to their webhooks' queues; one held
// already (claimed again after its lease ran out while it waited) is not
// added twice.
func (d *Dispatcher) enqueue(due []*storage.DueDelivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, dd := range due {
		if d.held[dd.Delivery.ID] {
			continue
		}
		d.held[dd.Delivery.ID] = true
		l := d.lanes[dd.Webhook.ID]
		if l == nil {
			l = &lane{}
			d.lanes[dd.Webhook.ID] = l
		}
		l.queue = append(l.queue, dd)
	}
}

// start sends queued deliveries while their webhook and the dispatcher
// have free slots.
func (d *Dispatcher) start(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, l := range d.lanes {
		for len(l.queue) > 0 && l.running < d.cfg.PerWebhook && d.running < d.cfg.Concurrency {
			dd := l.queue[0]
			l.queue = l.queue[1:]
			l.running++
			d.running++
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				d.attempt(context.WithoutCancel(ctx), dd)
				d.finish(ctx, id, dd.Delivery.ID)
			}()
		}
		if len(l.queue) == 0 && l.running == 0 {
			delete(d.lanes, id)
		}
	}
}

// finish frees an attempt's slot and starts the next queued delivery.
func (d *Dispatcher) finish(ctx context.Context, webhook, delivery int) {
	d.mu.Lock()
	if l := d.lanes[webhook]; l != nil {
		l.running--
	}
	d.running--
	delete(d.held, delivery)
	d.mu.Unlock()
	d.start(ctx)
	d.wake()
}

// unsent returns the ids of the deliveries claimed and never started.
func (d *Dispatcher) unsent() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []int
	for _, l := range d.lanes {
		for _, dd := range l.queue {
			ids = append(ids, dd.Delivery.ID)
		}
	}
	return ids
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
		res.Retry, res.GiveUp = d.retryPolicy(dd.Webhook, dd.Delivery.AttemptCount+1, start)
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
	d.outcomes <- storage.Attempt{Delivery: dd.Delivery, Result: res}
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
	if signed(dd.Webhook) {
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", Sign(key, id, ts, body))
	}
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
