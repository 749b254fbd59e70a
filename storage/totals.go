package storage

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// A list's total (`pagination.total`) costs a count of every row the
// filter matches: for a broad filter (a name:like of two letters, say) more
// than the page and its relations together. REST lists always report it,
// and clients repeat the same lists, so totals are cached per filter until
// the store changes. A total is kept under the store's count of committed
// write transactions (DB.writes) taken when the reading snapshot began, and
// used only by readers whose snapshot began at the same count: a write by
// this process makes every cached total stale at once. Writes by another
// process (the import command on a live file) are not counted, so a total
// also lives at most totalTTL.

// totalTTL bounds how long a total is used, for the writes of other
// processes.
const totalTTL = time.Second

// maxTotals bounds the cache; past it, it starts over.
const maxTotals = 1000

type totalCache struct {
	mu sync.Mutex
	m  map[string]cachedTotal
	// ttl replaces totalTTL when set (tests, whose pauses under a loaded
	// machine can outlast a second).
	ttl time.Duration
}

type cachedTotal struct {
	writes uint64
	n      int
	until  time.Time
}

// cachedCount returns how many rows of from match w, as a reader whose
// snapshot began at the write count writes sees them: from the cache when
// a reader of the same count counted them lately.
func (db *DB) cachedCount(ctx context.Context, q querier, writes uint64, from string, w where) (int, error) {
	key := totalKey(from, w)
	now := time.Now()
	db.totals.mu.Lock()
	c, ok := db.totals.m[key]
	db.totals.mu.Unlock()
	if ok && c.writes == writes && now.Before(c.until) {
		return c.n, nil
	}
	n, err := count(ctx, db, q, from, w)
	if err != nil {
		return 0, err
	}
	if writes == db.writes.Load() {
		db.totals.mu.Lock()
		if db.totals.m == nil || len(db.totals.m) >= maxTotals {
			db.totals.m = map[string]cachedTotal{}
		}
		ttl := totalTTL
		if db.totals.ttl > 0 {
			ttl = db.totals.ttl
		}
		db.totals.m[key] = cachedTotal{writes: writes, n: n, until: now.Add(ttl)}
		db.totals.mu.Unlock()
	}
	return n, nil
}

// totalKey names a count: its table, conditions and arguments.
func totalKey(from string, w where) string {
	var b strings.Builder
	b.WriteString(from)
	b.WriteString(w.sql())
	for _, a := range w.args {
		fmt.Fprintf(&b, "\x00%T:%v", a, a)
	}
	return b.String()
}
