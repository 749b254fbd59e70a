package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/storage"
)

// postFull posts a query with the given headers and returns the decoded
// response and the response's headers.
func (s *testServer) postFull(query string, vars map[string]any, header http.Header) (response, http.Header) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		s.t.Fatalf("decode %q: %v", raw, err)
	}
	r.Status = res.StatusCode
	return r, res.Header
}

// costOf returns a response's extensions.cost.
func costOf(t *testing.T, r response) (requested, actual, available float64, status map[string]any) {
	t.Helper()
	cost, ok := r.Extensions["cost"].(map[string]any)
	if !ok {
		t.Fatalf("no extensions.cost: %+v", r.Extensions)
	}
	status, _ = cost["throttleStatus"].(map[string]any)
	if status != nil {
		available = status["currentlyAvailable"].(float64)
	}
	return cost["requestedQueryCost"].(float64), cost["actualQueryCost"].(float64), available, status
}

// TestCostBudget_RetryAfter: a request refused for its budget says how long
// until it fits, in extensions.retryAfterSeconds and in Retry-After, and
// the wait is the true one.
func TestCostBudget_RetryAfter(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) {
		o.Limits = graph.Limits{MaxDepth: 15, MaxCost: 1000, Budget: 1000, Restore: 10}
	})
	q := `{ customers(limit: 80) { nodes { id } } }` // 80 x (1 + 1) = 160
	auth := http.Header{"X-Auth-Token": {s.token}}
	var left float64
	for range 6 { // 1000 - 6 x 160 = 40 left
		r, h := s.postFull(q, nil, auth)
		if len(r.Errors) > 0 || h.Get("Retry-After") != "" {
			t.Fatalf("errors=%+v Retry-After=%q", r.Errors, h.Get("Retry-After"))
		}
		_, _, left, _ = costOf(t, r)
	}
	r, h := s.postFull(q, nil, auth)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeThrottled {
		t.Fatalf("errors=%+v, want THROTTLED", r.Errors)
	}
	secs, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64)
	// What is missing refills at 10 a second; a little has refilled since.
	want := math.Ceil((160 - left) / 10)
	if secs < want-1 || secs > want {
		t.Fatalf("retryAfterSeconds=%v, want about %v (left %v)", secs, want, left)
	}
	if h.Get("Retry-After") != strconv.Itoa(int(secs)) {
		t.Fatalf("Retry-After=%q, want %v", h.Get("Retry-After"), secs)
	}
	if !strings.Contains(r.Errors[0].Message, "refills by 10 a second") {
		t.Fatalf("message %q", r.Errors[0].Message)
	}
}

// TestLoginThrottle_RetryAfter: a sign-in refused by its throttle says the
// true wait, in words, in extensions.retryAfterSeconds and in Retry-After.
func TestLoginThrottle_RetryAfter(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) {
		// One attempt an hour: the two attempts (each hashes a password,
		// seconds under -race on a busy machine) never refill the bucket.
		o.Throttles = graph.Throttles{CredentialsEvery: time.Hour, CredentialsBurst: 2,
			SignupsEvery: time.Hour, SignupsBurst: 1}
	})
	login := `mutation { login(email: "nobody@x.example", password: "guess") { accessToken userErrors { code } } }`
	start := time.Now()
	for range 2 {
		if r, _ := s.postFull(login, nil, nil); len(r.Errors) > 0 {
			t.Fatalf("within the burst: %+v", r.Errors)
		}
	}
	r, h := s.postFull(login, nil, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeThrottled {
		t.Fatalf("errors=%+v, want THROTTLED", r.Errors)
	}
	secs, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64)
	// The wait is an hour less what refilled while the attempts ran.
	if low := 3600 - time.Since(start).Seconds() - 1; secs < low || secs > 3600 {
		t.Fatalf("retryAfterSeconds=%v, want 3600 less the %v the attempts took", secs, time.Since(start))
	}
	if h.Get("Retry-After") != strconv.Itoa(int(secs)) {
		t.Fatalf("Retry-After=%q, want %v", h.Get("Retry-After"), secs)
	}
	if want := "try again in " + strconv.Itoa(int(secs)) + " seconds"; !strings.Contains(r.Errors[0].Message, want) {
		t.Fatalf("message %q, want it to say %q", r.Errors[0].Message, want)
	}
	// Sign-ups have their own throttle: one, then an hour.
	signups := time.Now()
	reg := `mutation { registerCustomer(input: {email: "new@x.example", firstName: "N", lastName: "W", password: "Passw0rd!long"}) { userErrors { code } } }`
	s.postFull(reg, nil, nil)
	r, h = s.postFull(reg, nil, nil)
	if len(r.Errors) != 1 {
		t.Fatalf("sign-up: errors=%+v, want THROTTLED", r.Errors)
	}
	secs, _ = r.Errors[0].Extensions["retryAfterSeconds"].(float64)
	if low := 3600 - time.Since(signups).Seconds() - 1; secs < low || secs > 3600 || h.Get("Retry-After") != strconv.Itoa(int(secs)) {
		t.Fatalf("sign-up throttled: %+v, Retry-After %q", r.Errors, h.Get("Retry-After"))
	}
}

