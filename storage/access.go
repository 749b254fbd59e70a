package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// API token scopes, BigCommerce's OAuth scopes (domain/customers-spec.md §0).
const (
	ScopeRead  = "store_v2_customers_read_only" // every read
	ScopeWrite = "store_v2_customers"           // reads and writes
)

// Scopes lists the known scopes.
var Scopes = []string{ScopeRead, ScopeWrite}

// tokenPrefix marks API tokens, so they are told from customer access
// tokens (JWTs) in an Authorization header.
const tokenPrefix = "cust_"

// IsAPIToken reports whether s has the form of an API token.
func IsAPIToken(s string) bool { return strings.HasPrefix(s, tokenPrefix) }

// APIToken is an admin API token; the token itself is shown once, at
// creation, and only its hash is stored.
type APIToken struct {
	ID          int
	Name        string
	Scopes      []string
	DateCreated time.Time
	LastUsed    *time.Time
	RevokedAt   *time.Time
	// CostBudget and CostRestore are the token's own cost budget and its
	// refill a second; nil takes the server's. A budget of 0 is unlimited.
	CostBudget, CostRestore *int
}

// Can reports whether the token grants scope (the write scope includes
// the read scope).
func (t *APIToken) Can(scope string) bool {
	return slices.Contains(t.Scopes, scope) || (scope == ScopeRead && slices.Contains(t.Scopes, ScopeWrite))
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes an API token with the scopes and returns it with its
// record. It returns EINVALID for an unknown or missing scope.
func (db *DB) CreateToken(ctx context.Context, name string, scopes []string) (string, *APIToken, error) {
	return db.CreateTokenWith(ctx, TokenInput{Name: name, Scopes: scopes})
}

// CreateTokenWith makes the API token in describes and returns it with its
// record. It returns the codes of TokenInput.Validate.
func (db *DB) CreateTokenWith(ctx context.Context, in TokenInput) (string, *APIToken, error) {
	if err := in.Validate(); err != nil {
		return "", nil, err
	}
	name, scopes := in.Name, in.Scopes
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return "", nil, err
	}
	defer tx.Rollback()
	t := &APIToken{Name: name, Scopes: scopes, DateCreated: tx.now, CostBudget: in.CostBudget, CostRestore: in.CostRestore}
	id, err := tx.insert(ctx, `INSERT INTO api_tokens (name, token_hash, scopes, date_created, cost_budget, cost_restore)
		VALUES (?, ?, ?, ?, ?, ?)`, name, hashToken(token), strings.Join(scopes, ","), formatTime(tx.now), in.CostBudget, in.CostRestore)
	if err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	t.ID = int(id)
	return token, t, tx.Commit()
}

const tokenColumns = `id, name, scopes, date_created, last_used, revoked_at, cost_budget, cost_restore`

func scanToken(s rowScanner) (*APIToken, error) {
	var (
		t                 APIToken
		scopes, created   string
		lastUsed, revoked sql.NullString
	)
	if err := s.Scan(&t.ID, &t.Name, &scopes, &created, &lastUsed, &revoked, &t.CostBudget, &t.CostRestore); err != nil {
		return nil, err
	}
	t.Scopes = strings.Split(scopes, ",")
	var err error
	if t.DateCreated, err = parseTime(created); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		s   sql.NullString
		dst **time.Time
	}{{lastUsed, &t.LastUsed}, {revoked, &t.RevokedAt}} {
		if f.s.Valid {
			v, err := parseTime(f.s.String)
			if err != nil {
				return nil, err
			}
			*f.dst = &v
		}
	}
	return &t, nil
}

// ListTokens returns every API token, revoked ones too, by id.
func (db *DB) ListTokens(ctx context.Context) ([]*APIToken, error) {
	return queryAll(ctx, db, db.reader, scanToken, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id`)
}

// RevokeToken revokes an API token for good. It returns ENOTFOUND for an
// unknown or already revoked id.
func (db *DB) RevokeToken(ctx context.Context, id int) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM api_tokens WHERE id = ? AND revoked_at IS NULL`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return Errorf(ENOTFOUND, "There is no active token %d.", id)
	}
	if _, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, formatTime(tx.now), id); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	// The shopper sessions the token made (impersonations) end with it.
	if _, err := tx.exec(ctx, `UPDATE customer_sessions SET revoked_at = ? WHERE impersonated_by = ? AND revoked_at IS NULL`,
		formatTime(tx.now), id); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if err := tx.notify(ctx, notifyCredentials, strconv.Itoa(id)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.forgetToken(id)
	return nil
}

