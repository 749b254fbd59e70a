package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/pgtest"
)

// TestCLI_Standby: the server with -db on a primary and DATABASE_READ_URL
// on its real hot standby (pg_basebackup). While the standby's replay is
// paused, a caller's write is visible to its own next read (the primary
// serves it), while another caller, read from the standby, does not see it
// yet; once replayed, both do, and /metrics counts reads on each side.
// With SQLite, -db-read is refused with a clear message.
func TestCLI_Standby(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, dir, nil, "", "serve", "-db", "x.db", "-db-read", "postgres://postgres@127.0.0.1:1/test")
	if r.code == 0 || !strings.Contains(r.stderr, "-db-read") || !strings.Contains(r.stderr, "SQLite") {
		t.Fatalf("-db-read with SQLite: exit %d\n%s", r.code, r.stderr)
	}

	cl := pgtest.NewReplicated(t)
	env := []string{"DATABASE_URL=" + cl.PrimaryURL}
	tokens := make([]map[string]string, 2)
	for i := range tokens {
		tok := runCLI(t, dir, env, "", "token", "create", "-scopes", storage.ScopeWrite, "-name", "t"+strconv.Itoa(i))
		if tok.code != 0 {
			t.Fatalf("token create: exit %d: %s", tok.code, tok.stderr)
		}
		tokens[i] = map[string]string{"X-Auth-Token": strings.TrimSpace(tok.stdout)}
	}
	srv := startCLIServer(t, dir, append(env, "DATABASE_READ_URL="+cl.StandbyURL), "serve", "-addr", "127.0.0.1:0")
	defer srv.stop(t)
	ctx := context.Background()
	cl.WaitReplayed(ctx)

	cl.PauseReplay(ctx)
	writer, other := tokens[0], tokens[1]
	out := srv.query(t, `mutation { createCustomers(input: [{email: "ryw@example.com", firstName: "Read", lastName: "Back"}]) {
		customers { id } userErrors { code } } }`, writer)
	if out["errors"] != nil {
		t.Fatalf("create: %v", out["errors"])
	}
	const read = `{ customers(filter: {emailIn: ["ryw@example.com"]}) { nodes { email } } }`
	found := `{"customers":{"nodes":[{"email":"ryw@example.com"}]}}`
	if got := mustJSON(t, srv.query(t, read, writer)["data"]); got != found {
		t.Fatalf("the writer's read during the replay pause: %s, want its write", got)
	}
	if got := mustJSON(t, srv.query(t, read, other)["data"]); got != `{"customers":{"nodes":[]}}` {
		t.Fatalf("another caller's read during the replay pause: %s, want the standby's state (nothing yet)", got)
	}
	cl.ResumeReplay(ctx)
	cl.WaitReplayed(ctx)
	if got := mustJSON(t, srv.query(t, read, other)["data"]); got != found {
		t.Fatalf("another caller's read after the replay: %s, want the write", got)
	}

	res, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// The standby's pool is in the pool metrics beside the primary's.
	for _, pool := range []string{"writer", "reader", "standby"} {
		m := regexp.MustCompile(`customers_store_pool_max_open_connections\{pool="` + pool + `"\} (\d+)`).FindSubmatch(body)
		if m == nil || string(m[1]) != strconv.Itoa(storage.DefaultReadConns) && pool != "writer" {
			t.Errorf("/metrics: the %s pool's bound: %q, want %d:\n%s", pool, m, storage.DefaultReadConns,
				regexp.MustCompile(`(?m)^customers_store_pool.*$`).FindAll(body, -1))
		}
	}
	if m := regexp.MustCompile(`customers_store_pool_open_connections\{pool="standby"\} (\d+)`).FindSubmatch(body); m == nil || string(m[1]) == "0" {
		t.Errorf("/metrics: no open connection counted on the standby's pool: %q", m)
	}
	for _, side := range []string{"standby", "primary"} {
		m := regexp.MustCompile(`customers_store_reads_total\{side="` + side + `"\} (\d+)`).FindSubmatch(body)
		if m == nil || string(m[1]) == "0" {
			t.Errorf("/metrics: no reads counted on the %s:\n%s", side, regexp.MustCompile(`(?m)^customers_store_reads.*$`).FindAll(body, -1))
		}
	}
}

