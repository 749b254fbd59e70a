package storage

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParseFilterDate: any input is a date or a coded EINVALID error, never
// a panic; a parsed bare date prints back as itself, and a range built from
// any parsed values formats to the fixed-width layout.
func FuzzParseFilterDate(f *testing.F) {
	for _, s := range []string{"2018-09-05", "2018-09-05T13:43:54", "2018-09-05T13:43:54+02:00", "2018-09-05T13:43:54.5Z",
		"1610051296", "1610051296000", "", "yesterday", "2019-09-04T:00:00:00", "9999999999999999999", "0", "-1",
		"2018-02-30", "\x00", "２０１８-09-05"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseFilterDate(s)
		if err != nil {
			if ErrorCode(err) != EINVALID || len(ErrorMessage(err)) > 300 {
				t.Fatalf("error %v: want a short EINVALID", err)
			}
			return
		}
		if d.DateOnly && d.Time.Format("2006-01-02") != strings.TrimSpace(s) {
			t.Fatalf("date %q parsed as %v", s, d.Time)
		}
		r := NewTimeRange(&d, &d, &d)
		for _, tm := range []*time.Time{r.Min, r.Max} {
			if got := formatTime(*tm); len(got) != len(timeLayout) {
				t.Fatalf("%q: stored form %q is not fixed width", s, got)
			}
		}
	})
}

// FuzzDecodeCursor: any cursor decodes to values of the ordering's key
// types or is refused as EINVALID naming the argument; a decoded cursor
// encodes back to one that decodes to the same values.
func FuzzDecodeCursor(f *testing.F) {
	o := SortLastNameDesc.ordering()
	good := o.encodeCursor("customers", []any{ptrTo("Holmes"), ptrTo(int64(7))})
	for _, s := range []string{good, "", "not a cursor", base64.RawURLEncoding.EncodeToString([]byte(`["customers|last_name:desc","a",1]]`)),
		base64.RawURLEncoding.EncodeToString([]byte(`["customers|last_name:desc",1,"a"]`)), strings.Repeat("A", 3000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vals, err := o.decodeCursor("customers", "after", s)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Code != EINVALID || e.Field != "after" {
				t.Fatalf("error %#v: want EINVALID on after", err)
			}
			return
		}
		holders := make([]any, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case string:
				holders[i] = ptrTo(v)
			case int64:
				holders[i] = ptrTo(v)
			default:
				t.Fatalf("value %T", v)
			}
		}
		again, err := o.decodeCursor("customers", "after", o.encodeCursor("customers", holders))
		if err != nil || !reflect.DeepEqual(again, vals) {
			t.Fatalf("round trip of %q: %v %v, want %v", s, again, err, vals)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
