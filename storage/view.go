package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A View reads the customer graph (customers, their addresses, attribute
// values and form field values, attribute and form field definitions,
// groups) with only the columns a caller names: the compiled read path
// plans which fields a query writes, and reading, converting and holding
// the others is most of a read's cost past SQLite itself. The records a
// View returns have their other fields zero; every lookup takes the same
// filters, orders, pages and errors as the DB method of the same name.
//
// The DB's own methods are its View of every column.
type View struct {
	db              *DB
	customers       listDef[*Customer]
	addresses       listDef[*CustomerAddress]
	attributeValues listDef[*CustomerAttributeValue]
	attributes      listDef[*CustomerAttribute]
	formFieldValues listDef[*CustomerFormFieldValue]
	formFields      listDef[*CustomerFormField]
	groups          listDef[*CustomerGroup]
}

// Columns names, per record type, the columns a View reads: the stored
// column names of customers, customer_addresses, customer_attribute_values,
// customer_attributes, customer_form_field_values (with name, the field's
// name), customer_form_fields and customer_groups. A nil list reads every
// column. The keys that relate records (ids, parent ids) are always read.
type Columns struct {
	Customer, Address, AttributeValue, Attribute, FormFieldValue, FormField, Group []string
}

// allColumns is the View behind the DB's methods.
func allColumns(db *DB) *View {
	return &View{db: db, customers: customerList, addresses: addressList, attributeValues: attributeValueList,
		attributes: attributeList, formFieldValues: formFieldValueList, formFields: formFieldList, groups: groupList}
}

// View returns a view of the columns c names; it fails on a name that is
// not a column.
func (db *DB) View(c Columns) (*View, error) {
	v := allColumns(db)
	var err error
	if v.customers, err = project(customerList, customerFields, c.Customer); err != nil {
		return nil, err
	}
	if v.addresses, err = project(addressList, addressFields, c.Address); err != nil {
		return nil, err
	}
	if v.attributeValues, err = project(attributeValueList, attributeValueFields, c.AttributeValue); err != nil {
		return nil, err
	}
	if v.attributes, err = project(attributeList, attributeFields, c.Attribute); err != nil {
		return nil, err
	}
	if v.formFieldValues, err = project(formFieldValueList, formFieldValueFields, c.FormFieldValue); err != nil {
		return nil, err
	}
	if v.formFields, err = project(formFieldList, formFieldFields, c.FormField); err != nil {
		return nil, err
	}
	if v.groups, err = project(groupList, groupFields, c.Group); err != nil {
		return nil, err
	}
	return v, nil
}

// column is one column a view may read: its name, its SQL expression,
// whether every view reads it (a key), and how its stored value (as the
// driver gives it: int64, float64, string, []byte or nil) goes into a record.
type column[T any] struct {
	name string
	expr string
	key  bool
	set  func(T, any) error
}

// project returns the list definition that reads the named columns of
// base (and its keys), or base itself for nil names.
func project[R any](base listDef[*R], cols []column[*R], names []string) (listDef[*R], error) {
	if names == nil {
		return base, nil
	}
	for _, n := range names {
		if !slices.ContainsFunc(cols, func(c column[*R]) bool { return c.name == n }) {
			return base, fmt.Errorf("view of %s: no column %q", base.name, n)
		}
	}
	var picked []column[*R]
	var exprs []string
	for _, c := range cols {
		if c.key || slices.Contains(names, c.name) {
			picked = append(picked, c)
			exprs = append(exprs, c.expr)
		}
	}
	l := base
	l.columns = strings.Join(exprs, ", ")
	l.scan = func(s rowScanner, extra ...any) (*R, error) {
		vals := make([]any, len(picked))
		dest := make([]any, len(picked), len(picked)+len(extra))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := s.Scan(append(dest, extra...)...); err != nil {
			return nil, err
		}
		t := new(R)
		for i, c := range picked {
			if err := c.set(t, vals[i]); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", base.name, c.name, err)
			}
		}
		return t, nil
	}
	return l, nil
}

// Conversions of the driver's values. The columns' types are the store's
// own (migration/), so a value of another type is a damaged file.

func text(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("stored %T, want text", v)
}

func integer(v any) (int, error) {
	if x, ok := v.(int64); ok {
		return int(x), nil
	}
	return 0, fmt.Errorf("stored %T, want an integer", v)
}

func boolean(v any) (bool, error) {
	n, err := integer(v)
	return n != 0, err
}

