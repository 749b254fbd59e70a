package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Reads from a hot standby (Options.ReadURL, PostgreSQL only).
//
// The rule that keeps a caller's own writes visible to its next read:
// after each write transaction commits, the store reads the primary's WAL
// position (pg_current_wal_insert_lsn: past the commit record even when
// commits are asynchronous and the record is not written out yet, where
// pg_current_wal_lsn may still be short of it) and remembers it for the transaction's
// caller (WithCaller: the API token, the session, or the client address
// the HTTP layer names), and as the process's last write. A read goes to
// the standby only when the standby has replayed at least the caller's
// last write position (pg_last_wal_replay_lsn); a read without a caller
// needs the process's last write. Otherwise, or while the standby does not
// answer, it goes to the primary. The positions are kept per process: a
// caller whose next request lands on another replica of the server is
// only sure to see its write once the standby has replayed it.

// standbyRetry is how long an unreachable standby is left alone before a
// read tries it again (a variable for tests).
var standbyRetry = 5 * time.Second

// standbyRefresh is how often, at most, the standby's replay position is
// asked for while a read waits for it; reads in between go to the primary.
const standbyRefresh = 10 * time.Millisecond

// maxCallers bounds the callers whose last write position is kept. Past
// it, the positions the standby has replayed are forgotten, and if that
// is not enough every caller is held to the process's last write (a
// stricter rule, never a weaker one).
const maxCallers = 100000

// standby is the read side on a hot standby.
type standby struct {
	pool  *sql.DB
	stmts *stmtCache
	log   *slog.Logger

	mu sync.Mutex
	// replayed is the standby's replay position last read.
	replayed uint64
	// asked is when it was last read; down is set while the standby does
	// not answer, since downAt.
	asked  time.Time
	down   bool
	downAt time.Time
	// callers holds each caller's last write position; floor applies to
	// every caller (set when callers overflowed); last is the process's
	// last write position.
	callers map[string]uint64
	floor   uint64
	last    uint64

	// Reads routed to each side, and reads the standby failed that the
	// primary then served.
	toStandby, toPrimary, fallbacks atomic.Uint64
}

// ReadRoutes counts the reads sent to each side when the store reads from
// a standby: to the standby, to the primary, and the reads the standby
// failed that the primary then served. All are zero without a standby.
type ReadRoutes struct {
	Standby, Primary, Fallback uint64
}

// ReadRoutes returns the store's read routing counts.
func (db *DB) ReadRoutes() ReadRoutes {
	sb := db.standby
	if sb == nil {
		return ReadRoutes{}
	}
	return ReadRoutes{Standby: sb.toStandby.Load(), Primary: sb.toPrimary.Load(), Fallback: sb.fallbacks.Load()}
}

// HasStandby reports whether the store reads from a hot standby.
func (db *DB) HasStandby() bool { return db.standby != nil }

type callerKey struct{}

// WithCaller returns a context whose reads and writes are the caller's:
// its reads see its own writes even when the store reads from a standby.
// caller is an opaque key (a token's id, a digest of a session); it is
// never logged.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

type primaryKey struct{}

// onPrimary returns a context whose reads go to the primary even with a
// standby: the credential checks (a token, a session, whether either is
// revoked), so that a new token works at once and a revoked one stops at
// once, whatever the standby's delay.
func onPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

func callerOf(ctx context.Context) (string, bool) {
	c, ok := ctx.Value(callerKey{}).(string)
	return c, ok && c != ""
}

// openStandby opens the read pool on the standby at u. An unreachable
// standby is not an error (reads go to the primary until it answers); a
// server that answers and is not in recovery is.
func openStandby(ctx context.Context, u string, opts Options) (*standby, error) {
	p, err := sql.Open("pgx", u)
	if err != nil {
		return nil, fmt.Errorf("open standby %s: %w", redactURL(u), err)
	}
	p.SetMaxOpenConns(opts.ReadConns)
	p.SetMaxIdleConns(opts.ReadConns)
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	sb := &standby{pool: p, stmts: newStmtCache(p), log: log.With("standby", redactURL(u)), callers: map[string]uint64{}}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var recovering bool
	if err := p.QueryRowContext(cctx, `SELECT pg_is_in_recovery()`).Scan(&recovering); err != nil {
		sb.markDown(err)
		return sb, nil
	}
	if !recovering {
		p.Close()
		return nil, fmt.Errorf("-db-read %s: the server is not a hot standby (pg_is_in_recovery() is false)", redactURL(u))
	}
	return sb, nil
}

func (sb *standby) close() error {
	sb.stmts.close()
	return sb.pool.Close()
}

// markDown records that the standby failed; the first failure of a run of
// them is logged.
func (sb *standby) markDown(err error) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if !sb.down {
		sb.log.Warn("the read standby does not answer; reads go to the primary", "err", err)
	}
	sb.down, sb.downAt = true, time.Now()
}

