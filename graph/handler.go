package graph

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/storefront/customers/facade"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/throttle"
	"github.com/vektah/gqlparser/v2/ast"
)

// Options configure NewHandler; the zero value is a sound default.
type Options struct {
	// Logger receives internal errors, panics and impersonations; nil means
	// slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body; 0 means 1 MiB.
	MaxBodyBytes int64
	// Timeout bounds one request; 0 means 15 seconds.
	Timeout time.Duration
	// Limits bound depth and cost; the zero value means DefaultLimits.
	Limits Limits
	// ParserTokenLimit bounds the tokens of a query; 0 means 15,000.
	ParserTokenLimit int
	// DisableIntrospection turns schema introspection off (production).
	DisableIntrospection bool
	// DisableCompiledReads runs every operation on gqlgen's executor, the
	// reference, instead of the compiled read path (compiled.go).
	DisableCompiledReads bool
	// OnExec, when set, is told which executor ran each operation:
	// "compiled" or "reference".
	OnExec func(executor string)
	// CORSOrigins are the browser origins (storefronts) allowed to call the
	// API from another site, e.g. "https://shop.example.com"; "*" allows any.
	CORSOrigins []string
	// ShopperTokenTTL is how long a customer access token lasts; 0 means
	// one hour.
	ShopperTokenTTL time.Duration
	// Throttles pace password checks and sign-ups; zero fields take
	// DefaultThrottles'.
	Throttles Throttles
	// Passwords paces password checks; give the one the REST API has too,
	// so that a guesser does not get a budget per API. Nil means one made
	// from Throttles.
	Passwords *throttle.Passwords
	// Extensions are added to the gqlgen server, in order, before its own
	// (telemetry, for one).
	Extensions []graphql.HandlerExtension
	// OnBatch, when set, is told the size of every batched lookup: each
	// dataloader batch and each priming fetch, by relation name.
	OnBatch func(relation string, keys int)
	// DocumentLimits bound the query documents of identified callers, and
	// AnonymousDocumentLimits those of callers without credentials; zero
	// values mean DefaultDocumentLimits and DefaultAnonymousDocumentLimits.
	DocumentLimits, AnonymousDocumentLimits DocumentLimits
	// MaxResponseBytes bounds an answer (RESPONSE_TOO_LARGE past it); 0
	// means DefaultMaxResponseBytes, a negative value no bound.
	MaxResponseBytes int
	// Streams bound subscriptions; zero fields take DefaultStreamLimits'.
	Streams StreamLimits
	// StoreHash is the store_hash that Customer Login tokens must name
	// (loginWithToken); "" means "customers".
	StoreHash string
	// Mirror turns on the facade mode: reads answer from the mirror (with
	// extensions.sync while it is incomplete), writes pass through to the
	// upstream, and mutations not passed through are refused.
	Mirror *facade.Mirror
}

// DefaultMaxResponseBytes bounds an answer: a full page of 250 customers
// with every relation is about 2 MiB.
const DefaultMaxResponseBytes = 16 << 20

// CodeRequestTooLarge and CodeTimeout are the codes of a request refused for
// its size and of one that ran out of time.
const (
	CodeRequestTooLarge = "REQUEST_TOO_LARGE"
	CodeTimeout         = "TIMEOUT"
)

// Store is what the GraphQL handler needs of the store: the union of what
// its parts declare (resolverStore, authStore, eventStore, viewStore,
// loaderStore, source). *storage.DB is one, on either engine.
type Store interface {
	resolverStore
	authStore
	eventStore
	viewStore
	loaderStore
	source
}

var _ Store = (*storage.DB)(nil)

