package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// TestReadOnlyStore: a server over a database file it cannot write says so
// at /readyz, lets a token read (noting the token's use is not in the
// request's way), and answers writes with STORE_UNAVAILABLE.
func TestReadOnlyStore(t *testing.T) {
	t.Parallel()
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

// TestBareUpgradeFlood: thousands of websocket upgrades that never send
// connection_init, from one address: the connections over the bounds are
// closed at once, the others when their init time is up, and /healthz
// answers from another address all the while.
func TestBareUpgradeFlood(t *testing.T) {
	t.Parallel()
	attacker := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	if c, err := attacker.Dial("tcp", "127.0.0.1:9"); err != nil && strings.Contains(err.Error(), "assign") {
		t.Skipf("cannot use 127.0.0.2 as a client address: %v", err)
	} else if c != nil {
		c.Close()
	}
	s := startTelServer(t, "-db", filepath.Join(t.TempDir(), "customers.db"), "-max-connections", "400", "-max-connections-per-client", "150", "-ws-init-timeout", "1s",
		"-max-streams-per-client", "1000", "-max-streams", "1000")
	addr := strings.TrimPrefix(s.url, "http://")
	const flood = 3000
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	sem := make(chan struct{}, 64)
	for i := range flood {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := attacker.Dial("tcp", addr)
			if err != nil {
				return
			}
			fmt.Fprintf(c, "GET /graphql HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
				addr, base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("flood-key-%06d", i))))
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	// While the flood is on, /healthz answers from another address.
	probe := &http.Client{Timeout: 5 * time.Second}
	for range 5 {
		res, err := probe.Get(s.url + "/healthz")
		if err != nil {
			t.Fatalf("/healthz during the flood: %v", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("/healthz during the flood: %d", res.StatusCode)
		}
	}
	wg.Wait()
	// Every connection is closed by the server: over the bounds at once,
	// the upgraded ones when their init time is up.
	deadline := time.Now().Add(30 * time.Second)
	buf := make([]byte, 4096)
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatal("a bare upgrade was still open 30 seconds later")
				}
				break
			}
		}
		c.Close()
	}
	res, err := probe.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !regexp.MustCompile(`customers_http_connections_refused_total [1-9]`).Match(metrics) {
		t.Fatal("no connection was refused over the bounds")
	}
}

