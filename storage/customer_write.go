package storage

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// CustomerInput is a customer to create (V3 customer_Post,
// domain/customers-spec.md §3.1, with today's form fields).
type CustomerInput struct {
	Email             string
	FirstName         string
	LastName          string
	Company           string
	Phone             string
	Notes             string
	TaxExemptCategory string
	// CustomerGroupID, when absent, puts the customer in the default group of
	// its origin channel or of the store; null puts it in no group.
	CustomerGroupID                         Optional[*int]
	AcceptsProductReviewAbandonedCartEmails bool
	// OriginChannelID defaults to 1 (../API.md decision 15).
	OriginChannelID *int
	// ChannelIDs is nil for global access, else a non-empty list.
	ChannelIDs         []int
	Addresses          []AddressInput
	Attributes         []AttributeValueInput
	FormFields         []FormFieldValueInput
	StoreCreditAmounts []*StoreCreditAmount
	NewPassword        *string
	ForcePasswordReset bool

	// RegistrationIPAddress is set by shopper registration and import; a
	// staff or API create leaves it empty (../API.md decision 17).
	RegistrationIPAddress string
	// ID, DateCreated and DateModified are kept by import; zero values
	// assign a new id and the transaction's time.
	ID           int
	DateCreated  time.Time
	DateModified time.Time

	// passwordHash and consent are kept by import (transfer.go).
	passwordHash string
	consent      *CustomerConsent
}

// AttributeValueInput is an attribute value given with a new customer.
type AttributeValueInput struct {
	AttributeID int
	Value       string
	// ID, DateCreated and DateModified are kept by import.
	ID           int
	DateCreated  time.Time
	DateModified time.Time
}

// CustomerUpdate changes a customer (V3 customer_Put); nil fields and unset
// Optionals are left alone.
type CustomerUpdate struct {
	ID                                      int
	Email                                   *string
	FirstName                               *string
	LastName                                *string
	Company                                 *string
	Phone                                   *string
	Notes                                   *string
	TaxExemptCategory                       *string
	CustomerGroupID                         Optional[*int]
	AcceptsProductReviewAbandonedCartEmails *bool
	// ChannelIDs set to nil gives global access.
	ChannelIDs         Optional[[]int]
	StoreCreditAmounts Optional[[]*StoreCreditAmount]
	NewPassword        *string
	ForcePasswordReset *bool
	// FormFields sets values of customer form fields (today's V3 PUT).
	FormFields []FormFieldValueInput
}

// Limits of the lists a customer create carries (domain/customers-spec.md
// §3.1: maxItems 10).
const (
	maxCustomerAddresses  = 10
	maxCustomerAttributes = 10
	maxStoreCredit        = 10
	maxNotes              = 65535
)

// customerFields checks the customer's own fields.
func (ic *itemChecker) customerFields(c *Customer) {
	ic.email("email", c.Email)
	ic.text("firstName", c.FirstName, 1, 100, false)
	ic.text("lastName", c.LastName, 1, 100, false)
	ic.text("company", c.Company, 0, 255, false)
	ic.text("phone", c.Phone, 0, 50, false)
	ic.text("notes", c.Notes, 0, maxNotes, true)
	ic.text("taxExemptCategory", c.TaxExemptCategory, 0, 255, false)
	ic.text("registrationIpAddress", c.RegistrationIPAddress, 0, 30, false)
	ic.positive("originChannelId", c.OriginChannelID)
	ic.channels(c.ChannelIDs)
}

// channels checks channel access: nil (global) or a non-empty list of
// channel ids (domain/customers-spec.md Appendix A).
func (ic *itemChecker) channels(ids []int) {
	if ids == nil {
		return
	}
	if len(ids) == 0 {
		ic.fail(EINVALID, "channelIds", "Give null for access to every channel, or at least one channel id.")
		return
	}
	for _, id := range ids {
		if id < 1 {
			ic.fail(EINVALID, "channelIds", "Channel ids are 1 or more.")
			return
		}
	}
	if !distinctInts(ids) {
		ic.fail(EINVALID, "channelIds", "A channel id is given twice.")
	}
}

