// Package pgtest gives tests a database of their own on a real PostgreSQL
// server: CREATE DATABASE t_<random> on the server that CUSTOMERS_TEST_DATABASE_URL
// names (by default postgres://postgres@127.0.0.1:5432/test), dropped when
// the test ends. With no server reachable the test is skipped with a
// message, so `go test ./...` still runs on a machine without PostgreSQL;
// with CUSTOMERS_REQUIRE_POSTGRES=1 (CI) it fails instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DefaultURL is the server tests use when CUSTOMERS_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&connect_timeout=3"

// ServerURL returns the URL of the server's maintenance database.
func ServerURL() string {
	if u := os.Getenv("CUSTOMERS_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var (
	reachOnce sync.Once
	reachErr  error
)

// reachable reports once whether the server answers.
func reachable() error {
	reachOnce.Do(func() {
		db, err := sql.Open("pgx", ServerURL())
		if err != nil {
			reachErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		reachErr = db.PingContext(ctx)
	})
	return reachErr
}

// Require skips tb (or fails it, with CUSTOMERS_REQUIRE_POSTGRES=1) when no server is
// reachable.
func Require(tb testing.TB) {
	tb.Helper()
	if err := reachable(); err != nil {
		if os.Getenv("CUSTOMERS_REQUIRE_POSTGRES") == "1" {
			tb.Fatalf("PostgreSQL at %s is required (CUSTOMERS_REQUIRE_POSTGRES=1): %v", redact(ServerURL()), err)
		}
		tb.Skipf("PostgreSQL not reachable at %s, skipping its cases: %v", redact(ServerURL()), err)
	}
}

// NewDatabase creates an empty database for tb and returns its URL; the
// database is dropped when tb ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return newDatabase(tb, "")
}

// NewDatabaseFrom creates a database for tb as a copy of the template (see
// Template) and returns its URL; the database is dropped when tb ends.
func NewDatabaseFrom(tb testing.TB, template string) string {
	tb.Helper()
	return newDatabase(tb, template)
}

var templates sync.Map // name -> error, made in this process

// Template makes, once per server, the database name by running init on
// its URL, and keeps it for the databases NewDatabaseFrom copies. name
// must be letters, digits and underscores, and change whenever what init
// makes changes (a digest of the migrations, say): a template is never
// made again. Processes making it at once wait for one another.
func Template(tb testing.TB, name string, init func(url string) error) {
	tb.Helper()
	Require(tb)
	if err, ok := templates.Load(name); ok {
		if err != nil {
			tb.Fatalf("template database %s: %v", name, err)
		}
		return
	}
	err := makeTemplate(name, init)
	templates.Store(name, err)
	if err != nil {
		tb.Fatalf("template database %s: %v", name, err)
	}
}

func makeTemplate(name string, init func(url string) error) error {
	admin, err := sql.Open("pgx", ServerURL())
	if err != nil {
		return err
	}
	defer admin.Close()
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// One process makes it; the others wait here, then find it.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7411)`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7411)`)
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_database WHERE datname = $1 AND datistemplate`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil { // a half-made one
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return err
	}
	if err := init(urlOf(name)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `ALTER DATABASE `+name+` WITH IS_TEMPLATE true`)
	return err
}

// urlOf returns the URL of the database name on the server.
func urlOf(name string) string {
	u, err := url.Parse(ServerURL())
	if err != nil {
		return ""
	}
	u.Path = "/" + name
	return u.String()
}

func newDatabase(tb testing.TB, template string) string {
	tb.Helper()
	Require(tb)
	admin, err := sql.Open("pgx", ServerURL())
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b) // letters and digits only: safe as a name
	ctx := context.Background()
	create := `CREATE DATABASE ` + name
	if template != "" {
		create += ` TEMPLATE ` + template
	}
	// A copy waits while anything else is connected to the template: the
	// process that just made it may still be closing its connections, and
	// another copy holds it while it runs (up to about a minute in all: on
	// a loaded machine copies queue, and 13 s was seen to be too short).
	for wait := 100 * time.Millisecond; ; wait *= 2 {
		_, err = admin.ExecContext(ctx, create)
		var state interface{ SQLState() string }
		if err == nil || !errors.As(err, &state) || state.SQLState() != "55006" || wait > 30*time.Second {
			break
		}
		time.Sleep(wait)
	}
	if err != nil {
		admin.Close()
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	return urlOf(name)
}

// redact drops the password from a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