func optInt(v any) (*int, error) {
	if v == nil {
		return nil, nil
	}
	n, err := integer(v)
	return &n, err
}

func stamp(v any) (time.Time, error) {
	s, err := text(v)
	if err != nil {
		return time.Time{}, err
	}
	return parseTime(s)
}

// The column helpers: each makes a column that sets one field.

func textCol[T any](name, expr string, field func(T) *string) column[T] {
	return column[T]{name: name, expr: expr, set: func(t T, v any) (err error) {
		*field(t), err = text(v)
		return err
	}}
}

func enumCol[T any, E ~string](name, expr string, field func(T) *E) column[T] {
	return column[T]{name: name, expr: expr, set: func(t T, v any) error {
		s, err := text(v)
		*field(t) = E(s)
		return err
	}}
}

func intCol[T any](name, expr string, key bool, field func(T) *int) column[T] {
	return column[T]{name: name, expr: expr, key: key, set: func(t T, v any) (err error) {
		*field(t), err = integer(v)
		return err
	}}
}

func optIntCol[T any](name, expr string, key bool, field func(T) **int) column[T] {
	return column[T]{name: name, expr: expr, key: key, set: func(t T, v any) (err error) {
		*field(t), err = optInt(v)
		return err
	}}
}

func boolCol[T any](name, expr string, field func(T) *bool) column[T] {
	return column[T]{name: name, expr: expr, set: func(t T, v any) (err error) {
		*field(t), err = boolean(v)
		return err
	}}
}

func timeCol[T any](name, expr string, field func(T) *time.Time) column[T] {
	return column[T]{name: name, expr: expr, set: func(t T, v any) (err error) {
		*field(t), err = stamp(v)
		return err
	}}
}

// jsonCol decodes a stored JSON text with decode.
func jsonCol[T any](name, expr string, decode func(T, string) error) column[T] {
	return column[T]{name: name, expr: expr, set: func(t T, v any) error {
		s, err := text(v)
		if err != nil {
			return err
		}
		return decode(t, s)
	}}
}

var customerFields = []column[*Customer]{
	intCol("id", "c.id", true, func(c *Customer) *int { return &c.ID }),
	textCol("email", "c.email", func(c *Customer) *string { return &c.Email }),
	textCol("first_name", "c.first_name", func(c *Customer) *string { return &c.FirstName }),
	textCol("last_name", "c.last_name", func(c *Customer) *string { return &c.LastName }),
	textCol("company", "c.company", func(c *Customer) *string { return &c.Company }),
	textCol("phone", "c.phone", func(c *Customer) *string { return &c.Phone }),
	textCol("notes", "c.notes", func(c *Customer) *string { return &c.Notes }),
	textCol("tax_exempt_category", "c.tax_exempt_category", func(c *Customer) *string { return &c.TaxExemptCategory }),
	textCol("registration_ip_address", "c.registration_ip_address", func(c *Customer) *string { return &c.RegistrationIPAddress }),
	optIntCol("customer_group_id", "c.customer_group_id", false, func(c *Customer) **int { return &c.CustomerGroupID }),
	boolCol("accepts_product_review_abandoned_cart_emails", "c.accepts_product_review_abandoned_cart_emails",
		func(c *Customer) *bool { return &c.AcceptsProductReviewAbandonedCartEmails }),
	intCol("origin_channel_id", "c.origin_channel_id", false, func(c *Customer) *int { return &c.OriginChannelID }),
	{name: "channel_ids", expr: "c.channel_ids", set: func(c *Customer, v any) error {
		s, err := text(v)
		if err != nil {
			return err
		}
		return c.setChannelIDs(sql.NullString{String: s, Valid: v != nil})
	}},
	boolCol("force_password_reset", "c.force_password_reset", func(c *Customer) *bool { return &c.ForcePasswordReset }),
	timeCol("date_created", "c.date_created", func(c *Customer) *time.Time { return &c.DateCreated }),
	timeCol("date_modified", "c.date_modified", func(c *Customer) *time.Time { return &c.DateModified }),
}

