package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/pgtest"
)

// requireHAProxy returns the path of Debian's haproxy, or skips the test
// with a message (fails it with CUSTOMERS_REQUIRE_LB=1, as in CI).
func requireHAProxy(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CUSTOMERS_REQUIRE_LB") == "1" {
			t.Fatalf("haproxy is required (CUSTOMERS_REQUIRE_LB=1): %v", err)
		}
		t.Skipf("haproxy not installed (apt-get install haproxy), skipping the load-balanced replicas: %v", err)
	}
	return path
}

// startHAProxy runs haproxy in the foreground with the repository's
// example configuration (examples/replicas/haproxy.cfg), its frontend
// moved to a free port and its servers replaced by backends, and waits
// until every backend passes the health check. It returns the frontend's
// URL.
func startHAProxy(t *testing.T, bin string, backends []string) string {
	t.Helper()
	example, err := os.ReadFile(filepath.Join("examples", "replicas", "haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := ln.Addr().String()
	ln.Close()
	ops, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stats := ops.Addr().String()
	ops.Close()
	cfg := regexp.MustCompile(`(?m)^(\s*)bind \S+:8080$`).ReplaceAllString(string(example), "${1}bind "+front)
	cfg = regexp.MustCompile(`(?m)^(\s*)bind \S+:8404$`).ReplaceAllString(cfg, "${1}bind "+stats)
	servers := regexp.MustCompile(`(?m)^\s*server r\d .*\n`)
	if n := len(servers.FindAllString(cfg, -1)); n != 3 {
		t.Fatalf("the example configuration has %d server lines, want 3", n)
	}
	var lines strings.Builder
	for i, b := range backends {
		fmt.Fprintf(&lines, "    server r%d %s check\n", i+1, b)
	}
	first := true
	cfg = servers.ReplaceAllStringFunc(cfg, func(string) string {
		if first {
			first = false
			return lines.String()
		}
		return ""
	})
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n%s", err, out, cfg)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy:\n%s", logs.String())
		}
	})
	// Up when the stats page reports every server UP.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + stats + "/stats;csv")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.Count(string(body), ",UP,") == len(backends) {
				return "http://" + front
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not report its servers up: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lbClient posts GraphQL through the load balancer.
type lbClient struct {
	url   string
	token string
	http  *http.Client
}

// do posts q with vars; it returns the decoded answer, or an error when
// there was none (a connection cut, a 502 from the balancer).
func (c *lbClient) do(ctx context.Context, q string, vars map[string]any) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", c.token)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return nil, fmt.Errorf("HTTP %d: %s", res.StatusCode, b)
	}
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// lbSubscriber follows customerEvents over server-sent events through the
// balancer, resuming with afterId whenever its stream ends, and keeps the
// ids in the order they came.
type lbSubscriber struct {
	c       *lbClient
	mu      sync.Mutex
	ids     []int64
	resumes int
	// connected is told of each stream that opened.
	connected chan struct{}
}

func (s *lbSubscriber) last() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) == 0 {
		return 0
	}
	return s.ids[len(s.ids)-1]
}

