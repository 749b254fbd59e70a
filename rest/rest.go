// Package rest serves BigCommerce's REST API for customers over the store:
// V3 customers, addresses, attributes, attribute values, form field values,
// consent, settings, credentials, subscribers, metafields and webhooks
// under /stores/{store_hash}/v3, and V2 customers, addresses and customer
// groups under /stores/{store_hash}/v2, with the paths, JSON, status codes
// and headers of BigCommerce's OpenAPI documents. Every read and write goes
// through the same storage methods as the GraphQL API: one validation, one
// write path, the same outbox events.
//
// Requests carry an API token in X-Auth-Token (the GraphQL API's tokens
// and scopes); each token has a request quota per time window, reported in
// BigCommerce's rate-limit headers.
package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/throttle"
	"github.com/storefront/customers/wire"
)

// Options configure NewHandler.
type Options struct {
	// StoreHash is the {store_hash} of the paths; "" means "customers".
	// StoreID is the store_id of webhook envelopes; "" means "1".
	StoreHash, StoreID string
	// Logger receives internal errors and panics; nil means slog.Default().
	Logger *slog.Logger
	// RateLimit bounds each API token's requests; the zero value means none.
	RateLimit RateLimit
	// MaxBodyBytes bounds a request body; 0 means 1 MiB.
	MaxBodyBytes int64
	// Timeout bounds one request; 0 means 15 seconds.
	Timeout time.Duration
	// Passwords paces password checks; give the GraphQL API's, so that a
	// guesser has one budget for both. Nil means one made from Throttles.
	Passwords *throttle.Passwords
	// Throttles describe the pacing when Passwords is nil; zero fields take
	// graph.DefaultThrottles.
	Throttles graph.Throttles
}

// DefaultStoreHash is the store hash when Options leaves it empty.
const DefaultStoreHash = "customers"