var addressFields = []column[*CustomerAddress]{
	intCol("id", "a.id", true, func(a *CustomerAddress) *int { return &a.ID }),
	intCol("customer_id", "a.customer_id", true, func(a *CustomerAddress) *int { return &a.CustomerID }),
	textCol("first_name", "a.first_name", func(a *CustomerAddress) *string { return &a.FirstName }),
	textCol("last_name", "a.last_name", func(a *CustomerAddress) *string { return &a.LastName }),
	textCol("company", "a.company", func(a *CustomerAddress) *string { return &a.Company }),
	textCol("address1", "a.address1", func(a *CustomerAddress) *string { return &a.Address1 }),
	textCol("address2", "a.address2", func(a *CustomerAddress) *string { return &a.Address2 }),
	textCol("city", "a.city", func(a *CustomerAddress) *string { return &a.City }),
	textCol("state_or_province", "a.state_or_province", func(a *CustomerAddress) *string { return &a.StateOrProvince }),
	textCol("postal_code", "a.postal_code", func(a *CustomerAddress) *string { return &a.PostalCode }),
	textCol("country_code", "a.country_code", func(a *CustomerAddress) *string { return &a.CountryCode }),
	textCol("phone", "a.phone", func(a *CustomerAddress) *string { return &a.Phone }),
	enumCol("address_type", "a.address_type", func(a *CustomerAddress) *CustomerAddressType { return &a.AddressType }),
}

var attributeValueFields = []column[*CustomerAttributeValue]{
	intCol("id", "v.id", true, func(v *CustomerAttributeValue) *int { return &v.ID }),
	intCol("customer_id", "v.customer_id", true, func(v *CustomerAttributeValue) *int { return &v.CustomerID }),
	intCol("attribute_id", "v.attribute_id", true, func(v *CustomerAttributeValue) *int { return &v.AttributeID }),
	textCol("value", "v.value", func(v *CustomerAttributeValue) *string { return &v.Value }),
	timeCol("date_created", "v.date_created", func(v *CustomerAttributeValue) *time.Time { return &v.DateCreated }),
	timeCol("date_modified", "v.date_modified", func(v *CustomerAttributeValue) *time.Time { return &v.DateModified }),
}

var attributeFields = []column[*CustomerAttribute]{
	intCol("id", "t.id", true, func(a *CustomerAttribute) *int { return &a.ID }),
	textCol("name", "t.name", func(a *CustomerAttribute) *string { return &a.Name }),
	enumCol("type", "t.type", func(a *CustomerAttribute) *CustomerAttributeType { return &a.Type }),
	timeCol("date_created", "t.date_created", func(a *CustomerAttribute) *time.Time { return &a.DateCreated }),
	timeCol("date_modified", "t.date_modified", func(a *CustomerAttribute) *time.Time { return &a.DateModified }),
}

var formFieldValueFields = []column[*CustomerFormFieldValue]{
	intCol("id", "v.id", true, func(v *CustomerFormFieldValue) *int { return &v.ID }),
	intCol("form_field_id", "v.form_field_id", true, func(v *CustomerFormFieldValue) *int { return &v.FormFieldID }),
	{name: "name", expr: "f.name", key: true, set: func(f *CustomerFormFieldValue, v any) (err error) { // orders the lists
		f.Name, err = text(v)
		return err
	}},
	{name: "value", expr: "v.value", set: func(f *CustomerFormFieldValue, v any) error {
		s, err := text(v)
		f.Value = FormValue{raw: []byte(s)}
		return err
	}},
	optIntCol("customer_id", "v.customer_id", true, func(v *CustomerFormFieldValue) **int { return &v.CustomerID }),
	optIntCol("address_id", "v.address_id", true, func(v *CustomerFormFieldValue) **int { return &v.AddressID }),
}

var formFieldFields = []column[*CustomerFormField]{
	intCol("id", "f.id", true, func(f *CustomerFormField) *int { return &f.ID }),
	textCol("name", "f.name", func(f *CustomerFormField) *string { return &f.Name }),
	textCol("label", "f.label", func(f *CustomerFormField) *string { return &f.Label }),
	enumCol("type", "f.type", func(f *CustomerFormField) *CustomerFormFieldType { return &f.Type }),
	enumCol("applies_to", "f.applies_to", func(f *CustomerFormField) *CustomerFormFieldScope { return &f.AppliesTo }),
	boolCol("required", "f.required", func(f *CustomerFormField) *bool { return &f.Required }),
	jsonCol("options", "f.options", (*CustomerFormField).setOptions),
	timeCol("date_created", "f.date_created", func(f *CustomerFormField) *time.Time { return &f.DateCreated }),
	timeCol("date_modified", "f.date_modified", func(f *CustomerFormField) *time.Time { return &f.DateModified }),
}

