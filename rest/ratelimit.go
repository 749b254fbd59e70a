package rest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit is a per-token request quota per fixed time window, as
// BigCommerce meters its API: Quota requests in each Window. A zero Quota
// means no limit.
type RateLimit struct {
	Quota  int
	Window time.Duration
}

// DefaultRateLimit is BigCommerce's standard quota: 150 requests per 30
// seconds.
var DefaultRateLimit = RateLimit{Quota: 150, Window: 30 * time.Second}

// ParseRateLimit reads a quota written "150/30s" (requests per window), or
// "0" or "off" for none.
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "off" || s == "" {
		return RateLimit{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	quota, err := strconv.Atoi(n)
	if !ok || err != nil || quota < 1 {
		return RateLimit{}, fmt.Errorf("rate limit %q: want requests/window, e.g. 150/30s, or 0 for none", s)
	}
	window, err := time.ParseDuration(d)
	if err != nil || window < time.Millisecond {
		return RateLimit{}, fmt.Errorf("rate limit %q: the window is a duration of a millisecond or more, e.g. 30s", s)
	}
	return RateLimit{Quota: quota, Window: window}, nil
}

// String writes the limit as ParseRateLimit reads it.
func (l RateLimit) String() string {
	if l.Quota == 0 {
		return "0"
	}
	return strconv.Itoa(l.Quota) + "/" + l.Window.String()
}

// windows counts each token's requests in its current window. Windows
// start at a token's first request after the last one ended; memory
// follows the tokens active in the last window.
type windows struct {
	limit RateLimit

	mu    sync.Mutex
	byID  map[int]*window
	swept time.Time
}

type window struct {
	start time.Time
	used  int
}

func newWindows(l RateLimit) *windows { return &windows{limit: l, byID: map[int]*window{}} }

// admit counts a request of the token at now and writes the rate-limit
// headers; it returns a 429 once the window's quota is spent.
func (ws *windows) admit(w http.ResponseWriter, token int, now time.Time) *apiError {
	if ws.limit.Quota == 0 {
		return nil
	}
	ws.mu.Lock()
	if now.Sub(ws.swept) > ws.limit.Window {
		for id, win := range ws.byID {
			if now.Sub(win.start) >= ws.limit.Window {
				delete(ws.byID, id)
			}
		}
		ws.swept = now
	}
	win := ws.byID[token]
	if win == nil || now.Sub(win.start) >= ws.limit.Window {
		win = &window{start: now}
		ws.byID[token] = win
	}
	allowed := win.used < ws.limit.Quota
	if allowed {
		win.used++
	}
	left, reset := ws.limit.Quota-win.used, win.start.Add(ws.limit.Window).Sub(now)
	ws.mu.Unlock()

	h := w.Header()
	h.Set("X-Rate-Limit-Time-Window-Ms", strconv.FormatInt(ws.limit.Window.Milliseconds(), 10))
	h.Set("X-Rate-Limit-Time-Reset-Ms", strconv.FormatInt(reset.Milliseconds(), 10))
	h.Set("X-Rate-Limit-Requests-Quota", strconv.Itoa(ws.limit.Quota))
	h.Set("X-Rate-Limit-Requests-Left", strconv.Itoa(left))
	if allowed {
		return nil
	}
	// Retry-After (and the X-Retry-After older clients read) in whole
	// seconds, rounded up.
	secs := strconv.Itoa(int(math.Ceil(reset.Seconds())))
	h.Set("Retry-After", secs)
	h.Set("X-Retry-After", secs)
	return &apiError{status: http.StatusTooManyRequests, title: "Too many requests"}
}
