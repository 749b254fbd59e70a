package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storefront/customers/internal/testsize"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/webhook"
)

// TestWebhooksSurviveRestart registers a webhook whose receiver fails its
// first attempts, makes 1,000 writes with a restart of the server in the
// middle, and then finds every event delivered at least once, with a valid
// signature and the envelope of the spec.
func TestWebhooksSurviveRestart(t *testing.T) {
	t.Parallel()
	writes := testsize.Pick(1000, 200) // 200 without -tags slow
	db := filepath.Join(t.TempDir(), "events.db")
	token := mustToken(t, db)

	var (
		mu       sync.Mutex
		secret   []byte
		received = map[string]webhook.Envelope{}
		bad      []string
		requests atomic.Int64
		all      = make(chan struct{})
		want     atomic.Int64 // events to wait for, once known
	)
	want.Store(-1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		// The first attempts fail, and one in seven after them.
		if n <= 50 || n%7 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("webhook-signature") != webhook.Sign(secret, id, ts, body) {
			bad = append(bad, id)
		}
		var env webhook.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			bad = append(bad, id)
		}
		received[id] = env
		if w := want.Load(); w >= 0 && int64(len(received)) == w {
			select {
			case <-all:
			default:
				close(all)
			}
		}
	}))
	defer receiver.Close()

	args := []string{"-db", db, "-webhook-first-retry", "20ms", "-store-id", "1025646", "-store-hash", "abc123",
		"-webhook-allow-private"}
	url, _, stop := startServer(t, args...)
	var created struct {
		CreateWebhook struct {
			Webhook struct{ ID int } `json:"webhook"`
			Secret  string           `json:"secret"`
		} `json:"createWebhook"`
	}
	out := post(t, url, token, fmt.Sprintf(`mutation { createWebhook(input: {scope: "store/customer/*", destination: %q}) {
		webhook { id } secret } }`, receiver.URL))
	raw, _ := json.Marshal(out["data"])
	json.Unmarshal(raw, &created)
	key, err := storage.SecretKey(created.CreateWebhook.Secret)
	if err != nil || len(key) == 0 {
		t.Fatalf("secret %q: %v", created.CreateWebhook.Secret, err)
	}
	mu.Lock()
	secret = key
	mu.Unlock()

	var ids []int
	for i := range writes {
		if i == writes/2 {
			// Restart in the middle: pending deliveries must resume.
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			url, _, stop = startServer(t, args...)
		}
		if i < writes/2 {
			res := post(t, url, token, fmt.Sprintf(`mutation { createCustomers(input: [{email: "e%d@hooks.example", firstName: "E", lastName: "H"}]) {
				customers { id } } }`, i))
			data := res["data"].(map[string]any)["createCustomers"].(map[string]any)["customers"].([]any)
			ids = append(ids, int(data[0].(map[string]any)["id"].(float64)))
			continue
		}
		post(t, url, token, fmt.Sprintf(`mutation { updateCustomers(input: [{id: %d, notes: "n%d"}]) { userErrors { code } } }`,
			ids[i%len(ids)], i))
	}

	ctx := context.Background()
	store, err := storage.Open(ctx, db, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	events, err := store.FindEventsAfter(ctx, 0, 10*writes)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != writes {
		t.Fatalf("%d events in the outbox, want %d", len(events), writes)
	}
	want.Store(int64(len(events)))
	mu.Lock()
	if len(received) == len(events) {
		close(all)
	}
	mu.Unlock()
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		mu.Lock()
		t.Fatalf("%d of %d events delivered", len(received), len(events))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("deliveries with a bad signature or body: %v", bad)
	}
	for _, e := range events {
		env, ok := received[webhook.MessageID(e.ID)]
		if !ok {
			t.Fatalf("event %d was not delivered", e.ID)
		}
		if env.Scope != e.Scope || env.StoreID != "1025646" || env.Producer != "stores/abc123" || env.Hash != e.Hash ||
			len(env.Hash) != 40 || env.CreatedAt != e.CreatedAt.Unix() || string(env.Data) != string(e.Data) {
			t.Fatalf("event %d: envelope %+v, event %+v", e.ID, env, e)
		}
	}
	t.Logf("%d events delivered over %d requests", len(events), requests.Load())
}
