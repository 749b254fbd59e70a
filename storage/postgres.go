package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
)

// PostgreSQL as the store's engine: Open with a postgres:// URL.
//
// The store keeps SQLite's semantics there. Write transactions are
// serialized, as SQLite's single writer serializes them, by an advisory
// lock each takes first: what a write checks (an email is free) still holds
// when it writes, across every process on the database. Reads run in
// REPEATABLE READ READ ONLY transactions, so that a snapshot's statements
// see one state. Text compares byte by byte (COLLATE "C" columns), so
// orderings, ties and cursors are SQLite's.

// Advisory lock keys (pg_advisory_xact_lock), arbitrary but fixed.
const (
	pgWriteLock   int64 = 0x637573746f6d01 // every write transaction
	pgMigrateLock int64 = 0x637573746f6d02 // migrations
)

// IsPostgresURL reports whether Open reads path as a PostgreSQL URL.
func IsPostgresURL(path string) bool {
	return strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://")
}

// openPostgres opens the store in the PostgreSQL database at u.
func openPostgres(ctx context.Context, u string, opts Options) (*DB, error) {
	db := &DB{path: redactURL(u), d: &postgresDialect{}, pg: true, migrationDir: "migration_pg", Now: time.Now}
	db.all = allColumns(db)
	db.eventSeq.Store(uint64(time.Now().UnixNano()))
	w, err := sql.Open("pgx", u)
	if err != nil {
		return nil, fmt.Errorf("open store writer: %w", err)
	}
	// One connection, as on SQLite: writers queue on the advisory lock
	// anyway, and a second connection would only wait.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	db.writer = w
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := db.migratePostgres(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("pgx", u)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store reader: %w", err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open store reader: %w", err)
	}
	db.reader = r
	db.stmts = newStmtCache(r)
	if opts.ReadURL != "" {
		if !IsPostgresURL(opts.ReadURL) {
			db.Close()
			return nil, errors.New("open store: -db-read wants a postgres:// URL of a hot standby")
		}
		sb, err := openStandby(ctx, opts.ReadURL, opts)
		if err != nil {
			db.Close()
			return nil, err
		}
		sb.primary = r
		db.standby = sb
	}
	db.startListener(u)
	db.awaitListener(ctx, listenerStartWait)
	return db, nil
}

// migratePostgres applies the pending migrations of migration_pg, each in a
// transaction that holds the migration lock and checks again that it is
// pending: replicas starting together apply each once.
func (db *DB) migratePostgres(ctx context.Context) error {
	locked := func(f func(tx *sql.Tx) error) error {
		tx, err := db.writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrateLock); err != nil {
			return err
		}
		if err := f(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	if err := locked(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT COLLATE "C" PRIMARY KEY, applied_at TEXT NOT NULL)`)
		return err
	}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := db.pendingMigrations(ctx)
	if err != nil {
		return err
	}
	for _, name := range pending {
		body, err := fs.ReadFile(migrations, path.Join(db.migrationDir, name))
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if err := locked(func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil || n > 0 {
				return err // applied meanwhile by another process
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, formatTime(db.Now()))
			return err
		}); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// readOptions are the options of a read transaction: on PostgreSQL a
// snapshot (REPEATABLE READ); SQLite's reads always see one.
func (db *DB) readOptions() *sql.TxOptions {
	if db.pg {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return &sql.TxOptions{ReadOnly: true}
}

// lockWriter makes tx the only write transaction of the database until it
// ends (PostgreSQL; SQLite's BEGIN IMMEDIATE already is).
func (db *DB) lockWriter(ctx context.Context, tx *sql.Tx) error {
	if !db.pg {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pgWriteLock)
	return err
}

// beginClaim starts the transaction of a webhook claim: on PostgreSQL a
// write transaction without the store's write lock (its rows are locked
// by skipLocked instead, so that claims by several processes neither
// queue behind every write nor take the same row); on SQLite a write
// transaction, whose lock the one process per file holds anyway.
func (db *DB) beginClaim(ctx context.Context) (*Tx, error) {
	if !db.pg {
		return db.beginWrite(ctx)
	}
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", formatError(err))
	}
	return &Tx{tx: tx, db: db, now: db.Now().UTC().Truncate(time.Second), dry: isDryRun(ctx)}, nil
}

// skipLocked is the locking clause of a claim's SELECT: on PostgreSQL the
// rows are locked, and rows locked by another claim are passed by; SQLite
// has no row locks (its writer lock is held).
func (db *DB) skipLocked() string {
	if db.pg {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// redactURL drops the password from a database URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// writerCache sets the page cache of SQLite's writer connection, in KiB;
// PostgreSQL's buffers are the server's.
func (db *DB) writerCache(ctx context.Context, kib int) error {
	if db.pg {
		return nil
	}
	_, err := db.writer.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, kib))
	return err
}

// sequenceTable is the table that keeps the last id given of the tables
// whose ids are never given again: SQLite's own, or id_sequences.
func (db *DB) sequenceTable() string {
	if db.pg {
		return "id_sequences"
	}
	return "sqlite_sequence"
}

// beginImport starts the write transaction of an import batch: on
// PostgreSQL on a writer connection held for it (tx.conn), so that the
// batch's rows go in by COPY on the transaction's own connection; the
// caller closes tx.conn after the transaction ends. On SQLite it is
// beginWrite.
func (db *DB) beginImport(ctx context.Context) (*Tx, error) {
	if !db.pg {
		return db.beginWrite(ctx)
	}
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", formatError(err))
	}
	tx, err := db.beginWriteOn(ctx, conn.BeginTx)
	if err != nil {
		conn.Close()
		return nil, err
	}
	tx.conn = conn
	return tx, nil
}

// copyRows writes rows (each a row of columns' values, in the store's
// spelling, which the dialect binds as it binds a statement's) into table
// with COPY in tx, which beginImport began. The values travel as COPY's
// data, never as SQL text; the table's triggers and constraints apply as
// to an INSERT.
func (tx *Tx) copyRows(ctx context.Context, table string, columns []string, rows int, row func(i int) []any) error {
	return tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy into %s: the connection is a %T, not pgx's", table, dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromSlice(rows, func(i int) ([]any, error) {
			return tx.db.d.args(row(i)), nil
		}))
		return formatError(err)
	})
}