// TestCostBudget_PerToken: a token made with its own budget spends from
// that, one with 0 is unlimited, and one whose budget can never hold a
// query is told so rather than told to wait.
func TestCostBudget_PerToken(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) {
		o.Limits = graph.Limits{MaxDepth: 15, MaxCost: 10_000, Budget: 1000, Restore: 1}
	})
	ctx := context.Background()
	n := func(v int) *int { return &v }
	big, _, err := s.db.CreateTokenWith(ctx, storage.TokenInput{Name: "back office", Scopes: []string{storage.ScopeRead},
		CostBudget: n(50_000), CostRestore: n(5_000)})
	if err != nil {
		t.Fatal(err)
	}
	unlimited, _, err := s.db.CreateTokenWith(ctx, storage.TokenInput{Scopes: []string{storage.ScopeRead}, CostBudget: n(0)})
	if err != nil {
		t.Fatal(err)
	}
	small, _, err := s.db.CreateTokenWith(ctx, storage.TokenInput{Scopes: []string{storage.ScopeRead}, CostBudget: n(100)})
	if err != nil {
		t.Fatal(err)
	}
	q := `{ customers(limit: 250) { nodes { id } } }` // 500
	// The server's budget holds two of these; the back office's a hundred.
	for i := range 5 {
		r, _ := s.postFull(q, nil, http.Header{"X-Auth-Token": {big}})
		if len(r.Errors) > 0 {
			t.Fatalf("query %d with the back office token: %+v", i, r.Errors)
		}
		_, _, left, status := costOf(t, r)
		if status["maximumAvailable"] != float64(50_000) || status["restoreRate"] != float64(5_000) || left > float64(50_000-500*(i+1)+5_000) {
			t.Fatalf("throttleStatus=%v", status)
		}
	}
	for range 3 {
		if r, _ := s.postFull(q, nil, http.Header{"X-Auth-Token": {s.token}}); len(r.Errors) > 0 {
			if r.Errors[0].Extensions["code"] != graph.CodeThrottled {
				t.Fatalf("server budget: %+v", r.Errors)
			}
			goto unlimitedToken
		}
	}
	t.Fatal("the server's budget of 1000 let three queries of 500 through")
unlimitedToken:
	for range 20 {
		r, _ := s.postFull(q, nil, http.Header{"X-Auth-Token": {unlimited}})
		if len(r.Errors) > 0 {
			t.Fatalf("unlimited token: %+v", r.Errors)
		}
		if _, actual, _, status := costOf(t, r); status != nil || actual != 500 {
			t.Fatalf("unlimited token: throttleStatus=%v actualQueryCost=%v, want null and 500", status, actual)
		}
	}
	r, h := s.postFull(q, nil, http.Header{"X-Auth-Token": {small}})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeComplexityLimit || h.Get("Retry-After") != "" {
		t.Fatalf("a query over the token's whole budget: %+v (Retry-After %q)", r.Errors, h.Get("Retry-After"))
	}
}

