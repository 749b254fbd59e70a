package rest

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// V3 customers and addresses.

// customerSorts are the V3 sort values (and the id orders, which V3 lacks
// but the default is).
var customerSorts = map[string]storage.CustomerSort{
	"id:asc": storage.SortIDAsc, "id:desc": storage.SortIDDesc,
	"date_created:asc": storage.SortDateCreatedAsc, "date_created:desc": storage.SortDateCreatedDesc,
	"date_modified:asc": storage.SortDateModifiedAsc, "date_modified:desc": storage.SortDateModifiedDesc,
	"last_name:asc": storage.SortLastNameAsc, "last_name:desc": storage.SortLastNameDesc,
}

// customerFilter reads the V3 filters of GET /customers.
func customerFilter(q *query) storage.CustomerFilter {
	return storage.CustomerFilter{
		IDIn:                    q.ints("id:in"),
		CompanyIn:               q.strs("company:in"),
		CustomerGroupIDIn:       q.ints("customer_group_id:in"),
		DateCreated:             q.dates("date_created"),
		DateModified:            q.dates("date_modified"),
		EmailIn:                 q.strs("email:in"),
		NameIn:                  q.strs("name:in"),
		NameLike:                q.strs("name:like"),
		PhoneIn:                 q.strs("phone:in"),
		RegistrationIPAddressIn: q.strs("registration_ip_address:in"),
	}
}

