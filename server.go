// Command customers serves a GraphQL API over BigCommerce-style store
// customer data kept in an embedded SQLite database, and administers it.
//
//	go run . [-addr 127.0.0.1:8080] [-db customers.db] [-demo]
//
// See README.md for the commands, the API and the decisions behind it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/facade"
	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/playground"
	"github.com/storefront/customers/rest"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/telemetry"
	"github.com/storefront/customers/upstream"
	"github.com/storefront/customers/webhook"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Stdout, nil), os.Stderr)
	stop()
	os.Exit(code)
}

// serveConfig opens the store, seeds the demo if asked, and serves until
// ctx ends; then it stops accepting, lets running requests finish and
// closes the store. ready, when set, receives the listening address.
func serveConfig(ctx context.Context, cfg config, stdout io.Writer, log *slog.Logger, ready chan<- string) error {
	build := telemetry.ReadBuild()
	if cfg.version {
		fmt.Fprintln(stdout, build)
		return nil
	}
	log = telemetry.WithContext(log)
	gc := telemetry.TuneGC(os.Getenv)
	tp, stopTracing, err := telemetry.SetupTracing(ctx, "customers", build.Version)
	if err != nil {
		return err
	}
	defer func() {
		// Flush the last spans, even when ctx has ended.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(ctx); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}()
	obs := observability{metrics: telemetry.NewMetrics(build)}
	if tp != nil {
		obs.tracer = tp
	}
	// Facade mode: the store mirrors an upstream BigCommerce store. The
	// flags are checked before the store is opened (or made).
	var up *upstream.Client
	if cfg.upstream != "" {
		if cfg.upstreamToken == "" {
			return usageError{errors.New("-upstream needs -upstream-token (or UPSTREAM_TOKEN): the store API account's access token")}
		}
		if cfg.publicURL != "" {
			if u, err := url.Parse(cfg.publicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return usageError{errors.New("-public-url: want this server's absolute URL as the upstream reaches it, such as https://customers.example.com")}
			}
		}
		var err error
		if up, err = upstream.New(upstream.Config{BaseURL: cfg.upstream, Token: cfg.upstreamToken,
			AllowPrivate: cfg.upstreamAllowPrivate, Registerer: obs.metrics.Registry}); err != nil {
			return usageError{err}
		}
	}
	if cfg.dbRead != "" && !storage.IsPostgresURL(cfg.db) {
		return usageError{errors.New("-db-read (DATABASE_READ_URL) needs -db postgres://...: a read standby is a PostgreSQL replica, and SQLite has none")}
	}
	db, err := storage.Open(ctx, cfg.db, storage.Options{ReadURL: cfg.dbRead, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	db.Destinations.AllowPrivate = cfg.webhookAllowPrivate

	var mirror *facade.Mirror
	if up != nil {
		mirror = facade.New(db, up, facade.Config{PublicURL: cfg.publicURL, ReconcileEvery: cfg.reconcileEvery,
			SweepEvery: cfg.sweepEvery, Progress: os.Stderr, Logger: log, Registerer: obs.metrics.Registry})
	}

	var demoToken string
	if cfg.demo {
		err := db.SeedDemo(ctx, storage.DemoCustomers)
		switch {
		case err == nil:
			log.Info("seeded the demo store", "customers", storage.DemoCustomers)
		case storage.ErrorCode(err) == storage.ECONFLICT:
			log.Info("the store is not empty; demo seed skipped")
		default:
			return err
		}
		if demoToken, err = newDemoToken(ctx, db); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Admin API token (%s), for X-Auth-Token: %s\n", storage.ScopeWrite, demoToken)
	}

	raw, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	maxConns := cfg.maxConns
	if maxConns == 0 {
		maxConns = defaultMaxConnections()
	}
	ln := newLimitListener(raw, max(maxConns, 0), max(cfg.maxConnsPerClient, 0), obs.metrics.ConnectionsRefused.Inc)
	srv := &http.Server{
		Handler: newMux(db, log, cfg, playgroundToken(demoToken, ln.Addr()), obs, mirror),
		// Slow-loris guard. Read and write deadlines are per request (set by
		// the GraphQL handler), so subscription streams can stay open.
		ReadHeaderTimeout: cfg.readHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState:         ln.connState,
	}
	if cfg.opsAddr != "" {
		opsLn, err := net.Listen("tcp", cfg.opsAddr)
		if err != nil {
			ln.Close()
			return err
		}
		ops := &http.Server{Handler: opsMux(db, log, obs), ReadHeaderTimeout: cfg.readHeaderTimeout, IdleTimeout: time.Minute,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go ops.Serve(opsLn)
		defer ops.Close()
		log.Info("serving operations endpoints", "addr", opsLn.Addr().String())
	}
	// The webhook dispatcher runs beside the server and stops after it,
	// letting attempts in flight finish.
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	dispatcher := webhook.New(db, webhook.Config{StoreID: cfg.storeID, StoreHash: cfg.storeHash,
		DeactivateAfter: cfg.webhookDeactivate, FirstRetry: cfg.webhookRetry, Timeout: cfg.webhookTimeout, Logger: log, Guard: db.Destinations,
		Observe:    obs.metrics.ObserveWebhookAttempt,
		QueueDepth: func(n int) { obs.metrics.WebhookQueue.Set(float64(n)) }})
	dispatched := make(chan error, 1)
	go func() { dispatched <- dispatcher.Run(dispatchCtx) }()
	defer func() {
		stopDispatch()
		<-dispatched
	}()

	if cfg.playground {
		fmt.Fprintf(stdout, "GraphQL playground: http://%s/\n", ln.Addr())
		if demoToken != "" && playgroundToken(demoToken, ln.Addr()) == "" {
			fmt.Fprintln(stdout, "The playground leaves the admin token out: the server listens beyond this machine.")
		}
	} else {
		fmt.Fprintf(stdout, "GraphQL API: http://%s/graphql\n", ln.Addr())
	}
	log.Info("serving", "addr", ln.Addr().String(), "db", db.Path(), "gc", gc.String()) // a URL's password redacted
	if ready != nil {
		ready <- ln.Addr().String()
	}
	if mirror != nil {
		mirrorCtx, stopMirror := context.WithCancel(ctx)
		mirrored := make(chan error, 1)
		go func() { mirrored <- mirror.Run(mirrorCtx) }()
		defer func() {
			stopMirror()
			<-mirrored
		}()
		log.Info("facade mode: mirroring the upstream store", "public_url", cfg.publicURL)
	}

	return serveUntil(ctx, srv, ln, log)
}

// newDemoToken replaces the demo's admin token: the previous one is
// revoked (only hashes are kept, so it cannot be shown again).
func newDemoToken(ctx context.Context, db *storage.DB) (string, error) {
	tokens, err := db.ListTokens(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range tokens {
		if t.Name == "demo" && t.RevokedAt == nil {
			if err := db.RevokeToken(ctx, t.ID); err != nil {
				return "", err
			}
		}
	}
	token, _, err := db.CreateToken(ctx, "demo", []string{storage.ScopeWrite})
	return token, err
}

// newMux routes the server's endpoints. demoToken, when set, fills the
// playground's headers.
func newMux(db *storage.DB, log *slog.Logger, cfg config, demoToken string, obs observability, mirror *facade.Mirror) http.Handler {
	mux := http.NewServeMux()
	var origins []string
	for _, o := range strings.Split(cfg.corsOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	// One pacing of password checks for both APIs: a guesser gets one
	// budget, not one per API.
	passwords := graph.DefaultThrottles.Passwords()
	if db.SharesThrottles() {
		// Replicas on one database pace password checks together.
		passwords.Share(db)
	}
	gql := graph.NewHandler(db, graph.Options{Logger: log, Passwords: passwords, Extensions: obs.extensions(log), OnBatch: obs.metrics.ObserveBatch, DisableIntrospection: !cfg.introspection,
		CORSOrigins: origins, ShopperTokenTTL: cfg.shopperTTL, DisableCompiledReads: !cfg.compiledReads, OnExec: obs.metrics.ObserveExecutor,
		Streams: cfg.streams, MaxResponseBytes: cfg.maxResponseBytes, StoreHash: cfg.storeHash, Limits: cfg.limits(), Mirror: mirror})
	mux.Handle("/graphql", gql)
	// Storefront sign-in the BigCommerce way: Customer Login and Current
	// Customer JWTs of registered apps.
	sso := graph.NewSSO(db, graph.SSOOptions{Logger: log, StoreHash: cfg.storeHash, ShopperTokenTTL: cfg.shopperTTL,
		CORSOrigins: origins})
	mux.HandleFunc("GET /login/token/{jwt}", sso.Login)
	mux.HandleFunc("GET /customer/current.jwt", sso.Current)
	mux.HandleFunc("OPTIONS /customer/current.jwt", sso.Current)
	// BigCommerce's REST API over the same store (README, REST).
	restLimit, _ := rest.ParseRateLimit(cfg.restRateLimit) // checked by parseServeFlags
	var restAPI http.Handler = rest.NewHandler(db, rest.Options{StoreHash: cfg.storeHash, StoreID: cfg.storeID, Logger: log,
		RateLimit: restLimit, Passwords: passwords})
	if mirror != nil {
		restAPI = restReadOnly(restAPI)
		mux.Handle("POST "+facade.ReceiverPath, mirror)
	}
	mux.Handle("/stores/", restAPI)
	if cfg.playground {
		headers := map[string]string{}
		if demoToken != "" {
			headers["X-Auth-Token"] = demoToken
		}
		pg := playground.Handler(playground.Options{
			Title:          "Customers GraphQL",
			Endpoint:       "/graphql",
			DefaultQuery:   exampleQuery,
			DefaultHeaders: headers,
		})
		mux.Handle("GET /{$}", pg)
		mux.Handle("GET /playground/", pg)
	}
	addOps(mux, db, log, obs)
	// Outermost, so that everything inside sees the client behind a
	// trusted proxy as the request's address.
	proxies, _ := parseTrustedProxies(cfg.trustedProxies) // checked by parseServeFlags
	if len(proxies) > 0 {
		log.Info("X-Forwarded-For is believed from the trusted proxies", "trusted_proxies", proxies.String())
	}
	return withForwardedFor(obs.instrument(db, mux, log), proxies)
}

// addOps routes the operations endpoints: liveness, readiness, metrics.
func addOps(mux *http.ServeMux, db *storage.DB, log *slog.Logger, obs observability) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /readyz", readyHandler(db, log))
	mux.Handle("GET /metrics", obs.metrics.Handler())
}

// opsMux serves the operations endpoints alone (-ops-addr).
func opsMux(db *storage.DB, log *slog.Logger, obs observability) http.Handler {
	mux := http.NewServeMux()
	addOps(mux, db, log, obs)
	return mux
}

// exampleQuery opens the playground: a filtered, sorted page of customers
// with their nested records, which shows what one request can gather.
const exampleQuery = `# The 5 newest customers whose name contains "an", with what V3 would
# need four include= values and several calls for. Press the run button.
query NewestCustomers {
  customers(
    filter: { nameLike: ["an"], dateCreatedMin: "2025-01-01" }
    sort: DATE_CREATED_DESC
    limit: 5
  ) {
    pagination { total count perPage currentPage totalPages }
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      firstName
      lastName
      email
      dateCreated
      group { name discountRules { type method amount } }
      addresses { address1 city country addressType formFields { name value } }
      attributes { value attribute { name type } }
      formFields { name value }
      storeCredit { amount }
      consent { allow deny }
    }
  }
}
`

// observability is what newMux instruments the server with: metrics (never
// nil) and a tracer provider (nil when tracing is off).
type observability struct {
	metrics *telemetry.Metrics
	tracer  trace.TracerProvider
}

// instrument wires telemetry into db and around mux: every SQL statement
// is timed (and traced), the store's pools are scraped, and every request
// gets a request id, a log line, metrics and, when tracing is on, a span.
func (o observability) instrument(db *storage.DB, mux http.Handler, log *slog.Logger) http.Handler {
	db.Observer = telemetry.SQLObserver(o.tracer, o.metrics)
	o.metrics.Registry.MustRegister(telemetry.NewPoolCollector(db.PoolStats))
	if db.HasStandby() {
		o.metrics.Registry.MustRegister(newStandbyCollector(db))
		mux = withCaller(mux)
	}
	h := telemetry.Handler(mux, log, o.metrics)
	if o.tracer != nil {
		h = telemetry.TraceHTTP(h, o.tracer)
	}
	return h
}

// extensions returns the telemetry extensions of the GraphQL handler: the
// tracing one (when on) and, inside its span, the one that logs and
// measures each operation.
func (o observability) extensions(log *slog.Logger) []graphql.HandlerExtension {
	var exts []graphql.HandlerExtension
	if o.tracer != nil {
		exts = append(exts, telemetry.TraceGraphQL(o.tracer))
	}
	return append(exts, telemetry.NewOperations(log, o.metrics))
}

// readyHandler answers /readyz: 200 when the store answers, every
// migration is applied (storage.DB.Ping) and the store can write
// (storage.DB.Writable); 503 otherwise, saying which, for instance once the
// store is closed, when a newer binary's migrations are pending, or when
// the file is read-only or its disk full.
func readyHandler(db *storage.DB, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "err", err)
			http.Error(w, "not ready: the store does not answer", http.StatusServiceUnavailable)
			return
		}
		wctx, wcancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer wcancel()
		if err := db.Writable(wctx); err != nil {
			log.WarnContext(ctx, "not ready", "err", err)
			http.Error(w, "not ready: the store cannot write ("+storage.ErrorMessage(err)+")", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
}

// shutdownGrace bounds how long shutting down waits for running requests.
const shutdownGrace = 15 * time.Second

// serveUntil serves srv on ln until ctx ends, then shuts down in two steps.
//
// Plain requests are drained: Shutdown stops accepting and waits (up to
// shutdownGrace) for the running ones, whose contexts stay live so that
// they finish normally. Streams would never finish by themselves, and
// Shutdown neither waits for nor closes a hijacked (websocket) connection:
// so every request context derives from a base context (srv.BaseContext)
// and streams (websocket upgrades and server-sent events; see endStreams)
// have theirs cancelled when shutdown begins (srv.RegisterOnShutdown). A
// websocket or SSE transport added to the GraphQL handler ends its
// subscriptions on that cancellation, as gqlgen's transports do; nothing
// else is needed. Whatever still runs once Shutdown returns has the base
// context cancelled.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	streams, endAll := context.WithCancel(base)
	defer endAll()
	srv.BaseContext = func(net.Listener) context.Context { return base }
	srv.Handler = endStreams(srv.Handler, streams)
	srv.RegisterOnShutdown(endAll)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	cancelBase()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// endStreams gives each streaming request (a connection upgrade such as a
// websocket, or a request for server-sent events) a context that also ends
// with streams.
func endStreams(next http.Handler, streams context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" && !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(streams, cancel)()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// restReadOnly serves the REST API's reads in facade mode and refuses its
// writes to the store (501, in BigCommerce's error shape): they would
// change the mirror only. Webhook registrations, this server's own, pass.
func restReadOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || strings.Contains(r.URL.Path, "/v3/hooks") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotImplemented)
		io.WriteString(w, `{"status":501,"title":"In facade mode the REST API serves reads only: write through GraphQL or at the upstream store.",`+
			`"type":"/api-docs/getting-started/api-status-codes"}`)
	})
}
