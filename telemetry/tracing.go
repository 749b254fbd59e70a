package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/ravilushqa/otelgqlgen"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the tracer of the spans this package makes.
const instrumentationName = "github.com/storefront/customers/telemetry"

// TracingEnabled reports whether the standard OpenTelemetry environment asks
// for traces, read through getenv (os.Getenv in SetupTracing):
//
//   - OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none: off;
//   - OTEL_TRACES_EXPORTER=otlp: on (the endpoint defaults to
//     http://localhost:4318);
//   - OTEL_TRACES_EXPORTER unset: on when OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, off otherwise. (The
//     specification's default exporter is otlp; this service stays quiet
//     unless told where to send.)
//
// Any other exporter, or an OTLP protocol other than http/protobuf (the
// only one built in), is an error.
func TracingEnabled(getenv func(string) string) (bool, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false, nil
	}
	on := false
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return false, nil
	case "otlp":
		on = true
	case "":
		on = getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: only otlp and none are supported", exp)
	}
	if !on {
		return false, nil
	}
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if protocol != "" && protocol != "http/protobuf" {
		return false, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: only http/protobuf is supported", protocol)
	}
	return true, nil
}

// SetupTracing sets up tracing as the OTEL_* environment says (see
// TracingEnabled). When it is off, it returns a nil provider and a shutdown
// that does nothing. When on, spans go in batches to an OTLP/HTTP exporter
// configured by the OTEL_EXPORTER_OTLP_* variables, sampled as
// OTEL_TRACES_SAMPLER says (parent-based, always on by default), with a
// resource naming service (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
// win) and version. Attributes that may hold variables, query text or
// argument values are dropped before export (see RedactingProcessor).
// Call shutdown before exiting, to flush the last spans.
func SetupTracing(ctx context.Context, service, version string) (tp *sdktrace.TracerProvider, shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	on, err := TracingEnabled(os.Getenv)
	if err != nil || !on {
		return nil, noop, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, noop, fmt.Errorf("tracing: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service), semconv.ServiceVersion(version)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, noop, fmt.Errorf("tracing: %w", err)
	}
	tp = sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(RedactingProcessor{Next: sdktrace.NewBatchSpanProcessor(exp)}),
	)
	return tp, tp.Shutdown, nil
}

// propagator reads and writes W3C trace context and baggage headers.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// TraceHTTP wraps next in an otelhttp server span per request, continuing
// the caller's trace from its traceparent header. Put it outside Handler,
// which names the span after the matched route.
func TraceHTTP(next http.Handler, tp trace.TracerProvider) http.Handler {
	// otelhttp records the path before routing: a path that holds a
	// credential reaches it redacted, and the handler gets it back.
	restore := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(pathKey{}).(string); ok {
			r.URL.Path, r.URL.RawPath = p, ""
		}
		next.ServeHTTP(w, r)
	})
	h := otelhttp.NewHandler(restore, "http",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagator),
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if shown := loggedPath(r.URL.Path); shown != r.URL.Path {
			r = r.Clone(context.WithValue(r.Context(), pathKey{}, r.URL.Path))
			r.URL.Path, r.URL.RawPath, r.RequestURI = shown, "", shown
		}
		h.ServeHTTP(w, r)
	})
}

// pathKey holds a request's own path while otelhttp sees a redacted one.
type pathKey struct{}

// TraceGraphQL returns the otelgqlgen extension: a span per operation and
// one per resolver field (not per field: plain struct reads get none),
// without variables.
func TraceGraphQL(tp trace.TracerProvider) graphql.HandlerExtension {
	return otelgqlgen.Middleware(
		otelgqlgen.WithTracerProvider(tp),
		otelgqlgen.WithoutVariables(),
		otelgqlgen.WithCreateSpanFromFields(func(fc *graphql.FieldContext) bool { return fc.IsResolver }),
		// The HTTP span is the server span; these are its children.
		otelgqlgen.WithSpanKindSelector(func(string) trace.SpanKind { return trace.SpanKindInternal }),
	)
}

// SQLObserver returns a storage.DB.Observer that records each statement:
// its latency in m (when not nil) and, when tp is not nil and the context
// holds a recording span, a client span that starts when the statement did
// (the observer is told after it ran) and carries the statement's text,
// which binds every value, never the arguments.
func SQLObserver(tp trace.TracerProvider, m *Metrics) func(ctx context.Context, statement string, d time.Duration, err error) {
	var tracer trace.Tracer
	if tp != nil {
		tracer = tp.Tracer(instrumentationName)
	}
	return func(ctx context.Context, statement string, d time.Duration, err error) {
		if m != nil {
			outcome := "ok"
			if err != nil {
				outcome = "error"
			}
			m.sqlDuration.WithLabelValues(outcome).Observe(d.Seconds())
		}
		// Spans only inside a trace: statements outside requests (the demo
		// seed, say) would each make a trace of their own.
		if tracer == nil || !trace.SpanFromContext(ctx).IsRecording() {
			return
		}
		end := time.Now()
		op := sqlOperation(statement)
		_, span := tracer.Start(ctx, op+" sqlite",
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithTimestamp(end.Add(-d)),
			trace.WithAttributes(
				semconv.DBSystemNameSQLite,
				semconv.DBOperationName(op),
				semconv.DBQueryText(statement),
			),
		)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End(trace.WithTimestamp(end))
	}
}

// sqlOperation returns the statement's first keyword in upper case.
func sqlOperation(statement string) string {
	f := strings.Fields(statement)
	if len(f) == 0 {
		return "SQL"
	}
	return strings.ToUpper(strings.TrimRight(f[0], "(;"))
}

// redactedKeys and redactedPrefixes name span attributes that may hold what
// a request sent: otelgqlgen records the query text (inline literals can be
// passwords), the variables unless told not to, and each resolver's
// argument values.
var (
	redactedKeys     = map[attribute.Key]bool{"gql.request.query": true}
	redactedPrefixes = []string{"gql.request.variables", "gql.resolver.args"}
)

// RedactingProcessor is a span processor that drops the attributes that may
// carry request values (the GraphQL query text, variables and resolver
// arguments) from every span before passing it to Next.
type RedactingProcessor struct {
	// Next receives the redacted spans: a batch processor in front of an
	// exporter, say.
	Next sdktrace.SpanProcessor
}

// OnStart passes the span to Next.
func (p RedactingProcessor) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	p.Next.OnStart(ctx, s)
}

// OnEnd passes the span to Next without the redacted attributes.
func (p RedactingProcessor) OnEnd(s sdktrace.ReadOnlySpan) { p.Next.OnEnd(redactedSpan{s}) }

// Shutdown shuts Next down.
func (p RedactingProcessor) Shutdown(ctx context.Context) error { return p.Next.Shutdown(ctx) }

// ForceFlush flushes Next.
func (p RedactingProcessor) ForceFlush(ctx context.Context) error { return p.Next.ForceFlush(ctx) }

// redactedSpan is a finished span whose attributes leave out the redacted
// ones.
type redactedSpan struct {
	sdktrace.ReadOnlySpan
}

func (s redactedSpan) Attributes() []attribute.KeyValue {
	all := s.ReadOnlySpan.Attributes()
	out := make([]attribute.KeyValue, 0, len(all))
	for _, kv := range all {
		if !redacted(kv.Key) {
			out = append(out, kv)
		}
	}
	return out
}

func redacted(k attribute.Key) bool {
	if redactedKeys[k] {
		return true
	}
	for _, p := range redactedPrefixes {
		if strings.HasPrefix(string(k), p) {
			return true
		}
	}
	return false
}
