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
	"syscall"
	"time"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/playground"
	"github.com/storefront/customers/storage"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
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
		}
	}
	return serve(ctx, args, stdout, log, nil)
}

// config is the serving configuration, from flags with env fallbacks.
type config struct {
	addr string
	db   string
	demo bool
}

// parseServeFlags reads the serving flags; env ADDR and DB_PATH give the
// defaults that flags override.
func parseServeFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("customers", flag.ContinueOnError)
	cfg := config{}
	fs.StringVar(&cfg.addr, "addr", envOr("ADDR", "127.0.0.1:8080"), "listen address (env ADDR)")
	fs.StringVar(&cfg.db, "db", envOr("DB_PATH", "customers.db"), "SQLite database file (env DB_PATH)")
	fs.BoolVar(&cfg.demo, "demo", envOr("DEMO", "") != "", "seed a demo store into an empty database first (env DEMO)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg, nil
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
	db, err := storage.Open(ctx, cfg.db, storage.Options{})
	if err != nil {
		return err
	}
	defer db.Close()

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
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newMux(db, log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "GraphQL playground: http://%s/\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "db", cfg.db)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// newMux routes the server's endpoints.
func newMux(db *storage.DB, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	gql := graph.NewHandler(db, graph.Options{Logger: log})
	mux.Handle("/graphql", gql)
	pg := playground.Handler(playground.Options{
		Title:        "Customers GraphQL",
		Endpoint:     "/graphql",
		DefaultQuery: exampleQuery,
	})
	mux.Handle("GET /{$}", pg)
	mux.Handle("GET /playground/", pg)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			log.Warn("not ready", "err", err)
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
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
