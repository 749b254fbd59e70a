package graph_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/storefront/customers/bench/baseline"
	"github.com/storefront/customers/bench/suite"
	"github.com/storefront/customers/storage"
)

// Whole operations of the benchmark suite (BENCHMARKS.md), in process
// through httptest: each scenario through the GraphQL handler (the server
// stack with telemetry, and the bare graph.NewHandler) and through the
// hand-written baseline, over the generated 10k data set (made once and
// cached; BENCH_DB=/path/to.db uses another):
//
//	go test -run '^$' -bench Operation -benchmem ./graph/
//	go test -run '^$' -bench 'Operation/reference/graphql$' -cpuprofile /tmp/graphql.pprof ./graph/
func BenchmarkOperation(b *testing.B) {
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
	pg, err := db.FindCustomers(ctx, storage.CustomerFilter{}, storage.SortIDDesc, storage.PageRequest{Page: 1, Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	n := pg.Items[0].ID
	// graphql_client names a registered app in X-Auth-Client, as
	// BigCommerce's clients do with every request.
	app, err := db.CreateApp(ctx, storage.AppInput{Name: "bench", Scopes: []string{storage.ScopeRead}})
	if err != nil {
		b.Fatal(err)
	}
	// The bare handler gets a store of its own: the stack sets the store's
	// SQL observer.
	bare, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	base, err := baseline.Open(ctx, path, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer base.Close()
	handlers := []struct {
		name    string
		h       http.Handler
		graphql bool
	}{
		{"graphql", suite.GraphQLHandler(db, suite.GraphQLOptions{}), true},
		{"graphql_client", suite.GraphQLHandler(db, suite.GraphQLOptions{}), true},
		{"graphql_bare", suite.GraphQLHandler(bare, suite.GraphQLOptions{NoTelemetry: true}), true},
		{"baseline", base.Handler(), false},
	}
	for _, sc := range suite.Scenarios {
		b.Run(sc.Name, func(b *testing.B) {
			for _, hc := range handlers {
				b.Run(hc.name, func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					for b.Loop() {
						vars, path := sc.Next(r, n)
						var req *http.Request
						if hc.graphql {
							req = httptest.NewRequest("POST", "/graphql", bytes.NewReader(suite.Body(sc.Query, vars)))
							req.Header.Set("Content-Type", "application/json")
							req.Header.Set("X-Auth-Token", token)
							if hc.name == "graphql_client" {
								req.Header.Set("X-Auth-Client", app.ClientID)
							}
						} else {
							req = httptest.NewRequest("GET", path, nil)
						}
						w := httptest.NewRecorder()
						hc.h.ServeHTTP(w, req)
						if w.Code != 200 || (hc.graphql && bytes.Contains(w.Body.Bytes(), []byte(`"errors":`))) {
							b.Fatalf("status %d: %.300s", w.Code, w.Body.Bytes())
						}
					}
				})
			}
		})
	}
}
