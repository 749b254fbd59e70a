package storage_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storefront/customers/storage/storagetest"
	"github.com/storefront/customers/throttle"
)

// TestThrottlesAcrossReplicas: replicas on one PostgreSQL database take
// from one bucket: a burst of five is five in all, however the takes are
// spread over the replicas and however many run at once; a refused take
// takes nothing and says how long to wait. Password checks shared so
// (throttle.Passwords.Share) allow an account its burst once, not once
// per replica.
func TestThrottlesAcrossReplicas(t *testing.T) {
	dbs := storagetest.OpenReplicas(t, 3)
	ctx := context.Background()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			took, _, err := dbs[i%3].TakeThrottle(ctx, "k", time.Hour, 5)
			if err != nil {
				t.Error(err)
			}
			if took {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 5 {
		t.Fatalf("%d of 30 takes allowed from a bucket of 5", ok.Load())
	}
	took, wait, err := dbs[1].TakeThrottle(ctx, "k", time.Hour, 5)
	if err != nil || took || wait < 59*time.Minute || wait > time.Hour {
		t.Fatalf("take from an empty bucket: %v, wait %s, %v; want refused, about an hour", took, wait, err)
	}
	// Another key has its own bucket; a fast one refills.
	for i := range 3 {
		if took, _, err := dbs[i].TakeThrottle(ctx, "fast", 50*time.Millisecond, 1); err != nil || (i == 0) != took {
			t.Fatalf("take %d of a bucket of one: %v, %v", i, took, err)
		}
	}
	time.Sleep(60 * time.Millisecond)
	if took, _, err := dbs[2].TakeThrottle(ctx, "fast", 50*time.Millisecond, 1); err != nil || !took {
		t.Fatalf("after the refill: %v, %v", took, err)
	}

	// Password checks: ten of one account from one address in all.
	rate := throttle.Rate{Every: time.Hour, Burst: 10}
	var allowed int
	for i := range 30 {
		p := throttle.NewPasswords(rate, throttle.Rate{Every: time.Hour, Burst: 100}, throttle.Rate{Every: time.Hour, Burst: 100})
		p.Share(dbs[i%3])
		if ok, _ := p.Attempt(ctx, "email:pat@example.com", "192.0.2.7"); ok {
			allowed++
		}
	}
	if allowed != 10 {
		t.Fatalf("%d password checks allowed over 3 replicas, want 10", allowed)
	}
}
