package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// TestDB_TokenThroughCached: the app that X-Auth-Client names is looked up
// once, not per request, and revoking it in this process stops it at once,
// with the lookup cached before.
func TestDB_TokenThroughCached(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	var lookups atomic.Int64
	db.Observer = func(_ context.Context, statement string, _ time.Duration, _ error) {
		if strings.Contains(statement, "FROM apps WHERE client_id") {
			lookups.Add(1)
		}
	}
	_, token, err := db.CreateToken(ctx, "storefront", []string{storage.ScopeRead, storage.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := db.CreateApp(ctx, storage.AppInput{Name: "reporting", Scopes: []string{storage.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := db.TokenThrough(ctx, token, reader.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Can(storage.ScopeWrite) || !got.Can(storage.ScopeRead) {
			t.Fatalf("through the read-only app: scopes %v", got.Scopes)
		}
		// An id that names no app narrows nothing, and is remembered too.
		if got, err := db.TokenThrough(ctx, token, "sdkaccountclientid"); err != nil || !got.Can(storage.ScopeWrite) {
			t.Fatalf("through an unknown client id: %v, %v", got, err)
		}
	}
	if n := lookups.Load(); n != 2 {
		t.Fatalf("%d app lookups for 6 requests naming 2 client ids, want 2", n)
	}
	if err := db.RevokeApp(ctx, reader.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TokenThrough(ctx, token, reader.ClientID); !errors.Is(err, storage.ErrAppRevoked) {
		t.Fatalf("through a revoked app: %v, want ErrAppRevoked", err)
	}
	// Registering an app forgets what was looked up before too.
	if _, err := db.CreateApp(ctx, storage.AppInput{Name: "another"}); err != nil {
		t.Fatal(err)
	}
	before := lookups.Load()
	if _, err := db.TokenThrough(ctx, token, "sdkaccountclientid"); err != nil {
		t.Fatal(err)
	}
	if lookups.Load() != before+1 {
		t.Fatal("an unknown client id stayed cached across an app's registration")
	}
}
