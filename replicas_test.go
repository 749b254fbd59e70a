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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/pgtest"
	"github.com/storefront/customers/webhook"
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

// receipt is one webhook request the receiver got.
type receipt struct {
	id string
	// sender is the index of the replica that sent it, found by its
	// connection (peerOwner); -1 when no replica held that connection any
	// more: a request the killed replica wrote before it died, read after.
	sender int
	// at is when the receiver read it; afterKill that the kill had begun.
	at        time.Time
	afterKill bool
	// held: the killed replica's, held unanswered until it died. live: its
	// client was still waiting when the kill came (not timed out), so the
	// replica died with that attempt in flight, its outcome unrecorded.
	held, live bool
	ctx        context.Context
}

// eventOf is the event id of a webhook-id (webhook.MessageID).
func eventOf(id string) int64 {
	n, _ := strconv.ParseInt(strings.TrimPrefix(id, "evt_"), 10, 64)
	return n
}

// senderConn remembers which replica holds the other end of one of the
// receiver's connections, looked up at its first request.
type senderConn struct {
	once        sync.Once
	peer, local int
	sender      int
}

type senderConnKey struct{}

// peerOwner returns the index of the process in pids that holds the
// client end of a loopback TCP connection from port peer to port local:
// the socket's inode from /proc/net/tcp, found among the processes'
// descriptors (Linux). -1 when none holds it. The receiver tells the
// replicas apart by it: nothing in a webhook request says which replica
// sent it.
func peerOwner(peer, local int, pids []int) int {
	port := func(addr string) int {
		_, hex, _ := strings.Cut(addr, ":")
		n, err := strconv.ParseInt(hex, 16, 32)
		if err != nil {
			return -1
		}
		return int(n)
	}
	inode := ""
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 10 && port(f[1]) == peer && port(f[2]) == local && f[9] != "0" {
				inode = f[9]
			}
		}
	}
	if inode == "" {
		return -1
	}
	want := "socket:[" + inode + "]"
	for i, pid := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			if l, _ := os.Readlink(filepath.Join(dir, fd.Name())); l == want {
				return i
			}
		}
	}
	return -1
}

