package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// FuzzCustomerFilter: any JSON object given as a filter parses (gqlgen's
// generated unmarshalling, then the conversion) or is refused naming a
// field of the filter; never a panic.
func FuzzCustomerFilter(f *testing.F) {
	for _, s := range []string{`{}`, `{"idIn":[1,2]}`, `{"idIn":[]}`, `{"idIn":5}`, `{"nameLike":["%_"],"emailIn":"a@b"}`,
		`{"dateCreatedMin":"2018-09-05","dateCreatedMax":1610051296000}`, `{"idIn":[1.5]}`, `{"idIn":[99999999999]}`,
		`{"customerGroupIdIn":[null]}`, `{"companyIn":[{"a":1}]}`, `{"dateModified":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) != nil {
			return
		}
		_, err := viaGQL((*executionContext).unmarshalInputCustomerFilter, customerFilter)(m)
		if err == nil {
			return
		}
		field := ""
		if g, ok := errors.AsType[*gqlerror.Error](err); ok {
			field = g.Path.String()
		} else if e, ok := errors.AsType[*storage.Error](err); ok && e.Code == storage.EINVALID {
			field = e.Field
		}
		if !strings.HasPrefix(field, "filter.") {
			t.Fatalf("error %#v: want one naming a filter field", err)
		}
	})
}
