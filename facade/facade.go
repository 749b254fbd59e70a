// Package facade keeps the store a mirror of an upstream BigCommerce store
// (the facade mode): an initial sync, resumable from checkpoints kept in
// the store; the upstream's webhooks, received and verified here, to
// fetch changed records in batches; a reconciliation pass by
// date_modified:min for changes whose webhook was lost; and a slower sweep
// of every id for deletions. Every mirror write records the events a local
// write would (storage's Mirror* writers).
package facade

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/upstream"
	"github.com/storefront/customers/wire"
)

// ReceiverPath is where the upstream's webhooks are received, under the
// public URL.
const ReceiverPath = "/upstream/webhooks"

// SecretHeader is the custom header the upstream sends with each webhook,
// carrying the secret this server registered.
const SecretHeader = "X-Facade-Secret"

// PageSize is the upstream's largest page.
const PageSize = 250

// idBatch is how many changed ids one fetch asks for (id:in).
const idBatch = 50

// Includes are the V3 include values a mirrored customer is read with.
const Includes = "addresses,storecredit,attributes,formfields"

// Config configures a Mirror.
type Config struct {
	// PublicURL is where the upstream reaches this server; empty: no
	// webhooks (reconciliation only).
	PublicURL string
	// ReconcileEvery is the reconciliation pass's period (default 5m);
	// SweepEvery the full id sweep's (default 1h).
	ReconcileEvery, SweepEvery time.Duration
	// Progress receives the initial sync's progress lines (stderr).
	Progress io.Writer
	Logger   *slog.Logger
	// Registerer receives the sync metrics.
	Registerer prometheus.Registerer
}

// State is where the mirror stands.
type State string

const (
	// InitialSync: the first full sync has not finished; reads are of an
	// incomplete mirror.
	InitialSync State = "INITIAL_SYNC"
	// Synced: the mirror follows the upstream.
	Synced State = "SYNCED"
	// Unavailable: the upstream fails; reads are served from the mirror,
	// writes refused.
	Unavailable State = "UPSTREAM_UNAVAILABLE"
)

// Status is what syncStatus reports.
type Status struct {
	State          State
	LastFullSyncAt *time.Time
	LagSeconds     float64
	PendingChanges int
	UpstreamErrors int
	// Done and Total count the initial sync's customers.
	Done, Total int
}

// Mirror state names.
const (
	stateCompleted = "sync.completed_at" // RFC 3339: the last full sync's end
	statePhase     = "sync.phase"        // the initial sync's phase in progress
	statePage      = "sync.page"         // the next page of that phase
	stateSince     = "reconcile.since"   // date_modified:min of the next pass
)

// Mirror keeps db in step with the upstream.
type Mirror struct {
	db     *storage.DB
	up     *upstream.Client
	cfg    Config
	log    *slog.Logger
	secret string

	synced    atomic.Bool
	done      atomic.Int64
	total     atomic.Int64
	upErrors  atomic.Int64
	lastFull  atomic.Pointer[time.Time]
	wake      chan struct{}
	mu        sync.Mutex
	customers map[int]time.Time // changed ids awaiting a fetch, since when
	subs      map[int]time.Time

	lag        prometheus.Gauge
	pending    prometheus.Gauge
	applied    *prometheus.CounterVec
	callbacks  *prometheus.CounterVec
	syncErrors prometheus.Counter
}