// TestNoSecretInLogs plants one secret in every place a client can put
// one (bodies, variables, literals, headers, websocket init payloads,
// webhook URLs and headers) along every error path, and then greps the
// server's log, at debug level, for it.
func TestNoSecretInLogs(t *testing.T) {
	t.Parallel()
	const secret = "Pl4nted-S3cret-xyzzy"
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	s := startTelServer(t, "-db", storagetest.DemoFile(t, storage.DemoCustomers), "-demo", "-webhook-allow-private", "-webhook-first-retry", "10ms")
	token := s.apiToken()
	raw := func(method, contentType, accept, body string, headers map[string]string) {
		req, err := http.NewRequest(method, s.url+"/graphql", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	gql := func(query string, vars map[string]any, headers map[string]string) {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		raw(http.MethodPost, "application/json", "", string(b), headers)
	}
	admin := map[string]string{"X-Auth-Token": token}
	// Bodies that are not GraphQL requests.
	raw(http.MethodPost, "application/json", "", `{"query": "mutation { login(email: \"a@b.c\", password: \"`+secret, nil)
	raw(http.MethodPost, "application/json", "text/event-stream", `{"query": "`+secret, admin)
	raw(http.MethodPost, "text/plain", "", secret, nil)
	raw(http.MethodGet, "", "", "", nil)
	req, _ := http.NewRequest(http.MethodGet, s.url+"/graphql?query="+url.QueryEscape("{ __typename }")+"&variables="+
		url.QueryEscape(`{"p": "`+secret), nil)
	if res, err := s.client.Do(req); err == nil {
		res.Body.Close()
	}
	raw(http.MethodPost, "application/json", "", `{"query": "{ __typename }", "variables": {"pad": "`+secret+
		strings.Repeat("x", 2<<20)+`"}}`, nil)
	// Credentials that are wrong, in variables and in literals.
	login := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken userErrors { code } } }`
	gql(login, map[string]any{"e": "nobody@x.io", "p": secret}, nil)
	gql(`mutation { login(email: "nobody@x.io", password: "`+secret+`") { accessToken } }`, nil, nil)
	gql(`mutation($e: String!, $p: String!) { validateCustomerCredentials(email: $e, password: $p) { isValid } }`,
		map[string]any{"e": "nobody@x.io", "p": secret}, admin)
	gql(`mutation($p: String!) { registerCustomer(input: {email: "bad", firstName: "", lastName: "L", password: $p}) {
		userErrors { code } } }`, map[string]any{"p": secret}, nil)
	gql(`mutation($p: String!) { createCustomers(input: [{email: "pw@x.io", firstName: "P", lastName: "W",
		authentication: {newPassword: $p}}, {email: "pw@x.io", firstName: "", lastName: ""}]) { userErrors { code } } }`,
		map[string]any{"p": secret}, admin)
	// Variables of the wrong type, and validation errors quoting literals.
	gql(`query($n: Int) { customers(limit: $n) { nodes { id } } }`, map[string]any{"n": secret}, admin)
	gql(`{ customers(filter: {idIn: ["`+secret+`"]}) { nodes { id } } }`, nil, admin)
	gql(`{ customers(filter: {dateCreatedMin: "`+secret+`"}) { nodes { id } } }`, nil, admin)
	gql(`{ `+secret+` }`, nil, admin)
	gql(`{ customers { nodes { id `+strings.Repeat("email ", 2000)+` } } } # `+secret, nil, admin)
	// Persisted queries.
	b, _ := json.Marshal(map[string]any{"query": "{ __typename } # " + secret,
		"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}})
	raw(http.MethodPost, "application/json", "", string(b), nil)
	// Credentials that are not valid, in headers and websocket payloads.
	for _, h := range []map[string]string{{"X-Auth-Token": "cust_" + secret}, {"Authorization": "Bearer " + secret},
		{"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9." + secret + ".x"}} {
		gql(`{ customers { nodes { id } } }`, nil, h)
	}
	for _, init := range []map[string]any{{"X-Auth-Token": "cust_" + secret}, {"Authorization": "Bearer " + secret}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": init})
		var msg map[string]any
		wsjson.Read(ctx, conn, &msg)
		conn.CloseNow()
		cancel()
	}
	// A webhook whose URL and header hold secrets, and whose deliveries fail.
	gql(fmt.Sprintf(`mutation { createWebhook(input: {scope: "store/customer/*", destination: %q,
		headers: [{name: "X-Signature-Key", value: %q}]}) { webhook { id } } }`, failing.URL+"/in?key="+secret, secret), nil, admin)
	gql(`mutation { createWebhook(input: {scope: "store/customer/*", destination: "https://hooks.example.com/?k=`+secret+
		`", headers: [{name: "Bad Name", value: "`+secret+`"}]}) { userErrors { code } } }`, nil, admin)
	gql(`mutation { createCustomers(input: [{email: "hook@x.io", firstName: "H", lastName: "K"}]) { customers { id } } }`, nil, admin)
	waitUntil(t, "a failed webhook delivery in the log", func() bool { return strings.Contains(s.logs.String(), "webhook delivery failed") })

	if logs := s.logs.String(); strings.Contains(logs, "Pl4nted") || strings.Contains(logs, "xyzzy") {
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, "Pl4nted") || strings.Contains(line, "xyzzy") {
				t.Errorf("the secret reached the log: %s", line)
			}
		}
	}
	if !strings.Contains(s.logs.String(), `"msg":"graphql operation"`) {
		t.Fatal("the log holds no operation: the test logged nothing to search")
	}
}

// waitUntil polls cond for at most thirty seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPasswordBudgetSharedByAPIs: a guesser who spends an account's budget
// through GraphQL finds it spent through REST too (and gets the wait).
func TestPasswordBudgetSharedByAPIs(t *testing.T) {
	t.Parallel()
	s := startTelServer(t, "-db", storagetest.DemoFile(t, storage.DemoCustomers), "-demo")
	login := `mutation { login(email: "shared@x.io", password: "wrong-guess-1") { userErrors { code } } }`
	for i := 0; ; i++ {
		_, out := s.graphql(t, nil, map[string]any{"query": login})
		if out["errors"] != nil {
			break // throttled
		}
		if i > 20 {
			t.Fatal("GraphQL never throttled")
		}
	}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/stores/customers/v3/customers/validate-credentials",
		strings.NewReader(`{"email": "shared@x.io", "password": "wrong-guess-2"}`))
	req.Header.Set("X-Auth-Token", s.apiToken())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("REST after GraphQL spent the budget: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
}
