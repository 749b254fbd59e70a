package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
	"github.com/storefront/customers/telemetry"
)

// lockedBuffer collects what a server writes while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// telServer is a real server started by serve, with what it printed and
// logged.
type telServer struct {
	url     string
	printed *lockedBuffer
	logs    *lockedBuffer
	stop    func() error
	// client uses a single connection: the server reads a connection's
	// next request only once the previous handler has returned, so each
	// request sees everything the earlier ones logged and counted.
	client *http.Client
}

// startTelServer runs serve with args and JSON logs from debug level up,
// as main would set them up, into a buffer.
func startTelServer(t *testing.T, args ...string) *telServer {
	t.Helper()
	s := &telServer{printed: &lockedBuffer{}, logs: &lockedBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	log := telemetry.NewLogger(s.logs, slog.LevelDebug)
	go func() { done <- serve(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), s.printed, log, ready) }()
	select {
	case addr := <-ready:
		s.url = "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatal("server did not start within two minutes")
	}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	s.client = &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}, Timeout: time.Minute}
	t.Cleanup(s.client.CloseIdleConnections)
	return s
}

// apiToken returns the admin token that -demo printed, if the server
// prints one (API tokens may not exist in every build).
func (s *telServer) apiToken() string {
	m := regexp.MustCompile(`X-Auth-Token: (\S+)`).FindStringSubmatch(s.printed.String())
	if m == nil {
		return ""
	}
	return m[1]
}

// graphql posts a GraphQL request with the API token and extra headers and
// returns the response and its decoded body.
func (s *telServer) graphql(t *testing.T, headers map[string]string, body map[string]any) (*http.Response, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token := s.apiToken(); token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("decoding the response: %v", err)
	}
	return res, out
}

// get fetches path and returns the status and body.
func (s *telServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := s.client.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// logLines decodes the server's JSON log lines.
func (s *telServer) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// findLog returns the log lines with message msg and the given request id.
func findLog(lines []map[string]any, msg, requestID string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["msg"] == msg && l["request_id"] == requestID {
			out = append(out, l)
		}
	}
	return out
}

// scrape reads /metrics and parses the text exposition format.
func (s *telServer) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := s.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return families
}

// series returns the sample of family name whose labels are exactly labels
// ("k=v" pairs), or nil.
func series(families map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	f := families[name]
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(labels))
		if slices.Equal(got, want) {
			return m
		}
	}
	return nil
}

// value returns a counter's or gauge's value, or a histogram's sample
// count; -1 when the series is missing.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	m := series(families, name, labels...)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

// Secrets a request carries that must never reach the logs.
const (
	secretEmail    = "leak-check-SECRET@example.com"
	secretPassword = "hunter2-SECRET-pw"
	secretBearer   = "Bearer tok-SECRET-bearer"
)

