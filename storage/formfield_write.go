package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// FormFieldInput is a form field definition to create.
type FormFieldInput struct {
	Name      string
	Label     string
	Type      CustomerFormFieldType
	AppliesTo CustomerFormFieldScope
	Required  bool
	Options   []string
}

// FormFieldUpdate changes a form field definition; nil fields are left
// alone. Type may be given only as the current type: values were checked
// against it.
type FormFieldUpdate struct {
	ID       int
	Name     *string
	Label    *string
	Type     *CustomerFormFieldType
	Required *bool
	Options  []string // nil: unchanged
}

// choiceTypes are the form field types whose values come from Options.
var choiceTypes = []CustomerFormFieldType{FormFieldCheckboxes, FormFieldRadioButtons, FormFieldPicklist}

// formField checks a form field definition.
func (ic *itemChecker) formField(f *CustomerFormField) {
	ic.text("name", f.Name, 1, 100, false)
	ic.text("label", f.Label, 0, 255, false)
	if !valid(f.Type, formFieldTypes) {
		ic.fail(EINVALID, "type", "Not a form field type.")
	}
	if !valid(f.AppliesTo, formFieldScopes) {
		ic.fail(EINVALID, "appliesTo", "Must be customer or address.")
	}
	choice := slices.Contains(choiceTypes, f.Type)
	switch {
	case choice && len(f.Options) == 0:
		ic.fail(EREQUIRED, "options", "A %s field needs its options.", f.Type)
	case !choice && len(f.Options) > 0:
		ic.fail(EINVALID, "options", "Only checkbox, radio button and picklist fields have options.")
	case len(f.Options) > 100:
		ic.fail(ETOOMANYITEMS, "options", "At most 100 options.")
	}
	seen := map[string]bool{}
	for j, o := range f.Options {
		ic.text(fmt.Sprintf("options.%d", j), o, 1, 255, false)
		if seen[o] {
			ic.fail(ECONFLICT, fmt.Sprintf("options.%d", j), "The option %q is given twice.", truncate(o, 40))
		}
		seen[o] = true
	}
}