// wrote records a committed write's position for caller (when it has
// one) and as the process's last.
func (sb *standby) wrote(caller string, hasCaller bool, lsn uint64) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.last = max(sb.last, lsn)
	if !hasCaller {
		return
	}
	if _, ok := sb.callers[caller]; !ok && len(sb.callers) >= maxCallers {
		for k, v := range sb.callers {
			if v <= sb.replayed {
				delete(sb.callers, k)
			}
		}
		if len(sb.callers) >= maxCallers {
			clear(sb.callers)
			sb.floor = sb.last
		}
	}
	sb.callers[caller] = max(sb.callers[caller], lsn)
}

// route tells whether a read under ctx may go to the standby, and whether
// the standby has replayed every write this process committed (so that a
// snapshot there sees them all).
func (sb *standby) route(ctx context.Context) (useStandby, all bool) {
	caller, hasCaller := callerOf(ctx)
	sb.mu.Lock()
	need := sb.last
	if hasCaller {
		need = max(sb.floor, sb.callers[caller])
	}
	if sb.down {
		if time.Since(sb.downAt) < standbyRetry {
			sb.mu.Unlock()
			return false, false
		}
		sb.downAt = time.Now() // one read tries it again
	} else if need <= sb.replayed {
		all := sb.replayed >= sb.last
		sb.mu.Unlock()
		return true, all
	} else if time.Since(sb.asked) < standbyRefresh {
		sb.mu.Unlock()
		return false, false
	}
	sb.asked = time.Now()
	sb.mu.Unlock()

	replayed, err := sb.replayPosition(ctx)
	if err != nil {
		if ctx.Err() == nil {
			sb.markDown(err)
		}
		return false, false
	}
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.down {
		sb.log.Info("the read standby answers again")
		sb.down = false
	}
	sb.replayed = max(sb.replayed, replayed)
	return need <= sb.replayed, sb.replayed >= sb.last
}

// replayPosition asks the standby how far it has replayed the primary's WAL.
func (sb *standby) replayPosition(ctx context.Context) (uint64, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var lsn sql.NullInt64
	if err := sb.pool.QueryRowContext(cctx, `SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&lsn); err != nil {
		return 0, err
	}
	if !lsn.Valid {
		return 0, errors.New("the server is not in recovery (no replay position)")
	}
	return uint64(lsn.Int64), nil
}

// readSide returns the pool and statement cache a read under ctx uses,
// whether that is the standby, and whether the read may use totals cached
// at the current write count.
func (db *DB) readSide(ctx context.Context) (pool *sql.DB, stmts *stmtCache, onStandby, current bool) {
	sb := db.standby
	if sb == nil {
		return db.reader, db.stmts, false, true
	}
	if ctx.Value(primaryKey{}) != nil {
		sb.toPrimary.Add(1)
		return db.reader, db.stmts, false, true
	}
	use, all := sb.route(ctx)
	if !use {
		sb.toPrimary.Add(1)
		return db.reader, db.stmts, false, true
	}
	sb.toStandby.Add(1)
	return sb.pool, sb.stmts, true, all
}

// standbyFailed is told that a read on the standby failed with err: the
// primary serves it instead. A standby that does not answer its replay
// position either is marked down.
func (db *DB) standbyFailed(ctx context.Context, err error) {
	sb := db.standby
	sb.fallbacks.Add(1)
	if ctx.Err() != nil {
		return
	}
	if _, perr := sb.replayPosition(ctx); perr != nil {
		sb.markDown(err)
	}
}

// noteWrite records the WAL position of a write transaction just
// committed, when the store reads from a standby.
func (db *DB) noteWrite(caller string, hasCaller bool) {
	sb := db.standby
	if sb == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var lsn int64
	if err := db.writer.QueryRowContext(ctx, `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&lsn); err != nil {
		// Unknown position: hold every caller to the primary until the
		// standby passes the next known one.
		sb.mu.Lock()
		sb.floor, sb.last = ^uint64(0)>>1, ^uint64(0)>>1
		sb.mu.Unlock()
		return
	}
	sb.mu.Lock()
	if sb.floor == ^uint64(0)>>1 {
		sb.floor = uint64(lsn)
	}
	if sb.last == ^uint64(0)>>1 {
		sb.last = uint64(lsn)
	}
	sb.mu.Unlock()
	sb.wrote(caller, hasCaller, uint64(lsn))
}

// beginReadTx begins a read transaction, under txCtx, on the side that
// ctx's reads use (the standby when it may, else the primary), and
// returns its statement cache and the write count its cached totals go
// by: writes, or one no total is cached under when the standby has not
// replayed every write counted in it.
func (db *DB) beginReadTx(ctx, txCtx context.Context, writes uint64) (*sql.Tx, *stmtCache, uint64, error) {
	pool, stmts, onStandby, current := db.readSide(ctx)
	tx, err := pool.BeginTx(txCtx, db.readOptions())
	if err != nil && onStandby {
		db.standbyFailed(ctx, err)
		pool, stmts, onStandby, current = db.reader, db.stmts, false, true
		tx, err = pool.BeginTx(txCtx, db.readOptions())
	}
	if err != nil {
		return nil, nil, 0, err
	}
	if !current {
		writes = ^uint64(0) // never the store's count: no cached total
	}
	return tx, stmts, writes, nil
}
