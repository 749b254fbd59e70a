package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/rest"
	"github.com/storefront/customers/telemetry"
	"github.com/storefront/customers/webhook"
	"github.com/urfave/cli/v3"
)

// config is the serving configuration: every flag has an environment
// variable (its name in capitals, - as _), read when the flag is not
// given. A value that does not parse stops the command with a message
// naming the flag or the variable.
type config struct {
	addr string
	db   string
	// dbRead is the URL of a hot standby that serves reads (PostgreSQL).
	dbRead        string
	demo          bool
	version       bool
	introspection bool
	playground    bool
	corsOrigins   string
	shopperTTL    time.Duration
	// storeID and storeHash name the store in webhook envelopes.
	storeID, storeHash string
	// webhookDeactivate is how long a webhook may fail before it is off;
	// webhookRetry is the wait after a first failure; webhookTimeout
	// bounds one attempt (and so the lease of a claimed delivery).
	webhookDeactivate, webhookRetry, webhookTimeout time.Duration
	// readHeaderTimeout bounds how long a client may take to send its
	// request headers (the slow-loris guard).
	readHeaderTimeout time.Duration
	// compiledReads turns the compiled read path on (graph/compiled.go).
	compiledReads bool
	// The cost limits (graph/limits.go): a caller's budget (0: unlimited)
	// and its refill a second, one operation's maximum cost, and how
	// deeply selections may nest.
	costBudget, costRestore, maxQueryCost, maxDepth int
	// logFormat is text or json; logLevel debug, info, warn or error.
	logFormat, logLevel string
	// webhookAllowPrivate lets webhooks reach loopback, private and
	// reserved addresses (development, tests).
	webhookAllowPrivate bool
	// maxConns and maxConnsPerClient bound the open connections (0: the
	// default for maxConns, no bound for maxConnsPerClient).
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
	// upstream, when set, turns on the facade mode over the store at that
	// URL, with upstreamToken; publicURL is where the upstream reaches this
	// server's webhook receiver (empty: reconciliation only).
	upstream, upstreamToken, publicURL string
	// upstreamAllowPrivate lets the upstream client reach private and
	// loopback addresses.
	upstreamAllowPrivate bool
	// reconcileEvery and sweepEvery are the facade's reconciliation and
	// id sweep periods.
	reconcileEvery, sweepEvery time.Duration
	// trustedProxies lists the proxies whose X-Forwarded-For names the
	// client (parseTrustedProxies); empty: nobody's.
	trustedProxies string
}

// dbFlag is the store's file, or its PostgreSQL database, shared by every
// command.
func dbFlag(dst *string) cli.Flag {
	return &cli.StringFlag{Name: "db", Value: "customers.db", Usage: "the SQLite database file, or a postgres:// URL for PostgreSQL",
		Sources:     cli.EnvVars("DB_PATH", "DATABASE_URL"),
		Destination: dst, Validator: nonEmpty("the database file")}
}

