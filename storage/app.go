package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// App is a registered app: what signs shoppers in through the Customer
// Login (SSO) JWT and learns who is signed in through the Current Customer
// JWT, both HS256 under its client secret, and what REST clients name in
// X-Auth-Client. Secret is set only by CreateApp and FindApp: it is shown
// once to the operator and otherwise only used to sign and verify.
type App struct {
	ID          int
	ClientID    string
	Name        string
	Scopes      []string
	DateCreated time.Time
	RevokedAt   *time.Time
	Secret      string
}

// Can reports whether the app may use scope (the write scope includes the
// read scope).
func (a *App) Can(scope string) bool {
	return slices.Contains(a.Scopes, scope) || (scope == ScopeRead && slices.Contains(a.Scopes, ScopeWrite))
}

// AppInput is an app to register.
type AppInput struct {
	Name string
	// Scopes are the API token scopes the app may use; none means both.
	Scopes []string
}

// Validate checks an app's fields; it needs no store.
func (in *AppInput) Validate() error {
	switch {
	case strings.TrimSpace(in.Name) == "":
		return FieldErrorf(EREQUIRED, "name", "Give the app a name.")
	case len(in.Name) > 255:
		return FieldErrorf(ETOOLONG, "name", "A name has at most 255 characters.")
	}
	for _, s := range in.Scopes {
		if !slices.Contains(Scopes, s) {
			return FieldErrorf(EINVALID, "scopes", "%q is not a scope; the scopes are %s.", truncate(s, 60), strings.Join(Scopes, ", "))
		}
	}
	return nil
}

// clientIDEncoding spells client ids as BigCommerce's look: lower-case
// letters and digits.
var clientIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// CreateApp registers an app and returns it with its client id and
// secret, which is not shown again. It returns EREQUIRED, ETOOLONG or
// EINVALID for a bad input.
func (db *DB) CreateApp(ctx context.Context, in AppInput) (*App, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = Scopes
	}
	id, secret := make([]byte, 20), make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("create app: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("create app: %w", err)
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a := &App{ClientID: clientIDEncoding.EncodeToString(id), Secret: hex.EncodeToString(secret), Name: in.Name,
		Scopes: scopes, DateCreated: tx.now}
	n, err := tx.insert(ctx, `INSERT INTO apps (client_id, client_secret, name, scopes, date_created) VALUES (?, ?, ?, ?, ?)`,
		a.ClientID, a.Secret, a.Name, strings.Join(scopes, ","), formatTime(tx.now))
	if err != nil {
		return nil, fmt.Errorf("create app: %w", err)
	}
	a.ID = int(n)
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	// A client id looked up before, while unknown, now names this app.
	db.apps.clear()
	return a, nil
}

const appColumns = `id, client_id, name, scopes, date_created, revoked_at`

func scanApp(s rowScanner, extra ...any) (*App, error) {
	var (
		a               App
		scopes, created string
		revoked         sql.NullString
	)
	if err := s.Scan(append([]any{&a.ID, &a.ClientID, &a.Name, &scopes, &created, &revoked}, extra...)...); err != nil {
		return nil, err
	}
	a.Scopes = strings.Split(scopes, ",")
	var err error
	if a.DateCreated, err = parseTime(created); err != nil {
		return nil, err
	}
	a.RevokedAt, err = parseNullTime(revoked)
	return &a, err
}

// ListApps returns every app, revoked ones too, by id, without secrets.
func (db *DB) ListApps(ctx context.Context) ([]*App, error) {
	return queryAll(ctx, db, db.reader, func(s rowScanner) (*App, error) { return scanApp(s) },
		`SELECT `+appColumns+` FROM apps ORDER BY id`)
}

