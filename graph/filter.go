package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/storefront/customers/storage"
)

// Filter inputs reach the resolvers as maps (gqlgen.yml binds every
// `<Type>Filter` to map[string]any) and are parsed here, once per list, into
// the storage filter. The values may already be coerced by gqlgen ([]int,
// *storage.FilterDate, enum types) or be raw GraphQL values from variables
// and literals (json.Number, int64, []any, string); both are accepted, so
// any read path can share these functions.

// input reads the fields of one input object and keeps the first problem.
type input struct {
	m    map[string]any
	path string // the argument's name, e.g. "filter"
	err  error
}

// fail records a problem with field name, as a coded error naming the
// input path (filter.dateCreatedMin).
func (in *input) fail(name string, err error) {
	if in.err != nil {
		return
	}
	msg := storage.ErrorMessage(err)
	if storage.ErrorCode(err) == storage.EINTERNAL {
		msg = err.Error()
	}
	in.err = storage.FieldErrorf(storage.EINVALID, in.path+"."+name, "%s", msg)
}

// get returns the field's value, or nil when it is absent or null.
func (in *input) get(name string) any {
	if in.m == nil {
		return nil
	}
	return in.m[name]
}

// MaxFilterValues bounds the values of one list filter (idIn, nameLike...):
// a page's worth. Each value is a condition of the statement, and SQLite
// bounds how deep an expression may nest.
const MaxFilterValues = storage.MaxLimit

// capped refuses a list filter of more than MaxFilterValues values.
func (in *input) capped(name string, n int) bool {
	if n <= MaxFilterValues {
		return true
	}
	in.fail(name, storage.Errorf(storage.ETOOMANYITEMS, "At most %d values; %d given.", MaxFilterValues, n))
	return false
}

func (in *input) ints(name string) []int {
	out := in.intList(name)
	if !in.capped(name, len(out)) {
		return nil
	}
	return out
}

func (in *input) strings(name string) []string {
	out := in.stringList(name)
	if !in.capped(name, len(out)) {
		return nil
	}
	return out
}

func (in *input) intList(name string) []int {
	switch v := in.get(name).(type) {
	case nil:
		return nil
	case []int:
		return v
	case []any:
		out := make([]int, len(v))
		for i, x := range v {
			n, err := toInt(x)
			if err != nil {
				in.fail(name, err)
				return nil
			}
			out[i] = n
		}
		return out
	default:
		// GraphQL input coercion: a single value stands for a list of one.
		n, err := toInt(v)
		if err != nil {
			in.fail(name, err)
			return nil
		}
		return []int{n}
	}
}

func (in *input) stringList(name string) []string {
	switch v := in.get(name).(type) {
	case nil:
		return nil
	case []string:
		return v
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				in.fail(name, fmt.Errorf("expected a list of strings"))
				return nil
			}
			out[i] = s
		}
		return out
	case string:
		// GraphQL input coercion: a single value stands for a list of one.
		return []string{v}
	default:
		in.fail(name, fmt.Errorf("expected a list of strings"))
		return nil
	}
}

func (in *input) str(name string) *string {
	switch v := in.get(name).(type) {
	case nil:
		return nil
	case string:
		return &v
	case *string:
		return v
	default:
		in.fail(name, fmt.Errorf("expected a string"))
		return nil
	}
}

func (in *input) integer(name string) *int {
	switch v := in.get(name).(type) {
	case nil:
		return nil
	case *int:
		return v
	default:
		n, err := toInt(v)
		if err != nil {
			in.fail(name, err)
			return nil
		}
		return &n
	}
}

func (in *input) boolean(name string) *bool {
	switch v := in.get(name).(type) {
	case nil:
		return nil
	case bool:
		return &v
	case *bool:
		return v
	default:
		in.fail(name, fmt.Errorf("expected a boolean"))
		return nil
	}
}

func (in *input) date(name string) *storage.FilterDate {
	switch v := in.get(name).(type) {
	case nil:
		return nil
	case *storage.FilterDate:
		return v
	case storage.FilterDate:
		return &v
	default:
		d, err := storage.ParseFilterDate(v)
		if err != nil {
			in.fail(name, err)
			return nil
		}
		return &d
	}
}

// dates reads the exact, `Min` and `Max` fields of one V3 date filter
// (dateCreated, dateCreatedMin, dateCreatedMax) as one range.
func (in *input) dates(name string) storage.TimeRange {
	return storage.NewTimeRange(in.date(name), in.date(name+"Min"), in.date(name+"Max"))
}

// enum reads an enum field into T, whose pointer parses GraphQL names.
func enum[T any, PT interface {
	*T
	UnmarshalGQL(any) error
}](in *input, name string) *T {
	switch v := in.get(name).(type) {
	case nil:
		return nil
	case T:
		return &v
	case *T:
		return v
	default:
		var t T
		if err := PT(&t).UnmarshalGQL(v); err != nil {
			in.fail(name, err)
			return nil
		}
		return &t
	}
}