// run follows the events until ctx ends.
func (s *lbSubscriber) run(ctx context.Context) {
	for ctx.Err() == nil {
		s.stream(ctx)
		s.mu.Lock()
		s.resumes++
		s.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stream reads one stream from afterId = the last id seen, until it ends.
func (s *lbSubscriber) stream(ctx context.Context) {
	body, _ := json.Marshal(map[string]any{
		"query":     `subscription($after: Int) { customerEvents(afterId: $after) { id scope } }`,
		"variables": map[string]any{"after": s.last()}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.c.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Auth-Token", s.c.token)
	res, err := s.c.http.Do(req)
	if err != nil {
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return
	}
	select {
	case s.connected <- struct{}{}:
	default:
	}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var p struct {
			Data struct {
				CustomerEvents *struct {
					ID int64 `json:"id"`
				} `json:"customerEvents"`
			} `json:"data"`
		}
		if json.Unmarshal([]byte(data), &p) != nil || p.Data.CustomerEvents == nil {
			return // an error event (the stream ends): resume
		}
		s.mu.Lock()
		s.ids = append(s.ids, p.Data.CustomerEvents.ID)
		s.mu.Unlock()
	}
}

// receipt is one webhook request the receiver answered.
type receipt struct {
	id          string
	afterKilled bool
}

// TestReplicasBehindLoadBalancer: three replicas (the built binary, serve
// -db postgres://...) behind haproxy with the repository's example
// configuration, over one new PostgreSQL database. Writers, readers and
// three subscribers (server-sent events) go through the balancer, and a
// webhook receiver listens; one replica is killed with SIGKILL when a
// third of the writes are acknowledged. Then:
//   - every acknowledged write is stored, and at most the unanswered ones
//     besides;
//   - every subscriber saw every event, in id order, once, resuming with
//     afterId after its stream was cut;
//   - every event reached the webhook, and no attempt was sent twice: each
//     message arrived at most once before the kill and at most once after
//     it (the killed replica's leased deliveries are sent again by another
//     once their lease ends: at least once overall).
func TestReplicasBehindLoadBalancer(t *testing.T) {
	haproxy := requireHAProxy(t)
	pgtest.Require(t)
	dbURL := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		recMu    sync.Mutex
		receipts []receipt
		killed   atomic.Bool
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after := killed.Load()
		io.Copy(io.Discard, r.Body)
		// A slow receiver: the replica killed has deliveries in flight.
		time.Sleep(100 * time.Millisecond)
		recMu.Lock()
		receipts = append(receipts, receipt{id: r.Header.Get("webhook-id"), afterKilled: after})
		recMu.Unlock()
	}))
	defer hook.Close()

	env := []string{"DATABASE_URL=" + dbURL}
	replicas := make([]*cliServer, 3)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			replicas[i] = startCLIServer(t, dir, env, "serve", "-addr", "127.0.0.1:0", "-webhook-allow-private",
				"-webhook-timeout", "1s", "-webhook-first-retry", "100ms", "-trusted-proxies", "127.0.0.1")
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	backends := make([]string, len(replicas))
	for i, r := range replicas {
		backends[i] = strings.TrimPrefix(r.url, "http://")
	}
	lb := startHAProxy(t, haproxy, backends)

	tok := runCLI(t, dir, env, "", "token", "create", "-scopes", storage.ScopeWrite, "-name", "lb")
	if tok.code != 0 {
		t.Fatalf("token create: exit %d: %s", tok.code, tok.stderr)
	}
	c := &lbClient{url: lb, token: strings.TrimSpace(tok.stdout), http: &http.Client{Timeout: 30 * time.Second}}
	out, err := c.do(ctx, `mutation($d: String!) { createWebhook(input: {scope: "store/customer/*", destination: $d}) {
		webhook { id } userErrors { code message } } }`, map[string]any{"d": hook.URL})
	if err != nil || out["errors"] != nil || !strings.Contains(mustJSON(t, out["data"]), `"userErrors":[]`) {
		t.Fatalf("create webhook: %v %v", out, err)
	}

	checkForwardedClients(t, ctx, lb, c.token)

	// Three subscribers, opened one after another: round robin gives each
	// replica one.
	subCtx, stopSubs := context.WithCancel(ctx)
	defer stopSubs()
	subs := make([]*lbSubscriber, 3)
	var subsDone sync.WaitGroup
	for i := range subs {
		subs[i] = &lbSubscriber{c: &lbClient{url: lb, token: c.token, http: &http.Client{}}, connected: make(chan struct{}, 1)}
		subsDone.Go(func() { subs[i].run(subCtx) })
		select {
		case <-subs[i].connected:
		case <-time.After(30 * time.Second):
			t.Fatalf("subscriber %d did not connect", i)
		}
	}

	// Writers and readers through the balancer; the kill at a third.
	const writers, perWriter = 3, 30
	var (
		acked, unanswered atomic.Int64
		ackedMu           sync.Mutex
		ackedEmails       []string
		readErrs, reads   atomic.Int64
	)
	loadCtx, stopLoad := context.WithCancel(ctx)
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for loadCtx.Err() == nil {
				out, err := c.do(loadCtx, `{ customers(limit: 5) { nodes { id email } } }`, nil)
				reads.Add(1)
				if err != nil || out["errors"] != nil {
					readErrs.Add(1)
				}
			}
		})
	}
	var writing sync.WaitGroup
	killDone := make(chan struct{})
	for w := range writers {
		writing.Go(func() {
			for i := range perWriter {
				email := fmt.Sprintf("w%d-%d@replicas.example", w, i)
				out, err := c.do(ctx, `mutation($e: String!) { createCustomers(input: [{email: $e, firstName: "R", lastName: "L"}]) {
					customers { id } userErrors { code } } }`, map[string]any{"e": email})
				if err != nil || out["errors"] != nil || !strings.Contains(mustJSON(t, out["data"]), `"customers":[{"id"`) {
					unanswered.Add(1)
					continue
				}
				ackedMu.Lock()
				ackedEmails = append(ackedEmails, email)
				ackedMu.Unlock()
				if acked.Add(1) == writers*perWriter/3 {
					go func() {
						defer close(killDone)
						replicas[1].cmd.Process.Kill() // SIGKILL
						replicas[1].cmd.Wait()
						// A request the dead process wrote may still be
						// read after it died: its receipt counts as before.
						time.Sleep(500 * time.Millisecond)
						killed.Store(true)
					}()
				}
			}
		})
	}
	writing.Wait()
	<-killDone
	stopLoad()
	readers.Wait()
	t.Logf("%d writes acknowledged, %d unanswered; %d reads, %d failed", acked.Load(), unanswered.Load(), reads.Load(), readErrs.Load())

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Counts match the acknowledged writes.
	var stored int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored < acked.Load() || stored > acked.Load()+unanswered.Load() {
		t.Errorf("%d customers stored; %d writes acknowledged, %d unanswered", stored, acked.Load(), unanswered.Load())
	}
	for _, e := range ackedEmails {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE email = $1`, e).Scan(&n); err != nil || n != 1 {
			t.Errorf("acknowledged %s: %d stored, %v", e, n, err)
		}
	}
	// Read through the balancer: a survivor sees a write another made.
	out, err = c.do(ctx, `query($e: String!) { customers(filter: {emailIn: [$e]}) { nodes { email } } }`,
		map[string]any{"e": ackedEmails[len(ackedEmails)-1]})
	if err != nil || !strings.Contains(mustJSON(t, out["data"]), ackedEmails[len(ackedEmails)-1]) {
		t.Errorf("read of the last write through the balancer: %v, %v", out, err)
	}

	var events []int64
	rows, err := db.QueryContext(ctx, `SELECT id FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		events = append(events, id)
	}
	rows.Close()
	if int64(len(events)) != stored {
		t.Errorf("%d events for %d customers", len(events), stored)
	}

	// Every subscriber sees every event, in order.
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range subs {
		for s.last() < events[len(events)-1] && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	}
	stopSubs()
	subsDone.Wait()
	resumed := 0
	for i, s := range subs {
		if got, want := fmt.Sprint(s.ids), fmt.Sprint(events); got != want {
			t.Errorf("subscriber %d saw %d events (resumed %d times):\n%s\nwant %d:\n%s", i, len(s.ids), s.resumes, got, len(events), want)
		}
		// run counts the stream ended by stopSubs too.
		resumed += s.resumes - 1
	}
	if resumed == 0 {
		t.Errorf("no subscriber's stream was cut by the kill: the resume was not tested")
	}

	// Every event reaches the webhook; no attempt twice.
	deadline = time.Now().Add(40 * time.Second) // the killed replica's leases: 12 webhook timeouts
	for {
		var pending, succeeded int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE status <> 'succeeded'), COUNT(*) FILTER (WHERE status = 'succeeded')
			FROM webhook_deliveries`).Scan(&pending, &succeeded); err != nil {
			t.Fatal(err)
		}
		if pending == 0 && succeeded == int64(len(events)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook deliveries: %d succeeded, %d not, of %d events", succeeded, pending, len(events))
		}
		time.Sleep(100 * time.Millisecond)
	}
	recMu.Lock()
	before, after := map[string]int{}, map[string]int{}
	for _, r := range receipts {
		if r.afterKilled {
			after[r.id]++
		} else {
			before[r.id]++
		}
	}
	recMu.Unlock()
	again := 0
	for _, id := range events {
		m := fmt.Sprintf("evt_%d", id)
		switch {
		case before[m]+after[m] == 0:
			t.Errorf("%s never reached the webhook", m)
		case before[m] > 1 || after[m] > 1:
			t.Errorf("%s was sent %d times before the kill and %d after: an attempt went out twice", m, before[m], after[m])
		case before[m] == 1 && after[m] == 1:
			again++ // the killed replica's, sent again after its lease
		}
	}
	var dup int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT delivery_id, number FROM webhook_attempts
		GROUP BY delivery_id, number HAVING COUNT(*) > 1) d`).Scan(&dup); err != nil || dup != 0 {
		t.Errorf("%d attempts recorded twice, %v", dup, err)
	}
	t.Logf("%d events; subscribers resumed %d times; %d messages sent again after the kill", len(events), resumed, again)
}

