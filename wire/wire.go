// Package wire holds the JSON shapes of BigCommerce's REST API (V3 and V2
// customers, subscribers, metafields, webhooks): what the REST server
// writes and reads, what import and export write, and what a client of a
// BigCommerce store (the facade mode's) decodes. It depends on nothing of
// this project, so any of them can use it.
//
// Field names and types follow the official OpenAPI documents; where a
// request must tell an absent field from an explicit null, the field is an
// Optional.
package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Optional is a request field that may be absent (Set false), null (Set,
// zero Value) or given. It encodes as its Value; with `omitzero` an unset
// Optional is left out.
type Optional[T any] struct {
	Set   bool
	Value T
}

// Some returns a set Optional.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

// UnmarshalJSON implements json.Unmarshaler; null sets the zero value.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	var zero T
	o.Value = zero
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// MarshalJSON implements json.Marshaler.
func (o Optional[T]) MarshalJSON() ([]byte, error) { return json.Marshal(o.Value) }

// IsZero reports whether the field is absent (for `omitzero`).
func (o Optional[T]) IsZero() bool { return !o.Set }

// Decimal is an amount V2 sends as a decimal string ("5.0000") and accepts
// as a number, a string or an integer.
type Decimal string

// UnmarshalJSON implements json.Unmarshaler.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Decimal(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*d = Decimal(n.String())
	return nil
}

// Float returns the amount as a number.
func (d Decimal) Float() (float64, error) { return strconv.ParseFloat(string(d), 64) }

// FormatDecimal writes an amount as V2 does, with four decimals.
func FormatDecimal(f float64) Decimal { return Decimal(strconv.FormatFloat(f, 'f', 4, 64)) }

// Collection is a V3 list response: the records and the meta block.
type Collection[T any] struct {
	Data []T  `json:"data"`
	Meta Meta `json:"meta"`
}

// Single is a V3 response of one record.
type Single[T any] struct {
	Data T    `json:"data"`
	Meta Meta `json:"meta"`
}

// Meta is a V3 response's meta block: the pagination of a list, empty
// otherwise.
type Meta struct {
	Pagination *Pagination `json:"pagination,omitempty"`
}

// Pagination describes one page of a V3 list.
type Pagination struct {
	Total       int   `json:"total"`
	Count       int   `json:"count"`
	PerPage     int   `json:"per_page"`
	CurrentPage int   `json:"current_page"`
	TotalPages  int   `json:"total_pages"`
	Links       Links `json:"links"`
}

// Links are the query strings (`?page=2&limit=50`) of the pages around the
// current one; a page that does not exist is left out.
type Links struct {
	Previous string `json:"previous,omitempty"`
	Current  string `json:"current"`
	Next     string `json:"next,omitempty"`
}

// Error is a V3 error body. Errors maps an input path (`0.email`,
// `2.addresses.1.city`, a query parameter) to what is wrong with it.
type Error struct {
	Status   int               `json:"status"`
	Title    string            `json:"title"`
	Type     string            `json:"type"`
	Instance string            `json:"instance,omitempty"`
	Detail   string            `json:"detail,omitempty"`
	Errors   map[string]string `json:"errors,omitzero"`
}

// ErrorType is the `type` of every error body: where BigCommerce documents
// its status codes.
const ErrorType = "/api-docs/getting-started/api-status-codes"

// Count is a V2 count response.
type Count struct {
	Count int `json:"count"`
}
