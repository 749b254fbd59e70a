// Package throttle paces attempts per key (an email, a customer, a client
// address) with a token bucket each: a key may try Burst times at once,
// then once per Every. Buckets idle for long are dropped, so memory follows
// the recently active keys.
package throttle

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed is a token bucket per key. It is safe for concurrent use.
type Keyed struct {
	every time.Duration
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns buckets that hold burst tokens and refill one per every.
func New(every time.Duration, burst int) *Keyed {
	return &Keyed{every: every, burst: burst, buckets: map[string]*bucket{}}
}

// Allow takes a token for every key, and reports whether each had one.
func (t *Keyed) Allow(keys ...string) bool {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.swept) > time.Minute {
		idle := t.every * time.Duration(t.burst)
		for k, b := range t.buckets {
			if now.Sub(b.seen) > idle {
				delete(t.buckets, k)
			}
		}
		t.swept = now
	}
	ok := true
	for _, k := range keys {
		b := t.buckets[k]
		if b == nil {
			b = &bucket{lim: rate.NewLimiter(rate.Every(t.every), t.burst)}
			t.buckets[k] = b
		}
		b.seen = now
		if !b.lim.AllowN(now, 1) {
			ok = false
		}
	}
	return ok
}
