package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// TestDB_TotalsCachedUntilWrite: a list's total is counted once for the
// same filter, and again after any write; another filter counts its own.
func TestDB_TotalsCachedUntilWrite(t *testing.T) {
	t.Parallel()
	db := storagetest.MustOpenDB(t)
	// A second's TTL could lapse between two calls on a busy machine and
	// count again: this test is about writes ending a total, not time.
	storage.SetTotalTTL(db, time.Hour)
	ctx := context.Background()
	create := func(email string) {
		t.Helper()
		if _, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: email, FirstName: "Ann", LastName: "Lee"}}); err != nil {
			t.Fatal(err)
		}
	}
	create("a@example.com")
	create("b@example.com")
	total := func(like string) (int, int64) {
		t.Helper()
		st := &storage.Stats{}
		pg, err := db.FindCustomers(storage.WithStats(ctx, st), storage.CustomerFilter{NameLike: []string{like}}, storage.SortIDAsc,
			storage.PageRequest{Page: 1, Limit: 1, WantTotal: true})
		if err != nil {
			t.Fatal(err)
		}
		return pg.Total, st.Statements()
	}
	n1, s1 := total("ann")
	n2, s2 := total("ann")
	if n1 != 2 || n2 != 2 || s2 != s1-1 {
		t.Errorf("totals %d, %d in %d and %d statements; want 2, 2, the second without its count", n1, n2, s1, s2)
	}
	if n, s := total("lee"); n != 2 || s != s1 {
		t.Errorf("another filter: total %d in %d statements, want 2 in %d", n, s, s1)
	}
	create("c@example.com")
	if n, s := total("ann"); n != 3 || s != s1 {
		t.Errorf("after a write: total %d in %d statements, want 3 in %d", n, s, s1)
	}
}
