package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/golang-jwt/jwt/v5"
	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Access codes of top-level errors (../API.md, Errors outside payloads).
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
)

// Caller is who sent an operation: an admin API token, a signed-in shopper,
// nobody, or credentials that were refused (Invalid says why).
type Caller struct {
	Token   *storage.APIToken
	Shopper *ShopperSession
	Invalid string
	// Client is the client's IP address.
	Client string
}

// ShopperSession is a verified customer access token.
type ShopperSession struct {
	CustomerID         int
	SessionID          string
	ChannelID          int
	CredentialsVersion int
	ImpersonatedBy     *int
}

// key names the caller for budgets: the token, the shopper, or the client.
func (c *Caller) key() string {
	switch {
	case c.Token != nil:
		return "token:" + strconv.Itoa(c.Token.ID)
	case c.Shopper != nil:
		return "customer:" + strconv.Itoa(c.Shopper.CustomerID)
	}
	return "client:" + c.Client
}

type callerKey struct{}

// callerOf returns the operation's caller; outside an operation, an
// anonymous one.
func callerOf(ctx context.Context) *Caller {
	if c, ok := ctx.Value(callerKey{}).(*Caller); ok {
		return c
	}
	return &Caller{Client: clientAddress(ctx)}
}

// CallerOf returns who sent the operation running in ctx (for telemetry).
func CallerOf(ctx context.Context) *Caller { return callerOf(ctx) }

// auth identifies callers and signs shopper tokens.
type auth struct {
	db  authStore
	log *slog.Logger
	ttl time.Duration
	// storeHash is the store_hash of Customer Login and Current Customer
	// tokens (sso.go).
	storeHash string

	secret func() ([]byte, error)
}

// Claims of a customer access token, besides the registered ones: the
// channel signed in on, the credentials version (a password change ends the
// token), and the impersonating API token, if any.
type shopperClaims struct {
	jwt.RegisteredClaims
	ChannelID          int  `json:"channel_id"`
	CredentialsVersion int  `json:"cv"`
	ImpersonatedBy     *int `json:"imp,omitempty"`
}

const (
	tokenIssuer   = "customers-graphql"
	tokenAudience = "storefront"
)

// authStore is what authentication reads and writes: API tokens, shopper
// sessions, the signing secret, and the store's clock.
type authStore interface {
	CheckSession(ctx context.Context, id string, customerID, credentialsVersion int) (bool, error)
	FindToken(ctx context.Context, token string) (*storage.APIToken, error)
	Secret(ctx context.Context, name string, size int) ([]byte, error)
	StartSession(ctx context.Context, in storage.SessionInput) (*storage.Session, error)
	TokenThrough(ctx context.Context, t *storage.APIToken, clientID string) (*storage.APIToken, error)
	Clock() time.Time
	ssoStore // sso.go's methods of auth
}

func newAuth(db Store, log *slog.Logger, ttl time.Duration, storeHash string) *auth {
	if storeHash == "" {
		storeHash = "customers"
	}
	return &auth{db: db, log: log, ttl: ttl, storeHash: storeHash, secret: sync.OnceValues(func() ([]byte, error) {
		return db.Secret(context.Background(), "shopper-token-hs256", 32)
	})}
}

// identify resolves the credentials of a request's headers: an API token
// in X-Auth-Token or Authorization: Bearer, or a customer access token in
// Authorization: Bearer or, for a browser signed in through a Customer
// Login token, the session cookie.
func (a *auth) identify(ctx context.Context, h http.Header, client string) (*Caller, error) {
	c := &Caller{Client: client}
	token := strings.TrimSpace(h.Get("X-Auth-Token"))
	if token == "" {
		if v, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
			token = strings.TrimSpace(v)
		}
	}
	if token == "" && h.Get("Cookie") != "" {
		if cookie, err := (&http.Request{Header: h}).Cookie(SessionCookie); err == nil {
			token = cookie.Value
		}
	}
	switch {
	case token == "":
		return c, nil
	case storage.IsAPIToken(token):
		t, err := a.db.FindToken(ctx, token)
		if storage.ErrorCode(err) == storage.ENOTFOUND {
			c.Invalid = "The API token is unknown or revoked."
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		c.Token = t
		// A client that names a registered app (X-Auth-Client, as
		// BigCommerce's clients do) gets the scopes both the token and
		// the app allow.
		c.Token, err = a.db.TokenThrough(ctx, t, h.Get("X-Auth-Client"))
		switch {
		case errors.Is(err, storage.ErrAppRevoked):
			c.Token, c.Invalid = nil, "X-Auth-Client names a revoked app."
		case err != nil:
			return nil, err
		}
	default:
		s, reason, err := a.verify(ctx, token)
		if err != nil {
			return nil, err
		}
		c.Shopper, c.Invalid = s, reason
	}
	return c, nil
}