// New returns a mirror of up in db.
func New(db *storage.DB, up *upstream.Client, cfg Config) *Mirror {
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = 5 * time.Minute
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	b := make([]byte, 24)
	rand.Read(b)
	m := &Mirror{db: db, up: up, cfg: cfg, log: cfg.Logger, secret: hex.EncodeToString(b), wake: make(chan struct{}, 1),
		customers: map[int]time.Time{}, subs: map[int]time.Time{},
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "customers", Subsystem: "facade", Name: "sync_lag_seconds",
			Help: "Age of the oldest upstream change not yet in the mirror (0: in step)."}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "customers", Subsystem: "facade", Name: "pending_changes",
			Help: "Upstream records known to have changed and not yet fetched."}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "customers", Subsystem: "facade", Name: "mirror_writes_total",
			Help: "Mirror rows written, by source (sync, webhook, reconcile, sweep, write)."}, []string{"source"}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "customers", Subsystem: "facade", Name: "webhook_callbacks_total",
			Help: "Webhook callbacks from the upstream, by outcome (accepted, refused)."}, []string{"outcome"}),
		syncErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "customers", Subsystem: "facade", Name: "sync_errors_total",
			Help: "Failed sync steps (retried later)."}),
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(m.lag, m.pending, m.applied, m.callbacks, m.syncErrors)
	}
	return m
}

// Synced reports whether the first full sync has finished.
func (m *Mirror) Synced() bool { return m.synced.Load() }

// Status reports where the mirror stands.
func (m *Mirror) Status() Status {
	m.mu.Lock()
	pending := len(m.customers) + len(m.subs)
	oldest := time.Time{}
	for _, t := range m.customers {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	for _, t := range m.subs {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	m.mu.Unlock()
	s := Status{State: Synced, PendingChanges: pending, UpstreamErrors: int(m.upErrors.Load()),
		LastFullSyncAt: m.lastFull.Load(), Done: int(m.done.Load()), Total: int(m.total.Load())}
	if !oldest.IsZero() {
		s.LagSeconds = time.Since(oldest).Seconds()
	}
	switch {
	case !m.synced.Load():
		s.State = InitialSync
	case m.up.BreakerOpen():
		s.State = Unavailable
	}
	return s
}

// Run syncs and then follows the upstream until ctx ends.
func (m *Mirror) Run(ctx context.Context) error {
	state, err := m.db.MirrorState(ctx)
	if err != nil {
		return err
	}
	if at, err := time.Parse(time.RFC3339, state[stateCompleted]); err == nil {
		m.lastFull.Store(&at)
		m.synced.Store(true)
	}
	// Webhooks first, so that changes made during the sync are queued; a
	// failure to register (the upstream down, or refusing the URL) is
	// retried at every reconciliation meanwhile.
	hooked := m.cfg.PublicURL == ""
	register := func() {
		if hooked {
			return
		}
		if err := m.registerHooks(ctx); err != nil {
			m.failed("register webhooks", err)
			return
		}
		hooked = true
	}
	register()
	for !m.synced.Load() && ctx.Err() == nil {
		if err := m.initialSync(ctx); err != nil {
			m.failed("initial sync", err)
			sleep(ctx, 2*time.Second)
			register()
		}
	}
	// One pass at once: changes made while the sync read its pages, or
	// while this server was down, whose webhooks it may have missed. Pages
	// read by number shift when records are deleted meanwhile: when the
	// counts differ, a sweep finds what a shift hid.
	if ctx.Err() == nil {
		if err := m.Reconcile(ctx); err != nil {
			m.failed("reconcile", err)
		}
		m.sweepIfCountsDiffer(ctx)
	}
	reconcile := time.NewTicker(m.cfg.ReconcileEvery)
	defer reconcile.Stop()
	sweep := time.NewTicker(m.cfg.SweepEvery)
	defer sweep.Stop()
	flush := time.NewTicker(100 * time.Millisecond)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		case <-flush.C:
		case <-reconcile.C:
			register()
			if err := m.Reconcile(ctx); err != nil {
				m.failed("reconcile", err)
			} else {
				m.sweepIfCountsDiffer(ctx)
			}
		case <-sweep.C:
			if err := m.Sweep(ctx); err != nil {
				m.failed("sweep", err)
			}
		}
		if err := m.applyPending(ctx, "webhook"); err != nil {
			m.failed("fetch changes", err)
		}
	}
}

