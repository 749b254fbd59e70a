package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storefront/customers/wire"
)

// The mirror: in facade mode the store holds a copy of an upstream
// BigCommerce store, written only from what the upstream returns. These
// writers keep the upstream's ids and dates, accept what the upstream
// accepted (they do not validate as the API does), and record the events
// a local write would, so this server's webhooks and subscriptions report
// upstream changes. No password hash is ever written.

// MirrorConflict is returned when customers of a batch take emails that
// other mirrored customers hold: those changed upstream too. The caller
// fetches IDs from the upstream and writes them along with the batch (or
// deletes those the upstream no longer has).
type MirrorConflict struct{ IDs []int }

func (e *MirrorConflict) Error() string {
	return fmt.Sprintf("mirror: the emails are held by customers %v, which changed upstream", e.IDs)
}

// MirrorStats counts what a mirror write changed.
type MirrorStats struct {
	Created, Updated, Unchanged, Deleted int
}

// MirrorCustomers writes customers as the upstream returned them (with
// include=addresses,storecredit,attributes,formfields), replacing the
// mirrored copy whole, and sets state (checkpoints) in the same
// transaction. Attribute values of attributes the mirror does not know
// are left out; form field definitions the mirror does not know are
// inferred from the values (the upstream does not expose them).
func (db *DB) MirrorCustomers(ctx context.Context, cs []wire.Customer, state map[string]string) (MirrorStats, error) {
	var st MirrorStats
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	if err := tx.mirrorCustomers(ctx, cs, &st); err != nil {
		return st, err
	}
	if err := tx.setMirrorState(ctx, state); err != nil {
		return st, err
	}
	return st, tx.Commit()
}

