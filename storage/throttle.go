package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// SharesThrottles reports whether the store keeps token buckets for every
// process on it (TakeThrottle): on PostgreSQL, where several replicas of
// the server run on one database. A SQLite file has one process.
func (db *DB) SharesThrottles() bool { return db.pg }

// throttleSweep is how often a process deletes the buckets idle for a
// day (full again, since no rate here refills slower).
const throttleSweep = time.Hour

// TakeThrottle takes a token from the bucket named key, which holds burst
// tokens at most and gains one every every, and reports whether it had
// one; when not, nothing is taken and wait is how long until it has one.
// One statement does it, on the database's clock, under the row's lock:
// replicas taking from one bucket at once take each token once. It works
// on PostgreSQL only (SharesThrottles).
func (db *DB) TakeThrottle(ctx context.Context, key string, every time.Duration, burst int) (bool, time.Duration, error) {
	if !db.pg {
		return false, 0, errors.New("take throttle: the store keeps no shared buckets")
	}
	per := every.Seconds()
	// The bucket as it is now: its tokens refilled since at, up to burst.
	const refill = `LEAST(CAST(? AS DOUBLE PRECISION), throttle_buckets.tokens + (EXTRACT(EPOCH FROM clock_timestamp()) - throttle_buckets.at) / CAST(? AS DOUBLE PRECISION))`
	var left float64
	err := db.writer.QueryRowContext(ctx, db.d.statement(`INSERT INTO throttle_buckets (key, tokens, at)
		VALUES (?, CAST(? AS DOUBLE PRECISION) - 1, EXTRACT(EPOCH FROM clock_timestamp()))
		ON CONFLICT (key) DO UPDATE SET tokens = `+refill+` - 1, at = EXTRACT(EPOCH FROM clock_timestamp())
		WHERE `+refill+` >= 1
		RETURNING tokens`), key, float64(burst), float64(burst), per, float64(burst), per).Scan(&left)
	switch {
	case err == nil:
		db.sweepThrottles(ctx)
		return true, 0, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, 0, fmt.Errorf("take throttle: %w", formatError(err))
	}
	// Refused: no row was written; the wait is for the missing part.
	var have float64
	if err := db.writer.QueryRowContext(ctx, db.d.statement(`SELECT `+refill+` FROM throttle_buckets WHERE key = ?`),
		float64(burst), per, key).Scan(&have); err != nil {
		return false, 0, fmt.Errorf("take throttle: %w", formatError(err))
	}
	return false, time.Duration((1 - have) * per * float64(time.Second)), nil
}

// lastThrottleSweep is when this process last swept (unix seconds).
var lastThrottleSweep atomic.Int64

// sweepThrottles deletes the buckets idle for a day, at most once per
// throttleSweep per process, at best effort.
func (db *DB) sweepThrottles(ctx context.Context) {
	now := time.Now().Unix()
	last := lastThrottleSweep.Load()
	if now-last < int64(throttleSweep/time.Second) || !lastThrottleSweep.CompareAndSwap(last, now) {
		return
	}
	_, _ = db.writer.ExecContext(ctx, db.d.statement(`DELETE FROM throttle_buckets WHERE at < EXTRACT(EPOCH FROM clock_timestamp()) - 86400`))
}
