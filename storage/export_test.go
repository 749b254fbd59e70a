package storage

import "time"

// SetTotalTTL makes db keep list totals for d instead of totalTTL, so a
// test checks the write-count rule and not how fast the machine is.
func SetTotalTTL(db *DB, d time.Duration) { db.totals.ttl = d }
