package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/upstream"
	"github.com/storefront/customers/wire"
)

// Writes in facade mode. Each runs the local write as a dry run first
// (dry: storage.DryRun with InferredFormFields): what fails here fails with the same userErrors and
// costs no upstream call. Then the upstream's batch endpoint is called;
// what it returns is read back with its relations and written to the
// mirror before the mutation answers, so a client reads its own writes.
// An upstream 422 becomes userErrors; 413, 429, 5xx and timeouts a
// top-level THROTTLED or UPSTREAM_UNAVAILABLE, with nothing written. A
// create whose answer was lost (Uncertain) is looked up at the upstream
// before answering.

// dryRun reads the outcome of a dry run: the userErrors the local write
// has (and then the mutation answers with them), or an internal error.
func dryRun(err error) ([]*model.UserError, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return ue, nil
}

func formValues(in []storage.FormFieldValueInput) []wire.FormFieldValue {
	if len(in) == 0 {
		return nil
	}
	out := make([]wire.FormFieldValue, len(in))
	for i, v := range in {
		b, _ := v.Value.MarshalJSON()
		out[i] = wire.FormFieldValue{Name: v.Name, Value: json.RawMessage(b)}
	}
	return out
}

func wireCredit(in []*storage.StoreCreditAmount) []wire.StoreCreditAmount {
	if in == nil {
		return nil
	}
	out := make([]wire.StoreCreditAmount, len(in))
	for i, a := range in {
		out[i] = wire.StoreCreditAmount{Amount: a.Amount}
	}
	return out
}

func toCustomerPosts(in []storage.CustomerInput) []wire.CustomerPost {
	out := make([]wire.CustomerPost, len(in))
	for i, c := range in {
		p := wire.CustomerPost{Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Phone: c.Phone,
			Notes: c.Notes, TaxExemptCategory: c.TaxExemptCategory, AcceptsProductReviewAbandonedCartEmails: c.AcceptsProductReviewAbandonedCartEmails,
			StoreCreditAmounts: wireCredit(c.StoreCreditAmounts), OriginChannelID: c.OriginChannelID, ChannelIDs: c.ChannelIDs,
			FormFields: formValues(c.FormFields), CustomerGroupID: wire.Optional[*int]{Set: c.CustomerGroupID.Set, Value: c.CustomerGroupID.Value}}
		for _, a := range c.Addresses {
			p.Addresses = append(p.Addresses, wire.AddressPost{FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
				Address1: a.Address1, Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince, PostalCode: a.PostalCode,
				CountryCode: a.CountryCode, Phone: a.Phone, AddressType: string(a.AddressType), FormFields: formValues(a.FormFields)})
		}
		for _, a := range c.Attributes {
			p.Attributes = append(p.Attributes, wire.CustomerAttributePost{AttributeID: a.AttributeID, AttributeValue: a.Value})
		}
		if c.NewPassword != nil || c.ForcePasswordReset {
			force := c.ForcePasswordReset
			p.Authentication = &wire.AuthenticationWrite{NewPassword: c.NewPassword, ForcePasswordReset: &force}
		}
		out[i] = p
	}
	return out
}

func toCustomerPuts(in []storage.CustomerUpdate) []wire.CustomerPut {
	out := make([]wire.CustomerPut, len(in))
	for i, u := range in {
		p := wire.CustomerPut{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Company: u.Company, Phone: u.Phone,
			Notes: u.Notes, TaxExemptCategory: u.TaxExemptCategory, AcceptsProductReviewAbandonedCartEmails: u.AcceptsProductReviewAbandonedCartEmails,
			CustomerGroupID: wire.Optional[*int]{Set: u.CustomerGroupID.Set, Value: u.CustomerGroupID.Value},
			ChannelIDs:      wire.Optional[[]int]{Set: u.ChannelIDs.Set, Value: u.ChannelIDs.Value},
			FormFields:      formValues(u.FormFields)}
		if u.StoreCreditAmounts.Set {
			p.StoreCreditAmounts = wire.Some(wireCredit(u.StoreCreditAmounts.Value))
		}
		if u.NewPassword != nil || u.ForcePasswordReset != nil {
			p.Authentication = &wire.AuthenticationWrite{NewPassword: u.NewPassword, ForcePasswordReset: u.ForcePasswordReset}
		}
		out[i] = p
	}
	return out
}

