package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
	"github.com/storefront/customers/webhook"
	"github.com/storefront/customers/wire"
)

// TestBigCommerceFormat: a webhook in BigCommerce's format gets the
// envelope with its custom headers and no signature; one that keeps
// failing is retried on BigCommerce's (scaled) schedule and turned off
// after the last retry.
func TestBigCommerceFormat(t *testing.T) {
	db := storagetest.MustOpenDB(t)
	db.Now = time.Now
	db.Destinations.AllowPrivate = true // the receiver is on loopback
	ctx := context.Background()
	var (
		mu       sync.Mutex
		requests []*http.Request
		bodies   [][]byte
	)
	fail := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		requests, bodies = append(requests, r), append(bodies, b)
		failing := fail
		mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	active := true
	hook, _, err := db.CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/*", Destination: srv.URL, IsActive: &active,
		Headers: map[string]string{"X-Shared-Secret": "s3cret"}, Format: storage.WebhookBigCommerce})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		cfg := webhook.Config{StoreID: "42", StoreHash: "abc", BigCommerceFirstRetry: time.Millisecond, FirstRetry: time.Hour}
		cfg.Guard.AllowPrivate = true
		done <- webhook.New(db, cfg).Run(runCtx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	if _, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "bc@hook.example", FirstName: "B", LastName: "C"}}); err != nil {
		t.Fatal(err)
	}
	// Every attempt fails: the first and eleven retries, then the webhook
	// is off.
	deadline := time.Now().Add(30 * time.Second)
	for {
		found, err := db.FindWebhooksByIDs(ctx, []int{hook.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !found[hook.ID].IsActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook was not turned off after BigCommerce's retries")
		}
		<-time.After(5 * time.Millisecond)
	}
	mu.Lock()
	n := len(requests)
	first, body := requests[0], bodies[0]
	mu.Unlock()
	if n != 12 {
		t.Errorf("%d attempts, want 12 (the first and 11 retries)", n)
	}
	if got := first.Header.Get("X-Shared-Secret"); got != "s3cret" {
		t.Errorf("custom header = %q", got)
	}
	if got := first.Header.Get("webhook-signature"); got != "" {
		t.Errorf("a BigCommerce-format request carries a signature: %q", got)
	}
	var env wire.WebhookCallback
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Scope != storage.ScopeCustomerCreated || env.StoreID != "42" || env.Producer != "stores/abc" || len(env.Hash) != 40 ||
		env.CreatedAt == 0 || string(env.Data) == "" {
		t.Errorf("envelope = %+v", env)
	}
}
