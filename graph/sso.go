package graph

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/storefront/customers/storage"
)

// Storefront sign-in the BigCommerce way (domain/customers-spec.md §4.11).
// A registered app (storage.App) signs a Customer Login token, an HS256
// JWT under its client secret, and sends the shopper to
// /login/token/{jwt}: the shopper gets a session exactly as `login` gives
// one. A storefront then asks /customer/current.jwt?app_client_id=... who
// is signed in, and gets a JWT signed under that app's secret.

// Customer Login token rules: spec §9.46 leaves the lifetime and skew open.
const (
	// LoginTokenMaxAge is how old (by iat) a Customer Login token may be.
	LoginTokenMaxAge = 5 * time.Minute
	// loginTokenLeeway allows for clocks that disagree a little.
	loginTokenLeeway = 30 * time.Second
	// defaultRedirect is where a browser goes without redirect_to.
	defaultRedirect = "/account.php"
	// currentCustomerTTL is the lifetime of a Current Customer token.
	currentCustomerTTL = 15 * time.Minute
	// SessionCookie carries a browser's customer access token.
	SessionCookie = "customer_token"
)

// loginClaims are a Customer Login token's claims.
type loginClaims struct {
	jwt.RegisteredClaims
	Operation  string `json:"operation"`
	StoreHash  string `json:"store_hash"`
	CustomerID *int   `json:"customer_id"`
	RedirectTo string `json:"redirect_to"`
	RequestIP  string `json:"request_ip"`
	ChannelID  *int   `json:"channel_id"`
}

// loginRefusal is why a Customer Login token was refused: a bad token
// (401) or a good one that may not sign in (403).
type loginRefusal struct {
	status int
	reason string // a word for logs and clients: "signature", "replay"...
	msg    string
}

func (r *loginRefusal) Error() string { return r.msg }

func badToken(reason, msg string) *loginRefusal {
	return &loginRefusal{status: http.StatusUnauthorized, reason: reason, msg: msg}
}

func notAllowed(reason, msg string) *loginRefusal {
	return &loginRefusal{status: http.StatusForbidden, reason: reason, msg: msg}
}

// customerLogin is a verified Customer Login token.
type customerLogin struct {
	app        *storage.App
	customerID int
	channelID  int
	redirectTo string
}

// verifyLogin checks a Customer Login token for a client at address
// client: HS256 under a live app's secret, operation customer_login, this
// store, recent (iat), a jti never used before, a relative redirect, the
// caller's address when request_ip is given, and a customer that exists
// and may use the channel. Only a token that passes everything uses up its
// jti. err is a *loginRefusal or an internal error.
func (a *auth) verifyLogin(ctx context.Context, raw, client string) (*customerLogin, error) {
	var claims loginClaims
	var app *storage.App
	tok, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		iss, _ := t.Claims.GetIssuer()
		found, err := a.db.FindApp(ctx, iss)
		if err != nil {
			return nil, err
		}
		app = found
		return []byte(found.Secret), nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuedAt(), jwt.WithTimeFunc(a.db.Clock),
		jwt.WithLeeway(loginTokenLeeway))
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, badToken("malformed", "The token is not a JWT.")
	case tok != nil && (tok.Method == nil || tok.Method.Alg() != jwt.SigningMethodHS256.Alg()):
		return nil, badToken("alg", "The token must be signed with HS256.")
	case errors.Is(err, jwt.ErrTokenUnverifiable) && storage.ErrorCode(err) == storage.ENOTFOUND:
		return nil, badToken("app", "The token's issuer (iss) is not the client id of a registered, active app.")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, err // the store failed to look the app up
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, badToken("signature", "The token's signature does not verify with the app's client secret.")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, badToken("iat", "The token is issued in the future (iat).")
	default:
		return nil, badToken("malformed", "The token's claims are not those of a Customer Login token.")
	}
	now := a.db.Clock()
	switch {
	case claims.Operation != "customer_login":
		return nil, badToken("operation", "The token's operation must be customer_login.")
	case claims.IssuedAt == nil:
		return nil, badToken("iat", "The token has no issue time (iat).")
	case now.Sub(claims.IssuedAt.Time) > LoginTokenMaxAge+loginTokenLeeway:
		return nil, badToken("expired", "The token is older than "+LoginTokenMaxAge.String()+" (iat): ask the app for a new one.")
	case claims.ID == "" || len(claims.ID) > 255:
		return nil, badToken("jti", "The token needs a unique id (jti) of at most 255 characters.")
	case claims.CustomerID == nil:
		return nil, badToken("customer_id", "The token names no customer (customer_id).")
	case !relativeRedirect(claims.RedirectTo):
		return nil, badToken("redirect_to", "redirect_to must be a path on this store, such as /account.php.")
	case claims.StoreHash != a.storeHash:
		return nil, notAllowed("store_hash", "The token is for another store (store_hash).")
	case claims.RequestIP != "" && !sameAddress(claims.RequestIP, client):
		return nil, notAllowed("request_ip", "The token is for another client address (request_ip).")
	}
	channel := 1
	if claims.ChannelID != nil {
		channel = *claims.ChannelID
	}
	c, err := a.db.FindCustomerByID(ctx, *claims.CustomerID)
	switch {
	case storage.ErrorCode(err) == storage.ENOTFOUND:
		return nil, notAllowed("customer", "There is no such customer.")
	case err != nil:
		return nil, err
	case c.ChannelIDs != nil && !slices.Contains(c.ChannelIDs, channel):
		return nil, notAllowed("channel", "The customer cannot sign in on channel "+strconv.Itoa(channel)+".")
	}
	err = a.db.UseLoginToken(ctx, app.ID, claims.ID, claims.IssuedAt.Time.Add(LoginTokenMaxAge+2*loginTokenLeeway))
	switch {
	case storage.ErrorCode(err) == storage.ECONFLICT:
		return nil, badToken("replay", "The token was used before (jti): each token signs in once.")
	case err != nil:
		return nil, err
	}
	redirect := claims.RedirectTo
	if redirect == "" {
		redirect = defaultRedirect
	}
	return &customerLogin{app: app, customerID: c.ID, channelID: channel, redirectTo: redirect}, nil
}