// checkForwardedClients: behind the balancer (option forwardfor) the
// replicas, trusting it, count clients by their own addresses. Clients on
// 127.0.0.2 and 127.0.0.3 (loopback addresses that are not the trusted
// 127.0.0.1) check one account's password: the first spends its budget,
// shared by the replicas, and the second still has its own; the first
// prepending another address to X-Forwarded-For is still itself.
func checkForwardedClients(t *testing.T, ctx context.Context, lb, token string) {
	t.Helper()
	from := func(local string) *lbClient {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
		t.Cleanup(c.CloseIdleConnections)
		return &lbClient{url: lb, token: token, http: c}
	}
	login := `mutation { login(email: "forwarded@replicas.example", password: "wrong-guess") { userErrors { code } } }`
	throttled := func(c *lbClient, xff string) bool {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": login})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", c.token)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		res, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("login through the balancer: HTTP %d: %s", res.StatusCode, b)
		}
		return strings.Contains(string(b), "THROTTLED")
	}
	first, second := from("127.0.0.2"), from("127.0.0.3")
	for n := 0; !throttled(first, ""); n++ {
		if n > 50 {
			t.Fatal("the first client was never throttled through the balancer")
		}
	}
	if !throttled(first, "203.0.113.9") {
		t.Error("a client chose its address with X-Forwarded-For through the balancer")
	}
	if throttled(second, "") {
		t.Error("a second client behind the balancer shares the first one's password budget: the forwarded address is not used")
	}
}
