package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Table tests for the filter parsers: every filter given raw GraphQL values
// (json.Number, int64, []any, strings) as variables and literals bring them,
// through gqlgen's generated input unmarshalling (the one argument parser of
// every read path) and then the conversion to the storage filter; the wrong
// values must be refused naming the input field.

// viaGQL parses a raw filter input as the server does: gqlgen's generated
// unmarshalling of the input type under the argument "filter", then the
// conversion to the storage filter.
func viaGQL[M, F any](unmarshal func(*executionContext, context.Context, any) (M, error), conv func(*M) (F, error)) func(map[string]any) (F, error) {
	return func(m map[string]any) (F, error) {
		var zero F
		if m == nil {
			return conv(nil)
		}
		ctx := graphql.WithPathContext(context.Background(), graphql.NewPathWithField("filter"))
		v, err := unmarshal(newExecutionContext(&graphql.OperationContext{}, &executableSchema{}, nil), ctx, m)
		if err != nil {
			return zero, graphql.ErrorOnPath(ctx, err)
		}
		return conv(&v)
	}
}

// filterCase is one input of a filter parser and what it must give: the
// filter, or an EINVALID error naming wantField.
type filterCase[F any] struct {
	name      string
	m         map[string]any
	want      F
	wantField string // "" when the input is valid
	wantMsg   string // checked when not ""
}

// runFilterCases runs parse over every case.
func runFilterCases[F any](t *testing.T, parse func(map[string]any) (F, error), tests []filterCase[F]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.m)
			if tt.wantField != "" {
				msg := mustFieldError(t, err, tt.wantField)
				if tt.wantMsg != "" {
					if got, want := msg, tt.wantMsg; got != want {
						t.Fatalf("message=%q, want %q", got, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("err=%v, want nil", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("filter=%s, want %s", show(got), show(tt.want))
			}
		})
	}
}

// mustFieldError fails unless err names the input field: the path of
// gqlgen's coercion error (whose cause, for our scalars and enums, is an
// EINVALID *storage.Error), or the field of an EINVALID *storage.Error of
// the conversion. It returns the error's message.
func mustFieldError(tb testing.TB, err error, field string) string {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err=nil, want an error at %s", field)
	}
	if g, ok := errors.AsType[*gqlerror.Error](err); ok {
		if got := g.Path.String(); got != field && !strings.HasPrefix(got, field+"[") {
			tb.Fatalf("path=%q, want %q (%v)", got, field, err)
		}
		if se, ok := errors.AsType[*storage.Error](err); ok {
			if se.Code != storage.EINVALID {
				tb.Fatalf("code=%q, want %q (%v)", se.Code, storage.EINVALID, err)
			}
			return se.Message
		}
		return g.Message
	}
	e, ok := errors.AsType[*storage.Error](err)
	if !ok {
		tb.Fatalf("err=%T %v, want *storage.Error or *gqlerror.Error", err, err)
	}
	if e.Code != storage.EINVALID {
		tb.Fatalf("code=%q, want %q (%v)", e.Code, storage.EINVALID, err)
	}
	if got, want := e.Field, field; got != want {
		tb.Fatalf("field=%q, want %q (%v)", got, want, err)
	}
	return e.Message
}

// show renders a filter for a failure message, pointers followed and nil
// slices (null) told apart from empty ones ([]).
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// manyStrings is a raw list of n values.
func manyStrings(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = "x"
	}
	return out
}

// fd parses a filter date.
func fd(tb testing.TB, v any) *storage.FilterDate {
	tb.Helper()
	d, err := storage.ParseFilterDate(v)
	if err != nil {
		tb.Fatalf("ParseFilterDate(%#v): %v", v, err)
	}
	return &d
}

// rng returns the time range [min, max], RFC 3339 in UTC; "" is open.
func rng(tb testing.TB, min, max string) storage.TimeRange {
	tb.Helper()
	parse := func(s string) *time.Time {
		if s == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			tb.Fatal(err)
		}
		t = t.UTC()
		return &t
	}
	return storage.TimeRange{Min: parse(min), Max: parse(max)}
}

