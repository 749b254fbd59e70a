// Package suite holds what the benchmark suite's parts share
// (BENCHMARKS.md): the scenarios, each a GraphQL query and the baseline
// route that answers the same `data`; the GraphQL server stack as
// server.go builds it; and Prepare, which makes a benchmark database the
// way the published data sets are made (definitions, then Import).
package suite

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/bench/benchdata"
	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/rest"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/telemetry"
)

// ReferenceQuery is the reference query: the 50 newest customers
// whose name contains "an", each with addresses (and their form fields),
// attribute values with their attribute's name and type, form fields, store
// credit and group.
const ReferenceQuery = `query Reference {
  customers(filter: {nameLike: ["an"]}, sort: DATE_CREATED_DESC, limit: 50) {
    nodes {` + customerSelection + `    }
  }
}`

// CustomerQuery is one customer by id, with the reference node selection
// (an account page).
const CustomerQuery = `query Customer($id: Int!) {
  customer(id: $id) {` + customerSelection + `  }
}`

// customerSelection is what the reference query and CustomerQuery select
// of a customer.
const customerSelection = `
      id email firstName lastName dateCreated
      addresses { id address1 city countryCode formFields { name value } }
      attributes { value attribute { name type } }
      formFields { name value }
      storeCredit { amount }
      group { id name }
`

// RareNameQuery searches a name that one customer in 100,000 has
// (benchdata.RareFirstName), in the default order: the trigram index finds
// it (the baseline scans every row).
var RareNameQuery = `query RareName {
  customers(filter: {nameLike: ["` + benchdata.RareFirstName + `"]}, limit: 50) {
    nodes { id email firstName lastName dateCreated }
  }
}`

// PageQuery is a plain first page: 50 customers by id, scalars only.
const PageQuery = `query Page {
  customers(limit: 50) {
    nodes { id email firstName lastName dateCreated }
  }
}`

// Scenario is one kind of request the suite measures.
type Scenario struct {
	// Name identifies it in flags and results: reference, customer,
	// rare_name, page.
	Name string
	// Query is the GraphQL query.
	Query string
	// Next returns the variables (a JSON object, "" for none) and the
	// baseline path (with its query string) of one request; r picks
	// whatever varies (the customer id). n is the data set's size.
	Next func(r *rand.Rand, n int) (variables, path string)
	// REST, when set, is the same read through the REST API: its path and
	// query under the server's root.
	REST string
}

// StoreHash is the store hash of the benchmark server's REST paths.
const StoreHash = "bench"

// RESTReference is the reference query through the REST API: the 50
// newest customers whose name contains "an", with V3's four includes
// (addresses with their form fields, store credit, attribute values, form
// fields), and V3's pagination block, which counts the matches.
const RESTReference = "/stores/" + StoreHash + "/v3/customers?name:like=an&sort=date_created:desc&limit=50&include=addresses,storecredit,attributes,formfields"

// Scenarios are the suite's scenarios, in reporting order.
var Scenarios = []Scenario{
	{Name: "reference", Query: ReferenceQuery, Next: func(*rand.Rand, int) (string, string) {
		return "", "/reference?name=an&limit=50"
	}, REST: RESTReference},
	{Name: "customer", Query: CustomerQuery, Next: func(r *rand.Rand, n int) (string, string) {
		id := strconv.Itoa(1 + r.IntN(max(n, 1)))
		return `{"id":` + id + `}`, "/customer?id=" + id
	}},
	{Name: "rare_name", Query: RareNameQuery, Next: func(*rand.Rand, int) (string, string) {
		return "", "/search?name=" + url.QueryEscape(benchdata.RareFirstName) + "&limit=50"
	}},
	{Name: "page", Query: PageQuery, Next: func(*rand.Rand, int) (string, string) {
		return "", "/page?limit=50"
	}, REST: "/stores/" + StoreHash + "/v3/customers?limit=50"},
}

// ScenarioByName returns the scenario called name.
func ScenarioByName(name string) (Scenario, bool) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Body returns the JSON body of a GraphQL POST.
func Body(query, variables string) []byte {
	var b strings.Builder
	b.WriteString(`{"query":`)
	b.WriteString(strconv.Quote(query))
	if variables != "" {
		b.WriteString(`,"variables":`)
		b.WriteString(variables)
	}
	b.WriteString(`}`)
	return []byte(b.String())
}