func (m *Mirror) failed(what string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	m.syncErrors.Inc()
	if upstream.KindOf(err) != 0 {
		m.upErrors.Add(1)
	}
	m.log.Warn("facade: "+what+" failed; will retry", "err", err)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Phases of the initial sync, in order.
var phases = []string{"settings", "groups", "attributes", "customers", "subscribers"}

// initialSync runs (or resumes) the first full sync.
func (m *Mirror) initialSync(ctx context.Context) error {
	state, err := m.db.MirrorState(ctx)
	if err != nil {
		return err
	}
	phase, page := state[statePhase], 1
	if p, err := strconv.Atoi(state[statePage]); err == nil && p > 0 {
		page = p
	}
	start := slices.Index(phases, phase)
	if start < 0 {
		start, page = 0, 1
		// The pass after the sync reads changes from the sync's start.
		if err := m.db.SetMirrorState(ctx, map[string]string{stateSince: time.Now().UTC().Add(-time.Minute).Format(time.RFC3339),
			statePhase: phases[0], statePage: "1"}); err != nil {
			return err
		}
	}
	for i := start; i < len(phases); i++ {
		if i > start {
			page = 1
		}
		var err error
		switch phases[i] {
		case "settings":
			err = m.syncSettings(ctx)
		case "groups":
			err = m.syncGroups(ctx)
		case "attributes":
			err = m.syncAttributes(ctx)
		case "customers":
			err = m.syncCustomers(ctx, page)
		case "subscribers":
			err = m.syncSubscribers(ctx, page)
		}
		if err != nil {
			return err
		}
		next := ""
		if i+1 < len(phases) {
			next = phases[i+1]
		}
		if err := m.db.SetMirrorState(ctx, map[string]string{statePhase: next, statePage: "1"}); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	if err := m.db.SetMirrorState(ctx, map[string]string{stateCompleted: now.Format(time.RFC3339), statePhase: "", statePage: ""}); err != nil {
		return err
	}
	m.lastFull.Store(&now)
	m.synced.Store(true)
	fmt.Fprintf(m.cfg.Progress, "sync: done: %d customers\n", m.done.Load())
	m.log.Info("facade: initial sync done", "customers", m.done.Load())
	return nil
}

func (m *Mirror) syncSettings(ctx context.Context) error {
	var s wire.Single[wire.Settings]
	if err := m.up.Get(ctx, "/v3/customers/settings", nil, &s); err != nil {
		return err
	}
	// Channel 1, the storefront every store has; others are read when a
	// client asks for them through a write.
	var ch wire.Single[wire.ChannelSettings]
	channels := map[int]wire.ChannelSettings{}
	if err := m.up.Get(ctx, "/v3/customers/settings/channels/1", nil, &ch); err == nil {
		channels[1] = ch.Data
	} else if upstream.KindOf(err) != upstream.Rejected {
		return err
	}
	return m.db.MirrorSettings(ctx, s.Data, channels)
}

func (m *Mirror) syncGroups(ctx context.Context) error {
	var all []wire.V2Group
	for page := 1; ; page++ {
		var gs []wire.V2Group
		if err := m.up.Get(ctx, "/v2/customer_groups", url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(PageSize)}}, &gs); err != nil {
			return err
		}
		all = append(all, gs...)
		if len(gs) < PageSize {
			break
		}
	}
	return m.db.MirrorGroups(ctx, all)
}

func (m *Mirror) syncAttributes(ctx context.Context) error {
	var all []wire.Attribute
	for page := 1; ; page++ {
		var as wire.Collection[wire.Attribute]
		if err := m.up.Get(ctx, "/v3/customers/attributes", url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(PageSize)}}, &as); err != nil {
			return err
		}
		all = append(all, as.Data...)
		if as.Meta.Pagination == nil || page >= as.Meta.Pagination.TotalPages {
			break
		}
	}
	return m.db.MirrorAttributes(ctx, all)
}

