package graph

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/storefront/customers/internal/headerhook"
)

// Retry hints. A THROTTLED answer says how long to wait before the same
// request would be accepted: in the error's extensions.retryAfterSeconds
// and, over plain HTTP, in a Retry-After header (the longest wait when a
// response holds several). The wait is the true one, computed from the
// bucket that refused, rounded up to whole seconds.

// retryHint collects the longest wait of a request's THROTTLED errors.
type retryHint struct {
	mu      sync.Mutex
	seconds int
}

type retryKey struct{}

// noteRetry records, for the Retry-After header, that the request must wait
// seconds.
func noteRetry(ctx context.Context, seconds int) {
	if h, ok := ctx.Value(retryKey{}).(*retryHint); ok {
		h.mu.Lock()
		h.seconds = max(h.seconds, seconds)
		h.mu.Unlock()
	}
}

// retrySeconds rounds a wait up to whole seconds, at least 1.
func retrySeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// throttledError is a THROTTLED error whose message is format and args,
// asking to wait wait.
func throttledError(ctx context.Context, wait time.Duration, format string, args ...any) *gqlerror.Error {
	secs := retrySeconds(wait)
	noteRetry(ctx, secs)
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": CodeThrottled, "retryAfterSeconds": secs},
	}
}

// withRetryAfter sets the Retry-After header of a response whose request
// was throttled. Streams (websocket upgrades, server-sent events) carry the
// hint in their errors only.
func withRetryAfter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		hint := &retryHint{}
		w = headerhook.New(w, func(h http.Header) {
			hint.mu.Lock()
			secs := hint.seconds
			hint.mu.Unlock()
			if secs > 0 {
				h.Set("Retry-After", strconv.Itoa(secs))
			}
		})
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), retryKey{}, hint)))
	})
}

// secondsText spells a number of seconds: "1 second", "6 seconds".
func secondsText(secs int) string {
	if secs == 1 {
		return "1 second"
	}
	return strconv.Itoa(secs) + " seconds"
}