func (tx *Tx) mirrorCustomers(ctx context.Context, cs []wire.Customer, st *MirrorStats) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	before, err := tx.mirroredCustomers(ctx, ids)
	if err != nil {
		return err
	}
	// Emails move between customers: free the batch's before checking.
	if _, err := tx.exec(ctx, `UPDATE customers SET email_fold = '#' || id WHERE `+inList("id"),
		listArg(ids)); err != nil {
		return fmt.Errorf("mirror customers: %w", err)
	}
	folds := make([]string, len(cs))
	for i, c := range cs {
		folds[i] = Fold(c.Email)
	}
	owners, err := tx.emailOwners(ctx, "customers", folds)
	if err != nil {
		return err
	}
	var conflicts []int
	for _, id := range owners {
		if !slices.Contains(ids, id) && !slices.Contains(conflicts, id) {
			conflicts = append(conflicts, id)
		}
	}
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		return &MirrorConflict{IDs: conflicts}
	}
	groups, err := tx.idSet(ctx, `SELECT id FROM customer_groups`)
	if err != nil {
		return err
	}
	attrs, err := tx.idSet(ctx, `SELECT id FROM customer_attributes`)
	if err != nil {
		return err
	}
	fields := map[string]int{}
	for i := range cs {
		c := &cs[i]
		row := &Customer{ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company,
			Phone: c.Phone, Notes: c.Notes, TaxExemptCategory: c.TaxExemptCategory, RegistrationIPAddress: c.RegistrationIPAddress,
			AcceptsProductReviewAbandonedCartEmails: c.AcceptsProductReviewAbandonedCartEmails, OriginChannelID: c.OriginChannelID,
			ChannelIDs: c.ChannelIDs, ForcePasswordReset: c.Authentication.ForcePasswordReset,
			DateCreated: tx.mirrorTime(c.DateCreated), DateModified: tx.mirrorTime(c.DateModified)}
		if row.OriginChannelID == 0 {
			row.OriginChannelID = 1
		}
		if g := c.CustomerGroupID; g != 0 && groups[g] {
			row.CustomerGroupID = &g
		}
		if _, err := tx.exec(ctx, `INSERT INTO customers (`+customerInsertColumns+`) VALUES `+valueTuples(1, customerInsertWidth)+`
			ON CONFLICT (id) DO UPDATE SET email = excluded.email, email_fold = excluded.email_fold,
			first_name = excluded.first_name, last_name = excluded.last_name, name_fold = excluded.name_fold,
			company = excluded.company, phone = excluded.phone, notes = excluded.notes,
			tax_exempt_category = excluded.tax_exempt_category, registration_ip_address = excluded.registration_ip_address,
			customer_group_id = excluded.customer_group_id,
			accepts_product_review_abandoned_cart_emails = excluded.accepts_product_review_abandoned_cart_emails,
			origin_channel_id = excluded.origin_channel_id, channel_ids = excluded.channel_ids,
			force_password_reset = excluded.force_password_reset, date_created = excluded.date_created,
			date_modified = excluded.date_modified`, customerRow(nil, row, "")...); err != nil {
			return fmt.Errorf("mirror customer %d: %w", c.ID, err)
		}
		var addrIDs []int
		for _, a := range c.Addresses {
			addrIDs = append(addrIDs, a.ID)
		}
		// Replace the relations whole.
		if _, err := tx.exec(ctx, `DELETE FROM customer_form_field_values
			WHERE customer_id = ? OR address_id IN (SELECT id FROM customer_addresses WHERE customer_id = ?)`, c.ID, c.ID); err != nil {
			return fmt.Errorf("mirror customer %d: %w", c.ID, err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM customer_attribute_values WHERE customer_id = ?`, c.ID); err != nil {
			return fmt.Errorf("mirror customer %d: %w", c.ID, err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM customer_addresses WHERE customer_id = ? AND `+notInList("id"),
			c.ID, listArg(addrIDs)); err != nil {
			return fmt.Errorf("mirror customer %d: %w", c.ID, err)
		}
		for _, a := range c.Addresses {
			addr := &CustomerAddress{ID: a.ID, CustomerID: c.ID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
				Address1: a.Address1, Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince,
				PostalCode: a.PostalCode, CountryCode: a.CountryCode, Phone: a.Phone, AddressType: CustomerAddressType(a.AddressType)}
			if addr.AddressType == "" {
				addr.AddressType = "residential"
			}
			if _, err := tx.exec(ctx, `INSERT INTO customer_addresses (`+addressInsertColumns+`) VALUES `+valueTuples(1, addressInsertWidth)+`
				ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, first_name = excluded.first_name,
				last_name = excluded.last_name, name_fold = excluded.name_fold, company = excluded.company,
				address1 = excluded.address1, address2 = excluded.address2, city = excluded.city,
				state_or_province = excluded.state_or_province, postal_code = excluded.postal_code,
				country_code = excluded.country_code, phone = excluded.phone, address_type = excluded.address_type`,
				addressRow(nil, addr)...); err != nil {
				return fmt.Errorf("mirror address %d: %w", a.ID, err)
			}
			for _, fv := range a.FormFields {
				if err := tx.mirrorFormValue(ctx, fields, "address", fv, nil, &a.ID); err != nil {
					return err
				}
			}
		}
		for _, fv := range c.FormFields {
			if err := tx.mirrorFormValue(ctx, fields, "customer", fv, &c.ID, nil); err != nil {
				return err
			}
		}
		for _, v := range c.Attributes {
			if !attrs[v.AttributeID] {
				continue
			}
			value := v.AttributeValue
			if v.Value != nil {
				value = *v.Value
			}
			if _, err := tx.exec(ctx, `INSERT INTO customer_attribute_values (`+attributeValueInsertColumns+`) VALUES `+
				valueTuples(1, attributeValueInsertWidth), attributeValueRow(nil, &CustomerAttributeValue{ID: v.ID, CustomerID: c.ID,
				AttributeID: v.AttributeID, Value: value, DateCreated: tx.mirrorTime(v.DateCreated),
				DateModified: tx.mirrorTime(v.DateModified)})...); err != nil {
				return fmt.Errorf("mirror attribute value %d: %w", v.ID, err)
			}
		}
		credit := make([]*StoreCreditAmount, len(c.StoreCreditAmounts))
		for j, a := range c.StoreCreditAmounts {
			credit[j] = &StoreCreditAmount{Amount: a.Amount}
		}
		if err := tx.replaceStoreCredit(ctx, c.ID, credit); err != nil {
			return err
		}
	}
	after, err := tx.mirroredCustomers(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.mirrorEvents(ctx, before[id], after[id], st); err != nil {
			return err
		}
	}
	return nil
}