func TestCustomerFilter(t *testing.T) {
	day := rng(t, "2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z")
	runFilterCases(t, viaGQL((*executionContext).unmarshalInputCustomerFilter, customerFilter), []filterCase[storage.CustomerFilter]{
		{name: "RawValues", m: map[string]any{"idIn": []any{json.Number("1"), int64(2)}, "companyIn": "Acme",
			"customerGroupIdIn": []any{json.Number("3")}, "dateCreated": "2018-09-05", "emailIn": []any{"a@b.c"}},
			want: storage.CustomerFilter{IDIn: []int{1, 2}, CompanyIn: []string{"Acme"}, CustomerGroupIDIn: []int{3}, DateCreated: day,
				EmailIn: []string{"a@b.c"}}},
		{name: "ErrTooManyValues", m: map[string]any{"nameLike": manyStrings(MaxFilterValues + 1)}, wantField: "filter.nameLike",
			wantMsg: fmt.Sprintf("At most %d values; %d given.", MaxFilterValues, MaxFilterValues+1)},
		{name: "AtMostValues", m: map[string]any{"nameLike": manyStrings(MaxFilterValues)},
			want: storage.CustomerFilter{NameLike: strings.Split(strings.Repeat("x,", MaxFilterValues-1)+"x", ",")}},
		{name: "NilMap", m: nil, want: storage.CustomerFilter{}},
		{name: "EmptyMap", m: map[string]any{}, want: storage.CustomerFilter{}},
		{name: "Nulls", m: map[string]any{"idIn": nil, "companyIn": nil, "dateCreated": nil,
			"dateCreatedMin": nil, "nameLike": nil, "registrationIpAddressIn": nil}, want: storage.CustomerFilter{}},
		{name: "UnknownKeyIgnored", m: map[string]any{"idin": []any{1}}, want: storage.CustomerFilter{}},
		{name: "RawDateForms", m: map[string]any{
			"dateCreated":     "2018-09-05T13:43:54+02:00",
			"dateModifiedMin": float64(1610051296),
			"dateModifiedMax": "2021-01-07T20:28:16.999Z",
		}, want: storage.CustomerFilter{
			DateCreated:  rng(t, "2018-09-05T11:43:54Z", "2018-09-05T11:43:54Z"),
			DateModified: rng(t, "2021-01-07T20:28:16Z", "2021-01-07T20:28:16Z"),
		}},
		{name: "FilterDateValue", m: map[string]any{"dateCreated": "2018-09-05"}, want: storage.CustomerFilter{DateCreated: day}},
		{name: "ExactMinMaxIntersect", m: map[string]any{
			"dateCreated":    "2018-09-05",
			"dateCreatedMin": "2018-09-05T12:00:00",
			"dateCreatedMax": "2018-09-10",
		}, want: storage.CustomerFilter{DateCreated: rng(t, "2018-09-05T12:00:00Z", "2018-09-05T23:59:59Z")}},
		{name: "EmptyListsCoerced", m: map[string]any{"idIn": []any{}, "companyIn": []any{}, "nameLike": []any{}},
			want: storage.CustomerFilter{IDIn: []int{}, CompanyIn: []string{}, NameLike: []string{}}},
		{name: "EmptyListsRaw", m: map[string]any{"idIn": []any{}, "customerGroupIdIn": []any{}, "emailIn": []any{}},
			want: storage.CustomerFilter{IDIn: []int{}, CustomerGroupIDIn: []int{}, EmailIn: []string{}}},
		// toInt also reads digits in a string, as gqlgen's own UnmarshalInt does.
		{name: "IntAsDigits", m: map[string]any{"idIn": []any{"4"}}, want: storage.CustomerFilter{IDIn: []int{4}}},

		{name: "ErrIDInMap", m: map[string]any{"idIn": map[string]any{}}, wantField: "filter.idIn"},
		{name: "ErrIDInFraction", m: map[string]any{"idIn": []any{1.5}}, wantField: "filter.idIn"},
		{name: "ErrIDInJSONNumberFraction", m: map[string]any{"idIn": []any{json.Number("4.0")}}, wantField: "filter.idIn"},
		{name: "ErrIDInHuge", m: map[string]any{"idIn": []any{json.Number("99999999999999999999")}}, wantField: "filter.idIn"},
		{name: "ErrCustomerGroupIdInFloatAbove2To31", m: map[string]any{"customerGroupIdIn": []any{float64(1 << 31)}},
			wantField: "filter.customerGroupIdIn"},
		{name: "ErrDateCreatedMin", m: map[string]any{"dateCreatedMin": "yesterday"}, wantField: "filter.dateCreatedMin",
			wantMsg: `"yesterday" is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS, RFC 3339 or UNIX seconds.`},
		{name: "ErrDateCreatedMinSpecMalformed", m: map[string]any{"dateCreatedMin": "2019-09-04T:00:00:00"}, wantField: "filter.dateCreatedMin"},
		{name: "ErrDateCreatedBool", m: map[string]any{"dateCreated": true}, wantField: "filter.dateCreated"},
		{name: "ErrDateCreatedMaxFloat", m: map[string]any{"dateCreatedMax": 1.5}, wantField: "filter.dateCreatedMax"},
		{name: "ErrDateModifiedMaxFeb30", m: map[string]any{"dateModifiedMax": "2018-02-30"}, wantField: "filter.dateModifiedMax"},
		{name: "ErrDateModifiedList", m: map[string]any{"dateModified": []any{"2018-09-05"}}, wantField: "filter.dateModified"},
		// Fields are read in the filter's order and the first problem is kept.
		{name: "ErrFirstProblemWins", m: map[string]any{"dateCreatedMin": "yesterday", "idIn": []any{"x"}}, wantField: "filter.idIn"},
		{name: "ErrDateBeforeLaterList", m: map[string]any{"dateModified": "x", "emailIn": []any{1}}, wantField: "filter.dateModified"},
	})

	t.Run("RawScalarForList", func(t *testing.T) {
		got, err := viaGQL((*executionContext).unmarshalInputCustomerFilter, customerFilter)(map[string]any{"idIn": json.Number("5"), "companyIn": "Acme"})
		if err != nil {
			t.Fatalf("err=%v, want nil", err)
		}
		if want := (storage.CustomerFilter{IDIn: []int{5}, CompanyIn: []string{"Acme"}}); !reflect.DeepEqual(got, want) {
			t.Fatalf("filter=%s, want %s", show(got), show(want))
		}
	})
	t.Run("NilMapHasNilSlices", func(t *testing.T) {
		f, err := customerFilter(nil)
		if err != nil {
			t.Fatal(err)
		}
		if f.IDIn != nil || f.CompanyIn != nil || f.CustomerGroupIDIn != nil || f.EmailIn != nil ||
			f.NameIn != nil || f.NameLike != nil || f.PhoneIn != nil || f.RegistrationIPAddressIn != nil {
			t.Fatalf("filter=%s, want every list nil", show(f))
		}
		if f.DateCreated.Min != nil || f.DateCreated.Max != nil || f.DateModified.Min != nil || f.DateModified.Max != nil {
			t.Fatalf("filter=%s, want open date ranges", show(f))
		}
	})
}

