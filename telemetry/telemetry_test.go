package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// logLines decodes the JSON lines in buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON log line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestOperationLabel(t *testing.T) {
	m := NewMetrics(Build{Version: "devel"})
	if got := m.OperationLabel(""); got != OperationAnonymous {
		t.Fatalf("anonymous: %q", got)
	}
	for i := range MaxOperationNames {
		name := fmt.Sprintf("Op%d", i)
		if got := m.OperationLabel(name); got != name {
			t.Fatalf("name %d of %d: %q", i+1, MaxOperationNames, got)
		}
	}
	if got := m.OperationLabel("OneTooMany"); got != OperationOther {
		t.Fatalf("past the cap: %q, want %q", got, OperationOther)
	}
	if got := m.OperationLabel("Op7"); got != "Op7" {
		t.Fatalf("a name seen before the cap: %q", got)
	}
}

func TestHandler_RequestID(t *testing.T) {
	var logs bytes.Buffer
	m := NewMetrics(Build{Version: "devel"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		slog.New(NewContextHandler(slog.NewJSONHandler(&logs, nil))).InfoContext(r.Context(), "inside")
		w.WriteHeader(http.StatusTeapot)
	})
	h := Handler(mux, NewLogger(&logs, slog.LevelDebug), m)

	for _, tc := range []struct {
		name, sent string
		echoed     *regexp.Regexp
	}{
		{"Taken", "req-42.a:b", regexp.MustCompile(`^req-42\.a:b$`)},
		{"Made", "", regexp.MustCompile(`^[0-9a-f]{24}$`)},
		{"HostileReplaced", "evil\" \n{\"level\":\"ERROR\"}", regexp.MustCompile(`^[0-9a-f]{24}$`)},
		{"TooLongReplaced", strings.Repeat("a", 129), regexp.MustCompile(`^[0-9a-f]{24}$`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			r := httptest.NewRequest("GET", "/items/7?secret=s3cr3t", nil)
			if tc.sent != "" {
				r.Header.Set(RequestIDHeader, tc.sent)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			id := w.Header().Get(RequestIDHeader)
			if !tc.echoed.MatchString(id) {
				t.Fatalf("X-Request-ID %q, want %v", id, tc.echoed)
			}
			lines := logLines(t, &logs)
			if len(lines) != 2 {
				t.Fatalf("%d log lines, want 2: %s", len(lines), logs.String())
			}
			for _, l := range lines {
				if l["request_id"] != id {
					t.Fatalf("log line %v: request_id is not %q", l, id)
				}
			}
			access := lines[1]
			if access["msg"] != "http request" || access["route"] != "/items/{id}" || access["status"] != float64(418) ||
				access["path"] != "/items/7" || access["method"] != "GET" {
				t.Fatalf("access line %v", access)
			}
			if _, ok := access["duration_ms"].(float64); !ok {
				t.Fatalf("access line without duration_ms: %v", access)
			}
			if strings.Contains(logs.String(), "s3cr3t") {
				t.Fatal("the query string was logged")
			}
		})
	}
	if got := testutil.ToFloat64(m.httpRequests.WithLabelValues("/items/{id}", "418")); got != 4 {
		t.Fatalf("requests counted: %v, want 4", got)
	}

	logs.Reset()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere/"+strings.Repeat("x", 50), nil))
	if got := testutil.ToFloat64(m.httpRequests.WithLabelValues("unmatched", "404")); got != 1 {
		t.Fatalf("unmatched requests: %v, want 1", got)
	}
}

func TestContextHandler(t *testing.T) {
	var buf bytes.Buffer
	log := WithContext(WithContext(NewLogger(&buf, slog.LevelInfo))) // wrapping twice adds the ids once
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(WithRequestID(context.Background(), "r1"), "op")
	defer span.End()
	log.With("k", "v").InfoContext(ctx, "hello")
	log.Info("no context")

	if n := strings.Count(buf.String(), `"request_id"`); n != 1 {
		t.Fatalf("request_id appears %d times: %s", n, buf.String())
	}
	lines := logLines(t, &buf)
	sc := span.SpanContext()
	if l := lines[0]; l["request_id"] != "r1" || l["trace_id"] != sc.TraceID().String() || l["span_id"] != sc.SpanID().String() || l["k"] != "v" {
		t.Fatalf("line with context: %v", l)
	}
	if _, ok := lines[1]["request_id"]; ok {
		t.Fatalf("line without context: %v", lines[1])
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "debug": slog.LevelDebug, "WARN": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel accepted loud")
	}
}

func TestTracingEnabled(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		want    bool
		wantErr bool
	}{
		{env: nil, want: false},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, want: true},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, want: true},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, want: true},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, want: false},
		{env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, want: false},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, wantErr: true},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, wantErr: true},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, want: true},
	} {
		got, err := TracingEnabled(func(k string) string { return tc.env[k] })
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%v: %v, %v; want %v (error %v)", tc.env, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestReadBuild(t *testing.T) {
	b := ReadBuild()
	// Test binaries carry no module version and, with -buildvcs=false or
	// under go test, no VCS stamp.
	if b.Version == "" || b.Version == "(devel)" || !strings.HasPrefix(b.GoVersion, "go") {
		t.Fatalf("%+v", b)
	}
	s := Build{Path: "example.com/m", Version: "v1.2.3", Revision: "abc", Time: "2026-11-26T08:00:00Z", Modified: true, GoVersion: "go1.26.8"}.String()
	if want := "example.com/m v1.2.3 (revision abc, 2026-11-26T08:00:00Z, modified) go1.26.8"; s != want {
		t.Fatalf("%q, want %q", s, want)
	}
	if s := (Build{Version: "devel", GoVersion: "go1.26.8"}).String(); s != "customers devel go1.26.8" {
		t.Fatalf("%q", s)
	}
}

