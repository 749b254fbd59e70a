package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/storage"
)

// rawRequest sends a request built by the test and decodes the answer.
func (s *testServer) rawRequest(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("status %d, body %q: %v", res.StatusCode, raw, err)
	}
	r.Status = res.StatusCode
	return r
}

func codeOf(r response) any {
	if len(r.Errors) == 0 {
		return nil
	}
	return r.Errors[0].Extensions["code"]
}

// TestIntrospectionCost: introspection costs what it expands to, may not
// be repeated within an operation, and the amplification attack of many
// aliased __schema fields is refused before it runs; the playground's own
// introspection query still answers without credentials.
func TestIntrospectionCost(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := s.doWith(introspection.Query, nil, nil)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"Customer"`) {
		t.Fatalf("the standard introspection query: %+v", r.Errors)
	}
	full := r.Extensions["cost"].(map[string]any)["requestedQueryCost"].(float64)
	small := s.doWith(`{ __schema { queryType { name } } }`, nil, nil).Extensions["cost"].(map[string]any)["requestedQueryCost"].(float64)
	// The whole schema is thousands of objects; its query type, two.
	if full < 1000 || small > 5 {
		t.Fatalf("cost of the full introspection %v, of the query type %v", full, small)
	}

	var aliases []string
	for i := range 700 {
		aliases = append(aliases, fmt.Sprintf("a%d: __schema { types { name fields { name args { name } type { name } } } }", i))
	}
	attack := "{ " + strings.Join(aliases, " ") + " }"
	for name, tc := range map[string]struct {
		query string
		code  string
	}{
		"TwoSchemas":     {`{ a: __schema { queryType { name } } b: __schema { queryType { name } } }`, graph.CodeComplexityLimit},
		"ManyTypes":      {"{ " + manyTypes(11) + " }", graph.CodeComplexityLimit},
		"Amplification":  {attack, graph.CodeComplexityLimit},
		"SchemaFragment": {`{ ...A ...B } fragment A on Query { __schema { types { name } } } fragment B on Query { x: __schema { types { name } } }`, graph.CodeComplexityLimit},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.do(tc.query, nil)
			if codeOf(r) != tc.code || len(r.Data) > 0 && string(r.Data) != "null" {
				t.Fatalf("errors %+v data %.100s, want %s", r.Errors, r.Data, tc.code)
			}
		})
	}
	// Ten lookups of single types are fine.
	if r := s.do("{ "+manyTypes(10)+" }", nil); len(r.Errors) > 0 {
		t.Fatalf("ten __type: %+v", r.Errors)
	}
}

func manyTypes(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `t%d: __type(name: "Customer") { name fields { name } } `, i)
	}
	return b.String()
}

// TestDocumentLimits: documents too big to validate cheaply are refused on
// their parsed form, before validation, and callers without credentials
// get stricter limits.
func TestDocumentLimits(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	f := seedAccess(t, s)
	shopper := http.Header{"Authorization": {"Bearer " + s.login(t, f.emailA, f.pw)}}
	for name, tc := range map[string]struct {
		query  string
		header http.Header
	}{
		"Typenames":        {"{ " + strings.Repeat("__typename ", 14000) + "}", nil},
		"RepeatedField":    {"{ me { " + strings.Repeat("email ", 10000) + "} }", shopper},
		"Aliases":          {"{ " + aliasedTypenames(200) + " }", http.Header{"X-Auth-Token": {s.token}}},
		"AnonymousAliases": {"{ " + aliasedTypenames(25) + " }", nil},
		"AnonymousFields":  {"{ " + strings.Repeat("__typename ", 400) + "}", nil},
		"Directives":       {"{ " + strings.Repeat("__typename @skip(if: false) ", 200) + "}", http.Header{"X-Auth-Token": {s.token}}},
		"Fragments":        {"{ ...F0 } " + fragments(120), http.Header{"X-Auth-Token": {s.token}}},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.doWith(tc.query, nil, tc.header)
			if codeOf(r) != graph.CodeComplexityLimit {
				t.Fatalf("errors %+v, want %s", r.Errors, graph.CodeComplexityLimit)
			}
		})
	}
	// What an anonymous caller may not send, a token may.
	if r := s.do("{ "+strings.Repeat("__typename ", 400)+"}", nil); len(r.Errors) > 0 {
		t.Fatalf("400 selections with a token: %+v", r.Errors)
	}
	// Limits are options.
	strict := newTestServer(t, func(o *graph.Options) { o.DocumentLimits = graph.DocumentLimits{Selections: 3} })
	if r := strict.do(`{ customers { nodes { id email } } }`, nil); codeOf(r) != graph.CodeComplexityLimit {
		t.Fatalf("four selections over a limit of 3: %+v", r.Errors)
	}
}

func aliasedTypenames(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: __typename ", i)
	}
	return b.String()
}

func fragments(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { __typename } ", i)
	}
	return b.String()
}

// TestResponseSizeCap: an answer over the cap is replaced by a coded error.
func TestResponseSizeCap(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) { o.MaxResponseBytes = 2000 })
	mustCreateCustomers(t, s.db, 40, at("2020-01-01T00:00:00Z"), "big")
	r := s.do(`{ customers(limit: 40) { nodes { id email firstName lastName dateCreated } } }`, nil)
	if codeOf(r) != graph.CodeResponseTooLarge || (len(r.Data) > 0 && string(r.Data) != "null") {
		t.Fatalf("errors %+v data %.80s, want %s", r.Errors, r.Data, graph.CodeResponseTooLarge)
	}
	if r := s.do(`{ customers(limit: 2) { nodes { id } } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("a small answer: %+v", r.Errors)
	}
}

