package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The row writers every create path shares (the mutations, import and the
// demo seed). They take already valid values and never commit.

// exec runs a statement in the transaction, prepared once per transaction
// (an import writes the same few statements hundreds of times in one).
func (tx *Tx) exec(ctx context.Context, stmt string, args ...any) (sql.Result, error) {
	st := tx.stmts[stmt]
	if st == nil {
		var err error
		if st, err = tx.tx.PrepareContext(ctx, tx.db.d.statement(stmt)); err != nil {
			return nil, formatError(err)
		}
		if tx.stmts == nil {
			tx.stmts = map[string]*sql.Stmt{}
		}
		tx.stmts[stmt] = st
	}
	return tx.db.exec(ctx, st, stmt, args...)
}

// insert runs an INSERT of one row in the transaction and returns the id of
// the row: the driver's last insert id, or the id the statement returns
// where the dialect says so.
func (tx *Tx) insert(ctx context.Context, stmt string, args ...any) (int64, error) {
	if tx.db.d.returning() {
		ids, err := queryTx(ctx, tx, scanInt, stmt+" RETURNING id", args...)
		if err != nil {
			return 0, err
		}
		if len(ids) != 1 {
			return 0, fmt.Errorf("insert returned %d ids", len(ids))
		}
		return int64(ids[0]), nil
	}
	res, err := tx.exec(ctx, stmt, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// idOrNull returns id, or NULL (a new id) when it is zero.
func idOrNull(id int) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullableJSON encodes ids as a JSON array, or NULL for a nil slice.
func nullableJSON(ids []int) any {
	if ids == nil {
		return nil
	}
	return jsonArray(ids)
}

// insertCustomer writes c (with c.ID when non-zero, else a new id, set on
// c) and the password hash, which may be empty for none.
func (tx *Tx) insertCustomer(ctx context.Context, c *Customer, passwordHash string) error {
	newID, err := tx.insert(ctx, `INSERT INTO customers (`+customerInsertColumns+`) VALUES `+valueTuples(1, customerInsertWidth),
		customerRow(nil, c, passwordHash)...)
	if err != nil {
		return fmt.Errorf("insert customer: %w", err)
	}
	c.ID = int(newID)
	return nil
}

const (
	customerInsertColumns = `id, email, email_fold, first_name, last_name, name_fold,
		company, phone, notes, tax_exempt_category, registration_ip_address, customer_group_id,
		accepts_product_review_abandoned_cart_emails, origin_channel_id, channel_ids, password_hash,
		force_password_reset, date_created, date_modified`
	customerInsertWidth = 19
)

// customerRow appends the values of customerInsertColumns for c to row.
func customerRow(row []any, c *Customer, passwordHash string) []any {
	var hash any
	if passwordHash != "" {
		hash = passwordHash
	}
	return append(row, idOrNull(c.ID), c.Email, Fold(c.Email), c.FirstName, c.LastName, Fold(fullName(c.FirstName, c.LastName)),
		c.Company, c.Phone, c.Notes, c.TaxExemptCategory, c.RegistrationIPAddress, c.CustomerGroupID,
		c.AcceptsProductReviewAbandonedCartEmails, c.OriginChannelID, nullableJSON(c.ChannelIDs), hash,
		c.ForcePasswordReset, formatTime(c.DateCreated), formatTime(c.DateModified))
}

// insertAddress writes a (with a.ID when non-zero), setting a.ID.
func (tx *Tx) insertAddress(ctx context.Context, a *CustomerAddress) error {
	newID, err := tx.insert(ctx, `INSERT INTO customer_addresses (`+addressInsertColumns+`) VALUES `+valueTuples(1, addressInsertWidth),
		addressRow(nil, a)...)
	if err != nil {
		return fmt.Errorf("insert address: %w", err)
	}
	a.ID = int(newID)
	return nil
}

const (
	addressInsertColumns = `id, customer_id, first_name, last_name, name_fold,
		company, address1, address2, city, state_or_province, postal_code, country_code, phone, address_type`
	addressInsertWidth = 14
)

// addressRow appends the values of addressInsertColumns for a to row.
func addressRow(row []any, a *CustomerAddress) []any {
	return append(row, idOrNull(a.ID), a.CustomerID, a.FirstName, a.LastName, Fold(fullName(a.FirstName, a.LastName)),
		a.Company, a.Address1, a.Address2, a.City, a.StateOrProvince, a.PostalCode, a.CountryCode, a.Phone,
		string(a.AddressType))
}

// insertAttribute writes an attribute definition, setting a.ID.
func (tx *Tx) insertAttribute(ctx context.Context, a *CustomerAttribute) error {
	newID, err := tx.insert(ctx, `INSERT INTO customer_attributes (id, name, name_fold, type, date_created, date_modified)
		VALUES (?, ?, ?, ?, ?, ?)`,
		idOrNull(a.ID), a.Name, Fold(a.Name), string(a.Type), formatTime(a.DateCreated), formatTime(a.DateModified))
	if err != nil {
		return fmt.Errorf("insert attribute: %w", err)
	}
	a.ID = int(newID)
	return nil
}

// insertAttributeValue writes an attribute value, setting v.ID.
func (tx *Tx) insertAttributeValue(ctx context.Context, v *CustomerAttributeValue) error {
	newID, err := tx.insert(ctx, `INSERT INTO customer_attribute_values (`+attributeValueInsertColumns+`) VALUES `+
		valueTuples(1, attributeValueInsertWidth), attributeValueRow(nil, v)...)
	if err != nil {
		return fmt.Errorf("insert attribute value: %w", err)
	}
	v.ID = int(newID)
	return nil
}

const (
	attributeValueInsertColumns = `id, customer_id, attribute_id, value, date_created, date_modified`
	attributeValueInsertWidth   = 6
)

// attributeValueRow appends the values of attributeValueInsertColumns for v
// to row.
func attributeValueRow(row []any, v *CustomerAttributeValue) []any {
	return append(row, idOrNull(v.ID), v.CustomerID, v.AttributeID, v.Value, formatTime(v.DateCreated), formatTime(v.DateModified))
}

// insertFormField writes a form field definition, setting f.ID.
func (tx *Tx) insertFormField(ctx context.Context, f *CustomerFormField) error {
	options := f.Options
	if options == nil {
		options = []string{}
	}
	b, _ := json.Marshal(options)
	newID, err := tx.insert(ctx, `INSERT INTO customer_form_fields (id, name, label, type, applies_to, required, options,
		date_created, date_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idOrNull(f.ID), f.Name, f.Label, string(f.Type), string(f.AppliesTo), f.Required, string(b),
		formatTime(f.DateCreated), formatTime(f.DateModified))
	if err != nil {
		return fmt.Errorf("insert form field: %w", err)
	}
	f.ID = int(newID)
	return nil
}

// upsertFormFieldValue writes the value of a form field on a customer or an
// address, replacing the one there (../API.md decision 10: the key is the
// owner and the field).
func (tx *Tx) upsertFormFieldValue(ctx context.Context, v *CustomerFormFieldValue) error {
	if v.FormFieldID == 0 && tx.inferFields {
		return nil // a field the store does not define: checked upstream
	}
	var err error
	if v.CustomerID != nil {
		_, err = tx.exec(ctx, `INSERT INTO customer_form_field_values (form_field_id, customer_id, value) VALUES (?, ?, ?)
			ON CONFLICT (customer_id, form_field_id) WHERE customer_id IS NOT NULL DO UPDATE SET value = excluded.value`,
			v.FormFieldID, *v.CustomerID, string(v.Value.raw))
	} else {
		_, err = tx.exec(ctx, `INSERT INTO customer_form_field_values (form_field_id, address_id, value) VALUES (?, ?, ?)
			ON CONFLICT (address_id, form_field_id) WHERE address_id IS NOT NULL DO UPDATE SET value = excluded.value`,
			v.FormFieldID, *v.AddressID, string(v.Value.raw))
	}
	if err != nil {
		return fmt.Errorf("upsert form field value: %w", err)
	}
	return nil
}

// replaceStoreCredit replaces a customer's store credit entries.
func (tx *Tx) replaceStoreCredit(ctx context.Context, customerID int, amounts []*StoreCreditAmount) error {
	if _, err := tx.exec(ctx, `DELETE FROM customer_store_credit WHERE customer_id = ?`, customerID); err != nil {
		return fmt.Errorf("replace store credit: %w", err)
	}
	for _, a := range amounts {
		units, err := amountToUnits(a.Amount)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO customer_store_credit (customer_id, amount) VALUES (?, ?)`, customerID, units); err != nil {
			return fmt.Errorf("replace store credit: %w", err)
		}
	}
	return nil
}

// amountToUnits converts an amount to stored ten-thousandths; more precise
// amounts are EINVALID rather than silently rounded.
func amountToUnits(f float64) (int64, error) {
	// A fifth decimal leaves at least 0.1 unit after rounding; float error
	// on amounts below 10^11 units stays far under 0.001.
	u := f * moneyScale
	r := math.Round(u)
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(r) > 1e15 || math.Abs(u-r) > 1e-3 {
		return 0, Errorf(EINVALID, "%s is not an amount with at most four decimal places.", strconv.FormatFloat(f, 'f', -1, 64))
	}
	return int64(r), nil
}

// setConsent writes a customer's consent.
func (tx *Tx) setConsent(ctx context.Context, c *CustomerConsent) error {
	at := tx.now
	if c.UpdatedAt != nil {
		at = *c.UpdatedAt
	}
	_, err := tx.exec(ctx, `INSERT INTO customer_consent (customer_id, allow, deny, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (customer_id) DO UPDATE SET allow = excluded.allow, deny = excluded.deny, updated_at = excluded.updated_at`,
		c.CustomerID, jsonArray(c.Allow), jsonArray(c.Deny), formatTime(at))
	if err != nil {
		return fmt.Errorf("set consent: %w", err)
	}
	c.UpdatedAt = &at
	return nil
}

// groupRules encodes discount rules for the discount_rules column.
func groupRules(rules []DiscountRule) (string, error) {
	stored, err := storedRules(rules)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(stored)
	return string(b), err
}

// storedRules turns discount rules into their stored form: amounts as
// decimal strings of four places.
func storedRules(rules []DiscountRule) ([]storedRule, error) {
	stored := make([]storedRule, len(rules))
	for i, r := range rules {
		stored[i] = storedRule{Type: r.Type, Method: r.Method, PriceListID: r.PriceListID,
			CategoryID: r.CategoryID, ProductID: r.ProductID}
		if r.Amount != nil {
			units, err := amountToUnits(*r.Amount)
			if err != nil {
				return nil, err
			}
			s := strconv.FormatFloat(float64(units)/moneyScale, 'f', 4, 64)
			stored[i].Amount = &s
		}
	}
	return stored, nil
}

// insertGroup writes a customer group, setting g.ID.
func (tx *Tx) insertGroup(ctx context.Context, g *CustomerGroup) error {
	rules, err := groupRules(g.DiscountRules)
	if err != nil {
		return err
	}
	newID, err := tx.insert(ctx, `INSERT INTO customer_groups (id, name, name_fold, is_default, is_group_for_guests,
		category_access_type, category_access_categories, discount_rules, date_created, date_modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idOrNull(g.ID), g.Name, Fold(g.Name), g.IsDefault, g.IsGroupForGuests, string(g.CategoryAccess.Type),
		jsonArray(g.CategoryAccess.Categories), rules, formatTime(g.DateCreated), formatTime(g.DateModified))
	if err != nil {
		return fmt.Errorf("insert group: %w", err)
	}
	g.ID = int(newID)
	return nil
}

// insertSubscriber writes a subscriber, setting s.ID.
func (tx *Tx) insertSubscriber(ctx context.Context, s *Subscriber) error {
	newID, err := tx.insert(ctx, `INSERT INTO subscribers (id, email, email_fold, first_name, last_name, source, order_id,
		channel_id, consents, date_created, date_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idOrNull(s.ID), s.Email, Fold(s.Email), s.FirstName, s.LastName, s.Source, s.OrderID, s.ChannelID,
		jsonArray(s.Consents), formatTime(s.DateCreated), formatTime(s.DateModified))
	if err != nil {
		return fmt.Errorf("insert subscriber: %w", err)
	}
	s.ID = int(newID)
	return nil
}
