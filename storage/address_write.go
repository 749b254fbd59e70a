package storage

import (
	"context"
	"fmt"
	"strings"
)

// AddressInput is an address to create (V3 address_Post; inside a customer
// create, CustomerID is ignored).
type AddressInput struct {
	CustomerID      int
	FirstName       string
	LastName        string
	Company         string
	Address1        string
	Address2        string
	City            string
	StateOrProvince string
	PostalCode      string
	CountryCode     string
	Phone           string
	// AddressType is residential when empty.
	AddressType CustomerAddressType
	FormFields  []FormFieldValueInput
	// ID keeps the address id on import; zero assigns a new one.
	ID int
}

// AddressUpdate changes an address (V3 address_Put, which needs only the id
// today, ../API.md decision 11); nil fields are left alone.
type AddressUpdate struct {
	ID              int
	FirstName       *string
	LastName        *string
	Company         *string
	Address1        *string
	Address2        *string
	City            *string
	StateOrProvince *string
	PostalCode      *string
	CountryCode     *string
	Phone           *string
	AddressType     *CustomerAddressType
	FormFields      []FormFieldValueInput
}

// statesRequired lists the countries whose addresses need a state or
// province (today's V3 requires one only where the country has them,
// domain/customers-spec.md Appendix A).
var statesRequired = map[string]bool{"US": true, "CA": true, "AU": true, "BR": true, "MX": true, "IN": true,
	"AR": true, "CN": true, "JP": true, "MY": true, "ID": true}

// noPostalCodes lists the countries without postal codes, whose addresses
// may leave it empty.
var noPostalCodes = map[string]bool{"AE": true, "AG": true, "AO": true, "AW": true, "BF": true, "BI": true,
	"BJ": true, "BO": true, "BS": true, "BW": true, "BZ": true, "CD": true, "CF": true, "CG": true, "CI": true,
	"CK": true, "CM": true, "DJ": true, "DM": true, "ER": true, "FJ": true, "GA": true, "GD": true, "GH": true,
	"GM": true, "GQ": true, "GY": true, "HK": true, "JM": true, "KI": true, "KM": true, "KN": true, "KP": true,
	"LC": true, "ML": true, "MO": true, "MR": true, "MS": true, "MW": true, "NR": true, "NU": true, "QA": true,
	"RW": true, "SB": true, "SC": true, "SL": true, "SR": true, "ST": true, "SY": true, "TF": true, "TG": true,
	"TK": true, "TL": true, "TO": true, "TT": true, "TV": true, "UG": true, "VU": true, "YE": true, "ZW": true}

// address checks the fields of an address (domain/customers-spec.md §3.4)
// and returns it as the row to store.
func (ic *itemChecker) address(in *AddressInput) *CustomerAddress {
	a := &CustomerAddress{
		ID: in.ID, CustomerID: in.CustomerID, FirstName: in.FirstName, LastName: in.LastName, Company: in.Company,
		Address1: in.Address1, Address2: in.Address2, City: in.City, StateOrProvince: in.StateOrProvince,
		PostalCode: in.PostalCode, CountryCode: strings.ToUpper(strings.TrimSpace(in.CountryCode)), Phone: in.Phone,
		AddressType: in.AddressType,
	}
	if a.AddressType == "" {
		a.AddressType = AddressResidential
	}
	ic.addressFields(a)
	return a
}