// TestCostBudget_ChargeOnlyWhatRuns: requests refused before they run
// spend nothing, and fields refused without running are given back; what
// ran is paid for.
func TestCostBudget_ChargeOnlyWhatRuns(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) {
		o.Limits = graph.Limits{MaxDepth: 5, MaxCost: 5000, Budget: 1000, Restore: 1}
	})
	f := seedAccess(t, s)
	shopper := bearer(s.login(t, f.emailA, f.pw))
	admin := http.Header{"X-Auth-Token": {s.token}}
	read := http.Header{"X-Auth-Token": {f.readToken}}
	costly := `{ customers(limit: 250) { nodes { id } } }` // 500: three would spend more than the budget

	tests := []struct {
		name       string
		header     http.Header
		query      string
		code       string // of the (first) error
		wantActual float64
	}{
		{"NoCredentials", nil, costly, graph.CodeUnauthenticated, 0},
		{"RevokedToken", http.Header{"X-Auth-Token": {"cust_revoked-or-unknown"}}, costly, graph.CodeUnauthenticated, 0},
		{"ReadTokenWriting", read, `mutation { deleteCustomers(idIn: [1]) { deletedIds } }`, graph.CodeForbidden, 0},
		{"ShopperOnAdminList", shopper, costly, graph.CodeForbidden, 0},
		{"BadArgument", admin, `{ customers(limit: 100000) { nodes { id } } }`, graph.CodeBadUserInput, 0},
		{"BadFilter", admin, `{ customers(limit: 250, filter: {dateCreatedMin: "yesterday"}) { nodes { id } } }`, graph.CodeBadUserInput, 0},
		// The shopper's own record ran (1 + its group 1); the group's member
		// list was refused, and is given back.
		{"NestedRefused", shopper, `{ me { id group { name customers(limit: 250) { nodes { id } } } } }`, graph.CodeForbidden, 2},
		// One field ran, one was refused: only the first is paid.
		{"HalfRefused", read, `{ a: customers(limit: 10) { nodes { id } } b: webhooks(limit: 250) { nodes { id } } }`,
			graph.CodeForbidden, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first float64
			for i := range 4 {
				r, h := s.postFull(tt.query, nil, tt.header)
				if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tt.code {
					t.Fatalf("request %d: errors=%+v, want %s", i, r.Errors, tt.code)
				}
				if h.Get("Retry-After") != "" {
					t.Fatalf("request %d: Retry-After %q on a refusal that costs nothing", i, h.Get("Retry-After"))
				}
				requested, actual, left, _ := costOf(t, r)
				if actual != tt.wantActual || requested <= actual {
					t.Fatalf("request %d: requested %v, actual %v, want actual %v", i, requested, actual, tt.wantActual)
				}
				// Each request spends its actual cost and nothing more (the
				// first one's bucket may have paid for earlier sign-ins).
				if i == 0 {
					first = left + actual
				}
				if left < first-float64(i+1)*tt.wantActual-1 {
					t.Fatalf("request %d: %v left, from %v", i, left, first)
				}
			}
		})
	}

	// Refused before running at all: nothing spent, as the next report shows.
	t.Run("RefusedWholeRequests", func(t *testing.T) {
		other, _, err := s.db.CreateToken(context.Background(), "other", []string{storage.ScopeRead})
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{"X-Auth-Token": {other}}
		for _, q := range []string{
			`{ customers(limit: 250) { nodes { nope } } }`,                                             // invalid
			`{ customers(limit: 250) { nodes { group { customers { nodes { group { name } } } } } } }`, // too deep
			`{ a: customers(limit: 250) { nodes { addresses { id } } } }`,                              // too costly
			`{ customers(limit: 250 { nodes { id } } }`,                                                // does not parse
		} {
			for range 3 {
				if r, _ := s.postFull(q, nil, h); len(r.Errors) == 0 {
					t.Fatalf("%s was accepted", q)
				}
			}
		}
		r, _ := s.postFull(`{ customers(limit: 1) { nodes { id } } }`, nil, h)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if _, actual, left, _ := costOf(t, r); actual != 2 || left < 998 {
			t.Fatalf("after twelve refused requests: paid %v, %v left of 1000", actual, left)
		}
	})
}