// relativeRedirect reports whether v is empty or a path on this host: it
// starts with one slash, names no scheme or host, and holds no backslash
// or control character (which browsers may read as //).
func relativeRedirect(v string) bool {
	if v == "" {
		return true
	}
	if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.ContainsAny(v, "\\\r\n\t") || len(v) > 2048 {
		return false
	}
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

// sameAddress reports whether two IP addresses are the same address.
func sameAddress(a, b string) bool {
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	return err1 == nil && err2 == nil && x.Unmap() == y.Unmap()
}

// loginWithToken signs in the shopper a Customer Login token names.
func (a *auth) loginWithToken(ctx context.Context, raw, client string) (*customerLogin, string, time.Time, error) {
	login, err := a.verifyLogin(ctx, raw, client)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	token, expires, err := a.signIn(ctx, storage.SessionInput{CustomerID: login.customerID, ChannelID: login.channelID,
		App: &login.app.ID})
	return login, token, expires, err
}

// SSOOptions configure the storefront sign-in endpoints.
type SSOOptions struct {
	Logger *slog.Logger
	// StoreHash is the store_hash tokens must name and Current Customer
	// tokens carry; "" means "customers".
	StoreHash string
	// ShopperTokenTTL is how long a session lasts; 0 means one hour.
	ShopperTokenTTL time.Duration
	// CORSOrigins are the storefront origins that may read
	// /customer/current.jwt from a browser, with credentials.
	CORSOrigins []string
}

// SSO serves /login/token/{jwt} and /customer/current.jwt.
type SSO struct {
	auth    *auth
	log     *slog.Logger
	origins []string
}

// NewSSO returns the storefront sign-in endpoints over db.
// ssoStore is what storefront sign-in reads and writes beyond
// authentication's: apps, their login tokens, and the customer signing in.
type ssoStore interface {
	FindApp(ctx context.Context, clientID string) (*storage.App, error)
	FindCustomerByID(ctx context.Context, id int) (*storage.Customer, error)
	UseLoginToken(ctx context.Context, appID int, jti string, expires time.Time) error
}

// NewSSO returns the storefront sign-in handlers over db.
func NewSSO(db Store, opts SSOOptions) *SSO {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ShopperTokenTTL <= 0 {
		opts.ShopperTokenTTL = time.Hour
	}
	return &SSO{auth: newAuth(db, opts.Logger, opts.ShopperTokenTTL, opts.StoreHash), log: opts.Logger,
		origins: opts.CORSOrigins}
}

// Login serves GET /login/token/{jwt}: with Accept: application/json, 200
// and {"accessToken", "redirectTo"}; otherwise a 302 to redirect_to with
// the session in a secure HttpOnly cookie. A refusal is 401 or 403 with a
// coded error, and is logged with its reason, never with the token.
func (s *SSO) Login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	login, token, expires, err := s.auth.loginWithToken(ctx, r.PathValue("jwt"), clientAddressOf(r))
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "customer login", "app_id", login.app.ID, "customer_id", login.customerID, "channel_id", login.channelID)
	if containsMedia(r.Header.Get("Accept"), "application/json") {
		h.Set("Content-Type", "application/json")
		b, _ := json.Marshal(map[string]string{"accessToken": token, "redirectTo": login.redirectTo})
		w.Write(b)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires, HttpOnly: true,
		Secure: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, login.redirectTo, http.StatusFound)
}