// Store is what the REST API reads and writes of the store, the methods
// its handlers call. *storage.DB is one, on either engine.
type Store interface {
	CheckCredentials(ctx context.Context, email, password string, channelID int) (*storage.CredentialCheck, error)
	CheckPasswordOf(ctx context.Context, customerID int, password string) (bool, error)
	CountAddressesByCustomerIDs(ctx context.Context, ids []int) (map[int]int, error)
	CountAttributeValuesByCustomerIDs(ctx context.Context, ids []int) (map[int]int, error)
	CreateAddresses(ctx context.Context, in []storage.AddressInput) ([]*storage.CustomerAddress, error)
	CreateAttributes(ctx context.Context, in []storage.AttributeInput) ([]*storage.CustomerAttribute, error)
	CreateCustomers(ctx context.Context, in []storage.CustomerInput) ([]*storage.Customer, error)
	CreateGroup(ctx context.Context, in storage.GroupInput) (*storage.CustomerGroup, error)
	CreateMetafields(ctx context.Context, v storage.MetafieldViewer, in []storage.MetafieldInput) ([]*storage.CustomerMetafield, error)
	CreateSubscriber(ctx context.Context, in storage.SubscriberInput) (*storage.Subscriber, error)
	CreateWebhook(ctx context.Context, in storage.WebhookInput) (*storage.Webhook, string, error)
	DeleteAddresses(ctx context.Context, ids []int) ([]int, error)
	DeleteAttributeValues(ctx context.Context, ids []int) ([]int, error)
	DeleteAttributes(ctx context.Context, ids []int) ([]int, error)
	DeleteCustomers(ctx context.Context, ids []int) ([]int, error)
	DeleteGroups(ctx context.Context, ids []int) ([]int, error)
	DeleteMetafields(ctx context.Context, v storage.MetafieldViewer, ids []int) ([]int, error)
	DeleteSubscribers(ctx context.Context, f storage.SubscriberFilter, all bool) ([]int, error)
	DeleteWebhooks(ctx context.Context, ids []int) ([]int, error)
	FindAddresses(ctx context.Context, f storage.CustomerAddressFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerAddress], error)
	FindAddressesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerAddress, error)
	FindAttributeValues(ctx context.Context, f storage.CustomerAttributeValueFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerAttributeValue], error)
	FindAttributeValuesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerAttributeValue, error)
	FindAttributes(ctx context.Context, f storage.CustomerAttributeFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerAttribute], error)
	FindChannelSettings(ctx context.Context, channelID int) (*storage.ChannelCustomerSettings, error)
	FindConsent(ctx context.Context, customerID int) (*storage.CustomerConsent, error)
	FindCustomerByID(ctx context.Context, id int) (*storage.Customer, error)
	FindCustomers(ctx context.Context, f storage.CustomerFilter, s storage.CustomerSort, req storage.PageRequest) (*storage.Page[*storage.Customer], error)
	FindFormFieldValues(ctx context.Context, f storage.CustomerFormFieldValueFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerFormFieldValue], error)
	FindFormFieldValuesByAddressIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerFormFieldValue, error)
	FindFormFieldValuesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerFormFieldValue, error)
	FindGroupByID(ctx context.Context, id int) (*storage.CustomerGroup, error)
	FindGroups(ctx context.Context, f storage.CustomerGroupFilter, req storage.PageRequest) (*storage.Page[*storage.CustomerGroup], error)
	FindMetafieldByID(ctx context.Context, v storage.MetafieldViewer, id int) (*storage.CustomerMetafield, error)
	FindMetafields(ctx context.Context, v storage.MetafieldViewer, f storage.MetafieldFilter, desc bool, req storage.PageRequest) (*storage.Page[*storage.CustomerMetafield], error)
	FindSettings(ctx context.Context) (*storage.CustomerSettings, error)
	FindStoreCreditByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.StoreCreditAmount, error)
	FindSubscriberByID(ctx context.Context, id int) (*storage.Subscriber, error)
	FindSubscribers(ctx context.Context, f storage.SubscriberFilter, req storage.PageRequest) (*storage.Page[*storage.Subscriber], error)
	FindToken(ctx context.Context, token string) (*storage.APIToken, error)
	FindUndelivered(ctx context.Context, owner int, f storage.UndeliveredFilter, req storage.PageRequest) (*storage.Page[*storage.Event], error)
	FindWebhooks(ctx context.Context, f storage.WebhookFilter, req storage.PageRequest) (*storage.Page[*storage.Webhook], error)
	FindWebhooksByIDs(ctx context.Context, ids []int) (map[int]*storage.Webhook, error)
	NotificationEmails(ctx context.Context, owner int) ([]string, error)
	SetNotificationEmails(ctx context.Context, owner int, emails []string) error
	Snapshot(ctx context.Context) (_ context.Context, end func(), _ error)
	TokenThrough(ctx context.Context, t *storage.APIToken, clientID string) (*storage.APIToken, error)
	UpdateAddresses(ctx context.Context, in []storage.AddressUpdate) ([]*storage.CustomerAddress, error)
	UpdateAttributes(ctx context.Context, in []storage.AttributeUpdate) ([]*storage.CustomerAttribute, error)
	UpdateChannelSettings(ctx context.Context, u storage.ChannelSettingsUpdate) (*storage.ChannelCustomerSettings, error)
	UpdateConsent(ctx context.Context, in storage.ConsentInput) (*storage.CustomerConsent, error)
	UpdateCustomers(ctx context.Context, in []storage.CustomerUpdate) ([]*storage.Customer, error)
	UpdateGroup(ctx context.Context, u storage.GroupUpdate) (*storage.CustomerGroup, error)
	UpdateMetafields(ctx context.Context, v storage.MetafieldViewer, in []storage.MetafieldUpdate) ([]*storage.CustomerMetafield, error)
	UpdateSettings(ctx context.Context, u storage.SettingsUpdate) (*storage.CustomerSettings, error)
	UpdateSubscriber(ctx context.Context, u storage.SubscriberUpdate) (*storage.Subscriber, error)
	UpdateWebhook(ctx context.Context, u storage.WebhookUpdate) (*storage.Webhook, error)
	UpsertAttributeValues(ctx context.Context, in []storage.AttributeValueUpsert) ([]*storage.CustomerAttributeValue, error)
	UpsertFormFieldValues(ctx context.Context, in []storage.FormFieldValueInput) ([]*storage.CustomerFormFieldValue, error)
}

var _ Store = (*storage.DB)(nil)

// handler serves the REST API.
type handler struct {
	db        Store
	opts      Options
	log       *slog.Logger
	limits    *windows
	passwords *throttle.Passwords
	// prefix is /stores/{hash}; handlers are the routes, wrapped.
	prefix   string
	handlers []http.Handler
}

// scope is what a route needs of the token.
type scope int