// mirrorEvents records the events of one customer's change from old to
// new (nil: absent), as the local writes would.
func (tx *Tx) mirrorEvents(ctx context.Context, old, new *wire.Customer, st *MirrorStats) error {
	switch {
	case old == nil && new == nil:
		return nil
	case old == nil:
		st.Created++
		if err := tx.addEvent(ctx, ScopeCustomerCreated, customerEvent(new.ID)); err != nil {
			return err
		}
		for _, a := range new.Addresses {
			if err := tx.addEvent(ctx, ScopeAddressCreated, addressEvent(a.ID, new.ID)); err != nil {
				return err
			}
		}
		return nil
	}
	own := func(c *wire.Customer) wire.Customer {
		v := *c
		v.Addresses, v.AddressCount, v.Consent = nil, 0, nil
		return v
	}
	changed := false
	if !reflect.DeepEqual(own(old), own(new)) {
		changed = true
		if err := tx.addEvent(ctx, ScopeCustomerUpdated, customerEvent(new.ID)); err != nil {
			return err
		}
	}
	was := map[int]wire.Address{}
	for _, a := range old.Addresses {
		was[a.ID] = a
	}
	for _, a := range new.Addresses {
		prev, ok := was[a.ID]
		delete(was, a.ID)
		switch {
		case !ok:
			changed = true
			if err := tx.addEvent(ctx, ScopeAddressCreated, addressEvent(a.ID, new.ID)); err != nil {
				return err
			}
		case !reflect.DeepEqual(prev, a):
			changed = true
			if err := tx.addEvent(ctx, ScopeAddressUpdated, addressEvent(a.ID, new.ID)); err != nil {
				return err
			}
		}
	}
	gone := make([]int, 0, len(was))
	for id := range was {
		gone = append(gone, id)
	}
	slices.Sort(gone)
	for _, id := range gone {
		changed = true
		if err := tx.addEvent(ctx, ScopeAddressDeleted, addressEvent(id, new.ID)); err != nil {
			return err
		}
	}
	if changed {
		st.Updated++
	} else {
		st.Unchanged++
	}
	return nil
}

// mirroredCustomers reads the mirrored customers with the ids, in V3 form.
func (tx *Tx) mirroredCustomers(ctx context.Context, ids []int) (map[int]*wire.Customer, error) {
	cs, err := queryTx(ctx, tx, customerList.scanRow,
		`SELECT `+customerColumns+` FROM customers c WHERE `+inList("c.id")+` ORDER BY c.id`, listArg(ids))
	if err != nil {
		return nil, err
	}
	vs, err := tx.v3Customers(ctx, cs, false)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*wire.Customer, len(vs))
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, nil
}

