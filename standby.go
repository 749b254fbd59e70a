package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/internal/headerhook"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// withCaller names each request's caller to the store, so that with a read
// standby (-db-read) a caller's reads see its own writes (storage/standby.go):
// the caller is its credential (X-Auth-Token, an Authorization header, the
// shopper session cookie), or else its address. The store keeps a digest
// of it, never the credential.
//
// Across replicas of the server, the write position: a response to a
// request that wrote carries the position of its writes in the
// Customers-Write-Position header, and a request that carries it back
// reads from the standby only once the standby has replayed it, whichever
// replica took the write. A token this server did not make is refused
// with a 400 (code BAD_WRITE_POSITION), nothing done.
func withCaller(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := storage.WithCaller(r.Context(), callerOf(r))
		if vs := r.Header.Values(writePositionHeader); len(vs) > 0 {
			p, err := storage.ParseWritePosition(vs[0])
			if err != nil || len(vs) > 1 {
				badWritePosition(w, r)
				return
			}
			ctx = storage.WithWritePosition(ctx, p)
		}
		if r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			// Streams (websockets, server-sent events) write nothing.
			h.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		// The header goes out with the response's headers, if the request
		// wrote (its writes commit before their response is written).
		ctx, rec := storage.RecordWrites(ctx)
		w = headerhook.New(w, func(h http.Header) {
			if p, ok := rec.Position(); ok {
				h.Set(writePositionHeader, p.String())
			}
		})
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// writePositionHeader carries a write position: on the response to a
// request that wrote, and on a request, what its reads must see.
const writePositionHeader = "Customers-Write-Position"

// badWritePosition answers a request whose write position header is not
// one this server made: in the REST API's error shape under /stores/, in
// GraphQL's elsewhere.
func badWritePosition(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	msg := writePositionHeader + ": " + storage.ErrBadWritePosition.Error() + "."
	var body any = map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": "BAD_WRITE_POSITION"}}}}
	if strings.HasPrefix(r.URL.Path, "/stores/") {
		body = wire.Error{Status: http.StatusBadRequest, Title: msg, Type: wire.ErrorType}
	}
	json.NewEncoder(w).Encode(body)
}

// callerOf returns the digest that names r's caller.
func callerOf(r *http.Request) string {
	id := ""
	switch {
	case r.Header.Get("X-Auth-Token") != "":
		id = "token:" + r.Header.Get("X-Auth-Token")
	case r.Header.Get("Authorization") != "":
		id = "authorization:" + r.Header.Get("Authorization")
	default:
		if c, err := r.Cookie(graph.SessionCookie); err == nil && c.Value != "" {
			id = "session:" + c.Value
		} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			id = "address:" + host
		} else {
			id = "address:" + r.RemoteAddr
		}
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}

// standbyCollector exports the store's read routing: reads sent to the
// standby, to the primary, and the standby's failures the primary served.
type standbyCollector struct {
	db   *storage.DB
	desc *prometheus.Desc
}

func newStandbyCollector(db *storage.DB) prometheus.Collector {
	return standbyCollector{db: db, desc: prometheus.NewDesc("customers_store_reads_total",
		"Reads of the store by where they ran, when it reads from a standby (-db-read): standby, primary, or fallback (the standby failed and the primary served it).",
		[]string{"side"}, nil)}
}

func (c standbyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c standbyCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.db.ReadRoutes()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(r.Standby), "standby")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(r.Primary), "primary")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(r.Fallback), "fallback")
}