// TestDeadlineStopsWork: once a request's time is up, no further field is
// resolved (introspection included), and the answer carries one TIMEOUT;
// a request whose time is up before it runs gets the same answer.
func TestDeadlineStopsWork(t *testing.T) {
	t.Parallel()
	// gqlgen stops lists at the deadline by itself; a single object's
	// fields ran on before the field middleware looked.
	s := newTestServer(t, func(o *graph.Options) {
		o.Timeout = 50 * time.Millisecond
		o.Extensions = []graphql.HandlerExtension{stallUntilDeadline{field: "queryType"}}
	})
	r := s.doWith(`{ __schema { queryType { name } } }`, nil, nil)
	if codeOf(r) != graph.CodeTimeout || len(r.Errors) != 1 {
		t.Fatalf("errors %+v, want one TIMEOUT", r.Errors)
	}
	if strings.Contains(string(r.Data), `"Query"`) {
		t.Fatalf("fields were resolved after the deadline: %s", r.Data)
	}
	expired := newTestServer(t, func(o *graph.Options) { o.Timeout = time.Nanosecond })
	if r := expired.doWith(`{ __typename }`, nil, nil); codeOf(r) != graph.CodeTimeout {
		t.Fatalf("an expired request: %d %+v", r.Status, r.Errors)
	}
}

// stallUntilDeadline holds the named field until the request's deadline
// has passed, then lets it run.
type stallUntilDeadline struct{ field string }

func (stallUntilDeadline) ExtensionName() string                   { return "StallUntilDeadline" }
func (stallUntilDeadline) Validate(graphql.ExecutableSchema) error { return nil }
func (s stallUntilDeadline) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Name == s.field {
		<-ctx.Done()
	}
	return next(ctx)
}