// TestCLI_StandbyAcrossReplicas: two server processes on one primary and
// its hot standby. While the standby's replay is paused, a write through
// A answers with its write position; a read through B that carries it
// back sees the write (B sends it to the primary), while the same
// caller's read through B without it does not (B reads the paused
// standby): the header is what carries read-your-writes across replicas,
// over GraphQL and REST. A token this server did not make is refused with
// a coded 400; a token from the future reads from the primary until the
// standby has replayed the primary's current position, then from the
// standby again.
func TestCLI_StandbyAcrossReplicas(t *testing.T) {
	dir := t.TempDir()
	cl := pgtest.NewReplicated(t)
	env := []string{"DATABASE_URL=" + cl.PrimaryURL}
	tok := runCLI(t, dir, env, "", "token", "create", "-scopes", storage.ScopeWrite, "-name", "w")
	if tok.code != 0 {
		t.Fatalf("token create: exit %d: %s", tok.code, tok.stderr)
	}
	token := strings.TrimSpace(tok.stdout)
	env = append(env, "DATABASE_READ_URL="+cl.StandbyURL)
	a := startCLIServer(t, dir, env, "serve", "-addr", "127.0.0.1:0")
	defer a.stop(t)
	b := startCLIServer(t, dir, env, "serve", "-addr", "127.0.0.1:0")
	defer b.stop(t)
	ctx := context.Background()
	cl.WaitReplayed(ctx)

	// do sends a request with the token and, when set, the position.
	do := func(method, url, body, position string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", token)
		if position != "" {
			req.Header.Set("Customers-Write-Position", position)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res, string(out)
	}
	gql := func(s *cliServer, q, position string) (*http.Response, string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": q})
		return do(http.MethodPost, s.url+"/graphql", string(body), position)
	}
	const read = `{ customers(filter: {emailIn: ["across@example.com"]}) { nodes { email } } }`
	const found = `{"customers":{"nodes":[{"email":"across@example.com"}]}}`
	const none = `{"customers":{"nodes":[]}}`
	data := func(body string) string {
		t.Helper()
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return mustJSON(t, out["data"])
	}
	rest := func(s *cliServer, position string) string {
		t.Helper()
		res, body := do(http.MethodGet, s.url+"/stores/customers/v3/customers?email:in=across@example.com", "", position)
		if res.StatusCode != 200 {
			t.Fatalf("REST read: %d %s", res.StatusCode, body)
		}
		var out struct{ Data []struct{ Email string } }
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		return strconv.Itoa(len(out.Data))
	}

	// A read that writes nothing answers with no position.
	if res, _ := gql(a, read, ""); res.Header.Get("Customers-Write-Position") != "" {
		t.Fatalf("a read answers with a write position: %q", res.Header.Get("Customers-Write-Position"))
	}

	cl.PauseReplay(ctx)
	res, body := gql(a, `mutation { createCustomers(input: [{email: "across@example.com", firstName: "A", lastName: "Cross"}]) {
		customers { id } userErrors { code } } }`, "")
	position := res.Header.Get("Customers-Write-Position")
	if strings.Contains(body, `"errors"`) || position == "" {
		t.Fatalf("the write through A: position %q, %s", position, body)
	}
	if _, err := storage.ParseWritePosition(position); err != nil {
		t.Fatalf("A's write position %q does not parse: %v", position, err)
	}

	// Through B, with the position: the write (from the primary).
	if _, got := gql(b, read, position); data(got) != found {
		t.Fatalf("B's GraphQL read with A's write position: %s, want the write", got)
	}
	if got := rest(b, position); got != "1" {
		t.Fatalf("B's REST read with A's write position found %s customers, want 1", got)
	}
	// Through B, same caller, without it: the paused standby's state.
	if _, got := gql(b, read, ""); data(got) != none {
		t.Fatalf("B's GraphQL read without the position: %s, want the standby's state (nothing yet)", got)
	}
	if got := rest(b, ""); got != "0" {
		t.Fatalf("B's REST read without the position found %s customers, want the standby's 0", got)
	}

	// A REST write answers with its position too.
	res, body = do(http.MethodPost, a.url+"/stores/customers/v3/customers", `[{"email":"rest-across@example.com","first_name":"R","last_name":"A"}]`, "")
	if res.StatusCode != 200 {
		t.Fatalf("REST write: %d %s", res.StatusCode, body)
	}
	later := res.Header.Get("Customers-Write-Position")
	if p0, _ := storage.ParseWritePosition(position); later == "" || func() bool { p1, err := storage.ParseWritePosition(later); return err != nil || p1 <= p0 }() {
		t.Fatalf("the REST write's position %q, want one past %q", later, position)
	}

	// Tokens this server did not make: a coded 400, over both APIs.
	for _, bad := range []string{"garbage", "1-", "1-00000000016B3748", "2-0000000001000000", "1-0000000001000000x",
		"0/16B3748", "1-" + strings.Repeat("0", 400), "1-0000000001000000,1-0000000001000000"} {
		res, body := gql(b, read, bad)
		if res.StatusCode != 400 || !strings.Contains(body, `"code":"BAD_WRITE_POSITION"`) {
			t.Errorf("GraphQL with position %q: %d %s, want a 400 BAD_WRITE_POSITION", bad, res.StatusCode, body)
		}
		res, body = do(http.MethodGet, b.url+"/stores/customers/v3/customers", "", bad)
		if res.StatusCode != 400 || !strings.Contains(body, `"status":400`) || !strings.Contains(body, "Customers-Write-Position") {
			t.Errorf("REST with position %q: %d %s, want a 400 that names the header", bad, res.StatusCode, body)
		}
	}

	// A token from the future: served (by the primary) while the standby
	// is paused; once the standby has replayed what the primary has, reads
	// with it go back to the standby rather than stay on the primary.
	const future = "1-7fffffffffffffff"
	if _, got := gql(b, read, future); data(got) != found {
		t.Fatalf("B's read with a future position during the pause: %s, want the write", got)
	}
	cl.ResumeReplay(ctx)
	cl.WaitReplayed(ctx)
	standbyReads := func() int {
		t.Helper()
		res, err := http.Get(b.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := regexp.MustCompile(`customers_store_reads_total\{side="standby"\} (\d+)`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("/metrics: no standby reads:\n%s", body)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		before := standbyReads()
		if _, got := gql(b, read, future); data(got) != found {
			t.Fatalf("B's read with a future position after the replay: %s, want the write", got)
		}
		if standbyReads() > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reads with a future position never went back to the standby")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
