package storage

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/storefront/customers/storage/pgtest"
)

// TestClaimPassesTheWriteLock: on PostgreSQL a webhook claim does not
// queue behind the store's write lock, which another replica holds for
// every write transaction: claims lock their rows instead (ClaimDue).
func TestClaimPassesTheWriteLock(t *testing.T) {
	pgtest.Require(t)
	u := pgtest.NewDatabase(t)
	ctx := context.Background()
	db, err := Open(ctx, u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Destinations.AllowPrivate = true
	if _, _, err := db.CreateWebhook(ctx, WebhookInput{Scope: "store/customer/*", Destination: "http://127.0.0.1:1/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateCustomers(ctx, []CustomerInput{{Email: "lock@claim.example", FirstName: "L", LastName: "C"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FanOut(ctx, 10); err != nil {
		t.Fatal(err)
	}

	// Another replica's write transaction, holding the write lock.
	other, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pgWriteLock); err != nil {
		t.Fatal(err)
	}

	// Generous: the claim either passes at once or waits for the other
	// transaction, which never ends by itself.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	due, err := db.ClaimDue(cctx, 10, time.Minute, 10, nil)
	if err != nil || len(due) != 1 {
		t.Fatalf("claim while another replica writes: %d claimed, %v; want 1", len(due), err)
	}
}