// upstreamProblems turns an upstream 4xx into the problems of the
// write, as local validation reports them (they become userErrors): a V3
// body's field map ("0.email": "...") gives the field path and index; the
// code is read from the status and the message, as the upstream does not
// send ours. Any other failure is a top-level error.
func upstreamProblems(err error) error {
	e, ok := err.(*upstream.Error)
	if !ok || e.Kind != upstream.Rejected || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		return upstreamError(err)
	}
	code := func(status int, msg string) string {
		m := strings.ToLower(msg)
		switch {
		case status == http.StatusConflict || strings.Contains(m, "already") || strings.Contains(m, "taken") || strings.Contains(m, "unique") || strings.Contains(m, "another"):
			return storage.ECONFLICT
		case status == http.StatusNotFound || strings.Contains(m, "not found") || strings.Contains(m, "no such"):
			return storage.ENOTFOUND
		case strings.Contains(m, "required") || strings.Contains(m, "missing"):
			return storage.EREQUIRED
		case strings.Contains(m, "too long") || strings.Contains(m, "characters or fewer"):
			return storage.ETOOLONG
		}
		return storage.EINVALID
	}
	var out storage.Errors
	if e.Body != nil {
		fields := make([]string, 0, len(e.Body.Errors))
		for f := range e.Body.Errors {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			pe := &storage.Error{Code: code(e.Status, e.Body.Errors[f]), Message: e.Body.Errors[f], Index: -1}
			parts := strings.Split(f, ".")
			if n, err := strconv.Atoi(parts[0]); err == nil {
				pe.Index = n
				pe.Field = "input." + strings.Join(camelAll(parts), ".")
			} else if f != "body" {
				pe.Field = strings.Join(camelAll(parts), ".")
			}
			out = append(out, pe)
		}
	}
	if len(out) == 0 {
		msg := "The upstream store refused the write."
		if e.Body != nil && e.Body.Title != "" {
			msg = e.Body.Title
		}
		out = append(out, &storage.Error{Code: code(e.Status, msg), Message: msg, Index: -1})
	}
	return out
}

// upstreamUserErrors is upstreamProblems as userErrors.
func upstreamUserErrors(err error) ([]*model.UserError, error) {
	return userErrors(upstreamProblems(err))
}

// camelAll writes snake_case path parts as the inputs' camelCase.
func camelAll(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		var b strings.Builder
		up := false
		for _, r := range p {
			if r == '_' {
				up = true
				continue
			}
			if up {
				r = unicode.ToUpper(r)
				up = false
			}
			b.WriteRune(r)
		}
		out[i] = b.String()
	}
	return out
}