func TestAddressFilter(t *testing.T) {
	runFilterCases(t, viaGQL((*executionContext).unmarshalInputCustomerAddressFilter, addressFilter), []filterCase[storage.CustomerAddressFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerAddressFilter{}},
		{name: "EmptyLists", m: map[string]any{"idIn": []any{}, "customerIdIn": []any{}, "companyIn": []any{}, "nameIn": []any{}},
			want: storage.CustomerAddressFilter{IDIn: []int{}, CustomerIDIn: []int{}, CompanyIn: []string{}, NameIn: []string{}}},
		{name: "ErrIdInString", m: map[string]any{"idIn": "one"}, wantField: "filter.idIn"},
	})
}

func TestAttributeFilter(t *testing.T) {
	day := rng(t, "2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z")
	runFilterCases(t, viaGQL((*executionContext).unmarshalInputCustomerAttributeFilter, attributeFilter), []filterCase[storage.CustomerAttributeFilter]{
		{name: "Raw", m: map[string]any{"idIn": []any{json.Number("1"), json.Number("2")}, "name": "a", "nameLike": "b",
			"type": "DATE", "dateCreated": "2018-09-05"}, want: storage.CustomerAttributeFilter{IDIn: []int{1, 2}, Name: ptr("a"),
			NameLike: ptr("b"), Type: ptr(storage.AttributeDate), DateCreated: day}},
		{name: "NilMap", m: nil, want: storage.CustomerAttributeFilter{}},
		{name: "EmptyName", m: map[string]any{"name": ""}, want: storage.CustomerAttributeFilter{Name: ptr("")}},
		{name: "ErrTypeV3Spelling", m: map[string]any{"type": "string"}, wantField: "filter.type",
			wantMsg: "string is not a valid CustomerAttributeType."},
		{name: "ErrTypeUnknown", m: map[string]any{"type": "BOOLEAN"}, wantField: "filter.type"},
		{name: "ErrTypeInt", m: map[string]any{"type": 1}, wantField: "filter.type"},
		{name: "ErrNameLikeList", m: map[string]any{"nameLike": []any{"a"}}, wantField: "filter.nameLike"},
		{name: "ErrDateCreatedMin", m: map[string]any{"dateCreatedMin": "2018-13-01"}, wantField: "filter.dateCreatedMin"},
		{name: "ErrDateModifiedMax", m: map[string]any{"dateModifiedMax": false}, wantField: "filter.dateModifiedMax"},
	})
}

