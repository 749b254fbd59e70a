package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CustomerFormField is a custom form field of customer accounts or of
// addresses (the Storefront form field definition, domain/customers-spec.md
// §4.10, reduced to what values need).
type CustomerFormField struct {
	ID        int
	Name      string
	Label     string
	Type      CustomerFormFieldType
	AppliesTo CustomerFormFieldScope
	Required  bool
	// Options are the allowed choices of checkbox, radio button and picklist
	// fields.
	Options      []string
	DateCreated  time.Time
	DateModified time.Time
}

// CustomerFormFieldValue is the value of one form field on one customer or
// one address (domain/customers-spec.md §4.5). Exactly one of CustomerID and
// AddressID is set.
type CustomerFormFieldValue struct {
	ID          int
	FormFieldID int
	Name        string
	Value       FormValue
	CustomerID  *int
	AddressID   *int
}

// FormValue is a form field value: a JSON string, number or array of
// strings (V3 allows all three, domain/customers-spec.md §3.7).
type FormValue struct {
	raw json.RawMessage
}

// StringValue, NumberValue and StringsValue make form values.
func StringValue(s string) FormValue {
	b, _ := json.Marshal(s)
	return FormValue{raw: b}
}

// NumberValue makes a numeric form value.
func NumberValue(f float64) FormValue {
	return FormValue{raw: json.RawMessage(strconv.FormatFloat(f, 'f', -1, 64))}
}

// StringsValue makes a list form value.
func StringsValue(ss []string) FormValue {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss)
	return FormValue{raw: b}
}

// ParseFormValue reads a value from decoded JSON or GraphQL input: a string,
// a number or a list of strings.
func ParseFormValue(v any) (FormValue, error) {
	switch v := v.(type) {
	case string:
		return StringValue(v), nil
	case json.Number:
		f, err := v.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			break
		}
		return NumberValue(f), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			break
		}
		return NumberValue(v), nil
	case int:
		return NumberValue(float64(v)), nil
	case int64:
		return NumberValue(float64(v)), nil
	case []any:
		ss := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return FormValue{}, Errorf(EINVALID, "A form field value list holds only strings.")
			}
			ss[i] = s
		}
		return StringsValue(ss), nil
	case []string:
		return StringsValue(v), nil
	}
	return FormValue{}, Errorf(EINVALID, "A form field value is a string, a number or a list of strings.")
}

// Kind returns "string", "number" or "list".
func (v FormValue) Kind() string {
	switch {
	case len(v.raw) == 0:
		return ""
	case v.raw[0] == '"':
		return "string"
	case v.raw[0] == '[':
		return "list"
	}
	return "number"
}

// Any returns the value as a string, a float64 or a []string.
func (v FormValue) Any() any {
	switch v.Kind() {
	case "string":
		var s string
		json.Unmarshal(v.raw, &s)
		return s
	case "list":
		var ss []string
		json.Unmarshal(v.raw, &ss)
		return ss
	case "number":
		f, _ := strconv.ParseFloat(string(v.raw), 64)
		return f
	}
	return nil
}

// MarshalGQL writes the value as JSON.
func (v FormValue) MarshalGQL(w io.Writer) {
	if len(v.raw) == 0 {
		io.WriteString(w, "null")
		return
	}
	w.Write(v.raw)
}

// UnmarshalGQL reads a GraphQL input value.
func (v *FormValue) UnmarshalGQL(x any) error {
	fv, err := ParseFormValue(x)
	if err != nil {
		return err
	}
	*v = fv
	return nil
}

// MarshalJSON writes the value as JSON.
func (v FormValue) MarshalJSON() ([]byte, error) {
	if len(v.raw) == 0 {
		return []byte("null"), nil
	}
	return v.raw, nil
}

// UnmarshalJSON reads a string, number or list of strings.
func (v *FormValue) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return err
	}
	fv, err := ParseFormValue(x)
	if err != nil {
		return err
	}
	*v = fv
	return nil
}