// storeCredit checks store credit amounts: at most ten, none negative, at
// most four decimals.
func (ic *itemChecker) storeCredit(amounts []*StoreCreditAmount) {
	if len(amounts) > maxStoreCredit {
		ic.fail(ETOOMANYITEMS, "storeCreditAmounts", "At most %d store credit amounts.", maxStoreCredit)
		return
	}
	for j, a := range amounts {
		if _, err := amountToUnits(a.Amount); err != nil || a.Amount < 0 {
			ic.at("storeCreditAmounts", j).fail(EINVALID, "amount", "Amounts are 0 or more, with at most four decimal places.")
		}
	}
}

// newCustomer is one customer of a create, checked and ready to write.
type newCustomer struct {
	row        *Customer
	hash       string
	addresses  []*CustomerAddress
	addrValues [][]*CustomerFormFieldValue // per address
	attributes []*CustomerAttributeValue
	values     []*CustomerFormFieldValue
	credit     []*StoreCreditAmount
	groupSet   bool // the input named the group (or null)
}

// CreateCustomers creates customers with their addresses, attribute values,
// form field values and store credit, all or none (V3 POST /customers). It
// returns Errors (codes REQUIRED, INVALID, TOO_LONG, CONFLICT for a taken
// email, NOT_FOUND for a missing group, attribute or form field,
// TOO_MANY_ITEMS) and writes nothing when any item has a problem.
func (db *DB) CreateCustomers(ctx context.Context, in []CustomerInput) ([]*Customer, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	return db.createCustomers(ctx, in, &c, true)
}