// TestBadRequests: what is not a GraphQL request is a coded 400 that does
// not repeat the body, over every transport.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	const secret = "hunter2-planted"
	post := func(contentType, accept, body string) response {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return s.rawRequest(t, req)
	}
	truncated := `{"query": "mutation { login(email: \"a@b.c\", password: \"` + secret
	for name, r := range map[string]response{
		"TruncatedJSON": post("application/json", "", truncated),
		"NotAnObject":   post("application/json", "", `["`+secret+`"]`),
		"WrongTypes":    post("application/json", "", `{"query": 1, "variables": "`+secret+`"}`),
		"TrailingData":  post("application/json", "", `{"query": "{ __typename }"} {"`+secret+`"}`),
		"SSE":           post("application/json", "text/event-stream", truncated),
		"PlainText":     post("text/plain", "", secret),
		"GETVariables": s.rawRequest(t, mustRequest(t, http.MethodGet,
			s.srv.URL+"?query="+url.QueryEscape("{ __typename }")+"&variables="+url.QueryEscape("{"+secret), nil)),
		"PUT": s.rawRequest(t, mustRequest(t, http.MethodPut, s.srv.URL, strings.NewReader(secret))),
	} {
		t.Run(name, func(t *testing.T) {
			if r.Status != http.StatusBadRequest || codeOf(r) != graph.CodeBadRequest {
				t.Fatalf("status %d errors %+v, want 400 %s", r.Status, r.Errors, graph.CodeBadRequest)
			}
			if strings.Contains(r.Errors[0].Message, secret) {
				t.Fatalf("the answer repeats the body: %q", r.Errors[0].Message)
			}
		})
	}
	// GET serves queries, not mutations.
	r := s.rawRequest(t, mustRequest(t, http.MethodGet, s.srv.URL+"?query="+url.QueryEscape(`mutation { logout { loggedOut } }`), nil))
	if r.Status != http.StatusMethodNotAllowed || codeOf(r) != graph.CodeBadRequest {
		t.Fatalf("a mutation over GET: %d %+v", r.Status, r.Errors)
	}
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestPersistedQueryCodes: every APQ problem has a PERSISTED_QUERY_* code.
func TestPersistedQueryCodes(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	query := `{ customers { nodes { id } } }`
	ext := func(version any, hash string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": version, "sha256Hash": hash}}
	}
	for name, tc := range map[string]struct {
		body map[string]any
		code string
	}{
		"NotFound":      {map[string]any{"extensions": ext(1, sha256Hex("{ __typename }"))}, graph.CodePersistedQueryNotFound},
		"HashMismatch":  {map[string]any{"query": query, "extensions": ext(1, sha256Hex("other"))}, graph.CodePersistedQueryHashMismatch},
		"Version2":      {map[string]any{"query": query, "extensions": ext(2, sha256Hex(query))}, graph.CodePersistedQueryNotSupported},
		"NotAHash":      {map[string]any{"extensions": ext(1, "xyz")}, graph.CodePersistedQueryNotSupported},
		"NotAnObject":   {map[string]any{"query": query, "extensions": map[string]any{"persistedQuery": "yes"}}, graph.CodePersistedQueryNotSupported},
		"UpperCaseHash": {map[string]any{"query": query, "extensions": ext(1, strings.ToUpper(sha256Hex(query)))}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			b, _ := json.Marshal(tc.body)
			req := mustRequest(t, http.MethodPost, s.srv.URL, strings.NewReader(string(b)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Auth-Token", s.token)
			r := s.rawRequest(t, req)
			if tc.code == "" {
				if len(r.Errors) > 0 {
					t.Fatalf("errors %+v", r.Errors)
				}
				return
			}
			if codeOf(r) != tc.code {
				t.Fatalf("errors %+v, want %s", r.Errors, tc.code)
			}
		})
	}
}

// TestWebsocketInitTimeout: a websocket that never sends connection_init
// is closed once its time is up.
func TestWebsocketInitTimeout(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) { o.Streams.InitTimeout = 100 * time.Millisecond })
	conn, ctx := s.dialWS(t)
	var msg map[string]any
	err := wsjson.Read(ctx, conn, &msg)
	if websocket.CloseStatus(err) == -1 || ctx.Err() != nil {
		t.Fatalf("read %v, %v: want the socket closed by the server", msg, err)
	}
}

// TestStreamCaps: streams are bounded per client address and per caller,
// and a freed place can be taken again.
func TestStreamCaps(t *testing.T) {
	t.Parallel()
	t.Run("PerClient", func(t *testing.T) {
		s := newTestServer(t, func(o *graph.Options) { o.Streams.PerClient = 2 })
		header := http.Header{"X-Auth-Token": {s.token}}
		first := s.subscribeSSE(t, header)
		s.subscribeSSE(t, header)
		if status, code := s.openSSE(t, header); status != http.StatusTooManyRequests || code != graph.CodeTooManyStreams {
			t.Fatalf("third stream: %d %v", status, code)
		}
		// A websocket is a stream too.
		_, res, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(s.srv.URL, "http"), nil)
		if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("websocket over the limit: %v %v", res, err)
		}
		first.body.Close()
		waitFor(t, "the closed stream's place", func() bool {
			status, _ := s.openSSE(t, header)
			return status == http.StatusOK
		})
	})
	t.Run("PerCaller", func(t *testing.T) {
		s := newTestServer(t, func(o *graph.Options) { o.Streams.PerCaller = 1 })
		first := s.subscribeWS(t, map[string]any{"X-Auth-Token": s.token}, nil)
		s.createCustomer(t, "first-stream@events.example")
		if e, errs := first.next(t); e == nil || len(errs) > 0 { // it runs
			t.Fatalf("first subscription: %+v %+v", e, errs)
		}
		second := s.subscribeWS(t, map[string]any{"X-Auth-Token": s.token}, nil)
		if _, errs := second.next(t); len(errs) == 0 || errs[0].Extensions["code"] != graph.CodeTooManyStreams {
			t.Fatalf("second subscription: %+v", errs)
		}
	})
}

