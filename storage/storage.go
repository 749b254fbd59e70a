// Package storage keeps store customer data in SQLite: customers and their
// addresses, attribute values, form field values, consent and store credit;
// attribute and form field definitions; customer groups; subscribers; and
// settings. It owns the domain vocabulary (Customer, CustomerFilter, ...),
// the V3 filter semantics and the error codes that the GraphQL layer shows.
//
// One DB holds two pools on the same file: a single writer connection, whose
// transactions begin IMMEDIATE so that writers queue on the lock instead of
// failing halfway, and a bounded pool of read-only connections. The file runs
// in WAL mode so that readers never wait for the writer.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/storefront/customers/netguard"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migration/*.sql migration_pg/*.sql
var migrations embed.FS

// DefaultReadConns is the size of the read pool when Options leaves it zero.
const DefaultReadConns = 4

// Options tune Open.
type Options struct {
	// ReadConns bounds the read-only pool; 0 means DefaultReadConns.
	ReadConns int
	// MaxBytes bounds the database file: a write that would grow it past
	// this fails with STORE_UNAVAILABLE, as on a full disk. 0 means no
	// bound.
	MaxBytes int64
	// ReadURL, on PostgreSQL, is a hot standby of the database that
	// serves reads (standby.go); empty means every read goes to the
	// primary. SQLite refuses it.
	ReadURL string
	// Logger receives the store's operational notes (the standby going
	// away and coming back); nil means slog.Default().
	Logger *slog.Logger
}

// DB is the store. It is safe for concurrent use.
type DB struct {
	path string
	// d is the SQL engine's dialect; pg is set on PostgreSQL (postgres.go).
	d  dialect
	pg bool
	// migrationDir holds the engine's migrations.
	migrationDir string
	writer       *sql.DB
	reader       *sql.DB
	// stmts keeps the reader's statements prepared.
	stmts *stmtCache
	// standby, when set, serves the reads a caller's writes allow.
	standby *standby
	// all is the view of every column, behind the DB's lookups.
	all *View
	// tokens caches API tokens found lately.
	tokens credCache[APIToken]
	// apps caches the apps X-Auth-Client named lately, by client id, and
	// the client ids that named none (nil).
	apps credCache[*App]

	// Now returns the current time. Every write transaction reads it once, so
	// all dates written by one call are equal. Tests replace it.
	Now func() time.Time

	// Destinations is the policy for webhook destinations: the zero value
	// refuses loopback, private and reserved addresses (netguard).
	Destinations netguard.Guard

	// Observer, when set, is told about every SQL statement the store runs.
	Observer func(ctx context.Context, statement string, d time.Duration, err error)

	// eventSeq makes every event's hash unique.
	eventSeq atomic.Uint64
	// claimTurn rotates which webhook ClaimDue serves first.
	claimTurn atomic.Uint64
	// tokenUses remembers when each token's use was last noted; background
	// tracks the writes that note them, which Close waits for.
	tokenUses  sync.Map
	background sync.WaitGroup

	// writes counts the write transactions committed by this process; the
	// list totals cached under an older count are stale (totals.go).
	writes atomic.Uint64
	totals totalCache

	// signal is closed when events commit (EventSignal).
	signalMu sync.Mutex
	signal   chan struct{}

	// listener hears the other processes' writes on PostgreSQL (notify.go).
	listener *listener
}

// Open opens (creating if needed) the database file at path, applies the
// pending migrations and returns the store.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("open store: empty path")
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = DefaultReadConns
	}
	if IsPostgresURL(path) {
		return openPostgres(ctx, path, opts)
	}
	if opts.ReadURL != "" {
		return nil, errors.New("open store: a read standby (-db-read) needs PostgreSQL (-db postgres://...); SQLite has none")
	}
	db := &DB{path: path, d: sqliteDialect{}, migrationDir: "migration", Now: time.Now}
	db.all = allColumns(db)
	db.eventSeq.Store(uint64(time.Now().UnixNano()))

	// The writer must exist and migrate first: a read-only open of a missing
	// or not yet WAL file fails.
	wdsn := dsn(path, false)
	if opts.MaxBytes > 0 {
		wdsn += fmt.Sprintf("&_pragma=max_page_count(%d)", max(opts.MaxBytes/4096, 1))
	}
	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("open store writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db.writer = w
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store reader: %w", err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	r.SetConnMaxIdleTime(0)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open store reader: %w", err)
	}
	db.reader = r
	db.stmts = newStmtCache(r)
	return db, nil
}