func (h *handler) listCustomers(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := customerFilter(q)
	sort := storage.SortIDAsc
	if s := q.str("sort"); s != nil {
		var ok bool
		if sort, ok = customerSorts[*s]; !ok {
			q.fail("sort", "sort is date_created:asc, date_created:desc, date_modified:asc, date_modified:desc, last_name:asc or last_name:desc.")
		}
	}
	inc := includes(q, customerIncludes)
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	ctx, end, err := h.db.Snapshot(r.Context())
	if err != nil {
		return err
	}
	defer end()
	pg, err := h.db.FindCustomers(ctx, f, sort, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	data, err := h.v3Customers(ctx, pg.Items, inc)
	if err != nil {
		return err
	}
	return writeCustomers(w, data, pageMeta(r.Request, pg))
}

func (h *handler) createCustomers(w http.ResponseWriter, r *request) error {
	var in []wire.CustomerPost
	if err := decode(r, &in); err != nil {
		return err
	}
	errs := map[string]string{}
	out := make([]storage.CustomerInput, len(in))
	for i, c := range in {
		x := storage.CustomerInput{Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company,
			Phone: c.Phone, Notes: c.Notes, TaxExemptCategory: c.TaxExemptCategory, CustomerGroupID: groupOption(c.CustomerGroupID),
			AcceptsProductReviewAbandonedCartEmails: c.AcceptsProductReviewAbandonedCartEmails, OriginChannelID: c.OriginChannelID,
			ChannelIDs: c.ChannelIDs, FormFields: formInputs(c.FormFields, fmt.Sprintf("%d.form_fields", i), errs)}
		for j, a := range c.Addresses {
			x.Addresses = append(x.Addresses, addressInput(a, fmt.Sprintf("%d.addresses.%d.form_fields", i, j), errs))
		}
		for _, a := range c.Attributes {
			v := a.AttributeValue
			if a.Value != nil {
				v = *a.Value
			}
			x.Attributes = append(x.Attributes, storage.AttributeValueInput{AttributeID: a.AttributeID, Value: v})
		}
		for _, a := range c.StoreCreditAmounts {
			x.StoreCreditAmounts = append(x.StoreCreditAmounts, &storage.StoreCreditAmount{Amount: a.Amount})
		}
		if auth := c.Authentication; auth != nil {
			x.NewPassword = auth.NewPassword
			x.ForcePasswordReset = auth.ForcePasswordReset != nil && *auth.ForcePasswordReset
		}
		out[i] = x
	}
	if err := bodyErrors(errs); err != nil {
		return err
	}
	cs, err := h.db.CreateCustomers(r.Context(), out)
	if err != nil {
		return invalid(err, "Create customers failed.", fieldsV3(""))
	}
	data, err := h.v3Customers(r.Context(), cs, everything)
	if err != nil {
		return err
	}
	return writeCustomers(w, data, wire.Meta{})
}

func addressInput(a wire.AddressPost, formField string, errs map[string]string) storage.AddressInput {
	return storage.AddressInput{CustomerID: a.CustomerID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
		Address1: a.Address1, Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince, PostalCode: a.PostalCode,
		CountryCode: a.CountryCode, Phone: a.Phone, AddressType: storage.CustomerAddressType(a.AddressType),
		FormFields: formInputs(a.FormFields, formField, errs)}
}

func (h *handler) updateCustomers(w http.ResponseWriter, r *request) error {
	var in []wire.CustomerPut
	if err := decode(r, &in); err != nil {
		return err
	}
	errs := map[string]string{}
	out := make([]storage.CustomerUpdate, len(in))
	for i, c := range in {
		u := storage.CustomerUpdate{ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company,
			Phone: c.Phone, Notes: c.Notes, TaxExemptCategory: c.TaxExemptCategory, CustomerGroupID: groupOption(c.CustomerGroupID),
			AcceptsProductReviewAbandonedCartEmails: c.AcceptsProductReviewAbandonedCartEmails,
			ChannelIDs:                              storage.Optional[[]int]{Set: c.ChannelIDs.Set, Value: c.ChannelIDs.Value},
			FormFields:                              formInputs(c.FormFields, fmt.Sprintf("%d.form_fields", i), errs)}
		if c.StoreCreditAmounts.Set {
			credit := []*storage.StoreCreditAmount{}
			for _, a := range c.StoreCreditAmounts.Value {
				credit = append(credit, &storage.StoreCreditAmount{Amount: a.Amount})
			}
			u.StoreCreditAmounts = storage.Some(credit)
		}
		if auth := c.Authentication; auth != nil {
			u.NewPassword, u.ForcePasswordReset = auth.NewPassword, auth.ForcePasswordReset
		}
		out[i] = u
	}
	if err := bodyErrors(errs); err != nil {
		return err
	}
	cs, err := h.db.UpdateCustomers(r.Context(), out)
	if err != nil {
		return invalid(err, "Update customers failed.", fieldsV3(""))
	}
	data, err := h.v3Customers(r.Context(), cs, map[string]bool{"storecredit": true, "formfields": true})
	if err != nil {
		return err
	}
	return writeCustomers(w, data, wire.Meta{})
}

// deleteByIDs serves a V3 DELETE ?id:in=...: 204 whether or not the ids
// existed; without id:in, nothing is deleted (as V3 documents for
// customers).
func deleteByIDs(del func(h *handler, r *request, ids []int) ([]int, error)) func(*handler, http.ResponseWriter, *request) error {
	return func(h *handler, w http.ResponseWriter, r *request) error {
		q := newQuery(r.Request)
		ids := q.ints("id:in")
		if err := q.err(); err != nil {
			return err
		}
		if ids == nil {
			return noContent(w)
		}
		if _, err := del(h, r, ids); err != nil {
			return invalid(err, "The id:in values are not valid.", func(string) string { return "id:in" })
		}
		return noContent(w)
	}
}

func (h *handler) listAddresses(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := storage.CustomerAddressFilter{IDIn: q.ints("id:in"), CustomerIDIn: q.ints("customer_id:in"),
		CompanyIn: q.strs("company:in"), NameIn: q.strs("name:in")}
	inc := includes(q, []string{"formfields"})
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	ctx, end, err := h.db.Snapshot(r.Context())
	if err != nil {
		return err
	}
	defer end()
	pg, err := h.db.FindAddresses(ctx, f, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	out := collect(r.Request, pg, v3Address)
	if inc["formfields"] {
		if err := h.addFormFields(r, out.Data, pg.Items); err != nil {
			return err
		}
	}
	return ok(w, out)
}

// addFormFields sets the form field values of addresses.
func (h *handler) addFormFields(r *request, out []wire.Address, as []*storage.CustomerAddress) error {
	ids := make([]int, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	values, err := h.db.FindFormFieldValuesByAddressIDs(r.Context(), ids)
	if err != nil {
		return err
	}
	for i, a := range as {
		out[i].FormFields = embeddedValues(values[a.ID])
	}
	return nil
}

func (h *handler) createAddresses(w http.ResponseWriter, r *request) error {
	var in []wire.AddressPost
	if err := decode(r, &in); err != nil {
		return err
	}
	errs := map[string]string{}
	out := make([]storage.AddressInput, len(in))
	for i, a := range in {
		out[i] = addressInput(a, fmt.Sprintf("%d.form_fields", i), errs)
	}
	if err := bodyErrors(errs); err != nil {
		return err
	}
	as, err := h.db.CreateAddresses(r.Context(), out)
	if err != nil {
		return invalid(err, "Create addresses failed.", fieldsV3(""))
	}
	return h.writeAddresses(w, r, as)
}

// writeAddresses answers a write with the addresses written and their form
// fields; an address left out (a duplicate) is absent.
func (h *handler) writeAddresses(w http.ResponseWriter, r *request, as []*storage.CustomerAddress) error {
	data := convertAll(as, v3Address)
	if err := h.addFormFields(r, data, as); err != nil {
		return err
	}
	return ok(w, wire.Collection[wire.Address]{Data: data})
}

func (h *handler) updateAddresses(w http.ResponseWriter, r *request) error {
	var in []wire.AddressPut
	if err := decode(r, &in); err != nil {
		return err
	}
	errs := map[string]string{}
	out := make([]storage.AddressUpdate, len(in))
	for i, a := range in {
		out[i] = storage.AddressUpdate{ID: a.ID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
			Address1: a.Address1, Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince,
			PostalCode: a.PostalCode, CountryCode: a.CountryCode, Phone: a.Phone,
			FormFields: formInputs(a.FormFields, fmt.Sprintf("%d.form_fields", i), errs)}
		if a.AddressType != nil {
			t := storage.CustomerAddressType(*a.AddressType)
			out[i].AddressType = &t
		}
	}
	if err := bodyErrors(errs); err != nil {
		return err
	}
	as, err := h.db.UpdateAddresses(r.Context(), out)
	if err != nil {
		return invalid(err, "Update addresses failed.", fieldsV3(""))
	}
	return h.writeAddresses(w, r, as)
}

// customerID reads the {customerId} of a path; an id that is not a number
// is a 404 (no such customer).
func customerID(r *request, name string) (int, error) {
	id, err := strconv.Atoi(r.PathValue(name))
	if err != nil || id < 1 {
		return 0, notFound("Customer")
	}
	return id, nil
}

func (h *handler) getConsent(w http.ResponseWriter, r *request) error {
	id, err := customerID(r, "customerId")
	if err != nil {
		return err
	}
	c, err := h.db.FindConsent(r.Context(), id)
	if storage.ErrorCode(err) == storage.ENOTFOUND {
		return notFound("Customer")
	}
	if err != nil {
		return err
	}
	return ok(w, v3Consent(c))
}

func (h *handler) updateConsent(w http.ResponseWriter, r *request) error {
	id, err := customerID(r, "customerId")
	if err != nil {
		return err
	}
	var in wire.ConsentPut
	if err := decode(r, &in); err != nil {
		return err
	}
	cats := func(vs []string) []storage.ConsentCategory {
		out := make([]storage.ConsentCategory, len(vs))
		for i, v := range vs {
			out[i] = storage.ConsentCategory(v)
		}
		return out
	}
	c, err := h.db.UpdateConsent(r.Context(), storage.ConsentInput{CustomerID: id, Allow: cats(in.Allow), Deny: cats(in.Deny)})
	if isNotFoundOn(err, "customerId") {
		return notFound("Customer")
	}
	if err != nil {
		return invalid(err, "The consent is not valid.", fieldsV3(""))
	}
	return ok(w, v3Consent(c))
}

// storedInstruments lists a customer's stored payment instruments: none,
// as this store keeps no payment data.
func (h *handler) storedInstruments(w http.ResponseWriter, r *request) error {
	id, err := customerID(r, "customerId")
	if err != nil {
		return err
	}
	if _, err := h.db.FindCustomerByID(r.Context(), id); storage.ErrorCode(err) == storage.ENOTFOUND {
		return notFound("Customer")
	} else if err != nil {
		return err
	}
	return ok(w, []struct{}{})
}

func (h *handler) validateCredentials(w http.ResponseWriter, r *request) error {
	var in wire.CredentialsCheck
	if err := decode(r, &in); err != nil {
		return err
	}
	errs := map[string]string{}
	if in.Email == "" {
		errs["email"] = "Required."
	}
	if in.Password == "" {
		errs["password"] = "Required."
	}
	if err := bodyErrors(errs); err != nil {
		return err
	}
	channel := 1
	if in.ChannelID != nil {
		channel = *in.ChannelID
	}
	if ok, wait := h.passwords.Attempt(r.Context(), "email:"+storage.Fold(in.Email), clientAddress(r.Request)); !ok {
		return &apiError{status: http.StatusTooManyRequests, title: "Too many requests", retryAfter: wait}
	}
	check, err := h.db.CheckCredentials(r.Context(), in.Email, in.Password, channel)
	if err != nil {
		return invalid(err, "The credentials are not valid.", fieldsV3(""))
	}
	out := wire.CredentialsResult{IsValid: check.Valid}
	if check.Valid {
		out.CustomerID = &check.CustomerID
	}
	return ok(w, out)
}