// createCustomers checks and writes customers in one transaction; announce
// records their events (import does not).
func (db *DB) createCustomers(ctx context.Context, in []CustomerInput, c *checker, announce bool) ([]*Customer, error) {
	news := make([]*newCustomer, len(in))
	for i := range in {
		news[i] = c.item("input", i).customerInput(&in[i])
	}
	// Hash outside the transaction: it is slow on purpose, and the write
	// lock is shared by every writer. Invalid input is not worth hashing;
	// its checks against the store still run, so every problem is reported.
	for i, x := range in {
		if x.NewPassword != nil && c.err() == nil {
			h, err := HashPassword(*x.NewPassword)
			if err != nil {
				return nil, err
			}
			news[i].hash = h
		}
	}

	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.checkNewCustomers(ctx, c, in, news); err != nil {
		return nil, err
	}
	if c.err() != nil {
		return nil, c.err()
	}
	out := make([]*Customer, len(news))
	for i, n := range news {
		if err := tx.writeNewCustomer(ctx, n, announce); err != nil {
			return nil, err
		}
		out[i] = n.row
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// customerInput runs the checks of one new customer that need no database.
func (ic *itemChecker) customerInput(x *CustomerInput) *newCustomer {
	tx := &newCustomer{row: &Customer{
		ID: x.ID, Email: x.Email, FirstName: x.FirstName, LastName: x.LastName, Company: x.Company, Phone: x.Phone,
		Notes: x.Notes, TaxExemptCategory: x.TaxExemptCategory, RegistrationIPAddress: x.RegistrationIPAddress,
		AcceptsProductReviewAbandonedCartEmails: x.AcceptsProductReviewAbandonedCartEmails, OriginChannelID: 1,
		ChannelIDs: x.ChannelIDs, ForcePasswordReset: x.ForcePasswordReset,
		DateCreated: x.DateCreated, DateModified: x.DateModified,
	}, credit: x.StoreCreditAmounts, groupSet: x.CustomerGroupID.Set}
	if x.OriginChannelID != nil {
		tx.row.OriginChannelID = *x.OriginChannelID
	}
	if x.CustomerGroupID.Set {
		tx.row.CustomerGroupID = x.CustomerGroupID.Value
	}
	ic.customerFields(tx.row)
	if x.NewPassword != nil {
		ic.password("authentication.newPassword", *x.NewPassword)
	}
	ic.storeCredit(x.StoreCreditAmounts)
	if len(x.Addresses) > maxCustomerAddresses {
		ic.fail(ETOOMANYITEMS, "addresses", "A new customer has at most %d addresses.", maxCustomerAddresses)
	} else {
		for j := range x.Addresses {
			tx.addresses = append(tx.addresses, ic.at("addresses", j).address(&x.Addresses[j]))
		}
	}
	if len(x.Attributes) > maxCustomerAttributes {
		ic.fail(ETOOMANYITEMS, "attributes", "A new customer has at most %d attribute values.", maxCustomerAttributes)
	}
	seen := map[int]bool{}
	for j, a := range x.Attributes {
		if seen[a.AttributeID] {
			ic.at("attributes", j).fail(ECONFLICT, "attributeId", "The attribute %d is given twice.", a.AttributeID)
		}
		seen[a.AttributeID] = true
	}
	return tx
}

// checkNewCustomers runs the checks of new customers that read the store:
// emails free, groups, attributes and form fields defined.
func (tx *Tx) checkNewCustomers(ctx context.Context, c *checker, in []CustomerInput, news []*newCustomer) error {
	folds := make([]string, len(news))
	var groups, attrs []int
	var names []string
	for i, n := range news {
		folds[i] = Fold(n.row.Email)
		if n.row.CustomerGroupID != nil {
			groups = append(groups, *n.row.CustomerGroupID)
		}
		for _, a := range in[i].Attributes {
			attrs = append(attrs, a.AttributeID)
		}
		names = append(names, formFieldNames(in[i].FormFields)...)
		for _, a := range in[i].Addresses {
			names = append(names, formFieldNames(a.FormFields)...)
		}
	}
	owners, err := tx.emailOwners(ctx, "customers", folds)
	if err != nil {
		return err
	}
	foundGroups, err := tx.existing(ctx, "customer_groups", groups)
	if err != nil {
		return err
	}
	defs, err := byID(ctx, tx, attributeList, "t.id", attrs, func(a *CustomerAttribute) int { return a.ID })
	if err != nil {
		return err
	}
	fields, err := tx.formFieldsByName(ctx, names)
	if err != nil {
		return err
	}
	firstWith := map[string]int{}
	for i, n := range news {
		ic := c.item("input", i)
		if _, taken := owners[folds[i]]; taken {
			ic.fail(ECONFLICT, "email", "Another customer has the email %q.", truncate(n.row.Email, 60))
		} else if j, dup := firstWith[folds[i]]; dup {
			ic.fail(ECONFLICT, "email", "The email %q is also given to %s.", truncate(n.row.Email, 60), c.other(j))
		} else {
			firstWith[folds[i]] = i
		}
		if g := n.row.CustomerGroupID; g != nil && !foundGroups[*g] {
			ic.fail(ENOTFOUND, "customerGroupId", "There is no customer group %d.", *g)
		}
		if !n.groupSet {
			if n.row.CustomerGroupID, err = tx.defaultGroup(ctx, n.row.OriginChannelID); err != nil {
				return err
			}
		}
		for j, a := range in[i].Attributes {
			def := defs[a.AttributeID]
			if def == nil {
				ic.at("attributes", j).fail(ENOTFOUND, "attributeId", "There is no attribute %d.", a.AttributeID)
				continue
			}
			ic.at("attributes", j).attributeValue("value", def.Type, a.Value)
			n.attributes = append(n.attributes, &CustomerAttributeValue{ID: a.ID, AttributeID: a.AttributeID, Value: a.Value,
				DateCreated: a.DateCreated, DateModified: a.DateModified})
		}
		n.values = ic.formValues(in[i].FormFields, fields, FormFieldOnCustomer)
		seenAddr := map[string]bool{}
		var kept []*CustomerAddress
		for j, a := range n.addresses {
			values := ic.at("addresses", j).formValues(in[i].Addresses[j].FormFields, fields, FormFieldOnAddress)
			// ../API.md decision 11: an exact duplicate is written once.
			if k := addressKey(a); !seenAddr[k] {
				seenAddr[k] = true
				kept = append(kept, a)
				n.addrValues = append(n.addrValues, values)
			}
		}
		n.addresses = kept
	}
	return nil
}

// defaultGroup returns the group new customers of the channel join: the
// channel's override, else the store's default group, else none.
func (tx *Tx) defaultGroup(ctx context.Context, channelID int) (*int, error) {
	ids, err := queryTx(ctx, tx, func(s rowScanner) (*int, error) {
		var id *int
		return id, s.Scan(&id)
	}, `SELECT COALESCE(
		(SELECT default_customer_group_id FROM channel_customer_settings WHERE channel_id = ?),
		(SELECT id FROM customer_groups WHERE is_default = 1))`, channelID)
	if err != nil {
		return nil, fmt.Errorf("find default group: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids[0], nil
}

// writeNewCustomer writes one checked customer and what it carries.
func (tx *Tx) writeNewCustomer(ctx context.Context, n *newCustomer, announce bool) error {
	c := n.row
	if c.DateCreated.IsZero() {
		c.DateCreated = tx.now
	}
	if c.DateModified.IsZero() {
		c.DateModified = c.DateCreated
	}
	if err := tx.insertCustomer(ctx, c, n.hash); err != nil {
		return err
	}
	if announce {
		if err := tx.addEvent(ctx, ScopeCustomerCreated, customerEvent(c.ID)); err != nil {
			return err
		}
	}
	for j, a := range n.addresses {
		a.CustomerID = c.ID
		if err := tx.insertAddress(ctx, a); err != nil {
			return err
		}
		for _, v := range n.addrValues[j] {
			v.AddressID = &a.ID
			if err := tx.upsertFormFieldValue(ctx, v); err != nil {
				return err
			}
		}
		if announce {
			if err := tx.addEvent(ctx, ScopeAddressCreated, addressEvent(a.ID, c.ID)); err != nil {
				return err
			}
		}
	}
	for _, v := range n.attributes {
		v.CustomerID = c.ID
		if v.DateCreated.IsZero() {
			v.DateCreated = tx.now
		}
		if v.DateModified.IsZero() {
			v.DateModified = v.DateCreated
		}
		if err := tx.insertAttributeValue(ctx, v); err != nil {
			return err
		}
	}
	for _, v := range n.values {
		v.CustomerID = &c.ID
		if err := tx.upsertFormFieldValue(ctx, v); err != nil {
			return err
		}
	}
	if len(n.credit) > 0 {
		return tx.replaceStoreCredit(ctx, c.ID, n.credit)
	}
	return nil
}

// UpdateCustomers changes customers, all or none (V3 PUT /customers). Only
// the given fields change; dateModified moves, and store/customer/updated is
// recorded, only when a customer's own fields actually change (../API.md
// decision 18). A new password ends every session of the customer. It
// returns Errors (NOT_FOUND for an unknown id or group, CONFLICT for a taken
// email, and the field codes) and writes nothing when any item has a
// problem.
func (db *DB) UpdateCustomers(ctx context.Context, in []CustomerUpdate) ([]*Customer, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	seen := map[int]int{}
	for i, u := range in {
		ic := c.item("input", i)
		if j, dup := seen[u.ID]; dup {
			ic.fail(ECONFLICT, "id", "The customer %d is also updated by item %d of this batch.", u.ID, j)
		}
		seen[u.ID] = i
		if u.NewPassword != nil {
			ic.password("authentication.newPassword", *u.NewPassword)
		}
		if u.StoreCreditAmounts.Set {
			ic.storeCredit(u.StoreCreditAmounts.Value)
		}
	}
	if c.err() != nil {
		return nil, c.err()
	}
	hashes := make([]string, len(in))
	for i, u := range in {
		if u.NewPassword != nil {
			h, err := HashPassword(*u.NewPassword)
			if err != nil {
				return nil, err
			}
			hashes[i] = h
		}
	}

	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out, err := tx.updateCustomers(ctx, &c, in, hashes)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// updateCustomers checks and applies customer updates in tx.
func (tx *Tx) updateCustomers(ctx context.Context, c *checker, in []CustomerUpdate, hashes []string) ([]*Customer, error) {
	ids := make([]int, len(in))
	var groups []int
	for i, u := range in {
		ids[i] = u.ID
		if u.CustomerGroupID.Set && u.CustomerGroupID.Value != nil {
			groups = append(groups, *u.CustomerGroupID.Value)
		}
	}
	current, err := byID(ctx, tx, customerList, "c.id", ids, func(c *Customer) int { return c.ID })
	if err != nil {
		return nil, err
	}
	foundGroups, err := tx.existing(ctx, "customer_groups", groups)
	if err != nil {
		return nil, err
	}
	credit, err := tx.storeCreditOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, u := range in {
		names = append(names, formFieldNames(u.FormFields)...)
	}
	fields, err := tx.formFieldsByName(ctx, names)
	if err != nil {
		return nil, err
	}
	values := make([][]*CustomerFormFieldValue, len(in))
	next := make([]*Customer, len(in))
	var folds []string
	for i, u := range in {
		ic := c.item("input", i)
		old := current[u.ID]
		if old == nil {
			ic.fail(ENOTFOUND, "id", "There is no customer %d.", u.ID)
			continue
		}
		n := *old
		setString(&n.Email, u.Email)
		setString(&n.FirstName, u.FirstName)
		setString(&n.LastName, u.LastName)
		setString(&n.Company, u.Company)
		setString(&n.Phone, u.Phone)
		setString(&n.Notes, u.Notes)
		setString(&n.TaxExemptCategory, u.TaxExemptCategory)
		if u.CustomerGroupID.Set {
			n.CustomerGroupID = u.CustomerGroupID.Value
			if g := n.CustomerGroupID; g != nil && !foundGroups[*g] {
				ic.fail(ENOTFOUND, "customerGroupId", "There is no customer group %d.", *g)
			}
		}
		if u.AcceptsProductReviewAbandonedCartEmails != nil {
			n.AcceptsProductReviewAbandonedCartEmails = *u.AcceptsProductReviewAbandonedCartEmails
		}
		if u.ChannelIDs.Set {
			n.ChannelIDs = u.ChannelIDs.Value
		}
		if u.ForcePasswordReset != nil {
			n.ForcePasswordReset = *u.ForcePasswordReset
		}
		ic.customerFields(&n)
		values[i] = ic.formValues(u.FormFields, fields, FormFieldOnCustomer)
		next[i] = &n
		folds = append(folds, Fold(n.Email))
	}
	owners, err := tx.emailOwners(ctx, "customers", folds)
	if err != nil {
		return nil, err
	}
	firstWith := map[string]int{}
	for i, n := range next {
		if n == nil {
			continue
		}
		ic := c.item("input", i)
		f := Fold(n.Email)
		if owner, taken := owners[f]; taken && owner != n.ID && !renamedInBatch(next, owner, f) {
			ic.fail(ECONFLICT, "email", "Another customer has the email %q.", truncate(n.Email, 60))
		} else if j, dup := firstWith[f]; dup {
			ic.fail(ECONFLICT, "email", "The email %q is also given to item %d of this batch.", truncate(n.Email, 60), j)
		} else {
			firstWith[f] = i
		}
	}
	if c.err() != nil {
		return nil, c.err()
	}
	// Free every email that changes first, so that a batch may swap two.
	for i, n := range next {
		if Fold(n.Email) != Fold(current[in[i].ID].Email) {
			if _, err := tx.exec(ctx, `UPDATE customers SET email_fold = '#' || id WHERE id = ?`, n.ID); err != nil {
				return nil, fmt.Errorf("update customer: %w", err)
			}
		}
	}
	for i, n := range next {
		u, old := in[i], current[in[i].ID]
		changed := !sameCustomer(old, n) || hashes[i] != ""
		if u.StoreCreditAmounts.Set && !sameCredit(credit[n.ID], u.StoreCreditAmounts.Value) {
			if err := tx.replaceStoreCredit(ctx, n.ID, u.StoreCreditAmounts.Value); err != nil {
				return nil, err
			}
			changed = true
		}
		for _, v := range values[i] {
			v.CustomerID = &n.ID
			if err := tx.upsertFormFieldValue(ctx, v); err != nil {
				return nil, err
			}
			changed = true
		}
		if !changed {
			continue
		}
		n.DateModified = tx.now
		if err := tx.writeCustomer(ctx, n, hashes[i]); err != nil {
			return nil, err
		}
		// A new password, a required reset or a channel taken away ends the
		// sessions that sign-in would now refuse.
		switch {
		case hashes[i] != "" || (n.ForcePasswordReset && !old.ForcePasswordReset):
			err = tx.endSessions(ctx, n.ID, nil)
		case n.ChannelIDs != nil && !slices.Equal(n.ChannelIDs, old.ChannelIDs):
			err = tx.endSessions(ctx, n.ID, n.ChannelIDs)
		}
		if err != nil {
			return nil, err
		}
		if err := tx.addEvent(ctx, ScopeCustomerUpdated, customerEvent(n.ID)); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// renamedInBatch reports whether the customer owner, who holds the email
// fold today, is given another email by the same batch.
func renamedInBatch(next []*Customer, owner int, fold string) bool {
	for _, n := range next {
		if n != nil && n.ID == owner {
			return Fold(n.Email) != fold
		}
	}
	return false
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// sameCustomer reports whether a customer's own stored fields are equal.
func sameCustomer(a, b *Customer) bool {
	eqInt := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Email == b.Email && a.FirstName == b.FirstName && a.LastName == b.LastName && a.Company == b.Company &&
		a.Phone == b.Phone && a.Notes == b.Notes && a.TaxExemptCategory == b.TaxExemptCategory &&
		eqInt(a.CustomerGroupID, b.CustomerGroupID) &&
		a.AcceptsProductReviewAbandonedCartEmails == b.AcceptsProductReviewAbandonedCartEmails &&
		(a.ChannelIDs == nil) == (b.ChannelIDs == nil) && slices.Equal(a.ChannelIDs, b.ChannelIDs) &&
		a.ForcePasswordReset == b.ForcePasswordReset
}

// sameCredit reports whether two store credit lists hold the same amounts.
func sameCredit(a, b []*StoreCreditAmount) bool {
	return slices.EqualFunc(a, b, func(x, y *StoreCreditAmount) bool { return x.Amount == y.Amount })
}

// storeCreditOf returns the store credit of the customers.
func (tx *Tx) storeCreditOf(ctx context.Context, ids []int) (map[int][]*StoreCreditAmount, error) {
	type row struct {
		customer int
		amount   int64
	}
	rows, err := queryTx(ctx, tx, func(s rowScanner) (row, error) {
		var r row
		return r, s.Scan(&r.customer, &r.amount)
	}, `SELECT customer_id, amount FROM customer_store_credit WHERE `+inList("customer_id")+` ORDER BY customer_id, id`,
		listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("find store credit: %w", err)
	}
	out := map[int][]*StoreCreditAmount{}
	for _, r := range rows {
		out[r.customer] = append(out[r.customer], &StoreCreditAmount{Amount: amountFromUnits(r.amount)})
	}
	return out, nil
}

// writeCustomer stores a customer's own fields, and a new password hash
// when given (which also ends its sessions).
func (tx *Tx) writeCustomer(ctx context.Context, c *Customer, hash string) error {
	if _, err := tx.exec(ctx, `UPDATE customers SET email = ?, email_fold = ?, first_name = ?, last_name = ?,
		name_fold = ?, company = ?, phone = ?, notes = ?, tax_exempt_category = ?, customer_group_id = ?,
		accepts_product_review_abandoned_cart_emails = ?, channel_ids = ?, force_password_reset = ?, date_modified = ?
		WHERE id = ?`,
		c.Email, Fold(c.Email), c.FirstName, c.LastName, Fold(fullName(c.FirstName, c.LastName)), c.Company, c.Phone,
		c.Notes, c.TaxExemptCategory, c.CustomerGroupID, c.AcceptsProductReviewAbandonedCartEmails,
		nullableJSON(c.ChannelIDs), c.ForcePasswordReset, formatTime(c.DateModified), c.ID); err != nil {
		return fmt.Errorf("update customer: %w", err)
	}
	if hash != "" {
		if _, err := tx.exec(ctx, `UPDATE customers SET password_hash = ?, credentials_version = credentials_version + 1
			WHERE id = ?`, hash, c.ID); err != nil {
			return fmt.Errorf("update customer password: %w", err)
		}
	}
	return nil
}

// DeleteCustomers deletes the customers with the ids, with their addresses,
// attribute values, form field values, consent and store credit (../API.md
// decision 8), and returns the ids it deleted; unknown ids are ignored.
func (db *DB) DeleteCustomers(ctx context.Context, ids []int) ([]int, error) {
	return db.deleteByID(ctx, "customers", ids, func(tx *Tx, id int) error {
		return tx.addEvent(ctx, ScopeCustomerDeleted, customerEvent(id))
	})
}

// deleteByID deletes the rows of table with the ids, announcing each with
// event (when not nil), and returns the ids deleted, in the given order.
// table is a constant of this package.
func (db *DB) deleteByID(ctx context.Context, table string, ids []int, event func(tx *Tx, id int) error) ([]int, error) {
	var c checker
	if !c.batch("idIn", len(ids), true) {
		return nil, c.err()
	}
	return db.deleteRows(ctx, table, ids, event)
}

// deleteRows is deleteByID without the API's batch limit (the mirror
// deletes what the upstream no longer has, however many).
func (db *DB) deleteRows(ctx context.Context, table string, ids []int, event func(tx *Tx, id int) error) ([]int, error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	found, err := tx.existing(ctx, table, ids)
	if err != nil {
		return nil, err
	}
	deleted := []int{}
	for _, id := range ids {
		if !found[id] || slices.Contains(deleted, id) {
			continue
		}
		if event != nil {
			if err := event(tx, id); err != nil {
				return nil, err
			}
		}
		deleted = append(deleted, id)
	}
	if _, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE `+inList("id"), listArg(deleted)); err != nil {
		return nil, fmt.Errorf("delete %s: %w", table, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return deleted, nil
}
