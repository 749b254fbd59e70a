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
//
// Migrating a new SQLite file costs a test process far more than copying
// one (about 0.4 s against 0.05 s under -race), so SQLite stores start as
// copies of one migrated file made once per process; MustOpenDemo's, as
// copies of one demo store per size. PostgreSQL databases are copies of a
// migrated template database. Each test still gets its own store.
package storagetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
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

// openSQLite opens a copy of the migrated SQLite template.
func openSQLite(tb testing.TB) *storage.DB {
	tb.Helper()
	return open(tb, 0)
}

// MustOpenDemo is MustOpenDB with the demo's n customers in it
// (storage.SeedDemo): the same bytes as seeding the store, seeded once per
// process and size.
func MustOpenDemo(tb testing.TB, n int) *storage.DB {
	tb.Helper()
	if n <= 0 {
		tb.Fatalf("MustOpenDemo(%d): want at least one customer", n)
	}
	if Selected(tb).Name == "postgres" {
		db := MustOpenDB(tb)
		if err := db.SeedDemo(context.Background(), n); err != nil {
			tb.Fatalf("seed demo: %v", err)
		}
		return db
	}
	return open(tb, n)
}

// DemoFile writes a closed store with the demo's n customers (as
// MustOpenDemo's) to a new file in the test's temporary directory and
// returns its path, for a server the test starts: a server started with
// -demo on it finds the store seeded and only makes its token.
func DemoFile(tb testing.TB, n int) string {
	tb.Helper()
	b, err := template(n)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "customers.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// open opens a copy of the template of n demo customers (0: none).
func open(tb testing.TB, n int) *storage.DB {
	tb.Helper()
	b, err := template(n)
	if err != nil {
		tb.Fatal(err)
	}
	return openCopy(tb, b)
}

// openCopy opens a new store whose file starts as b.
func openCopy(tb testing.TB, b []byte) *storage.DB {
	tb.Helper()
	dir := tb.TempDir()
	if *dump {
		var err error
		if dir, err = os.MkdirTemp("", "customers-test-*"); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(dir, "customers.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
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

// Fixture is a store that build fills once per process (on first Open,
// from a migrated store whose clock is Now); each Open gives a test its own
// copy of it. What build returns (ids, tokens) comes with every copy.
type Fixture[T any] struct {
	build func(context.Context, *storage.DB) (T, error)
	once  sync.Once
	bytes []byte
	value T
	err   error
}

// NewFixture returns the fixture that build fills.
func NewFixture[T any](build func(context.Context, *storage.DB) (T, error)) *Fixture[T] {
	return &Fixture[T]{build: build}
}

// Open returns a new copy of the fixture's store, closed when the test
// ends, and what build returned.
func (f *Fixture[T]) Open(tb testing.TB) (*storage.DB, T) {
	tb.Helper()
	if Selected(tb).Name == "postgres" {
		// No file to copy: build on the test's own database.
		db := MustOpenDB(tb)
		v, err := f.build(context.Background(), db)
		if err != nil {
			tb.Fatal(err)
		}
		return db, v
	}
	f.once.Do(func() {
		f.bytes, f.err = makeTemplate(func(ctx context.Context, db *storage.DB) (err error) {
			f.value, err = f.build(ctx, db)
			return err
		})
	})
	if f.err != nil {
		tb.Fatal(f.err)
	}
	return openCopy(tb, f.bytes), f.value
}

var templates struct {
	sync.Mutex
	files map[int]*templateFile
}

type templateFile struct {
	once  sync.Once
	bytes []byte
	err   error
}

// template returns the bytes of a closed store, migrated, with n demo
// customers, made on first use.
func template(n int) ([]byte, error) {
	templates.Lock()
	if templates.files == nil {
		templates.files = map[int]*templateFile{}
	}
	f := templates.files[n]
	if f == nil {
		f = &templateFile{}
		templates.files[n] = f
	}
	templates.Unlock()
	f.once.Do(func() {
		f.bytes, f.err = makeTemplate(func(ctx context.Context, db *storage.DB) error {
			if n == 0 {
				return nil
			}
			return db.SeedDemo(ctx, n)
		})
	})
	return f.bytes, f.err
}

// makeTemplate returns the bytes of a closed, migrated store that fill
// filled.
func makeTemplate(fill func(context.Context, *storage.DB) error) ([]byte, error) {
	dir, err := os.MkdirTemp("", "customers-template-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	ctx := context.Background()
	db, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		return nil, fmt.Errorf("template store: %w", err)
	}
	db.Now = func() time.Time { return Now }
	if err := fill(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("template store: %w", err)
	}
	// Closing the last connection checkpoints the write-ahead log into the
	// file and removes it: the file alone is the store.
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("template store: %w", err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, fmt.Errorf("template store: the write-ahead log outlived the close")
	}
	if err := dropStatistics(path); err != nil {
		return nil, fmt.Errorf("template store: %w", err)
	}
	return os.ReadFile(path)
}

// dropStatistics removes the query planner's statistics that Close
// gathers (PRAGMA optimize) from the closed store at path: a copy then
// plans as the store did before it was closed, as a store freshly written
// by a test would.
func dropStatistics(path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, table := range []string{"sqlite_stat1", "sqlite_stat4"} {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = ?`, table).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			if _, err := db.Exec(`DROP TABLE ` + table); err != nil {
				return err
			}
		}
	}
	return db.Close()
}

// pgTemplate is the name of the migrated template database: a digest of the
// PostgreSQL migrations, so that a change to them makes a new one.
var pgTemplate = sync.OnceValue(func() string {
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
	return OpenURL(tb, PostgresURL(tb))
}

// PostgresURL returns the URL of a new, migrated PostgreSQL database of
// tb's own, dropped when tb ends (after the stores OpenURL opened on it
// close: cleanups run last first).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	pgtest.Template(tb, pgTemplate(), func(u string) error {
		db, err := storage.Open(context.Background(), u, storage.Options{})
		if err != nil {
			return err
		}
		return db.Close()
	})
	return pgtest.NewDatabaseFrom(tb, pgTemplate())
}

// OpenURL opens the store at u for tb, closed when tb ends.
func OpenURL(tb testing.TB, u string) *storage.DB {
	tb.Helper()
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

// OpenReplicas opens n stores on one new PostgreSQL database, as n
// replicas of the server would: each with its own pools, sharing only
// the database.
func OpenReplicas(tb testing.TB, n int) []*storage.DB {
	tb.Helper()
	u := PostgresURL(tb)
	dbs := make([]*storage.DB, n)
	for i := range dbs {
		dbs[i] = OpenURL(tb, u)
	}
	return dbs
}

// SetNow fixes the store's clock at t.
func SetNow(db *storage.DB, t time.Time) {
	db.Now = func() time.Time { return t }
}
