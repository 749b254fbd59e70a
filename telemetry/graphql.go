package telemetry

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Operations is a gqlgen handler extension that logs one line per GraphQL
// response ("graphql operation": operation, type, duration_ms,
// sql_statements, error_codes) and records the operation metrics: count by
// outcome, latency and SQL statements by operation name, and errors by code.
// It attaches a storage.Stats to the operation's context so that every
// statement the operation runs is counted.
//
// It sees neither variables nor query text, so it cannot log them. Use it
// through graph.Options.Extensions; m may be nil (logs only).
type Operations struct {
	log     *slog.Logger
	metrics *Metrics
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*Operations)(nil)

// NewOperations returns the extension logging to log and recording in m.
func NewOperations(log *slog.Logger, m *Metrics) *Operations {
	return &Operations{log: WithContext(log), metrics: m}
}

// ExtensionName names the extension for gqlgen.
func (*Operations) ExtensionName() string { return "Telemetry" }

// Validate accepts any schema.
func (*Operations) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse runs the rest of the chain with statement counting,
// then logs and records the response. It also runs for requests rejected
// before they became an operation (a bad body, a parse or validation error),
// which have no operation context or no operation; they are labelled
// OperationInvalid.
func (o *Operations) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := graphql.GetStartTime(ctx)
	if start.IsZero() {
		start = time.Now()
	}
	stats := new(storage.Stats)
	resp := next(storage.WithStats(ctx, stats))
	if resp == nil {
		return nil // the end of a stream, not a response
	}
	d := time.Since(start)
	name, typ, executed := operationOf(ctx)
	codes := errorCodes(resp.Errors)

	if m := o.metrics; m != nil {
		label := OperationInvalid
		if executed {
			label = m.OperationLabel(name)
		}
		outcome := "ok"
		if len(resp.Errors) > 0 {
			outcome = "error"
		}
		m.operations.WithLabelValues(label, outcome).Inc()
		m.opDuration.WithLabelValues(label).Observe(d.Seconds())
		m.opStatements.WithLabelValues(label).Observe(float64(stats.Statements()))
		for _, err := range resp.Errors {
			m.gqlErrors.WithLabelValues(m.errorCode.label(codeOf(err))).Inc()
		}
	}

	attrs := []slog.Attr{slog.String("operation", logName(name, executed))}
	if typ != "" {
		attrs = append(attrs, slog.String("type", typ))
	}
	attrs = append(attrs,
		slog.Float64("duration_ms", milliseconds(d)),
		slog.Int64("sql_statements", stats.Statements()),
	)
	level := slog.LevelInfo
	if len(codes) > 0 {
		attrs = append(attrs, slog.Any("error_codes", codes))
		level = slog.LevelWarn
	}
	o.log.LogAttrs(ctx, level, "graphql operation", attrs...)
	return resp
}

// operationOf returns the operation's name and type, and whether it got as
// far as execution (it parsed, validated and was found in the document).
// graphql.GetOperationContext panics without an operation context, which a
// request with a bad body does not get (ENGINEERING.md §2.7, pitfall 3).
func operationOf(ctx context.Context) (name, typ string, executed bool) {
	if !graphql.HasOperationContext(ctx) {
		return "", "", false
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil {
		return oc.OperationName, "", false
	}
	return oc.Operation.Name, string(oc.Operation.Operation), true
}

// logName is the operation name a log line shows: the name, "anonymous",
// or, for a request that was not executed, the name it asked for when that
// is a GraphQL name ("invalid" otherwise).
func logName(name string, executed bool) string {
	switch {
	case name == "" && executed:
		return OperationAnonymous
	case executed || validName(name):
		return name
	}
	return OperationInvalid
}

// validName reports whether s is a GraphQL name of at most 100 characters.
func validName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// errorCodes returns the distinct extensions.code values of errs, sorted.
func errorCodes(errs gqlerror.List) []string {
	var codes []string
	for _, err := range errs {
		if c := codeOf(err); !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	return codes
}

// codeOf returns an error's extensions.code when it looks like one
// (upper-case letters, digits and underscores), and "UNKNOWN" otherwise.
func codeOf(err *gqlerror.Error) string {
	code, _ := err.Extensions["code"].(string)
	if code == "" || len(code) > 64 {
		return "UNKNOWN"
	}
	for _, c := range code {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return "UNKNOWN"
		}
	}
	return code
}