// CustomerFormFieldFilter filters the form field definitions.
type CustomerFormFieldFilter struct {
	IDIn      []int
	Name      *string
	Type      *CustomerFormFieldType
	AppliesTo *CustomerFormFieldScope
}

func (f *CustomerFormFieldFilter) where() where {
	var w where
	in(&w, "f.id", f.IDIn)
	if f.Name != nil {
		w.add("f.name = ?", *f.Name)
	}
	if f.Type != nil {
		w.add("f.type = ?", string(*f.Type))
	}
	if f.AppliesTo != nil {
		w.add("f.applies_to = ?", string(*f.AppliesTo))
	}
	return w
}

const formFieldColumns = `f.id, f.name, f.label, f.type, f.applies_to, f.required, f.options, f.date_created, f.date_modified`

func scanFormField(s rowScanner, extra ...any) (*CustomerFormField, error) {
	var (
		f                          CustomerFormField
		options, created, modified string
	)
	if err := s.Scan(append([]any{&f.ID, &f.Name, &f.Label, &f.Type, &f.AppliesTo, &f.Required, &options, &created, &modified}, extra...)...); err != nil {
		return nil, err
	}
	if err := f.setOptions(options); err != nil {
		return nil, err
	}
	return &f, parseTimes(created, &f.DateCreated, modified, &f.DateModified)
}

// setOptions decodes the stored options of the field.
func (f *CustomerFormField) setOptions(stored string) error {
	if err := json.Unmarshal([]byte(stored), &f.Options); err != nil {
		return fmt.Errorf("form field %d options: %w", f.ID, err)
	}
	if f.Options == nil {
		f.Options = []string{}
	}
	return nil
}

var formFieldList = listDef[*CustomerFormField]{
	name:    "form_fields",
	from:    "customer_form_fields f",
	columns: formFieldColumns,
	scan:    scanFormField,
}

// FindFormFields returns one page of the form field definitions that match
// f, by id. It returns EINVALID for a bad page, limit or cursor.
func (db *DB) FindFormFields(ctx context.Context, f CustomerFormFieldFilter, req PageRequest) (*Page[*CustomerFormField], error) {
	return findPage(ctx, db, formFieldList, f.where(), idOrder("f.id"), req)
}

// FindFormFieldsByIDs returns the form field definitions with the ids.
func (db *DB) FindFormFieldsByIDs(ctx context.Context, ids []int) (map[int]*CustomerFormField, error) {
	return db.all.FindFormFieldsByIDs(ctx, ids)
}

// CustomerFormFieldValueFilter holds the V3 filters of the form field value
// list (domain/customers-spec.md §2.5).
type CustomerFormFieldValueFilter struct {
	CustomerID *int
	AddressID  *int
	FieldName  *string
	FieldType  *CustomerFormFieldType
}

func (f *CustomerFormFieldValueFilter) where() where {
	var w where
	if f.CustomerID != nil {
		w.add("v.customer_id = ?", *f.CustomerID)
	}
	if f.AddressID != nil {
		w.add("v.address_id = ?", *f.AddressID)
	}
	if f.FieldName != nil {
		w.add("f.name = ?", *f.FieldName)
	}
	if f.FieldType != nil {
		// Through the values' form_field_id index: the few fields of the
		// type first, then their values (f.type = ? would walk every value).
		w.add(unlikely("v.form_field_id IN (SELECT id FROM customer_form_fields WHERE type = ?)"), string(*f.FieldType))
	}
	return w
}

const formFieldValueColumns = `v.id, v.form_field_id, f.name, v.value, v.customer_id, v.address_id`

func scanFormFieldValue(s rowScanner, extra ...any) (*CustomerFormFieldValue, error) {
	var (
		v     CustomerFormFieldValue
		value string
	)
	if err := s.Scan(append([]any{&v.ID, &v.FormFieldID, &v.Name, &value, &v.CustomerID, &v.AddressID}, extra...)...); err != nil {
		return nil, err
	}
	v.Value = FormValue{raw: json.RawMessage(value)}
	return &v, nil
}