// FindApp returns the active app with the client id, secret included, or
// ENOTFOUND for an unknown or revoked one.
func (db *DB) FindApp(ctx context.Context, clientID string) (*App, error) {
	return queryOne(ctx, db, db.reader, "Unknown or revoked app.", func(s rowScanner) (*App, error) {
		var secret string
		a, err := scanApp(s, &secret)
		if a != nil {
			a.Secret = secret
		}
		return a, err
	}, `SELECT `+appColumns+`, client_secret FROM apps WHERE client_id = ? AND revoked_at IS NULL`, clientID)
}

// RevokeApp revokes an app for good: its tokens are refused from then on,
// and the sessions it signed in end. It returns ENOTFOUND for an unknown
// or already revoked id.
func (db *DB) RevokeApp(ctx context.Context, id int) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM apps WHERE id = ? AND revoked_at IS NULL`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return Errorf(ENOTFOUND, "There is no active app %d.", id)
	}
	if _, err := tx.exec(ctx, `UPDATE apps SET revoked_at = ? WHERE id = ?`, formatTime(tx.now), id); err != nil {
		return fmt.Errorf("revoke app: %w", err)
	}
	if _, err := tx.exec(ctx, `UPDATE customer_sessions SET revoked_at = ? WHERE signed_in_by_app = ? AND revoked_at IS NULL`,
		formatTime(tx.now), id); err != nil {
		return fmt.Errorf("revoke app: %w", err)
	}
	if err := tx.notify(ctx, notifyCredentials, "*"); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.apps.clear()
	return nil
}

// UseLoginToken records that an app's Customer Login token with the jti
// was used, until expires (after which it would be refused for its age
// anyway). It returns ECONFLICT when the jti was used before: a replay.
func (db *DB) UseLoginToken(ctx context.Context, appID int, jti string, expires time.Time) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `DELETE FROM app_login_tokens WHERE expires_at < ?`, formatTime(tx.now)); err != nil {
		return fmt.Errorf("use login token: %w", err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO app_login_tokens (app_id, jti, expires_at) VALUES (?, ?, ?)`,
		appID, jti, formatTime(expires)); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return Errorf(ECONFLICT, "The token was used before.")
		}
		return fmt.Errorf("use login token: %w", err)
	}
	return tx.Commit()
}

// ErrAppRevoked is TokenThrough's answer for a client id whose app was
// revoked.
var ErrAppRevoked = Errorf(ENOTFOUND, "X-Auth-Client names a revoked app.")

// TokenThrough returns t as used through the app a request names in
// X-Auth-Client. BigCommerce's SDKs send their own API account's client id
// with every request, and narrowing can only take scopes away, so a client
// id that names no app here leaves t as it is; a registered app's narrows t
// to the scopes both allow; a revoked app's is refused with ErrAppRevoked,
// so that revoking an app stops the requests made through it.
func (db *DB) TokenThrough(ctx context.Context, t *APIToken, clientID string) (*APIToken, error) {
	clientID = strings.TrimSpace(clientID)
	if clientID == "" {
		return t, nil
	}
	app, ok := db.apps.get(clientID)
	if !ok {
		gen := db.apps.generation()
		lookup, err := keyLookup(ctx)
		if err != nil {
			return nil, err
		}
		app, err = queryOne(onPrimary(lookup), db, db.reader, "Unknown app.", func(s rowScanner) (*App, error) { return scanApp(s) },
			`SELECT `+appColumns+` FROM apps WHERE client_id = ?`, clientID)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			app = nil
		case err != nil:
			return nil, err
		}
		db.apps.put(clientID, app, gen)
	}
	switch {
	case app == nil:
		return t, nil
	case app.RevokedAt != nil:
		return nil, ErrAppRevoked
	}
	return t.Through(app), nil
}

// Through returns the token as used through app (a request that names the
// app in X-Auth-Client): its scopes narrowed to those the app may use.
func (t *APIToken) Through(app *App) *APIToken {
	narrowed := *t
	narrowed.Scopes = nil
	for _, s := range Scopes {
		if t.Can(s) && app.Can(s) {
			narrowed.Scopes = append(narrowed.Scopes, s)
		}
	}
	return &narrowed
}
