// Package storagetest opens real stores for tests: a SQLite file in the
// test's temporary directory, closed when the test ends.
package storagetest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
)

// dump keeps each test's database and prints its path.
var dump = flag.Bool("dump", false, "keep test databases and print their paths")

// Now is the fixed time of a store from MustOpenDB.
var Now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// MustOpenDB opens a new, migrated store whose clock is fixed at Now; with
// -dump the file is kept and its path logged.
func MustOpenDB(tb testing.TB) *storage.DB {
	tb.Helper()
	dir := tb.TempDir()
	if *dump {
		var err error
		if dir, err = os.MkdirTemp("", "customers-test-*"); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(dir, "customers.db")
	db, err := storage.Open(context.Background(), path, storage.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	db.Now = func() time.Time { return Now }
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
		if *dump {
			tb.Logf("database kept at %s", path)
		}
	})
	return db
}

// SetNow fixes the store's clock at t.
func SetNow(db *storage.DB, t time.Time) {
	db.Now = func() time.Time { return t }
}
