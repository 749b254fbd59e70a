package storage

import (
	"context"
	"fmt"
	"slices"
)

// MetafieldInput is a metafield to create on a customer.
type MetafieldInput struct {
	CustomerID    int
	Namespace     string
	Key           string
	Value         string
	Description   string
	PermissionSet MetafieldPermissionSet
}

// MetafieldUpdate changes a metafield; nil fields are left alone.
// CustomerID, when set, must be the metafield's customer (a REST path
// names both).
type MetafieldUpdate struct {
	ID            int
	CustomerID    *int
	Namespace     *string
	Key           *string
	Value         *string
	Description   *string
	PermissionSet *MetafieldPermissionSet
}

// metafield checks a metafield's own fields.
func (ic *itemChecker) metafield(m *CustomerMetafield) {
	ic.text("namespace", m.Namespace, 1, maxMetafieldName, false)
	ic.text("key", m.Key, 1, maxMetafieldName, false)
	ic.text("value", m.Value, 1, maxMetafieldValue, true)
	ic.text("description", m.Description, 0, maxMetafieldDescription, false)
	switch {
	case m.PermissionSet == "":
		ic.fail(EREQUIRED, "permissionSet", "Required.")
	case !valid(m.PermissionSet, MetafieldPermissionSets):
		ic.fail(EINVALID, "permissionSet", "Must be app_only, read, write, read_and_sf_access or write_and_sf_access.")
	}
}

// metafieldKey is the identity of a metafield: one per customer, owner,
// namespace and key.
func metafieldKey(m *CustomerMetafield) string {
	return fmt.Sprintf("%d\x00%d\x00%s\x00%s", m.CustomerID, m.OwnerTokenID, m.Namespace, m.Key)
}

