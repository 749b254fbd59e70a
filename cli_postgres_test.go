package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/pgtest"
)

// TestCLI_Postgres: -db (or DATABASE_URL) with a postgres:// URL serves
// from PostgreSQL. Two servers starting together on an empty database
// migrate it once; a write through one is read through the other; the
// commands that read a store take the URL; and the URL's password reaches
// no output (the test server trusts local connections, so any password
// connects).
func TestCLI_Postgres(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	const password = "not-a-real-pw-7f3a"
	u.User = url.UserPassword(u.User.Username(), password)
	db := u.String()
	dir := t.TempDir()

	r := runCLI(t, dir, nil, "", "migrate", "status", "-db", db)
	if r.code != 0 || !strings.Contains(r.stdout, "0001_init.sql") || strings.Contains(r.stdout, "applied") {
		t.Fatalf("migrate status before: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Two replicas at once: one by flag, one by DATABASE_URL.
	var servers [2]*cliServer
	var wg sync.WaitGroup
	wg.Go(func() { servers[0] = startCLIServer(t, dir, nil, "serve", "-db", db, "-addr", "127.0.0.1:0") })
	wg.Go(func() {
		servers[1] = startCLIServer(t, dir, []string{"DATABASE_URL=" + db}, "serve", "-addr", "127.0.0.1:0")
	})
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	tok := runCLI(t, dir, []string{"DATABASE_URL=" + db}, "", "token", "create", "-scopes", storage.ScopeWrite, "-name", "pg")
	if tok.code != 0 {
		t.Fatalf("token create: exit %d: %s", tok.code, tok.stderr)
	}
	auth := map[string]string{"X-Auth-Token": strings.TrimSpace(tok.stdout)}
	out := servers[0].query(t, `mutation { createCustomers(input: [{email: "Pat@Example.com", firstName: "Pat", lastName: "Lee"}]) {
		customers { id email } userErrors { code } } }`, auth)
	if out["errors"] != nil {
		t.Fatalf("create through the first: %v", out["errors"])
	}
	out = servers[1].query(t, `mutation { createCustomers(input: [{email: "pat@example.COM", firstName: "P", lastName: "L"}]) {
		customers { id } userErrors { code } } }`, auth)
	if got := mustJSON(t, out["data"]); !strings.Contains(got, `"code":"CONFLICT"`) {
		t.Fatalf("the second took an email the first holds: %s", got)
	}
	out = servers[1].query(t, `{ customers(filter: {emailIn: ["PAT@example.com"]}) { nodes { email firstName } } }`, auth)
	if got := mustJSON(t, out["data"]); got != `{"customers":{"nodes":[{"email":"Pat@Example.com","firstName":"Pat"}]}}` {
		t.Fatalf("read through the second: %s (errors %v)", got, out["errors"])
	}

	for i, s := range servers {
		if code := s.stop(t); code != 0 {
			t.Fatalf("server %d ended with %d: %s", i, code, s.stderr.String())
		}
	}
	r = runCLI(t, dir, nil, "", "migrate", "status", "-db", db)
	if r.code != 0 || strings.Contains(r.stdout, "pending") || strings.Count(r.stdout, "0001_init.sql") != 1 {
		t.Fatalf("migrate status after: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	exp := runCLI(t, dir, nil, "", "export", "-db", db)
	if exp.code != 0 || strings.Count(exp.stdout, "\n") != 1 || !strings.Contains(exp.stdout, "Pat@Example.com") {
		t.Fatalf("export: exit %d\n%s%s", exp.code, exp.stdout, exp.stderr)
	}
	for i, s := range servers {
		if strings.Contains(s.stdout.String()+s.stderr.String(), password) {
			t.Fatalf("server %d wrote the database password", i)
		}
	}
	for _, res := range []cliResult{r, tok, exp} {
		if strings.Contains(res.stdout+res.stderr, password) {
			t.Fatal("a command wrote the database password")
		}
	}
}

// mustJSON encodes v, for comparing answers as text.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
