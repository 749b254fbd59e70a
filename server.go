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
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/playground"
	"github.com/storefront/customers/rest"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/telemetry"
	"github.com/storefront/customers/webhook"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	level, err := telemetry.ParseLevel(os.Getenv("LOG_LEVEL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "error: LOG_LEVEL:", err)
		os.Exit(2)
	}
	log := telemetry.NewLogger(os.Stderr, level)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch err := run(ctx, os.Args[1:], os.Stdout, log); {
	case err == nil:
	case errors.Is(err, errRejected):
		os.Exit(1)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
}

// run dispatches the command line: a subcommand, or serving.
func run(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) > 0 {
		switch args[0] {
		case "import":
			return importCmd(ctx, args[1:], os.Stdin, os.Stderr)
		case "export":
			return exportCmd(ctx, args[1:], stdout, os.Stderr)
		case "token":
			return tokenCmd(ctx, args[1:], stdout, os.Stderr)
		}
	}
	return serve(ctx, args, stdout, log, nil)
}

// config is the serving configuration, from flags with env fallbacks.
type config struct {
	addr          string
	db            string
	demo          bool
	version       bool
	introspection bool
	playground    bool
	corsOrigins   string
	shopperTTL    time.Duration
	// storeID and storeHash name the store in webhook envelopes.
	storeID, storeHash string
	// webhookDeactivate is how long a webhook may fail before it is off;
	// webhookRetry is the wait after a first failure.
	webhookDeactivate, webhookRetry time.Duration
	// readHeaderTimeout bounds how long a client may take to send its
	// request headers (the slow-loris guard).
	readHeaderTimeout time.Duration
	// compiledReads turns the compiled read path on (graph/compiled.go).
	compiledReads bool
	// webhookAllowPrivate lets webhooks reach loopback, private and
	// reserved addresses (development, tests).
	webhookAllowPrivate bool
	// maxConns and maxConnsPerClient bound the open connections (0: the
	// default; -1: no bound).
	maxConns, maxConnsPerClient int
	// streams bound subscriptions (graph.StreamLimits).
	streams graph.StreamLimits
	// maxResponseBytes bounds a GraphQL answer.
	maxResponseBytes int
	// opsAddr, when set, also serves /healthz, /readyz and /metrics on a
	// listener of their own, outside the connection bounds.
	opsAddr string
	// restRateLimit is each API token's REST quota (rest.ParseRateLimit).
	restRateLimit string
}

