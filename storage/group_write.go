package storage

import (
	"context"
	"fmt"
)

// GroupInput is a customer group to create (V2 POST /customer_groups).
type GroupInput struct {
	Name             string
	IsDefault        bool
	IsGroupForGuests bool
	// CategoryAccess defaults to every category.
	CategoryAccess *CategoryAccess
	DiscountRules  []DiscountRule
}

// GroupUpdate changes a customer group (V2 PUT); nil fields and unset
// Optionals are left alone, and DiscountRules, when set, replaces the list
// whole (domain/customers-spec.md §3.14).
type GroupUpdate struct {
	ID               int
	Name             *string
	IsDefault        *bool
	IsGroupForGuests *bool
	CategoryAccess   *CategoryAccess
	DiscountRules    Optional[[]DiscountRule]
}

// group checks a group's fields.
func (ic *itemChecker) group(g *CustomerGroup) {
	ic.text("name", g.Name, 1, 255, false)
	ca := ic.at("categoryAccess")
	switch g.CategoryAccess.Type {
	case CategoryAccessSpecific:
		if len(g.CategoryAccess.Categories) == 0 {
			ca.fail(EREQUIRED, "categories", "SPECIFIC access lists its categories.")
		}
	case CategoryAccessAll, CategoryAccessNone:
		if len(g.CategoryAccess.Categories) > 0 {
			ca.fail(EINVALID, "categories", "Only SPECIFIC access lists categories.")
		}
	default:
		ca.fail(EINVALID, "type", "Must be all, specific or none.")
	}
	for _, id := range g.CategoryAccess.Categories {
		if id < 1 {
			ca.fail(EINVALID, "categories", "Category ids are 1 or more.")
			break
		}
	}
	if !distinctInts(g.CategoryAccess.Categories) {
		ca.fail(EINVALID, "categories", "A category is given twice.")
	}
	if len(g.DiscountRules) > 100 {
		ic.fail(ETOOMANYITEMS, "discountRules", "At most 100 discount rules.")
	}
	for j, r := range g.DiscountRules {
		ic.at("discountRules", j).discountRule(r)
	}
}

// discountRule checks one rule: a price list rule names only its price
// list; the others have a method and an amount, and a category or product
// rule names its category or product.
func (ic *itemChecker) discountRule(r DiscountRule) {
	if !valid(r.Type, discountRuleTypes) {
		ic.fail(EINVALID, "type", "Not a discount rule type.")
		return
	}
	if r.Type == DiscountPriceList {
		if r.PriceListID == nil || *r.PriceListID < 1 {
			ic.fail(EREQUIRED, "priceListId", "A PRICE_LIST rule names its price list.")
		}
		if r.Method != nil || r.Amount != nil || r.CategoryID != nil || r.ProductID != nil {
			ic.fail(EINVALID, "type", "A PRICE_LIST rule has only a priceListId.")
		}
		return
	}
	if r.PriceListID != nil {
		ic.fail(EINVALID, "priceListId", "Only a PRICE_LIST rule has a price list.")
	}
	switch {
	case r.Method == nil:
		ic.fail(EREQUIRED, "method", "Required.")
	case !valid(*r.Method, discountMethods):
		ic.fail(EINVALID, "method", "Not a discount method.")
	}
	switch {
	case r.Amount == nil:
		ic.fail(EREQUIRED, "amount", "Required.")
	case *r.Amount < 0:
		ic.fail(EINVALID, "amount", "Amounts are 0 or more.")
	case r.Method != nil && *r.Method == DiscountPercent && *r.Amount > 100:
		ic.fail(EINVALID, "amount", "A percentage is at most 100.")
	default:
		if _, err := amountToUnits(*r.Amount); err != nil {
			ic.fail(EINVALID, "amount", "Amounts have at most four decimal places.")
		}
	}
	need := map[DiscountRuleType]struct {
		field string
		v     *int
	}{DiscountCategory: {"categoryId", r.CategoryID}, DiscountProduct: {"productId", r.ProductID}}
	for typ, f := range need {
		switch {
		case r.Type == typ && (f.v == nil || *f.v < 1):
			ic.fail(EREQUIRED, f.field, "A %s rule names its %s.", gqlName(typ), f.field)
		case r.Type != typ && f.v != nil:
			ic.fail(EINVALID, f.field, "Only a %s rule has a %s.", gqlName(typ), f.field)
		}
	}
}

