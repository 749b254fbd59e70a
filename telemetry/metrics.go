package telemetry

import (
	"database/sql"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes the service's own metric names.
const namespace = "customers"

// MaxOperationNames caps the distinct values of the operation label: the
// first names seen keep their own series, later ones share "other".
const MaxOperationNames = 100

// Operation label values that are not operation names.
const (
	// OperationAnonymous labels operations without a name.
	OperationAnonymous = "anonymous"
	// OperationOther labels named operations past MaxOperationNames.
	OperationOther = "other"
	// OperationInvalid labels requests that never became an operation: the
	// body, the query or the variables were rejected before execution.
	OperationInvalid = "invalid"
)

// Webhook delivery outcomes: the values of the outcome label of
// Metrics.WebhookDeliveries.
const (
	// WebhookDelivered counts deliveries the endpoint accepted (2xx).
	WebhookDelivered = "delivered"
	// WebhookFailed counts attempts that failed and will be retried.
	WebhookFailed = "failed"
	// WebhookAbandoned counts deliveries given up after the last attempt.
	WebhookAbandoned = "abandoned"
)

// Metrics holds the service's Prometheus collectors in a registry of its
// own (nothing is registered globally, so tests can each have one). Serve
// Registry with Handler. Every label has a small, bounded set of values:
// routes, operation names (capped, see MaxOperationNames), error codes
// (capped), relation names and pool names; never query text, paths or ids.
type Metrics struct {
	// Registry holds every collector below, plus the Go runtime, process
	// and build info collectors.
	Registry *prometheus.Registry

	// WebhookQueue is the number of webhook deliveries waiting to be sent;
	// the webhook dispatcher sets it (customers_webhook_queue_depth).
	WebhookQueue prometheus.Gauge
	// WebhookDeliveries counts delivery attempts by outcome, one of
	// WebhookDelivered, WebhookFailed and WebhookAbandoned; the webhook
	// dispatcher increments it (customers_webhook_deliveries_total).
	WebhookDeliveries *prometheus.CounterVec
	// ConnectionsRefused counts connections closed as soon as they were
	// accepted, over the server's bounds (customers_http_connections_refused_total).
	ConnectionsRefused prometheus.Counter

	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	operations    *prometheus.CounterVec
	opDuration    *prometheus.HistogramVec
	opStatements  *prometheus.HistogramVec
	gqlErrors     *prometheus.CounterVec
	executions    *prometheus.CounterVec
	batchSize     *prometheus.HistogramVec
	sqlDuration   *prometheus.HistogramVec
	operationName *capped
	errorCode     *capped
}

// NewMetrics creates the collectors and registers them in a new registry.
// build labels customers_build_info.
func NewMetrics(build Build) *Metrics {
	durations := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		WebhookQueue: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "webhook_queue_depth",
			Help: "Webhook deliveries waiting to be sent.",
		}),
		WebhookDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome (delivered, failed, abandoned).",
		}, []string{"outcome"}),
		ConnectionsRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_connections_refused_total",
			Help: "Connections closed at accept: over the bound on open connections, in all or per client address.",
		}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests by route (the matched pattern, or unmatched) and status code.",
		}, []string{"route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: durations,
		}, []string{"route"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_operations_total",
			Help: "GraphQL operations by operation name and outcome (ok, or error when the response has errors).",
		}, []string{"operation", "outcome"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graphql_operation_duration_seconds",
			Help:    "GraphQL operation latency, from the request's arrival to the response, by operation name.",
			Buckets: durations,
		}, []string{"operation"}),
		opStatements: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graphql_operation_sql_statements",
			Help:    "SQL statements run for one GraphQL operation, by operation name.",
			Buckets: []float64{0, 1, 2, 4, 8, 16, 32, 64, 128, 256},
		}, []string{"operation"}),
		gqlErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_errors_total",
			Help: "Errors in GraphQL responses by extensions.code (UNKNOWN when there is none).",
		}, []string{"code"}),
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_executions_total",
			Help: "GraphQL operations by the executor that ran them: compiled (the compiled read path) or reference (gqlgen's).",
		}, []string{"executor"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "dataloader_batch_size",
			Help:    "Keys per batched lookup (dataloader batch or priming fetch), by relation.",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500},
		}, []string{"relation"}),
		sqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "sql_statement_duration_seconds",
			Help:    "SQL statement latency by outcome (ok, error).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"outcome"}),
		operationName: newCapped(MaxOperationNames, OperationOther),
		errorCode:     newCapped(50, "OTHER"),
	}
	for _, executor := range []string{"compiled", "reference"} {
		m.executions.WithLabelValues(executor)
	}
	for _, outcome := range []string{WebhookDelivered, WebhookFailed, WebhookAbandoned} {
		m.WebhookDeliveries.WithLabelValues(outcome)
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; the labels tell the running build.",
		ConstLabels: prometheus.Labels{"version": build.Version, "revision": build.Revision, "go_version": build.GoVersion},
	})
	buildInfo.Set(1)
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
		m.WebhookQueue, m.WebhookDeliveries, m.ConnectionsRefused,
		m.httpRequests, m.httpDuration,
		m.operations, m.opDuration, m.opStatements, m.gqlErrors, m.executions,
		m.batchSize, m.sqlDuration,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveBatch records the size of one batched lookup of relation; it fits
