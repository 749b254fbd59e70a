package graph_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/storefront/customers/graph"
)

// TestHostileQueries sends what an attacker or a careless client would;
// each is refused with its code, and a normal query answers right after.
func TestHostileQueries(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	mustCreateCustomers(t, s.db, 3, at("2020-01-01T00:00:00Z"), "h")
	normal := func(t *testing.T) {
		t.Helper()
		var out struct {
			Customers struct{ Nodes []node } `json:"customers"`
		}
		s.mustQuery(`{ customers { nodes { id } } }`, nil, &out)
		if len(out.Customers.Nodes) != 3 {
			t.Fatalf("after the hostile query, %d customers, want 3", len(out.Customers.Nodes))
		}
	}
	deep := "{ customers { nodes { addresses { customer { group { customers { nodes { addresses { customer { group { customers { nodes { addresses { customer { id } } } } } } } } } } } } } } }"
	var aliases []string
	for i := range 200 {
		aliases = append(aliases, fmt.Sprintf("a%d: customers(limit: 250) { nodes { id addresses { id } } }", i))
	}
	tests := []struct {
		name, query, code string
	}{
		{"DeepNesting", deep, graph.CodeComplexityLimit},
		{"AliasFlood", "{ " + strings.Join(aliases, " ") + " }", graph.CodeComplexityLimit},
		{"LimitAbuse", `{ customers(limit: 250) { nodes { addresses { formFields { name } } group { customers(limit: 250) { nodes { id } } } } } }`,
			graph.CodeComplexityLimit},
		{"LimitOutOfRange", `{ customers(limit: 100000) { nodes { id } } }`, "BAD_USER_INPUT"},
		{"FragmentCycle", `{ customers { nodes { ...A } } } fragment A on Customer { group { customers { nodes { ...B } } } }
			fragment B on Customer { ...A }`, "GRAPHQL_VALIDATION_FAILED"},
		{"ParseError", `{ customers { nodes { id }`, "GRAPHQL_PARSE_FAILED"},
		{"TooManyTokens", "{ " + strings.Repeat("__typename ", 20000) + "}", "GRAPHQL_PARSE_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(tt.query, nil)
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tt.code {
				t.Fatalf("errors=%+v, want %s", r.Errors, tt.code)
			}
			if string(r.Data) != "" && string(r.Data) != "null" {
				t.Fatalf("data=%s, want none", r.Data)
			}
			normal(t)
		})
	}
	t.Run("LargeBody", func(t *testing.T) {
		body := `{"query": "{ customers { nodes { id } } }", "variables": {"pad": "` + strings.Repeat("x", 3<<20) + `"}}`
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", s.token)
		res, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), graph.CodeRequestTooLarge) {
			t.Fatalf("status %d, body %.200s", res.StatusCode, raw)
		}
		normal(t)
	})
	t.Run("LargeChunkedBody", func(t *testing.T) {
		body := io.MultiReader(strings.NewReader(`{"query": "{ customers { nodes { id } } }", "variables": {"pad": "`),
			bytes.NewReader(bytes.Repeat([]byte("x"), 3<<20)), strings.NewReader(`"}}`))
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL, body)
		req.ContentLength = -1 // chunked: the size is not known up front
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", s.token)
		res, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode < 400 || strings.Contains(string(raw), `"customers"`) {
			t.Fatalf("status %d, body %.300s: a 3 MB body was read", res.StatusCode, raw)
		}
		normal(t)
	})
}

