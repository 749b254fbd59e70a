package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/storage"
)

// withCaller names each request's caller to the store, so that with a read
// standby (-db-read) a caller's reads see its own writes (storage/standby.go):
// the caller is its credential (X-Auth-Token, an Authorization header, the
// shopper session cookie), or else its address. The store keeps a digest
// of it, never the credential.
func withCaller(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(storage.WithCaller(r.Context(), callerOf(r)))
		h.ServeHTTP(w, r)
	})
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