// addressFields checks a complete address row.
func (ic *itemChecker) addressFields(a *CustomerAddress) {
	ic.text("firstName", a.FirstName, 1, 255, false)
	ic.text("lastName", a.LastName, 1, 255, false)
	ic.text("company", a.Company, 0, 255, false)
	ic.text("address1", a.Address1, 1, 255, false)
	ic.text("address2", a.Address2, 0, 255, false)
	ic.text("city", a.City, 1, 100, false)
	ic.text("phone", a.Phone, 0, 50, false)
	switch _, known := CountryName(a.CountryCode); {
	case a.CountryCode == "":
		ic.fail(EREQUIRED, "countryCode", "Required.")
	case !known:
		ic.fail(EINVALID, "countryCode", "%q is not an ISO 3166-1 alpha-2 country code.", truncate(a.CountryCode, 10))
	}
	minState, minPostal := 0, 1
	if statesRequired[a.CountryCode] {
		minState = 1
	}
	if noPostalCodes[a.CountryCode] {
		minPostal = 0
	}
	ic.text("stateOrProvince", a.StateOrProvince, minState, 100, false)
	ic.text("postalCode", a.PostalCode, minPostal, 30, false)
	if !valid(a.AddressType, addressTypes) {
		ic.fail(EINVALID, "addressType", "Must be residential or commercial.")
	}
}

// addressKey is the identity of an address: two addresses of a customer with
// equal keys are the same address (domain/customers-spec.md Appendix A).
func addressKey(a *CustomerAddress) string {
	return strings.Join([]string{fmt.Sprint(a.CustomerID), a.FirstName, a.LastName, a.Company, a.Phone,
		string(a.AddressType), a.Address1, a.Address2, a.City, a.CountryCode, a.StateOrProvince, a.PostalCode}, "\x00")
}

// addressKeysOf returns the identity keys of the stored addresses of the
// customers, mapped to the address id.
func (tx *Tx) addressKeysOf(ctx context.Context, customerIDs []int) (map[string]int, error) {
	all, err := queryTx(ctx, tx, addressList.scanRow,
		`SELECT `+addressColumns+` FROM customer_addresses a WHERE `+inList("a.customer_id"),
		listArg(customerIDs))
	if err != nil {
		return nil, fmt.Errorf("find addresses: %w", err)
	}
	out := make(map[string]int, len(all))
	for _, a := range all {
		out[addressKey(a)] = a.ID
	}
	return out, nil
}

// formValues checks form field values given with a customer or an address
// against the definitions (which must apply to scope) and returns them as
// rows for the owner.
func (ic *itemChecker) formValues(in []FormFieldValueInput, defs map[string]*CustomerFormField, scope CustomerFormFieldScope) []*CustomerFormFieldValue {
	var out []*CustomerFormFieldValue
	seen := map[string]bool{}
	for j, fv := range in {
		vc := ic.at("formFields", j)
		def := defs[fv.Name]
		switch {
		case def == nil:
			vc.fail(ENOTFOUND, "name", "There is no form field named %q.", truncate(fv.Name, 60))
			continue
		case def.AppliesTo != "" && def.AppliesTo != scope:
			vc.fail(EINVALID, "name", "The form field %q belongs on %ss, not %ss.", def.Name, def.AppliesTo, scope)
			continue
		case seen[fv.Name]:
			vc.fail(ECONFLICT, "name", "The form field %q is given twice.", def.Name)
			continue
		}
		seen[fv.Name] = true
		v := vc.formValue("value", def, fv.Value)
		out = append(out, &CustomerFormFieldValue{FormFieldID: def.ID, Name: def.Name, Value: v})
	}
	return out
}

// formFieldNames returns the names of every form field value in the lists.
func formFieldNames(lists ...[]FormFieldValueInput) []string {
	var names []string
	for _, l := range lists {
		for _, fv := range l {
			names = append(names, fv.Name)
		}
	}
	return names
}