// graph.Options.OnBatch.
func (m *Metrics) ObserveBatch(relation string, keys int) {
	m.batchSize.WithLabelValues(relation).Observe(float64(keys))
}

// ObserveExecutor counts one operation run by executor ("compiled" or
// "reference"); it fits graph.Options.OnExec.
func (m *Metrics) ObserveExecutor(executor string) {
	m.executions.WithLabelValues(executor).Inc()
}

// OperationLabel returns the operation label for an operation name: name
// itself for the first MaxOperationNames names, OperationOther after that,
// and OperationAnonymous for "".
func (m *Metrics) OperationLabel(name string) string {
	if name == "" {
		return OperationAnonymous
	}
	return m.operationName.label(name)
}

// capped hands out label values: the first max distinct values keep
// themselves, later ones get other.
type capped struct {
	max   int
	other string
	mu    sync.Mutex
	seen  map[string]bool
}

func newCapped(max int, other string) *capped {
	return &capped{max: max, other: other, seen: map[string]bool{}}
}

func (c *capped) label(v string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[v] {
		return v
	}
	if len(c.seen) >= c.max {
		return c.other
	}
	c.seen[v] = true
	return v
}

// NewPoolCollector returns a collector of the store's connection pool
// statistics, read at each scrape from stats (storage.DB.PoolStats fits),
// labelled by pool name ("writer", "reader", and "standby" when the store
// reads from a hot standby): customers_store_pool_* gauges for open,
// in-use, idle and maximum connections and counters for waits.
func NewPoolCollector(stats func() map[string]sql.DBStats) prometheus.Collector {
	return &poolCollector{stats: stats}
}

type poolCollector struct {
	stats func() map[string]sql.DBStats
}

var (
	poolOpen = prometheus.NewDesc(namespace+"_store_pool_open_connections",
		"Connections open in the store's pool, in use or idle.", []string{"pool"}, nil)
	poolInUse = prometheus.NewDesc(namespace+"_store_pool_in_use_connections",
		"Connections of the store's pool running a statement or transaction.", []string{"pool"}, nil)
	poolIdle = prometheus.NewDesc(namespace+"_store_pool_idle_connections",
		"Idle connections of the store's pool.", []string{"pool"}, nil)
	poolMax = prometheus.NewDesc(namespace+"_store_pool_max_open_connections",
		"The bound on the store pool's connections.", []string{"pool"}, nil)
	poolWaits = prometheus.NewDesc(namespace+"_store_pool_waits_total",
		"Times a caller waited for a connection of the store's pool.", []string{"pool"}, nil)
	poolWaited = prometheus.NewDesc(namespace+"_store_pool_wait_seconds_total",
		"Time callers spent waiting for a connection of the store's pool.", []string{"pool"}, nil)
)

// Describe sends the descriptions of the pool metrics.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolOpen, poolInUse, poolIdle, poolMax, poolWaits, poolWaited} {
		ch <- d
	}
}

// Collect reads the pool statistics and sends them.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.stats() {
		ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse), name)
		ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.Idle), name)
		ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxOpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(poolWaited, prometheus.CounterValue, s.WaitDuration.Seconds(), name)
	}
}
