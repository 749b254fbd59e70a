package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startServer runs the serve command with args in the background and
// returns its base URL and a stop function that waits for a clean exit.
func startServer(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- serve(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, log, ready) }()
	select {
	case addr := <-ready:
		return "http://" + addr, func() error { cancel(); return <-done }
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start within a minute")
	}
	return "", nil
}

func post(t *testing.T, url, query string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	res, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(body))
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
	db := filepath.Join(t.TempDir(), "customers.db")
	url, stop := startServer(t, "-db", db, "-demo")

	res, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "NewestCustomers") {
		t.Fatalf("playground: %d, example query missing", res.StatusCode)
	}

	out := post(t, url, exampleQuery)
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

	// A second start keeps the data and does not seed again.
	url, stop = startServer(t, "-db", db, "-demo")
	out = post(t, url, `{ customers { pagination { total } } }`)
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