// TestCostReportAndBudget checks extensions.cost and the per-caller budget
// that refills over time.
func TestCostReportAndBudget(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) {
		o.Limits = graph.Limits{MaxDepth: 15, MaxCost: 1000, Budget: 1500, Restore: 1}
	})
	mustCreateCustomers(t, s.db, 2, at("2020-01-01T00:00:00Z"), "c")
	// limit 20 customers, each with addresses (10 x 1): 20 x (1 + 1 + 10) = 240.
	q := `{ customers(limit: 20) { nodes { id addresses { id } } } }`
	r := s.do(q, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	cost, _ := r.Extensions["cost"].(map[string]any)
	status, _ := cost["throttleStatus"].(map[string]any)
	if cost["requestedQueryCost"] != float64(240) || cost["maximumQueryCost"] != float64(1000) ||
		status["maximumAvailable"] != float64(1500) || status["restoreRate"] != float64(1) {
		t.Fatalf("extensions.cost=%v", r.Extensions["cost"])
	}
	if got := status["currentlyAvailable"].(float64); got < 1259 || got > 1261 {
		t.Fatalf("currentlyAvailable=%v, want about 1260", got)
	}
	// Spend the rest: 1260 - 5 x 240 leaves 60, so the sixth is refused.
	for range 5 {
		if r := s.do(q, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	r = s.do(q, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeThrottled {
		t.Fatalf("errors=%+v, want THROTTLED", r.Errors)
	}
	// Another caller has a budget of its own.
	other, _, err := s.db.CreateToken(context.Background(), "other", []string{"store_v2_customers_read_only"})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.doWith(q, nil, http.Header{"X-Auth-Token": {other}}); len(r.Errors) > 0 {
		t.Fatalf("another caller: %+v", r.Errors)
	}
	// A cheap query still fits the throttled caller's remainder.
	if r := s.do(`{ customers(limit: 1) { nodes { id } } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("a cheap query: %+v", r.Errors)
	}
}

// TestIntrospectionSwitch: introspection answers by default and is refused
// when switched off, while normal queries keep working.
func TestIntrospectionSwitch(t *testing.T) {
	t.Parallel()
	on := newTestServer(t)
	on.mustQuery(`{ __schema { queryType { name } } }`, nil, nil)
	// Introspection needs no credentials.
	if r := on.doWith(`{ __type(name: "Customer") { name } }`, nil, nil); len(r.Errors) > 0 {
		t.Fatalf("anonymous introspection: %+v", r.Errors)
	}
	off := newTestServer(t, func(o *graph.Options) { o.DisableIntrospection = true })
	r := off.do(`{ __schema { queryType { name } } }`, nil)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("introspection while disabled: %+v", r.Errors)
	}
	off.mustQuery(`{ customers { nodes { id } } }`, nil, nil)
}

// TestPersistedQueries: a query sent once with its hash can be sent again
// by hash alone; an unknown hash asks for the query.
func TestPersistedQueries(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	query := `{ customers { nodes { id } } }`
	post := func(body string) response {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", s.token)
		res, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r response
		raw, _ := io.ReadAll(res.Body)
		if err := jsonUnmarshal(raw, &r); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return r
	}
	ext := `"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "` + sha256Hex(query) + `"}}`
	r := post(`{` + ext + `}`)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %+v", r.Errors)
	}
	if r := post(`{"query": "` + query + `", ` + ext + `}`); len(r.Errors) > 0 {
		t.Fatalf("register: %+v", r.Errors)
	}
	if r := post(`{` + ext + `}`); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "customers") {
		t.Fatalf("by hash: %+v %s", r.Errors, r.Data)
	}
}

// TestCORS answers preflights for configured storefront origins only.
func TestCORS(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) { o.CORSOrigins = []string{"https://shop.example.com"} })
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, s.srv.URL, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type, authorization")
		res, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := preflight("https://shop.example.com")
	if res.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Customers-Write-Position") {
		t.Fatalf("allowed origin: %d %v", res.StatusCode, res.Header)
	}
	// A page may read the write position a response carries.
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL, strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Origin", "https://shop.example.com")
	req.Header.Set("Content-Type", "application/json")
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "Customers-Write-Position") {
		t.Fatalf("Access-Control-Expose-Headers %q, want Customers-Write-Position", got)
	}
	if res := preflight("https://evil.example"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("another origin got %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
}