// syncCustomers copies every customer, a page at a time from page; each
// page and the checkpoint after it commit together.
func (m *Mirror) syncCustomers(ctx context.Context, page int) error {
	started, startDone := time.Now(), int64((page-1)*PageSize)
	m.done.Store(startDone)
	lastLine := time.Time{}
	for {
		var cs wire.Collection[wire.Customer]
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(PageSize)}, "include": {Includes}, "sort": {"id:asc"}}
		if err := m.up.Get(ctx, "/v3/customers", q, &cs); err != nil {
			return err
		}
		total := 0
		if p := cs.Meta.Pagination; p != nil {
			total = p.Total
		}
		m.total.Store(int64(total))
		if err := m.mirrorCustomers(ctx, cs.Data, map[string]string{statePage: strconv.Itoa(page + 1)}, "sync"); err != nil {
			return err
		}
		done := m.done.Add(int64(len(cs.Data)))
		if time.Since(lastLine) > time.Second || len(cs.Data) < PageSize {
			lastLine = time.Now()
			m.progress(done, int64(total), done-startDone, time.Since(started))
		}
		if len(cs.Data) < PageSize {
			return nil
		}
		page++
	}
}

// progress writes one line: done/total, rate and ETA.
func (m *Mirror) progress(done, total, fresh int64, took time.Duration) {
	rate := float64(fresh) / max(took.Seconds(), 0.001)
	eta := "-"
	if rate > 0 && total > done {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	pct := 100.0
	if total > 0 {
		pct = float64(done) * 100 / float64(total)
	}
	fmt.Fprintf(m.cfg.Progress, "sync: customers %d/%d (%.1f%%), %.0f/s, ETA %s\n", done, total, pct, rate, eta)
}

func (m *Mirror) syncSubscribers(ctx context.Context, page int) error {
	for {
		var ss wire.Collection[wire.Subscriber]
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(PageSize)}}
		if err := m.up.Get(ctx, "/v3/customers/subscribers", q, &ss); err != nil {
			return err
		}
		if err := m.mirrorSubscribers(ctx, ss.Data, map[string]string{statePage: strconv.Itoa(page + 1)}, "sync"); err != nil {
			return err
		}
		if len(ss.Data) < PageSize {
			return nil
		}
		page++
	}
}

// mirrorCustomers writes customers; when their emails are held by other
// mirrored customers, those are fetched too (or deleted, when the upstream
// has them no more) and written in the same batch.
func (m *Mirror) mirrorCustomers(ctx context.Context, cs []wire.Customer, state map[string]string, source string) error {
	return mirrorRetrying(ctx, m, "customers", cs, func(c wire.Customer) int { return c.ID },
		func(ctx context.Context, cs []wire.Customer) (storage.MirrorStats, error) {
			return m.db.MirrorCustomers(ctx, cs, state)
		}, m.fetchCustomers, m.db.MirrorDeleteCustomers, source)
}

// mirrorSubscribers is mirrorCustomers for subscribers.
func (m *Mirror) mirrorSubscribers(ctx context.Context, ss []wire.Subscriber, state map[string]string, source string) error {
	return mirrorRetrying(ctx, m, "subscribers", ss, func(s wire.Subscriber) int { return s.ID },
		func(ctx context.Context, ss []wire.Subscriber) (storage.MirrorStats, error) {
			return m.db.MirrorSubscribers(ctx, ss, state)
		}, m.fetchSubscribers, m.db.MirrorDeleteSubscribers, source)
}