// TestPeerOwner: peerOwner finds the process holding a connection's other
// end (bash's /dev/tcp here), and not the one holding this end.
func TestPeerOwner(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peerOwner reads /proc (Linux)")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash for a client process:", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	client := exec.Command(bash, "-c", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d; read -r _ <&3", port))
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { client.Process.Kill(); client.Wait() }()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	peer := s.RemoteAddr().(*net.TCPAddr).Port
	if got := peerOwner(peer, port, []int{os.Getpid(), client.Process.Pid}); got != 1 {
		t.Errorf("the client end's owner: %d, want 1 (the bash process)", got)
	}
	if got := peerOwner(peer, port, []int{os.Getpid()}); got != -1 {
		t.Errorf("the client end's owner, among this process only: %d, want -1", got)
	}
}

// attemptsByEvent counts the recorded attempts of each event's delivery
// (the test has one webhook).
func attemptsByEvent(ctx context.Context, db *sql.DB) (map[int64]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT d.event_id, COUNT(a.id) FROM webhook_deliveries d
		LEFT JOIN webhook_attempts a ON a.delivery_id = d.id GROUP BY d.event_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// TestReplicasBehindLoadBalancer: three replicas (the built binary, serve
// -db postgres://...) behind haproxy with the repository's example
// configuration, over one new PostgreSQL database. Writers, readers and
// three subscribers (server-sent events) go through the balancer, and a
// webhook receiver listens. Once a third of the writes are acknowledged,
// the receiver holds every webhook request of the victim (replica 2,
// told apart by its connections) unanswered, and the victim is killed
// with SIGKILL with at least one of them in flight. Then:
//   - every acknowledged write is stored, and at most the unanswered ones
//     besides;
//   - every subscriber saw every event, in id order, once, resuming with
//     afterId after its stream was cut;
//   - every event reached the webhook and its delivery succeeded; the
//     victim's attempts in flight, whose answer it never got, are sent
//     again by a surviving replica once the victim's lease has ended, and
//     they are the only attempts the receiver got twice: every other
//     message arrived exactly as many times as attempts were recorded
//     (exactly once per attempt, at least once overall, never lost).
func TestReplicasBehindLoadBalancer(t *testing.T) {
	haproxy := requireHAProxy(t)
	pgtest.Require(t)
	dbURL := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// The victim is replica 2. Each webhook attempt may take
	// webhookTimeout, and a replica's lease on what it claimed is 12 times
	// that: the victim's attempts in flight are sent again by another
	// replica about 36 s after it claimed them. The kill comes once one of
	// its requests is held and its answered ones are recorded, normally
	// within a second (the log says how long it took); a held request
	// that times out first is no longer in flight, and the kill waits for
	// another.
	const victim = 1
	const webhookTimeout = 3 * time.Second
	var (
		recMu    sync.Mutex
		receipts []*receipt
		pids     []int // the replicas' processes, by index
		// armed: the victim's requests are held from now on; killing: the
		// kill has begun.
		armed, killing bool
		// victimBusy counts the victim's requests being answered (those
		// read before the arming).
		victimBusy int
		killed     = make(chan struct{})
		held       = make(chan struct{}, 1)
	)
	hook := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		sc := r.Context().Value(senderConnKey{}).(*senderConn)
		recMu.Lock()
		ps := pids
		recMu.Unlock()
		sc.once.Do(func() { sc.sender = peerOwner(sc.peer, sc.local, ps) })
		rc := &receipt{id: r.Header.Get("webhook-id"), sender: sc.sender, at: time.Now(), ctx: r.Context()}
		recMu.Lock()
		rc.afterKill = killing
		victims := rc.sender == victim || rc.sender < 0
		rc.held = victims && armed
		// Armed, the survivors are answered slowly too: they fill their
		// share of claims (16 deliveries each), the rest piles up, and the
		// victim must claim some.
		pause := 100 * time.Millisecond
		if armed && !killing {
			pause = 700 * time.Millisecond
		}
		if rc.held {
			rc.live = killing // read after the kill began: its answer can never arrive
		} else if victims {
			victimBusy++
		}
		receipts = append(receipts, rc)
		recMu.Unlock()
		if rc.held {
			select {
			case held <- struct{}{}:
			default:
			}
			// No answer: the victim waits for it until it dies (or its
			// attempt times out).
			select {
			case <-killed:
			case <-r.Context().Done():
			}
			return
		}
		// A slow receiver: deliveries pile up, and every replica claims
		// some.
		time.Sleep(pause)
		if victims {
			recMu.Lock()
			victimBusy--
			recMu.Unlock()
		}
	}))
	hook.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		sc := &senderConn{peer: c.RemoteAddr().(*net.TCPAddr).Port, local: c.LocalAddr().(*net.TCPAddr).Port}
		return context.WithValue(ctx, senderConnKey{}, sc)
	}
	hook.Start()
	defer hook.Close()

	env := []string{"DATABASE_URL=" + dbURL}
	replicas := make([]*cliServer, 3)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			replicas[i] = startCLIServer(t, dir, env, "serve", "-addr", "127.0.0.1:0", "-webhook-allow-private",
				"-webhook-timeout", webhookTimeout.String(), "-webhook-first-retry", "100ms", "-trusted-proxies", "127.0.0.1")
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	recMu.Lock()
	for _, r := range replicas {
		pids = append(pids, r.cmd.Process.Pid)
	}
	recMu.Unlock()
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
	// awaitInFlight waits until the victim has a request held whose client
	// still waits, none of its requests is being answered, and every
	// answer it got is recorded: from then on, what it has in flight is
	// exactly what the receiver holds.
	awaitInFlight := func() error {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			recMu.Lock()
			busy, waiting := victimBusy, false
			answered := map[int64]int{} // by event, the answers given
			victims := map[int64]bool{} // events the victim was answered
			for _, rc := range receipts {
				if rc.held {
					waiting = waiting || rc.ctx.Err() == nil
					continue
				}
				answered[eventOf(rc.id)]++
				if rc.sender == victim {
					victims[eventOf(rc.id)] = true
				}
			}
			recMu.Unlock()
			if busy == 0 && waiting {
				recorded, err := attemptsByEvent(ctx, db)
				if err != nil {
					return err
				}
				all := true
				for e := range victims {
					all = all && recorded[e] >= answered[e]
				}
				if all {
					return nil
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no webhook delivery in flight on the victim to kill it with after 2 minutes (a request held and waiting: %v, its requests being answered: %d)", waiting, busy)
			}
			select {
			case <-held:
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	// The kill: armed at a third of the writes, it comes once the victim
	// has a delivery in flight. leases are the deliveries' next_attempt_at
	// as it died: the end of its lease on what it had claimed.
	var (
		armedAt   time.Time
		killStart time.Time
		killErr   error
		killOver  atomic.Bool
		leases    = map[int64]time.Time{}
	)
	killDone := make(chan struct{})
	arm := func() {
		recMu.Lock()
		armed, armedAt = true, time.Now()
		recMu.Unlock()
		go func() {
			defer close(killDone)
			defer killOver.Store(true)
			defer close(killed)
			for {
				if killErr = awaitInFlight(); killErr != nil {
					return
				}
				// Still in flight now? (A held request may have timed out
				// while the answers were counted.)
				recMu.Lock()
				live := 0
				for _, rc := range receipts {
					if rc.held && rc.ctx.Err() == nil {
						live++
					}
				}
				if live > 0 {
					killing, killStart = true, time.Now()
					for _, rc := range receipts {
						rc.live = rc.held && rc.ctx.Err() == nil
					}
				}
				recMu.Unlock()
				if live > 0 {
					break
				}
			}
			replicas[victim].cmd.Process.Kill() // SIGKILL
			replicas[victim].cmd.Wait()
			rows, err := db.QueryContext(ctx, `SELECT event_id, next_attempt_at FROM webhook_deliveries WHERE status = 'pending'`)
			if err != nil {
				killErr = err
				return
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var at string
				if err := rows.Scan(&id, &at); err != nil {
					killErr = err
					return
				}
				if leases[id], killErr = time.Parse(time.RFC3339, at); killErr != nil {
					return
				}
			}
			killErr = rows.Err()
		}()
	}
	var writing sync.WaitGroup
	for w := range writers {
		writing.Go(func() {
			// Past its share, a writer goes on until the kill: the victim
			// must claim deliveries to have one in flight.
			for i := 0; i < perWriter || !killOver.Load() && i < 40*perWriter; i++ {
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
					arm()
				}
			}
		})
	}
	writing.Wait()
	recMu.Lock()
	wasArmed := armed
	recMu.Unlock()
	if !wasArmed {
		t.Fatalf("a third of the writes was never acknowledged (%d of %d): no kill", acked.Load(), writers*perWriter)
	}
	<-killDone
	stopLoad()
	readers.Wait()
	if killErr != nil {
		t.Fatalf("the kill: %v", killErr)
	}
	t.Logf("%d writes acknowledged, %d unanswered; %d reads, %d failed", acked.Load(), unanswered.Load(), reads.Load(), readErrs.Load())

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

	// Every event reaches the webhook: the victim's leases end 12 webhook
	// timeouts after it claimed, then the survivors send what it held.
	deadline = time.Now().Add(3 * time.Minute)
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
	// Each message arrived once per recorded attempt, and once more for
	// each of the victim's attempts in flight when it died (live), whose
	// outcome it never recorded; one held past its timeout (gone) may or
	// may not have been recorded as failed before the kill.
	recorded, err := attemptsByEvent(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	type tally struct {
		got, live, gone int
		answered        []*receipt // by the survivors
	}
	tallies := map[int64]*tally{}
	var firstHeld time.Time
	recMu.Lock()
	for _, rc := range receipts {
		e := eventOf(rc.id)
		tl := tallies[e]
		if tl == nil {
			tl = &tally{}
			tallies[e] = tl
		}
		tl.got++
		switch {
		case rc.sender < 0 && !rc.afterKill:
			t.Errorf("%s: the sender of a request read before the kill was not found among the replicas' connections", rc.id)
		case rc.held && rc.live:
			tl.live++
		case rc.held:
			tl.gone++
		case rc.sender != victim:
			tl.answered = append(tl.answered, rc)
		}
		if rc.held && (firstHeld.IsZero() || rc.at.Before(firstHeld)) {
			firstHeld = rc.at
		}
	}
	recMu.Unlock()
	inFlight, gone, twice := 0, 0, 0
	for _, id := range events {
		m := webhook.MessageID(id)
		tl := tallies[id]
		if tl == nil {
			t.Errorf("%s never reached the webhook", m)
			continue
		}
		extra := tl.got - recorded[id]
		if extra < tl.live || extra > tl.live+tl.gone {
			t.Errorf("%s: %d requests, %d attempts recorded, %d in flight on the victim when it died (%d more held past its timeout): an attempt went out twice, or one in flight was not sent again",
				m, tl.got, recorded[id], tl.live, tl.gone)
		}
		twice += extra
		gone += tl.gone
		if tl.live == 0 {
			continue
		}
		inFlight += tl.live
		// In flight on the victim: it still held the lease as it died, and
		// a survivor sent the message again, answered, once it ended.
		lease, ok := leases[id]
		if !ok {
			t.Errorf("%s was in flight on the victim, but its delivery was no longer pending when it died", m)
			continue
		}
		if !lease.After(killStart) {
			t.Errorf("%s was in flight on the victim, but its lease had ended before the kill (%v, kill at %v)", m, lease, killStart)
			continue
		}
		again := false
		for _, rc := range tl.answered {
			again = again || !rc.at.Before(lease)
		}
		if !again {
			t.Errorf("%s was in flight on the victim, and no surviving replica sent it again after the lease ended at %v", m, lease)
		}
	}
	if inFlight == 0 {
		t.Errorf("no webhook delivery was in flight on the victim when it died (%d held past its timeout): the handover was not tested", gone)
	}
	var dup int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT delivery_id, number FROM webhook_attempts
		GROUP BY delivery_id, number HAVING COUNT(*) > 1) d`).Scan(&dup); err != nil || dup != 0 {
		t.Errorf("%d attempts recorded twice, %v", dup, err)
	}
	t.Logf("%d events; subscribers resumed %d times; the victim died with %d webhook attempts in flight (%d more held past its timeout); its first request held %v after the arming, the kill %v after that; %d requests duplicated in all",
		len(events), resumed, inFlight, gone, firstHeld.Sub(armedAt), killStart.Sub(firstHeld), twice)
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