func TestAttributeValueFilter(t *testing.T) {
	runFilterCases(t, viaGQL((*executionContext).unmarshalInputCustomerAttributeValueFilter, attributeValueFilter), []filterCase[storage.CustomerAttributeValueFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerAttributeValueFilter{}},
		{name: "EmptyLists", m: map[string]any{"attributeIdIn": []any{}}, want: storage.CustomerAttributeValueFilter{AttributeIDIn: []int{}}},
		{name: "ErrAttributeIdIn", m: map[string]any{"attributeIdIn": []any{1.5}}, wantField: "filter.attributeIdIn"},
		{name: "ErrDateModifiedMin", m: map[string]any{"dateModifiedMin": "12:00"}, wantField: "filter.dateModifiedMin"},
		{name: "ErrDateCreatedMin", m: map[string]any{"dateCreatedMin": ""}, wantField: "filter.dateCreatedMin"},
	})
}

func TestFormFieldFilter(t *testing.T) {
	runFilterCases(t, viaGQL((*executionContext).unmarshalInputCustomerFormFieldFilter, formFieldFilter), []filterCase[storage.CustomerFormFieldFilter]{
		{name: "Raw", m: map[string]any{"idIn": json.Number("3"), "name": "n", "type": "RADIOBUTTONS", "appliesTo": "ADDRESS"},
			want: storage.CustomerFormFieldFilter{IDIn: []int{3}, Name: ptr("n"), Type: ptr(storage.FormFieldRadioButtons),
				AppliesTo: ptr(storage.CustomerFormFieldScope("address"))}},
		{name: "NilMap", m: nil, want: storage.CustomerFormFieldFilter{}},
		{name: "ErrType", m: map[string]any{"type": "text"}, wantField: "filter.type", wantMsg: "text is not a valid CustomerFormFieldType."},
		{name: "ErrAppliesTo", m: map[string]any{"appliesTo": "SHIPPING"}, wantField: "filter.appliesTo",
			wantMsg: "SHIPPING is not a valid CustomerFormFieldScope."},
		{name: "ErrAppliesToWrongEnum", m: map[string]any{"appliesTo": storage.FormFieldText}, wantField: "filter.appliesTo"},
	})
}

