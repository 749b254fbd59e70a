package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// testServer is the real GraphQL handler over a real SQLite store, served
// over HTTP by httptest.
type testServer struct {
	t   testing.TB
	db  *storage.DB
	srv *httptest.Server

	// token is an API token with the write scope, sent by do.
	token string

	mu    sync.Mutex
	stats *storage.Stats // of the last request
}

// newTestServer starts a server over a new store; it stops with the test.
// configure, when given, adjusts the handler's options.
func newTestServer(t testing.TB, configure ...func(*graph.Options)) *testServer {
	t.Helper()
	s := &testServer{t: t, db: storagetest.MustOpenDB(t)}
	token, _, err := s.db.CreateToken(context.Background(), "tests", []string{storage.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	s.token = token
	var opts graph.Options
	for _, c := range configure {
		c(&opts)
	}
	h := graph.NewHandler(s.db, opts)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &storage.Stats{}
		s.mu.Lock()
		s.stats = st
		s.mu.Unlock()
		h.ServeHTTP(w, r.WithContext(storage.WithStats(r.Context(), st)))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// response is a decoded GraphQL response.
type response struct {
	Status     int
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
}

// do posts a query with variables as an admin with the write scope, and
// decodes the response.
func (s *testServer) do(query string, vars map[string]any) response {
	s.t.Helper()
	return s.doWith(query, vars, http.Header{"X-Auth-Token": {s.token}})
}

// doWith posts with the given request headers only (no credentials unless
// they carry some).
func (s *testServer) doWith(query string, vars map[string]any, header http.Header) response {
	s.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.srv.URL, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		s.t.Fatalf("decode response %q: %v", raw, err)
	}
	r.Status = res.StatusCode
	return r
}

// mustQuery runs a query that must succeed and decodes its data into out.
func (s *testServer) mustQuery(query string, vars map[string]any, out any) {
	s.t.Helper()
	r := s.do(query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		s.t.Fatalf("query failed (%d): %+v", r.Status, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			s.t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
}

// statements returns how many SQL statements the last request ran.
func (s *testServer) statements() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.Statements()
}

// mustFail runs a query that must fail with one error of the code, and
// returns that error.
func (s *testServer) mustFail(query string, vars map[string]any, code string) gqlError {
	s.t.Helper()
	r := s.do(query, vars)
	if len(r.Errors) != 1 {
		s.t.Fatalf("errors = %+v (data %s), want one %s", r.Errors, r.Data, code)
	}
	if got := r.Errors[0].Extensions["code"]; got != code {
		s.t.Fatalf("code = %v, want %s (error %+v)", got, code, r.Errors[0])
	}
	return r.Errors[0]
}

// userError is one entry of a payload's userErrors.
type userError struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Field   []string `json:"field"`
	Index   *int     `json:"index"`
}

// path joins a userError's field path with dots.
func (e userError) path() string { return strings.Join(e.Field, ".") }

// ids returns the ids of the nodes of a decoded list.
func ids[T interface{ id() int }](nodes []T) []int {
	out := make([]int, len(nodes))
	for i, n := range nodes {
		out[i] = n.id()
	}
	return out
}

// node is a decoded node that has an id.
type node struct {
	ID int `json:"id"`
}

func (n node) id() int { return n.ID }

// jsonUnmarshal decodes a response's data.
func jsonUnmarshal(data json.RawMessage, out any) error { return json.Unmarshal(data, out) }

// sha256Hex returns the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