// CreateGroup creates a customer group. Making it the default or the guest
// group takes that role from the group that had it (../API.md decision
// 13). It returns Errors: CONFLICT for a name in use, and the field codes.
func (db *DB) CreateGroup(ctx context.Context, in GroupInput) (*CustomerGroup, error) {
	return db.writeGroup(ctx, 0, func(*CustomerGroup) *CustomerGroup {
		g := &CustomerGroup{Name: in.Name, IsDefault: in.IsDefault, IsGroupForGuests: in.IsGroupForGuests,
			CategoryAccess: CategoryAccess{Type: CategoryAccessAll}, DiscountRules: in.DiscountRules}
		if in.CategoryAccess != nil {
			g.CategoryAccess = *in.CategoryAccess
		}
		return g
	})
}

// UpdateGroup changes a customer group. It returns Errors: NOT_FOUND for
// an unknown id, CONFLICT for a name in use, and the field codes.
func (db *DB) UpdateGroup(ctx context.Context, u GroupUpdate) (*CustomerGroup, error) {
	return db.writeGroup(ctx, u.ID, func(old *CustomerGroup) *CustomerGroup {
		g := *old
		setString(&g.Name, u.Name)
		if u.IsDefault != nil {
			g.IsDefault = *u.IsDefault
		}
		if u.IsGroupForGuests != nil {
			g.IsGroupForGuests = *u.IsGroupForGuests
		}
		if u.CategoryAccess != nil {
			g.CategoryAccess = *u.CategoryAccess
		}
		if u.DiscountRules.Set {
			g.DiscountRules = u.DiscountRules.Value
		}
		return &g
	})
}

// writeGroup inserts a group (id 0) or updates group id, in one
// transaction: build makes the group to write from the stored one (nil for
// a new group), and it is checked before anything is written.
func (db *DB) writeGroup(ctx context.Context, id int, build func(old *CustomerGroup) *CustomerGroup) (*CustomerGroup, error) {
	var c checker
	ic := c.root("input")
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var old *CustomerGroup
	if id != 0 {
		found, err := byID(ctx, tx, groupList, "g.id", []int{id}, func(g *CustomerGroup) int { return g.ID })
		if err != nil {
			return nil, err
		}
		if old = found[id]; old == nil {
			ic.fail(ENOTFOUND, "id", "There is no customer group %d.", id)
			return nil, c.err()
		}
	}
	g := build(old)
	if g.CategoryAccess.Categories == nil {
		g.CategoryAccess.Categories = []int{}
	}
	if g.DiscountRules == nil {
		g.DiscountRules = []DiscountRule{}
	}
	ic.group(g)
	if c.err() != nil {
		return nil, c.err()
	}
	owner, err := queryTx(ctx, tx, scanInt, `SELECT id FROM customer_groups WHERE name_fold = ?`, Fold(g.Name))
	if err != nil {
		return nil, fmt.Errorf("check group name: %w", err)
	}
	if len(owner) > 0 && owner[0] != g.ID {
		ic.fail(ECONFLICT, "name", "Another customer group is named %q.", truncate(g.Name, 60))
		return nil, c.err()
	}
	if g.IsDefault {
		if _, err := tx.exec(ctx, `UPDATE customer_groups SET is_default = 0 WHERE is_default = 1 AND id != ?`, g.ID); err != nil {
			return nil, fmt.Errorf("move default group: %w", err)
		}
	}
	if g.IsGroupForGuests {
		if _, err := tx.exec(ctx, `UPDATE customer_groups SET is_group_for_guests = 0 WHERE is_group_for_guests = 1 AND id != ?`, g.ID); err != nil {
			return nil, fmt.Errorf("move guest group: %w", err)
		}
	}
	g.DateModified = tx.now
	if old == nil {
		g.DateCreated = tx.now
		if err := tx.insertGroup(ctx, g); err != nil {
			return nil, err
		}
	} else {
		rules, err := groupRules(g.DiscountRules)
		if err != nil {
			return nil, err
		}
		if _, err := tx.exec(ctx, `UPDATE customer_groups SET name = ?, name_fold = ?, is_default = ?, is_group_for_guests = ?,
			category_access_type = ?, category_access_categories = ?, discount_rules = ?, date_modified = ? WHERE id = ?`,
			g.Name, Fold(g.Name), g.IsDefault, g.IsGroupForGuests, string(g.CategoryAccess.Type),
			jsonArray(g.CategoryAccess.Categories), rules, formatTime(g.DateModified), g.ID); err != nil {
			return nil, fmt.Errorf("update group: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return g, nil
}

// DeleteGroups deletes customer groups and returns the ids it deleted; their
// customers are left in no group (../API.md decision 13).
func (db *DB) DeleteGroups(ctx context.Context, ids []int) ([]int, error) {
	return db.deleteByID(ctx, "customer_groups", ids, nil)
}
