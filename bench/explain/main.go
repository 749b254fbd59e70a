// Command explain shows what SQL each benchmark scenario runs on the
// GraphQL path and how SQLite plans it (BENCHMARKS.md, query plans):
//
//	go run ./bench/explain -db /tmp/customers-1m.db
//
// It sends every scenario once through the real GraphQL handler, in
// process, recording each statement the store runs (storage.DB.Observer)
// with its time (as the store's Observer sees it: until the statement's
// first row, not its last), then prints, per scenario, the statements in
// order with that time and `EXPLAIN QUERY PLAN` (run with unbound parameters, which
// plans as the bound statement does, except that LIMIT values are unknown).
// The baseline's statements are explained too.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/storefront/customers/bench/suite"
	"github.com/storefront/customers/storage"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

func main() {
	path := flag.String("db", "", "the benchmark database file (required)")
	reps := flag.Int("reps", 3, "runs of each scenario; the statement times shown are of the last (warm) run")
	flag.Parse()
	if err := run(*path, *reps); err != nil {
		fmt.Fprintln(os.Stderr, "explain:", err)
		os.Exit(1)
	}
}

type stmt struct {
	text string
	took time.Duration
}

func run(path string, reps int) error {
	if path == "" {
		return fmt.Errorf("-db is required")
	}
	ctx := context.Background()
	store, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	token, _, err := store.CreateToken(ctx, "bench-explain", []string{storage.ScopeRead})
	if err != nil {
		return err
	}
	h := suite.GraphQLHandler(store, suite.GraphQLOptions{NoTelemetry: true})
	var (
		mu       sync.Mutex
		recorded []stmt
	)
	store.Observer = func(_ context.Context, statement string, d time.Duration, _ error) {
		mu.Lock()
		recorded = append(recorded, stmt{statement, d})
		mu.Unlock()
	}
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer ro.Close()
	var n int
	if err := ro.QueryRow(`SELECT MAX(id) FROM customers`).Scan(&n); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, sc := range suite.Scenarios {
		var took time.Duration
		for range max(reps, 1) {
			mu.Lock()
			recorded = nil
			mu.Unlock()
			vars, _ := sc.Next(r, n)
			req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(suite.Body(sc.Query, vars)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Auth-Token", token)
			w := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(w, req)
			took = time.Since(start)
			if w.Code != 200 || bytes.Contains(w.Body.Bytes(), []byte(`"errors":`)) {
				return fmt.Errorf("%s: status %d: %.300s", sc.Name, w.Code, w.Body.Bytes())
			}
		}
		fmt.Printf("=== %s: %s for the whole request, %d statements\n", sc.Name, took.Round(time.Microsecond), len(recorded))
		for i, s := range recorded {
			fmt.Printf("--- %d. %s\n%s\n", i+1, s.took.Round(time.Microsecond), oneLine(s.text))
			if err := explain(ro, s.text); err != nil {
				return err
			}
		}
		fmt.Println()
	}
	fmt.Println("=== baseline statements (bench/baseline)")
	for _, s := range baselineStatements {
		fmt.Printf("--- %s\n", oneLine(s))
		if err := explain(ro, s); err != nil {
			return err
		}
	}
	return nil
}

// baselineStatements are the baseline's statements (bench/baseline).
var baselineStatements = []string{
	`SELECT c.id, c.email, c.first_name, c.last_name, c.date_created, g.id, g.name FROM customers c LEFT JOIN customer_groups g ON g.id = c.customer_group_id WHERE instr(c.name_fold, ?) > 0 ORDER BY c.date_created DESC, c.id DESC LIMIT ?`,
	`SELECT a.customer_id, 0, a.id, COALESCE(f.name, ''), a.address1, a.city, a.country_code, v.value FROM customer_addresses a LEFT JOIN customer_form_field_values v ON v.address_id = a.id AND v.address_id IS NOT NULL LEFT JOIN customer_form_fields f ON f.id = v.form_field_id WHERE a.customer_id IN (SELECT value FROM json_each(?1)) UNION ALL SELECT v.customer_id, 1, v.id, '', v.value, t.name, t.type, NULL FROM customer_attribute_values v JOIN customer_attributes t ON t.id = v.attribute_id WHERE v.customer_id IN (SELECT value FROM json_each(?1)) UNION ALL SELECT v.customer_id, 2, 0, f.name, v.value, NULL, NULL, NULL FROM customer_form_field_values v JOIN customer_form_fields f ON f.id = v.form_field_id WHERE v.customer_id IN (SELECT value FROM json_each(?1)) AND v.customer_id IS NOT NULL UNION ALL SELECT s.customer_id, 3, s.id, '', s.amount, NULL, NULL, NULL FROM customer_store_credit s WHERE s.customer_id IN (SELECT value FROM json_each(?1))`,
	`SELECT c.id, c.email, c.first_name, c.last_name, c.date_created FROM customers c WHERE instr(c.name_fold, ?) > 0 ORDER BY c.id LIMIT ?`,
}

// placeholders counts the parameters of a statement (`?` and `?NNN`; the
// store's statements hold no `?` in literals), for null arguments: the
// driver wants every parameter bound, and the plan does not depend on them.
func placeholders(s string) int {
	seq, numbered := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != '?' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			seq++
			continue
		}
		n, _ := strconv.Atoi(s[i+1 : j])
		numbered = max(numbered, n)
	}
	return max(seq, numbered)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// explain prints the statement's query plan as an indented tree.
func explain(db *sql.DB, statement string) error {
	rows, err := db.Query("EXPLAIN QUERY PLAN "+statement, make([]any, placeholders(statement))...)
	if err != nil {
		return fmt.Errorf("explain %q: %w", oneLine(statement), err)
	}
	defer rows.Close()
	depth := map[int]int{0: 0}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return err
		}
		depth[id] = depth[parent] + 1
		fmt.Printf("    %s%s\n", strings.Repeat("  ", depth[id]-1), detail)
	}
	return rows.Err()
}
