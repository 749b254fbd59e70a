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
// answer, it goes to the primary.
//
// Across replicas of the server: a request's writes are reported to the
// HTTP layer (RecordWrites), which answers with the position as a token
// (WritePosition.String, the Customers-Write-Position header); a request
// that carries the token back (ParseWritePosition, WithWritePosition)
// reads from the standby only once it has replayed that position too,
// whichever replica took the write. A token beyond the primary's current
// position (forged, or from a cluster since replaced) is cut down to the
// primary's current position once the primary has been asked for it: it
// never holds a caller to the primary longer than a token issued now.

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
	// primary is the pool that asks the primary its current position for
	// tokens beyond every position known (tip, last asked at tipAsked).
	primary  *sql.DB
	tip      uint64
	tipAsked time.Time

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

// OnPrimary returns a context whose reads go to the primary even with a
// standby: for running a read again after StandbyLost.
func OnPrimary(ctx context.Context) context.Context { return onPrimary(ctx) }

// standbyLost is the error of a read in a snapshot on the standby that
// failed (the standby died, say, or cancelled the read for a conflict
// with its replay).
type standbyLost struct{ err error }

func (e *standbyLost) Error() string {
	return "the read standby failed during a snapshot: " + e.err.Error()
}

func (e *standbyLost) Unwrap() error { return e.err }

// StandbyLost reports whether err is that of a read in a snapshot on the
// standby that failed: a read that wrote nothing to its client yet may
// run again, whole, under OnPrimary.
func StandbyLost(err error) bool {
	_, ok := errors.AsType[*standbyLost](err)
	return ok
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
	token, hasToken := ctx.Value(positionKey{}).(WritePosition)
	sb.mu.Lock()
	need := sb.last
	if hasCaller {
		need = max(sb.floor, sb.callers[caller])
	}
	if hasToken && uint64(token) > need {
		if uint64(token) > max(sb.tip, sb.last) {
			// Beyond every position this process knows: ask the primary
			// how far it is, at most every standbyRefresh (the primary
			// serves the read meanwhile), and cut the token down to that.
			if time.Since(sb.tipAsked) < standbyRefresh {
				sb.mu.Unlock()
				return false, false
			}
			sb.tipAsked = time.Now()
			sb.mu.Unlock()
			tip, err := sb.primaryPosition(ctx)
			sb.mu.Lock()
			if err != nil {
				sb.mu.Unlock()
				return false, false
			}
			sb.tip = max(sb.tip, tip)
			token = min(token, WritePosition(max(sb.tip, sb.last)))
		}
		need = max(need, uint64(token))
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

// primaryPosition asks the primary for its current WAL insert position.
func (sb *standby) primaryPosition(ctx context.Context) (uint64, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var lsn int64
	if err := sb.primary.QueryRowContext(cctx, `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&lsn); err != nil {
		return 0, err
	}
	return uint64(lsn), nil
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
// committed, when the store reads from a standby, and in rec when not nil.
func (db *DB) noteWrite(caller string, hasCaller bool, rec *WriteRecord) {
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
		rec.unknown()
		return
	}
	rec.wrote(uint64(lsn))
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

// WritePosition is a position in the primary's write-ahead log: how far a
// reader must have replayed to see a write. Its String is the token of the
// Customers-Write-Position header.
type WritePosition uint64

// writePositionVersion starts every token; a token of another version is
// refused, so that the format can change.
const writePositionVersion = "1-"

// String returns the position's token: "1-" and 16 lower-case hex digits.
func (p WritePosition) String() string {
	return fmt.Sprintf("%s%016x", writePositionVersion, uint64(p))
}

// ErrBadWritePosition is the error of a token ParseWritePosition refuses.
var ErrBadWritePosition = errors.New(`the write position is not one this server issued: "1-" and 16 lower-case hex digits, as the Customers-Write-Position header of a response`)

// ParseWritePosition parses a token made by WritePosition.String,
// strictly: exactly that length, that version, lower-case hex digits.
func ParseWritePosition(s string) (WritePosition, error) {
	if len(s) != len(writePositionVersion)+16 || s[:len(writePositionVersion)] != writePositionVersion {
		return 0, ErrBadWritePosition
	}
	var p uint64
	for _, c := range []byte(s[len(writePositionVersion):]) {
		switch {
		case c >= '0' && c <= '9':
			p = p<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			p = p<<4 | uint64(c-'a'+10)
		default:
			return 0, ErrBadWritePosition
		}
	}
	return WritePosition(p), nil
}

type positionKey struct{}

// WithWritePosition returns a context whose reads see every write up to
// p: they use the standby only once it has replayed p (or, when p is
// beyond the primary's current position, that position).
func WithWritePosition(ctx context.Context, p WritePosition) context.Context {
	return context.WithValue(ctx, positionKey{}, p)
}

// WriteRecord collects the position of the writes committed under a
// context (RecordWrites).
type WriteRecord struct {
	mu   sync.Mutex
	pos  uint64
	any  bool // a write was recorded
	lost bool // a write's position could not be read
}

type recordKey struct{}

// RecordWrites returns a context whose committed writes, when the store
// reads from a standby, are recorded in the returned record.
func RecordWrites(ctx context.Context) (context.Context, *WriteRecord) {
	r := &WriteRecord{}
	return context.WithValue(ctx, recordKey{}, r), r
}

func recordOf(ctx context.Context) *WriteRecord {
	r, _ := ctx.Value(recordKey{}).(*WriteRecord)
	return r
}

// Position returns the position a reader must reach to see every write
// recorded, and whether there is one: false when nothing was written, or
// when a write's position could not be read.
func (r *WriteRecord) Position() (WritePosition, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return WritePosition(r.pos), r.any && !r.lost
}

func (r *WriteRecord) wrote(lsn uint64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.pos, r.any = max(r.pos, lsn), true
	r.mu.Unlock()
}

func (r *WriteRecord) unknown() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.lost = true
	r.mu.Unlock()
}