// parseServeFlags reads the serving flags; env ADDR and DB_PATH give the
// defaults that flags override.
func parseServeFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("customers", flag.ContinueOnError)
	cfg := config{}
	fs.StringVar(&cfg.addr, "addr", envOr("ADDR", "127.0.0.1:8080"), "listen address (env ADDR)")
	fs.StringVar(&cfg.db, "db", envOr("DB_PATH", "customers.db"), "SQLite database file (env DB_PATH)")
	fs.BoolVar(&cfg.demo, "demo", envOr("DEMO", "") != "", "seed a demo store into an empty database first, and print an admin token (env DEMO)")
	fs.BoolVar(&cfg.version, "version", false, "print the version and exit")
	fs.BoolVar(&cfg.introspection, "introspection", envOr("INTROSPECTION", "true") == "true", "allow schema introspection; turn off in production (env INTROSPECTION)")
	fs.BoolVar(&cfg.playground, "playground", envOr("PLAYGROUND", "true") == "true", "serve the GraphiQL playground at /; turn off in production (env PLAYGROUND)")
	fs.StringVar(&cfg.corsOrigins, "cors-origins", envOr("CORS_ORIGINS", ""), "comma-separated browser origins (storefronts) allowed to call the API (env CORS_ORIGINS)")
	fs.DurationVar(&cfg.shopperTTL, "shopper-token-ttl", time.Hour, "how long a customer access token lasts")
	fs.StringVar(&cfg.storeID, "store-id", envOr("STORE_ID", "1"), "the store id that webhook envelopes carry (env STORE_ID)")
	fs.StringVar(&cfg.storeHash, "store-hash", envOr("STORE_HASH", "customers"), "the store hash of webhook envelopes' producer, stores/{hash} (env STORE_HASH)")
	fs.DurationVar(&cfg.webhookDeactivate, "webhook-deactivate-after", webhook.DefaultDeactivateAfter, "how long a webhook may keep failing before it is turned off")
	fs.DurationVar(&cfg.webhookRetry, "webhook-first-retry", webhook.DefaultFirstRetry, "the wait after a webhook delivery's first failure; each further failure triples it, up to an hour")
	fs.BoolVar(&cfg.compiledReads, "compiled-reads", envOr("COMPILED_READS", "true") == "true", "answer customer reads on the compiled read path; false runs every operation on gqlgen's executor (env COMPILED_READS)")
	fs.BoolVar(&cfg.webhookAllowPrivate, "webhook-allow-private", envOr("WEBHOOK_ALLOW_PRIVATE", "") == "true",
		"let webhooks reach loopback, private, link-local and other reserved addresses (development and tests only) (env WEBHOOK_ALLOW_PRIVATE)")
	fs.IntVar(&cfg.maxConns, "max-connections", envInt("MAX_CONNECTIONS", 0),
		"open connections in all, past which new ones are closed (idle keep-alives first); 0: 10,000 or what the descriptor limit allows (env MAX_CONNECTIONS)")
	fs.IntVar(&cfg.maxConnsPerClient, "max-connections-per-client", envInt("MAX_CONNECTIONS_PER_CLIENT", 256),
		"open connections per client address; 0: no bound, for a server behind a proxy (env MAX_CONNECTIONS_PER_CLIENT)")
	fs.DurationVar(&cfg.streams.InitTimeout, "ws-init-timeout", envDuration("WS_INIT_TIMEOUT", graph.DefaultStreamLimits.InitTimeout),
		"how long a websocket may take to send connection_init (env WS_INIT_TIMEOUT)")
	fs.IntVar(&cfg.streams.Total, "max-streams", envInt("MAX_STREAMS", graph.DefaultStreamLimits.Total),
		"open subscription streams (websockets and server-sent events) in all (env MAX_STREAMS)")
	fs.IntVar(&cfg.streams.PerClient, "max-streams-per-client", envInt("MAX_STREAMS_PER_CLIENT", graph.DefaultStreamLimits.PerClient),
		"open streams per client address (env MAX_STREAMS_PER_CLIENT)")
	fs.IntVar(&cfg.streams.PerCaller, "max-subscriptions-per-caller", envInt("MAX_SUBSCRIPTIONS_PER_CALLER", graph.DefaultStreamLimits.PerCaller),
		"subscriptions per API token or shopper (env MAX_SUBSCRIPTIONS_PER_CALLER)")
	fs.IntVar(&cfg.maxResponseBytes, "max-response-bytes", envInt("MAX_RESPONSE_BYTES", graph.DefaultMaxResponseBytes),
		"largest GraphQL answer, in bytes; larger ones are refused with RESPONSE_TOO_LARGE (env MAX_RESPONSE_BYTES)")
	fs.StringVar(&cfg.opsAddr, "ops-addr", envOr("OPS_ADDR", ""),
		"also serve /healthz, /readyz and /metrics on this address, outside the connection bounds (env OPS_ADDR)")
	fs.DurationVar(&cfg.readHeaderTimeout, "read-header-timeout", 10*time.Second, "how long a client may take to send its request headers")
	fs.StringVar(&cfg.restRateLimit, "rest-rate-limit", envOr("REST_RATE_LIMIT", rest.DefaultRateLimit.String()), "each API token's REST quota, requests/window (e.g. 150/30s), or 0 for none (env REST_RATE_LIMIT)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if _, err := rest.ParseRateLimit(cfg.restRateLimit); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// envInt reads an integer env variable; an unset or unreadable one gives
// def.
func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

// envDuration reads a duration env variable; an unset or unreadable one
// gives def.
func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// serve opens the store, seeds the demo if asked, and serves until ctx ends;
// then it stops accepting, lets running requests finish and closes the
// store. ready, when set, receives the listening address.
func serve(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger, ready chan<- string) error {
	cfg, err := parseServeFlags(args)
	if err != nil {
		return err
	}
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
	db, err := storage.Open(ctx, cfg.db, storage.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	db.Destinations.AllowPrivate = cfg.webhookAllowPrivate

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
		Handler: newMux(db, log, cfg, demoToken, obs),
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
		DeactivateAfter: cfg.webhookDeactivate, FirstRetry: cfg.webhookRetry, Logger: log, Guard: db.Destinations,
		Observe:    obs.metrics.ObserveWebhookAttempt,
		QueueDepth: func(n int) { obs.metrics.WebhookQueue.Set(float64(n)) }})
	dispatched := make(chan error, 1)
	go func() { dispatched <- dispatcher.Run(dispatchCtx) }()
	defer func() {
		stopDispatch()
		<-dispatched
	}()

	fmt.Fprintf(stdout, "GraphQL playground: http://%s/\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "db", cfg.db, "gc", gc.String())
	if ready != nil {
		ready <- ln.Addr().String()
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
func newMux(db *storage.DB, log *slog.Logger, cfg config, demoToken string, obs observability) http.Handler {
	mux := http.NewServeMux()
	var origins []string
	for _, o := range strings.Split(cfg.corsOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	gql := graph.NewHandler(db, graph.Options{Logger: log, Extensions: obs.extensions(log), OnBatch: obs.metrics.ObserveBatch, DisableIntrospection: !cfg.introspection,
		CORSOrigins: origins, ShopperTokenTTL: cfg.shopperTTL, DisableCompiledReads: !cfg.compiledReads, OnExec: obs.metrics.ObserveExecutor,
		Streams: cfg.streams, MaxResponseBytes: cfg.maxResponseBytes, StoreHash: cfg.storeHash})
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
	mux.Handle("/stores/", rest.NewHandler(db, rest.Options{StoreHash: cfg.storeHash, StoreID: cfg.storeID, Logger: log,
		RateLimit: restLimit}))
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
	return obs.instrument(db, mux, log)
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