// mirrorFormValue writes a form field value, defining the field (type
// inferred from the value) when the mirror has not seen it.
func (tx *Tx) mirrorFormValue(ctx context.Context, fields map[string]int, appliesTo string, fv wire.FormFieldValue, customerID, addressID *int) error {
	var v FormValue
	if len(bytes.TrimSpace(fv.Value)) == 0 || fv.Name == "" {
		return nil
	}
	if err := v.UnmarshalJSON(fv.Value); err != nil {
		return nil // nothing this store can hold
	}
	id, ok := fields[fv.Name]
	if !ok {
		found, err := tx.formFieldsByName(ctx, []string{fv.Name})
		if err != nil {
			return err
		}
		if f := found[fv.Name]; f != nil {
			id = f.ID
		} else {
			typ := "text"
			switch strings.TrimSpace(string(fv.Value))[0] {
			case '[':
				typ = "checkboxes"
			case '"':
			default:
				typ = "numbers"
			}
			newID, err := tx.insert(ctx, `INSERT INTO customer_form_fields (name, label, type, applies_to, date_created, date_modified)
				VALUES (?, ?, ?, ?, ?, ?)`, fv.Name, fv.Name, typ, appliesTo, formatTime(tx.now), formatTime(tx.now))
			if err != nil {
				return fmt.Errorf("mirror form field %q: %w", fv.Name, err)
			}
			id = int(newID)
		}
		fields[fv.Name] = id
	}
	return tx.upsertFormFieldValue(ctx, &CustomerFormFieldValue{FormFieldID: id, CustomerID: customerID, AddressID: addressID, Value: v})
}

// mirrorTime reads an upstream date; one that does not parse is now.
func (tx *Tx) mirrorTime(s string) time.Time {
	if v, err := parseTime(s); err == nil {
		return v
	}
	// V2's spellings: groups' `2006-01-02 15:04:05` and customers' RFC 1123
	// with a numeric zone, both in UTC.
	for _, layout := range []string{time.DateTime, time.RFC1123Z} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC().Truncate(time.Second)
		}
	}
	return tx.now
}

