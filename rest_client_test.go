package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/internal/proctest"
	"github.com/storefront/customers/storage"
)

// requireNodeEnv, set to 1 (as .ci/run does), makes a missing node, npm or
// installed client a failure instead of a skip.
const requireNodeEnv = "CUSTOMERS_REQUIRE_NODE"

// TestPublishedClient_NodeBigCommerce runs the published client
// node-bigcommerce (clienttest/node, installed by `npm ci` there) against a
// real server process: customers, addresses and metafields listed,
// filtered, created, changed and deleted through the REST API.
func TestPublishedClient_NodeBigCommerce(t *testing.T) {
	t.Parallel()
	skip := func(why string) {
		if os.Getenv(requireNodeEnv) == "1" {
			t.Fatalf("%s=1 but %s", requireNodeEnv, why)
		}
		t.Skipf("skipping the node-bigcommerce test: %s", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not on PATH (Debian: apt-get install nodejs npm)")
	}
	dir := filepath.Join("clienttest", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-bigcommerce")); err != nil {
		skip("the client is not installed: run `npm ci` in " + dir)
	}

	db := filepath.Join(t.TempDir(), "client.db")
	store, err := storage.Open(context.Background(), db, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateToken(context.Background(), "node-bigcommerce", []string{storage.ScopeWrite})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	url := startServerProcess(t, "-addr", "127.0.0.1:0", "-db", db, "-store-hash", "nodetest", "-rest-rate-limit", "0")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "bigcommerce.test.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CUSTOMERS_URL="+url, "CUSTOMERS_TOKEN="+token, "CUSTOMERS_STORE_HASH=nodetest")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("node-bigcommerce against the server: %v\n%s", err, out.String())
	}
	t.Logf("node --test:\n%s", out.String())
}

// startServerProcess starts the server in a process of its own (the test
// binary, through TestMain) with args, and returns its URL once it listens.
func startServerProcess(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, " "))
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if u, ok := proctest.ServerURL(lines.Text()); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("the server process did not start")
	}
	return ""
}