const (
	read scope = iota
	write
)

// route is one operation of the API.
type route struct {
	method, path string // path under /stores/{hash}, e.g. /v3/customers
	scope        scope
	serve        func(h *handler, w http.ResponseWriter, r *request) error
	segs         []string // path's segments
}

// request is an authenticated request.
type request struct {
	*http.Request
	token *storage.APIToken
}

// NewHandler returns the REST API over db. Mount it at "/stores/": it
// answers /stores/{hash}/v3/... and /stores/{hash}/v2/....
func NewHandler(db Store, opts Options) http.Handler {
	if opts.StoreHash == "" {
		opts.StoreHash = DefaultStoreHash
	}
	if opts.StoreID == "" {
		opts.StoreID = "1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	h := &handler{db: db, opts: opts, log: opts.Logger, limits: newWindows(opts.RateLimit),
		passwords: opts.Passwords, prefix: "/stores/" + opts.StoreHash}
	if h.passwords == nil {
		h.passwords = opts.Throttles.Passwords()
	}
	for _, rt := range routes {
		h.handlers = append(h.handlers, h.wrap(rt))
	}
	return h
}

// ServeHTTP routes a request: the route whose path matches with the most
// literal segments (customers/subscribers/{id} before
// customers/{customerId}/consent); unknown paths get a 404, known paths
// with another method a 405.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v2 := strings.Contains(r.URL.Path, "/v2/")
	path, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	if !ok {
		writeError(w, &apiError{status: http.StatusNotFound, title: "The resource at that URL is not found."}, v2)
		return
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestScore := -1, -1
	var allow []string
	for i, rt := range routes {
		score, params := matchPath(rt.segs, segs)
		if score < 0 {
			continue
		}
		if rt.method != r.Method {
			allow = append(allow, rt.method)
			continue
		}
		if score > bestScore {
			best, bestScore = i, score
			for k, v := range params {
				r.SetPathValue(k, v)
			}
		}
	}
	switch {
	case best >= 0:
		h.handlers[best].ServeHTTP(w, r)
	case len(allow) > 0:
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, title: "The method is not allowed on this resource."}, v2)
	default:
		writeError(w, &apiError{status: http.StatusNotFound, title: "The resource at that URL is not found."}, v2)
	}
}

// matchPath matches path segments against a route's: it returns how many
// segments matched literally (-1 for no match) and the wildcards' values.
func matchPath(route, path []string) (int, map[string]string) {
	if len(route) != len(path) {
		return -1, nil
	}
	score := 0
	var params map[string]string
	for i, seg := range route {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			if path[i] == "" {
				return -1, nil
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.TrimSuffix(name, "}")] = path[i]
			continue
		}
		if seg != path[i] {
			return -1, nil
		}
		score++
	}
	return score, params
}

// wrap runs a route: the panic guard, the size and time bounds, the
// Accept and Content-Type checks, authentication, the token's scope and
// quota, and the errors the route returns.
func (h *handler) wrap(rt route) http.Handler {
	v2 := strings.HasPrefix(rt.path, "/v2/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError := func(w http.ResponseWriter, e *apiError) { writeError(w, e, v2) }
		defer func() {
			if v := recover(); v != nil {
				h.log.ErrorContext(r.Context(), "panic in REST handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()),
					"route", rt.method+" "+rt.path)
				writeError(w, internalError())
			}
		}()
		ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
		defer cancel()
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(h.opts.Timeout)
		rc.SetReadDeadline(deadline)
		rc.SetWriteDeadline(deadline.Add(5 * time.Second))
		r = r.WithContext(ctx)
		r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
		if e := checkMedia(r); e != nil {
			writeError(w, e)
			return
		}
		token, e := h.authenticate(r)
		if e != nil {
			writeError(w, e)
			return
		}
		if e := h.limits.admit(w, token.ID, time.Now()); e != nil {
			writeError(w, e)
			return
		}
		need := storage.ScopeRead
		if rt.scope == write {
			need = storage.ScopeWrite
		}
		if !token.Can(need) {
			writeError(w, &apiError{status: http.StatusForbidden,
				title: "Missing scope: this operation needs a token with the " + need + " scope."})
			return
		}
		tw := &trackWriter{ResponseWriter: w}
		err := rt.serve(h, tw, &request{Request: r, token: token})
		if storage.StandbyLost(err) && rt.method == http.MethodGet && !tw.written {
			// The standby failed under the read's snapshot, and nothing is
			// written yet: the primary serves the whole read again.
			r = r.WithContext(storage.OnPrimary(ctx))
			err = rt.serve(h, tw, &request{Request: r, token: token})
		}
		if err != nil {
			writeError(w, h.problem(ctx, err))
		}
	})
}