// mirrorRetrying writes recs with write. A conflict names the mirrored
// records whose emails recs take: they are fetched from the upstream and
// written in the same batch, or removed when the upstream has them no more.
// Emails that keep moving give up after five tries; the next round retries.
func mirrorRetrying[T any](ctx context.Context, m *Mirror, kind string, recs []T, id func(T) int,
	write func(context.Context, []T) (storage.MirrorStats, error),
	fetch func(context.Context, []int) ([]T, error),
	remove func(context.Context, []int) ([]int, error), source string) error {
	for range 5 {
		st, err := write(ctx, recs)
		if err == nil {
			m.applied.WithLabelValues(source).Add(float64(st.Created + st.Updated))
			return nil
		}
		c, ok := storage.IsMirrorConflict(err)
		if !ok {
			return err
		}
		more, err := fetch(ctx, c.IDs)
		if err != nil {
			return err
		}
		var gone []int
		for _, want := range c.IDs {
			if !slices.ContainsFunc(more, func(x T) bool { return id(x) == want }) {
				gone = append(gone, want)
			}
		}
		if len(gone) > 0 {
			if _, err := remove(ctx, gone); err != nil {
				return err
			}
		}
		recs = append(recs, more...)
	}
	return fmt.Errorf("mirror %s: emails keep moving; will retry", kind)
}

func joinIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}

// fetchCustomers reads customers by id from the upstream, in batches.
func (m *Mirror) fetchCustomers(ctx context.Context, ids []int) ([]wire.Customer, error) {
	return fetchByID[wire.Customer](ctx, m.up, "/v3/customers", url.Values{"include": {Includes}}, ids)
}

// fetchSubscribers reads subscribers by id from the upstream, in batches.
func (m *Mirror) fetchSubscribers(ctx context.Context, ids []int) ([]wire.Subscriber, error) {
	return fetchByID[wire.Subscriber](ctx, m.up, "/v3/customers/subscribers", nil, ids)
}

// fetchByID reads a V3 collection's records by id, idBatch at a time, with
// the query's other parameters.
func fetchByID[T any](ctx context.Context, up *upstream.Client, path string, query url.Values, ids []int) ([]T, error) {
	var out []T
	for chunk := range slices.Chunk(ids, idBatch) {
		var page wire.Collection[T]
		q := url.Values{"id:in": {joinIDs(chunk)}, "limit": {strconv.Itoa(PageSize)}}
		for k, v := range query {
			q[k] = v
		}
		if err := up.Get(ctx, path, q, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Data...)
	}
	return out, nil
}