// customersByIDs reads the mirror's customers in the ids' order.
func (r *Resolver) customersByIDs(ctx context.Context, ids []int) ([]*storage.Customer, error) {
	found, err := r.DB.FindCustomersByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*storage.Customer, 0, len(ids))
	for _, id := range ids {
		if c := found[id]; c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

func customerIDs(cs []wire.Customer) []int {
	ids := make([]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// The store writes of the customer and address mutations (GraphQL's and
// the shopper's): the store's own, or in facade mode the upstream's. They
// answer as the store's do: problems as storage errors.

func (r *Resolver) createCustomers(ctx context.Context, in []storage.CustomerInput) ([]*storage.Customer, error) {
	if r.mirror == nil {
		return r.DB.CreateCustomers(ctx, in)
	}
	return r.facadeCreateCustomers(ctx, in)
}

func (r *Resolver) updateCustomers(ctx context.Context, in []storage.CustomerUpdate) ([]*storage.Customer, error) {
	if r.mirror == nil {
		return r.DB.UpdateCustomers(ctx, in)
	}
	return r.facadeUpdateCustomers(ctx, in)
}

func (r *Resolver) deleteCustomers(ctx context.Context, ids []int) ([]int, error) {
	if r.mirror == nil {
		return r.DB.DeleteCustomers(ctx, ids)
	}
	return r.facadeDeleteCustomers(ctx, ids)
}

func (r *Resolver) createAddresses(ctx context.Context, in []storage.AddressInput) ([]*storage.CustomerAddress, error) {
	if r.mirror == nil {
		return r.DB.CreateAddresses(ctx, in)
	}
	return r.facadeCreateAddresses(ctx, in)
}

func (r *Resolver) updateAddresses(ctx context.Context, in []storage.AddressUpdate) ([]*storage.CustomerAddress, error) {
	if r.mirror == nil {
		return r.DB.UpdateAddresses(ctx, in)
	}
	return r.facadeUpdateAddresses(ctx, in)
}

func (r *Resolver) deleteAddresses(ctx context.Context, ids []int) ([]int, error) {
	if r.mirror == nil {
		return r.DB.DeleteAddresses(ctx, ids)
	}
	return r.facadeDeleteAddresses(ctx, ids)
}

func (r *Resolver) facadeCreateCustomers(ctx context.Context, in []storage.CustomerInput) ([]*storage.Customer, error) {
	if _, err := r.DB.CreateCustomers(dry(ctx), in); err != nil {
		return nil, err
	}
	var res wire.Collection[wire.Customer]
	err := r.mirror.Upstream().Do(ctx, http.MethodPost, "/v3/customers", nil, toCustomerPosts(in), &res)
	if upstream.KindOf(err) == upstream.Uncertain {
		// The answer was lost: did the batch (one transaction upstream)
		// happen? The emails were free in the mirror, so finding them all
		// says it did, finding none that it did not.
		emails := make([]string, len(in))
		for i, c := range in {
			emails[i] = c.Email
		}
		found, ferr := r.mirror.CustomersByEmail(ctx, emails)
		switch {
		case ferr != nil:
			return nil, upstreamError(ferr)
		case len(found) == len(in):
			res.Data, err = found, nil
		case len(found) == 0:
			return nil, upstreamError(err)
		default:
			r.mirror.Changed(customerIDs(found), nil)
			return nil, upstreamError(err)
		}
	}
	if err != nil {
		if upstream.KindOf(err) == upstream.Rejected {
			// The mirror passed what the upstream refused: it may lack a
			// customer holding one of the emails (a lost webhook). Bring
			// those in now.
			emails := make([]string, len(in))
			for i, c := range in {
				emails[i] = c.Email
			}
			if found, ferr := r.mirror.CustomersByEmail(ctx, emails); ferr == nil && len(found) > 0 {
				r.mirror.Written(ctx, customerIDs(found), found)
			}
		}
		return nil, upstreamProblems(err)
	}
	ids := customerIDs(res.Data)
	r.mirror.Written(ctx, ids, res.Data)
	return r.customersByIDs(ctx, ids)
}

func (r *Resolver) facadeUpdateCustomers(ctx context.Context, in []storage.CustomerUpdate) ([]*storage.Customer, error) {
	if _, err := r.DB.UpdateCustomers(dry(ctx), in); err != nil {
		return nil, err
	}
	var res wire.Collection[wire.Customer]
	if err := r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers", nil, toCustomerPuts(in), &res); err != nil {
		return nil, upstreamProblems(err)
	}
	ids := make([]int, len(in))
	for i, u := range in {
		ids[i] = u.ID
	}
	r.mirror.Written(ctx, ids, res.Data)
	return r.customersByIDs(ctx, ids)
}

func (r *Resolver) facadeDeleteCustomers(ctx context.Context, ids []int) ([]int, error) {
	if _, err := r.DB.DeleteCustomers(dry(ctx), ids); err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		q := url.Values{"id:in": {joinInts(ids)}}
		if err := r.mirror.Upstream().Do(ctx, http.MethodDelete, "/v3/customers", q, nil, nil); err != nil {
			return nil, upstreamProblems(err)
		}
	}
	return r.DB.MirrorDeleteCustomers(ctx, ids)
}

func second[T any](_ T, err error) error { return err }

func joinInts(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}

// addressesOf reads the mirror's addresses with the ids, in their order.
func (r *Resolver) addressesByIDs(ctx context.Context, ids []int) ([]*storage.CustomerAddress, error) {
	if len(ids) == 0 {
		return []*storage.CustomerAddress{}, nil
	}
	pg, err := r.DB.FindAddresses(ctx, storage.CustomerAddressFilter{IDIn: ids}, storage.PageRequest{Page: 1, Limit: 250})
	if err != nil {
		return nil, err
	}
	byID := map[int]*storage.CustomerAddress{}
	for _, a := range pg.Items {
		byID[a.ID] = a
	}
	out := make([]*storage.CustomerAddress, 0, len(ids))
	for _, id := range ids {
		if a := byID[id]; a != nil {
			out = append(out, a)
		}
	}
	return out, nil
}

func (r *Resolver) facadeCreateAddresses(ctx context.Context, in []storage.AddressInput) ([]*storage.CustomerAddress, error) {
	if _, err := r.DB.CreateAddresses(dry(ctx), in); err != nil {
		return nil, err
	}
	body := make([]wire.AddressPost, len(in))
	var owners []int
	for i, a := range in {
		body[i] = wire.AddressPost{CustomerID: a.CustomerID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
			Address1: a.Address1, Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince, PostalCode: a.PostalCode,
			CountryCode: a.CountryCode, Phone: a.Phone, AddressType: string(a.AddressType), FormFields: formValues(a.FormFields)}
		if !slices.Contains(owners, a.CustomerID) {
			owners = append(owners, a.CustomerID)
		}
	}
	var res wire.Collection[wire.Address]
	err := r.mirror.Upstream().Do(ctx, http.MethodPost, "/v3/customers/addresses", nil, body, &res)
	if upstream.KindOf(err) == upstream.Uncertain {
		// Read the owners back: the batch happened if every address is
		// there now (duplicates of existing ones write nothing anyway).
		if rerr := r.mirror.Refresh(ctx, owners); rerr != nil {
			return nil, upstreamError(rerr)
		}
		ids, all := r.matchAddresses(ctx, in)
		if !all {
			return nil, upstreamError(err)
		}
		return r.addressesByIDs(ctx, ids)
	}
	if err != nil {
		return nil, upstreamProblems(err)
	}
	r.mirror.Written(ctx, owners, nil)
	ids := make([]int, len(res.Data))
	for i, a := range res.Data {
		ids[i] = a.ID
	}
	return r.addressesByIDs(ctx, ids)
}

// matchAddresses finds in the mirror an address equal to each input;
// all reports whether every one was found.
func (r *Resolver) matchAddresses(ctx context.Context, in []storage.AddressInput) ([]int, bool) {
	var owners []int
	for _, a := range in {
		owners = append(owners, a.CustomerID)
	}
	have, err := r.DB.FindAddressesByCustomerIDs(ctx, owners)
	if err != nil {
		return nil, false
	}
	var ids []int
	for _, a := range in {
		i := slices.IndexFunc(have[a.CustomerID], func(x *storage.CustomerAddress) bool {
			return x.FirstName == a.FirstName && x.LastName == a.LastName && x.Address1 == a.Address1 && x.Address2 == a.Address2 &&
				x.City == a.City && x.PostalCode == a.PostalCode && x.CountryCode == a.CountryCode && x.Company == a.Company && x.Phone == a.Phone
		})
		if i < 0 {
			return nil, false
		}
		ids = append(ids, have[a.CustomerID][i].ID)
	}
	return ids, true
}

func (r *Resolver) ownersOf(ctx context.Context, addressIDs []int) ([]int, error) {
	as, err := r.addressesByIDs(ctx, addressIDs)
	if err != nil {
		return nil, err
	}
	var owners []int
	for _, a := range as {
		if !slices.Contains(owners, a.CustomerID) {
			owners = append(owners, a.CustomerID)
		}
	}
	return owners, nil
}

func (r *Resolver) facadeUpdateAddresses(ctx context.Context, in []storage.AddressUpdate) ([]*storage.CustomerAddress, error) {
	if _, err := r.DB.UpdateAddresses(dry(ctx), in); err != nil {
		return nil, err
	}
	ids := make([]int, len(in))
	body := make([]wire.AddressPut, len(in))
	for i, u := range in {
		ids[i] = u.ID
		body[i] = wire.AddressPut{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Company: u.Company, Address1: u.Address1,
			Address2: u.Address2, City: u.City, StateOrProvince: u.StateOrProvince, PostalCode: u.PostalCode, CountryCode: u.CountryCode,
			Phone: u.Phone, FormFields: formValues(u.FormFields)}
		if u.AddressType != nil {
			t := string(*u.AddressType)
			body[i].AddressType = &t
		}
	}
	owners, err := r.ownersOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	if err := r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers/addresses", nil, body, nil); err != nil {
		return nil, upstreamProblems(err)
	}
	r.mirror.Written(ctx, owners, nil)
	return r.addressesByIDs(ctx, ids)
}