// toInt reads a GraphQL Int in any of the forms it arrives in.
func toInt(v any) (int, error) {
	switch v := v.(type) {
	case int:
		return v, nil
	case int64:
		if v > math.MaxInt32 || v < math.MinInt32 {
			return 0, fmt.Errorf("%d is not a 32-bit integer", v)
		}
		return int(v), nil
	case int32:
		return int(v), nil
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%s is not a 32-bit integer", v)
		}
		return int(n), nil
	case float64:
		if v != math.Trunc(v) || v > math.MaxInt32 || v < math.MinInt32 {
			return 0, fmt.Errorf("%v is not a 32-bit integer", v)
		}
		return int(v), nil
	case string:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q is not a 32-bit integer", v)
		}
		return int(n), nil
	}
	return 0, fmt.Errorf("%v is not an integer", v)
}

// customerFilter parses a CustomerFilter (V3 `GET /customers` parameters).
func customerFilter(m map[string]any) (storage.CustomerFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.CustomerFilter{
		IDIn:                    in.ints("idIn"),
		CompanyIn:               in.strings("companyIn"),
		CustomerGroupIDIn:       in.ints("customerGroupIdIn"),
		DateCreated:             in.dates("dateCreated"),
		DateModified:            in.dates("dateModified"),
		EmailIn:                 in.strings("emailIn"),
		NameIn:                  in.strings("nameIn"),
		NameLike:                in.strings("nameLike"),
		PhoneIn:                 in.strings("phoneIn"),
		RegistrationIPAddressIn: in.strings("registrationIpAddressIn"),
	}
	return f, in.err
}

// addressFilter parses a CustomerAddressFilter.
func addressFilter(m map[string]any) (storage.CustomerAddressFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.CustomerAddressFilter{
		IDIn:         in.ints("idIn"),
		CustomerIDIn: in.ints("customerIdIn"),
		CompanyIn:    in.strings("companyIn"),
		NameIn:       in.strings("nameIn"),
	}
	return f, in.err
}

// attributeFilter parses a CustomerAttributeFilter.
func attributeFilter(m map[string]any) (storage.CustomerAttributeFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.CustomerAttributeFilter{
		IDIn:         in.ints("idIn"),
		Name:         in.str("name"),
		NameLike:     in.str("nameLike"),
		Type:         enum[storage.CustomerAttributeType](&in, "type"),
		DateCreated:  in.dates("dateCreated"),
		DateModified: in.dates("dateModified"),
	}
	return f, in.err
}

// attributeValueFilter parses a CustomerAttributeValueFilter.
func attributeValueFilter(m map[string]any) (storage.CustomerAttributeValueFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.CustomerAttributeValueFilter{
		IDIn:          in.ints("idIn"),
		CustomerIDIn:  in.ints("customerIdIn"),
		AttributeIDIn: in.ints("attributeIdIn"),
		Name:          in.str("name"),
		DateCreated:   in.dates("dateCreated"),
		DateModified:  in.dates("dateModified"),
	}
	return f, in.err
}

// formFieldFilter parses a CustomerFormFieldFilter.
func formFieldFilter(m map[string]any) (storage.CustomerFormFieldFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.CustomerFormFieldFilter{
		IDIn:      in.ints("idIn"),
		Name:      in.str("name"),
		Type:      enum[storage.CustomerFormFieldType](&in, "type"),
		AppliesTo: enum[storage.CustomerFormFieldScope](&in, "appliesTo"),
	}
	return f, in.err
}

// formFieldValueFilter parses a CustomerFormFieldValueFilter.
func formFieldValueFilter(m map[string]any) (storage.CustomerFormFieldValueFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.CustomerFormFieldValueFilter{
		CustomerID: in.integer("customerId"),
		AddressID:  in.integer("addressId"),
		FieldName:  in.str("fieldName"),
		FieldType:  enum[storage.CustomerFormFieldType](&in, "fieldType"),
	}
	return f, in.err
}

// groupFilter parses a CustomerGroupFilter.
func groupFilter(m map[string]any) (storage.CustomerGroupFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.CustomerGroupFilter{
		IDIn:             in.ints("idIn"),
		Name:             in.str("name"),
		NameLike:         in.str("nameLike"),
		IsDefault:        in.boolean("isDefault"),
		IsGroupForGuests: in.boolean("isGroupForGuests"),
	}
	return f, in.err
}

// subscriberFilter parses a SubscriberFilter.
func subscriberFilter(m map[string]any) (storage.SubscriberFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.SubscriberFilter{
		ID:           in.integer("id"),
		IDIn:         in.ints("idIn"),
		Email:        in.str("email"),
		FirstName:    in.str("firstName"),
		LastName:     in.str("lastName"),
		Source:       in.str("source"),
		OrderID:      in.integer("orderId"),
		DateCreated:  in.dates("dateCreated"),
		DateModified: in.dates("dateModified"),
	}
	return f, in.err
}