var formFieldValueList = listDef[*CustomerFormFieldValue]{
	name:    "form_field_values",
	from:    "customer_form_field_values v JOIN customer_form_fields f ON f.id = v.form_field_id",
	columns: formFieldValueColumns,
	scan:    scanFormFieldValue,
}

// FindFormFieldValues returns one page of the form field values that match
// f, by id. It returns EINVALID for a bad page, limit or cursor.
func (db *DB) FindFormFieldValues(ctx context.Context, f CustomerFormFieldValueFilter, req PageRequest) (*Page[*CustomerFormFieldValue], error) {
	return findPage(ctx, db, formFieldValueList, f.where(), idOrder("v.id"), req)
}

// FindFormFieldValuesByCustomerIDs returns every form field value of each
// customer, by field name.
func (db *DB) FindFormFieldValuesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*CustomerFormFieldValue, error) {
	return db.all.FindFormFieldValuesByCustomerIDs(ctx, ids)
}

// FindFormFieldValuesByAddressIDs returns every form field value of each
// address, by field name.
func (db *DB) FindFormFieldValuesByAddressIDs(ctx context.Context, ids []int) (map[int][]*CustomerFormFieldValue, error) {
	return db.all.FindFormFieldValuesByAddressIDs(ctx, ids)
}

// FormFieldValueInput is a form field value given with a customer or an
// address, or upserted on its own with its owner.
type FormFieldValueInput struct {
	Name       string
	Value      FormValue
	CustomerID *int
	AddressID  *int
}

// Longest text values of form fields.
const (
	maxFormText      = 255
	maxFormMultiline = 4096
)

// formValue checks a value against its field's type (../API.md decision 10)
// and returns it normalized: a numbers field takes a number, or a string
// that parses as one.
func (ic *itemChecker) formValue(field string, def *CustomerFormField, v FormValue) FormValue {
	if def.Type == formFieldAny {
		return v
	}
	kind := v.Kind()
	switch def.Type {
	case FormFieldText, FormFieldPassword, FormFieldMultiline:
		s, ok := v.Any().(string)
		if kind != "string" || !ok {
			ic.fail(EINVALID, field, "The %s field %q takes text.", def.Type, def.Name)
			return v
		}
		max := maxFormText
		if def.Type == FormFieldMultiline {
			max = maxFormMultiline
		}
		ic.text(field, s, 0, max, def.Type == FormFieldMultiline)
	case FormFieldDate:
		s, _ := v.Any().(string)
		if _, err := time.Parse("2006-01-02", s); kind != "string" || err != nil {
			ic.fail(EINVALID, field, "The date field %q takes a YYYY-MM-DD date.", def.Name)
		}
	case FormFieldNumbers:
		switch x := v.Any().(type) {
		case float64:
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				ic.fail(EINVALID, field, "The numbers field %q takes a number.", def.Name)
				return v
			}
			return NumberValue(f)
		default:
			ic.fail(EINVALID, field, "The numbers field %q takes a number.", def.Name)
		}
	case FormFieldCheckboxes:
		list, ok := v.Any().([]string)
		if kind != "list" || !ok {
			ic.fail(EINVALID, field, "The checkboxes field %q takes a list of its options.", def.Name)
			return v
		}
		seen := map[string]bool{}
		for _, s := range list {
			if !slices.Contains(def.Options, s) || seen[s] {
				ic.fail(EINVALID, field, "%q is not one of the options of %q, or is given twice.", truncate(s, 40), def.Name)
				return v
			}
			seen[s] = true
		}
	case FormFieldRadioButtons, FormFieldPicklist:
		s, ok := v.Any().(string)
		if kind != "string" || !ok || !slices.Contains(def.Options, s) {
			ic.fail(EINVALID, field, "The %s field %q takes one of its options.", def.Type, def.Name)
		}
	}
	return v
}
