package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
	"github.com/storefront/customers/webhook"
)

// receiver is a webhook destination that records what it gets.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     map[string]int // webhook-id -> requests
	bodies  map[string][]byte
	respond func(n int64, r *http.Request) int
	n       atomic.Int64
	arrived chan string
}

func newReceiver(t *testing.T, respond func(n int64, r *http.Request) int) *receiver {
	rc := &receiver{got: map[string]int{}, bodies: map[string][]byte{}, respond: respond, arrived: make(chan string, 10000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		code := rc.respond(rc.n.Add(1), r)
		if code >= 200 && code < 300 {
			id := r.Header.Get("webhook-id")
			rc.mu.Lock()
			rc.got[id]++
			rc.bodies[id] = body
			rc.mu.Unlock()
			rc.arrived <- id
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// createCustomers writes n customers, each recording one event.
func createCustomers(t *testing.T, db *storage.DB, n int, prefix string) {
	t.Helper()
	for i := range n {
		if _, err := db.CreateCustomers(context.Background(), []storage.CustomerInput{{
			Email: prefix + strconv.Itoa(i) + "@hook.example", FirstName: "H", LastName: "K"}}); err != nil {
			t.Fatal(err)
		}
	}
}

// openDB opens a store whose webhooks may point to this machine, where
// the tests' receivers listen.
func openDB(t *testing.T) *storage.DB {
	t.Helper()
	db := storagetest.MustOpenDB(t)
	db.Destinations.AllowPrivate = true
	return db
}

// run dispatches db's deliveries until the test ends; receivers on this
// machine are allowed.
func run(t *testing.T, db *storage.DB, cfg webhook.Config) {
	t.Helper()
	cfg.Guard.AllowPrivate = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- webhook.New(db, cfg).Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// settled waits until the webhook's n deliveries have succeeded (the
// receiver sees a request before the dispatcher records its answer).
func settled(t *testing.T, db *storage.DB, hook, n int) *storage.Page[*storage.WebhookDelivery] {
	t.Helper()
	succeeded := storage.DeliverySucceeded
	deadline := time.Now().Add(30 * time.Second)
	for {
		pg, err := db.FindDeliveries(context.Background(), storage.WebhookDeliveryFilter{WebhookIDIn: []int{hook}, Status: &succeeded},
			storage.PageRequest{Page: 1, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Items) == n {
			return pg
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries settled", len(pg.Items), n)
		}
		<-time.After(10 * time.Millisecond)
	}
}

func waitFor(t *testing.T, what string, ch <-chan string, n int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("%s: %d of %d arrived", what, i, n)
		}
	}
}

// TestRetriesThenDelivers: a receiver that fails the first attempts gets
// every event, signed, after retries; each attempt is recorded.
func TestRetriesThenDelivers(t *testing.T) {
	db := openDB(t)
	db.Now = time.Now
	rc := newReceiver(t, func(n int64, _ *http.Request) int {
		if n <= 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	hook, secret, err := db.CreateWebhook(context.Background(), storage.WebhookInput{Scope: "store/customer/*", Destination: rc.srv.URL,
		Headers: map[string]string{"X-Custom": "yes"}})
	if err != nil {
		t.Fatal(err)
	}
	createCustomers(t, db, 3, "r")
	run(t, db, webhook.Config{StoreID: "42", StoreHash: "abc", FirstRetry: 20 * time.Millisecond})
	waitFor(t, "events", rc.arrived, 3)

	key, _ := storage.SecretKey(secret)
	events, _ := db.FindEventsAfter(context.Background(), 0, 10)
	for _, e := range events {
		id := webhook.MessageID(e.ID)
		rc.mu.Lock()
		body := rc.bodies[id]
		rc.mu.Unlock()
		var env webhook.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("event %d: %v", e.ID, err)
		}
		if env.Scope != e.Scope || env.StoreID != "42" || env.Producer != "stores/abc" || env.Hash != e.Hash ||
			string(env.Data) != string(e.Data) || env.CreatedAt != e.CreatedAt.Unix() {
			t.Fatalf("envelope %+v for event %+v", env, e)
		}
		_ = key
	}
	pg := settled(t, db, hook.ID, 3)
	retried := 0
	for _, d := range pg.Items {
		if d.Status != storage.DeliverySucceeded || d.LastStatusCode == nil || *d.LastStatusCode != 200 {
			t.Fatalf("delivery %+v", d)
		}
		retried += d.AttemptCount - 1
	}
	if retried != 3 {
		t.Fatalf("%d retries recorded, want 3", retried)
	}
	attempts, _ := db.FindAttemptsByDeliveryIDs(context.Background(), []int{pg.Items[len(pg.Items)-1].ID})
	if a := attempts[pg.Items[len(pg.Items)-1].ID]; len(a) == 0 || a[0].Number != 1 {
		t.Fatalf("attempts=%+v", a)
	}
}

// TestSignature checks the Standard Webhooks headers against a receiver
// that verifies them as its documentation says.
func TestSignature(t *testing.T) {
	db := openDB(t)
	db.Now = time.Now
	var secret string
	var bad atomic.Int64
	rc := newReceiver(t, func(_ int64, r *http.Request) int { return http.StatusOK })
	rc.respond = func(_ int64, r *http.Request) int {
		body, _ := io.ReadAll(r.Body)
		_ = body
		return http.StatusOK
	}
	verify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key, _ := storage.SecretKey(secret)
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		want := webhook.Sign(key, r.Header.Get("webhook-id"), ts, body)
		if r.Header.Get("webhook-signature") != want || r.Header.Get("X-Custom") != "yes" ||
			r.Header.Get("Content-Type") != "application/json" || time.Since(time.Unix(ts, 0)) > time.Minute {
			bad.Add(1)
		}
		rc.arrived <- r.Header.Get("webhook-id")
	}))
	defer verify.Close()
	var err error
	if _, secret, err = db.CreateWebhook(context.Background(), storage.WebhookInput{Scope: "store/customer/created",
		Destination: verify.URL, Headers: map[string]string{"X-Custom": "yes"}}); err != nil {
		t.Fatal(err)
	}
	createCustomers(t, db, 2, "s")
	run(t, db, webhook.Config{})
	waitFor(t, "signed events", rc.arrived, 2)
	if bad.Load() != 0 {
		t.Fatalf("%d requests with a bad signature or headers", bad.Load())
	}
}

// TestSlowReceiverDelaysNoOther: a receiver that hangs holds at most its
// own slots; another webhook's events arrive meanwhile.
func TestSlowReceiverDelaysNoOther(t *testing.T) {
	db := openDB(t)
	db.Now = time.Now
	release := make(chan struct{})
	slow := newReceiver(t, func(int64, *http.Request) int { <-release; return http.StatusOK })
	fast := newReceiver(t, func(int64, *http.Request) int { return http.StatusOK })
	defer close(release)
	for _, dest := range []string{slow.srv.URL, fast.srv.URL} {
		if _, _, err := db.CreateWebhook(context.Background(), storage.WebhookInput{Scope: "store/customer/*", Destination: dest}); err != nil {
			t.Fatal(err)
		}
	}
	createCustomers(t, db, 20, "f")
	run(t, db, webhook.Config{Concurrency: 4, PerWebhook: 2, Timeout: time.Minute})
	waitFor(t, "the fast webhook's events, while the slow one hangs", fast.arrived, 20)
	if n := slow.n.Load(); n > 2 {
		t.Fatalf("the slow receiver got %d requests at once, want at most 2", n)
	}
}

// TestDeactivatesAfterFailing turns off a webhook that keeps failing past
// the period, with its pending deliveries dead; the others keep going.
func TestDeactivatesAfterFailing(t *testing.T) {
	db := openDB(t)
	db.Now = time.Now
	failing := newReceiver(t, func(int64, *http.Request) int { return http.StatusInternalServerError })
	hook, _, err := db.CreateWebhook(context.Background(), storage.WebhookInput{Scope: "store/customer/*", Destination: failing.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	// One event, so one delivery: the webhook can only be turned off by a
	// retry of it (its first failure starts the clock). With two, a slow
	// machine may turn it off on the first's retry before the second was
	// retried, which is right but says nothing about retries.
	createCustomers(t, db, 1, "d")
	run(t, db, webhook.Config{FirstRetry: 10 * time.Millisecond, MaxRetry: 50 * time.Millisecond, DeactivateAfter: 300 * time.Millisecond})
	deadline := time.Now().Add(20 * time.Second)
	for {
		hooks, err := db.FindWebhooksByIDs(context.Background(), []int{hook.ID})
		if err != nil {
			t.Fatal(err)
		}
		if h := hooks[hook.ID]; !h.IsActive {
			if h.DeactivatedReason == "" {
				t.Fatal("deactivated without a reason")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failing webhook was not turned off")
		}
		<-time.After(20 * time.Millisecond)
	}
	pg, _ := db.FindDeliveries(context.Background(), storage.WebhookDeliveryFilter{WebhookIDIn: []int{hook.ID}},
		storage.PageRequest{Page: 1, Limit: 10})
	if len(pg.Items) != 1 {
		t.Fatalf("%d deliveries, want 1", len(pg.Items))
	}
	if d := pg.Items[0]; d.Status != storage.DeliveryDead || d.AttemptCount < 2 {
		t.Fatalf("delivery %+v, want dead after several attempts", d)
	}
	// Turning it on again clears the record; a retry sends again.
	on := true
	if _, err := db.UpdateWebhook(context.Background(), storage.WebhookUpdate{ID: hook.ID, IsActive: &on}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetryDelivery(context.Background(), pg.Items[0].ID); err != nil {
		t.Fatal(err)
	}
}

// lastErrorOf waits until the webhook's first delivery has been tried n
// times and returns its lastError.
func lastErrorOf(t *testing.T, db *storage.DB, hook, n int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pg, err := db.FindDeliveries(context.Background(), storage.WebhookDeliveryFilter{WebhookIDIn: []int{hook}},
			storage.PageRequest{Page: 1, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Items) == 1 && pg.Items[0].AttemptCount >= n {
			return pg.Items[0].LastError
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery was not tried %d times", n)
		}
		<-time.After(10 * time.Millisecond)
	}
}

// TestPrivateDestinationRefusedAtConnect: a destination that passed the
// check when it was registered but now leads to a private address (DNS
// rebinding, or a policy tightened since) is refused when the dispatcher
// connects: the receiver gets nothing, lastError says why.
func TestPrivateDestinationRefusedAtConnect(t *testing.T) {
	db := openDB(t) // registered while private destinations were allowed
	db.Now = time.Now
	rc := newReceiver(t, func(int64, *http.Request) int { return http.StatusOK })
	hook, _, err := db.CreateWebhook(context.Background(), storage.WebhookInput{Scope: "store/customer/*", Destination: rc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	createCustomers(t, db, 1, "p")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- webhook.New(db, webhook.Config{FirstRetry: 10 * time.Millisecond}).Run(ctx) }() // default guard
	defer func() { cancel(); <-done }()
	if got := lastErrorOf(t, db, hook.ID, 2); !strings.Contains(got, "not allowed") {
		t.Fatalf("lastError %q", got)
	}
	if n := rc.n.Load(); n != 0 {
		t.Fatalf("the private receiver got %d requests", n)
	}
}

// TestLastErrorIsNoPortScanner: a closed port and a TLS failure read the
// same in lastError; a status and a redirect say what they are, and the
// redirect is not followed.
func TestLastErrorIsNoPortScanner(t *testing.T) {
	db := openDB(t)
	db.Now = time.Now
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := "https://" + closed.Listener.Addr().String() + "/in"
	closed.Close()
	plain := newReceiver(t, func(int64, *http.Request) int { return http.StatusOK }) // http, dialled with https
	redirected := newReceiver(t, func(int64, *http.Request) int { return http.StatusOK })
	redirect := httptest.NewServer(http.RedirectHandler(redirected.srv.URL, http.StatusFound))
	t.Cleanup(redirect.Close)
	failing := newReceiver(t, func(int64, *http.Request) int { return http.StatusBadGateway })
	want := map[string]string{
		closedURL: "Could not connect.",
		strings.Replace(plain.srv.URL, "http:", "https:", 1): "Could not connect.",
		redirect.URL:    "HTTP 302 (redirects are not followed)",
		failing.srv.URL: "HTTP 502",
	}
	hooks := map[string]int{}
	for dest := range want {
		h, _, err := db.CreateWebhook(context.Background(), storage.WebhookInput{Scope: "store/customer/*", Destination: dest})
		if err != nil {
			t.Fatal(err)
		}
		hooks[dest] = h.ID
	}
	createCustomers(t, db, 1, "e")
	run(t, db, webhook.Config{FirstRetry: 10 * time.Millisecond})
	for dest, msg := range want {
		if got := lastErrorOf(t, db, hooks[dest], 1); got != msg {
			t.Errorf("%s: lastError %q, want %q", dest, got, msg)
		}
	}
	if n := plain.n.Load() + redirected.n.Load(); n != 0 {
		t.Fatalf("%d requests reached the plain or the redirect's target", n)
	}
}
