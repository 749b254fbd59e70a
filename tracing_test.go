package main

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is a fake OTLP/HTTP trace receiver.
type collector struct {
	mu       sync.Mutex
	spans    []*tracepb.Span
	resource []*commonpb.KeyValue
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		c.resource = rs.GetResource().GetAttributes()
		for _, ss := range rs.GetScopeSpans() {
			c.spans = append(c.spans, ss.GetSpans()...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func attr(kvs []*commonpb.KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// TestServe_Tracing runs a real server with the OTEL_* environment pointing
// at a fake collector: one request continues the caller's trace through an
// HTTP span, an operation span, resolver spans and SQL spans; no span
// carries the query text, a variable or an argument value.
func TestServe_Tracing(t *testing.T) {
	col := &collector{}
	cs := httptest.NewServer(col)
	defer cs.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", cs.URL)
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_SERVICE_NAME", "")

	s := startTelServer(t, "-db", storagetest.DemoFile(t, storage.DemoCustomers), "-demo")
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	_, out := s.graphql(t, map[string]string{
		"traceparent":  "00-" + traceID + "-b7ad6b7169203331-01",
		"X-Request-ID": "req-traced",
	}, map[string]any{
		"query": `query Secretive($emails: [String!]) {
			a: customers(filter: { emailIn: $emails, nameLike: ["inline-SECRET-literal"] }) { nodes { id } }
			b: customers(limit: 3) { nodes { id addresses { city } } }
		}`,
		"variables": map[string]any{"emails": []string{secretEmail}},
	})
	if out["errors"] != nil {
		t.Fatalf("errors: %v", out["errors"])
	}
	if err := s.stop(); err != nil { // flushes the spans
		t.Fatal(err)
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	if got := attr(col.resource, "service.name"); got != "customers" {
		t.Errorf("service.name %q", got)
	}
	byName := map[string][]*tracepb.Span{}
	ids := map[string]bool{}
	for _, sp := range col.spans {
		if hex.EncodeToString(sp.GetTraceId()) != traceID {
			continue
		}
		byName[sp.GetName()] = append(byName[sp.GetName()], sp)
		ids[hex.EncodeToString(sp.GetSpanId())] = true
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	t.Logf("spans of the trace: %v", names)

	httpSpan := byName["POST /graphql"]
	if len(httpSpan) != 1 || httpSpan[0].GetKind() != tracepb.Span_SPAN_KIND_SERVER ||
		attr(httpSpan[0].GetAttributes(), "http.route") != "/graphql" || attr(httpSpan[0].GetAttributes(), "http.request.id") != "req-traced" ||
		hex.EncodeToString(httpSpan[0].GetParentSpanId()) != "b7ad6b7169203331" {
		t.Fatalf("HTTP span: %v", httpSpan)
	}
	if op := byName["Secretive"]; len(op) != 1 || op[0].GetKind() != tracepb.Span_SPAN_KIND_INTERNAL {
		t.Fatalf("operation span: %v", op)
	}
	if n := len(byName["Query/customers"]); n != 2 {
		t.Fatalf("%d Query/customers resolver spans, want 2", n)
	}
	if n := len(byName["Customer/id"]); n != 0 {
		t.Fatalf("%d spans for a plain field", n)
	}
	sqlSpans := byName["SELECT sqlite"]
	if len(sqlSpans) == 0 {
		t.Fatal("no SQL spans")
	}
	for _, sp := range sqlSpans {
		q := attr(sp.GetAttributes(), "db.query.text")
		if !strings.Contains(q, "SELECT") || attr(sp.GetAttributes(), "db.system.name") != "sqlite" ||
			sp.GetKind() != tracepb.Span_SPAN_KIND_CLIENT || !ids[hex.EncodeToString(sp.GetParentSpanId())] ||
			sp.GetStartTimeUnixNano() > sp.GetEndTimeUnixNano() {
			t.Fatalf("SQL span %v", sp)
		}
	}

	// Nothing the request sent is in any span.
	for _, sp := range col.spans {
		b, _ := proto.Marshal(sp)
		for _, secret := range []string{secretEmail, "inline-SECRET-literal", "emailIn"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("span %s holds %q", sp.GetName(), secret)
			}
		}
		for _, kv := range sp.GetAttributes() {
			if k := kv.GetKey(); k == "gql.request.query" || strings.HasPrefix(k, "gql.request.variables") || strings.HasPrefix(k, "gql.resolver.args") {
				t.Errorf("span %s has attribute %s", sp.GetName(), k)
			}
		}
	}

	// The request's log lines carry the trace id.
	if op := findLog(s.logLines(t), "graphql operation", "req-traced"); len(op) != 1 || op[0]["trace_id"] != traceID {
		t.Fatalf("operation log lines %v: want one with trace_id %s", op, traceID)
	}
}