// trackWriter notes whether a response has begun.
type trackWriter struct {
	http.ResponseWriter
	written bool
}

func (w *trackWriter) WriteHeader(code int) {
	w.written = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *trackWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// checkMedia refuses a request whose Accept excludes JSON (406) or whose
// body is not JSON (415).
func checkMedia(r *http.Request) *apiError {
	if accept := r.Header.Get("Accept"); accept != "" && !acceptsJSON(accept) {
		return &apiError{status: http.StatusNotAcceptable, title: "The API answers in application/json only; send Accept: application/json."}
	}
	if r.ContentLength == 0 || r.Method == http.MethodGet {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType, title: "Send the body as application/json, with Content-Type: application/json."}
	}
	return nil
}

// acceptsJSON reports whether an Accept header admits application/json.
func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				continue
			}
		}
		if mt == "application/json" || mt == "*/*" || mt == "application/*" {
			return true
		}
	}
	return false
}

// authenticate finds the API token of the request: X-Auth-Token, as
// BigCommerce sends it, or Authorization: Bearer.
func (h *handler) authenticate(r *http.Request) (*storage.APIToken, *apiError) {
	token := strings.TrimSpace(r.Header.Get("X-Auth-Token"))
	if token == "" {
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			token = strings.TrimSpace(v)
		}
	}
	unauthorized := func(why string) *apiError {
		return &apiError{status: http.StatusUnauthorized, title: why}
	}
	switch {
	case token == "":
		return nil, unauthorized("Send an API token in X-Auth-Token.")
	case !storage.IsAPIToken(token):
		return nil, unauthorized("X-Auth-Token is not an API token.")
	}
	t, err := h.db.FindToken(r.Context(), token)
	switch {
	case storage.ErrorCode(err) == storage.ENOTFOUND:
		return nil, unauthorized("The API token is unknown or revoked.")
	case err != nil:
		h.log.ErrorContext(r.Context(), "find API token", "err", err)
		return nil, internalError()
	}
	// BigCommerce's clients name their app in X-Auth-Client: a registered
	// app's narrows the token to the scopes both allow.
	t, err = h.db.TokenThrough(r.Context(), t, r.Header.Get("X-Auth-Client"))
	switch {
	case errors.Is(err, storage.ErrAppRevoked):
		return nil, unauthorized("X-Auth-Client names a revoked app.")
	case err != nil:
		h.log.ErrorContext(r.Context(), "find app", "err", err)
		return nil, internalError()
	}
	return t, nil
}

// clientAddress returns the request's client IP address.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// decode reads a JSON body into v; a body that is not JSON is a 400, a
// value of the wrong type a 422 naming its field.
func decode(r *request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &apiError{status: http.StatusRequestEntityTooLarge, title: "The request body is too large."}
		}
		return &apiError{status: http.StatusBadRequest, title: "Input is invalid.", detail: "The request body could not be read."}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return &apiError{status: http.StatusBadRequest, title: "Input is invalid.", detail: "The request has no body."}
	}
	err = json.Unmarshal(body, v)
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &apiError{status: http.StatusUnprocessableEntity, title: "JSON data is missing or invalid.",
			errors: map[string]string{field: "must be " + jsonType(te.Type.String()) + ", not " + te.Value + "."}}
	}
	if err != nil {
		return &apiError{status: http.StatusBadRequest, title: "Input is invalid.", detail: "The body is not valid JSON."}
	}
	return nil
}

// jsonType names a Go type as JSON calls it.
func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"), goType == "wire.Decimal":
		return "a number"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	}
	return "an object"
}

// writeJSON writes v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
	return nil
}

// noContent answers 204.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ok writes a 200 JSON response.
func ok(w http.ResponseWriter, v any) error { return writeJSON(w, http.StatusOK, v) }

// ownerClientID names an API token as BigCommerce names an app: the
// client_id of webhooks and the owner_client_id of metafields.
func ownerClientID(tokenID int) string { return "token-" + strconv.Itoa(tokenID) }

var _ = wire.ErrorType