// CreateAddresses creates addresses, all or none (V3 POST
// /customers/addresses). An address that exactly duplicates one its customer
// already has (or an earlier one of the batch) writes nothing and is left
// out of the result (../API.md decision 11). It returns Errors (NOT_FOUND
// for an unknown customer or form field, and the field codes).
func (db *DB) CreateAddresses(ctx context.Context, in []AddressInput) ([]*CustomerAddress, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	rows := make([]*CustomerAddress, len(in))
	customers := make([]int, len(in))
	for i := range in {
		ic := c.item("input", i)
		ic.positive("customerId", in[i].CustomerID)
		rows[i] = ic.address(&in[i])
		customers[i] = in[i].CustomerID
	}
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	found, err := tx.existing(ctx, "customers", customers)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range in {
		names = append(names, formFieldNames(a.FormFields)...)
	}
	fields, err := tx.formFieldsByName(ctx, names)
	if err != nil {
		return nil, err
	}
	keys, err := tx.addressKeysOf(ctx, customers)
	if err != nil {
		return nil, err
	}
	values := make([][]*CustomerFormFieldValue, len(in))
	for i := range in {
		ic := c.item("input", i)
		if !found[in[i].CustomerID] {
			ic.fail(ENOTFOUND, "customerId", "There is no customer %d.", in[i].CustomerID)
		}
		values[i] = ic.formValues(in[i].FormFields, fields, FormFieldOnAddress)
	}
	if c.err() != nil {
		return nil, c.err()
	}
	out := []*CustomerAddress{}
	for i, a := range rows {
		k := addressKey(a)
		if _, dup := keys[k]; dup {
			continue
		}
		if err := tx.insertAddress(ctx, a); err != nil {
			return nil, err
		}
		keys[k] = a.ID
		if err := tx.writeAddressValues(ctx, a.ID, values[i]); err != nil {
			return nil, err
		}
		if err := tx.addEvent(ctx, ScopeAddressCreated, addressEvent(a.ID, a.CustomerID)); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// writeAddressValues upserts an address's form field values.
func (tx *Tx) writeAddressValues(ctx context.Context, addressID int, values []*CustomerFormFieldValue) error {
	for _, v := range values {
		v.AddressID = &addressID
		if err := tx.upsertFormFieldValue(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// UpdateAddresses changes addresses, all or none (V3 PUT
// /customers/addresses); only the given fields change. An update that would
// make an address an exact duplicate of another of its customer's writes
// nothing and is left out of the result (domain/customers-spec.md Appendix
// A). It returns Errors (NOT_FOUND for an unknown id or form field, and the
// field codes).
func (db *DB) UpdateAddresses(ctx context.Context, in []AddressUpdate) ([]*CustomerAddress, error) {
	var c checker
	if !c.batch("input", len(in), false) {
		return nil, c.err()
	}
	ids := make([]int, len(in))
	seen := map[int]int{}
	for i, u := range in {
		ids[i] = u.ID
		if j, dup := seen[u.ID]; dup {
			c.item("input", i).fail(ECONFLICT, "id", "The address %d is also updated by item %d of this batch.", u.ID, j)
		}
		seen[u.ID] = i
	}
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	current, err := byID(ctx, tx, addressList, "a.id", ids, func(a *CustomerAddress) int { return a.ID })
	if err != nil {
		return nil, err
	}
	var customers []int
	var names []string
	for _, a := range current {
		customers = append(customers, a.CustomerID)
	}
	for _, u := range in {
		names = append(names, formFieldNames(u.FormFields)...)
	}
	keys, err := tx.addressKeysOf(ctx, customers)
	if err != nil {
		return nil, err
	}
	fields, err := tx.formFieldsByName(ctx, names)
	if err != nil {
		return nil, err
	}
	next := make([]*CustomerAddress, len(in))
	values := make([][]*CustomerFormFieldValue, len(in))
	for i, u := range in {
		ic := c.item("input", i)
		old := current[u.ID]
		if old == nil {
			ic.fail(ENOTFOUND, "id", "There is no address %d.", u.ID)
			continue
		}
		n := *old
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&n.FirstName, u.FirstName}, {&n.LastName, u.LastName}, {&n.Company, u.Company}, {&n.Address1, u.Address1},
			{&n.Address2, u.Address2}, {&n.City, u.City}, {&n.StateOrProvince, u.StateOrProvince},
			{&n.PostalCode, u.PostalCode}, {&n.Phone, u.Phone}} {
			setString(f.dst, f.v)
		}
		if u.CountryCode != nil {
			n.CountryCode = strings.ToUpper(strings.TrimSpace(*u.CountryCode))
		}
		if u.AddressType != nil {
			n.AddressType = *u.AddressType
		}
		ic.addressFields(&n)
		values[i] = ic.formValues(u.FormFields, fields, FormFieldOnAddress)
		next[i] = &n
	}
	if c.err() != nil {
		return nil, c.err()
	}
	out := []*CustomerAddress{}
	skip := duplicateUpdates(current, next, keys)
	for i, n := range next {
		if skip[i] {
			continue // it would duplicate another address: a no-op
		}
		oldKey, newKey := addressKey(current[n.ID]), addressKey(n)
		if oldKey != newKey {
			if _, err := tx.exec(ctx, `UPDATE customer_addresses SET first_name = ?, last_name = ?, name_fold = ?,
				company = ?, address1 = ?, address2 = ?, city = ?, state_or_province = ?, postal_code = ?,
				country_code = ?, phone = ?, address_type = ? WHERE id = ?`,
				n.FirstName, n.LastName, Fold(fullName(n.FirstName, n.LastName)), n.Company, n.Address1, n.Address2,
				n.City, n.StateOrProvince, n.PostalCode, n.CountryCode, n.Phone, string(n.AddressType), n.ID); err != nil {
				return nil, fmt.Errorf("update address: %w", err)
			}
		}
		if err := tx.writeAddressValues(ctx, n.ID, values[i]); err != nil {
			return nil, err
		}
		if oldKey != newKey || len(values[i]) > 0 {
			if err := tx.addEvent(ctx, ScopeAddressUpdated, addressEvent(n.ID, n.CustomerID)); err != nil {
				return nil, err
			}
		}
		out = append(out, n)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// duplicateUpdates reports which of the updates next (of the stored
// addresses current) would make their address an exact duplicate of another
// of its customer's once the whole batch is applied; keys maps the stored
// keys of the customers' addresses to their ids. Such an update is a no-op,
// so its address keeps its stored key, which may in turn make another update
// a duplicate: the check runs until nothing changes. The outcome does not
// depend on the order of the batch, except that of two updates giving the
// same new address the earlier is written.
func duplicateUpdates(current map[int]*CustomerAddress, next []*CustomerAddress, keys map[string]int) []bool {
	updated := make(map[int]bool, len(next))
	for _, n := range next {
		updated[n.ID] = true
	}
	skip := make([]bool, len(next))
	for changed := true; changed; {
		changed = false
		final := map[string]int{} // key -> address id, after the batch
		for k, id := range keys {
			if !updated[id] {
				final[k] = id
			}
		}
		for i, n := range next {
			if skip[i] {
				final[addressKey(current[n.ID])] = n.ID
			}
		}
		for i, n := range next {
			if skip[i] {
				continue
			}
			k := addressKey(n)
			if owner, dup := final[k]; dup && owner != n.ID {
				skip[i], changed = true, true
				continue
			}
			final[k] = n.ID
		}
	}
	return skip
}

// DeleteAddresses deletes the addresses with the ids, with their form field
// values, and returns the ids it deleted; unknown ids are ignored.
func (db *DB) DeleteAddresses(ctx context.Context, ids []int) ([]int, error) {
	var owners map[int]*CustomerAddress
	return db.deleteByID(ctx, "customer_addresses", ids, func(tx *Tx, id int) error {
		if owners == nil {
			var err error
			if owners, err = byID(ctx, tx, addressList, "a.id", ids, func(a *CustomerAddress) int { return a.ID }); err != nil {
				return err
			}
		}
		return tx.addEvent(ctx, ScopeAddressDeleted, addressEvent(id, owners[id].CustomerID))
	})
}
