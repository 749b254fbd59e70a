package graph

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
)

// Table tests for the filter parsers: every filter given the values gqlgen
// has already coerced and the raw GraphQL values (json.Number, int64, []any,
// strings), plus the wrong types, which must give EINVALID naming the field.

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
				e := mustFieldError(t, err, tt.wantField)
				if tt.wantMsg != "" {
					if got, want := e.Message, tt.wantMsg; got != want {
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

// mustFieldError fails unless err is an EINVALID *storage.Error naming field.
func mustFieldError(tb testing.TB, err error, field string) *storage.Error {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err=nil, want %s at %s", storage.EINVALID, field)
	}
	if got, want := storage.ErrorCode(err), storage.EINVALID; got != want {
		tb.Fatalf("code=%q, want %q (%v)", got, want, err)
	}
	e, ok := errors.AsType[*storage.Error](err)
	if !ok {
		tb.Fatalf("err=%T, want *storage.Error", err)
	}
	if got, want := e.Field, field; got != want {
		tb.Fatalf("field=%q, want %q (%v)", got, want, err)
	}
	return e
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
	runFilterCases(t, customerFilter, []filterCase[storage.CustomerFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerFilter{}},
		{name: "EmptyMap", m: map[string]any{}, want: storage.CustomerFilter{}},
		{name: "Nulls", m: map[string]any{"idIn": nil, "companyIn": nil, "dateCreated": nil,
			"dateCreatedMin": nil, "nameLike": nil, "registrationIpAddressIn": nil}, want: storage.CustomerFilter{}},
		{name: "TypedNils", m: map[string]any{"idIn": []int(nil), "companyIn": []string(nil),
			"dateCreated": (*storage.FilterDate)(nil), "dateModifiedMax": (*storage.FilterDate)(nil)},
			want: storage.CustomerFilter{}},
		{name: "UnknownKeyIgnored", m: map[string]any{"idin": []int{1}}, want: storage.CustomerFilter{}},
		{name: "Coerced", m: map[string]any{
			"idIn":                    []int{1, 2},
			"companyIn":               []string{"Acme"},
			"customerGroupIdIn":       []int{3},
			"dateCreated":             fd(t, "2018-09-05"),
			"dateModifiedMin":         fd(t, "2018-09-05T13:43:54+02:00"),
			"dateModifiedMax":         fd(t, "2018-09-30"),
			"emailIn":                 []string{"Ann@Example.com"},
			"nameIn":                  []string{"Ann Smith"},
			"nameLike":                []string{"smi"},
			"phoneIn":                 []string{"+1 555"},
			"registrationIpAddressIn": []string{"10.0.0.1", "::1"},
		}, want: storage.CustomerFilter{
			IDIn:                    []int{1, 2},
			CompanyIn:               []string{"Acme"},
			CustomerGroupIDIn:       []int{3},
			DateCreated:             day,
			DateModified:            rng(t, "2018-09-05T11:43:54Z", "2018-09-30T23:59:59Z"),
			EmailIn:                 []string{"Ann@Example.com"},
			NameIn:                  []string{"Ann Smith"},
			NameLike:                []string{"smi"},
			PhoneIn:                 []string{"+1 555"},
			RegistrationIPAddressIn: []string{"10.0.0.1", "::1"},
		}},
		{name: "Raw", m: map[string]any{
			"idIn":                    []any{json.Number("4"), int64(5)},
			"companyIn":               []any{"a"},
			"customerGroupIdIn":       []any{6, float64(7), int32(8)},
			"dateCreatedMin":          "2018-09-05",
			"dateCreatedMax":          json.Number("1610051296"),
			"dateModified":            int64(1610051296000),
			"emailIn":                 []any{"x@y.z"},
			"nameIn":                  []any{"Ann Smith", "Bo"},
			"nameLike":                []any{"%", "_", `\`, "'; DROP TABLE customers; --", "ÅSA"},
			"phoneIn":                 []any{"555"},
			"registrationIpAddressIn": []any{"10.0.0.1"},
		}, want: storage.CustomerFilter{
			IDIn:                    []int{4, 5},
			CompanyIn:               []string{"a"},
			CustomerGroupIDIn:       []int{6, 7, 8},
			DateCreated:             rng(t, "2018-09-05T00:00:00Z", "2021-01-07T20:28:16Z"),
			DateModified:            rng(t, "2021-01-07T20:28:16Z", "2021-01-07T20:28:16Z"),
			EmailIn:                 []string{"x@y.z"},
			NameIn:                  []string{"Ann Smith", "Bo"},
			NameLike:                []string{"%", "_", `\`, "'; DROP TABLE customers; --", "ÅSA"},
			PhoneIn:                 []string{"555"},
			RegistrationIPAddressIn: []string{"10.0.0.1"},
		}},
		{name: "RawDateForms", m: map[string]any{
			"dateCreated":     "2018-09-05T13:43:54+02:00",
			"dateModifiedMin": float64(1610051296),
			"dateModifiedMax": "2021-01-07T20:28:16.999Z",
		}, want: storage.CustomerFilter{
			DateCreated:  rng(t, "2018-09-05T11:43:54Z", "2018-09-05T11:43:54Z"),
			DateModified: rng(t, "2021-01-07T20:28:16Z", "2021-01-07T20:28:16Z"),
		}},
		{name: "FilterDateValue", m: map[string]any{"dateCreated": *fd(t, "2018-09-05")}, want: storage.CustomerFilter{DateCreated: day}},
		{name: "ExactMinMaxIntersect", m: map[string]any{
			"dateCreated":    "2018-09-05",
			"dateCreatedMin": "2018-09-05T12:00:00",
			"dateCreatedMax": fd(t, "2018-09-10"),
		}, want: storage.CustomerFilter{DateCreated: rng(t, "2018-09-05T12:00:00Z", "2018-09-05T23:59:59Z")}},
		{name: "EmptyListsCoerced", m: map[string]any{"idIn": []int{}, "companyIn": []string{}, "nameLike": []string{}},
			want: storage.CustomerFilter{IDIn: []int{}, CompanyIn: []string{}, NameLike: []string{}}},
		{name: "EmptyListsRaw", m: map[string]any{"idIn": []any{}, "customerGroupIdIn": []any{}, "emailIn": []any{}},
			want: storage.CustomerFilter{IDIn: []int{}, CustomerGroupIDIn: []int{}, EmailIn: []string{}}},
		{name: "Int32Bounds", m: map[string]any{"idIn": []any{json.Number("2147483647"), json.Number("-2147483648"), float64(2147483647)}},
			want: storage.CustomerFilter{IDIn: []int{2147483647, -2147483648, 2147483647}}},
		// toInt also reads digits in a string, as gqlgen's own UnmarshalInt does.
		{name: "IntAsDigits", m: map[string]any{"idIn": []any{"4"}}, want: storage.CustomerFilter{IDIn: []int{4}}},

		{name: "ErrIDInBool", m: map[string]any{"idIn": true}, wantField: "filter.idIn", wantMsg: "true is not an integer"},
		{name: "ErrIDInMap", m: map[string]any{"idIn": map[string]any{}}, wantField: "filter.idIn"},
		{name: "ErrIDInInt64Slice", m: map[string]any{"idIn": []int64{1}}, wantField: "filter.idIn"},
		{name: "ErrIDInWord", m: map[string]any{"idIn": []any{json.Number("4"), "four"}}, wantField: "filter.idIn",
			wantMsg: `"four" is not a 32-bit integer`},
		{name: "ErrIDInFraction", m: map[string]any{"idIn": []any{1.5}}, wantField: "filter.idIn"},
		{name: "ErrIDInJSONNumberFraction", m: map[string]any{"idIn": []any{json.Number("4.0")}}, wantField: "filter.idIn"},
		{name: "ErrIDInAbove2To31", m: map[string]any{"idIn": []any{json.Number("2147483648")}}, wantField: "filter.idIn",
			wantMsg: "2147483648 is not a 32-bit integer"},
		{name: "ErrIDInBelowMinInt32", m: map[string]any{"idIn": []any{json.Number("-2147483649")}}, wantField: "filter.idIn"},
		{name: "ErrIDInHuge", m: map[string]any{"idIn": []any{json.Number("99999999999999999999")}}, wantField: "filter.idIn"},
		{name: "ErrIDInNullElement", m: map[string]any{"idIn": []any{nil}}, wantField: "filter.idIn",
			wantMsg: "<nil> is not an integer"},
		{name: "ErrCustomerGroupIdInFloatAbove2To31", m: map[string]any{"customerGroupIdIn": []any{float64(1 << 31)}},
			wantField: "filter.customerGroupIdIn"},
		{name: "ErrCompanyInNumber", m: map[string]any{"companyIn": []any{"a", json.Number("1")}}, wantField: "filter.companyIn",
			wantMsg: "expected a list of strings"},
		{name: "ErrCompanyInInts", m: map[string]any{"companyIn": []int{1}}, wantField: "filter.companyIn"},
		{name: "ErrNameLikeNullElement", m: map[string]any{"nameLike": []any{nil}}, wantField: "filter.nameLike"},
		{name: "ErrRegistrationIpAddressInBool", m: map[string]any{"registrationIpAddressIn": false},
			wantField: "filter.registrationIpAddressIn"},
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

	t.Run("ErrIDInInt64Above2To31", func(t *testing.T) {
		_, err := customerFilter(map[string]any{"idIn": []any{int64(1 << 31)}})
		mustFieldError(t, err, "filter.idIn")
	})
	t.Run("RawScalarForList", func(t *testing.T) {
		got, err := customerFilter(map[string]any{"idIn": json.Number("5"), "companyIn": "Acme"})
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
	runFilterCases(t, addressFilter, []filterCase[storage.CustomerAddressFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerAddressFilter{}},
		{name: "Coerced", m: map[string]any{"idIn": []int{1}, "customerIdIn": []int{2, 3}, "companyIn": []string{"Acme"}, "nameIn": []string{"Ann Smith"}},
			want: storage.CustomerAddressFilter{IDIn: []int{1}, CustomerIDIn: []int{2, 3}, CompanyIn: []string{"Acme"}, NameIn: []string{"Ann Smith"}}},
		{name: "Raw", m: map[string]any{"idIn": []any{json.Number("4"), int64(5)}, "customerIdIn": []any{json.Number("6")}, "companyIn": []any{"a"}, "nameIn": []any{"ÅSA"}},
			want: storage.CustomerAddressFilter{IDIn: []int{4, 5}, CustomerIDIn: []int{6}, CompanyIn: []string{"a"}, NameIn: []string{"ÅSA"}}},
		{name: "EmptyLists", m: map[string]any{"idIn": []any{}, "customerIdIn": []int{}, "companyIn": []any{}, "nameIn": []string{}},
			want: storage.CustomerAddressFilter{IDIn: []int{}, CustomerIDIn: []int{}, CompanyIn: []string{}, NameIn: []string{}}},
		{name: "ErrCustomerIdIn", m: map[string]any{"customerIdIn": []any{json.Number("2147483648")}}, wantField: "filter.customerIdIn"},
		{name: "ErrIdInString", m: map[string]any{"idIn": "one"}, wantField: "filter.idIn"},
		{name: "ErrNameIn", m: map[string]any{"nameIn": []any{"a", 1}}, wantField: "filter.nameIn"},
		{name: "ErrCompanyIn", m: map[string]any{"companyIn": 7}, wantField: "filter.companyIn"},
	})
}

func TestAttributeFilter(t *testing.T) {
	day := rng(t, "2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z")
	runFilterCases(t, attributeFilter, []filterCase[storage.CustomerAttributeFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerAttributeFilter{}},
		{name: "TypedNils", m: map[string]any{"name": (*string)(nil), "type": (*storage.CustomerAttributeType)(nil), "dateCreated": (*storage.FilterDate)(nil)},
			want: storage.CustomerAttributeFilter{}},
		{name: "Coerced", m: map[string]any{
			"idIn":            []int{1},
			"name":            ptr("Shoe size"),
			"nameLike":        ptr("size"),
			"type":            ptr(storage.AttributeNumber),
			"dateCreated":     fd(t, "2018-09-05"),
			"dateModifiedMin": fd(t, "2018-09-05T13:43:54Z"),
		}, want: storage.CustomerAttributeFilter{
			IDIn:         []int{1},
			Name:         ptr("Shoe size"),
			NameLike:     ptr("size"),
			Type:         ptr(storage.AttributeNumber),
			DateCreated:  day,
			DateModified: rng(t, "2018-09-05T13:43:54Z", ""),
		}},
		{name: "Raw", m: map[string]any{
			"idIn":           []any{json.Number("4"), int64(5)},
			"name":           "Shoe size",
			"nameLike":       "%_",
			"type":           "STRING",
			"dateCreatedMax": "2018-09-05",
			"dateModified":   json.Number("1610051296"),
		}, want: storage.CustomerAttributeFilter{
			IDIn:         []int{4, 5},
			Name:         ptr("Shoe size"),
			NameLike:     ptr("%_"),
			Type:         ptr(storage.AttributeString),
			DateCreated:  rng(t, "", "2018-09-05T23:59:59Z"),
			DateModified: rng(t, "2021-01-07T20:28:16Z", "2021-01-07T20:28:16Z"),
		}},
		{name: "EnumValue", m: map[string]any{"type": storage.AttributeDate}, want: storage.CustomerAttributeFilter{Type: ptr(storage.AttributeDate)}},
		{name: "EmptyName", m: map[string]any{"name": ""}, want: storage.CustomerAttributeFilter{Name: ptr("")}},
		{name: "ErrTypeV3Spelling", m: map[string]any{"type": "string"}, wantField: "filter.type",
			wantMsg: "string is not a valid CustomerAttributeType."},
		{name: "ErrTypeUnknown", m: map[string]any{"type": "BOOLEAN"}, wantField: "filter.type"},
		{name: "ErrTypeInt", m: map[string]any{"type": 1}, wantField: "filter.type"},
		{name: "ErrName", m: map[string]any{"name": 5}, wantField: "filter.name", wantMsg: "expected a string"},
		{name: "ErrNameLikeList", m: map[string]any{"nameLike": []any{"a"}}, wantField: "filter.nameLike"},
		{name: "ErrIdIn", m: map[string]any{"idIn": []any{"x"}}, wantField: "filter.idIn"},
		{name: "ErrDateCreatedMin", m: map[string]any{"dateCreatedMin": "2018-13-01"}, wantField: "filter.dateCreatedMin"},
		{name: "ErrDateModifiedMax", m: map[string]any{"dateModifiedMax": false}, wantField: "filter.dateModifiedMax"},
	})
}

func TestAttributeValueFilter(t *testing.T) {
	runFilterCases(t, attributeValueFilter, []filterCase[storage.CustomerAttributeValueFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerAttributeValueFilter{}},
		{name: "Coerced", m: map[string]any{
			"idIn":          []int{1},
			"customerIdIn":  []int{2},
			"attributeIdIn": []int{3},
			"name":          ptr("Shoe size"),
			"dateCreated":   fd(t, "2018-09-05T13:43:54"),
			"dateModified":  fd(t, "2018-09-06"),
		}, want: storage.CustomerAttributeValueFilter{
			IDIn:          []int{1},
			CustomerIDIn:  []int{2},
			AttributeIDIn: []int{3},
			Name:          ptr("Shoe size"),
			DateCreated:   rng(t, "2018-09-05T13:43:54Z", "2018-09-05T13:43:54Z"),
			DateModified:  rng(t, "2018-09-06T00:00:00Z", "2018-09-06T23:59:59Z"),
		}},
		{name: "Raw", m: map[string]any{
			"idIn":            []any{json.Number("4")},
			"customerIdIn":    []any{int64(5)},
			"attributeIdIn":   []any{6},
			"name":            "Shoe size",
			"dateCreatedMin":  "2018-09-05",
			"dateModifiedMax": int64(1610051296789),
		}, want: storage.CustomerAttributeValueFilter{
			IDIn:          []int{4},
			CustomerIDIn:  []int{5},
			AttributeIDIn: []int{6},
			Name:          ptr("Shoe size"),
			DateCreated:   rng(t, "2018-09-05T00:00:00Z", ""),
			DateModified:  rng(t, "", "2021-01-07T20:28:16Z"),
		}},
		{name: "EmptyLists", m: map[string]any{"attributeIdIn": []any{}}, want: storage.CustomerAttributeValueFilter{AttributeIDIn: []int{}}},
		{name: "ErrAttributeIdIn", m: map[string]any{"attributeIdIn": []any{1.5}}, wantField: "filter.attributeIdIn"},
		{name: "ErrCustomerIdIn", m: map[string]any{"customerIdIn": []string{"1"}}, wantField: "filter.customerIdIn"},
		{name: "ErrName", m: map[string]any{"name": true}, wantField: "filter.name"},
		{name: "ErrDateModifiedMin", m: map[string]any{"dateModifiedMin": "12:00"}, wantField: "filter.dateModifiedMin"},
		{name: "ErrDateCreatedMin", m: map[string]any{"dateCreatedMin": ""}, wantField: "filter.dateCreatedMin"},
	})
}

func TestFormFieldFilter(t *testing.T) {
	runFilterCases(t, formFieldFilter, []filterCase[storage.CustomerFormFieldFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerFormFieldFilter{}},
		{name: "Coerced", m: map[string]any{
			"idIn":      []int{1},
			"name":      ptr("Referrer"),
			"type":      ptr(storage.FormFieldRadioButtons),
			"appliesTo": ptr(storage.FormFieldOnAddress),
		}, want: storage.CustomerFormFieldFilter{
			IDIn:      []int{1},
			Name:      ptr("Referrer"),
			Type:      ptr(storage.FormFieldRadioButtons),
			AppliesTo: ptr(storage.FormFieldOnAddress),
		}},
		{name: "Raw", m: map[string]any{
			"idIn":      []any{json.Number("4"), int64(5)},
			"name":      "Referrer",
			"type":      "RADIOBUTTONS",
			"appliesTo": "CUSTOMER",
		}, want: storage.CustomerFormFieldFilter{
			IDIn:      []int{4, 5},
			Name:      ptr("Referrer"),
			Type:      ptr(storage.FormFieldRadioButtons),
			AppliesTo: ptr(storage.FormFieldOnCustomer),
		}},
		{name: "ErrType", m: map[string]any{"type": "text"}, wantField: "filter.type", wantMsg: "text is not a valid CustomerFormFieldType."},
		{name: "ErrAppliesTo", m: map[string]any{"appliesTo": "SHIPPING"}, wantField: "filter.appliesTo",
			wantMsg: "SHIPPING is not a valid CustomerFormFieldScope."},
		{name: "ErrAppliesToWrongEnum", m: map[string]any{"appliesTo": storage.FormFieldText}, wantField: "filter.appliesTo"},
		{name: "ErrName", m: map[string]any{"name": json.Number("1")}, wantField: "filter.name"},
		{name: "ErrIdIn", m: map[string]any{"idIn": []any{json.Number("1e3")}}, wantField: "filter.idIn"},
	})
}

func TestFormFieldValueFilter(t *testing.T) {
	runFilterCases(t, formFieldValueFilter, []filterCase[storage.CustomerFormFieldValueFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerFormFieldValueFilter{}},
		{name: "TypedNils", m: map[string]any{"customerId": (*int)(nil), "fieldName": (*string)(nil), "fieldType": (*storage.CustomerFormFieldType)(nil)},
			want: storage.CustomerFormFieldValueFilter{}},
		{name: "Coerced", m: map[string]any{
			"customerId": ptr(1),
			"addressId":  ptr(2),
			"fieldName":  ptr("Referrer"),
			"fieldType":  ptr(storage.FormFieldNumbers),
		}, want: storage.CustomerFormFieldValueFilter{
			CustomerID: ptr(1),
			AddressID:  ptr(2),
			FieldName:  ptr("Referrer"),
			FieldType:  ptr(storage.FormFieldNumbers),
		}},
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
		{name: "RawIntFloat", m: map[string]any{"customerId": 6, "addressId": float64(7)},
			want: storage.CustomerFormFieldValueFilter{CustomerID: ptr(6), AddressID: ptr(7)}},
		{name: "Zero", m: map[string]any{"customerId": json.Number("0")}, want: storage.CustomerFormFieldValueFilter{CustomerID: ptr(0)}},
		{name: "ErrCustomerIdAbove2To31", m: map[string]any{"customerId": json.Number("2147483648")}, wantField: "filter.customerId",
			wantMsg: "2147483648 is not a 32-bit integer"},
		{name: "ErrCustomerIdWord", m: map[string]any{"customerId": "abc"}, wantField: "filter.customerId"},
		{name: "ErrCustomerIdList", m: map[string]any{"customerId": []any{json.Number("1")}}, wantField: "filter.customerId"},
		{name: "ErrAddressIdBool", m: map[string]any{"addressId": true}, wantField: "filter.addressId", wantMsg: "true is not an integer"},
		{name: "ErrAddressIdFraction", m: map[string]any{"addressId": 2.5}, wantField: "filter.addressId"},
		{name: "ErrFieldName", m: map[string]any{"fieldName": 3}, wantField: "filter.fieldName"},
		{name: "ErrFieldType", m: map[string]any{"fieldType": "NUMBER"}, wantField: "filter.fieldType"},
	})
}

func TestGroupFilter(t *testing.T) {
	runFilterCases(t, groupFilter, []filterCase[storage.CustomerGroupFilter]{
		{name: "NilMap", m: nil, want: storage.CustomerGroupFilter{}},
		{name: "Coerced", m: map[string]any{
			"idIn":             []int{1, 2},
			"name":             ptr("Wholesale"),
			"nameLike":         ptr("sale"),
			"isDefault":        ptr(true),
			"isGroupForGuests": ptr(false),
		}, want: storage.CustomerGroupFilter{
			IDIn:             []int{1, 2},
			Name:             ptr("Wholesale"),
			NameLike:         ptr("sale"),
			IsDefault:        ptr(true),
			IsGroupForGuests: ptr(false),
		}},
		{name: "Raw", m: map[string]any{
			"idIn":             []any{json.Number("4"), int64(5)},
			"name":             "Wholesale",
			"nameLike":         "'; DROP TABLE customers; --",
			"isDefault":        false,
			"isGroupForGuests": true,
		}, want: storage.CustomerGroupFilter{
			IDIn:             []int{4, 5},
			Name:             ptr("Wholesale"),
			NameLike:         ptr("'; DROP TABLE customers; --"),
			IsDefault:        ptr(false),
			IsGroupForGuests: ptr(true),
		}},
		{name: "EmptyIdIn", m: map[string]any{"idIn": []any{}}, want: storage.CustomerGroupFilter{IDIn: []int{}}},
		{name: "ErrIsDefaultString", m: map[string]any{"isDefault": "true"}, wantField: "filter.isDefault", wantMsg: "expected a boolean"},
		{name: "ErrIsGroupForGuestsNumber", m: map[string]any{"isGroupForGuests": json.Number("1")}, wantField: "filter.isGroupForGuests"},
		{name: "ErrNameLike", m: map[string]any{"nameLike": 1}, wantField: "filter.nameLike"},
		{name: "ErrIdIn", m: map[string]any{"idIn": []any{json.Number("-2147483649")}}, wantField: "filter.idIn"},
	})
}

func TestSubscriberFilter(t *testing.T) {
	runFilterCases(t, subscriberFilter, []filterCase[storage.SubscriberFilter]{
		{name: "NilMap", m: nil, want: storage.SubscriberFilter{}},
		{name: "Coerced", m: map[string]any{
			"id":           ptr(1),
			"email":        ptr("ann@example.com"),
			"firstName":    ptr("Ann"),
			"lastName":     ptr("Smith"),
			"source":       ptr("storefront"),
			"orderId":      ptr(9),
			"dateCreated":  fd(t, "2018-09-05"),
			"dateModified": fd(t, "2018-09-05T13:43:54+02:00"),
		}, want: storage.SubscriberFilter{
			ID:           ptr(1),
			Email:        ptr("ann@example.com"),
			FirstName:    ptr("Ann"),
			LastName:     ptr("Smith"),
			Source:       ptr("storefront"),
			OrderID:      ptr(9),
			DateCreated:  rng(t, "2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z"),
			DateModified: rng(t, "2018-09-05T11:43:54Z", "2018-09-05T11:43:54Z"),
		}},
		{name: "Raw", m: map[string]any{
			"id":           json.Number("4"),
			"email":        "ann@example.com",
			"firstName":    "Åsa",
			"lastName":     "O'Brien",
			"source":       "checkout",
			"orderId":      int64(10),
			"dateCreated":  json.Number("1610051296000"),
			"dateModified": "2018-09-05",
		}, want: storage.SubscriberFilter{
			ID:           ptr(4),
			Email:        ptr("ann@example.com"),
			FirstName:    ptr("Åsa"),
			LastName:     ptr("O'Brien"),
			Source:       ptr("checkout"),
			OrderID:      ptr(10),
			DateCreated:  rng(t, "2021-01-07T20:28:16Z", "2021-01-07T20:28:16Z"),
			DateModified: rng(t, "2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z"),
		}},
		// Today's V3 adds :min and :max to the subscribers' date filters, and id:in.
		{name: "MinMaxAndIDIn", m: map[string]any{"dateCreatedMin": "2018-09-05", "dateModifiedMax": "2018-09-10", "idIn": []any{json.Number("3")}},
			want: storage.SubscriberFilter{IDIn: []int{3}, DateCreated: rng(t, "2018-09-05T00:00:00Z", ""),
				DateModified: rng(t, "", "2018-09-10T23:59:59Z")}},
		{name: "ErrDateModifiedMax", m: map[string]any{"dateModifiedMax": "nonsense"}, wantField: "filter.dateModifiedMax"},
		{name: "ErrIdAbove2To31", m: map[string]any{"id": json.Number("2147483648")}, wantField: "filter.id"},
		{name: "ErrOrderIdFraction", m: map[string]any{"orderId": 1.5}, wantField: "filter.orderId"},
		{name: "ErrEmailList", m: map[string]any{"email": []any{"a@b.c"}}, wantField: "filter.email"},
		{name: "ErrSource", m: map[string]any{"source": 1}, wantField: "filter.source"},
		{name: "ErrDateCreated", m: map[string]any{"dateCreated": "yesterday"}, wantField: "filter.dateCreated"},
		{name: "ErrDateCreatedFloat", m: map[string]any{"dateModified": nil, "dateCreated": 1.5}, wantField: "filter.dateCreated"},
	})
}

func TestToInt(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want int
		ok   bool
	}{
		{"Int", 7, 7, true},
		{"Int64", int64(-7), -7, true},
		{"Int32", int32(7), 7, true},
		{"JSONNumber", json.Number("7"), 7, true},
		{"JSONNumberMax", json.Number("2147483647"), 2147483647, true},
		{"JSONNumberMin", json.Number("-2147483648"), -2147483648, true},
		{"Float", float64(7), 7, true},
		{"FloatMax", float64(2147483647), 2147483647, true},
		{"Digits", "7", 7, true},
		{"JSONNumberAbove", json.Number("2147483648"), 0, false},
		{"JSONNumberBelow", json.Number("-2147483649"), 0, false},
		{"JSONNumberFraction", json.Number("7.0"), 0, false},
		{"FloatFraction", 7.5, 0, false},
		{"FloatAbove", float64(2147483648), 0, false},
		{"FloatBelow", float64(-2147483649), 0, false},
		{"DigitsAbove", "2147483648", 0, false},
		{"Word", "seven", 0, false},
		{"Empty", "", 0, false},
		{"Bool", true, 0, false},
		{"Nil", nil, 0, false},
		{"Uint", uint(7), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toInt(tt.in)
			if got, want := err == nil, tt.ok; got != want {
				t.Fatalf("toInt(%#v) err=%v, want ok=%t", tt.in, err, want)
			}
			if want := tt.want; got != want {
				t.Fatalf("toInt(%#v)=%d, want %d", tt.in, got, want)
			}
		})
	}
}