// openSSE opens an event stream and returns its status and, when refused,
// its error code; an accepted stream is closed at once.
func (s *testServer) openSSE(t *testing.T, header http.Header) (int, any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": eventsQuery})
	req := mustRequest(t, http.MethodPost, s.srv.URL, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		return res.StatusCode, nil
	}
	var r response
	raw, _ := io.ReadAll(res.Body)
	json.Unmarshal(raw, &r)
	return res.StatusCode, codeOf(r)
}

// waitFor polls cond until it holds, for at most ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStreamsEndWithCredentials: an open stream ends with UNAUTHENTICATED
// soon after its API token is revoked or its shopper's session ends
// (logout, an impersonating token revoked, a password reset required).
func TestStreamsEndWithCredentials(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) { o.Streams.Recheck = 50 * time.Millisecond })
	f := seedAccess(t, s)
	ctx := context.Background()
	// expectEnd reads until the stream's error (the write that ended the
	// credentials may announce itself first).
	expectEnd := func(t *testing.T, sub *wsSubscription) {
		t.Helper()
		for range 5 {
			e, errs := sub.next(t)
			if e != nil && len(errs) == 0 {
				continue
			}
			if len(errs) == 0 || errs[0].Extensions["code"] != graph.CodeUnauthenticated {
				t.Fatalf("errors %+v, want the stream ended with UNAUTHENTICATED", errs)
			}
			return
		}
		t.Fatal("the stream did not end")
	}
	t.Run("TokenRevoked", func(t *testing.T) {
		token, tok, err := s.db.CreateToken(ctx, "stream", []string{"store_v2_customers_read_only"})
		if err != nil {
			t.Fatal(err)
		}
		sub := s.subscribeWS(t, map[string]any{"X-Auth-Token": token}, nil)
		s.createCustomer(t, "before-revoke@events.example")
		if e, errs := sub.next(t); e == nil || len(errs) > 0 {
			t.Fatalf("before: %+v %+v", e, errs)
		}
		if err := s.db.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		expectEnd(t, sub)
	})
	t.Run("Logout", func(t *testing.T) {
		access := s.login(t, f.emailA, f.pw)
		sub := s.subscribeWS(t, map[string]any{"Authorization": "Bearer " + access}, nil)
		r := s.doWith(`mutation { logout { loggedOut } }`, nil, http.Header{"Authorization": {"Bearer " + access}})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		expectEnd(t, sub)
	})
	t.Run("ImpersonatorRevoked", func(t *testing.T) {
		token, tok, err := s.db.CreateToken(ctx, "impersonator", []string{"store_v2_customers"})
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			ImpersonateCustomer struct{ AccessToken string } `json:"impersonateCustomer"`
		}
		r := s.doWith(fmt.Sprintf(`mutation { impersonateCustomer(customerId: %d) { accessToken } }`, f.customerA), nil,
			http.Header{"X-Auth-Token": {token}})
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
			t.Fatalf("%+v", r.Errors)
		}
		bearer := http.Header{"Authorization": {"Bearer " + out.ImpersonateCustomer.AccessToken}}
		sub := s.subscribeWS(t, map[string]any{"Authorization": "Bearer " + out.ImpersonateCustomer.AccessToken}, nil)
		if err := s.db.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		expectEnd(t, sub)
		// The session itself is over: `me` is refused.
		if r := s.doWith(`{ me { id } }`, nil, bearer); codeOf(r) != graph.CodeUnauthenticated {
			t.Fatalf("me after the impersonator's token was revoked: %+v", r.Errors)
		}
	})
	t.Run("PasswordResetRequired", func(t *testing.T) {
		access := s.login(t, f.emailB, f.pw)
		sub := s.subscribeWS(t, map[string]any{"Authorization": "Bearer " + access}, nil)
		s.mustQuery(fmt.Sprintf(`mutation { updateCustomers(input: [{id: %d, authentication: {forcePasswordReset: true}}]) {
			userErrors { code } } }`, f.customerB), nil, nil)
		expectEnd(t, sub)
	})
}

