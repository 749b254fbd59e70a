package storage

import (
	"sync"
	"time"
)

// tokenCacheTTL is how long a credential found in the store (an API token,
// or the app an X-Auth-Client header names) is trusted without asking the
// store again. Every request presents its token, and the lookup (a hash and
// a statement) cost a small read a tenth of its time. A credential revoked
// in this process stops working at once; revoked by another process on the
// same PostgreSQL database (a replica), as soon as its notification
// arrives (notify.go), and within this time at the latest; revoked by
// another process on a SQLite file (the token and app commands), within
// this time.
const tokenCacheTTL = 2 * time.Second

// maxCachedTokens bounds each cache; past it, the cache starts over.
const maxCachedTokens = 10_000

// credCache keeps the credentials found lately, by key, for tokenCacheTTL.
// Its generation counts the revocations it was told of: a lookup that read
// the store before a revocation must not cache what it read after it (put
// checks), or a revoked credential could be trusted for a whole TTL.
type credCache[V any] struct {
	mu      sync.Mutex
	m       map[string]cachedCred[V]
	changes uint64
	// ttl replaces tokenCacheTTL when set (tests).
	ttl time.Duration
}

type cachedCred[V any] struct {
	v     V
	until time.Time
}

// get returns the cached value of key and whether the cache knew it.
func (c *credCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Now().After(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// generation returns the count of revocations so far, to hand to put.
func (c *credCache[V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changes
}

// put caches v for key, read by a lookup that began at generation gen,
// unless something was revoked since: v may be what went.
func (c *credCache[V]) put(key string, v V, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.changes {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = map[string]cachedCred[V]{}
	}
	ttl := tokenCacheTTL
	if c.ttl > 0 {
		ttl = c.ttl
	}
	c.m[key] = cachedCred[V]{v: v, until: time.Now().Add(ttl)}
}

// clear empties the cache: credentials it may hold were revoked (or may
// have been: another process's notifications were missed).
func (c *credCache[V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes++
	c.m = nil
}

// forget drops the entries revoked reports.
func (c *credCache[V]) forget(revoked func(V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes++
	for k, e := range c.m {
		if revoked(e.v) {
			delete(c.m, k)
		}
	}
}
