package rest

import (
	"context"
	"errors"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// apiError is an error answer: its status, title and, for a 422, what is
// wrong with which input.
type apiError struct {
	status int
	title  string
	detail string
	errors map[string]string
	// retryAfter, when set, is sent as Retry-After (a 429's true wait).
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.title }

func internalError() *apiError {
	return &apiError{status: http.StatusInternalServerError, title: "Internal server error."}
}

// writeError writes an error answer: the V3 body, or the V2 one.
func writeError(w http.ResponseWriter, e *apiError, v2 bool) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	}
	if e.status == http.StatusTooManyRequests && e.errors == nil {
		e.errors = map[string]string{}
	}
	if v2 {
		var out wire.V2Errors
		if len(e.errors) == 0 {
			out.Errors = []wire.V2Error{{Status: e.status, Title: e.title, Type: wire.ErrorType}}
		}
		for _, k := range sortedKeys(e.errors) {
			out.Errors = append(out.Errors, wire.V2Error{Status: e.status, Title: k + ": " + e.errors[k], Type: wire.ErrorType})
		}
		writeJSON(w, e.status, out)
		return
	}
	writeJSON(w, e.status, wire.Error{Status: e.status, Title: e.title, Type: wire.ErrorType, Detail: e.detail, Errors: e.errors})
}

// problem turns a route's error into its answer; internal errors are
// logged in full and answered with a bare 500.
func (h *handler) problem(ctx context.Context, err error) *apiError {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e
	}
	if ctx.Err() == context.DeadlineExceeded {
		return &apiError{status: http.StatusServiceUnavailable, title: "The request took too long."}
	}
	if storage.ErrorCode(err) == storage.EUNAVAILABLE {
		// The disk is full or the file read-only: nothing was written.
		return &apiError{status: http.StatusServiceUnavailable, title: storage.ErrorMessage(err)}
	}
	if storage.AsErrors(err) != nil {
		e, _ := errors.AsType[*apiError](invalid(err, "The input is not valid.", fieldsV3("")))
		return e
	}
	h.log.ErrorContext(ctx, "internal error", "err", err)
	return internalError()
}

// fieldNamer turns a storage input path into the API's field name.
type fieldNamer func(path string) string

// fieldsV3 names fields the V3 way: the batch argument's name dropped
// ("input.2.addresses.1.stateOrProvince" is "2.addresses.1.state_or_province")
// and camelCase as snake_case; prefix, when set, is dropped too.
func fieldsV3(prefix string) fieldNamer {
	return func(path string) string {
		path = strings.TrimPrefix(path, "input.")
		path = strings.TrimPrefix(path, "input")
		path = strings.TrimPrefix(path, prefix)
		return snake(path)
	}
}

// snake writes camelCase as snake_case: customerGroupId is
// customer_group_id, address1 stays address1.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 && s[i-1] != '.' {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// statusFor picks the status of a storage error that refuses a write:
// 413 for a batch over the limit, else 422, unless a code is mapped.
func statusFor(es storage.Errors, codes map[string]int) int {
	for _, e := range es {
		if s, ok := codes[e.Code]; ok {
			return s
		}
	}
	for _, e := range es {
		if e.Code == storage.ETOOMANYITEMS && (e.Field == "input" || e.Field == "") {
			return http.StatusRequestEntityTooLarge
		}
	}
	return http.StatusUnprocessableEntity
}

// invalid turns storage's problems into a 422 (or 413) whose errors name
// each field; a non-storage error is returned as is.
func invalid(err error, title string, name fieldNamer) error {
	return invalidWith(err, title, name, nil)
}

// invalidWith is invalid with some codes answered by another status (a
// subscriber's CONFLICT is 409, say).
func invalidWith(err error, title string, name fieldNamer, codes map[string]int) error {
	es := storage.AsErrors(err)
	if es == nil {
		return err
	}
	e := &apiError{status: statusFor(es, codes), title: title, errors: map[string]string{}}
	if e.status == http.StatusRequestEntityTooLarge {
		e.title = "The request payload is too large: at most 10 items."
	}
	for _, p := range es {
		field := name(p.Field)
		if field == "" {
			field = "body"
		}
		if old, dup := e.errors[field]; dup {
			e.errors[field] = old + " " + p.Message
			continue
		}
		e.errors[field] = p.Message
	}
	return e
}

// notFound is a 404 answer.
func notFound(what string) error {
	return &apiError{status: http.StatusNotFound, title: what + " not found."}
}

// isNotFoundOn reports whether err is a NOT_FOUND about field (the id a
// path names).
func isNotFoundOn(err error, field string) bool {
	for _, e := range storage.AsErrors(err) {
		if e.Code == storage.ENOTFOUND && strings.HasSuffix(e.Field, field) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
