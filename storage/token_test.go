package storage_test

import (
	"context"
	"testing"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// TestDB_CreateTokenWith keeps a token's own cost budget, and refuses a bad
// one before writing anything.
func TestDB_CreateTokenWith(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	n := func(v int) *int { return &v }
	t.Run("OK", func(t *testing.T) {
		token, made, err := db.CreateTokenWith(ctx, storage.TokenInput{Name: "back office", Scopes: []string{storage.ScopeRead},
			CostBudget: n(1_000_000), CostRestore: n(100_000)})
		if err != nil {
			t.Fatal(err)
		}
		found, err := db.FindToken(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if found.ID != made.ID || found.CostBudget == nil || *found.CostBudget != 1_000_000 || *found.CostRestore != 100_000 {
			t.Fatalf("found %+v", found)
		}
		plain, _, err := db.CreateToken(ctx, "storefront", []string{storage.ScopeRead})
		if err != nil {
			t.Fatal(err)
		}
		if found, err := db.FindToken(ctx, plain); err != nil || found.CostBudget != nil || found.CostRestore != nil {
			t.Fatalf("a token without a budget: %+v %v", found, err)
		}
		unlimited, _, err := db.CreateTokenWith(ctx, storage.TokenInput{Scopes: []string{storage.ScopeRead}, CostBudget: n(0)})
		if err != nil {
			t.Fatal(err)
		}
		if found, err := db.FindToken(ctx, unlimited); err != nil || found.CostBudget == nil || *found.CostBudget != 0 {
			t.Fatalf("an unlimited token: %+v %v", found, err)
		}
	})
	for _, tt := range []struct {
		name  string
		in    storage.TokenInput
		code  string
		field string
	}{
		{"NoScope", storage.TokenInput{}, storage.EREQUIRED, "scopes"},
		{"UnknownScope", storage.TokenInput{Scopes: []string{"admin"}}, storage.EINVALID, "scopes"},
		{"NegativeBudget", storage.TokenInput{Scopes: []string{storage.ScopeRead}, CostBudget: n(-1)}, storage.EINVALID, "costBudget"},
		{"ZeroRestore", storage.TokenInput{Scopes: []string{storage.ScopeRead}, CostRestore: n(0)}, storage.EINVALID, "costRestore"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, err := db.ListTokens(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = db.CreateTokenWith(ctx, tt.in)
			if storage.ErrorCode(err) != tt.code || storage.AsErrors(err)[0].Field != tt.field {
				t.Fatalf("err=%v, want %s on %s", err, tt.code, tt.field)
			}
			if after, _ := db.ListTokens(ctx); len(after) != len(before) {
				t.Fatal("a refused token was written")
			}
		})
	}
}
