package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxCachedStatements bounds the read statements kept prepared. The texts
// come from a fixed set of builders (filters bind their values), so a
// store meets a few hundred at most; past the bound, statements run
// unprepared rather than grow the cache.
const maxCachedStatements = 1024

// stmtCache keeps the read pool's statements prepared. Preparing is a good
// part of a small read's cost (BENCHMARKS.md, "Where the time goes");
// database/sql then keeps each statement prepared on every connection that
// ran it.
type stmtCache struct {
	pool *sql.DB
	mu   sync.RWMutex
	m    map[string]*sql.Stmt
	// warming holds the statements being prepared in the background.
	warming map[string]bool
	closed  bool
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, warming: map[string]bool{}}
}

// cached returns the statement if it is prepared; if not, it prepares it
// in the background and returns nil. A transaction's statements use it:
// preparing on the pool takes a connection, and a goroutine that holds one
// (for its transaction) must not wait for another, or a full pool
// deadlocks.
func (c *stmtCache) cached(statement string) *sql.Stmt {
	if st, _ := c.lookup(statement); st != nil {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.warming[statement] || len(c.m)+len(c.warming) >= maxCachedStatements {
		return nil
	}
	c.warming[statement] = true
	go func() {
		c.get(context.Background(), statement)
		c.mu.Lock()
		delete(c.warming, statement)
		c.mu.Unlock()
	}()
	return nil
}

// lookup returns the statement if it is prepared, and whether the cache is
// full.
func (c *stmtCache) lookup(statement string) (*sql.Stmt, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[statement], len(c.m) >= maxCachedStatements
}

// get returns the statement prepared, or nil when the cache is full or the
// statement does not prepare (running it unprepared then reports why).
func (c *stmtCache) get(ctx context.Context, statement string) *sql.Stmt {
	st, full := c.lookup(statement)
	if st != nil || full {
		return st
	}
	// Prepare without the lock: preparing takes a connection, and the
	// goroutines holding them (snapshots) may be waiting for the lock.
	st, err := c.pool.PrepareContext(ctx, statement)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[statement]; prev != nil {
		st.Close()
		return prev
	}
	if c.closed || len(c.m) >= maxCachedStatements {
		st.Close()
		return nil
	}
	c.m[statement] = st
	return st
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for k, st := range c.m {
		st.Close()
		delete(c.m, k)
	}
}

// readTx is the querier of a read transaction: its statements come from
// the cache, bound to the transaction's connection. bound, when set, keeps
// the bound statements for the transaction's life (a snapshot's many
// statements repeat).
type readTx struct {
	tx    *sql.Tx
	cache *stmtCache
	bound *boundStmts
	// snap is the snapshot the transaction is, when it runs on the standby.
	snap *snapshot
}

// boundStmts are the statements bound to one transaction.
type boundStmts struct {
	mu sync.Mutex
	m  map[*sql.Stmt]*sql.Stmt
}

func (r readTx) QueryContext(ctx context.Context, statement string, args ...any) (*sql.Rows, error) {
	rows, err := r.queryContext(ctx, statement, args...)
	if err != nil && r.snap != nil && ctx.Err() == nil {
		// A snapshot on the standby cannot move to the primary half-way
		// (its reads so far would not be of one state): its owner may run
		// the whole read again on the primary (StandbyLost, OnPrimary).
		r.snap.db.standbyFailed(ctx, err)
		return nil, &standbyLost{err}
	}
	return rows, err
}

func (r readTx) queryContext(ctx context.Context, statement string, args ...any) (*sql.Rows, error) {
	st := r.cache.cached(statement)
	if st == nil {
		return r.tx.QueryContext(ctx, statement, args...)
	}
	if r.bound == nil {
		return r.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	r.bound.mu.Lock()
	b := r.bound.m[st]
	if b == nil {
		b = r.tx.StmtContext(ctx, st)
		r.bound.m[st] = b
	}
	r.bound.mu.Unlock()
	return b.QueryContext(ctx, args...)
}

func (r readTx) ExecContext(ctx context.Context, statement string, args ...any) (sql.Result, error) {
	return r.tx.ExecContext(ctx, statement, args...)
}

// readPool is the querier of the read pool outside a transaction.
type readPool struct{ cache *stmtCache }

func (r readPool) QueryContext(ctx context.Context, statement string, args ...any) (*sql.Rows, error) {
	if st := r.cache.get(ctx, statement); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.cache.pool.QueryContext(ctx, statement, args...)
}

func (r readPool) ExecContext(ctx context.Context, statement string, args ...any) (sql.Result, error) {
	return r.cache.pool.ExecContext(ctx, statement, args...)
}

// snapshot is a read transaction that the reads under a context share.
type snapshot struct {
	db    *DB
	tx    *sql.Tx
	cache *stmtCache
	bound boundStmts
	// writes is the store's write count when the snapshot began.
	writes uint64
	// onStandby marks a snapshot on the standby.
	onStandby bool
}

// querier returns the querier of the snapshot's transaction.
func (s *snapshot) querier() querier {
	r := readTx{tx: s.tx, cache: s.cache, bound: &s.bound}
	if s.onStandby {
		r.snap = s
	}
	return r
}

type snapshotKey struct{}

func snapshotOf(ctx context.Context, db *DB) *snapshot {
	s, _ := ctx.Value(snapshotKey{}).(*snapshot)
	if s == nil || s.db != db {
		return nil
	}
	return s
}

// Snapshot starts a read transaction that every read of the store under the
// returned context joins, until end is called: the reads see one state of
// the store, and take SQLite's read lock once rather than once per
// statement (a good part of a small read's cost). The reads must not
// outlive end; writes are unaffected. A snapshot already in ctx is reused,
// and its end is then a no-op.
func (db *DB) Snapshot(ctx context.Context) (_ context.Context, end func(), _ error) {
	if snapshotOf(ctx, db) != nil {
		return ctx, func() {}, nil
	}
	// The transaction ignores ctx's end (end ends it), so that its key
	// lookups can run without watcher goroutines (keyLookup); scans still
	// get ctx, and stop at its end.
	if err := ctx.Err(); err != nil {
		return ctx, nil, err
	}
	writes := db.writes.Load() // before the snapshot begins
	tx, stmts, writes, err := db.beginReadTx(ctx, context.WithoutCancel(ctx), writes)
	if err != nil {
		return ctx, nil, fmt.Errorf("begin read: %w", formatError(err))
	}
	s := &snapshot{db: db, tx: tx, cache: stmts, bound: boundStmts{m: map[*sql.Stmt]*sql.Stmt{}}, writes: writes,
		onStandby: db.standby != nil && stmts == db.standby.stmts}
	return context.WithValue(ctx, snapshotKey{}, s), func() { tx.Rollback() }, nil
}
