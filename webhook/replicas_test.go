package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
	"github.com/storefront/customers/webhook"
)

// openReplicas opens n stores on one PostgreSQL database (replicas of the
// server), whose webhooks may point to this machine.
func openReplicas(t *testing.T, n int) []*storage.DB {
	t.Helper()
	dbs := storagetest.OpenReplicas(t, n)
	for _, db := range dbs {
		db.Destinations.AllowPrivate = true
	}
	return dbs
}

// TestClaimsAcrossReplicas: replicas claiming at once from one PostgreSQL
// database take every due delivery, each exactly once; a replica that
// dies holding leases keeps them from the others until the leases end,
// and then loses them.
func TestClaimsAcrossReplicas(t *testing.T) {
	dbs := openReplicas(t, 3)
	ctx := context.Background()
	if _, _, err := dbs[0].CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/*", Destination: "http://127.0.0.1:1/a"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dbs[1].CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/created", Destination: "http://127.0.0.1:1/b"}); err != nil {
		t.Fatal(err)
	}
	const customers = 60
	for i := range customers {
		createCustomers(t, dbs[i%3], 1, fmt.Sprintf("claim%d-", i))
	}
	for {
		n, err := dbs[2].FanOut(ctx, 500)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}

	// Four claimers per replica, small claims, until nothing is due.
	var mu sync.Mutex
	claimedBy := map[int]int{} // delivery -> claims
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for r, db := range dbs {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					due, err := db.ClaimDue(ctx, 3, 24*time.Hour, 1000, nil)
					if err != nil {
						errs <- fmt.Errorf("replica %d: %w", r, err)
						return
					}
					if len(due) == 0 {
						return
					}
					mu.Lock()
					for _, d := range due {
						claimedBy[d.Delivery.ID]++
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(claimedBy) != 2*customers {
		t.Fatalf("%d deliveries claimed, want %d", len(claimedBy), 2*customers)
	}
	for id, n := range claimedBy {
		if n != 1 {
			t.Fatalf("delivery %d claimed %d times", id, n)
		}
	}

	// A replica claims and dies (it never sends nor releases): the others
	// find nothing due until its lease ends, then take it all.
	start := time.Now().UTC().Truncate(time.Second).Add(time.Hour)
	for _, db := range dbs {
		storagetest.SetNow(db, start)
	}
	createCustomers(t, dbs[0], 5, "dead")
	if _, err := dbs[0].FanOut(ctx, 500); err != nil {
		t.Fatal(err)
	}
	held, err := dbs[0].ClaimDue(ctx, 100, time.Minute, 1000, nil)
	if err != nil || len(held) != 10 {
		t.Fatalf("claimed %d, %v; want 10", len(held), err)
	}
	storagetest.SetNow(dbs[1], start.Add(59*time.Second))
	if due, err := dbs[1].ClaimDue(ctx, 100, time.Minute, 1000, nil); err != nil || len(due) != 0 {
		t.Fatalf("during the lease another replica claimed %d, %v", len(due), err)
	}
	storagetest.SetNow(dbs[1], start.Add(time.Minute))
	taken, err := dbs[1].ClaimDue(ctx, 100, time.Minute, 1000, nil)
	if err != nil || len(taken) != 10 {
		t.Fatalf("after the lease another replica claimed %d, %v; want 10", len(taken), err)
	}
}

// TestDispatchersAcrossReplicas: a dispatcher per replica, events written
// through all of them, a receiver that fails the first try of every third
// message: each message arrives once, or twice when its first try failed:
// no attempt is sent by two replicas.
func TestDispatchersAcrossReplicas(t *testing.T) {
	dbs := openReplicas(t, 3)
	ctx := context.Background()
	var mu sync.Mutex
	tries := map[string]int{}
	rc := newReceiver(t, func(_ int64, r *http.Request) int {
		id := r.Header.Get("webhook-id")
		mu.Lock()
		defer mu.Unlock()
		tries[id]++
		var seq int
		fmt.Sscanf(id[len(id)-1:], "%d", &seq)
		if tries[id] == 1 && seq%3 == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	hook, _, err := dbs[0].CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/*", Destination: rc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range dbs {
		run(t, db, webhook.Config{FirstRetry: 20 * time.Millisecond, PerWebhook: 4})
	}
	const customers = 45
	var wg sync.WaitGroup
	for r, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range customers / 3 {
				if _, err := db.CreateCustomers(ctx, []storage.CustomerInput{{
					Email: fmt.Sprintf("d%d-%d@hook.example", r, i), FirstName: "H", LastName: "K"}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, "deliveries", rc.arrived, customers)
	settled(t, dbs[1], hook.ID, customers)
	mu.Lock()
	defer mu.Unlock()
	if len(tries) != customers {
		t.Fatalf("%d messages arrived, want %d", len(tries), customers)
	}
	for id, n := range tries {
		var seq int
		fmt.Sscanf(id[len(id)-1:], "%d", &seq)
		want := 1
		if seq%3 == 0 {
			want = 2
		}
		if n != want {
			t.Errorf("message %s arrived %d times, want %d (one per attempt)", id, n, want)
		}
	}
}