// BenchLimits are the GraphQL handler's limits under load. The default
// per-caller cost budget (graph.DefaultLimits: 250,000, refilling 25,000 a
// second) would throttle one benchmark token to about three reference
// queries a second, so the budget is made unlimited; depth and per-query
// cost limits stay as deployed.
var BenchLimits = graph.Limits{MaxDepth: graph.DefaultLimits.MaxDepth, MaxCost: graph.DefaultLimits.MaxCost,
	Budget: 1 << 40, Restore: 1 << 40}

// GraphQLOptions configure GraphQLHandler.
type GraphQLOptions struct {
	// Log receives the request and operation logs; nil discards them (they
	// are still formatted, as in production).
	Log io.Writer
	// NoTelemetry leaves out the logging, metrics and SQL observer that
	// server.go wraps around the handler.
	NoTelemetry bool
}

// GraphQLHandler returns the API server stack over db as server.go builds
// it (graph.NewHandler at /graphql and the REST API under /stores/, with
// request logs, operation logs and metrics, and the SQL statement
// observer), with BenchLimits, no REST rate limit, and introspection off.
func GraphQLHandler(db *storage.DB, opts GraphQLOptions) http.Handler {
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	log := telemetry.NewLogger(w, slog.LevelInfo)
	gopts := graph.Options{Logger: log, Limits: BenchLimits, DisableIntrospection: true}
	mux := http.NewServeMux()
	mux.Handle("/stores/", rest.NewHandler(db, rest.Options{StoreHash: StoreHash, Logger: log}))
	if opts.NoTelemetry {
		mux.Handle("/graphql", graph.NewHandler(db, gopts))
		return mux
	}
	metrics := telemetry.NewMetrics(telemetry.ReadBuild())
	gopts.Extensions = []graphql.HandlerExtension{telemetry.NewOperations(log, metrics)}
	gopts.OnBatch = metrics.ObserveBatch
	mux.Handle("/graphql", graph.NewHandler(db, gopts))
	db.Observer = telemetry.SQLObserver(nil, metrics)
	return telemetry.Handler(mux, log, metrics)
}

// Prepare makes a benchmark database of n customers at path, which must
// not exist: the definitions, then benchdata's lines through Import, then
// an API token with the write scope (which includes reads). It returns the
// open store and the token.
func Prepare(ctx context.Context, path string, n int) (db *storage.DB, token string, err error) {
	db, err = storage.Open(ctx, path, storage.Options{})
	if err != nil {
		return nil, "", err
	}
	fail := func(err error) (*storage.DB, string, error) {
		db.Close()
		return nil, "", err
	}
	if err := benchdata.CreateDefinitions(ctx, db); err != nil {
		return fail(err)
	}
	if err := ImportGenerated(ctx, db, n); err != nil {
		return fail(err)
	}
	token, _, err = db.CreateToken(ctx, "bench", []string{storage.ScopeWrite})
	if err != nil {
		return fail(err)
	}
	return db, token, nil
}

// ImportGenerated imports benchdata's n customers into db, which must hold
// the definitions, and fails on any rejected line.
func ImportGenerated(ctx context.Context, db *storage.DB, n int) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := benchdata.Write(pw, benchdata.DefaultSeed, n)
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	var problems []string
	st, err := db.Import(ctx, pr, func(p storage.ImportProblem) {
		if len(problems) < 5 {
			problems = append(problems, p.Error())
		}
	}, nil)
	if err != nil {
		return err
	}
	if st.Rejected > 0 {
		return fmt.Errorf("import rejected %d lines: %s", st.Rejected, strings.Join(problems, "; "))
	}
	return nil
}

// dataVersion names the generator's output in cached file names; bump it
// when benchdata's lines change.
const dataVersion = 1

// CachedDB returns the path of a benchmark database of n customers for go
// test -bench, made once with Prepare under the system's temporary
// directory (customers-bench/) and reused by later runs. The environment
// variable BENCH_DB, when set, names a database to use instead (say the 1M
// data set).
func CachedDB(ctx context.Context, n int) (string, error) {
	if p := os.Getenv("BENCH_DB"); p != "" {
		return p, nil
	}
	dir := filepath.Join(os.TempDir(), "customers-bench")
	path := filepath.Join(dir, fmt.Sprintf("v%d-seed%d-%d.db", dataVersion, benchdata.DefaultSeed, n))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build under a name of this process's own, then rename: test binaries
	// of several packages may race to make the same file.
	tmp, err := os.MkdirTemp(dir, "building-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	db, _, err := Prepare(ctx, filepath.Join(tmp, "db"), n)
	if err != nil {
		return "", err
	}
	if err := db.Close(); err != nil { // checkpoints the WAL into the file
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "db"), path); err != nil {
		return "", err
	}
	return path, nil
}
