package main

import (
	"context"
	"database/sql"
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

	standby, err := sql.Open("pgx", cl.StandbyURL)
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()
	if _, err := standby.ExecContext(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	for state := ""; state != "paused"; time.Sleep(10 * time.Millisecond) {
		if err := standby.QueryRowContext(ctx, `SELECT pg_get_wal_replay_pause_state()`).Scan(&state); err != nil {
			t.Fatal(err)
		}
	}
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
	if _, err := standby.ExecContext(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
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
	for _, side := range []string{"standby", "primary"} {
		m := regexp.MustCompile(`customers_store_reads_total\{side="` + side + `"\} (\d+)`).FindSubmatch(body)
		if m == nil || string(m[1]) == "0" {
			t.Errorf("/metrics: no reads counted on the %s:\n%s", side, regexp.MustCompile(`(?m)^customers_store_reads.*$`).FindAll(body, -1))
		}
	}
}
