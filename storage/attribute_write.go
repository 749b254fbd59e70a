package storage

import (
	"context"
	"fmt"
)

// AttributeInput is an attribute definition to create (V3 POST
// /customers/attributes).
type AttributeInput struct {
	Name string
	Type CustomerAttributeType
}

// AttributeUpdate renames an attribute definition (V3 PUT
// /customers/attributes). Type may be given only as the current type: it is
// immutable (domain/customers-spec.md §3.5).
type AttributeUpdate struct {
	ID   int
	Name *string
	Type *CustomerAttributeType
}

// AttributeValueUpsert sets one customer's value of one attribute (V3 PUT
// /customers/attribute-values). ID, when given, must be the record of that
// customer and attribute (../API.md decision 9).
type AttributeValueUpsert struct {
	ID          *int
	CustomerID  int
	AttributeID int
	Value       string
}

// CreateAttributes creates attribute definitions, all or none. It returns
// Errors: REQUIRED, TOO_LONG, INVALID, CONFLICT for a name in use, and
// LIMIT_EXCEEDED past MaxAttributes.
func (db *DB) CreateAttributes(ctx context.Context, in []AttributeInput) ([]*CustomerAttribute, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	names := make([]string, len(in))
	for i, a := range in {
		ic := c.item("input", i)
		ic.text("name", a.Name, 1, 255, false)
		if !valid(a.Type, attributeTypes) {
			ic.fail(EINVALID, "type", "Must be string, number or date.")
		}
		names[i] = a.Name
	}
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM customer_attributes`)
	if err != nil {
		return nil, err
	}
	if n+len(in) > MaxAttributes {
		c.errs = append(c.errs, &Error{Code: ELIMITEXCEEDED, Field: "input", Index: -1,
			Message: fmt.Sprintf("A store has at most %d attributes; it has %d.", MaxAttributes, n)})
		return nil, c.err()
	}
	if err := tx.checkAttributeNames(ctx, &c, names, nil); err != nil {
		return nil, err
	}
	if c.err() != nil {
		return nil, c.err()
	}
	out := make([]*CustomerAttribute, len(in))
	for i, a := range in {
		out[i] = &CustomerAttribute{Name: a.Name, Type: a.Type, DateCreated: tx.now, DateModified: tx.now}
		if err := tx.insertAttribute(ctx, out[i]); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// checkAttributeNames reports names already used by attributes other than
// ids[i] (nil ids: new attributes), or twice in the batch, as CONFLICT.
func (tx *Tx) checkAttributeNames(ctx context.Context, c *checker, names []string, ids []int) error {
	type pair struct {
		name string
		id   int
	}
	taken, err := queryTx(ctx, tx, func(s rowScanner) (pair, error) {
		var p pair
		return p, s.Scan(&p.name, &p.id)
	}, `SELECT name, id FROM customer_attributes WHERE `+inList("name"), listArg(names))
	if err != nil {
		return fmt.Errorf("check attribute names: %w", err)
	}
	owner := map[string]int{}
	for _, p := range taken {
		owner[p.name] = p.id
	}
	first := map[string]int{}
	for i, name := range names {
		self := 0
		if ids != nil {
			self = ids[i]
		}
		if id, ok := owner[name]; ok && id != self {
			c.item("input", i).fail(ECONFLICT, "name", "Another attribute is named %q.", truncate(name, 60))
		} else if j, dup := first[name]; dup {
			c.item("input", i).fail(ECONFLICT, "name", "The name %q is also given to item %d of this batch.", truncate(name, 60), j)
		} else {
			first[name] = i
		}
	}
	return nil
}

// UpdateAttributes renames attribute definitions, all or none. It returns
// Errors: NOT_FOUND for an unknown id, IMMUTABLE for a changed type,
// CONFLICT for a name in use, and the field codes.
func (db *DB) UpdateAttributes(ctx context.Context, in []AttributeUpdate) ([]*CustomerAttribute, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	ids := make([]int, len(in))
	for i, u := range in {
		ids[i] = u.ID
		if u.Name != nil {
			c.item("input", i).text("name", *u.Name, 1, 255, false)
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
	current, err := byID(ctx, tx, attributeList, "t.id", ids, func(a *CustomerAttribute) int { return a.ID })
	if err != nil {
		return nil, err
	}
	next := make([]*CustomerAttribute, len(in))
	names := make([]string, len(in))
	seen := map[int]int{}
	for i, u := range in {
		ic := c.item("input", i)
		old := current[u.ID]
		if old == nil {
			ic.fail(ENOTFOUND, "id", "There is no attribute %d.", u.ID)
			continue
		}
		if j, dup := seen[u.ID]; dup {
			ic.fail(ECONFLICT, "id", "The attribute %d is also updated by item %d of this batch.", u.ID, j)
		}
		seen[u.ID] = i
		if u.Type != nil && *u.Type != old.Type {
			ic.fail(EIMMUTABLE, "type", "An attribute's type cannot change; delete it and create it again.")
		}
		n := *old
		setString(&n.Name, u.Name)
		next[i], names[i] = &n, n.Name
	}
	if err := tx.checkAttributeNames(ctx, &c, names, ids); err != nil {
		return nil, err
	}
	if c.err() != nil {
		return nil, c.err()
	}
	for i, n := range next {
		if n.Name == current[in[i].ID].Name {
			continue
		}
		n.DateModified = tx.now
		if _, err := tx.exec(ctx, `UPDATE customer_attributes SET name = ?, name_fold = ?, date_modified = ? WHERE id = ?`,
			n.Name, Fold(n.Name), formatTime(n.DateModified), n.ID); err != nil {
			return nil, fmt.Errorf("update attribute: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return next, nil
}

// DeleteAttributes deletes the attribute definitions with the ids, and
// every customer's values of them; it returns the ids it deleted.
func (db *DB) DeleteAttributes(ctx context.Context, ids []int) ([]int, error) {
	return db.deleteByID(ctx, "customer_attributes", ids, nil)
}

// UpsertAttributeValues sets attribute values, all or none: the value of a
// (customer, attribute) pair is updated when it exists and created when not
// (../API.md decision 9). It returns Errors: NOT_FOUND for an unknown
// customer, attribute or value id, INVALID for a value that does not suit
// its attribute's type or an id of another pair, CONFLICT for a pair given
// twice, TOO_LONG, TOO_MANY_ITEMS.
func (db *DB) UpsertAttributeValues(ctx context.Context, in []AttributeValueUpsert) ([]*CustomerAttributeValue, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	var customers, attrs, valueIDs []int
	for _, v := range in {
		customers, attrs = append(customers, v.CustomerID), append(attrs, v.AttributeID)
		if v.ID != nil {
			valueIDs = append(valueIDs, *v.ID)
		}
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
	defs, err := byID(ctx, tx, attributeList, "t.id", attrs, func(a *CustomerAttribute) int { return a.ID })
	if err != nil {
		return nil, err
	}
	byValueID, err := byID(ctx, tx, attributeValueList, "v.id", valueIDs, func(v *CustomerAttributeValue) int { return v.ID })
	if err != nil {
		return nil, err
	}
	existing, err := queryTx(ctx, tx, attributeValueList.scanRow, `SELECT `+attributeValueColumns+`
		FROM customer_attribute_values v WHERE `+inList("v.customer_id"), listArg(customers))
	if err != nil {
		return nil, fmt.Errorf("find attribute values: %w", err)
	}
	type pair struct{ customer, attribute int }
	byPair := map[pair]*CustomerAttributeValue{}
	for _, v := range existing {
		byPair[pair{v.CustomerID, v.AttributeID}] = v
	}
	first := map[pair]int{}
	for i, v := range in {
		ic := c.item("input", i)
		if !foundCustomers[v.CustomerID] {
			ic.fail(ENOTFOUND, "customerId", "There is no customer %d.", v.CustomerID)
		}
		def := defs[v.AttributeID]
		if def == nil {
			ic.fail(ENOTFOUND, "attributeId", "There is no attribute %d.", v.AttributeID)
		} else {
			ic.attributeValue("value", def.Type, v.Value)
		}
		p := pair{v.CustomerID, v.AttributeID}
		if j, dup := first[p]; dup {
			ic.fail(ECONFLICT, "attributeId", "Item %d of this batch sets the same customer's attribute.", j)
		}
		first[p] = i
		if v.ID != nil {
			switch rec := byValueID[*v.ID]; {
			case rec == nil:
				ic.fail(ENOTFOUND, "id", "There is no attribute value %d.", *v.ID)
			case rec.CustomerID != v.CustomerID || rec.AttributeID != v.AttributeID:
				ic.fail(EINVALID, "id", "The attribute value %d belongs to another customer or attribute.", *v.ID)
			}
		}
	}
	if c.err() != nil {
		return nil, c.err()
	}
	out := make([]*CustomerAttributeValue, len(in))
	for i, v := range in {
		rec := byPair[pair{v.CustomerID, v.AttributeID}]
		if rec == nil {
			rec = &CustomerAttributeValue{CustomerID: v.CustomerID, AttributeID: v.AttributeID, Value: v.Value,
				DateCreated: tx.now, DateModified: tx.now}
			if err := tx.insertAttributeValue(ctx, rec); err != nil {
				return nil, err
			}
		} else if rec.Value != v.Value {
			rec.Value, rec.DateModified = v.Value, tx.now
			if _, err := tx.exec(ctx, `UPDATE customer_attribute_values SET value = ?, date_modified = ? WHERE id = ?`,
				rec.Value, formatTime(rec.DateModified), rec.ID); err != nil {
				return nil, fmt.Errorf("update attribute value: %w", err)
			}
		}
		out[i] = rec
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAttributeValues deletes the attribute values with the ids and
// returns the ids it deleted.
func (db *DB) DeleteAttributeValues(ctx context.Context, ids []int) ([]int, error) {
	return db.deleteByID(ctx, "customer_attribute_values", ids, nil)
}
