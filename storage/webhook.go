package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Webhook is a registration: events whose scope matches Scope are posted
// to Destination (domain/customers-spec.md §6.3). The signing secret is
// never part of it: it is shown once, by CreateWebhook.
type Webhook struct {
	ID          int
	Scope       string
	Destination string
	IsActive    bool
	Headers     map[string]string
	// DeactivatedReason says why the server turned the webhook off, if it
	// did; empty otherwise.
	DeactivatedReason string
	DateCreated       time.Time
	DateModified      time.Time
	// Format is how its requests look; OwnerTokenID the API token that
	// registered it through REST /v3/hooks, if one did.
	Format       WebhookFormat
	OwnerTokenID *int
}

// EventScopes are the scopes the store announces.
var EventScopes = []string{ScopeCustomerCreated, ScopeCustomerUpdated, ScopeCustomerDeleted,
	ScopeAddressCreated, ScopeAddressUpdated, ScopeAddressDeleted,
	ScopeSubscriberCreated, ScopeSubscriberUpdated, ScopeSubscriberDeleted}

// ScopeMatches reports whether a scope pattern (a scope, or a prefix ending
// in "/*" such as store/customer/*) covers scope.
func ScopeMatches(pattern, scope string) bool {
	if p, ok := strings.CutSuffix(pattern, "/*"); ok {
		return strings.HasPrefix(scope, p+"/")
	}
	return pattern == scope
}

// WebhookInput is a webhook to create.
type WebhookInput struct {
	Scope       string
	Destination string
	// IsActive defaults to true.
	IsActive *bool
	Headers  map[string]string
	// Format defaults to WebhookStandard; OwnerTokenID is set by REST.
	Format       WebhookFormat
	OwnerTokenID *int
}

// WebhookUpdate changes a webhook; nil fields are left alone. Turning a
// webhook back on clears its failure record.
type WebhookUpdate struct {
	ID          int
	Scope       *string
	Destination *string
	IsActive    *bool
	Headers     map[string]string
}

// reservedHeaders are set by the dispatcher, or belong to the connection
// rather than the message (RFC 9110 §7.6.1 hop-by-hop fields), and cannot
// be custom headers.
var reservedHeaders = []string{"Content-Type", "Content-Length", "Content-Encoding", "Host", "Webhook-Id",
	"Webhook-Timestamp", "Webhook-Signature", "User-Agent", "Transfer-Encoding", "Connection", "Keep-Alive",
	"Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer", "Upgrade", "Expect"}

// webhook checks a webhook's fields but its destination (checkDestination
// does, with name lookups).
func (ic *itemChecker) webhook(w *Webhook) {
	matches := false
	for _, s := range EventScopes {
		matches = matches || ScopeMatches(w.Scope, s)
	}
	if !matches {
		ic.fail(EINVALID, "scope", "%q names no event; scopes are %s, or a prefix with /* such as store/customer/*.",
			truncate(w.Scope, 60), strings.Join(EventScopes, ", "))
	}
	if len(w.Destination) > 2048 {
		ic.fail(ETOOLONG, "destination", "A destination has at most 2048 characters.")
	}
	if len(w.Headers) > 20 {
		ic.fail(ETOOMANYITEMS, "headers", "At most 20 custom headers.")
	}
	for _, k := range slices.Sorted(maps.Keys(w.Headers)) {
		v, canon := w.Headers[k], http.CanonicalHeaderKey(k)
		switch {
		case !isToken(k) || len(k) > 100:
			ic.fail(EINVALID, "headers", "%q is not a header name (letters, digits and !#$%%&'*+-.^_`|~, at most 100).",
				truncate(k, 40))
		case containsFold(reservedHeaders, canon):
			ic.fail(EINVALID, "headers", "%s is set by the server or belongs to the connection.", canon)
		case !isFieldValue(v) || len(v) > 4096:
			ic.fail(EINVALID, "headers", "The value of %s is not a header value (no control characters, no leading or trailing spaces, at most 4096 bytes).", canon)
		}
	}
}

