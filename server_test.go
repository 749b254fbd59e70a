package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoToken is the admin token that `-demo` printed, the API token shown
// by the demo store's playground.
var demoToken = regexp.MustCompile(`for X-Auth-Token: (\S+)`)

// startServer runs the serve command with args in the background and
// returns its base URL, what it printed, and a stop function that waits
// for a clean exit.
func startServer(t *testing.T, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	out := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- serve(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), out, log, ready) }()
	select {
	case addr := <-ready:
		return "http://" + addr, out, func() error { cancel(); return <-done }
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start within a minute")
	}
	return "", nil, nil
}

// post runs a query with the API token and returns the decoded response,
// which must hold no errors.
func post(t *testing.T, url, token, query string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out["errors"] != nil {
		t.Fatalf("errors: %v", out["errors"])
	}
	return out
}

// TestServe_Demo runs the command as README's first command does: a demo
// store on a fresh database, the playground at /, the example query
// answering with data, and a clean stop.
func TestServe_Demo(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "customers.db")
	url, printed, stop := startServer(t, "-db", db, "-demo")
	m := demoToken.FindStringSubmatch(printed.String())
	if m == nil {
		t.Fatalf("-demo printed no admin token: %q", printed.String())
	}
	token := m[1]

	res, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "NewestCustomers") {
		t.Fatalf("playground: %d, example query missing", res.StatusCode)
	}
	if !strings.Contains(string(page), token) {
		t.Fatal("the playground does not carry the demo token in its headers")
	}

	out := post(t, url, token, exampleQuery)
	customers := out["data"].(map[string]any)["customers"].(map[string]any)
	nodes := customers["nodes"].([]any)
	if len(nodes) != 5 {
		t.Fatalf("example query gave %d customers, want 5", len(nodes))
	}
	first := nodes[0].(map[string]any)
	for _, field := range []string{"addresses", "attributes", "group"} {
		if first[field] == nil {
			t.Fatalf("example customer has no %s: %v", field, first)
		}
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// A second start keeps the data and does not seed again; the old demo
	// token is replaced by a new one.
	url, printed, stop = startServer(t, "-db", db, "-demo")
	newToken := demoToken.FindStringSubmatch(printed.String())[1]
	if newToken == token {
		t.Fatal("the demo token did not change")
	}
	body, _ := json.Marshal(map[string]any{"query": `{ customers { nodes { id } } }`})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	stale, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(stale), "UNAUTHENTICATED") {
		t.Fatalf("the replaced demo token still works: %s", stale)
	}
	out = post(t, url, newToken, `{ customers { pagination { total } } }`)
	total := out["data"].(map[string]any)["customers"].(map[string]any)["pagination"].(map[string]any)["total"]
	if total != float64(1200) {
		t.Fatalf("after a restart with -demo, total=%v, want 1200", total)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

func TestParseServeFlags(t *testing.T) {
	t.Setenv("ADDR", "0.0.0.0:9000")
	t.Setenv("DB_PATH", "/tmp/from-env.db")
	cfg, err := parseServeFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "0.0.0.0:9000" || cfg.db != "/tmp/from-env.db" || cfg.demo {
		t.Fatalf("from env: %+v", cfg)
	}
	cfg, err = parseServeFlags([]string{"-addr", ":1", "-db", "x.db", "-demo"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != ":1" || cfg.db != "x.db" || !cfg.demo {
		t.Fatalf("flags over env: %+v", cfg)
	}
	if _, err := parseServeFlags([]string{"extra"}); err == nil {
		t.Fatal("an unexpected argument was accepted")
	}
}

// TestServe_SlowLoris: a client that sends its headers too slowly is cut
// off, and a normal request answers right after.
func TestServe_SlowLoris(t *testing.T) {
	t.Parallel()
	db := storagetest.DemoFile(t, storage.DemoCustomers)
	url, printed, stop := startServer(t, "-db", db, "-demo", "-read-header-timeout", "300ms")
	defer stop()
	token := demoToken.FindStringSubmatch(printed.String())[1]
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err == nil && !strings.Contains(string(buf[:n]), "408") {
		t.Fatalf("the server answered %q instead of cutting the slow client off", buf[:n])
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("the slow client held the connection %s", waited)
	}
	post(t, url, token, `{ customers(limit: 1) { nodes { id } } }`)
}
