package graph_test

import (
	"fmt"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/internal/testsize"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentWritersAndReaders runs 8 writers, each committing 200
// batches (40 without -tags slow) through the API, while 8 readers page through the customers:
// no write fails (SQLite's busy errors never reach a client) and the final
// counts are exact.
func TestConcurrentWritersAndReaders(t *testing.T) {
	t.Parallel()
	const (
		writers   = 8
		batchSize = 2
		readers   = 8
	)
	batches := testsize.Pick(200, 40)
	// One token does all the reading and writing here: no cost budget.
	s := newTestServer(t, func(o *graph.Options) {
		o.Limits = graph.Limits{MaxDepth: 15, MaxCost: 1 << 30, Budget: 1 << 30, Restore: 1 << 30}
	})
	var (
		wg      sync.WaitGroup
		done    atomic.Bool
		reads   atomic.Int64
		failure atomic.Value
		// Readers walk once per round of progress by the writers, so that
		// they read all along without starving the writers of CPU.
		mu       sync.Mutex
		progress = sync.NewCond(&mu)
		round    int
	)
	fail := func(format string, args ...any) { failure.CompareAndSwap(nil, fmt.Sprintf(format, args...)) }
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sorts := []string{"ID_ASC", "DATE_CREATED_DESC", "LAST_NAME_ASC"}
			for seenRound := -1; !done.Load(); {
				mu.Lock()
				for round == seenRound && !done.Load() {
					progress.Wait()
				}
				seenRound = round
				mu.Unlock()
				// One walk: no customer may show up twice, whatever is
				// inserted meanwhile.
				seen := map[int]bool{}
				var after any
				for {
					var out struct {
						Customers struct {
							Nodes    []node `json:"nodes"`
							PageInfo struct {
								HasNextPage bool    `json:"hasNextPage"`
								EndCursor   *string `json:"endCursor"`
							} `json:"pageInfo"`
						} `json:"customers"`
					}
					res := s.do(`query($after: String, $sort: CustomerSort) { customers(limit: 100, after: $after, sort: $sort) {
						nodes { id } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after, "sort": sorts[r%len(sorts)]})
					if len(res.Errors) > 0 {
						fail("reader %d: %+v", r, res.Errors)
						return
					}
					if err := jsonUnmarshal(res.Data, &out); err != nil {
						fail("reader %d: %v", r, err)
						return
					}
					reads.Add(1)
					for _, n := range out.Customers.Nodes {
						if seen[n.ID] {
							fail("reader %d saw customer %d twice in one walk", r, n.ID)
							return
						}
						seen[n.ID] = true
					}
					if !out.Customers.PageInfo.HasNextPage || done.Load() {
						break
					}
					after = *out.Customers.PageInfo.EndCursor
				}
			}
		}()
	}
	var writes sync.WaitGroup
	for w := range writers {
		writes.Add(1)
		go func() {
			defer writes.Done()
			for b := range batches {
				var items []string
				for i := range batchSize {
					items = append(items, fmt.Sprintf(`{email: "w%d-b%d-i%d@load.example", firstName: "W%d", lastName: "B%d",
						addresses: [{firstName: "W", lastName: "B", address1: "1 Main", city: "Austin", stateOrProvince: "Texas",
						postalCode: "78701", countryCode: "US"}]}`, w, b, i, w, b))
				}
				res := s.do(`mutation { createCustomers(input: [`+strings.Join(items, ",")+`]) { customers { id } userErrors { code message } } }`, nil)
				if len(res.Errors) > 0 || !strings.Contains(string(res.Data), `"userErrors":[]`) {
					fail("writer %d batch %d: %+v %s", w, b, res.Errors, res.Data)
					return
				}
				if w == 0 && b%25 == 0 {
					mu.Lock()
					round++
					progress.Broadcast()
					mu.Unlock()
				}
			}
		}()
	}
	writes.Wait()
	mu.Lock()
	done.Store(true)
	progress.Broadcast()
	mu.Unlock()
	wg.Wait()
	if f := failure.Load(); f != nil {
		t.Fatal(f)
	}
	var out struct {
		Customers         struct{ Pagination struct{ Total int } } `json:"customers"`
		CustomerAddresses struct{ Pagination struct{ Total int } } `json:"customerAddresses"`
	}
	s.mustQuery(`{ customers { pagination { total } } customerAddresses { pagination { total } } }`, nil, &out)
	want := writers * batches * batchSize
	if out.Customers.Pagination.Total != want || out.CustomerAddresses.Pagination.Total != want {
		t.Fatalf("%d customers and %d addresses, want %d each", out.Customers.Pagination.Total, out.CustomerAddresses.Pagination.Total, want)
	}
	if reads.Load() == 0 {
		t.Fatal("the readers read nothing")
	}
	t.Logf("%d writes and %d page reads", writers*batches, reads.Load())
}