// TestServe_LogsAndMetrics runs a known mix of requests against a real demo
// server and checks the log lines (request id echoed, operation name,
// duration, SQL statements, error codes; no variables, passwords or
// tokens) and the /metrics series they leave.
func TestServe_LogsAndMetrics(t *testing.T) {
	t.Parallel()
	s := startTelServer(t, "-db", storagetest.DemoFile(t, storage.DemoCustomers), "-demo")

	// The playground's example query, twice: with a request id, and without.
	res, out := s.graphql(t, map[string]string{"X-Request-ID": "req-example-1"}, map[string]any{"query": exampleQuery})
	if res.Header.Get("X-Request-ID") != "req-example-1" || out["errors"] != nil {
		t.Fatalf("example query: X-Request-ID %q, errors %v", res.Header.Get("X-Request-ID"), out["errors"])
	}
	res, _ = s.graphql(t, nil, map[string]any{"query": exampleQuery})
	madeID := res.Header.Get("X-Request-ID")
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(madeID) {
		t.Fatalf("made request id %q", madeID)
	}
	// An anonymous query.
	s.graphql(t, map[string]string{"X-Request-ID": "req-anonymous"}, map[string]any{"query": `{ customers(limit: 2) { nodes { id } } }`})
	// A failing query whose variable holds an email, with a bearer token.
	_, out = s.graphql(t, map[string]string{"X-Request-ID": "req-bad-limit", "Authorization": secretBearer}, map[string]any{
		"query":     `query FindByEmail($emails: [String!]) { customers(filter: { emailIn: $emails }, limit: 0) { nodes { id } } }`,
		"variables": map[string]any{"emails": []string{secretEmail}},
	})
	if out["errors"] == nil {
		t.Fatal("limit: 0 was accepted")
	}
	// A password, in a variable; whatever the answer, it is not logged.
	s.graphql(t, map[string]string{"X-Request-ID": "req-password"}, map[string]any{
		"query":     `mutation CheckPassword($pw: String!) { validateCustomerPassword(customerId: 1, password: $pw) { success } }`,
		"variables": map[string]any{"pw": secretPassword},
	})
	// A query that does not validate.
	res, _ = s.graphql(t, map[string]string{"X-Request-ID": "req-invalid"}, map[string]any{
		"query": `query Broken { customers { nope } }`, "operationName": "Broken",
	})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid query: %d", res.StatusCode)
	}

	m := s.scrape(t)
	if err := s.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	lines := s.logLines(t)

	t.Run("OperationLines", func(t *testing.T) {
		var statements float64
		for _, id := range []string{"req-example-1", madeID} {
			op := findLog(lines, "graphql operation", id)
			if len(op) != 1 {
				t.Fatalf("request %s: %d operation lines", id, len(op))
			}
			l := op[0]
			if l["operation"] != "NewestCustomers" || l["type"] != "query" || l["level"] != "INFO" || l["error_codes"] != nil {
				t.Fatalf("example query line: %v", l)
			}
			if d, _ := l["duration_ms"].(float64); d <= 0 {
				t.Fatalf("duration_ms %v", l["duration_ms"])
			}
			n, _ := l["sql_statements"].(float64)
			if n < 1 {
				t.Fatalf("sql_statements %v", l["sql_statements"])
			}
			statements += n
		}
		if got := series(m, "customers_graphql_operation_sql_statements", "operation=NewestCustomers").GetHistogram().GetSampleSum(); got != statements {
			t.Fatalf("statements histogram sum %v, log lines say %v", got, statements)
		}
		for id, want := range map[string]struct {
			operation string
			codes     string
		}{
			"req-anonymous": {"anonymous", ""},
			"req-bad-limit": {"FindByEmail", "BAD_USER_INPUT"},
			"req-invalid":   {"Broken", "GRAPHQL_VALIDATION_FAILED"},
		} {
			op := findLog(lines, "graphql operation", id)
			if len(op) != 1 {
				t.Fatalf("request %s: %d operation lines", id, len(op))
			}
			codes := ""
			if c, ok := op[0]["error_codes"].([]any); ok {
				codes = fmt.Sprint(c...)
			}
			if op[0]["operation"] != want.operation || codes != want.codes {
				t.Fatalf("request %s: %v, want operation %s and codes %q", id, op[0], want.operation, want.codes)
			}
			if want.codes != "" && op[0]["level"] != "WARN" {
				t.Fatalf("a failed operation logged at %v", op[0]["level"])
			}
		}
	})

	t.Run("HTTPLines", func(t *testing.T) {
		for id, status := range map[string]float64{"req-example-1": 200, madeID: 200, "req-invalid": 422} {
			h := findLog(lines, "http request", id)
			if len(h) != 1 || h[0]["status"] != status || h[0]["route"] != "/graphql" || h[0]["method"] != "POST" {
				t.Fatalf("request %s: http lines %v", id, h)
			}
		}
	})

	t.Run("NoSecrets", func(t *testing.T) {
		logs := s.logs.String()
		secrets := []string{secretEmail, secretPassword, "tok-SECRET-bearer", "emailIn", "validateCustomerPassword"}
		if token := s.apiToken(); token != "" {
			secrets = append(secrets, token)
		}
		for _, secret := range secrets {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs contain %q", secret)
			}
		}
	})

	t.Run("Metrics", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"customers_graphql_operations_total", []string{"operation=NewestCustomers", "outcome=ok"}, 2},
			{"customers_graphql_operations_total", []string{"operation=anonymous", "outcome=ok"}, 1},
			{"customers_graphql_operations_total", []string{"operation=FindByEmail", "outcome=error"}, 1},
			{"customers_graphql_operations_total", []string{"operation=invalid", "outcome=error"}, 1},
			{"customers_graphql_operation_duration_seconds", []string{"operation=NewestCustomers"}, 2},
			{"customers_graphql_operation_sql_statements", []string{"operation=NewestCustomers"}, 2},
			// The customer reads run compiled; the one with a bad limit and
			// the password check on gqlgen's executor; the invalid
			// operation on neither.
			{"customers_graphql_executions_total", []string{"executor=compiled"}, 3},
			{"customers_graphql_executions_total", []string{"executor=reference"}, 2},
			{"customers_graphql_errors_total", []string{"code=BAD_USER_INPUT"}, 1},
			{"customers_graphql_errors_total", []string{"code=GRAPHQL_VALIDATION_FAILED"}, 1},
			{"customers_http_requests_total", []string{"route=/graphql", "code=422"}, 1},
			{"customers_http_request_duration_seconds", []string{"route=/graphql"}, 6},
			// The example query lists 5 customers; their addresses come in
			// one batch of 5 keys per operation.
			{"customers_dataloader_batch_size", []string{"relation=addresses"}, 2},
			{"customers_store_pool_max_open_connections", []string{"pool=writer"}, 1},
			{"customers_store_pool_max_open_connections", []string{"pool=reader"}, float64(storage.DefaultReadConns)},
			{"customers_webhook_queue_depth", nil, 0},
			{"customers_webhook_deliveries_total", []string{"outcome=delivered"}, 0},
		} {
			if got := value(m, c.name, c.labels...); got != c.want {
				t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
			}
		}
		if s := series(m, "customers_store_pool_max_open_connections", "pool=standby"); s != nil {
			t.Errorf("a standby pool without a standby: %v", s)
		}
		if got := series(m, "customers_dataloader_batch_size", "relation=addresses").GetHistogram().GetSampleSum(); got != 10 {
			t.Errorf("address batch keys: %v, want 2 batches of 5", got)
		}
		if got := value(m, "customers_sql_statement_duration_seconds", "outcome=ok"); got < 10 {
			t.Errorf("%v statements timed", got)
		}
		// Operation labels are names of executed operations, or the fixed
		// words; never query text.
		for _, s := range m["customers_graphql_operations_total"].GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "operation" && !slices.Contains([]string{"NewestCustomers", "anonymous", "FindByEmail", "CheckPassword", "invalid"}, l.GetValue()) {
					t.Errorf("operation label %q", l.GetValue())
				}
			}
		}
		if b := series(m, "customers_build_info", "version=devel", "revision=", "go_version="+telemetry.ReadBuild().GoVersion); b == nil {
			t.Errorf("no customers_build_info for this build: %v", m["customers_build_info"])
		}
	})
}