// NewHandler returns the GraphQL HTTP handler over db: POST and GET
// transports, a parsed-query cache, automatic persisted queries,
// introspection (unless disabled), access control, depth and cost limits,
// the error presenter, the panic guard, and a fresh set of dataloaders for
// every operation.
func NewHandler(db Store, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.ParserTokenLimit <= 0 {
		opts.ParserTokenLimit = 15_000
	}
	if opts.ShopperTokenTTL <= 0 {
		opts.ShopperTokenTTL = time.Hour
	}
	if opts.DocumentLimits == (DocumentLimits{}) {
		opts.DocumentLimits = DefaultDocumentLimits
	}
	if opts.AnonymousDocumentLimits == (DocumentLimits{}) {
		opts.AnonymousDocumentLimits = DefaultAnonymousDocumentLimits
	}
	if opts.MaxResponseBytes == 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	opts.Streams = opts.Streams.withDefaults()
	a := newAuth(db, opts.Logger, opts.ShopperTokenTTL, opts.StoreHash)
	th := opts.Throttles.withDefaults()
	if opts.Passwords == nil {
		opts.Passwords = th.Passwords()
	}
	resolver := &Resolver{DB: db, log: opts.Logger, auth: a,
		credentials: passwordThrottles{opts.Passwords}, signups: throttle.New(th.SignupsEvery, th.SignupsBurst),
		events: &feed{db: db, limits: opts.Streams}, subscriptions: &counter{}, streams: opts.Streams, mirror: opts.Mirror}
	cfg := Config{Resolvers: resolver}
	cfg.Directives.Access = a.access
	setComplexity(&cfg.Complexity)
	es := newCompiledSchema(NewExecutableSchema(cfg), db, opts)
	schema := es.Schema()
	srv := handler.New(es)
	// Subscriptions: graphql-transport-ws (and the legacy graphql-ws), whose
	// init payload must carry credentials, soon, from the allowed origins
	// only; and server-sent events, authenticated like any request.
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		PingPongInterval:      25 * time.Second,
		InitTimeout:           opts.Streams.InitTimeout,
		InitFunc:              wsInit(a),
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			OriginPatterns: originPatterns(opts.CORSOrigins)}},
	})
	srv.AddTransport(sseTransport{keepAlive: 15 * time.Second, maxBody: opts.MaxBodyBytes})
	srv.AddTransport(transport.Options{})
	maxResponse := max(opts.MaxResponseBytes, 0)
	srv.AddTransport(getTransport{post: postTransport{maxResponse: maxResponse}})
	srv.AddTransport(postTransport{maxResponse: maxResponse})
	queries := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(queries)
	srv.SetParserTokenLimit(opts.ParserTokenLimit)
	for _, ext := range opts.Extensions {
		srv.Use(ext)
	}
	if !opts.DisableIntrospection {
		srv.Use(extension.Introspection{})
	} else {
		// "Did you mean ...?" would name the fields introspection hides.
		srv.SetDisableSuggestion(true)
	}
	srv.Use(persistedQueries{cache: lru.New[string](1000)})
	srv.Use(&documentGuard{identified: opts.DocumentLimits, anonymous: opts.AnonymousDocumentLimits,
		tokenLimit: opts.ParserTokenLimit, cache: queries})
	srv.SetErrorPresenter(presentError(opts.Logger))
	srv.SetRecoverFunc(recoverPanic(opts.Logger))
	// The request's deadline stops the work, also where gqlgen would go on
	// without asking (introspection, marshaling): every field looks first.
	srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return next(ctx)
	})
	srv.AroundResponses(oneTimeout)
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(withLoaders(ctx, newLoaders(db, db, schema, opts.OnBatch)))
	})
	srv.Use(&limiter{limits: opts.Limits})
	if opts.Mirror != nil {
		srv.Use(facadeMode{mirror: opts.Mirror})
	}
	// Mutations run one after another; each gets fresh loaders, so what it
	// reads back is never what an earlier field of the operation cached.
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation {
			ctx = withLoaders(ctx, newLoaders(db, db, schema, opts.OnBatch))
		}
		return next(ctx)
	})
	return withClient(cors(opts.CORSOrigins, streamCap(opts.Streams, &counter{}, gate(
		bounded(opts.MaxBodyBytes, opts.Timeout, identified(a, opts.Logger, withRetryAfter(srv)))))))
}

// oneTimeout keeps one TIMEOUT error of a response whose deadline passed:
// every field that would have run after it reports the deadline.
func oneTimeout(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Errors) < 2 {
		return resp
	}
	seen := false
	errs := resp.Errors[:0]
	for _, e := range resp.Errors {
		if e.Extensions["code"] == CodeTimeout {
			if seen {
				continue
			}
			seen = true
		}
		errs = append(errs, e)
	}
	resp.Errors = errs
	return resp
}

// identified settles who is calling, once per request and before gqlgen
// runs: the cost limits (whose budgets are per caller) need it as much as
// the resolvers. Credential lookups are the request's, not an operation's:
// they are left out of its statement count.
func identified(a *auth, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		c, err := a.identify(storage.WithStats(ctx, nil), r.Header, clientAddress(ctx))
		switch {
		case err != nil && ctx.Err() != nil:
			writeError(w, http.StatusServiceUnavailable, CodeTimeout, "The request took too long.")
			return
		case err != nil:
			log.ErrorContext(ctx, "identify caller", "err", err)
			writeError(w, http.StatusInternalServerError, CodeInternal, internalMessage)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, callerKey{}, c)))
	})
}

// bounded refuses bodies over max bytes with 413, whether or not their
// size is announced, and gives each request at most timeout to be read and
// answered; subscription streams (websocket, server-sent events) run on.
func bounded(max int64, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(timeout)
		rc.SetReadDeadline(deadline)
		rc.SetWriteDeadline(deadline.Add(5 * time.Second))
		tooLarge := func() {
			writeError(w, http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
				"The request body is larger than "+strconv.FormatInt(max, 10)+" bytes.")
		}
		if r.ContentLength > max {
			tooLarge()
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				tooLarge()
				return
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, CodeBadUserInput, "The request body could not be read.")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// writeError writes a GraphQL-shaped error response outside gqlgen.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := jsonMarshal(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}}})
	w.Write(b)
}

// cors lets the listed browser origins call the API: it answers preflight
// requests and marks responses for them. Requests from other origins get no
// CORS headers, so browsers keep their responses from the page.
func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	any := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (any || slices.Contains(origins, origin)) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			// A browser's page may read the write position a write answers
			// with, to send it back (see the server's standby.go).
			h.Set("Access-Control-Expose-Headers", "Customers-Write-Position")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", strings.Join([]string{"Content-Type", "Authorization", "X-Auth-Token", "X-Auth-Client",
					"X-Request-ID", "Accept", "Customers-Write-Position"}, ", "))
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// originPatterns turns CORS origins into the websocket's origin patterns
// (hosts); a page from the API's own host is always allowed.
func originPatterns(origins []string) []string {
	var out []string
	for _, o := range origins {
		if o == "*" {
			return []string{"*"}
		}
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}

// isTimeout reports whether err comes from a request's deadline.
func isTimeout(err error) bool { return errors.Is(err, context.DeadlineExceeded) }
