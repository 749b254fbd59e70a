package rest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// V2 customers, addresses and customer groups. V2 answers bare JSON
// (arrays without an envelope), 204 for an empty list, dates as RFC 1123,
// and its own field names; its writes take one object at a time and go
// through the same storage calls as V3's batches.

// v2Time writes a customer date as V2 does: Thu, 11 Jan 2018 20:57:52 +0000.
func v2Time(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }

// v2GroupTime writes a group date as V2 does: 2023-07-17 06:30:41.
func v2GroupTime(t time.Time) string { return t.UTC().Format(time.DateTime) }

// v2Query reads V2's paging: page from 1, limit 1 to 250 (default 50).
func v2Page(q *query) storage.PageRequest {
	req := q.page()
	req.WantTotal = false
	return req
}

// v2Date reads a V2 date filter: RFC 1123 as V2 writes dates, or any form
// of the V3 filters.
func v2Date(q *query, name string) *storage.FilterDate {
	s := q.str(name)
	if s == nil {
		return nil
	}
	if t, err := time.Parse(time.RFC1123Z, *s); err == nil {
		return &storage.FilterDate{Time: t.UTC()}
	}
	return q.date(name)
}

// v2List answers a V2 list: the array, or 204 when it is empty.
func v2List[T any](w http.ResponseWriter, items []T) error {
	if len(items) == 0 {
		return noContent(w)
	}
	return ok(w, items)
}

// v2Fields names fields the V2 way: the V3 name, renamed where V2 differs.
func v2Fields(renames map[string]string) fieldNamer {
	base := fieldsV3("0.")
	return func(path string) string {
		f := base(path)
		for from, to := range renames {
			if f == from || strings.HasPrefix(f, from+".") {
				return to + strings.TrimPrefix(f, from)
			}
		}
		return f
	}
}

var (
	v2CustomerFields = map[string]string{"authentication.new_password": "_authentication.password",
		"accepts_product_review_abandoned_cart_emails": "accepts_marketing", "store_credit_amounts": "store_credit"}
	v2AddressFields = map[string]string{"address1": "street_1", "address2": "street_2", "state_or_province": "state",
		"postal_code": "zip", "country_code": "country"}
)

// v2Problems answers a V2 write's problems: 409 for a taken value, 400 for
// the others.
func v2Problems(err error, renames map[string]string) error {
	return invalidWith(err, "The input is not valid.", v2Fields(renames), map[string]int{
		storage.ECONFLICT: http.StatusConflict, storage.EINVALID: http.StatusBadRequest, storage.EREQUIRED: http.StatusBadRequest,
		storage.ETOOLONG: http.StatusBadRequest, storage.ENOTFOUND: http.StatusBadRequest, storage.ETOOMANYITEMS: http.StatusBadRequest})
}