// isToken reports whether s is an RFC 9110 token: the characters of a
// header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isFieldValue reports whether s is an RFC 9110 field value: visible
// characters, spaces and tabs inside, none at either end.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return strings.TrimLeft(s, " \t") == s && strings.TrimRight(s, " \t") == s
}

// checkDestination checks a webhook URL against the store's destination
// policy (netguard): https, to public addresses unless private ones are
// allowed.
func (db *DB) checkDestination(ctx context.Context, ic *itemChecker, v string) {
	if err := db.Destinations.CheckURL(ctx, v); err != nil {
		ic.fail(EINVALID, "destination", "The destination %s.", err)
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// newSecret makes a webhook signing secret: whsec_ and 24 random bytes in
// base64, as Standard Webhooks spells them.
func newSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// SecretKey returns the HMAC key of a whsec_ secret.
func SecretKey(secret string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
}

const webhookColumns = `w.id, w.scope, w.destination, w.is_active, w.headers, w.deactivated_reason, w.date_created, w.date_modified,
	w.format, w.owner_token_id`

func scanWebhook(s rowScanner, extra ...any) (*Webhook, error) {
	var (
		w                          Webhook
		headers, created, modified string
	)
	if err := s.Scan(append([]any{&w.ID, &w.Scope, &w.Destination, &w.IsActive, &headers, &w.DeactivatedReason,
		&created, &modified, &w.Format, &w.OwnerTokenID}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(headers), &w.Headers); err != nil {
		return nil, fmt.Errorf("webhook %d headers: %w", w.ID, err)
	}
	return &w, parseTimes(created, &w.DateCreated, modified, &w.DateModified)
}

var webhookList = listDef[*Webhook]{name: "webhooks", from: "webhooks w", columns: webhookColumns, scan: scanWebhook}

// WebhookFilter filters webhooks.
type WebhookFilter struct {
	IDIn     []int
	Scope    *string
	IsActive *bool
	// Destination and OwnerTokenID serve REST /v3/hooks, which lists the
	// calling token's webhooks.
	Destination  *string
	OwnerTokenID *int
}

func (f *WebhookFilter) where() where {
	var w where
	in(&w, "w.id", f.IDIn)
	if f.Scope != nil {
		w.add("w.scope = ?", *f.Scope)
	}
	if f.IsActive != nil {
		w.add("w.is_active = ?", *f.IsActive)
	}
	if f.Destination != nil {
		w.add("w.destination = ?", *f.Destination)
	}
	if f.OwnerTokenID != nil {
		w.add("w.owner_token_id = ?", *f.OwnerTokenID)
	}
	return w
}

// FindWebhooks returns one page of the webhooks that match f, by id.
func (db *DB) FindWebhooks(ctx context.Context, f WebhookFilter, req PageRequest) (*Page[*Webhook], error) {
	return findPage(ctx, db, webhookList, f.where(), idOrder("w.id"), req)
}

// FindWebhooksByIDs returns the webhooks with the ids.
func (db *DB) FindWebhooksByIDs(ctx context.Context, ids []int) (map[int]*Webhook, error) {
	return findByIDs(ctx, db, db.reader, webhookList, "w.id", ids, func(w *Webhook) int { return w.ID })
}

// CreateWebhook registers a webhook and returns it with its signing secret,
// which is not shown again. It returns Errors (INVALID for a scope that
// names no event, a destination that is not https or a loopback http URL,
// or a reserved header).
func (db *DB) CreateWebhook(ctx context.Context, in WebhookInput) (*Webhook, string, error) {
	w := &Webhook{Scope: in.Scope, Destination: in.Destination, IsActive: true, Headers: in.Headers, Format: in.Format,
		OwnerTokenID: in.OwnerTokenID}
	if w.Format == "" {
		w.Format = WebhookStandard
	}
	if in.IsActive != nil {
		w.IsActive = *in.IsActive
	}
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	var c checker
	ic := c.root("input")
	ic.webhook(w)
	if !valid(w.Format, webhookFormats) {
		ic.fail(EINVALID, "format", "Must be standard_webhooks or bigcommerce.")
	}
	db.checkDestination(ctx, ic, w.Destination)
	if c.err() != nil {
		return nil, "", c.err()
	}
	secret, err := newSecret()
	if err != nil {
		return nil, "", fmt.Errorf("create webhook: %w", err)
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	w.DateCreated, w.DateModified = tx.now, tx.now
	headers, _ := json.Marshal(w.Headers)
	id, err := tx.insert(ctx, `INSERT INTO webhooks (scope, destination, is_active, headers, secret, date_created, date_modified,
		format, owner_token_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, w.Scope, w.Destination, w.IsActive, string(headers), secret,
		formatTime(tx.now), formatTime(tx.now), string(w.Format), w.OwnerTokenID)
	if err != nil {
		return nil, "", fmt.Errorf("create webhook: %w", err)
	}
	w.ID = int(id)
	return w, secret, tx.Commit()
}

// UpdateWebhook changes a webhook. It returns Errors: NOT_FOUND for an
// unknown id, and the field codes of CreateWebhook.
func (db *DB) UpdateWebhook(ctx context.Context, u WebhookUpdate) (*Webhook, error) {
	var c checker
	ic := c.root("input")
	// Names are looked up before the write lock is taken.
	if u.Destination != nil {
		db.checkDestination(ctx, ic, *u.Destination)
		if c.err() != nil {
			return nil, c.err()
		}
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	found, err := byID(ctx, tx, webhookList, "w.id", []int{u.ID}, func(w *Webhook) int { return w.ID })
	if err != nil {
		return nil, err
	}
	w := found[u.ID]
	if w == nil {
		ic.fail(ENOTFOUND, "id", "There is no webhook %d.", u.ID)
		return nil, c.err()
	}
	wasActive := w.IsActive
	setString(&w.Scope, u.Scope)
	setString(&w.Destination, u.Destination)
	if u.IsActive != nil {
		w.IsActive = *u.IsActive
	}
	if u.Headers != nil {
		w.Headers = u.Headers
	}
	ic.webhook(w)
	if c.err() != nil {
		return nil, c.err()
	}
	if w.IsActive && !wasActive {
		w.DeactivatedReason = ""
	}
	w.DateModified = tx.now
	headers, _ := json.Marshal(w.Headers)
	if _, err := tx.exec(ctx, `UPDATE webhooks SET scope = ?, destination = ?, is_active = ?, headers = ?,
		deactivated_reason = ?, failing_since = CASE WHEN ? = 1 THEN NULL ELSE failing_since END, date_modified = ?
		WHERE id = ?`, w.Scope, w.Destination, w.IsActive, string(headers), w.DeactivatedReason, w.IsActive && !wasActive,
		formatTime(tx.now), w.ID); err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	return w, tx.Commit()
}

// DeleteWebhooks deletes webhooks with their deliveries and returns the ids
// it deleted.
func (db *DB) DeleteWebhooks(ctx context.Context, ids []int) ([]int, error) {
	return db.deleteByID(ctx, "webhooks", ids, nil)
}

// WebhookDeliveryStatus is where a delivery stands.
type WebhookDeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   WebhookDeliveryStatus = "pending"
	DeliverySucceeded WebhookDeliveryStatus = "succeeded"
	DeliveryDead      WebhookDeliveryStatus = "dead"
)

var deliveryStatuses = []WebhookDeliveryStatus{DeliveryPending, DeliverySucceeded, DeliveryDead}

// MarshalGQL implements graphql.Marshaler.
func (v WebhookDeliveryStatus) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *WebhookDeliveryStatus) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, deliveryStatuses, "WebhookDeliveryStatus")
	return err
}

// WebhookDelivery is one event on its way to one webhook.
type WebhookDelivery struct {
	ID             int
	WebhookID      int
	EventID        int
	Status         WebhookDeliveryStatus
	AttemptCount   int
	NextAttemptAt  *time.Time
	LastAttemptAt  *time.Time
	LastStatusCode *int
	LastDurationMs *int
	LastError      string
	DateCreated    time.Time
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	DeliveryID int
	Number     int
	At         time.Time
	StatusCode *int
	DurationMs int
	Error      string
}

const deliveryColumns = `d.id, d.webhook_id, d.event_id, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,
	d.last_status_code, d.last_duration_ms, d.last_error, d.date_created`

func scanDelivery(s rowScanner, extra ...any) (*WebhookDelivery, error) {
	var (
		d           WebhookDelivery
		next, last  sql.NullString
		created     string
		code, durMs sql.NullInt64
	)
	if err := s.Scan(append([]any{&d.ID, &d.WebhookID, &d.EventID, &d.Status, &d.AttemptCount, &next, &last, &code, &durMs,
		&d.LastError, &created}, extra...)...); err != nil {
		return nil, err
	}
	var err error
	if d.DateCreated, err = parseTime(created); err != nil {
		return nil, err
	}
	if d.NextAttemptAt, err = parseNullTime(next); err != nil {
		return nil, err
	}
	if d.LastAttemptAt, err = parseNullTime(last); err != nil {
		return nil, err
	}
	if code.Valid {
		c := int(code.Int64)
		d.LastStatusCode = &c
	}
	if durMs.Valid {
		ms := int(durMs.Int64)
		d.LastDurationMs = &ms
	}
	return &d, nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	return &t, err
}

var deliveryList = listDef[*WebhookDelivery]{name: "deliveries", from: "webhook_deliveries d", columns: deliveryColumns, scan: scanDelivery}

// WebhookDeliveryFilter filters deliveries.
type WebhookDeliveryFilter struct {
	IDIn        []int
	WebhookIDIn []int
	EventIDIn   []int
	Status      *WebhookDeliveryStatus
}

func (f *WebhookDeliveryFilter) where() where {
	var w where
	in(&w, "d.id", f.IDIn)
	in(&w, "d.webhook_id", f.WebhookIDIn)
	in(&w, "d.event_id", f.EventIDIn)
	if f.Status != nil {
		w.add("d.status = ?", string(*f.Status))
	}
	return w
}

// FindDeliveries returns one page of the deliveries that match f, newest
// first.
func (db *DB) FindDeliveries(ctx context.Context, f WebhookDeliveryFilter, req PageRequest) (*Page[*WebhookDelivery], error) {
	return findPage(ctx, db, deliveryList, f.where(), ordering{name: "id:desc", keys: []sortKey{{col: "d.id"}}, desc: true}, req)
}

// FindAttemptsByDeliveryIDs returns the attempts of each delivery, in order.
func (db *DB) FindAttemptsByDeliveryIDs(ctx context.Context, ids []int) (map[int][]*WebhookAttempt, error) {
	all, err := queryAll(ctx, db, db.reader, func(s rowScanner) (*WebhookAttempt, error) {
		var (
			a    WebhookAttempt
			at   string
			code sql.NullInt64
		)
		if err := s.Scan(&a.DeliveryID, &a.Number, &at, &code, &a.DurationMs, &a.Error); err != nil {
			return nil, err
		}
		if code.Valid {
			c := int(code.Int64)
			a.StatusCode = &c
		}
		var err error
		a.At, err = parseTime(at)
		return &a, err
	}, `SELECT delivery_id, number, at, status_code, duration_ms, error FROM webhook_attempts
		WHERE `+inList("delivery_id")+` ORDER BY delivery_id, number`, listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("find attempts: %w", err)
	}
	out := map[int][]*WebhookAttempt{}
	for _, a := range all {
		out[a.DeliveryID] = append(out[a.DeliveryID], a)
	}
	return out, nil
}

// FindEventsByIDs returns the outbox events with the ids.
func (db *DB) FindEventsByIDs(ctx context.Context, ids []int) (map[int]*Event, error) {
	events, err := queryAll(ctx, db, db.reader, scanEvent,
		`SELECT id, scope, data, hash, created_at FROM events WHERE `+inList("id"), listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	out := make(map[int]*Event, len(events))
	for _, e := range events {
		out[int(e.ID)] = e
	}
	return out, nil
}

// RetryDelivery makes a delivery due now, whatever its status: the
// dispatcher sends it again. It returns Errors: NOT_FOUND for an unknown id,
// INVALID when its webhook is inactive.
func (db *DB) RetryDelivery(ctx context.Context, id int) (*WebhookDelivery, error) {
	var c checker
	ic := c.root("")
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	active, err := queryTx(ctx, tx, func(s rowScanner) (bool, error) {
		var b bool
		return b, s.Scan(&b)
	}, `SELECT w.is_active FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	switch {
	case len(active) == 0:
		ic.fail(ENOTFOUND, "id", "There is no delivery %d.", id)
	case !active[0]:
		ic.fail(EINVALID, "id", "The delivery's webhook is inactive; turn it on first.")
	}
	if c.err() != nil {
		return nil, c.err()
	}
	if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ? WHERE id = ?`,
		formatTime(tx.now), id); err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	found, err := byID(ctx, tx, deliveryList, "d.id", []int{id}, func(d *WebhookDelivery) int { return d.ID })
	if err != nil {
		return nil, err
	}
	tx.events = true // the delivery is due: wake the dispatchers
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return found[id], nil
}

// FanOut turns up to limit outbox events, past the webhooks' cursor, into
// deliveries for the active webhooks whose scope matches, and moves the
// cursor, in one transaction: every event is fanned out exactly once. It
// returns how many events it took.
func (db *DB) FanOut(ctx context.Context, limit int) (int, error) {
	// Most rounds find nothing new: ask the reader before taking the lock.
	pending, err := queryAll(ctx, db, db.reader, scanInt,
		`SELECT CASE WHEN EXISTS (SELECT 1 FROM events WHERE id > (SELECT event_id FROM outbox_cursor WHERE name = 'webhooks')) THEN 1 ELSE 0 END`)
	if err != nil {
		return 0, fmt.Errorf("fan out: %w", err)
	}
	if len(pending) == 1 && pending[0] == 0 {
		return 0, nil
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	cursor, err := tx.count(ctx, `SELECT event_id FROM outbox_cursor WHERE name = 'webhooks'`)
	if err != nil {
		return 0, err
	}
	events, err := queryTx(ctx, tx, scanEvent, `SELECT id, scope, data, hash, created_at FROM events WHERE id > ? ORDER BY id LIMIT ?`,
		cursor, limit)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	hooks, err := queryTx(ctx, tx, webhookList.scanRow, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.is_active = 1`)
	if err != nil {
		return 0, err
	}
	for _, e := range events {
		for _, h := range hooks {
			if !ScopeMatches(h.Scope, e.Scope) {
				continue
			}
			if _, err := tx.exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, next_attempt_at, date_created)
				VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, h.ID, e.ID, formatTime(tx.now), formatTime(tx.now)); err != nil {
				return 0, fmt.Errorf("fan out: %w", err)
			}
		}
	}
	if _, err := tx.exec(ctx, `UPDATE outbox_cursor SET event_id = ? WHERE name = 'webhooks'`, events[len(events)-1].ID); err != nil {
		return 0, fmt.Errorf("fan out: %w", err)
	}
	return len(events), tx.Commit()
}

// DueDelivery is a claimed delivery with what sending it takes.
type DueDelivery struct {
	Delivery *WebhookDelivery
	Webhook  *Webhook
	Secret   string
	Event    *Event
}

// ClaimDue claims up to limit pending deliveries that are due, at most
// perWebhook in flight per webhook counting the inFlight ones: each is
// leased until now+lease, so a crash mid-attempt leads to another attempt
// (at least once). Each active webhook's earliest due deliveries come from
// the pending-deliveries index, a few rows each, whatever the backlog; the
// webhooks take turns being first, so a busy one cannot take every slot.
//
// On PostgreSQL, where several processes (replicas) claim from one
// database, a claim does not take the store's write lock: it locks the
// rows it takes (FOR UPDATE SKIP LOCKED), so concurrent claims pass one
// another's rows by, and a row leased by a committed claim no longer
// matches `next_attempt_at <= now`. Each attempt is thus claimed by one
// process; one that dies holding a lease loses it when the lease ends.
func (db *DB) ClaimDue(ctx context.Context, limit int, lease time.Duration, perWebhook int, inFlight map[int]int) ([]*DueDelivery, error) {
	tx, err := db.beginClaim(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	active, err := queryTx(ctx, tx, scanInt, `SELECT id FROM webhooks WHERE is_active = 1 ORDER BY id`)
	if err != nil || len(active) == 0 {
		return nil, err
	}
	turn := int(db.claimTurn.Add(1) % uint64(len(active)))
	active = append(active[turn:], active[:turn]...)
	var ids []int
	for _, hook := range active {
		room := min(perWebhook-inFlight[hook], limit-len(ids))
		if room <= 0 {
			continue
		}
		due, err := queryTx(ctx, tx, scanInt, `SELECT id FROM webhook_deliveries
			WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+db.skipLocked(),
			hook, formatTime(tx.now), room)
		if err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		ids = append(ids, due...)
		if len(ids) >= limit {
			break
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE `+inList("id"),
		formatTime(tx.now.Add(lease)), listArg(ids)); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	type row struct {
		d      *WebhookDelivery
		secret string
		e      Event
		data   string
		at     int64
	}
	rows, err := queryTx(ctx, tx, func(s rowScanner) (row, error) {
		var r row
		var err error
		r.d, err = scanDelivery(s, &r.secret, &r.e.ID, &r.e.Scope, &r.data, &r.e.Hash, &r.at)
		return r, err
	}, `SELECT `+deliveryColumns+`, w.secret, e.id, e.scope, e.data, e.hash, e.created_at
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
		WHERE `+inList("d.id")+` ORDER BY d.webhook_id, d.id`, listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	hooks, err := byID(ctx, tx, webhookList, "w.id", webhookIDs(rows, func(r row) int { return r.d.WebhookID }),
		func(w *Webhook) int { return w.ID })
	if err != nil {
		return nil, err
	}
	out := make([]*DueDelivery, len(rows))
	for i, r := range rows {
		e := r.e
		e.Data, e.CreatedAt = json.RawMessage(r.data), time.Unix(r.at, 0).UTC()
		out[i] = &DueDelivery{Delivery: r.d, Webhook: hooks[r.d.WebhookID], Secret: r.secret, Event: &e}
	}
	return out, tx.Commit()
}

func webhookIDs[T any](rows []T, id func(T) int) []int {
	seen := map[int]bool{}
	var out []int
	for _, r := range rows {
		if i := id(r); !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

// AttemptResult is the outcome of one try to send a delivery.
type AttemptResult struct {
	At         time.Time
	StatusCode *int
	Duration   time.Duration
	Err        string
	OK         bool
	// Retry is when to try again after a failure.
	Retry time.Time
	// GiveUp turns the webhook off after this failure, whatever
	// deactivateAfter says: its retry schedule is spent (BigCommerce's
	// format).
	GiveUp bool
}

// ReleaseDeliveries ends the lease of claimed deliveries that were not
// sent (the dispatcher is stopping): they are due at once.
func (db *DB) ReleaseDeliveries(ctx context.Context, ids []int) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?
		WHERE `+inList("id")+` AND status = 'pending'`, formatTime(tx.now), listArg(ids)); err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	return tx.Commit()
}

// Attempt is one try of a claimed delivery and its outcome, to record.
type Attempt struct {
	Delivery *WebhookDelivery
	Result   AttemptResult
}

// RecordAttempts records attempts of deliveries, in one transaction (the
// dispatcher groups what finished meanwhile, so a draining backlog takes
// the write lock once for many). Success settles a delivery and clears
// its webhook's failures. Failure schedules the retry, unless the webhook
// has been failing for longer than deactivateAfter: then the webhook is
// turned off and its pending deliveries are dead.
func (db *DB) RecordAttempts(ctx context.Context, attempts []Attempt, deactivateAfter time.Duration) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, a := range attempts {
		if err := tx.recordAttempt(ctx, a.Delivery, a.Result, deactivateAfter); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (tx *Tx) recordAttempt(ctx context.Context, d *WebhookDelivery, r AttemptResult, deactivateAfter time.Duration) error {
	number := d.AttemptCount + 1
	ms := int(r.Duration / time.Millisecond)
	if _, err := tx.exec(ctx, `INSERT INTO webhook_attempts (delivery_id, number, at, status_code, duration_ms, error)
		VALUES (?, ?, ?, ?, ?, ?)`, d.ID, number, formatTime(r.At), r.StatusCode, ms, r.Err); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	status, next := string(DeliveryPending), any(formatTime(r.Retry))
	if r.OK {
		status, next = string(DeliverySucceeded), nil
	}
	// A delivery that is no longer pending (its webhook was deactivated
	// meanwhile) keeps its status.
	if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET status = CASE WHEN status = 'pending' THEN ? ELSE status END,
		attempts = ?, next_attempt_at = CASE WHEN status = 'pending' THEN ? ELSE NULL END, last_attempt_at = ?,
		last_status_code = ?, last_duration_ms = ?, last_error = ? WHERE id = ?`,
		status, number, next, formatTime(r.At), r.StatusCode, ms, r.Err, d.ID); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	if r.OK {
		if _, err := tx.exec(ctx, `UPDATE webhooks SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`,
			d.WebhookID); err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		return nil
	}
	if _, err := tx.exec(ctx, `UPDATE webhooks SET failing_since = COALESCE(failing_since, ?) WHERE id = ?`,
		formatTime(r.At), d.WebhookID); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	since, err := queryTx(ctx, tx, func(s rowScanner) (string, error) {
		var v string
		return v, s.Scan(&v)
	}, `SELECT failing_since FROM webhooks WHERE id = ? AND is_active = 1`, d.WebhookID)
	if err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	if len(since) == 1 {
		t, err := parseTime(since[0])
		if err != nil {
			return err
		}
		if r.GiveUp || r.At.Sub(t) >= deactivateAfter {
			reason := fmt.Sprintf("Deliveries failed for %s (since %s); turn the webhook on again once the destination answers.",
				deactivateAfter, formatTime(t))
			if r.GiveUp {
				reason = fmt.Sprintf("Deliveries failed since %s, through every retry of BigCommerce's schedule; turn the webhook on again once the destination answers.",
					formatTime(t))
			}
			if _, err := tx.exec(ctx, `UPDATE webhooks SET is_active = 0, deactivated_reason = ?, date_modified = ? WHERE id = ?`,
				reason, formatTime(tx.now), d.WebhookID); err != nil {
				return fmt.Errorf("deactivate webhook: %w", err)
			}
			if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL
				WHERE webhook_id = ? AND status = 'pending'`, d.WebhookID); err != nil {
				return fmt.Errorf("deactivate webhook: %w", err)
			}
		}
	}
	return nil
}

// NextDue returns when the earliest pending delivery of an active webhook
// is due, or nil when none is pending.
func (db *DB) NextDue(ctx context.Context) (*time.Time, error) {
	next, err := queryAll(ctx, db, db.reader, func(s rowScanner) (sql.NullString, error) {
		var v sql.NullString
		return v, s.Scan(&v)
	}, `SELECT MIN((SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending'
		ORDER BY d.next_attempt_at LIMIT 1)) FROM webhooks w WHERE w.is_active = 1`)
	if err != nil || len(next) == 0 {
		return nil, err
	}
	return parseNullTime(next[0])
}

// PendingDeliveries counts the deliveries waiting to be sent (for the
// queue depth metric).
func (db *DB) PendingDeliveries(ctx context.Context) (int, error) {
	n, err := queryAll(ctx, db, db.reader, scanInt, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`)
	if err != nil || len(n) == 0 {
		return 0, err
	}
	return n[0], nil
}
