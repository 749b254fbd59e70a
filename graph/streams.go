package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Streams (websockets and server-sent events) hold a connection, a
// goroutine and a place in the event feed for as long as the client likes,
// so each is a cost a client makes the server pay. They are bounded per
// client address, per caller and in total; a websocket must identify
// itself soon after it opens; every stream's credentials are checked
// again while it runs; and a stream that falls too far behind ends, saying
// where to resume.

// StreamLimits bound the streams; zero fields take DefaultStreamLimits'.
type StreamLimits struct {
	// InitTimeout is how long a websocket may take to send connection_init.
	InitTimeout time.Duration
	// PerClient bounds the open streams (websockets and event streams) of
	// one client address; Total bounds them all.
	PerClient, Total int
	// PerCaller bounds the subscriptions of one API token or shopper, over
	// all its connections.
	PerCaller int
	// Recheck is how often the credentials of open subscriptions are
	// checked again: a revoked token or an ended session ends its streams
	// within about this long.
	Recheck time.Duration
	// Backlog is how many events a subscriber may fall behind before its
	// stream ends (SLOW_SUBSCRIBER).
	Backlog int
}

// DefaultStreamLimits suit a storefront: a few tabs per shopper, a few
// dashboards per office address, a couple of thousand streams in all.
var DefaultStreamLimits = StreamLimits{InitTimeout: 5 * time.Second, PerClient: 64, Total: 2000, PerCaller: 32,
	Recheck: 5 * time.Second, Backlog: 1024}

func (l StreamLimits) withDefaults() StreamLimits {
	d := DefaultStreamLimits
	if l.InitTimeout <= 0 {
		l.InitTimeout = d.InitTimeout
	}
	if l.PerClient <= 0 {
		l.PerClient = d.PerClient
	}
	if l.Total <= 0 {
		l.Total = d.Total
	}
	if l.PerCaller <= 0 {
		l.PerCaller = d.PerCaller
	}
	if l.Recheck <= 0 {
		l.Recheck = d.Recheck
	}
	if l.Backlog <= 0 {
		l.Backlog = d.Backlog
	}
	return l
}

// Codes of ended or refused streams.
const (
	CodeTooManyStreams = "TOO_MANY_STREAMS"
	CodeSlowSubscriber = "SLOW_SUBSCRIBER"
)

// counter counts open things per key and in total, within limits.
type counter struct {
	mu    sync.Mutex
	per   map[string]int
	total int
}

// acquire takes a place for key, unless key has perKey already or the
// total is at total (0: unbounded).
func (c *counter) acquire(key string, perKey, total int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.per == nil {
		c.per = map[string]int{}
	}
	if c.per[key] >= perKey || (total > 0 && c.total >= total) {
		return false
	}
	c.per[key]++
	c.total++
	return true
}

func (c *counter) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.per[key]--; c.per[key] <= 0 {
		delete(c.per, key)
	}
	c.total--
}

// isStream reports whether r opens a stream: a connection upgrade
// (websocket) or a request for server-sent events.
func isStream(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" || acceptsEventStream(r)
}

// streamCap refuses, with 429 and TOO_MANY_STREAMS, a stream over the
// client's or the server's limit, and holds its place while it runs.
func streamCap(l StreamLimits, open *counter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		client := clientAddress(r.Context())
		if !open.acquire(client, l.PerClient, l.Total) {
			writeError(w, http.StatusTooManyRequests, CodeTooManyStreams,
				fmt.Sprintf("Too many open streams: at most %d per client address and %d in all.", l.PerClient, l.Total))
			return
		}
		defer open.release(client)
		next.ServeHTTP(w, r)
	})
}

// wsKey marks the context of a websocket connection's operations.
type wsKey struct{}

// sseErrorsKey holds, in a server-sent event stream's context, the errors
// its subscription ended with.
type sseErrorsKey struct{}

type streamErrors struct {
	mu   sync.Mutex
	errs gqlerror.List
}