// serveFlags are the flags of serving, bound to cfg.
func serveFlags(cfg *config) []cli.Flag {
	d, ds := graph.DefaultLimits, graph.DefaultStreamLimits
	return []cli.Flag{
		&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "the address to listen on; the demo playground carries its token only on a loopback address",
			Sources: cli.EnvVars("ADDR"), Destination: &cfg.addr, Validator: nonEmpty("an address")},
		dbFlag(&cfg.db),
		&cli.StringFlag{Name: "db-read", Usage: "a postgres:// URL of a hot standby of -db that serves reads; a caller's reads after its own writes go to the primary until the standby has replayed them",
			Sources: cli.EnvVars("DATABASE_READ_URL"), Destination: &cfg.dbRead},
		&cli.BoolFlag{Name: "demo", Usage: "seed the demo store into an empty database first, and print an admin token",
			Sources: cli.EnvVars("DEMO"), Destination: &cfg.demo},
		&cli.BoolFlag{Name: "introspection", Value: true, Usage: "allow schema introspection; turn off in production",
			Sources: cli.EnvVars("INTROSPECTION"), Destination: &cfg.introspection},
		&cli.BoolFlag{Name: "playground", Value: true, Usage: "serve the GraphiQL playground at /; turn off in production",
			Sources: cli.EnvVars("PLAYGROUND"), Destination: &cfg.playground},
		&cli.StringFlag{Name: "cors-origins", Usage: "comma-separated browser origins (storefronts) allowed to call the API and open websockets",
			Sources: cli.EnvVars("CORS_ORIGINS"), Destination: &cfg.corsOrigins},
		&cli.DurationFlag{Name: "shopper-token-ttl", Value: time.Hour, Usage: "how long a customer access token lasts",
			Sources: cli.EnvVars("SHOPPER_TOKEN_TTL"), Destination: &cfg.shopperTTL, Validator: positive},
		&cli.StringFlag{Name: "store-id", Value: "1", Usage: "the store id that webhook envelopes carry",
			Sources: cli.EnvVars("STORE_ID"), Destination: &cfg.storeID},
		&cli.StringFlag{Name: "store-hash", Value: "customers", Usage: "the store hash of webhook envelopes' producer, stores/{hash}",
			Sources: cli.EnvVars("STORE_HASH"), Destination: &cfg.storeHash},
		&cli.DurationFlag{Name: "webhook-first-retry", Value: webhook.DefaultFirstRetry,
			Usage:   "the wait after a webhook delivery's first failure; each further failure triples it, up to an hour",
			Sources: cli.EnvVars("WEBHOOK_FIRST_RETRY"), Destination: &cfg.webhookRetry, Validator: positive},
		&cli.DurationFlag{Name: "webhook-timeout", Value: webhook.DefaultTimeout,
			Usage:   "how long one webhook attempt may take; a delivery claimed by a replica that dies is tried again after 12 times this",
			Sources: cli.EnvVars("WEBHOOK_TIMEOUT"), Destination: &cfg.webhookTimeout, Validator: positive},
		&cli.DurationFlag{Name: "webhook-deactivate-after", Value: webhook.DefaultDeactivateAfter,
			Usage:   "how long a webhook may keep failing before it is turned off",
			Sources: cli.EnvVars("WEBHOOK_DEACTIVATE_AFTER"), Destination: &cfg.webhookDeactivate, Validator: positive},
		&cli.DurationFlag{Name: "read-header-timeout", Value: 10 * time.Second, Usage: "how long a client may take to send its request headers",
			Sources: cli.EnvVars("READ_HEADER_TIMEOUT"), Destination: &cfg.readHeaderTimeout, Validator: positive},
		&cli.BoolFlag{Name: "compiled-reads", Value: true, Usage: "answer customer reads on the compiled read path; false runs every operation on gqlgen's executor",
			Sources: cli.EnvVars("COMPILED_READS"), Destination: &cfg.compiledReads},
		&cli.IntFlag{Name: "cost-budget", Value: d.Budget,
			Usage:   "the cost each API token, shopper or anonymous client may spend at once; 0 is unlimited; a token made with -cost-budget has its own",
			Sources: cli.EnvVars("COST_BUDGET"), Destination: &cfg.costBudget, Validator: atLeast(0)},
		&cli.IntFlag{Name: "cost-restore", Value: d.Restore, Usage: "how much of the cost budget refills a second",
			Sources: cli.EnvVars("COST_RESTORE"), Destination: &cfg.costRestore, Validator: atLeast(1)},
		&cli.IntFlag{Name: "max-query-cost", Value: d.MaxCost, Usage: "the most one operation may cost",
			Sources: cli.EnvVars("MAX_QUERY_COST"), Destination: &cfg.maxQueryCost, Validator: atLeast(1)},
		&cli.IntFlag{Name: "max-depth", Value: d.MaxDepth, Usage: "how deeply an operation's selections may nest",
			Sources: cli.EnvVars("MAX_DEPTH"), Destination: &cfg.maxDepth, Validator: atLeast(1)},
		&cli.StringFlag{Name: "log-format", Value: "json", Usage: "the format of the log lines on stderr: json or text",
			Sources: cli.EnvVars("LOG_FORMAT"), Destination: &cfg.logFormat, Validator: oneOf("json", "text")},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "the least level logged: debug, info, warn or error",
			Sources: cli.EnvVars("LOG_LEVEL"), Destination: &cfg.logLevel, Validator: func(s string) error {
				_, err := telemetry.ParseLevel(s)
				if err != nil {
					return fmt.Errorf("want debug, info, warn or error")
				}
				return nil
			}},
		&cli.BoolFlag{Name: "webhook-allow-private",
			Usage:   "let webhooks reach loopback, private, link-local and other reserved addresses (development and tests only)",
			Sources: cli.EnvVars("WEBHOOK_ALLOW_PRIVATE"), Destination: &cfg.webhookAllowPrivate},
		&cli.IntFlag{Name: "max-connections", Usage: "open connections in all, past which new ones are closed (idle keep-alives first); 0: 10,000 or what the descriptor limit allows",
			Sources: cli.EnvVars("MAX_CONNECTIONS"), Destination: &cfg.maxConns, Validator: atLeast(0)},
		&cli.IntFlag{Name: "max-connections-per-client", Value: 256, Usage: "open connections per client address (the TCP peer, a proxy's address behind one); 0: no bound",
			Sources: cli.EnvVars("MAX_CONNECTIONS_PER_CLIENT"), Destination: &cfg.maxConnsPerClient, Validator: atLeast(0)},
		&cli.DurationFlag{Name: "ws-init-timeout", Value: ds.InitTimeout, Usage: "how long a websocket may take to send connection_init",
			Sources: cli.EnvVars("WS_INIT_TIMEOUT"), Destination: &cfg.streams.InitTimeout, Validator: positive},
		&cli.IntFlag{Name: "max-streams", Value: ds.Total, Usage: "open subscription streams (websockets and server-sent events) in all",
			Sources: cli.EnvVars("MAX_STREAMS"), Destination: &cfg.streams.Total, Validator: atLeast(1)},
		&cli.IntFlag{Name: "max-streams-per-client", Value: ds.PerClient, Usage: "open streams per client address",
			Sources: cli.EnvVars("MAX_STREAMS_PER_CLIENT"), Destination: &cfg.streams.PerClient, Validator: atLeast(1)},
		&cli.IntFlag{Name: "max-subscriptions-per-caller", Value: ds.PerCaller, Usage: "subscriptions per API token or shopper",
			Sources: cli.EnvVars("MAX_SUBSCRIPTIONS_PER_CALLER"), Destination: &cfg.streams.PerCaller, Validator: atLeast(1)},
		&cli.IntFlag{Name: "max-response-bytes", Value: graph.DefaultMaxResponseBytes, Usage: "the largest GraphQL answer, in bytes; larger ones are refused with RESPONSE_TOO_LARGE",
			Sources: cli.EnvVars("MAX_RESPONSE_BYTES"), Destination: &cfg.maxResponseBytes, Validator: atLeast(1024)},
		&cli.StringFlag{Name: "ops-addr", Usage: "also serve /healthz, /readyz and /metrics on this address, outside the connection bounds",
			Sources: cli.EnvVars("OPS_ADDR"), Destination: &cfg.opsAddr},
		&cli.StringFlag{Name: "rest-rate-limit", Value: rest.DefaultRateLimit.String(),
			Usage:   "each API token's REST quota, requests/window (e.g. 150/30s), or 0 for none",
			Sources: cli.EnvVars("REST_RATE_LIMIT"), Destination: &cfg.restRateLimit, Validator: func(s string) error {
				if _, err := rest.ParseRateLimit(s); err != nil {
					return fmt.Errorf("want requests/window such as 150/30s, or 0")
				}
				return nil
			}},
		&cli.StringFlag{Name: "upstream", Usage: "facade mode: mirror the BigCommerce store at this API URL (https://api.bigcommerce.com/stores/{hash}) and pass writes through to it",
			Sources: cli.EnvVars("UPSTREAM"), Destination: &cfg.upstream},
		&cli.StringFlag{Name: "upstream-token", Usage: "the upstream store's API account access token (customers scopes); never logged",
			Sources: cli.EnvVars("UPSTREAM_TOKEN"), Destination: &cfg.upstreamToken},
		&cli.StringFlag{Name: "public-url", Usage: "facade mode: this server's URL as the upstream reaches it, for its webhooks; without it, reconciliation only",
			Sources: cli.EnvVars("PUBLIC_URL"), Destination: &cfg.publicURL},
		&cli.BoolFlag{Name: "upstream-allow-private", Usage: "let the upstream client reach loopback and private addresses (development and tests only)",
			Sources: cli.EnvVars("UPSTREAM_ALLOW_PRIVATE"), Destination: &cfg.upstreamAllowPrivate},
		&cli.DurationFlag{Name: "upstream-reconcile-every", Value: 5 * time.Minute, Usage: "facade mode: how often to read the upstream's changes by date_modified:min, for webhooks that never came",
			Sources: cli.EnvVars("UPSTREAM_RECONCILE_EVERY"), Destination: &cfg.reconcileEvery, Validator: positive},
		&cli.DurationFlag{Name: "upstream-sweep-every", Value: time.Hour, Usage: "facade mode: how often to compare every id with the upstream's, for deletions whose webhook never came",
			Sources: cli.EnvVars("UPSTREAM_SWEEP_EVERY"), Destination: &cfg.sweepEvery, Validator: positive},
		&cli.StringFlag{Name: "trusted-proxies", Usage: "comma-separated IP addresses and CIDR prefixes of load balancers whose X-Forwarded-For names the client, for the per-address limits; empty: the header is never believed",
			Sources: cli.EnvVars("TRUSTED_PROXIES"), Destination: &cfg.trustedProxies, Validator: func(s string) error {
				_, err := parseTrustedProxies(s)
				return err
			}},
		&cli.BoolFlag{Name: "version", Usage: "print the version and exit", Destination: &cfg.version},
	}
}