// Changed marks customers and subscribers as changed upstream: the next
// round fetches them.
func (m *Mirror) Changed(customers, subscribers []int) {
	now := time.Now()
	m.mu.Lock()
	for _, id := range customers {
		if _, ok := m.customers[id]; !ok {
			m.customers[id] = now
		}
	}
	for _, id := range subscribers {
		if _, ok := m.subs[id]; !ok {
			m.subs[id] = now
		}
	}
	m.pending.Set(float64(len(m.customers) + len(m.subs)))
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// applyPending fetches the changed records and writes them; those the
// upstream no longer has are deleted. On failure the ids stay pending.
func (m *Mirror) applyPending(ctx context.Context, source string) error {
	m.mu.Lock()
	cids, sids := keys(m.customers), keys(m.subs)
	m.mu.Unlock()
	defer m.updateLag()
	if len(cids) > 0 {
		cs, err := m.fetchCustomers(ctx, cids)
		if err != nil {
			return err
		}
		if err := m.mirrorCustomers(ctx, cs, nil, source); err != nil {
			return err
		}
		if _, err := m.db.MirrorDeleteCustomers(ctx, missing(cids, cs, func(c wire.Customer) int { return c.ID })); err != nil {
			return err
		}
		m.forget(m.customers, cids)
	}
	if len(sids) > 0 {
		ss, err := m.fetchSubscribers(ctx, sids)
		if err != nil {
			return err
		}
		if err := m.mirrorSubscribers(ctx, ss, nil, source); err != nil {
			return err
		}
		if _, err := m.db.MirrorDeleteSubscribers(ctx, missing(sids, ss, func(s wire.Subscriber) int { return s.ID })); err != nil {
			return err
		}
		m.forget(m.subs, sids)
	}
	return nil
}

func (m *Mirror) forget(set map[int]time.Time, ids []int) {
	m.mu.Lock()
	for _, id := range ids {
		delete(set, id)
	}
	m.mu.Unlock()
}

func (m *Mirror) updateLag() {
	s := m.Status()
	m.lag.Set(s.LagSeconds)
	m.pending.Set(float64(s.PendingChanges))
}

func keys(set map[int]time.Time) []int {
	out := make([]int, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// missing returns the ids that got lacks.
func missing[T any](ids []int, got []T, id func(T) int) []int {
	have := map[int]bool{}
	for _, g := range got {
		have[id(g)] = true
	}
	var out []int
	for _, i := range ids {
		if !have[i] {
			out = append(out, i)
		}
	}
	return out
}

// Reconcile reads what changed upstream since the last pass
// (date_modified:min, a minute of overlap) and refreshes the definitions.
func (m *Mirror) Reconcile(ctx context.Context) error {
	state, err := m.db.MirrorState(ctx)
	if err != nil {
		return err
	}
	since := state[stateSince]
	started := time.Now().UTC()
	for _, f := range []func(context.Context) error{m.syncSettings, m.syncGroups, m.syncAttributes} {
		if err := f(ctx); err != nil {
			return err
		}
	}
	for page := 1; ; page++ {
		var cs wire.Collection[wire.Customer]
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(PageSize)}, "include": {Includes}, "sort": {"id:asc"}}
		if since != "" {
			q.Set("date_modified:min", since)
		}
		if err := m.up.Get(ctx, "/v3/customers", q, &cs); err != nil {
			return err
		}
		if err := m.mirrorCustomers(ctx, cs.Data, nil, "reconcile"); err != nil {
			return err
		}
		if len(cs.Data) < PageSize {
			break
		}
	}
	for page := 1; ; page++ {
		var ss wire.Collection[wire.Subscriber]
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(PageSize)}}
		if since != "" {
			q.Set("date_modified:min", since)
		}
		if err := m.up.Get(ctx, "/v3/customers/subscribers", q, &ss); err != nil {
			return err
		}
		if err := m.mirrorSubscribers(ctx, ss.Data, nil, "reconcile"); err != nil {
			return err
		}
		if len(ss.Data) < PageSize {
			break
		}
	}
	return m.db.SetMirrorState(ctx, map[string]string{stateSince: started.Add(-time.Minute).Format(time.RFC3339)})
}

// sweepIfCountsDiffer sweeps when the upstream and the mirror count
// different customers (one request when they agree).
func (m *Mirror) sweepIfCountsDiffer(ctx context.Context) {
	if err := m.applyPending(ctx, "webhook"); err != nil {
		m.failed("fetch changes", err)
		return
	}
	differ, err := m.countsDiffer(ctx)
	if err != nil {
		m.failed("count", err)
		return
	}
	if differ {
		if err := m.Sweep(ctx); err != nil {
			m.failed("sweep", err)
		}
	}
}

// countsDiffer compares the upstream's customer count with the mirror's.
func (m *Mirror) countsDiffer(ctx context.Context) (bool, error) {
	var cs wire.Collection[struct {
		ID int `json:"id"`
	}]
	if err := m.up.Get(ctx, "/v3/customers", url.Values{"limit": {"1"}}, &cs); err != nil {
		return false, err
	}
	n, err := m.db.MirrorCount(ctx, "customers")
	if err != nil || cs.Meta.Pagination == nil {
		return false, err
	}
	return cs.Meta.Pagination.Total != n, nil
}

