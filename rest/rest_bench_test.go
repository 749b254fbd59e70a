package rest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/storefront/customers/bench/suite"
	"github.com/storefront/customers/storage"
)

// BenchmarkReference compares, on the benchmark's 10k store (suite.CachedDB)
// and in one process, the REST reference read (V3 GET /customers with the
// four includes and its pagination block) with the GraphQL reference query,
// both through the full server stack (suite.GraphQLHandler). Compare the
// two sub-benchmarks' ns/op: their ratio is the REST read's cost over the
// GraphQL one's.
func BenchmarkReference(b *testing.B) {
	ctx := context.Background()
	path, err := suite.CachedDB(ctx, 10_000)
	if err != nil {
		b.Fatal(err)
	}
	db, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	token, _, err := db.CreateToken(ctx, "bench", []string{storage.ScopeRead})
	if err != nil {
		b.Fatal(err)
	}
	h := suite.GraphQLHandler(db, suite.GraphQLOptions{})
	run := func(b *testing.B, req func() *http.Request) {
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req())
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	}
	b.Run("GraphQL", func(b *testing.B) {
		body := suite.Body(suite.ReferenceQuery, "")
		run(b, func() *http.Request {
			r := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Auth-Token", token)
			return r
		})
	})
	b.Run("REST", func(b *testing.B) {
		run(b, func() *http.Request {
			r := httptest.NewRequest("GET", suite.RESTReference, nil)
			r.Header.Set("X-Auth-Token", token)
			return r
		})
	})
}
