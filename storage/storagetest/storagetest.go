// Package storagetest opens real stores for tests, closed when the test
// ends: a SQLite file in the test's temporary directory, or a PostgreSQL
// database of the test's own (storage/pgtest), dropped when it ends.
//
// MustOpenDB opens the backend that CUSTOMERS_TEST_BACKEND names (sqlite,
// the default, or postgres), so that a whole suite runs on either:
//
//	CUSTOMERS_TEST_BACKEND=postgres go test ./graph ./rest ./webhook ./storage
//
// On postgres with no server reachable, each test is skipped with a
// message (or fails, with CUSTOMERS_REQUIRE_POSTGRES=1). EachBackend runs
// a test on every backend in one run.
package storagetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/pgtest"
)

// Backend is a kind of store a test can open.
type Backend struct {
	Name string
	// Open opens a new, empty, migrated store for tb, closed (and dropped)
	// when tb ends; its clock is not fixed.
	Open func(tb testing.TB) *storage.DB
}

// Backends are the stores' engines.
var Backends = []Backend{
	{Name: "sqlite", Open: openSQLite},
	{Name: "postgres", Open: openPostgres},
}

// Selected returns the backend CUSTOMERS_TEST_BACKEND names; sqlite when it
// is unset.
func Selected(tb testing.TB) Backend {
	name := os.Getenv("CUSTOMERS_TEST_BACKEND")
	if name == "" {
		return Backends[0]
	}
	for _, b := range Backends {
		if b.Name == name {
			return b
		}
	}
	tb.Fatalf("CUSTOMERS_TEST_BACKEND=%q names no backend (sqlite, postgres)", name)
	return Backend{}
}

// EachBackend runs f as a subtest per backend, each with its own store
// whose clock is fixed at Now.
func EachBackend(t *testing.T, f func(t *testing.T, db *storage.DB)) {
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			db.Now = func() time.Time { return Now }
			f(t, db)
		})
	}
}

// dump keeps each test's database and prints its path.
var dump = flag.Bool("dump", false, "keep test databases and print their paths")

// Now is the fixed time of a store from MustOpenDB.
var Now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// MustOpenDB opens a new, migrated store of the selected backend whose
// clock is fixed at Now; with -dump a SQLite file is kept and its path
// logged.
func MustOpenDB(tb testing.TB) *storage.DB {
	tb.Helper()
	db := Selected(tb).Open(tb)
	db.Now = func() time.Time { return Now }
	return db
}

func openSQLite(tb testing.TB) *storage.DB {
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

// template is the name of the migrated template database: a digest of the
// PostgreSQL migrations, so that a change to them makes a new one.
var template = sync.OnceValue(func() string {
	_, file, _, _ := runtime.Caller(0)
	paths, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "..", "migration_pg", "*.sql"))
	h := sha256.New()
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		h.Write([]byte(filepath.Base(p)))
		h.Write(b)
	}
	return "tmpl_customers_" + hex.EncodeToString(h.Sum(nil))[:16]
})

func openPostgres(tb testing.TB) *storage.DB {
	tb.Helper()
	pgtest.Template(tb, template(), func(u string) error {
		db, err := storage.Open(context.Background(), u, storage.Options{})
		if err != nil {
			return err
		}
		return db.Close()
	})
	u := pgtest.NewDatabaseFrom(tb, template()) // dropped after the store closes: cleanups run last first
	db, err := storage.Open(context.Background(), u, storage.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return db
}

// SetNow fixes the store's clock at t.
func SetNow(db *storage.DB, t time.Time) {
	db.Now = func() time.Time { return t }
}