func (r *Resolver) facadeDeleteAddresses(ctx context.Context, ids []int) ([]int, error) {
	if _, err := r.DB.DeleteAddresses(dry(ctx), ids); err != nil {
		return nil, err
	}
	have, err := r.addressesByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	owners, _ := r.ownersOf(ctx, ids)
	if len(ids) > 0 {
		if err := r.mirror.Upstream().Do(ctx, http.MethodDelete, "/v3/customers/addresses", url.Values{"id:in": {joinInts(ids)}}, nil, nil); err != nil {
			return nil, upstreamProblems(err)
		}
	}
	r.mirror.Written(ctx, owners, nil)
	out := []int{}
	for _, id := range ids {
		if slices.ContainsFunc(have, func(a *storage.CustomerAddress) bool { return a.ID == id }) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// checkCredentials asks the upstream in facade mode (no password hash is
// kept here), the store otherwise.
func (r *Resolver) checkCredentials(ctx context.Context, email, password string, channel int) (*storage.CredentialCheck, error) {
	if r.mirror == nil {
		return r.DB.CheckCredentials(ctx, email, password, channel)
	}
	if channel < 1 {
		return nil, storage.FieldErrorf(storage.EINVALID, "channelId", "channelId must be 1 or more.")
	}
	var res wire.CredentialsResult
	err := r.mirror.Upstream().Do(ctx, http.MethodPost, "/v3/customers/validate-credentials", nil,
		wire.CredentialsCheck{Email: email, Password: password, ChannelID: &channel}, &res)
	if err != nil {
		if upstream.KindOf(err) == upstream.Rejected {
			return &storage.CredentialCheck{}, nil
		}
		return nil, upstreamError(err)
	}
	out := &storage.CredentialCheck{Valid: res.IsValid}
	if res.IsValid && res.CustomerID != nil {
		out.CustomerID = *res.CustomerID
		c, err := r.DB.FindCustomerByID(ctx, out.CustomerID)
		if storage.ErrorCode(err) == storage.ENOTFOUND {
			// Not mirrored yet: fetch it now.
			if err := r.mirror.Refresh(ctx, []int{out.CustomerID}); err != nil {
				return nil, upstreamError(err)
			}
			c, err = r.DB.FindCustomerByID(ctx, out.CustomerID)
		}
		if err != nil {
			return nil, err
		}
		out.ForcePasswordReset = c.ForcePasswordReset
	}
	return out, nil
}

// checkPasswordOf asks the upstream (V2) in facade mode.
func (r *Resolver) checkPasswordOf(ctx context.Context, customerID int, password string) (bool, error) {
	if r.mirror == nil {
		return r.DB.CheckPasswordOf(ctx, customerID, password)
	}
	if _, err := r.DB.FindCustomerByID(ctx, customerID); err != nil {
		return false, err
	}
	var res wire.V2PasswordResult
	err := r.mirror.Upstream().Do(ctx, http.MethodPost, "/v2/customers/"+strconv.Itoa(customerID)+"/validate", nil,
		wire.V2PasswordCheck{Password: password}, &res)
	if err != nil {
		if e, ok := err.(*upstream.Error); ok && e.Kind == upstream.Rejected && e.Status == http.StatusNotFound {
			return false, storage.FieldErrorf(storage.ENOTFOUND, "customerId", "There is no such customer.")
		}
		return false, upstreamError(err)
	}
	return res.Success, nil
}

// dry is the context of the local validation before an upstream write: a
// dry run, with form field values left to the upstream to judge (the
// definitions here are inferred from values seen, never enforced).
func dry(ctx context.Context) context.Context {
	return storage.DryRun(storage.InferredFormFields(ctx))
}
