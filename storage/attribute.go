package storage

import (
	"context"
	"fmt"
	"time"
)

// MaxAttributes is how many attribute definitions a store may hold
// (domain/customers-spec.md §3.5).
const MaxAttributes = 50

// CustomerAttribute is a store-wide attribute definition
// (domain/customers-spec.md §4.3).
type CustomerAttribute struct {
	ID           int
	Name         string
	Type         CustomerAttributeType
	DateCreated  time.Time
	DateModified time.Time
}

// CustomerAttributeValue is one customer's value of one attribute
// (domain/customers-spec.md §4.4). Value is text whatever the type.
type CustomerAttributeValue struct {
	ID           int
	CustomerID   int
	AttributeID  int
	Value        string
	DateCreated  time.Time
	DateModified time.Time
}

// CustomerAttributeFilter holds the V3 filters of the attribute list
// (domain/customers-spec.md §2.3), plus IDIn.
type CustomerAttributeFilter struct {
	IDIn         []int
	Name         *string
	NameLike     *string
	Type         *CustomerAttributeType
	DateCreated  TimeRange
	DateModified TimeRange
}

func (f *CustomerAttributeFilter) where() where {
	var w where
	in(&w, "t.id", f.IDIn)
	if f.Name != nil {
		w.add("t.name = ?", *f.Name)
	}
	if f.NameLike != nil {
		anyContains(&w, "t.name_fold", []string{*f.NameLike})
	}
	if f.Type != nil {
		w.add("t.type = ?", string(*f.Type))
	}
	addTimeRange(&w, "t.date_created", f.DateCreated)
	addTimeRange(&w, "t.date_modified", f.DateModified)
	return w
}

const attributeColumns = `t.id, t.name, t.type, t.date_created, t.date_modified`

func scanAttribute(s rowScanner, extra ...any) (*CustomerAttribute, error) {
	var (
		a                 CustomerAttribute
		created, modified string
	)
	if err := s.Scan(append([]any{&a.ID, &a.Name, &a.Type, &created, &modified}, extra...)...); err != nil {
		return nil, err
	}
	return &a, parseTimes(created, &a.DateCreated, modified, &a.DateModified)
}

// parseTimes parses the two stored dates of a row.
func parseTimes(created string, c *time.Time, modified string, m *time.Time) error {
	var err error
	if *c, err = parseTime(created); err != nil {
		return err
	}
	*m, err = parseTime(modified)
	return err
}

var attributeList = listDef[*CustomerAttribute]{
	name:    "attributes",
	from:    "customer_attributes t",
	columns: attributeColumns,
	scan:    scanAttribute,
}

// FindAttributes returns one page of the attribute definitions that match
// f, by id. It returns EINVALID for a bad page, limit or cursor.
func (db *DB) FindAttributes(ctx context.Context, f CustomerAttributeFilter, req PageRequest) (*Page[*CustomerAttribute], error) {
	return findPage(ctx, db, attributeList, f.where(), idOrder("t.id"), req)
}

// FindAttributesByIDs returns the attribute definitions with the ids, by id.
func (db *DB) FindAttributesByIDs(ctx context.Context, ids []int) (map[int]*CustomerAttribute, error) {
	return db.all.FindAttributesByIDs(ctx, ids)
}

// CustomerAttributeValueFilter holds the V3 filters of the attribute value
// list (domain/customers-spec.md §2.4), plus IDIn.
type CustomerAttributeValueFilter struct {
	IDIn          []int
	CustomerIDIn  []int
	AttributeIDIn []int
	// Name is the attribute's name.
	Name         *string
	DateCreated  TimeRange
	DateModified TimeRange
}

// where builds the filter's conditions, its date ranges marked as narrow.
func (f *CustomerAttributeValueFilter) where() where { return f.conditions(true, true) }

// conditions builds the filter's conditions, marking the date ranges as
// narrow or not (see addDateRange).
func (f *CustomerAttributeValueFilter) conditions(createdNarrow, modifiedNarrow bool) where {
	var w where
	in(&w, "v.id", f.IDIn)
	in(&w, "v.customer_id", f.CustomerIDIn)
	in(&w, "v.attribute_id", f.AttributeIDIn)
	if f.Name != nil {
		w.add("v.attribute_id IN (SELECT id FROM customer_attributes WHERE name = ?)", *f.Name)
	}
	addDateRange(&w, "v.date_created", f.DateCreated, createdNarrow)
	addDateRange(&w, "v.date_modified", f.DateModified, modifiedNarrow)
	return w
}

const attributeValueColumns = `v.id, v.customer_id, v.attribute_id, v.value, v.date_created, v.date_modified`

func scanAttributeValue(s rowScanner, extra ...any) (*CustomerAttributeValue, error) {
	var (
		v                 CustomerAttributeValue
		created, modified string
	)
	if err := s.Scan(append([]any{&v.ID, &v.CustomerID, &v.AttributeID, &v.Value, &created, &modified}, extra...)...); err != nil {
		return nil, err
	}
	return &v, parseTimes(created, &v.DateCreated, modified, &v.DateModified)
}

var attributeValueList = listDef[*CustomerAttributeValue]{
	name:    "attribute_values",
	from:    "customer_attribute_values v",
	columns: attributeValueColumns,
	scan:    scanAttributeValue,
}

// FindAttributeValues returns one page of the attribute values that match
// f, by id. It returns EINVALID for a bad page, limit or cursor.
func (db *DB) FindAttributeValues(ctx context.Context, f CustomerAttributeValueFilter, req PageRequest) (*Page[*CustomerAttributeValue], error) {
	created, modified, err := db.narrowRanges(ctx, "customer_attribute_values v", "v.date_created", f.DateCreated,
		"v.date_modified", f.DateModified)
	if err != nil {
		return nil, fmt.Errorf("find attribute values: %w", err)
	}
	return findPage(ctx, db, attributeValueList, f.conditions(created, modified), idOrder("v.id"), req)
}

// FindAttributeValuesByCustomerIDs returns every attribute value of each
// customer, by id.
func (db *DB) FindAttributeValuesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*CustomerAttributeValue, error) {
	return db.all.FindAttributeValuesByCustomerIDs(ctx, ids)
}
