package graph

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/storefront/customers/storage"
)

// FuzzCustomerFilter: any JSON object given as a filter parses or is
// refused with EINVALID naming a field of the filter; never a panic.
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
		_, err := customerFilter(m)
		if err == nil {
			return
		}
		e, ok := err.(*storage.Error)
		if !ok || e.Code != storage.EINVALID || len(e.Field) < len("filter.") || e.Field[:7] != "filter." {
			t.Fatalf("error %#v: want EINVALID on a filter field", err)
		}
	})
}