// The page cache of each connection, in KiB of pages. modernc's allocator
// rounds a cached page (4 KiB and its header) up to 8 KiB, so a cache
// costs about twice its size: the 4 readers' caches, at 8 MiB each, take
// about 64 MiB (BENCHMARKS.md, "Memory"). The operating system caches the
// file too, so a smaller cache costs a system call, not a disk read.
const (
	readerCacheKiB = 8000
	writerCacheKiB = 16000
)

// dsn builds the connection string of the writer or of a reader. Pragmas go
// in the DSN because they are per connection and the pools open connections
// on their own.
func dsn(path string, readOnly bool) string {
	// A file: URI, so that SQLite's own parameters (mode=ro) apply; escape the
	// characters that would end the path part.
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := []string{
		"_pragma=busy_timeout(10000)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=temp_store(MEMORY)",
	}
	if readOnly {
		q = append(q, fmt.Sprintf("_pragma=cache_size(-%d)", readerCacheKiB), "mode=ro", "_pragma=query_only(1)")
	} else {
		q = append(q, fmt.Sprintf("_pragma=cache_size(-%d)", writerCacheKiB), "_pragma=journal_mode(WAL)", "_txlock=immediate")
	}
	return "file:" + p + "?" + strings.Join(q, "&")
}

// Close closes both pools. It optimizes the query planner's statistics first,
// as SQLite recommends before closing a connection.
func (db *DB) Close() error {
	db.stopListener()
	var errs []error
	if db.standby != nil {
		errs = append(errs, db.standby.close())
	}
	if db.reader != nil {
		db.stmts.close()
		errs = append(errs, db.reader.Close())
	}
	db.background.Wait() // token uses being noted
	if db.writer != nil {
		if !db.pg {
			_, _ = db.writer.Exec(`PRAGMA optimize`)
		}
		// On PostgreSQL too: a connection left open keeps the database
		// in use (a template cannot be copied, a database dropped).
		errs = append(errs, db.writer.Close())
	}
	return errors.Join(errs...)
}

// Clock returns the store's current time (Now), for those that hold the
// store through an interface.
func (db *DB) Clock() time.Time { return db.Now() }

// Path returns the database file's path, or the PostgreSQL URL without its
// password.
func (db *DB) Path() string { return db.path }

// Writable reports whether the store can write: it runs a write that
// changes nothing, which a read-only file refuses. A writer busy past ctx
// counts as writable: it is writing.
func (db *DB) Writable(ctx context.Context) error {
	_, err := db.writer.ExecContext(ctx, `UPDATE schema_migrations SET name = name WHERE FALSE`)
	if err != nil && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write to store: %w", formatError(err))
	}
	return nil
}

// Ping reports whether both pools answer and every migration is applied.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	pending, err := db.pendingMigrations(ctx)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("ping store: %d migrations pending", len(pending))
	}
	return nil
}

// migrate applies the embedded migrations that are not yet recorded, each in
// its own transaction together with its record.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := db.pendingMigrations(ctx)
	if err != nil {
		return err
	}
	for _, name := range pending {
		body, err := fs.ReadFile(migrations, path.Join("migration", name))
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		tx, err := db.writer.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, formatTime(db.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// pendingMigrations lists the embedded migrations not yet applied, in order.
func (db *DB) pendingMigrations(ctx context.Context) ([]string, error) {
	entries, err := fs.ReadDir(migrations, db.migrationDir)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	rows, err := db.writer.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("list applied migrations: %w", err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list applied migrations: %w", err)
		}
		applied[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list applied migrations: %w", err)
	}
	var pending []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") && !applied[e.Name()] {
			pending = append(pending, e.Name())
		}
	}
	sort.Strings(pending)
	return pending, nil
}

// Tx is a transaction of the store. It carries the time read once at BEGIN,
// truncated to the second in UTC, which every date written through it uses.
type Tx struct {
	tx  *sql.Tx
	db  *DB
	now time.Time
	// stmts holds the statements prepared in this transaction; they close
	// with it.
	stmts map[string]*sql.Stmt
	// events records that the transaction added events.
	events bool
	// read marks a read transaction, whose statements come from the cache.
	read bool
	// borrowed is the snapshot whose transaction this is; its owner ends it.
	borrowed *snapshot
	// writes is the store's write count when a read transaction began.
	writes uint64
	// dry marks a write transaction of a dry run: Commit rolls it back.
	dry bool
	// inferFields takes every form field name as defined, for any owner
	// and value (InferredFormFields).
	inferFields bool
	// conn is the connection of an import batch's transaction on
	// PostgreSQL, whose rows it copies (bulkTable.copy); nil otherwise.
	conn *sql.Conn
	// cache holds a read transaction's prepared statements (the pool's
	// it runs on); caller is a write transaction's (WithCaller).
	cache     *stmtCache
	caller    string
	hasCaller bool
	// record collects a write transaction's position (RecordWrites).
	record *WriteRecord
}

