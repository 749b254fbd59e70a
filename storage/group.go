package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// CustomerGroup is a customer group (V2 customerGroup_Full,
// domain/customers-spec.md §4.9).
type CustomerGroup struct {
	ID               int
	Name             string
	IsDefault        bool
	IsGroupForGuests bool
	CategoryAccess   CategoryAccess
	DiscountRules    []DiscountRule
	DateCreated      time.Time
	DateModified     time.Time
}

// CategoryAccess is a group's access to catalog categories.
type CategoryAccess struct {
	Type CategoryAccessType
	// Categories lists the visible categories when Type is specific.
	Categories []int
}

// DiscountRule is one discount rule of a group. Method and Amount are nil
// for a price list rule, which has PriceListID instead.
type DiscountRule struct {
	Type        DiscountRuleType
	Method      *DiscountMethod
	Amount      *float64
	PriceListID *int
	CategoryID  *int
	ProductID   *int
}

// storedRule is how a rule is kept in the discount_rules JSON column: the
// V2 names, the amount as a decimal string (money is never a float in the
// store).
type storedRule struct {
	Type        DiscountRuleType `json:"type"`
	Method      *DiscountMethod  `json:"method,omitempty"`
	Amount      *string          `json:"amount,omitempty"`
	PriceListID *int             `json:"price_list_id,omitempty"`
	CategoryID  *int             `json:"category_id,omitempty"`
	ProductID   *int             `json:"product_id,omitempty"`
}

// CustomerGroupFilter holds the V2 filters of the group list
// (domain/customers-spec.md §2.8), plus IDIn.
type CustomerGroupFilter struct {
	IDIn             []int
	Name             *string
	NameLike         *string
	IsDefault        *bool
	IsGroupForGuests *bool
	DateCreated      TimeRange
	DateModified     TimeRange
}

func (f *CustomerGroupFilter) where() where {
	var w where
	in(&w, "g.id", f.IDIn)
	if f.Name != nil {
		w.add("g.name = ?", *f.Name)
	}
	if f.NameLike != nil {
		anyContains(&w, "g.name_fold", []string{*f.NameLike})
	}
	if f.IsDefault != nil {
		w.add("g.is_default = ?", *f.IsDefault)
	}
	if f.IsGroupForGuests != nil {
		w.add("g.is_group_for_guests = ?", *f.IsGroupForGuests)
	}
	addTimeRange(&w, "g.date_created", f.DateCreated)
	addTimeRange(&w, "g.date_modified", f.DateModified)
	return w
}

const groupColumns = `g.id, g.name, g.is_default, g.is_group_for_guests, g.category_access_type,
	g.category_access_categories, g.discount_rules, g.date_created, g.date_modified`

func scanGroup(s rowScanner, extra ...any) (*CustomerGroup, error) {
	var (
		g                                    CustomerGroup
		categories, rules, created, modified string
	)
	if err := s.Scan(append([]any{&g.ID, &g.Name, &g.IsDefault, &g.IsGroupForGuests, &g.CategoryAccess.Type,
		&categories, &rules, &created, &modified}, extra...)...); err != nil {
		return nil, err
	}
	if err := g.setCategories(categories); err != nil {
		return nil, err
	}
	if err := g.setDiscountRules(rules); err != nil {
		return nil, err
	}
	return &g, parseTimes(created, &g.DateCreated, modified, &g.DateModified)
}

// setCategories decodes the stored category ids of the group's access.
func (g *CustomerGroup) setCategories(stored string) error {
	if err := json.Unmarshal([]byte(stored), &g.CategoryAccess.Categories); err != nil {
		return fmt.Errorf("group %d categories: %w", g.ID, err)
	}
	if g.CategoryAccess.Categories == nil {
		g.CategoryAccess.Categories = []int{}
	}
	return nil
}

// setDiscountRules decodes the stored discount rules of the group.
func (g *CustomerGroup) setDiscountRules(stored string) error {
	var rules []storedRule
	if err := json.Unmarshal([]byte(stored), &rules); err != nil {
		return fmt.Errorf("group %d discount rules: %w", g.ID, err)
	}
	g.DiscountRules = make([]DiscountRule, len(rules))
	for i, r := range rules {
		g.DiscountRules[i] = DiscountRule{Type: r.Type, Method: r.Method, PriceListID: r.PriceListID,
			CategoryID: r.CategoryID, ProductID: r.ProductID}
		if r.Amount != nil {
			f, err := strconv.ParseFloat(*r.Amount, 64)
			if err != nil {
				return fmt.Errorf("group %d discount amount: %w", g.ID, err)
			}
			g.DiscountRules[i].Amount = &f
		}
	}
	return nil
}

var groupList = listDef[*CustomerGroup]{
	name:    "groups",
	from:    "customer_groups g",
	columns: groupColumns,
	scan:    scanGroup,
}

// FindGroups returns one page of the groups that match f, by id. It returns
// EINVALID for a bad page, limit or cursor.
func (db *DB) FindGroups(ctx context.Context, f CustomerGroupFilter, req PageRequest) (*Page[*CustomerGroup], error) {
	return findPage(ctx, db, groupList, f.where(), idOrder("g.id"), req)
}

// FindGroupByID returns the group with the id, or ENOTFOUND.
func (db *DB) FindGroupByID(ctx context.Context, id int) (*CustomerGroup, error) {
	return findOne(ctx, db, groupList, "g.id", id, "Customer group not found.")
}

// FindGroupsByIDs returns the groups with the ids that exist, by id.
func (db *DB) FindGroupsByIDs(ctx context.Context, ids []int) (map[int]*CustomerGroup, error) {
	return db.all.FindGroupsByIDs(ctx, ids)
}
