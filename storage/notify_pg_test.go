package storage

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/storefront/customers/storage/pgtest"
)

// openTwo opens two stores on one new PostgreSQL database, as two
// replicas of the server, each listening already.
func openTwo(t *testing.T) (a, b *DB, u string) {
	t.Helper()
	pgtest.Require(t)
	u = pgtest.NewDatabase(t)
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(context.Background(), u, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		waitListening(t, db, 1)
		dbs[i] = db
	}
	return dbs[0], dbs[1], u
}

// waitListening waits until db's listener has connected n times.
func waitListening(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		got, up := db.listening()
		if got >= n {
			return
		}
		select {
		case <-up:
		case <-deadline:
			t.Fatalf("the listener connected %d times, want %d", got, n)
		}
	}
}

// waitSignal waits for the event signal sig, generously: it comes when a
// notification does, or never.
func waitSignal(t *testing.T, sig <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-sig:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no event signal", what)
	}
}

// TestEventsWakeOtherReplicas: an event committed through one store wakes
// the event consumers of another on the same database, also after the
// other's listening connection was cut (it connects again).
func TestEventsWakeOtherReplicas(t *testing.T) {
	a, b, u := openTwo(t)
	ctx := context.Background()
	sig := b.EventSignal()
	if _, err := a.CreateCustomers(ctx, []CustomerInput{{Email: "n1@notify.example", FirstName: "N", LastName: "O"}}); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, sig, "after a write by another store")

	// A rolled back write sends nothing: its notification is never
	// delivered. (Nothing to wait for; the next check would see it.)

	// Cut every listening connection of the database.
	admin, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	n, _ := b.listening()
	var cut int
	if err := admin.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, listenerName).Scan(&cut); err != nil || cut != 2 {
		t.Fatalf("cut %d listeners, %v; want 2", cut, err)
	}
	waitListening(t, b, n+1)
	sig = b.EventSignal()
	if _, err := a.CreateCustomers(ctx, []CustomerInput{{Email: "n2@notify.example", FirstName: "N", LastName: "O"}}); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, sig, "after the listener connected again")
	events, err := b.FindEventsAfter(ctx, 0, 10)
	if err != nil || len(events) != 2 {
		t.Fatalf("%d events, %v; want 2", len(events), err)
	}
}

// TestRevocationReachesOtherReplicas: a token revoked through one store is
// refused by another that had it cached, long before its cache would let
// it go (here an hour): the revocation's notification empties it.
func TestRevocationReachesOtherReplicas(t *testing.T) {
	a, b, _ := openTwo(t)
	ctx := context.Background()
	b.tokens.ttl = time.Hour
	secret, tok, err := a.CreateToken(ctx, "replica", []string{"store_v2_customers_read_only"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := b.FindToken(ctx, secret)
		if ErrorCode(err) == ENOTFOUND {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the other store still takes the revoked token")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