// verify checks a customer access token: signature (HS256 only), issuer,
// audience, expiry, and that its session is live.
func (a *auth) verify(ctx context.Context, token string) (*ShopperSession, string, error) {
	key, err := a.secret()
	if err != nil {
		return nil, "", err
	}
	var claims shopperClaims
	_, err = jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(tokenIssuer),
		jwt.WithAudience(tokenAudience), jwt.WithExpirationRequired(), jwt.WithTimeFunc(a.db.Clock), jwt.WithLeeway(5*time.Second))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, "The customer access token has expired; sign in again.", nil
	case err != nil:
		return nil, "The access token is not valid.", nil
	}
	id, err := strconv.Atoi(claims.Subject)
	if err != nil {
		return nil, "The access token is not valid.", nil
	}
	live, err := a.db.CheckSession(ctx, claims.ID, id, claims.CredentialsVersion)
	if err != nil {
		return nil, "", err
	}
	if !live {
		return nil, "The session has ended (signed out, or the password changed); sign in again.", nil
	}
	return &ShopperSession{CustomerID: id, SessionID: claims.ID, ChannelID: claims.ChannelID,
		CredentialsVersion: claims.CredentialsVersion, ImpersonatedBy: claims.ImpersonatedBy}, "", nil
}

// signIn starts a session as in (its TTL is the auth's) and returns its
// access token.
func (a *auth) signIn(ctx context.Context, in storage.SessionInput) (string, time.Time, error) {
	key, err := a.secret()
	if err != nil {
		return "", time.Time{}, err
	}
	in.TTL = a.ttl
	s, err := a.db.StartSession(ctx, in)
	if err != nil {
		return "", time.Time{}, err
	}
	customerID, channelID, impersonatedBy := in.CustomerID, in.ChannelID, in.ImpersonatedBy
	claims := shopperClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: tokenIssuer, Subject: strconv.Itoa(customerID), Audience: jwt.ClaimStrings{tokenAudience},
			IssuedAt: jwt.NewNumericDate(s.DateCreated), ExpiresAt: jwt.NewNumericDate(s.ExpiresAt), ID: s.ID,
		},
		ChannelID: channelID, CredentialsVersion: s.CredentialsVersion, ImpersonatedBy: impersonatedBy,
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, s.ExpiresAt, nil
}

// access is the @access directive: the field runs only for the kinds of
// callers it allows.
func (a *auth) access(ctx context.Context, _ any, next graphql.Resolver, allow []model.Access) (any, error) {
	c := callerOf(ctx)
	if mayUse(c, allow) {
		return next(ctx)
	}
	return nil, denied(c, allow)
}

// denied explains why a caller may not use a field.
func denied(c *Caller, allow []model.Access) error {
	switch {
	case c.Invalid != "":
		return accessError(CodeUnauthenticated, c.Invalid)
	case c.Token == nil && c.Shopper == nil:
		return accessError(CodeUnauthenticated, "Send an API token (X-Auth-Token) or a customer access token (Authorization: Bearer).")
	}
	needs := make([]string, len(allow))
	for i, k := range allow {
		needs[i] = map[model.Access]string{
			model.AccessShopper: "a signed-in shopper",
			model.AccessRead:    "an API token with the " + storage.ScopeRead + " or " + storage.ScopeWrite + " scope",
			model.AccessWrite:   "an API token with the " + storage.ScopeWrite + " scope",
		}[k]
	}
	return accessError(CodeForbidden, "This field needs "+strings.Join(needs, " or ")+".")
}

func accessError(code, msg string) error { return codedError(code, msg) }

// codedError is a top-level error with its extensions.code.
func codedError(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// shopper returns the signed-in shopper; the @access directive has made
// sure there is one.
func shopper(ctx context.Context) *ShopperSession {
	if s := callerOf(ctx).Shopper; s != nil {
		return s
	}
	return &ShopperSession{}
}
