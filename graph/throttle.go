package graph

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// CodeThrottled is the top-level error code of a refused, throttled request.
const CodeThrottled = "THROTTLED"

// Throttles pace the attempts that could guess passwords or flood sign-ups:
// a key (an email, a customer, a client address) may try Burst times at
// once, then once per Every.
type Throttles struct {
	CredentialsEvery time.Duration
	CredentialsBurst int
	SignupsEvery     time.Duration
	SignupsBurst     int
}

// DefaultThrottles allow ten password checks, then one every six seconds,
// per email, customer and client; and five sign-ups, then one every twelve
// seconds, per client.
var DefaultThrottles = Throttles{CredentialsEvery: 6 * time.Second, CredentialsBurst: 10,
	SignupsEvery: 12 * time.Second, SignupsBurst: 5}

// throttle limits how often one key (an email, a customer, a client address)
// may try something, with a token bucket per key. Buckets idle for long are
// dropped, so memory stays bounded by the recently active keys.
type throttle struct {
	every time.Duration // one token per every
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newThrottle(every time.Duration, burst int) *throttle {
	return &throttle{every: every, burst: burst, buckets: map[string]*bucket{}}
}

// allow takes a token for every key, and reports whether each had one.
func (t *throttle) allow(keys ...string) bool {
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

type clientKey struct{}

// withClient records the client's address in the request's context.
func withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, host)))
	})
}

// clientAddress returns the client's IP address, or "".
func clientAddress(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}