// forgetToken drops the cached token id, revoked.
func (db *DB) forgetToken(id int) {
	db.tokens.forget(func(t APIToken) bool { return t.ID == id })
}

// tokenUseResolution is how stale a token's last-used time may get: it is
// written at most this often, so reads do not become writes.
const tokenUseResolution = time.Hour

// FindToken returns the active API token token is, or ENOTFOUND.
func (db *DB) FindToken(ctx context.Context, token string) (*APIToken, error) {
	hash := hashToken(token)
	if t, ok := db.tokens.get(hash); ok {
		return &t, nil
	}
	gen := db.tokens.generation()
	lookup, err := keyLookup(ctx)
	if err != nil {
		return nil, err
	}
	t, err := queryOne(onPrimary(lookup), db, db.reader, "Unknown or revoked token.", scanToken,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`, hash)
	if err != nil {
		return nil, err
	}
	db.noteTokenUse(t)
	db.tokens.put(hash, *t, gen)
	return t, nil
}

// noteTokenUse records that the token was used, at most once per
// tokenUseResolution, off the request's path and at best effort: a store
// that cannot write (full, read-only) still lets the token read.
func (db *DB) noteTokenUse(t *APIToken) {
	now := db.Now().UTC()
	if t.LastUsed != nil && now.Sub(*t.LastUsed) <= tokenUseResolution {
		return
	}
	if last, ok := db.tokenUses.Load(t.ID); ok && now.Sub(last.(time.Time)) <= tokenUseResolution {
		return
	}
	db.tokenUses.Store(t.ID, now)
	used := formatTime(now) // read here: the clock is the request's, not the goroutine's
	db.background.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		const q = `UPDATE api_tokens SET last_used = ? WHERE id = ?`
		start := time.Now()
		_, err := db.writer.ExecContext(ctx, db.d.statement(q), used, t.ID)
		db.observe(ctx, q, start, err)
	})
}

// Secret returns the named server secret, making size random bytes for it
// on first use.
func (db *DB) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	get := func(q querier) ([]byte, error) {
		vals, err := queryAll(ctx, db, q, func(s rowScanner) ([]byte, error) {
			var b []byte
			return b, s.Scan(&b)
		}, `SELECT value FROM secrets WHERE name = ?`, name)
		if err != nil || len(vals) == 0 {
			return nil, err
		}
		return vals[0], nil
	}
	if v, err := get(db.reader); err != nil || v != nil {
		return v, err
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	v := make([]byte, size)
	if _, err := rand.Read(v); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING`, name, v); err != nil {
		return nil, fmt.Errorf("make secret: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return get(db.writer)
}

// Session is a shopper's signed-in session.
type Session struct {
	ID         string
	CustomerID int
	ChannelID  int
	// CredentialsVersion is the customer's at sign-in; a password change
	// moves it and ends the session.
	CredentialsVersion int
	// ImpersonatedBy is the API token that minted the session, if any.
	ImpersonatedBy *int
	DateCreated    time.Time
	ExpiresAt      time.Time
}

// SessionInput is a session to start.
type SessionInput struct {
	CustomerID, ChannelID int
	TTL                   time.Duration
	// ImpersonatedBy is the API token that asks for the session, if any;
	// App the app whose Customer Login token does. Revoking either ends it.
	ImpersonatedBy, App *int
}

// CreateSession starts a session of the customer on the channel, lasting
// ttl. It returns ENOTFOUND for an unknown customer.
func (db *DB) CreateSession(ctx context.Context, customerID, channelID int, ttl time.Duration, impersonatedBy *int) (*Session, error) {
	return db.StartSession(ctx, SessionInput{CustomerID: customerID, ChannelID: channelID, TTL: ttl, ImpersonatedBy: impersonatedBy})
}

// StartSession starts a session as in. It returns ENOTFOUND for an unknown
// customer.
func (db *DB) StartSession(ctx context.Context, in SessionInput) (*Session, error) {
	customerID, channelID, ttl, impersonatedBy := in.CustomerID, in.ChannelID, in.TTL, in.ImpersonatedBy
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	versions, err := queryTx(ctx, tx, scanInt, `SELECT credentials_version FROM customers WHERE id = ?`, customerID)
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	if len(versions) == 0 {
		return nil, Errorf(ENOTFOUND, "There is no customer %d.", customerID)
	}
	s := &Session{ID: hex.EncodeToString(raw), CustomerID: customerID, ChannelID: channelID, CredentialsVersion: versions[0],
		ImpersonatedBy: impersonatedBy, DateCreated: tx.now, ExpiresAt: tx.now.Add(ttl)}
	if _, err := tx.exec(ctx, `INSERT INTO customer_sessions (id, customer_id, channel_id, impersonated_by, signed_in_by_app,
		date_created, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, s.ID, customerID, channelID, impersonatedBy, in.App,
		formatTime(s.DateCreated), formatTime(s.ExpiresAt)); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	// Sessions that ended long ago are of no more use.
	if _, err := tx.exec(ctx, `DELETE FROM customer_sessions WHERE expires_at < ?`, formatTime(tx.now.Add(-24*time.Hour))); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return s, tx.Commit()
}

// CheckSession reports whether the session is live: not revoked, not
// expired, the customer's password unchanged since it began, and, for an
// impersonation, the API token that made it not revoked.
func (db *DB) CheckSession(ctx context.Context, id string, customerID, credentialsVersion int) (bool, error) {
	ok, err := queryAll(onPrimary(ctx), db, db.reader, func(s rowScanner) (bool, error) {
		var b bool
		return b, s.Scan(&b)
	}, `SELECT s.revoked_at IS NULL AND s.expires_at > ? AND c.credentials_version = ? AND t.revoked_at IS NULL
		FROM customer_sessions s JOIN customers c ON c.id = s.customer_id LEFT JOIN api_tokens t ON t.id = s.impersonated_by
		WHERE s.id = ? AND s.customer_id = ?`,
		formatTime(db.Now()), credentialsVersion, id, customerID)
	if err != nil {
		return false, fmt.Errorf("check session: %w", err)
	}
	return len(ok) == 1 && ok[0], nil
}

// RevokeSession ends a session (logout).
func (db *DB) RevokeSession(ctx context.Context, id string) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `UPDATE customer_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		formatTime(tx.now), id); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return tx.Commit()
}

// LiveTokens returns which of the API tokens with the ids are still
// active (not revoked), for streams that outlive a request.
func (db *DB) LiveTokens(ctx context.Context, ids []int) (map[int]bool, error) {
	live, err := queryAll(onPrimary(ctx), db, db.reader, scanInt,
		`SELECT id FROM api_tokens WHERE `+inList("id")+` AND revoked_at IS NULL`, listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("live tokens: %w", err)
	}
	out := make(map[int]bool, len(live))
	for _, id := range live {
		out[id] = true
	}
	return out, nil
}

// LiveSessions returns which of the sessions with the ids are still live:
// not revoked (logout, a password change or reset, a channel taken away),
// not expired, and not made by an API token since revoked.
func (db *DB) LiveSessions(ctx context.Context, ids []string) (map[string]bool, error) {
	live, err := queryAll(onPrimary(ctx), db, db.reader, func(s rowScanner) (string, error) {
		var id string
		return id, s.Scan(&id)
	}, `SELECT s.id FROM customer_sessions s LEFT JOIN api_tokens t ON t.id = s.impersonated_by
		WHERE `+inList("s.id")+` AND s.revoked_at IS NULL AND s.expires_at > ? AND t.revoked_at IS NULL`,
		listArg(ids), formatTime(db.Now()))
	if err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	out := make(map[string]bool, len(live))
	for _, id := range live {
		out[id] = true
	}
	return out, nil
}

// endSessions revokes the live sessions of a customer; with channels not
// nil, only those on a channel outside them.
func (tx *Tx) endSessions(ctx context.Context, customerID int, channels []int) error {
	q := `UPDATE customer_sessions SET revoked_at = ? WHERE customer_id = ? AND revoked_at IS NULL`
	args := []any{formatTime(tx.now), customerID}
	if channels != nil {
		q += ` AND ` + notInList("channel_id")
		args = append(args, listArg(channels))
	}
	if _, err := tx.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}