func TestRedactingProcessor(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(RedactingProcessor{Next: sdktrace.NewSimpleSpanProcessor(exp)}))
	_, span := tp.Tracer("test").Start(context.Background(), "op")
	span.SetAttributes(
		attribute.String("gql.request.query", `mutation { login(password: "hunter2") }`),
		attribute.String("gql.request.variables.password", "hunter2"),
		attribute.String("gql.resolver.args.password", `"hunter2"`),
		attribute.String("gql.resolver.path", "login"),
	)
	span.End()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	attrs := spans[0].Attributes
	if len(attrs) != 1 || attrs[0].Key != "gql.resolver.path" {
		t.Fatalf("attributes after redaction: %v", attrs)
	}
}

func TestSQLObserver(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	m := NewMetrics(Build{Version: "devel"})
	observe := SQLObserver(tp, m)

	// Outside a trace: timed, not traced.
	observe(context.Background(), "SELECT 1", time.Millisecond, nil)
	if n := len(exp.GetSpans()); n != 0 {
		t.Fatalf("%d spans without a parent", n)
	}

	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	before := time.Now()
	observe(ctx, "\n  select id FROM customers WHERE email = ?", 40*time.Millisecond, nil)
	observe(ctx, "INSERT INTO customers (email) VALUES (?)", time.Millisecond, fmt.Errorf("UNIQUE constraint failed"))
	parent.End()

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	sel, ins := spans[0], spans[1]
	if sel.Name != "SELECT sqlite" || sel.SpanKind != trace.SpanKindClient || sel.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Fatalf("select span: %s %v parent %v", sel.Name, sel.SpanKind, sel.Parent)
	}
	if d := sel.EndTime.Sub(sel.StartTime); d != 40*time.Millisecond {
		t.Fatalf("select span lasts %v, want the statement's 40ms", d)
	}
	if !sel.StartTime.Before(before) {
		t.Fatal("the span does not start when the statement did")
	}
	want := map[attribute.Key]string{
		"db.system.name":    "sqlite",
		"db.operation.name": "SELECT",
		"db.query.text":     "\n  select id FROM customers WHERE email = ?",
	}
	for _, kv := range sel.Attributes {
		if want[kv.Key] != kv.Value.Emit() {
			t.Fatalf("attribute %s=%q", kv.Key, kv.Value.Emit())
		}
		delete(want, kv.Key)
	}
	if len(want) > 0 {
		t.Fatalf("missing attributes %v", want)
	}
	if ins.Name != "INSERT sqlite" || ins.Status.Code.String() != "Error" {
		t.Fatalf("failed insert span: %s %v", ins.Name, ins.Status)
	}
	counts := map[string]uint64{}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "customers_sql_statement_duration_seconds" {
			for _, s := range f.GetMetric() {
				counts[s.GetLabel()[0].GetValue()] = s.GetHistogram().GetSampleCount()
			}
		}
	}
	if counts["ok"] != 2 || counts["error"] != 1 {
		t.Fatalf("statements timed by outcome: %v, want ok 2, error 1", counts)
	}
}

func TestErrorCodes(t *testing.T) {
	errs := gqlerror.List{
		{Message: "a", Extensions: map[string]any{"code": "BAD_USER_INPUT"}},
		{Message: "b"},
		{Message: "c", Extensions: map[string]any{"code": "BAD_USER_INPUT"}},
		{Message: "d", Extensions: map[string]any{"code": "lower case; DROP"}},
		{Message: "e", Extensions: map[string]any{"code": "GRAPHQL_PARSE_FAILED"}},
	}
	got := errorCodes(errs)
	if want := []string{"BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED", "UNKNOWN"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%v, want %v", got, want)
	}
}

func TestLogName(t *testing.T) {
	for _, tc := range []struct {
		name     string
		executed bool
		want     string
	}{
		{"", true, "anonymous"},
		{"NewestCustomers", true, "NewestCustomers"},
		{"Asked", false, "Asked"},
		{"", false, "invalid"},
		{"not a name {", false, "invalid"},
		{"9lives", false, "invalid"},
		{strings.Repeat("A", 101), false, "invalid"},
	} {
		if got := logName(tc.name, tc.executed); got != tc.want {
			t.Errorf("logName(%q, %v) = %q, want %q", tc.name, tc.executed, got, tc.want)
		}
	}
}

func TestTuneGC(t *testing.T) {
	oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })

	env := map[string]string{}
	got := TuneGC(func(k string) string { return env[k] })
	if want := (GCSettings{Percent: DefaultGCPercent, MemoryLimit: DefaultMemoryLimit}); got != want {
		t.Fatalf("defaults: got %v, want %v", got, want)
	}

	// Set variables win: the runtime applied them at start (simulated here).
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)
	env = map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}
	got = TuneGC(func(k string) string { return env[k] })
	if want := (GCSettings{Percent: 150, MemoryLimit: 1 << 30}); got != want {
		t.Fatalf("with GOGC and GOMEMLIMIT set: got %v, want %v", got, want)
	}
	debug.SetGCPercent(-1)
	env = map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}
	if got = TuneGC(func(k string) string { return env[k] }); got.Percent != -1 || got.String() != "GOGC=off GOMEMLIMIT=1073741824" {
		t.Fatalf("with GOGC=off: got %v", got)
	}
	if s := (GCSettings{Percent: -1, MemoryLimit: 5}).String(); s != "GOGC=off GOMEMLIMIT=5" {
		t.Fatalf("String() = %q", s)
	}
}