// idSet runs a query of ids.
func (tx *Tx) idSet(ctx context.Context, stmt string, args ...any) (map[int]bool, error) {
	ids, err := queryTx(ctx, tx, func(s rowScanner) (int, error) {
		var id int
		return id, s.Scan(&id)
	}, stmt, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[int]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// MirrorDeleteCustomers deletes the mirrored customers with the ids (and
// everything of theirs), announcing each, and returns the ids it deleted.
func (db *DB) MirrorDeleteCustomers(ctx context.Context, ids []int) ([]int, error) {
	return db.deleteRows(ctx, "customers", ids, func(tx *Tx, id int) error {
		return tx.addEvent(ctx, ScopeCustomerDeleted, customerEvent(id))
	})
}

// MirrorDeleteSubscribers deletes mirrored subscribers, announcing each.
func (db *DB) MirrorDeleteSubscribers(ctx context.Context, ids []int) ([]int, error) {
	return db.deleteRows(ctx, "subscribers", ids, func(tx *Tx, id int) error {
		return tx.addEvent(ctx, ScopeSubscriberDeleted, subscriberEvent(id))
	})
}

// MirrorIDs returns the ids of table ("customers" or "subscribers") above
// after, up to limit, in order: the mirror's side of a sweep.
func (db *DB) MirrorIDs(ctx context.Context, table string, after, limit int) ([]int, error) {
	if table != "customers" && table != "subscribers" {
		return nil, Errorf(EINVALID, "no mirror table %q", table)
	}
	return queryAll(ctx, db, db.reader, func(s rowScanner) (int, error) {
		var id int
		return id, s.Scan(&id)
	}, `SELECT id FROM `+table+` WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

// MirrorAttributes replaces the attribute definitions with the upstream's
// whole list (deleting one deletes its values).
func (db *DB) MirrorAttributes(ctx context.Context, as []wire.Attribute) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ids := make([]int, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	if _, err := tx.exec(ctx, `DELETE FROM customer_attributes WHERE `+notInList("id"), listArg(ids)); err != nil {
		return fmt.Errorf("mirror attributes: %w", err)
	}
	// Names move between attributes: park them first.
	if _, err := tx.exec(ctx, `UPDATE customer_attributes SET name = '#' || id, name_fold = '#' || id`); err != nil {
		return fmt.Errorf("mirror attributes: %w", err)
	}
	for _, a := range as {
		if _, err := tx.exec(ctx, `INSERT INTO customer_attributes (id, name, name_fold, type, date_created, date_modified)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_fold = excluded.name_fold,
			type = excluded.type, date_created = excluded.date_created, date_modified = excluded.date_modified`,
			a.ID, a.Name, Fold(a.Name), a.Type, formatTime(tx.mirrorTime(a.DateCreated)), formatTime(tx.mirrorTime(a.DateModified))); err != nil {
			return fmt.Errorf("mirror attribute %d: %w", a.ID, err)
		}
	}
	return tx.Commit()
}

// MirrorGroups replaces the customer groups with the upstream's whole list
// (V2 shape); customers of a group that is gone are left without one.
func (db *DB) MirrorGroups(ctx context.Context, gs []wire.V2Group) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ids := make([]int, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	if _, err := tx.exec(ctx, `DELETE FROM customer_groups WHERE `+notInList("id"), listArg(ids)); err != nil {
		return fmt.Errorf("mirror groups: %w", err)
	}
	if _, err := tx.exec(ctx, `UPDATE customer_groups SET name_fold = '#' || id, is_default = 0, is_group_for_guests = 0`); err != nil {
		return fmt.Errorf("mirror groups: %w", err)
	}
	for _, g := range gs {
		rules := make([]storedRule, len(g.DiscountRules))
		for i, r := range g.DiscountRules {
			rules[i] = storedRule{Type: DiscountRuleType(r.Type), PriceListID: r.PriceListID, CategoryID: r.CategoryID, ProductID: r.ProductID}
			if r.Method != nil {
				m := DiscountMethod(*r.Method)
				rules[i].Method = &m
			}
			if r.Amount != nil {
				f, err := r.Amount.Float()
				if err != nil {
					return Errorf(EINVALID, "group %d: amount %q", g.ID, *r.Amount)
				}
				s := strconv.FormatFloat(f, 'f', 4, 64)
				rules[i].Amount = &s
			}
		}
		rb, _ := json.Marshal(rules)
		access := g.CategoryAccess.Type
		if access == "" {
			access = "all"
		}
		if _, err := tx.exec(ctx, `INSERT INTO customer_groups (id, name, name_fold, is_default, is_group_for_guests,
			category_access_type, category_access_categories, discount_rules, date_created, date_modified)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_fold = excluded.name_fold,
			is_default = excluded.is_default, is_group_for_guests = excluded.is_group_for_guests,
			category_access_type = excluded.category_access_type, category_access_categories = excluded.category_access_categories,
			discount_rules = excluded.discount_rules, date_created = excluded.date_created, date_modified = excluded.date_modified`,
			g.ID, g.Name, Fold(g.Name), g.IsDefault, g.IsGroupForGuests, access, jsonArray(nonNil(g.CategoryAccess.Categories)),
			string(rb), formatTime(tx.mirrorTime(g.DateCreated)), formatTime(tx.mirrorTime(g.DateModified))); err != nil {
			return fmt.Errorf("mirror group %d: %w", g.ID, err)
		}
	}
	return tx.Commit()
}

func nonNil(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}

// MirrorSubscribers writes subscribers as the upstream returned them,
// announcing creations and changes, and sets state in the same
// transaction.
func (db *DB) MirrorSubscribers(ctx context.Context, ss []wire.Subscriber, state map[string]string) (MirrorStats, error) {
	var st MirrorStats
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	ids := make([]int, len(ss))
	for i, s := range ss {
		ids[i] = s.ID
	}
	old := map[int]string{}
	rows, err := queryTx(ctx, tx, func(s rowScanner) ([2]string, error) {
		// The row as one text, to tell a change from none (the same fields
		// as the new row's below); joined here, as NUL may not stand in a
		// PostgreSQL text.
		var (
			id                                         int
			email, first, last, source, consents, c, m string
			order                                      sql.NullInt64
			channel                                    int
		)
		err := s.Scan(&id, &email, &first, &last, &source, &order, &channel, &consents, &c, &m)
		orderText := ""
		if order.Valid {
			orderText = strconv.FormatInt(order.Int64, 10)
		}
		row := strings.Join([]string{email, first, last, source, orderText, strconv.Itoa(channel), consents, c, m}, "\x00")
		return [2]string{strconv.Itoa(id), row}, err
	}, `SELECT id, email, first_name, last_name, source, order_id, channel_id, consents, date_created, date_modified
		FROM subscribers WHERE `+inList("id"), listArg(ids))
	if err != nil {
		return st, err
	}
	for _, r := range rows {
		id, _ := strconv.Atoi(r[0])
		old[id] = r[1]
	}
	if _, err := tx.exec(ctx, `UPDATE subscribers SET email_fold = '#' || id WHERE `+inList("id"), listArg(ids)); err != nil {
		return st, fmt.Errorf("mirror subscribers: %w", err)
	}
	folds := make([]string, len(ss))
	for i, s := range ss {
		folds[i] = Fold(s.Email)
	}
	owners, err := tx.emailOwners(ctx, "subscribers", folds)
	if err != nil {
		return st, err
	}
	var conflicts []int
	for _, id := range owners {
		if !slices.Contains(ids, id) {
			conflicts = append(conflicts, id)
		}
	}
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		return st, &MirrorConflict{IDs: conflicts}
	}
	for _, s := range ss {
		ch := s.ChannelID
		if ch < 1 {
			ch = 1
		}
		consents := s.Consents
		if consents == nil {
			consents = []string{}
		}
		var order any
		if s.OrderID != nil {
			order = *s.OrderID
		}
		created, modified := formatTime(tx.mirrorTime(s.DateCreated)), formatTime(tx.mirrorTime(s.DateModified))
		if _, err := tx.exec(ctx, `INSERT INTO subscribers (id, email, email_fold, first_name, last_name, source, order_id,
			channel_id, consents, date_created, date_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET email = excluded.email, email_fold = excluded.email_fold, first_name = excluded.first_name,
			last_name = excluded.last_name, source = excluded.source, order_id = excluded.order_id, channel_id = excluded.channel_id,
			consents = excluded.consents, date_created = excluded.date_created, date_modified = excluded.date_modified`,
			s.ID, s.Email, Fold(s.Email), s.FirstName, s.LastName, s.Source, order, ch, jsonArray(consents), created, modified); err != nil {
			return st, fmt.Errorf("mirror subscriber %d: %w", s.ID, err)
		}
		orderText := ""
		if s.OrderID != nil {
			orderText = strconv.Itoa(*s.OrderID)
		}
		now := strings.Join([]string{s.Email, s.FirstName, s.LastName, s.Source, orderText, strconv.Itoa(ch), jsonArray(consents), created, modified}, "\x00")
		prev, had := old[s.ID]
		switch {
		case !had:
			st.Created++
			err = tx.addEvent(ctx, ScopeSubscriberCreated, subscriberEvent(s.ID))
		case prev != now:
			st.Updated++
			err = tx.addEvent(ctx, ScopeSubscriberUpdated, subscriberEvent(s.ID))
		default:
			st.Unchanged++
		}
		if err != nil {
			return st, err
		}
	}
	if err := tx.setMirrorState(ctx, state); err != nil {
		return st, err
	}
	return st, tx.Commit()
}

// MirrorSettings writes the store-wide settings and the given channels'
// settings as the upstream has them.
func (db *DB) MirrorSettings(ctx context.Context, s wire.Settings, channels map[int]wire.ChannelSettings) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `UPDATE customer_settings SET ask_shopper_for_tracking_consent = ?, policy_url = ? WHERE id = 1`,
		s.PrivacySettings.AskShopperForTrackingConsent, s.PrivacySettings.PolicyURL); err != nil {
		return fmt.Errorf("mirror settings: %w", err)
	}
	for id, c := range channels {
		if _, err := tx.exec(ctx, `INSERT INTO channel_customer_settings (channel_id, allow_global_logins, ask_shopper_for_tracking_consent,
			policy_url, guest_customer_group_id, default_customer_group_id) VALUES (?, ?, ?, ?,
			(SELECT id FROM customer_groups WHERE id = ?), (SELECT id FROM customer_groups WHERE id = ?))
			ON CONFLICT (channel_id) DO UPDATE SET allow_global_logins = excluded.allow_global_logins,
			ask_shopper_for_tracking_consent = excluded.ask_shopper_for_tracking_consent, policy_url = excluded.policy_url,
			guest_customer_group_id = excluded.guest_customer_group_id, default_customer_group_id = excluded.default_customer_group_id`,
			id, c.AllowGlobalLogins, c.PrivacySettings.AskShopperForTrackingConsent, c.PrivacySettings.PolicyURL,
			c.CustomerGroupSettings.GuestCustomerGroupID, c.CustomerGroupSettings.DefaultCustomerGroupID); err != nil {
			return fmt.Errorf("mirror channel settings: %w", err)
		}
	}
	return tx.Commit()
}

// MirrorState returns the mirror's state values.
func (db *DB) MirrorState(ctx context.Context) (map[string]string, error) {
	pairs, err := queryAll(ctx, db, db.reader, func(s rowScanner) ([2]string, error) {
		var p [2]string
		return p, s.Scan(&p[0], &p[1])
	}, `SELECT name, value FROM mirror_state`)
	if err != nil {
		return nil, fmt.Errorf("mirror state: %w", err)
	}
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		out[p[0]] = p[1]
	}
	return out, nil
}

// SetMirrorState sets state values; an empty value removes one.
func (db *DB) SetMirrorState(ctx context.Context, state map[string]string) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.setMirrorState(ctx, state); err != nil {
		return err
	}
	return tx.Commit()
}

func (tx *Tx) setMirrorState(ctx context.Context, state map[string]string) error {
	for k, v := range state {
		var err error
		if v == "" {
			_, err = tx.exec(ctx, `DELETE FROM mirror_state WHERE name = ?`, k)
		} else {
			_, err = tx.exec(ctx, `INSERT INTO mirror_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, k, v)
		}
		if err != nil {
			return fmt.Errorf("mirror state: %w", err)
		}
	}
	return nil
}

// IsMirrorConflict returns the conflict of err, if it is one.
func IsMirrorConflict(err error) (*MirrorConflict, bool) {
	return errors.AsType[*MirrorConflict](err)
}

// MirrorConsent writes a customer's consent as the upstream returned it.
func (db *DB) MirrorConsent(ctx context.Context, customerID int, c wire.Consent) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	allow, deny := c.Allow, c.Deny
	if allow == nil {
		allow = []string{}
	}
	if deny == nil {
		deny = []string{}
	}
	if _, err := tx.exec(ctx, `INSERT INTO customer_consent (customer_id, allow, deny, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (customer_id) DO UPDATE SET allow = excluded.allow, deny = excluded.deny, updated_at = excluded.updated_at`,
		customerID, jsonArray(allow), jsonArray(deny), formatTime(tx.mirrorTime(c.UpdatedAt))); err != nil {
		return fmt.Errorf("mirror consent: %w", err)
	}
	return tx.Commit()
}

// MirrorCount counts the rows of table ("customers" or "subscribers").
func (db *DB) MirrorCount(ctx context.Context, table string) (int, error) {
	if table != "customers" && table != "subscribers" {
		return 0, Errorf(EINVALID, "no mirror table %q", table)
	}
	ns, err := queryAll(ctx, db, db.reader, func(s rowScanner) (int, error) {
		var n int
		return n, s.Scan(&n)
	}, `SELECT COUNT(*) FROM `+table)
	if err != nil || len(ns) == 0 {
		return 0, err
	}
	return ns[0], nil
}