// CreateMetafields creates metafields owned by the viewer's API token, all
// or none. It returns Errors: REQUIRED, TOO_LONG and INVALID for the
// fields, NOT_FOUND for an unknown customer, CONFLICT for a namespace and
// key the token already uses on the customer (or that the batch gives
// twice), LIMIT_EXCEEDED past MaxMetafieldsPerOwner, and INVALID (on the
// whole batch) when the viewer is not an API token.
func (db *DB) CreateMetafields(ctx context.Context, v MetafieldViewer, in []MetafieldInput) ([]*CustomerMetafield, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	if v.TokenID == 0 {
		return nil, Errorf(EINVALID, "Only API tokens keep metafields.")
	}
	rows := make([]*CustomerMetafield, len(in))
	for i, x := range in {
		rows[i] = &CustomerMetafield{CustomerID: x.CustomerID, OwnerTokenID: v.TokenID, Namespace: x.Namespace, Key: x.Key,
			Value: x.Value, Description: x.Description, PermissionSet: x.PermissionSet}
		c.item("input", i).metafield(rows[i])
	}
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	customers := make([]int, len(rows))
	for i, m := range rows {
		customers[i] = m.CustomerID
	}
	found, err := tx.existing(ctx, "customers", customers)
	if err != nil {
		return nil, err
	}
	taken, counts, err := tx.metafieldKeys(ctx, v.TokenID, customers)
	if err != nil {
		return nil, err
	}
	first := map[string]int{}
	for i, m := range rows {
		ic := c.item("input", i)
		if !found[m.CustomerID] {
			ic.fail(ENOTFOUND, "customerId", "There is no customer %d.", m.CustomerID)
			continue
		}
		k := metafieldKey(m)
		if _, dup := taken[k]; dup {
			ic.fail(ECONFLICT, "key", "This token already keeps the key %q in the namespace %q on customer %d.",
				truncate(m.Key, 40), truncate(m.Namespace, 40), m.CustomerID)
		} else if j, dup := first[k]; dup {
			ic.fail(ECONFLICT, "key", "Item %d of this batch gives the same namespace and key.", j)
		} else {
			first[k] = i
		}
		if counts[m.CustomerID]++; counts[m.CustomerID] > MaxMetafieldsPerOwner {
			ic.fail(ELIMITEXCEEDED, "customerId", "A token keeps at most %d metafields on a customer.", MaxMetafieldsPerOwner)
		}
	}
	if c.err() != nil {
		return nil, c.err()
	}
	for _, m := range rows {
		m.DateCreated, m.DateModified = tx.now, tx.now
		id, err := tx.insert(ctx, `INSERT INTO customer_metafields (customer_id, owner_token_id, namespace, key, value, description,
			permission_set, date_created, date_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.CustomerID, m.OwnerTokenID, m.Namespace, m.Key, m.Value, m.Description, string(m.PermissionSet),
			formatTime(m.DateCreated), formatTime(m.DateModified))
		if err != nil {
			return nil, fmt.Errorf("create metafield: %w", err)
		}
		m.ID = int(id)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return rows, nil
}

// metafieldKeys returns the identities of the owner's metafields on the
// customers (mapped to their ids), and how many each customer holds.
func (tx *Tx) metafieldKeys(ctx context.Context, owner int, customers []int) (map[string]int, map[int]int, error) {
	all, err := queryTx(ctx, tx, metafieldList.scanRow, `SELECT `+metafieldColumns+` FROM customer_metafields m
		WHERE m.owner_token_id = ? AND `+inList("m.customer_id"), owner, listArg(customers))
	if err != nil {
		return nil, nil, fmt.Errorf("find metafields: %w", err)
	}
	keys, counts := map[string]int{}, map[int]int{}
	for _, m := range all {
		keys[metafieldKey(m)] = m.ID
		counts[m.CustomerID]++
	}
	return keys, counts, nil
}

// visibleMetafields returns the metafields with the ids that v may see.
func (tx *Tx) visibleMetafields(ctx context.Context, v MetafieldViewer, ids []int) (map[int]*CustomerMetafield, error) {
	var w where
	v.conditions(&w)
	in(&w, "m.id", ids)
	all, err := queryTx(ctx, tx, metafieldList.scanRow, `SELECT `+metafieldColumns+` FROM customer_metafields m`+w.sql(), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find metafields: %w", err)
	}
	out := make(map[int]*CustomerMetafield, len(all))
	for _, m := range all {
		out[m.ID] = m
	}
	return out, nil
}

// mayChange checks that the viewer may change m: its owner may change all
// of it; another token may change the value and description of a write
// metafield (the owner's namespace, key and permission set stay its own).
func (ic *itemChecker) mayChange(v MetafieldViewer, m *CustomerMetafield, ownFields bool) {
	switch {
	case m.OwnerTokenID == v.TokenID:
	case !m.PermissionSet.writable():
		ic.fail(EIMMUTABLE, "id", "Only the token that created metafield %d may change it (its permission set is %s).",
			m.ID, m.PermissionSet)
	case ownFields:
		ic.fail(EIMMUTABLE, "id", "Only the token that created metafield %d may change its namespace, key or permission set.", m.ID)
	}
}

// UpdateMetafields changes metafields, all or none. It returns Errors:
// NOT_FOUND for an id the viewer cannot see (or of another customer than
// CustomerID), IMMUTABLE for a change the viewer may not make, CONFLICT for
// a namespace and key the owner already uses on the customer, and the
// field codes of CreateMetafields. Only changed metafields get a new
// dateModified.
func (db *DB) UpdateMetafields(ctx context.Context, v MetafieldViewer, in []MetafieldUpdate) ([]*CustomerMetafield, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	if v.TokenID == 0 {
		return nil, Errorf(EINVALID, "Only API tokens keep metafields.")
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ids := make([]int, len(in))
	for i, u := range in {
		ids[i] = u.ID
	}
	current, err := tx.visibleMetafields(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	next := make([]*CustomerMetafield, len(in))
	var customers []int
	seen := map[int]int{}
	for i, u := range in {
		ic := c.item("input", i)
		old := current[u.ID]
		if old == nil || (u.CustomerID != nil && *u.CustomerID != old.CustomerID) {
			ic.fail(ENOTFOUND, "id", "There is no metafield %d.", u.ID)
			continue
		}
		if j, dup := seen[u.ID]; dup {
			ic.fail(ECONFLICT, "id", "Item %d of this batch changes the same metafield.", j)
		}
		seen[u.ID] = i
		n := *old
		setString(&n.Namespace, u.Namespace)
		setString(&n.Key, u.Key)
		setString(&n.Value, u.Value)
		setString(&n.Description, u.Description)
		if u.PermissionSet != nil {
			n.PermissionSet = *u.PermissionSet
		}
		ic.mayChange(v, old, n.Namespace != old.Namespace || n.Key != old.Key || n.PermissionSet != old.PermissionSet)
		ic.metafield(&n)
		next[i] = &n
		customers = append(customers, n.CustomerID)
	}
	if c.err() != nil {
		return nil, c.err()
	}
	// Keys are unique per owner; a batch may move keys among its own items.
	first := map[string]int{}
	for i, n := range next {
		k := metafieldKey(n)
		if j, dup := first[k]; dup {
			c.item("input", i).fail(ECONFLICT, "key", "Item %d of this batch gives the same namespace and key.", j)
		}
		first[k] = i
	}
	owners := map[int]bool{}
	for _, n := range next {
		owners[n.OwnerTokenID] = true
	}
	for owner := range owners {
		taken, _, err := tx.metafieldKeys(ctx, owner, customers)
		if err != nil {
			return nil, err
		}
		for i, n := range next {
			if n.OwnerTokenID != owner {
				continue
			}
			if id, dup := taken[metafieldKey(n)]; dup && id != n.ID && !slices.Contains(ids, id) {
				c.item("input", i).fail(ECONFLICT, "key", "The owner already keeps the key %q in the namespace %q on customer %d.",
					truncate(n.Key, 40), truncate(n.Namespace, 40), n.CustomerID)
			}
		}
	}
	if c.err() != nil {
		return nil, c.err()
	}
	// Free the keys that move first, so that a batch may swap two.
	for i, n := range next {
		if old := current[in[i].ID]; metafieldKey(old) != metafieldKey(n) {
			if _, err := tx.exec(ctx, `UPDATE customer_metafields SET key = CHAR(1) || id WHERE id = ?`, n.ID); err != nil {
				return nil, fmt.Errorf("update metafield: %w", err)
			}
		}
	}
	for i, n := range next {
		if *current[in[i].ID] == *n {
			continue
		}
		n.DateModified = tx.now
		if _, err := tx.exec(ctx, `UPDATE customer_metafields SET namespace = ?, key = ?, value = ?, description = ?,
			permission_set = ?, date_modified = ? WHERE id = ?`, n.Namespace, n.Key, n.Value, n.Description,
			string(n.PermissionSet), formatTime(n.DateModified), n.ID); err != nil {
			return nil, fmt.Errorf("update metafield: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return next, nil
}

// DeleteMetafields deletes the metafields with the ids and returns the ids
// it deleted; ids the viewer cannot see are ignored (../API.md decision 8).
// It returns IMMUTABLE, deleting nothing, for a metafield of another token
// whose permission set is not write or write_and_sf_access.
func (db *DB) DeleteMetafields(ctx context.Context, v MetafieldViewer, ids []int) ([]int, error) {
	var c checker
	if !c.batch("idIn", len(ids), true) {
		return nil, c.err()
	}
	if v.TokenID == 0 {
		return nil, Errorf(EINVALID, "Only API tokens keep metafields.")
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	found, err := tx.visibleMetafields(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	deleted := []int{}
	for i, id := range ids {
		m := found[id]
		if m == nil || slices.Contains(deleted, id) {
			continue
		}
		c.item("idIn", i).mayChange(v, m, false)
		deleted = append(deleted, id)
	}
	if c.err() != nil {
		for _, e := range c.errs {
			e.Field = "idIn"
		}
		return nil, c.err()
	}
	if _, err := tx.exec(ctx, `DELETE FROM customer_metafields WHERE `+inList("id"), listArg(deleted)); err != nil {
		return nil, fmt.Errorf("delete metafields: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return deleted, nil
}