// CreateFormFields creates form field definitions, all or none. It returns
// Errors: CONFLICT for a name in use, and the field codes.
func (db *DB) CreateFormFields(ctx context.Context, in []FormFieldInput) ([]*CustomerFormField, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	out := make([]*CustomerFormField, len(in))
	names := make([]string, len(in))
	for i, f := range in {
		out[i] = &CustomerFormField{Name: f.Name, Label: f.Label, Type: f.Type, AppliesTo: f.AppliesTo, Required: f.Required,
			Options: f.Options}
		if out[i].Options == nil {
			out[i].Options = []string{}
		}
		c.item("input", i).formField(out[i])
		names[i] = f.Name
	}
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.checkFormFieldNames(ctx, &c, names, nil); err != nil {
		return nil, err
	}
	if c.err() != nil {
		return nil, c.err()
	}
	for _, f := range out {
		f.DateCreated, f.DateModified = tx.now, tx.now
		if err := tx.insertFormField(ctx, f); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// checkFormFieldNames reports names used by form fields other than ids[i]
// (nil: new fields), or twice in the batch, as CONFLICT.
func (tx *Tx) checkFormFieldNames(ctx context.Context, c *checker, names []string, ids []int) error {
	taken, err := tx.formFieldsByName(ctx, names)
	if err != nil {
		return err
	}
	first := map[string]int{}
	for i, name := range names {
		self := 0
		if ids != nil {
			self = ids[i]
		}
		if f := taken[name]; f != nil && f.ID != self {
			c.item("input", i).fail(ECONFLICT, "name", "Another form field is named %q.", truncate(name, 60))
		} else if j, dup := first[name]; dup {
			c.item("input", i).fail(ECONFLICT, "name", "The name %q is also given to item %d of this batch.", truncate(name, 60), j)
		} else {
			first[name] = i
		}
	}
	return nil
}

// UpdateFormFields changes form field definitions, all or none. Removing an
// option that stored values use is INVALID, so no value is left invalid. It
// returns Errors: NOT_FOUND, IMMUTABLE for a changed type, CONFLICT for a
// name in use, and the field codes.
func (db *DB) UpdateFormFields(ctx context.Context, in []FormFieldUpdate) ([]*CustomerFormField, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	ids := make([]int, len(in))
	for i, u := range in {
		ids[i] = u.ID
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	current, err := byID(ctx, tx, formFieldList, "f.id", ids, func(f *CustomerFormField) int { return f.ID })
	if err != nil {
		return nil, err
	}
	next := make([]*CustomerFormField, len(in))
	names := make([]string, len(in))
	seen := map[int]int{}
	for i, u := range in {
		ic := c.item("input", i)
		old := current[u.ID]
		if old == nil {
			ic.fail(ENOTFOUND, "id", "There is no form field %d.", u.ID)
			continue
		}
		if j, dup := seen[u.ID]; dup {
			ic.fail(ECONFLICT, "id", "The form field %d is also updated by item %d of this batch.", u.ID, j)
		}
		seen[u.ID] = i
		if u.Type != nil && *u.Type != old.Type {
			ic.fail(EIMMUTABLE, "type", "A form field's type cannot change; delete it and create it again.")
		}
		n := *old
		setString(&n.Name, u.Name)
		setString(&n.Label, u.Label)
		if u.Required != nil {
			n.Required = *u.Required
		}
		if u.Options != nil {
			n.Options = u.Options
			if err := tx.checkOptionsInUse(ctx, ic, old, n.Options); err != nil {
				return nil, err
			}
		}
		ic.formField(&n)
		next[i], names[i] = &n, n.Name
	}
	if err := tx.checkFormFieldNames(ctx, &c, names, ids); err != nil {
		return nil, err
	}
	if c.err() != nil {
		return nil, c.err()
	}
	for _, n := range next {
		n.DateModified = tx.now
		options, _ := json.Marshal(n.Options)
		if _, err := tx.exec(ctx, `UPDATE customer_form_fields SET name = ?, label = ?, required = ?, options = ?,
			date_modified = ? WHERE id = ?`, n.Name, n.Label, n.Required, string(options), formatTime(n.DateModified), n.ID); err != nil {
			return nil, fmt.Errorf("update form field: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return next, nil
}

// checkOptionsInUse fails when a stored value of the field uses an option
// that options no longer holds.
func (tx *Tx) checkOptionsInUse(ctx context.Context, ic *itemChecker, f *CustomerFormField, options []string) error {
	removed := []string{}
	for _, o := range f.Options {
		if !slices.Contains(options, o) {
			removed = append(removed, o)
		}
	}
	if len(removed) == 0 {
		return nil
	}
	// Values are JSON: a string, or an array of strings.
	stmt, args := `SELECT COUNT(*) FROM customer_form_field_values v WHERE v.form_field_id = ? AND (
		v.value IN (SELECT json_quote(value) FROM json_each(?))
		OR EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type(v.value) = 'array' THEN v.value ELSE '[]' END) x
			WHERE `+inList("x.value")+`))`, []any{f.ID, jsonArray(removed), listArg(removed)}
	if tx.db.pg {
		stmt, args = `SELECT COUNT(*) FROM customer_form_field_values v WHERE v.form_field_id = ? AND CASE jsonb_typeof(v.value::jsonb)
			WHEN 'string' THEN v.value::jsonb #>> '{}' = ANY(?) WHEN 'array' THEN jsonb_exists_any(v.value::jsonb, ?) ELSE FALSE END`,
			[]any{f.ID, removed, removed}
	}
	n, err := tx.count(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("check options in use: %w", err)
	}
	if n > 0 {
		ic.fail(EINVALID, "options", "%d stored values use an option this update removes.", n)
	}
	return nil
}

// DeleteFormFields deletes form field definitions with every value of
// them, and returns the ids it deleted.
func (db *DB) DeleteFormFields(ctx context.Context, ids []int) ([]int, error) {
	return db.deleteByID(ctx, "customer_form_fields", ids, nil)
}

// UpsertFormFieldValues sets form field values of customers and addresses,
// all or none: the value of a (customer, field) or (address, field) pair is
// replaced when it exists and created when not (../API.md decision 10). It
// returns Errors: REQUIRED or INVALID without exactly one owner, NOT_FOUND
// for an unknown owner or field name, INVALID for a value that does not suit
// the field, CONFLICT for a pair given twice.
func (db *DB) UpsertFormFieldValues(ctx context.Context, in []FormFieldValueInput) ([]*CustomerFormFieldValue, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	var customers, addresses []int
	for i, v := range in {
		ic := c.item("input", i)
		switch {
		case v.CustomerID == nil && v.AddressID == nil:
			ic.fail(EREQUIRED, "customerId", "Give customerId or addressId.")
		case v.CustomerID != nil && v.AddressID != nil:
			ic.fail(EINVALID, "addressId", "Give customerId or addressId, not both.")
		case v.CustomerID != nil:
			customers = append(customers, *v.CustomerID)
		default:
			addresses = append(addresses, *v.AddressID)
		}
	}
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	foundCustomers, err := tx.existing(ctx, "customers", customers)
	if err != nil {
		return nil, err
	}
	foundAddresses, err := tx.existing(ctx, "customer_addresses", addresses)
	if err != nil {
		return nil, err
	}
	defs, err := tx.formFieldsByName(ctx, formFieldNames(in))
	if err != nil {
		return nil, err
	}
	out := make([]*CustomerFormFieldValue, len(in))
	first := map[string]int{}
	for i, v := range in {
		ic := c.item("input", i)
		scope, owner := FormFieldOnCustomer, ""
		if v.CustomerID != nil {
			owner = fmt.Sprintf("c%d", *v.CustomerID)
			if !foundCustomers[*v.CustomerID] {
				ic.fail(ENOTFOUND, "customerId", "There is no customer %d.", *v.CustomerID)
			}
		} else {
			scope, owner = FormFieldOnAddress, fmt.Sprintf("a%d", *v.AddressID)
			if !foundAddresses[*v.AddressID] {
				ic.fail(ENOTFOUND, "addressId", "There is no address %d.", *v.AddressID)
			}
		}
		def := defs[v.Name]
		switch {
		case def == nil:
			ic.fail(ENOTFOUND, "name", "There is no form field named %q.", truncate(v.Name, 60))
			continue
		case def.AppliesTo != "" && def.AppliesTo != scope:
			ic.fail(EINVALID, "name", "The form field %q belongs on %ss, not %ss.", def.Name, def.AppliesTo, scope)
			continue
		}
		if j, dup := first[owner+"\x00"+v.Name]; dup {
			ic.fail(ECONFLICT, "name", "Item %d of this batch sets the same value.", j)
		}
		first[owner+"\x00"+v.Name] = i
		out[i] = &CustomerFormFieldValue{FormFieldID: def.ID, Name: def.Name, Value: ic.formValue("value", def, v.Value),
			CustomerID: v.CustomerID, AddressID: v.AddressID}
	}
	if c.err() != nil {
		return nil, c.err()
	}
	for _, v := range out {
		if err := tx.upsertFormFieldValue(ctx, v); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}