// endStream records err as the last word of the running subscription: a
// websocket sends it as the subscription's error message, an event stream
// as a last `next` event before `complete`. The resolver then closes its
// channel.
func endStream(ctx context.Context, err *gqlerror.Error) {
	if ctx.Value(wsKey{}) != nil {
		transport.AddSubscriptionError(ctx, err)
		return
	}
	if s, ok := ctx.Value(sseErrorsKey{}).(*streamErrors); ok {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
	}
}

// wsInit is the websocket's connection_init: the payload must carry valid
// credentials (Authorization: Bearer, or X-Auth-Token); anything else
// closes the socket.
func wsInit(a *auth) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		h := http.Header{}
		if v := p.Authorization(); v != "" {
			h.Set("Authorization", v)
		}
		if v := p.GetString("X-Auth-Token"); v != "" {
			h.Set("X-Auth-Token", v)
		}
		// graphql-transport-ws closes a refused connection with 4403.
		refuse := func(code int, reason string) (context.Context, *transport.InitPayload, error) {
			ctx := transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason)
			return ctx, nil, errors.New(reason)
		}
		c, err := a.identify(storage.WithStats(ctx, nil), h, clientAddress(ctx))
		switch {
		case err != nil:
			return refuse(4500, internalMessage)
		case c.Invalid != "":
			return refuse(4403, "Forbidden: the credentials are not valid.")
		case c.Token == nil && c.Shopper == nil:
			return refuse(4403, "Forbidden: send credentials in connection_init.")
		}
		ctx = context.WithValue(ctx, callerKey{}, c)
		return context.WithValue(ctx, wsKey{}, true), nil, nil
	}
}

// sseTransport serves subscriptions as server-sent events (the
// graphql-sse "distinct connections" mode: `next` events, then `complete`),
// as gqlgen's transport.SSE does, but: a body that is not a GraphQL request
// is a coded 400 that does not quote it, the body is bounded, and a
// subscription that ends with an error (endStream) says so in a last
// `next` event.
type sseTransport struct {
	keepAlive time.Duration
	maxBody   int64
}

func (sseTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && acceptsEventStream(r) && isJSON(r.Header.Get("Content-Type"))
}

func acceptsEventStream(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if containsMedia(v, "text/event-stream") {
			return true
		}
	}
	return false
}

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, CodeInternal, internalMessage)
		return
	}
	start := graphql.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBody))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		writeError(w, http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
			"The request body is larger than "+strconv.FormatInt(t.maxBody, 10)+" bytes.")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "The request body could not be read.")
		return
	}
	params, err := decodeParams(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, bodyProblem(err))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/event-stream")
	var mu sync.Mutex
	write := func(event string, data []byte) {
		mu.Lock()
		defer mu.Unlock()
		if data != nil {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
		} else {
			fmt.Fprintf(w, "event: %s\n\n", event)
		}
		flusher.Flush()
	}
	mu.Lock()
	io.WriteString(w, ":\n\n")
	flusher.Flush()
	mu.Unlock()

	op, errs := exec.CreateOperationContext(ctx, params)
	ctx = graphql.WithOperationContext(ctx, op)
	if errs != nil {
		write("next", marshalResponse(exec.DispatchError(ctx, errs)))
		write("complete", nil)
		return
	}
	ended := &streamErrors{}
	ctx, cancel := context.WithCancel(context.WithValue(ctx, sseErrorsKey{}, ended))
	defer cancel()
	if t.keepAlive > 0 {
		go func() {
			tick := time.NewTicker(t.keepAlive)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					mu.Lock()
					io.WriteString(w, ": ping\n\n")
					flusher.Flush()
					mu.Unlock()
				}
			}
		}()
	}
	responses, dctx := exec.DispatchOperation(ctx, op)
	for {
		resp := responses(dctx)
		if resp == nil {
			break
		}
		write("next", marshalResponse(resp))
	}
	ended.mu.Lock()
	last := ended.errs
	ended.mu.Unlock()
	if len(last) > 0 {
		write("next", marshalResponse(&graphql.Response{Errors: last}))
	}
	write("complete", nil)
}

func marshalResponse(resp *graphql.Response) []byte {
	b, err := json.Marshal(resp)
	if err != nil {
		panic(err)
	}
	return b
}