type inferredFieldsKey struct{}

// InferredFormFields returns a context whose writes do not check form
// field values against the definitions: in facade mode those are inferred
// from the values the mirror has seen and the upstream judges the values.
func InferredFormFields(ctx context.Context) context.Context {
	return context.WithValue(ctx, inferredFieldsKey{}, true)
}

type dryRunKey struct{}

// DryRun returns a context whose writes check everything and then roll
// back: a write answers as it would, and the store is left as it was.
// Facade mode validates locally this way before it calls the upstream.
func DryRun(ctx context.Context) context.Context { return context.WithValue(ctx, dryRunKey{}, true) }

func isDryRun(ctx context.Context) bool { v, _ := ctx.Value(dryRunKey{}).(bool); return v }

// beginWrite starts a write transaction on the writer (BEGIN IMMEDIATE).
func (db *DB) beginWrite(ctx context.Context) (*Tx, error) {
	return db.beginWriteOn(ctx, db.writer.BeginTx)
}

// beginWriteOn starts a write transaction with begin (the writer pool's, or
// one connection's).
func (db *DB) beginWriteOn(ctx context.Context, begin func(context.Context, *sql.TxOptions) (*sql.Tx, error)) (*Tx, error) {
	tx, err := begin(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", formatError(err))
	}
	if err := db.lockWriter(ctx, tx); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("begin: %w", formatError(err))
	}
	caller, hasCaller := callerOf(ctx)
	return &Tx{tx: tx, db: db, now: db.Now().UTC().Truncate(time.Second), dry: isDryRun(ctx),
		inferFields: ctx.Value(inferredFieldsKey{}) != nil, caller: caller, hasCaller: hasCaller, record: recordOf(ctx)}, nil
}

// beginRead starts a read transaction on the read pool, so that several
// statements see one snapshot.
func (db *DB) beginRead(ctx context.Context) (*Tx, error) {
	if s := snapshotOf(ctx, db); s != nil {
		return &Tx{tx: s.tx, db: db, now: db.Now().UTC().Truncate(time.Second), read: true, borrowed: s, writes: s.writes}, nil
	}
	writes := db.writes.Load() // before the snapshot begins
	tx, stmts, writes, err := db.beginReadTx(ctx, ctx, writes)
	if err != nil {
		return nil, fmt.Errorf("begin read: %w", formatError(err))
	}
	return &Tx{tx: tx, db: db, now: db.Now().UTC().Truncate(time.Second), read: true, writes: writes, cache: stmts}, nil
}

// Commit commits the transaction, and wakes the event consumers when it
// recorded events.
func (tx *Tx) Commit() error {
	if tx.borrowed != nil {
		return nil
	}
	if tx.dry {
		return tx.tx.Rollback()
	}
	if tx.events {
		// The other processes on the database wake when this commits.
		if err := tx.notify(context.Background(), notifyEvents, ""); err != nil {
			return err
		}
	}
	if err := tx.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", formatError(err))
	}
	if !tx.read {
		tx.db.noteWrite(tx.caller, tx.hasCaller, tx.record) // before the count: see readSide
		tx.db.writes.Add(1)
	}
	if tx.events {
		tx.db.signalEvents()
	}
	return nil
}

// Rollback aborts the transaction; it is a no-op after Commit.
func (tx *Tx) Rollback() error {
	if tx.borrowed != nil {
		return nil
	}
	return tx.tx.Rollback()
}

// querier runs statements: the read pool, or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// q returns what runs statements for tx.
func (tx *Tx) q() querier {
	if tx.borrowed != nil {
		return tx.borrowed.querier()
	}
	if tx.read {
		return readTx{tx: tx.tx, cache: tx.cache}
	}
	return tx.tx
}

// Stats counts the SQL statements run on behalf of one context (one GraphQL
// operation, say). Attach it with WithStats.
type Stats struct {
	statements atomic.Int64
}

