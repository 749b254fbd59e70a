// Package model holds the GraphQL-only types: the ones gqlgen generates
// (connections, inputs, payloads) and the hand-written scalars.
package model

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/storage"
)

// MarshalDateTime writes a time as the API shows dates: RFC 3339 in UTC,
// whole seconds (../API.md decision 2).
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(storage.FormatTime(t)))
	})
}

// UnmarshalDateTime reads an RFC 3339 date-time.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("a DateTime is an RFC 3339 string")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time", s)
	}
	return t.UTC(), nil
}
