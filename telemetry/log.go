// Package telemetry makes the service observable: structured JSON logs that
// carry a request id, Prometheus metrics, OpenTelemetry traces and the
// build's version. It holds the reusable pieces; the command (server.go)
// wires them around the store and the GraphQL handler.
//
// What it never records, in any of the three: GraphQL variables, query
// text, request headers (tokens) or SQL argument values. Log lines and span
// attributes name operations, statements (their text, which binds every
// value) and error codes only.
package telemetry

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// NewLogger returns a logger that writes JSON lines to w from level up. Its
// records carry the request id (and the trace id, when a span is recording)
// of the context they are logged with; see ContextHandler.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewContextHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// NewTextLogger is NewLogger with lines of key=value pairs (slog's text
// format), for people reading a terminal.
func NewTextLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewContextHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})))
}

// ParseLevel reads a log level name: debug, info, warn or error, in any case;
// "" means info.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if strings.TrimSpace(s) == "" {
		return slog.LevelInfo, nil
	}
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// WithContext returns log with a handler that adds the request id and trace
// id from the context of every record; a logger that already has one is
// returned as it is.
func WithContext(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(*ContextHandler); ok {
		return log
	}
	return slog.New(NewContextHandler(log.Handler()))
}

// ContextHandler is a slog.Handler that adds to each record the request id
// ("request_id") and, when the context holds a valid span, the trace and
// span ids ("trace_id", "span_id") before passing it on. Log with the
// *Context methods (InfoContext, LogAttrs) for it to see the context.
type ContextHandler struct {
	next slog.Handler
}

// NewContextHandler wraps next; a ContextHandler is returned as it is, so
// wrapping twice adds the ids once.
func NewContextHandler(next slog.Handler) *ContextHandler {
	if h, ok := next.(*ContextHandler); ok {
		return h
	}
	return &ContextHandler{next: next}
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *ContextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the ids from ctx to r and passes it to the wrapped handler.
func (h *ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	id := RequestID(ctx)
	sc := trace.SpanContextFromContext(ctx)
	if id != "" || sc.IsValid() {
		// A record may be shared by several handlers: add to a copy.
		r = r.Clone()
		if id != "" {
			r.AddAttrs(slog.String("request_id", id))
		}
		if sc.IsValid() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a ContextHandler around the wrapped handler with attrs.
func (h *ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ContextHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a ContextHandler around the wrapped handler with the
// group opened; the ids then land in the group too.
func (h *ContextHandler) WithGroup(name string) slog.Handler {
	return &ContextHandler{next: h.next.WithGroup(name)}
}