func TestFormFieldValueFilter(t *testing.T) {
	runFilterCases(t, viaGQL((*executionContext).unmarshalInputCustomerFormFieldValueFilter, formFieldValueFilter), []filterCase[storage.CustomerFormFieldValueFilter]{
		{name: "Raw", m: map[string]any{"customerId": json.Number("4"), "addressId": int64(5), "fieldName": "f", "fieldType": "NUMBERS"},
			want: storage.CustomerFormFieldValueFilter{CustomerID: ptr(4), AddressID: ptr(5), FieldName: ptr("f"),
				FieldType: ptr(storage.FormFieldNumbers)}},
		{name: "NilMap", m: nil, want: storage.CustomerFormFieldValueFilter{}},
		{name: "RawJSONNumber", m: map[string]any{
			"customerId": json.Number("4"),
			"addressId":  int64(5),
			"fieldName":  "Referrer",
			"fieldType":  "PICKLIST",
		}, want: storage.CustomerFormFieldValueFilter{
			CustomerID: ptr(4),
			AddressID:  ptr(5),
			FieldName:  ptr("Referrer"),
			FieldType:  ptr(storage.FormFieldPicklist),
		}},
		{name: "Zero", m: map[string]any{"customerId": json.Number("0")}, want: storage.CustomerFormFieldValueFilter{CustomerID: ptr(0)}},
		{name: "ErrCustomerIdWord", m: map[string]any{"customerId": "abc"}, wantField: "filter.customerId"},
		{name: "ErrCustomerIdList", m: map[string]any{"customerId": []any{json.Number("1")}}, wantField: "filter.customerId"},
		{name: "ErrAddressIdFraction", m: map[string]any{"addressId": 2.5}, wantField: "filter.addressId"},
		{name: "ErrFieldType", m: map[string]any{"fieldType": "NUMBER"}, wantField: "filter.fieldType"},
	})
}

func TestGroupFilter(t *testing.T) {
	runFilterCases(t, viaGQL((*executionContext).unmarshalInputCustomerGroupFilter, groupFilter), []filterCase[storage.CustomerGroupFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerGroupFilter{}},
		{name: "EmptyIdIn", m: map[string]any{"idIn": []any{}}, want: storage.CustomerGroupFilter{IDIn: []int{}}},
		{name: "ErrIsGroupForGuestsNumber", m: map[string]any{"isGroupForGuests": json.Number("1")}, wantField: "filter.isGroupForGuests"},
	})
}

func TestSubscriberFilter(t *testing.T) {
	runFilterCases(t, viaGQL((*executionContext).unmarshalInputSubscriberFilter, subscriberFilter), []filterCase[storage.SubscriberFilter]{
		{name: "NilMap", m: nil, want: storage.SubscriberFilter{}},
		// Today's V3 adds :min and :max to the subscribers' date filters, and id:in.
		{name: "MinMaxAndIDIn", m: map[string]any{"dateCreatedMin": "2018-09-05", "dateModifiedMax": "2018-09-10", "idIn": []any{json.Number("3")}},
			want: storage.SubscriberFilter{IDIn: []int{3}, DateCreated: rng(t, "2018-09-05T00:00:00Z", ""),
				DateModified: rng(t, "", "2018-09-10T23:59:59Z")}},
		{name: "ErrDateModifiedMax", m: map[string]any{"dateModifiedMax": "nonsense"}, wantField: "filter.dateModifiedMax"},
		{name: "ErrOrderIdFraction", m: map[string]any{"orderId": 1.5}, wantField: "filter.orderId"},
		{name: "ErrEmailList", m: map[string]any{"email": []any{"a@b.c"}}, wantField: "filter.email"},
		{name: "ErrDateCreated", m: map[string]any{"dateCreated": "yesterday"}, wantField: "filter.dateCreated"},
		{name: "ErrDateCreatedFloat", m: map[string]any{"dateModified": nil, "dateCreated": 1.5}, wantField: "filter.dateCreated"},
	})
}