// required is a 400 for the required fields a V2 body lacks.
func required(fields map[string]bool) error {
	errs := map[string]string{}
	for name, present := range fields {
		if !present {
			errs[name] = "The field is required."
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &apiError{status: http.StatusBadRequest, title: "Required fields are missing.", errors: errs}
}

// v2Customers builds the V2 form of customers: their own fields, store
// credit (the sum of V3's amounts) and form fields.
func (h *handler) v2Customers(ctx context.Context, r *http.Request, cs []*storage.Customer) ([]wire.V2Customer, error) {
	ids := make([]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	credit, err := h.db.FindStoreCreditByCustomerIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	values, err := h.db.FindFormFieldValuesByCustomerIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out := make([]wire.V2Customer, len(cs))
	for i, c := range cs {
		sum := 0.0
		for _, a := range credit[c.ID] {
			sum += a.Amount
		}
		resource := "/customers/" + strconv.Itoa(c.ID) + "/addresses"
		v := wire.V2Customer{ID: c.ID, Company: c.Company, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
			Phone: c.Phone, DateCreated: v2Time(c.DateCreated), DateModified: v2Time(c.DateModified),
			StoreCredit: wire.FormatDecimal(sum), RegistrationIPAddress: c.RegistrationIPAddress, Notes: c.Notes,
			TaxExemptCategory: c.TaxExemptCategory, AcceptsMarketing: c.AcceptsProductReviewAbandonedCartEmails,
			Addresses:        wire.V2Resource{URL: scheme + "://" + r.Host + "/stores/" + h.opts.StoreHash + "/v2" + resource, Resource: resource},
			ResetPassOnLogin: c.ForcePasswordReset, FormFields: []wire.V2FormField{}}
		if c.CustomerGroupID != nil {
			v.CustomerGroupID = *c.CustomerGroupID
		}
		for _, fv := range values[c.ID] {
			v.FormFields = append(v.FormFields, wire.V2FormField{Name: fv.Name, Value: v2FormValue(fv.Value)})
		}
		out[i] = v
	}
	return out, nil
}

// v2FormValue writes a form value as V2's text: a list joins with commas.
func v2FormValue(v storage.FormValue) string {
	switch x := v.Any().(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []string:
		return strings.Join(x, ",")
	}
	return ""
}

// v2CustomerFilter reads V2's customer filters.
func v2CustomerFilter(q *query) storage.CustomerFilter {
	f := storage.CustomerFilter{FirstName: q.str("first_name"), LastName: q.str("last_name"),
		TaxExemptCategory: q.str("tax_exempt_category"), IDMin: q.integer("min_id"), IDMax: q.integer("max_id"),
		DateCreated:  storage.NewTimeRange(nil, v2Date(q, "min_date_created"), v2Date(q, "max_date_created")),
		DateModified: storage.NewTimeRange(nil, v2Date(q, "min_date_modified"), v2Date(q, "max_date_modified"))}
	one := func(name string) []string {
		if s := q.str(name); s != nil {
			return []string{*s}
		}
		return nil
	}
	f.CompanyIn, f.EmailIn, f.PhoneIn = one("company"), one("email"), one("phone")
	if g := q.integer("customer_group_id"); g != nil {
		f.CustomerGroupIDIn = []int{*g}
	}
	return f
}

func (h *handler) v2ListCustomers(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := v2CustomerFilter(q)
	req := v2Page(q)
	if err := q.err(); err != nil {
		return err
	}
	ctx, end, err := h.db.Snapshot(r.Context())
	if err != nil {
		return err
	}
	defer end()
	pg, err := h.db.FindCustomers(ctx, f, storage.SortIDAsc, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	out, err := h.v2Customers(ctx, r.Request, pg.Items)
	if err != nil {
		return err
	}
	return v2List(w, out)
}

func (h *handler) v2CountCustomers(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := v2CustomerFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindCustomers(r.Context(), f, storage.SortIDAsc, storage.PageRequest{Page: 1, Limit: 1, WantTotal: true})
	if err != nil {
		return err
	}
	return ok(w, wire.Count{Count: pg.Total})
}

// v2CustomerID reads the {customer_id} of a V2 path and checks the
// customer exists.
func (h *handler) v2Customer(r *request) (*storage.Customer, error) {
	id, err := strconv.Atoi(r.PathValue("customer_id"))
	if err != nil || id < 1 {
		return nil, notFound("Customer")
	}
	c, err := h.db.FindCustomerByID(r.Context(), id)
	if storage.ErrorCode(err) == storage.ENOTFOUND {
		return nil, notFound("Customer")
	}
	return c, err
}

func (h *handler) v2GetCustomer(w http.ResponseWriter, r *request) error {
	c, err := h.v2Customer(r)
	if err != nil {
		return err
	}
	return h.v2WriteCustomer(w, r, c)
}

func (h *handler) v2WriteCustomer(w http.ResponseWriter, r *request, c *storage.Customer) error {
	out, err := h.v2Customers(r.Context(), r.Request, []*storage.Customer{c})
	if err != nil {
		return err
	}
	return ok(w, out[0])
}

// v2Password reads _authentication: the password must equal its
// confirmation when one is given.
func v2Password(a *wire.V2Authentication) (*string, error) {
	if a == nil || a.Password == nil {
		return nil, nil
	}
	if a.PasswordConfirmation != nil && *a.PasswordConfirmation != *a.Password {
		return nil, &apiError{status: http.StatusBadRequest, title: "The password confirmation does not match.",
			errors: map[string]string{"_authentication.password_confirmation": "Must equal the password."}}
	}
	return a.Password, nil
}

// v2Credit reads V2's store credit as V3's list of amounts: one amount, or
// none for 0.
func v2Credit(d *wire.Decimal) ([]*storage.StoreCreditAmount, error) {
	f, err := d.Float()
	if err != nil {
		return nil, &apiError{status: http.StatusBadRequest, title: "The store credit is not a number.",
			errors: map[string]string{"store_credit": "Must be a number."}}
	}
	if f == 0 {
		return []*storage.StoreCreditAmount{}, nil
	}
	return []*storage.StoreCreditAmount{{Amount: f}}, nil
}

func (h *handler) v2CreateCustomer(w http.ResponseWriter, r *request) error {
	var in wire.V2CustomerWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := required(map[string]bool{"first_name": in.FirstName != nil, "last_name": in.LastName != nil, "email": in.Email != nil}); err != nil {
		return err
	}
	password, err := v2Password(in.Authentication)
	if err != nil {
		return err
	}
	x := storage.CustomerInput{Email: *in.Email, FirstName: *in.FirstName, LastName: *in.LastName, Company: deref(in.Company),
		Phone: deref(in.Phone), Notes: deref(in.Notes), TaxExemptCategory: deref(in.TaxExemptCategory),
		RegistrationIPAddress: deref(in.RegistrationIPAddress), CustomerGroupID: groupOption(in.CustomerGroupID), NewPassword: password}
	if a := in.Authentication; a != nil && a.ForceReset != nil {
		x.ForcePasswordReset = *a.ForceReset
	}
	if in.StoreCredit != nil {
		if x.StoreCreditAmounts, err = v2Credit(in.StoreCredit); err != nil {
			return err
		}
	}
	cs, err := h.db.CreateCustomers(r.Context(), []storage.CustomerInput{x})
	if err != nil {
		return v2Problems(err, v2CustomerFields)
	}
	return h.v2WriteCustomer(w, r, cs[0])
}

func (h *handler) v2UpdateCustomer(w http.ResponseWriter, r *request) error {
	c, err := h.v2Customer(r)
	if err != nil {
		return err
	}
	var in wire.V2CustomerWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	password, err := v2Password(in.Authentication)
	if err != nil {
		return err
	}
	u := storage.CustomerUpdate{ID: c.ID, Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Company: in.Company,
		Phone: in.Phone, Notes: in.Notes, TaxExemptCategory: in.TaxExemptCategory, CustomerGroupID: groupOption(in.CustomerGroupID),
		NewPassword: password}
	if a := in.Authentication; a != nil {
		u.ForcePasswordReset = a.ForceReset
	}
	if in.StoreCredit != nil {
		credit, err := v2Credit(in.StoreCredit)
		if err != nil {
			return err
		}
		u.StoreCreditAmounts = storage.Some(credit)
	}
	cs, err := h.db.UpdateCustomers(r.Context(), []storage.CustomerUpdate{u})
	if err != nil {
		return v2Problems(err, v2CustomerFields)
	}
	return h.v2WriteCustomer(w, r, cs[0])
}

func (h *handler) v2DeleteCustomer(w http.ResponseWriter, r *request) error {
	id, err := strconv.Atoi(r.PathValue("customer_id"))
	if err != nil || id < 1 {
		return notFound("Customer")
	}
	if _, err := h.db.DeleteCustomers(r.Context(), []int{id}); err != nil {
		return err
	}
	return noContent(w)
}

// v2DeleteAll deletes up to 100 of the records find lists (V2 deletes in
// batches of 100), in storage's batches.
func v2DeleteAll(ctx context.Context, ids []int, del func(context.Context, []int) ([]int, error)) error {
	for len(ids) > 0 {
		n := min(len(ids), storage.MaxBatch)
		if _, err := del(ctx, ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// v2DeleteCustomers deletes up to 100 customers, the lowest ids first, of
// those that V2's filters match (all by default).
func (h *handler) v2DeleteCustomers(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := v2CustomerFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindCustomers(r.Context(), f, storage.SortIDAsc, storage.PageRequest{Page: 1, Limit: 100})
	if err != nil {
		return err
	}
	ids := make([]int, len(pg.Items))
	for i, c := range pg.Items {
		ids[i] = c.ID
	}
	if err := v2DeleteAll(r.Context(), ids, h.db.DeleteCustomers); err != nil {
		return err
	}
	return noContent(w)
}

func (h *handler) v2ValidatePassword(w http.ResponseWriter, r *request) error {
	id, err := strconv.Atoi(r.PathValue("customer_id"))
	if err != nil || id < 1 {
		return notFound("Customer")
	}
	var in wire.V2PasswordCheck
	if err := decode(r, &in); err != nil {
		return err
	}
	if ok, wait := h.passwords.Attempt(r.Context(), "customer:"+strconv.Itoa(id), clientAddress(r.Request)); !ok {
		return &apiError{status: http.StatusTooManyRequests, title: "Too many requests", retryAfter: wait}
	}
	match, err := h.db.CheckPasswordOf(r.Context(), id, in.Password)
	if storage.ErrorCode(err) == storage.ENOTFOUND {
		return notFound("Customer")
	}
	if err != nil {
		return err
	}
	return ok(w, wire.V2PasswordResult{Success: match})
}

// V2 addresses.

func v2Address(a *storage.CustomerAddress) wire.V2Address {
	return wire.V2Address{ID: a.ID, CustomerID: a.CustomerID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
		Street1: a.Address1, Street2: a.Address2, City: a.City, State: a.StateOrProvince, Zip: a.PostalCode,
		Country: a.Country(), CountryISO2: a.CountryCode, Phone: a.Phone, AddressType: string(a.AddressType)}
}

func (h *handler) v2ListAddresses(w http.ResponseWriter, r *request) error {
	c, err := h.v2Customer(r)
	if err != nil {
		return err
	}
	q := newQuery(r.Request)
	req := v2Page(q)
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindAddresses(r.Context(), storage.CustomerAddressFilter{CustomerIDIn: []int{c.ID}}, req)
	if err != nil {
		return err
	}
	return v2List(w, convertAll(pg.Items, v2Address))
}

func (h *handler) v2CountAddresses(w http.ResponseWriter, r *request) error {
	c, err := h.v2Customer(r)
	if err != nil {
		return err
	}
	counts, err := h.db.CountAddressesByCustomerIDs(r.Context(), []int{c.ID})
	if err != nil {
		return err
	}
	return ok(w, wire.Count{Count: counts[c.ID]})
}

// v2OwnAddress returns the address of the path if it is the customer's.
func (h *handler) v2OwnAddress(r *request) (*storage.CustomerAddress, error) {
	c, err := h.v2Customer(r)
	if err != nil {
		return nil, err
	}
	id, err := strconv.Atoi(r.PathValue("customer_address_id"))
	if err != nil || id < 1 {
		return nil, notFound("Address")
	}
	pg, err := h.db.FindAddresses(r.Context(), storage.CustomerAddressFilter{IDIn: []int{id}, CustomerIDIn: []int{c.ID}},
		storage.PageRequest{Page: 1, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(pg.Items) == 0 {
		return nil, notFound("Address")
	}
	return pg.Items[0], nil
}

func (h *handler) v2GetAddress(w http.ResponseWriter, r *request) error {
	a, err := h.v2OwnAddress(r)
	if err != nil {
		return err
	}
	return ok(w, v2Address(a))
}

// v2AddressRequired checks the fields a V2 address write needs.
func v2AddressRequired(in wire.V2AddressWrite) error {
	return required(map[string]bool{"first_name": in.FirstName != nil, "last_name": in.LastName != nil,
		"phone": in.Phone != nil, "street_1": in.Street1 != nil, "city": in.City != nil, "state": in.State != nil,
		"zip": in.Zip != nil, "country": in.Country != nil})
}

// v2Country reads V2's full country name as its code.
func v2Country(name *string) (*string, error) {
	if name == nil {
		return nil, nil
	}
	code, ok := storage.CountryCode(strings.TrimSpace(*name))
	if !ok {
		return nil, &apiError{status: http.StatusBadRequest, title: "The country is not known.",
			errors: map[string]string{"country": fmt.Sprintf("%q is not a country name.", truncate(*name))}}
	}
	return &code, nil
}

// v2State reads V2's state: a single space stands for none.
func v2State(s *string) *string {
	if s != nil && strings.TrimSpace(*s) == "" {
		empty := ""
		return &empty
	}
	return s
}

func (h *handler) v2CreateAddress(w http.ResponseWriter, r *request) error {
	c, err := h.v2Customer(r)
	if err != nil {
		return err
	}
	var in wire.V2AddressWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := v2AddressRequired(in); err != nil {
		return err
	}
	code, err := v2Country(in.Country)
	if err != nil {
		return err
	}
	x := storage.AddressInput{CustomerID: c.ID, FirstName: *in.FirstName, LastName: *in.LastName, Company: deref(in.Company),
		Address1: *in.Street1, Address2: deref(in.Street2), City: *in.City, StateOrProvince: *v2State(in.State),
		PostalCode: *in.Zip, CountryCode: *code, Phone: *in.Phone, AddressType: storage.CustomerAddressType(deref(in.AddressType))}
	as, err := h.db.CreateAddresses(r.Context(), []storage.AddressInput{x})
	if err != nil {
		return v2Problems(err, v2AddressFields)
	}
	if len(as) == 0 {
		return &apiError{status: http.StatusConflict, title: "The customer already has this address."}
	}
	return ok(w, v2Address(as[0]))
}

func (h *handler) v2UpdateAddress(w http.ResponseWriter, r *request) error {
	a, err := h.v2OwnAddress(r)
	if err != nil {
		return err
	}
	var in wire.V2AddressWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := v2AddressRequired(in); err != nil {
		return err
	}
	code, err := v2Country(in.Country)
	if err != nil {
		return err
	}
	u := storage.AddressUpdate{ID: a.ID, FirstName: in.FirstName, LastName: in.LastName, Company: in.Company, Address1: in.Street1,
		Address2: in.Street2, City: in.City, StateOrProvince: v2State(in.State), PostalCode: in.Zip, CountryCode: code, Phone: in.Phone}
	if in.AddressType != nil {
		t := storage.CustomerAddressType(*in.AddressType)
		u.AddressType = &t
	}
	as, err := h.db.UpdateAddresses(r.Context(), []storage.AddressUpdate{u})
	if err != nil {
		return v2Problems(err, v2AddressFields)
	}
	if len(as) == 0 {
		return &apiError{status: http.StatusConflict, title: "The customer already has this address."}
	}
	return ok(w, v2Address(as[0]))
}

func (h *handler) v2DeleteAddress(w http.ResponseWriter, r *request) error {
	a, err := h.v2OwnAddress(r)
	if err != nil {
		return err
	}
	if _, err := h.db.DeleteAddresses(r.Context(), []int{a.ID}); err != nil {
		return err
	}
	return noContent(w)
}

// v2DeleteAddresses deletes every address of the customer.
func (h *handler) v2DeleteAddresses(w http.ResponseWriter, r *request) error {
	c, err := h.v2Customer(r)
	if err != nil {
		return err
	}
	as, err := h.db.FindAddressesByCustomerIDs(r.Context(), []int{c.ID})
	if err != nil {
		return err
	}
	ids := make([]int, len(as[c.ID]))
	for i, a := range as[c.ID] {
		ids[i] = a.ID
	}
	if err := v2DeleteAll(r.Context(), ids, h.db.DeleteAddresses); err != nil {
		return err
	}
	return noContent(w)
}

// V2 customer groups.

func v2Group(g *storage.CustomerGroup) wire.V2Group {
	out := wire.V2Group{ID: g.ID, Name: g.Name, IsDefault: g.IsDefault, IsGroupForGuests: g.IsGroupForGuests,
		CategoryAccess: wire.V2CategoryAccess{Type: string(g.CategoryAccess.Type), Categories: g.CategoryAccess.Categories},
		DiscountRules:  make([]wire.V2DiscountRule, len(g.DiscountRules)),
		DateCreated:    v2GroupTime(g.DateCreated), DateModified: v2GroupTime(g.DateModified)}
	for i, r := range g.DiscountRules {
		d := wire.V2DiscountRule{Type: string(r.Type), PriceListID: r.PriceListID, CategoryID: r.CategoryID, ProductID: r.ProductID}
		if r.Method != nil {
			m := string(*r.Method)
			d.Method = &m
		}
		if r.Amount != nil {
			a := wire.FormatDecimal(*r.Amount)
			d.Amount = &a
		}
		out.DiscountRules[i] = d
	}
	return out
}

func v2GroupFilter(q *query) storage.CustomerGroupFilter {
	return storage.CustomerGroupFilter{Name: q.str("name"), NameLike: q.str("name:like"), IsDefault: q.boolean("is_default"),
		IsGroupForGuests: q.boolean("is_group_for_guests"), DateCreated: q.dates("date_created"),
		DateModified: q.dates("date_modified")}
}

func (h *handler) v2ListGroups(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := v2GroupFilter(q)
	req := v2Page(q)
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindGroups(r.Context(), f, req)
	if err != nil {
		return err
	}
	return v2List(w, convertAll(pg.Items, v2Group))
}

func (h *handler) v2CountGroups(w http.ResponseWriter, r *request) error {
	pg, err := h.db.FindGroups(r.Context(), storage.CustomerGroupFilter{}, storage.PageRequest{Page: 1, Limit: 1, WantTotal: true})
	if err != nil {
		return err
	}
	return ok(w, wire.Count{Count: pg.Total})
}

func groupPathID(r *request) (int, error) {
	id, err := strconv.Atoi(r.PathValue("customer_group_id"))
	if err != nil || id < 1 {
		return 0, notFound("Customer group")
	}
	return id, nil
}

func (h *handler) v2GetGroup(w http.ResponseWriter, r *request) error {
	id, err := groupPathID(r)
	if err != nil {
		return err
	}
	g, err := h.db.FindGroupByID(r.Context(), id)
	if storage.ErrorCode(err) == storage.ENOTFOUND {
		return notFound("Customer group")
	}
	if err != nil {
		return err
	}
	return ok(w, v2Group(g))
}

// v2Rules reads discount rules.
func v2Rules(in []wire.V2DiscountRule) ([]storage.DiscountRule, error) {
	out := make([]storage.DiscountRule, len(in))
	for i, r := range in {
		d := storage.DiscountRule{Type: storage.DiscountRuleType(r.Type), PriceListID: r.PriceListID, CategoryID: r.CategoryID,
			ProductID: r.ProductID}
		if r.Method != nil {
			m := storage.DiscountMethod(*r.Method)
			d.Method = &m
		}
		if r.Amount != nil {
			f, err := r.Amount.Float()
			if err != nil {
				return nil, &apiError{status: http.StatusBadRequest, title: "A discount amount is not a number.",
					errors: map[string]string{fmt.Sprintf("discount_rules.%d.amount", i): "Must be a number."}}
			}
			d.Amount = &f
		}
		out[i] = d
	}
	return out, nil
}

func (h *handler) v2CreateGroup(w http.ResponseWriter, r *request) error {
	var in wire.V2GroupWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := required(map[string]bool{"name": in.Name != nil}); err != nil {
		return err
	}
	rules, err := v2Rules(in.DiscountRules.Value)
	if err != nil {
		return err
	}
	x := storage.GroupInput{Name: *in.Name, DiscountRules: rules}
	if in.IsDefault != nil {
		x.IsDefault = *in.IsDefault
	}
	if in.IsGroupForGuests != nil {
		x.IsGroupForGuests = *in.IsGroupForGuests
	}
	if a := in.CategoryAccess; a != nil {
		x.CategoryAccess = &storage.CategoryAccess{Type: storage.CategoryAccessType(a.Type), Categories: a.Categories}
	}
	g, err := h.db.CreateGroup(r.Context(), x)
	if err != nil {
		return v2GroupProblems(err)
	}
	return ok(w, v2Group(g))
}

// v2GroupProblems answers a group write's problems (single-object paths,
// "input.name" and the like).
func v2GroupProblems(err error) error {
	return invalidWith(err, "The input is not valid.", fieldsV3(""), map[string]int{
		storage.ECONFLICT: http.StatusConflict, storage.EINVALID: http.StatusBadRequest, storage.EREQUIRED: http.StatusBadRequest,
		storage.ETOOLONG: http.StatusBadRequest, storage.ETOOMANYITEMS: http.StatusBadRequest})
}

func (h *handler) v2UpdateGroup(w http.ResponseWriter, r *request) error {
	id, err := groupPathID(r)
	if err != nil {
		return err
	}
	var in wire.V2GroupWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	u := storage.GroupUpdate{ID: id, Name: in.Name, IsDefault: in.IsDefault, IsGroupForGuests: in.IsGroupForGuests}
	if a := in.CategoryAccess; a != nil {
		u.CategoryAccess = &storage.CategoryAccess{Type: storage.CategoryAccessType(a.Type), Categories: a.Categories}
	}
	if in.DiscountRules.Set {
		rules, err := v2Rules(in.DiscountRules.Value)
		if err != nil {
			return err
		}
		u.DiscountRules = storage.Some(rules)
	}
	g, err := h.db.UpdateGroup(r.Context(), u)
	if isNotFoundOn(err, "input.id") {
		return notFound("Customer group")
	}
	if err != nil {
		return v2GroupProblems(err)
	}
	return ok(w, v2Group(g))
}

func (h *handler) v2DeleteGroup(w http.ResponseWriter, r *request) error {
	id, err := groupPathID(r)
	if err != nil {
		return err
	}
	if _, err := h.db.DeleteGroups(r.Context(), []int{id}); err != nil {
		return err
	}
	return noContent(w)
}

// v2DeleteGroups deletes every customer group (V2's default), or those the
// filters match.
func (h *handler) v2DeleteGroups(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := v2GroupFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	for {
		pg, err := h.db.FindGroups(r.Context(), f, storage.PageRequest{Page: 1, Limit: storage.MaxBatch})
		if err != nil {
			return err
		}
		if len(pg.Items) == 0 {
			return noContent(w)
		}
		ids := make([]int, len(pg.Items))
		for i, g := range pg.Items {
			ids[i] = g.ID
		}
		if _, err := h.db.DeleteGroups(r.Context(), ids); err != nil {
			return err
		}
	}
}
