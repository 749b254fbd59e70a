package main

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
)

// TestReadOnlyStore: a server over a database file it cannot write says so
// at /readyz, lets a token read (noting the token's use is not in the
// request's way), and answers writes with STORE_UNAVAILABLE.
func TestReadOnlyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	db, err := storage.Open(context.Background(), path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateToken(context.Background(), "reader", []string{storage.ScopeWrite})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	// chattr +i makes the file read-only even for root (tests run as root
	// in CI); without it the case cannot be set up.
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Skipf("cannot make the file immutable: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })

	s := startTelServer(t, "-db", path)
	res, err := s.client.Get(s.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "read-only") {
		t.Fatalf("/readyz: %d %q, want 503 saying the store is read-only", res.StatusCode, body)
	}
	auth := map[string]string{"X-Auth-Token": token}
	res, out := s.graphql(t, auth, map[string]any{"query": `{ customers { nodes { id } } }`})
	if res.StatusCode != http.StatusOK || out["errors"] != nil {
		t.Fatalf("a read: %d %v", res.StatusCode, out)
	}
	_, out = s.graphql(t, auth, map[string]any{"query": `mutation { createCustomers(input: [{email: "ro@x.io", firstName: "R", lastName: "O"}]) { customers { id } } }`})
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != storage.EUNAVAILABLE {
		t.Fatalf("a write: %v, want %s", out, storage.EUNAVAILABLE)
	}
}
