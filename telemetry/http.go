package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/felixge/httpsnoop"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// RequestIDHeader is the header that carries a request's id, in a request
// (from a proxy or client that made one) and in every response.
const RequestIDHeader = "X-Request-ID"

// maxRequestID bounds the length of a request id taken from a request.
const maxRequestID = 128

type requestIDKey struct{}

// WithRequestID returns a context that carries the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID returns the request's X-Request-ID when it is a plausible id (1
// to 128 characters among letters, digits and -_.:+=/), and otherwise a new
// random one, so that a client cannot write arbitrary text into the logs.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); validRequestID(id) {
		return id
	}
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for _, c := range id {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.ContainsRune("-_.:+=/", c):
		default:
			return false
		}
	}
	return true
}

// quietRoutes are logged at debug level: probes and scrapes come every few
// seconds and say nothing about the traffic.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// Handler wraps next, a ServeMux, with what every request gets: a request id
// (taken from X-Request-ID or made, echoed in the response, and in the
// context for the logs: see RequestID), one log line ("http request":
// method, route, path without the query string, status, bytes, duration_ms),
// and, when m is not nil, the request counter and latency histogram by
// route. The route is the ServeMux pattern that matched (without its
// method), or "unmatched", so that the labels stay few whatever the paths.
//
// When the request context holds a recording span (otelhttp wraps Handler),
// the span is named after the route and given the request id.
func Handler(next http.Handler, log *slog.Logger, m *Metrics) http.Handler {
	log = WithContext(log)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestID(r)
		w.Header().Set(RequestIDHeader, id)
		r = r.WithContext(WithRequestID(r.Context(), id))

		// httpsnoop keeps the writer's optional interfaces (Flusher,
		// Hijacker) that streaming transports need.
		hm := httpsnoop.CaptureMetrics(next, w, r)

		route := routeOf(r.Pattern)
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
			span.SetName(r.Method + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route), attribute.String("http.request.id", id))
		}
		if m != nil {
			m.httpRequests.WithLabelValues(route, strconv.Itoa(hm.Code)).Inc()
			m.httpDuration.WithLabelValues(route).Observe(hm.Duration.Seconds())
		}
		level := slog.LevelInfo
		if quietRoutes[route] {
			level = slog.LevelDebug
		}
		log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.String("path", loggedPath(r.URL.Path)),
			slog.Int("status", hm.Code),
			slog.Int64("bytes", hm.Written),
			slog.Float64("duration_ms", milliseconds(hm.Duration)),
		)
	})
}

// SecretPathPrefixes are the path prefixes whose rest is a credential (the
// Customer Login JWT of /login/token/{jwt}): logs and spans show the
// prefix and "{redacted}" instead.
var SecretPathPrefixes = []string{"/login/token/"}

// loggedPath is a request path as logs and spans may show it.
func loggedPath(p string) string {
	for _, prefix := range SecretPathPrefixes {
		if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
			return prefix + "{redacted}"
		}
	}
	return p
}

// routeOf turns a ServeMux pattern ("GET /{$}", "/graphql") into a route
// label: the pattern without its method, or "unmatched".
func routeOf(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	return pattern
}

// milliseconds returns d in milliseconds with microsecond precision.
func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
