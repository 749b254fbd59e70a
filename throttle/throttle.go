// Package throttle paces attempts per key (an email, a customer, a client
// address) with a token bucket each: a key may try Burst times at once,
// then once per Every. Buckets idle for long are dropped, so memory follows
// the recently active keys.
package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// Wait returns how long until every key has a token.
func (t *Keyed) Wait(keys ...string) time.Duration {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var longest time.Duration
	for _, k := range keys {
		b := t.buckets[k]
		if b == nil {
			continue
		}
		if missing := 1 - b.lim.TokensAt(now); missing > 0 {
			longest = max(longest, time.Duration(missing*float64(t.every)))
		}
	}
	return longest
}

// Rate is a bucket's size and refill: Burst at once, then one per Every.
type Rate struct {
	Every time.Duration
	Burst int
}

// Passwords paces password checks, shared by every API that checks one
// (GraphQL and REST): per (account, client address), so that a stranger's
// wrong guesses cannot lock an owner out; per client address over all
// accounts (credential stuffing); and per account from every address (a
// distributed guess).
//
// The buckets live in the process unless Share gives a place that every
// replica of the server takes from (the PostgreSQL store): then N
// replicas still allow each key its rate once, not N times.
type Passwords struct {
	pair, client, account *Keyed
	rates                 [3]Rate
	shared                Shared
}

// Shared keeps token buckets for several processes. TakeThrottle takes a token
// from the bucket named key (Burst tokens at most, one more per Every),
// and reports whether it had one; when not, nothing is taken and wait is
// how long until it has one.
type Shared interface {
	TakeThrottle(ctx context.Context, key string, every time.Duration, burst int) (ok bool, wait time.Duration, err error)
}

// Share makes p take from s; when s fails (the store is unreachable), p
// takes from its own buckets, as an unshared one would.
func (p *Passwords) Share(s Shared) { p.shared = s }

// NewPasswords returns the pacing of password checks.
func NewPasswords(pair, client, account Rate) *Passwords {
	return &Passwords{pair: New(pair.Every, pair.Burst), client: New(client.Every, client.Burst),
		account: New(account.Every, account.Burst), rates: [3]Rate{pair, client, account}}
}

// Attempt takes a check of account's password by client from every bucket;
// when one had none, it reports false and the wait until all have one.
func (p *Passwords) Attempt(ctx context.Context, account, client string) (bool, time.Duration) {
	pairKey := account + "\x00" + client
	if p.shared != nil {
		if ok, wait, err := p.attemptShared(ctx, pairKey, account, client); err == nil {
			return ok, wait
		}
	}
	pair := p.pair.Allow(pairKey)
	byClient := p.client.Allow(client)
	byAccount := p.account.Allow(account)
	if pair && byClient && byAccount {
		return true, 0
	}
	return false, max(p.pair.Wait(pairKey), p.client.Wait(client), p.account.Wait(account))
}

// attemptShared takes from the shared buckets: each of the three, as the
// process's own are (a bucket that has a token gives it, whatever the
// others say). The keys are hashed: the store keeps no email or address.
func (p *Passwords) attemptShared(ctx context.Context, pairKey, account, client string) (bool, time.Duration, error) {
	allowed, longest := true, time.Duration(0)
	for i, k := range []string{"pair\x00" + pairKey, "client\x00" + client, "account\x00" + account} {
		sum := sha256.Sum256([]byte(k))
		ok, wait, err := p.shared.TakeThrottle(ctx, "password:"+hex.EncodeToString(sum[:16]), p.rates[i].Every, p.rates[i].Burst)
		if err != nil {
			return false, 0, err
		}
		if !ok {
			allowed, longest = false, max(longest, wait)
		}
	}
	return allowed, longest, nil
}