// TestDiskFull: a write that finds the disk full answers a coded
// STORE_UNAVAILABLE saying so, writes nothing of its batch, and reads go on.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "full.db")
	db, err := storage.Open(context.Background(), path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateToken(context.Background(), "t", []string{storage.ScopeWrite})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Room for a few customers more than the empty store.
	db, err = storage.Open(context.Background(), path, storage.Options{MaxBytes: info.Size() + 64<<10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv := httptest.NewServer(graph.NewHandler(db, graph.Options{}))
	t.Cleanup(srv.Close)
	s := &testServer{t: t, db: db, srv: srv, token: token}
	notes := strings.Repeat("n", 4000)
	var last response
	for i := 0; i < 500; i++ {
		var in []string
		for j := range 10 {
			in = append(in, fmt.Sprintf(`{email: "c%d-%d@full.example", firstName: "F", lastName: "L", notes: %q}`, i, j, notes))
		}
		last = s.do(`mutation { createCustomers(input: [`+strings.Join(in, ",")+`]) { customers { id } userErrors { code } } }`, nil)
		if len(last.Errors) > 0 {
			break
		}
	}
	if codeOf(last) != storage.EUNAVAILABLE || !strings.Contains(last.Errors[0].Message, "disk is full") {
		t.Fatalf("errors %+v, want %s saying the disk is full", last.Errors, storage.EUNAVAILABLE)
	}
	// The refused batch wrote nothing: every stored customer came in whole
	// batches of ten.
	var out struct {
		Customers struct {
			Pagination struct{ Total int } `json:"pagination"`
		} `json:"customers"`
	}
	s.mustQuery(`{ customers { pagination { total } } }`, nil, &out)
	if n := out.Customers.Pagination.Total; n%10 != 0 || n == 0 {
		t.Fatalf("%d customers stored, want whole batches", n)
	}
}

// TestListFilterCap: every list filter takes at most a page's worth of
// values; more is BAD_USER_INPUT naming the filter, never an internal error.
func TestListFilterCap(t *testing.T) {
	t.Parallel()
	// 250 name terms take SQLite a few seconds under -race on a busy
	// machine: no request deadline here, the cap is under test.
	s := newTestServer(t, func(o *graph.Options) { o.Timeout = 5 * time.Minute })
	mustCreateCustomers(t, s.db, 3, at("2020-01-01T00:00:00Z"), "cap")
	terms := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("term%04d", i)
		}
		return out
	}
	ids := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	for _, tc := range []struct {
		name, query, field string
		value              any
	}{
		{"NameLike", `query($v: [String!]) { customers(filter: {nameLike: $v}) { nodes { id } } }`, "filter.nameLike", terms},
		{"EmailIn", `query($v: [String!]) { customers(filter: {emailIn: $v}) { nodes { id } } }`, "filter.emailIn", terms},
		{"IdIn", `query($v: [Int!]) { customers(filter: {idIn: $v}) { nodes { id } } }`, "filter.idIn", ids},
		{"AddressCustomerIdIn", `query($v: [Int!]) { customerAddresses(filter: {customerIdIn: $v}) { nodes { id } } }`,
			"filter.customerIdIn", ids},
	} {
		t.Run(tc.name, func(t *testing.T) {
			value := func(n int) any {
				if f, ok := tc.value.(func(int) []string); ok {
					return f(n)
				}
				return tc.value.(func(int) []int)(n)
			}
			if r := s.do(tc.query, map[string]any{"v": value(graph.MaxFilterValues)}); len(r.Errors) > 0 {
				t.Fatalf("%d values: %+v", graph.MaxFilterValues, r.Errors)
			}
			for _, n := range []int{graph.MaxFilterValues + 1, 1000} {
				r := s.do(tc.query, map[string]any{"v": value(n)})
				if codeOf(r) != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
					t.Fatalf("%d values: %+v, want BAD_USER_INPUT on %s", n, r.Errors, tc.field)
				}
			}
		})
	}
}

// TestNoSuggestionsWithoutIntrospection: with introspection off, a
// misspelt field gets no "Did you mean" naming the schema's fields.
func TestNoSuggestionsWithoutIntrospection(t *testing.T) {
	t.Parallel()
	for _, off := range []bool{false, true} {
		s := newTestServer(t, func(o *graph.Options) { o.DisableIntrospection = off })
		r := s.do(`{ customers { nodes { emial } } }`, nil)
		if len(r.Errors) == 0 {
			t.Fatal("a misspelt field was accepted")
		}
		if suggested := strings.Contains(r.Errors[0].Message, "Did you mean"); suggested == off {
			t.Fatalf("introspection off=%v: message %q", off, r.Errors[0].Message)
		}
	}
}