// parseServeFlags reads the serving flags in args, with the environment
// for those not given, as the serve command does.
func parseServeFlags(args []string) (config, error) {
	var cfg config
	cmd := &cli.Command{Name: "serve", Flags: serveFlags(&cfg), HideHelp: true,
		Writer: io.Discard, ErrWriter: io.Discard,
		OnUsageError: func(_ context.Context, _ *cli.Command, err error, _ bool) error { return err },
		Action: func(_ context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageError{fmt.Errorf("unexpected argument %q", c.Args().First())}
			}
			return nil
		}}
	if err := cmd.Run(context.Background(), append([]string{"serve"}, args...)); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// limits are the GraphQL handler's cost and depth limits.
func (c config) limits() graph.Limits {
	return graph.Limits{MaxDepth: c.maxDepth, MaxCost: c.maxQueryCost, Budget: c.costBudget, Restore: c.costRestore}
}

// logger returns the logger the configuration asks for, writing to w.
func (c config) logger(w io.Writer) *slog.Logger {
	level, err := telemetry.ParseLevel(c.logLevel)
	if err != nil {
		level = slog.LevelInfo // checked by the flag already
	}
	if c.logFormat == "text" {
		return telemetry.NewTextLogger(w, level)
	}
	return telemetry.NewLogger(w, level)
}

// playgroundToken is the demo token the playground may carry: only when
// the server listens on a loopback address, where nobody else can reach
// the page.
func playgroundToken(token string, addr net.Addr) string {
	if a, ok := addr.(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return token
	}
	return ""
}

// Flag value checks; the flag's name or variable goes in front of the
// message.

func atLeast(n int) func(int) error {
	return func(v int) error {
		if v < n {
			return fmt.Errorf("want %d or more", n)
		}
		return nil
	}
}

func positive(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("want a duration above zero, like 30s or 1h")
	}
	return nil
}

func nonEmpty(what string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("want %s, not nothing", what)
		}
		return nil
	}
}

func oneOf(values ...string) func(string) error {
	return func(s string) error {
		for _, v := range values {
			if s == v {
				return nil
			}
		}
		return fmt.Errorf("want %s", strings.Join(values, " or "))
	}
}