// Sweep reads every customer (with its relations) and subscriber of the
// upstream and writes those that differ from the mirror: changes no
// webhook told of and date_modified does not show (an address, an
// attribute value) are caught here; mirror rows the upstream lacks (a lost
// delete webhook) are checked by id and deleted.
func (m *Mirror) Sweep(ctx context.Context) error {
	var upIDs []int
	for page := 1; ; page++ {
		var cs wire.Collection[wire.Customer]
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(PageSize)}, "include": {Includes}, "sort": {"id:asc"}}
		if err := m.up.Get(ctx, "/v3/customers", q, &cs); err != nil {
			return err
		}
		if err := m.mirrorCustomers(ctx, cs.Data, nil, "sweep"); err != nil {
			return err
		}
		upIDs = append(upIDs, customerIDs(cs.Data)...)
		if len(cs.Data) < PageSize {
			break
		}
	}
	gone, err := m.lacking(ctx, "customers", upIDs)
	if err != nil {
		return err
	}
	m.Changed(gone, nil)
	upIDs = upIDs[:0]
	for page := 1; ; page++ {
		var ss wire.Collection[wire.Subscriber]
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(PageSize)}}
		if err := m.up.Get(ctx, "/v3/customers/subscribers", q, &ss); err != nil {
			return err
		}
		if err := m.mirrorSubscribers(ctx, ss.Data, nil, "sweep"); err != nil {
			return err
		}
		for _, s := range ss.Data {
			upIDs = append(upIDs, s.ID)
		}
		if len(ss.Data) < PageSize {
			break
		}
	}
	if gone, err = m.lacking(ctx, "subscribers", upIDs); err != nil {
		return err
	}
	m.Changed(nil, gone)
	// Both are checked again by id, so a record created while the pages
	// were read is judged on its current state.
	return m.applyPending(ctx, "sweep")
}

func customerIDs(cs []wire.Customer) []int {
	ids := make([]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// lacking returns the mirror's ids of table that are not in upIDs.
func (m *Mirror) lacking(ctx context.Context, table string, upIDs []int) ([]int, error) {
	slices.Sort(upIDs)
	var gone []int
	for after := 0; ; {
		ids, err := m.db.MirrorIDs(ctx, table, after, 10000)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if _, ok := slices.BinarySearch(upIDs, id); !ok {
				gone = append(gone, id)
			}
		}
		if len(ids) < 10000 {
			return gone, nil
		}
		after = ids[len(ids)-1]
	}
}

// registerHooks registers (or updates, with this run's secret) the
// webhooks at the upstream that point at this server's receiver.
func (m *Mirror) registerHooks(ctx context.Context) error {
	dest := strings.TrimSuffix(m.cfg.PublicURL, "/") + ReceiverPath
	var hooks wire.Collection[wire.Webhook]
	if err := m.up.Get(ctx, "/v3/hooks", nil, &hooks); err != nil {
		return err
	}
	active := true
	for _, scope := range []string{"store/customer/*", "store/subscriber/*"} {
		body := wire.WebhookWrite{Scope: &scope, Destination: &dest, IsActive: &active, Headers: map[string]string{SecretHeader: m.secret}}
		i := slices.IndexFunc(hooks.Data, func(h wire.Webhook) bool { return h.Scope == scope && h.Destination == dest })
		var err error
		if i >= 0 {
			err = m.up.Do(ctx, http.MethodPut, "/v3/hooks/"+strconv.Itoa(hooks.Data[i].ID), nil, body, nil)
		} else {
			err = m.up.Do(ctx, http.MethodPost, "/v3/hooks", nil, body, nil)
		}
		if err != nil {
			return err
		}
	}
	m.log.Info("facade: webhooks registered at the upstream", "destination", dest)
	return nil
}

// ServeHTTP receives the upstream's webhooks: the secret header must match
// (compared in constant time); the changed record is queued for a fetch.
func (m *Mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(SecretHeader)), []byte(m.secret)) != 1 {
		m.callbacks.WithLabelValues("refused").Inc()
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var cb wire.WebhookCallback
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&cb); err != nil {
		m.callbacks.WithLabelValues("refused").Inc()
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	var data storage.EventData
	json.Unmarshal(cb.Data, &data)
	switch {
	case strings.HasPrefix(cb.Scope, "store/customer/address/") && data.Address != nil:
		m.Changed([]int{data.Address.CustomerID}, nil)
	case strings.HasPrefix(cb.Scope, "store/customer/") && data.ID > 0:
		m.Changed([]int{data.ID}, nil)
	case strings.HasPrefix(cb.Scope, "store/subscriber/") && data.ID > 0:
		m.Changed(nil, []int{data.ID})
	}
	m.callbacks.WithLabelValues("accepted").Inc()
	w.WriteHeader(http.StatusOK)
}

