package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// CustomerConsent is a customer's cookie and tracking consent
// (domain/customers-spec.md §4.6). A customer who never set it has empty
// lists and no UpdatedAt.
type CustomerConsent struct {
	CustomerID int
	Allow      []ConsentCategory
	Deny       []ConsentCategory
	UpdatedAt  *time.Time
}

// noConsent is the consent of a customer who never set one.
func noConsent(customerID int) *CustomerConsent {
	return &CustomerConsent{CustomerID: customerID, Allow: []ConsentCategory{}, Deny: []ConsentCategory{}}
}

// FindConsentByCustomerIDs returns the consent of each customer that has
// stored one; the others are absent from the map.
func (db *DB) FindConsentByCustomerIDs(ctx context.Context, ids []int) (map[int]*CustomerConsent, error) {
	ctx, err := keyLookup(ctx)
	if err != nil {
		return nil, err
	}
	all, err := queryAll(ctx, db, db.reader, scanConsent,
		`SELECT customer_id, allow, deny, updated_at FROM customer_consent
		WHERE `+inList("customer_id"), listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("find consent: %w", err)
	}
	out := make(map[int]*CustomerConsent, len(all))
	for _, c := range all {
		out[c.CustomerID] = c
	}
	return out, nil
}

// FindConsent returns the consent of the customer, empty when the customer
// never set it, or ENOTFOUND when there is no such customer.
func (db *DB) FindConsent(ctx context.Context, customerID int) (*CustomerConsent, error) {
	all, err := queryAll(ctx, db, db.reader, func(s rowScanner) (*CustomerConsent, error) {
		var (
			id              int
			allow, deny, at *string
			consent         = noConsent(0)
		)
		if err := s.Scan(&id, &allow, &deny, &at); err != nil {
			return nil, err
		}
		consent.CustomerID = id
		if at != nil {
			return decodeConsent(id, *allow, *deny, *at)
		}
		return consent, nil
	}, `SELECT c.id, k.allow, k.deny, k.updated_at FROM customers c
		LEFT JOIN customer_consent k ON k.customer_id = c.id WHERE c.id = ?`, customerID)
	if err != nil {
		return nil, fmt.Errorf("find consent: %w", err)
	}
	if len(all) == 0 {
		return nil, Errorf(ENOTFOUND, "Customer not found.")
	}
	return all[0], nil
}

// ConsentFor returns the consent in m for the customer, or an empty one.
func ConsentFor(m map[int]*CustomerConsent, customerID int) *CustomerConsent {
	if c := m[customerID]; c != nil {
		return c
	}
	return noConsent(customerID)
}

func scanConsent(s rowScanner) (*CustomerConsent, error) {
	var (
		id                   int
		allow, deny, updated string
	)
	if err := s.Scan(&id, &allow, &deny, &updated); err != nil {
		return nil, err
	}
	return decodeConsent(id, allow, deny, updated)
}

func decodeConsent(id int, allow, deny, updated string) (*CustomerConsent, error) {
	c := noConsent(id)
	if err := json.Unmarshal([]byte(allow), &c.Allow); err != nil {
		return nil, fmt.Errorf("consent of %d: %w", id, err)
	}
	if err := json.Unmarshal([]byte(deny), &c.Deny); err != nil {
		return nil, fmt.Errorf("consent of %d: %w", id, err)
	}
	t, err := parseTime(updated)
	if err != nil {
		return nil, err
	}
	c.UpdatedAt = &t
	return c, nil
}

// ConsentInput replaces a customer's consent (V3 PUT /customers/{id}/consent).
type ConsentInput struct {
	CustomerID int
	Allow      []ConsentCategory
	Deny       []ConsentCategory
}

// UpdateConsent replaces a customer's consent. Allow and deny are disjoint
// sets of the four categories (../API.md decision 12). It returns Errors:
// NOT_FOUND for an unknown customer, INVALID for a repeated, unknown or
// contradictory category.
func (db *DB) UpdateConsent(ctx context.Context, in ConsentInput) (*CustomerConsent, error) {
	var c checker
	ic := c.root("input")
	ic.consent(in.Allow, in.Deny)
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	found, err := tx.existing(ctx, "customers", []int{in.CustomerID})
	if err != nil {
		return nil, err
	}
	if !found[in.CustomerID] {
		ic.fail(ENOTFOUND, "customerId", "There is no customer %d.", in.CustomerID)
		return nil, c.err()
	}
	consent := &CustomerConsent{CustomerID: in.CustomerID, Allow: in.Allow, Deny: in.Deny}
	if consent.Allow == nil {
		consent.Allow = []ConsentCategory{}
	}
	if consent.Deny == nil {
		consent.Deny = []ConsentCategory{}
	}
	if err := tx.setConsent(ctx, consent); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return consent, nil
}

// consent checks that allow and deny are disjoint sets of the categories.
func (ic *itemChecker) consent(allow, deny []ConsentCategory) {
	seen := map[ConsentCategory]string{}
	for _, list := range []struct {
		name string
		cats []ConsentCategory
	}{{"allow", allow}, {"deny", deny}} {
		for j, cat := range list.cats {
			field := fmt.Sprintf("%s.%d", list.name, j)
			switch prev, dup := seen[cat]; {
			case !valid(cat, consentCategories):
				ic.fail(EINVALID, field, "%q is not a consent category.", truncate(string(cat), 40))
			case dup && prev == list.name:
				ic.fail(EINVALID, field, "%s is given twice.", cat)
			case dup:
				ic.fail(EINVALID, field, "%s is both allowed and denied.", cat)
			}
			seen[cat] = list.name
		}
	}
}