// Statements returns how many SQL statements have run so far.
func (s *Stats) Statements() int64 { return s.statements.Load() }

type statsKey struct{}

// WithStats returns a context under which every statement is counted in s;
// a nil s counts nothing.
func WithStats(ctx context.Context, s *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}

// observe counts and reports one statement.
func (db *DB) observe(ctx context.Context, statement string, start time.Time, err error) {
	if s, ok := ctx.Value(statsKey{}).(*Stats); ok && s != nil {
		s.statements.Add(1)
	}
	if db.Observer != nil {
		db.Observer(ctx, statement, time.Since(start), err)
	}
}

// keyLookup returns the context a lookup by keys runs under: ctx without its
// cancellation, once ctx is checked. Such a statement is an index search per
// key and ends in microseconds, while a cancellable context costs each
// statement two goroutines (database/sql's and the driver's watchers) and
// more time than many lookups take. Scans and pages keep ctx, whose end
// interrupts them.
func keyLookup(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return ctx, err
	}
	return context.WithoutCancel(ctx), nil
}

// query runs a statement that returns rows.
func (db *DB) query(ctx context.Context, q querier, statement string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	onStandby := false
	if p, ok := q.(*sql.DB); ok && p == db.reader {
		if s := snapshotOf(ctx, db); s != nil {
			q = s.querier()
		} else {
			var stmts *stmtCache
			_, stmts, onStandby, _ = db.readSide(ctx)
			q = readPool{stmts}
		}
	}
	rows, err := q.QueryContext(ctx, db.d.statement(statement), db.d.args(args)...)
	if err != nil && onStandby {
		db.standbyFailed(ctx, err)
		rows, err = readPool{db.stmts}.QueryContext(ctx, db.d.statement(statement), db.d.args(args)...)
	}
	db.observe(ctx, statement, start, err)
	if err != nil {
		return nil, formatError(err)
	}
	return rows, nil
}

// exec runs a prepared statement whose text is statement.
func (db *DB) exec(ctx context.Context, st *sql.Stmt, statement string, args ...any) (sql.Result, error) {
	start := time.Now()
	res, err := st.ExecContext(ctx, db.d.args(args)...)
	db.observe(ctx, statement, start, err)
	if err != nil {
		return nil, formatError(err)
	}
	return res, nil
}

// rowScanner is what a scan function reads one row from.
type rowScanner interface {
	Scan(dest ...any) error
}

// queryAll runs a statement and scans every row with scan.
func queryAll[T any](ctx context.Context, db *DB, q querier, scan func(rowScanner) (T, error), statement string, args ...any) ([]T, error) {
	rows, err := db.query(ctx, q, statement, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, formatError(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, formatError(err)
	}
	return out, nil
}

// queryOne runs a statement expected to return at most one row; it returns
// ENOTFOUND (with message notFound) when there is none.
func queryOne[T any](ctx context.Context, db *DB, q querier, notFound string, scan func(rowScanner) (T, error), statement string, args ...any) (T, error) {
	all, err := queryAll(ctx, db, q, scan, statement, args...)
	if err != nil {
		var zero T
		return zero, err
	}
	if len(all) == 0 {
		var zero T
		return zero, Errorf(ENOTFOUND, "%s", notFound)
	}
	return all[0], nil
}

// IntegrityCheck runs SQLite's integrity check and foreign key check; it
// returns an error describing the first problems when the file is damaged.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	if db.pg {
		return nil // a damaged file is SQLite's concern; PostgreSQL checks its own pages
	}
	rows, err := db.query(ctx, db.reader, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return fmt.Errorf("integrity check: %w", err)
		}
		msgs = append(msgs, m)
	}
	rows.Close()
	if len(msgs) != 1 || msgs[0] != "ok" {
		return fmt.Errorf("integrity check: %s", strings.Join(msgs, "; "))
	}
	fk, err := db.query(ctx, db.reader, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer fk.Close()
	if fk.Next() {
		return errors.New("foreign key check: a row refers to a missing record")
	}
	return fk.Err()
}

// PoolStats returns the connection pool statistics by pool: the writer,
// the read pool, and the hot standby's read pool when there is one.
func (db *DB) PoolStats() map[string]sql.DBStats {
	m := map[string]sql.DBStats{"writer": db.writer.Stats(), "reader": db.reader.Stats()}
	if db.standby != nil {
		m["standby"] = db.standby.pool.Stats()
	}
	return m
}
