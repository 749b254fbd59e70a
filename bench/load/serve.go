package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/storefront/customers/bench/baseline"
	"github.com/storefront/customers/bench/suite"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/telemetry"
)

// serve runs one server process of the suite: "graphql" (the real stack,
// suite.GraphQLHandler over storage.Open, with a fresh API token) or
// "baseline". It prints "LISTEN addr [token]" on stdout, serves, with
// net/http/pprof under /debug/pprof/, and exits when stdin closes (the
// load process is gone).
func serve(kind, db string, conns int, noTelemetry bool) error {
	ctx := context.Background()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	var token string
	switch kind {
	case "graphql":
		telemetry.TuneGC(os.Getenv) // as server.go serves
		store, err := storage.Open(ctx, db, storage.Options{ReadConns: conns})
		if err != nil {
			return err
		}
		defer store.Close()
		if token, _, err = store.CreateToken(ctx, "bench-load", []string{storage.ScopeWrite}); err != nil {
			return err
		}
		api := suite.GraphQLHandler(store, suite.GraphQLOptions{NoTelemetry: noTelemetry})
		mux.Handle("/graphql", api)
		mux.Handle("/stores/", api)
	case "baseline":
		b, err := baseline.Open(ctx, db, conns)
		if err != nil {
			return err
		}
		defer b.Close()
		h := b.Handler()
		for _, p := range []string{"/reference", "/customer", "/search", "/page"} {
			mux.Handle(p, h)
		}
	default:
		return fmt.Errorf("unknown server %q", kind)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go srv.Serve(ln)
	fmt.Printf("LISTEN %s %s\n", ln.Addr(), token)
	io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}