// Upstream is the client of the upstream store.
func (m *Mirror) Upstream() *upstream.Client { return m.up }

// Refresh fetches customers by id now and writes them (a write's
// read-back); ids the upstream lacks are deleted.
func (m *Mirror) Refresh(ctx context.Context, customerIDs []int) error {
	cs, err := m.fetchCustomers(ctx, customerIDs)
	if err != nil {
		return err
	}
	if err := m.mirrorCustomers(ctx, cs, nil, "write"); err != nil {
		return err
	}
	_, err = m.db.MirrorDeleteCustomers(ctx, missing(customerIDs, cs, func(c wire.Customer) int { return c.ID }))
	return err
}

// Apply writes customers the upstream returned from a write.
func (m *Mirror) Apply(ctx context.Context, cs []wire.Customer) error {
	return m.mirrorCustomers(ctx, cs, nil, "write")
}

// CustomersByEmail reads the upstream's customers with the emails (with
// their relations): how a create whose answer was lost learns whether it
// happened.
func (m *Mirror) CustomersByEmail(ctx context.Context, emails []string) ([]wire.Customer, error) {
	var out []wire.Customer
	for chunk := range slices.Chunk(emails, idBatch) {
		var cs wire.Collection[wire.Customer]
		q := url.Values{"email:in": {strings.Join(chunk, ",")}, "include": {Includes}, "limit": {strconv.Itoa(PageSize)}}
		if err := m.up.Get(ctx, "/v3/customers", q, &cs); err != nil {
			return nil, err
		}
		out = append(out, cs.Data...)
	}
	return out, nil
}

// Written brings customers changed by a write into the mirror before the
// write answers: they are read back with their relations; when that read
// fails, they are queued for the next round and cs (what the write
// returned, when anything) is written meanwhile.
func (m *Mirror) Written(ctx context.Context, ids []int, cs []wire.Customer) {
	if err := m.Refresh(ctx, ids); err == nil {
		return
	} else {
		m.failed("read back a write", err)
	}
	if len(cs) > 0 {
		if err := m.Apply(ctx, cs); err != nil {
			m.failed("write back a write", err)
		}
	}
	m.Changed(ids, nil)
}

// RefreshAttributes rereads the attribute definitions (after a write).
func (m *Mirror) RefreshAttributes(ctx context.Context) error { return m.syncAttributes(ctx) }

// RefreshSettings rereads the store-wide and channel 1 settings.
func (m *Mirror) RefreshSettings(ctx context.Context) error { return m.syncSettings(ctx) }

// ApplySubscribers writes subscribers a write returned.
func (m *Mirror) ApplySubscribers(ctx context.Context, ss []wire.Subscriber) error {
	return m.mirrorSubscribers(ctx, ss, nil, "write")
}

// RefreshGroups rereads the customer groups.
func (m *Mirror) RefreshGroups(ctx context.Context) error { return m.syncGroups(ctx) }

// RefreshChannel rereads one channel's settings.
func (m *Mirror) RefreshChannel(ctx context.Context, channelID int) error {
	var s wire.Single[wire.Settings]
	if err := m.up.Get(ctx, "/v3/customers/settings", nil, &s); err != nil {
		return err
	}
	var ch wire.Single[wire.ChannelSettings]
	if err := m.up.Get(ctx, "/v3/customers/settings/channels/"+strconv.Itoa(channelID), nil, &ch); err != nil {
		return err
	}
	return m.db.MirrorSettings(ctx, s.Data, map[int]wire.ChannelSettings{channelID: ch.Data})
}

// DB is the mirror's store.
func (m *Mirror) DB() *storage.DB { return m.db }