// refuse answers a refused or failed sign-in.
func (s *SSO) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var refusal *loginRefusal
	if !errors.As(err, &refusal) {
		s.log.ErrorContext(r.Context(), "customer login", "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, internalMessage)
		return
	}
	s.log.WarnContext(r.Context(), "customer login refused", "reason", refusal.reason)
	code := CodeUnauthenticated
	if refusal.status == http.StatusForbidden {
		code = CodeForbidden
	}
	writeJSON(w, refusal.status, map[string]any{"errors": []any{map[string]any{"message": refusal.msg,
		"extensions": map[string]any{"code": code, "reason": refusal.reason}}}})
}

// currentClaims are a Current Customer token's claims.
type currentClaims struct {
	jwt.RegisteredClaims
	Customer      currentCustomer `json:"customer"`
	Version       int             `json:"version"`
	ApplicationID string          `json:"application_id"`
	StoreHash     string          `json:"store_hash"`
	Operation     string          `json:"operation"`
}

type currentCustomer struct {
	ID      int    `json:"id"`
	Email   string `json:"email"`
	GroupID string `json:"group_id"`
}

// Current serves GET /customer/current.jwt?app_client_id=...: for the
// signed-in shopper (a Bearer customer access token, or the session
// cookie), a JWT naming it, signed HS256 under the app's secret and valid
// for 15 minutes. Without a session, 401; an unknown app, 404. Browsers
// may read it from the configured storefront origins only.
func (s *SSO) Current(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h := w.Header()
	if origin := r.Header.Get("Origin"); origin != "" && (slices.Contains(s.origins, origin) || slices.Contains(s.origins, "*")) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	h.Set("Cache-Control", "no-store")
	clientID := r.URL.Query().Get("app_client_id")
	if clientID == "" {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "Name the app: ?app_client_id=...")
		return
	}
	c, err := s.auth.identify(ctx, r.Header, clientAddressOf(r))
	switch {
	case err != nil:
		s.log.ErrorContext(ctx, "current customer", "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, internalMessage)
		return
	case c.Shopper == nil:
		writeError(w, http.StatusUnauthorized, CodeUnauthenticated, "No shopper is signed in.")
		return
	}
	app, err := s.auth.db.FindApp(ctx, clientID)
	switch {
	case storage.ErrorCode(err) == storage.ENOTFOUND:
		writeError(w, http.StatusNotFound, CodeNotFound, "There is no such app.")
		return
	case err != nil:
		s.log.ErrorContext(ctx, "current customer", "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, internalMessage)
		return
	}
	cust, err := s.auth.db.FindCustomerByID(ctx, c.Shopper.CustomerID)
	if err != nil {
		writeError(w, http.StatusUnauthorized, CodeUnauthenticated, "No shopper is signed in.")
		return
	}
	group := ""
	if cust.CustomerGroupID != nil {
		group = strconv.Itoa(*cust.CustomerGroupID)
	}
	now := s.auth.db.Clock().UTC().Truncate(time.Second)
	claims := currentClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			// spec §9.45: iss is "bc/apps" in every example; aud is the app.
			Issuer: "bc/apps", Subject: s.auth.storeHash, Audience: jwt.ClaimStrings{app.ClientID},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(currentCustomerTTL)),
		},
		Customer: currentCustomer{ID: cust.ID, Email: cust.Email, GroupID: group},
		Version:  1, ApplicationID: app.ClientID, StoreHash: s.auth.storeHash, Operation: "current_customer",
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(app.Secret))
	if err != nil {
		s.log.ErrorContext(ctx, "current customer", "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, internalMessage)
		return
	}
	h.Set("Content-Type", "application/jwt")
	w.Write([]byte(signed))
}

// clientAddressOf returns the IP address a request came from.
func clientAddressOf(r *http.Request) string {
	if a := clientAddress(r.Context()); a != "" {
		return a
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().String()
	}
	return r.RemoteAddr
}

// writeJSON writes v as a JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(v)
	w.Write(b)
}