// TestServe_Readiness checks /readyz on a real server, and readyHandler on
// a store: ready once open and migrated, not ready with a migration pending
// (as when a newer binary's migration has not run) and once closed.
func TestServe_Readiness(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "customers.db")
	s := startTelServer(t, "-db", path)
	if code, body := s.get(t, "/readyz"); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("fresh server: %d %q", code, body)
	}
	restore := unapplyLastMigration(t, path)
	if code, _ := s.get(t, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("with a migration pending: %d", code)
	}
	if code, _ := s.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("healthz with a migration pending: %d (liveness must not depend on the store)", code)
	}
	restore()
	if code, _ := s.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("migrations applied again: %d", code)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.logs.String(), `"msg":"not ready"`) {
		t.Fatal("not being ready was not logged")
	}

	// The handler itself, on a store that gets closed.
	db, err := storage.Open(context.Background(), path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := readyHandler(db, slog.New(slog.DiscardHandler))
	check := func(want int) {
		t.Helper()
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, (&http.Request{Method: "GET"}).WithContext(context.Background()))
		if rec.code != want {
			t.Fatalf("readyz %d, want %d", rec.code, want)
		}
	}
	check(http.StatusOK)
	restore = unapplyLastMigration(t, path)
	check(http.StatusServiceUnavailable)
	restore()
	check(http.StatusOK)
	db.Close()
	check(http.StatusServiceUnavailable)
}

// statusRecorder is a minimal http.ResponseWriter that keeps the status.
type statusRecorder struct {
	header http.Header
	code   int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return len(p), nil
}
func (r *statusRecorder) WriteHeader(code int) { r.code = code }

// unapplyLastMigration removes the record of the newest applied migration
// from the store at path, through a connection of its own, and returns a
// function that puts it back.
func unapplyLastMigration(t *testing.T, path string) (restore func()) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var name, applied string
	if err := conn.QueryRow(`SELECT name, applied_at FROM schema_migrations ORDER BY name DESC LIMIT 1`).Scan(&name, &applied); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`DELETE FROM schema_migrations WHERE name = ?`, name); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if _, err := conn.Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, applied); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServe_Version prints the build and exits without opening a store.
func TestServe_Version(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	db := filepath.Join(t.TempDir(), "never.db")
	if err := serve(context.Background(), []string{"-version", "-db", db}, &out, slog.New(slog.DiscardHandler), nil); err != nil {
		t.Fatal(err)
	}
	// go test stamps no module version and, with -buildvcs=false, no commit.
	if !regexp.MustCompile(`^\S+ devel( \(revision [0-9a-f]+.*\))? go1\.\d+`).MatchString(out.String()) {
		t.Fatalf("-version printed %q", out.String())
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("-version opened the store: %v", err)
	}
}

// TestServeUntil_DrainsRequestsAndEndsStreams shuts a server down while a
// plain request and a stream (a hijacked, websocket-like connection) run:
// the stream's context ends as shutdown begins, the plain request finishes
// with its context intact, and serving returns.
func TestServeUntil_DrainsRequestsAndEndsStreams(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		if err := r.Context().Err(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "finished")
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
		<-r.Context().Done() // where a websocket transport ends its subscriptions
		rw.WriteString("bye\n")
		rw.Flush()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, shutdown := context.WithCancel(context.Background())
	defer shutdown()
	done := make(chan error, 1)
	go func() { done <- serveUntil(ctx, &http.Server{Handler: mux}, ln, slog.New(slog.DiscardHandler)) }()

	stream, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	fmt.Fprint(stream, "GET /stream HTTP/1.1\r\nHost: test\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
	sr := bufio.NewReader(stream)
	if res, err := http.ReadResponse(sr, nil); err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", res, err)
	}

	slow := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		slow <- fmt.Sprint(res.StatusCode, " ", string(b))
	}()
	<-entered

	shutdown()
	stream.SetReadDeadline(time.Now().Add(time.Minute))
	if line, err := sr.ReadString('\n'); err != nil || line != "bye\n" {
		t.Fatalf("the stream did not end on shutdown: %q %v", line, err)
	}
	close(release)
	if got := <-slow; got != "200 finished" {
		t.Fatalf("the running request: %s", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("serveUntil: %v", err)
	}
}
