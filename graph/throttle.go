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
// a key may try Burst times at once, then once per Every.
//
// Password checks are paced per (account, client address), so that a
// stranger's wrong guesses cannot lock an account's owner out: the owner
// signs in from another address with a budget of its own. A client address
// trying many accounts is paced on its own (credential stuffing), and an
// account tried from many addresses meets a looser ceiling (a distributed
// guess).
type Throttles struct {
	// CredentialsEvery and CredentialsBurst pace one client address's
	// checks of one account's password.
	CredentialsEvery time.Duration
	CredentialsBurst int
	// ClientEvery and ClientBurst pace one client address's checks of any
	// account's password.
	ClientEvery time.Duration
	ClientBurst int
	// AccountEvery and AccountBurst pace the checks of one account's
	// password from every address together.
	AccountEvery time.Duration
	AccountBurst int
	// SignupsEvery and SignupsBurst pace one client address's
	// registrations.
	SignupsEvery time.Duration
	SignupsBurst int
}

// DefaultThrottles allow ten password checks of an account from an
// address, then one every six seconds; thirty from an address over all
// accounts, then one every two seconds; a hundred of an account from all
// addresses, then one every six seconds; and five sign-ups, then one every
// twelve seconds, per address.
var DefaultThrottles = Throttles{CredentialsEvery: 6 * time.Second, CredentialsBurst: 10,
	ClientEvery: 2 * time.Second, ClientBurst: 30, AccountEvery: 6 * time.Second, AccountBurst: 100,
	SignupsEvery: 12 * time.Second, SignupsBurst: 5}

// withDefaults fills the zero fields from DefaultThrottles.
func (t Throttles) withDefaults() Throttles {
	d := DefaultThrottles
	pick := func(v *time.Duration, b *int, dv time.Duration, db int) {
		if *v <= 0 {
			*v = dv
		}
		if *b <= 0 {
			*b = db
		}
	}
	pick(&t.CredentialsEvery, &t.CredentialsBurst, d.CredentialsEvery, d.CredentialsBurst)
	pick(&t.ClientEvery, &t.ClientBurst, d.ClientEvery, d.ClientBurst)
	pick(&t.AccountEvery, &t.AccountBurst, d.AccountEvery, d.AccountBurst)
	pick(&t.SignupsEvery, &t.SignupsBurst, d.SignupsEvery, d.SignupsBurst)
	return t
}

// passwordThrottles pace password checks per (account, address), per
// address and per account (Throttles).
type passwordThrottles struct {
	pair, client, account *throttle
}

func newPasswordThrottles(t Throttles) passwordThrottles {
	return passwordThrottles{pair: newThrottle(t.CredentialsEvery, t.CredentialsBurst),
		client: newThrottle(t.ClientEvery, t.ClientBurst), account: newThrottle(t.AccountEvery, t.AccountBurst)}
}

// attempt takes a check of account's password by the client address from
// every budget; when one has none left, the error is THROTTLED with the
// wait until all have one.
func (p passwordThrottles) attempt(ctx context.Context, account, client string) error {
	pairKey := account + "\x00" + client
	pair := p.pair.allow(pairKey)
	byClient := p.client.allow(client)
	byAccount := p.account.allow(account)
	if pair && byClient && byAccount {
		return nil
	}
	wait := max(p.pair.wait(pairKey), p.client.wait(client), p.account.wait(account))
	return throttledError(ctx, wait, "Too many attempts; try again in %s.", secondsText(retrySeconds(wait)))
}

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