var groupFields = []column[*CustomerGroup]{
	intCol("id", "g.id", true, func(g *CustomerGroup) *int { return &g.ID }),
	textCol("name", "g.name", func(g *CustomerGroup) *string { return &g.Name }),
	boolCol("is_default", "g.is_default", func(g *CustomerGroup) *bool { return &g.IsDefault }),
	boolCol("is_group_for_guests", "g.is_group_for_guests", func(g *CustomerGroup) *bool { return &g.IsGroupForGuests }),
	enumCol("category_access_type", "g.category_access_type", func(g *CustomerGroup) *CategoryAccessType { return &g.CategoryAccess.Type }),
	jsonCol("category_access_categories", "g.category_access_categories", (*CustomerGroup).setCategories),
	jsonCol("discount_rules", "g.discount_rules", (*CustomerGroup).setDiscountRules),
	timeCol("date_created", "g.date_created", func(g *CustomerGroup) *time.Time { return &g.DateCreated }),
	timeCol("date_modified", "g.date_modified", func(g *CustomerGroup) *time.Time { return &g.DateModified }),
}

// The lookups. The DB's methods of the same names document them.

func (v *View) FindCustomers(ctx context.Context, f CustomerFilter, s CustomerSort, req PageRequest) (*Page[*Customer], error) {
	w, err := v.db.customerWhere(ctx, &f)
	if err != nil {
		return nil, err
	}
	return findPage(ctx, v.db, v.customers, w, s.ordering(), req)
}

func (v *View) FindCustomersByGroupIDs(ctx context.Context, groupIDs []int, f CustomerFilter, s CustomerSort, req PageRequest) (map[int]*Page[*Customer], error) {
	w, err := v.db.customerWhere(ctx, &f)
	if err != nil {
		return nil, err
	}
	return findPages(ctx, v.db, v.customers, w, s.ordering(), req, "c.customer_group_id", groupIDs)
}

func (v *View) FindCustomerByID(ctx context.Context, id int) (*Customer, error) {
	return findOne(ctx, v.db, v.customers, "c.id", id, "Customer not found.")
}

func (v *View) FindCustomersByIDs(ctx context.Context, ids []int) (map[int]*Customer, error) {
	return findByIDs(ctx, v.db, v.db.reader, v.customers, "c.id", ids, func(c *Customer) int { return c.ID })
}

func (v *View) FindAddressesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*CustomerAddress, error) {
	return findByParents(ctx, v.db, v.db.reader, v.addresses, "a.customer_id", ids, func(a *CustomerAddress) int { return a.CustomerID }, addressOrder)
}

func (v *View) FindAttributeValuesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*CustomerAttributeValue, error) {
	return findByParents(ctx, v.db, v.db.reader, v.attributeValues, "v.customer_id", ids,
		func(a *CustomerAttributeValue) int { return a.CustomerID }, attributeValueOrder)
}

func (v *View) FindAttributesByIDs(ctx context.Context, ids []int) (map[int]*CustomerAttribute, error) {
	return findByIDs(ctx, v.db, v.db.reader, v.attributes, "t.id", ids, func(a *CustomerAttribute) int { return a.ID })
}

func (v *View) FindFormFieldValuesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*CustomerFormFieldValue, error) {
	return findByParents(ctx, v.db, v.db.reader, v.formFieldValues, "v.customer_id", ids,
		func(f *CustomerFormFieldValue) int { return *f.CustomerID }, formFieldValueOrder)
}

func (v *View) FindFormFieldValuesByAddressIDs(ctx context.Context, ids []int) (map[int][]*CustomerFormFieldValue, error) {
	return findByParents(ctx, v.db, v.db.reader, v.formFieldValues, "v.address_id", ids,
		func(f *CustomerFormFieldValue) int { return *f.AddressID }, formFieldValueOrder)
}

func (v *View) FindFormFieldsByIDs(ctx context.Context, ids []int) (map[int]*CustomerFormField, error) {
	return findByIDs(ctx, v.db, v.db.reader, v.formFields, "f.id", ids, func(f *CustomerFormField) int { return f.ID })
}

func (v *View) FindGroupsByIDs(ctx context.Context, ids []int) (map[int]*CustomerGroup, error) {
	return findByIDs(ctx, v.db, v.db.reader, v.groups, "g.id", ids, func(g *CustomerGroup) int { return g.ID })
}
