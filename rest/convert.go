package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// Converters between storage's records and the wire shapes.

// customerIncludes are what a V3 customer list may embed; the beta
// shopper_profile_id and segment_ids are accepted and embed nothing (this
// store keeps no shopper profiles or segments).
var customerIncludes = []string{"addresses", "storecredit", "attributes", "formfields", "shopper_profile_id", "segment_ids"}

// includes reads the include parameter: a set of the allowed values.
func includes(q *query, allowed []string) map[string]bool {
	out := map[string]bool{}
	for _, v := range q.strs("include") {
		if !slices.Contains(allowed, v) {
			q.fail("include", strconv.Quote(truncate(v))+" is not one of "+fmt.Sprint(allowed)+".")
			continue
		}
		out[v] = true
	}
	return out
}

// everything includes every relation of a customer.
var everything = map[string]bool{"addresses": true, "storecredit": true, "attributes": true, "formfields": true}

// v3Customers builds the V3 form of customers with the included relations:
// one statement per relation for all of them, and the address and
// attribute counts every customer carries.
func (h *handler) v3Customers(ctx context.Context, cs []*storage.Customer, inc map[string]bool) ([]wire.Customer, error) {
	out := make([]wire.Customer, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	var (
		addrs      map[int][]*storage.CustomerAddress
		addrCounts map[int]int
		attrs      map[int][]*storage.CustomerAttributeValue
		attrCounts map[int]int
		credit     map[int][]*storage.StoreCreditAmount
		values     map[int][]*storage.CustomerFormFieldValue
		addrValues map[int][]*storage.CustomerFormFieldValue
		err        error
	)
	if inc["addresses"] {
		if addrs, err = h.db.FindAddressesByCustomerIDs(ctx, ids); err != nil {
			return nil, err
		}
		if inc["formfields"] {
			var addrIDs []int
			for _, as := range addrs {
				for _, a := range as {
					addrIDs = append(addrIDs, a.ID)
				}
			}
			if addrValues, err = h.db.FindFormFieldValuesByAddressIDs(ctx, addrIDs); err != nil {
				return nil, err
			}
		}
	} else if addrCounts, err = h.db.CountAddressesByCustomerIDs(ctx, ids); err != nil {
		return nil, err
	}
	if inc["attributes"] {
		if attrs, err = h.db.FindAttributeValuesByCustomerIDs(ctx, ids); err != nil {
			return nil, err
		}
	} else if attrCounts, err = h.db.CountAttributeValuesByCustomerIDs(ctx, ids); err != nil {
		return nil, err
	}
	if inc["storecredit"] {
		if credit, err = h.db.FindStoreCreditByCustomerIDs(ctx, ids); err != nil {
			return nil, err
		}
	}
	if inc["formfields"] {
		if values, err = h.db.FindFormFieldValuesByCustomerIDs(ctx, ids); err != nil {
			return nil, err
		}
	}
	for i, c := range cs {
		v := v3Customer(c)
		if inc["addresses"] {
			v.Addresses = make([]wire.Address, len(addrs[c.ID]))
			for j, a := range addrs[c.ID] {
				v.Addresses[j] = v3Address(a)
				if inc["formfields"] {
					v.Addresses[j].FormFields = embeddedValues(addrValues[a.ID])
				}
			}
			v.AddressCount = len(addrs[c.ID])
		} else {
			v.AddressCount = addrCounts[c.ID]
		}
		if inc["attributes"] {
			v.Attributes = make([]wire.AttributeValue, len(attrs[c.ID]))
			for j, a := range attrs[c.ID] {
				v.Attributes[j] = v3AttributeValue(a)
			}
			v.AttributeCount = len(attrs[c.ID])
		} else {
			v.AttributeCount = attrCounts[c.ID]
		}
		if inc["storecredit"] {
			v.StoreCreditAmounts = make([]wire.StoreCreditAmount, len(credit[c.ID]))
			for j, a := range credit[c.ID] {
				v.StoreCreditAmounts[j] = wire.StoreCreditAmount{Amount: a.Amount}
			}
		}
		if inc["formfields"] {
			v.FormFields = embeddedValues(values[c.ID])
		}
		out[i] = v
	}
	return out, nil
}

// v3Customer is a customer's own fields in the V3 form.
func v3Customer(c *storage.Customer) wire.Customer {
	v := wire.Customer{
		ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Phone: c.Phone,
		RegistrationIPAddress: c.RegistrationIPAddress, Notes: c.Notes, TaxExemptCategory: c.TaxExemptCategory,
		DateCreated: stamp(c.DateCreated), DateModified: stamp(c.DateModified),
		Authentication:                          wire.Authentication{ForcePasswordReset: c.ForcePasswordReset},
		AcceptsProductReviewAbandonedCartEmails: c.AcceptsProductReviewAbandonedCartEmails,
		ChannelIDs:                              c.ChannelIDs, OriginChannelID: c.OriginChannelID,
	}
	if c.CustomerGroupID != nil {
		v.CustomerGroupID = *c.CustomerGroupID
	}
	return v
}

func v3Address(a *storage.CustomerAddress) wire.Address {
	return wire.Address{ID: a.ID, CustomerID: a.CustomerID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
		Address1: a.Address1, Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince, PostalCode: a.PostalCode,
		Country: a.Country(), CountryCode: a.CountryCode, Phone: a.Phone, AddressType: string(a.AddressType)}
}

func v3AttributeValue(a *storage.CustomerAttributeValue) wire.AttributeValue {
	return wire.AttributeValue{ID: a.ID, CustomerID: a.CustomerID, AttributeID: a.AttributeID, AttributeValue: a.Value,
		DateCreated: stamp(a.DateCreated), DateModified: stamp(a.DateModified)}
}

func v3Attribute(a *storage.CustomerAttribute) wire.Attribute {
	return wire.Attribute{ID: a.ID, Name: a.Name, Type: string(a.Type), DateCreated: stamp(a.DateCreated),
		DateModified: stamp(a.DateModified)}
}

// formValueJSON is a form value's JSON.
func formValueJSON(v storage.FormValue) json.RawMessage {
	b, _ := v.MarshalJSON()
	return b
}

// embeddedValues are form field values as a customer or address embeds
// them: {name, value}, never null.
func embeddedValues(vs []*storage.CustomerFormFieldValue) []wire.FormFieldValue {
	out := make([]wire.FormFieldValue, len(vs))
	for i, v := range vs {
		out[i] = wire.FormFieldValue{Name: v.Name, Value: formValueJSON(v.Value)}
	}
	return out
}

// ownedValue is a form field value with its owner, as listed.
func ownedValue(v *storage.CustomerFormFieldValue) wire.FormFieldValue {
	return wire.FormFieldValue{Name: v.Name, Value: formValueJSON(v.Value), CustomerID: v.CustomerID, AddressID: v.AddressID}
}

func v3Subscriber(s *storage.Subscriber) wire.Subscriber {
	consents := make([]string, len(s.Consents))
	for i, c := range s.Consents {
		consents[i] = string(c)
	}
	return wire.Subscriber{ID: s.ID, Email: s.Email, FirstName: s.FirstName, LastName: s.LastName, Source: s.Source,
		OrderID: s.OrderID, ChannelID: s.ChannelID, Consents: consents, DateCreated: stamp(s.DateCreated),
		DateModified: stamp(s.DateModified)}
}

func v3Metafield(m *storage.CustomerMetafield) wire.Metafield {
	return wire.Metafield{ID: m.ID, Key: m.Key, Value: m.Value, Namespace: m.Namespace, PermissionSet: string(m.PermissionSet),
		ResourceType: "customer", ResourceID: m.CustomerID, Description: m.Description,
		DateCreated: stamp(m.DateCreated), DateModified: stamp(m.DateModified),
		OwnerClientID: ownerClientID(m.OwnerTokenID)}
}

func v3Consent(c *storage.CustomerConsent) wire.Consent {
	out := wire.Consent{Allow: make([]string, len(c.Allow)), Deny: make([]string, len(c.Deny))}
	for i, a := range c.Allow {
		out.Allow[i] = string(a)
	}
	for i, d := range c.Deny {
		out.Deny[i] = string(d)
	}
	if c.UpdatedAt != nil {
		out.UpdatedAt = stamp(*c.UpdatedAt)
	}
	return out
}

// formInputs reads form field values of a request; a value that is not a
// string, number or list of strings is a 422 at field.
func formInputs(in []wire.FormFieldValue, field string, errs map[string]string) []storage.FormFieldValueInput {
	if in == nil {
		return nil
	}
	out := make([]storage.FormFieldValueInput, len(in))
	for i, v := range in {
		out[i] = storage.FormFieldValueInput{Name: v.Name, CustomerID: v.CustomerID, AddressID: v.AddressID}
		if err := json.Unmarshal(v.Value, &out[i].Value); err != nil {
			errs[fmt.Sprintf("%s.%d.value", field, i)] = "A form field value is a string, a number or a list of strings."
		}
	}
	return out
}

// bodyErrors is a 422 for the problems found while reading a body, or nil.
func bodyErrors(errs map[string]string) error {
	if len(errs) == 0 {
		return nil
	}
	return &apiError{status: http.StatusUnprocessableEntity, title: "JSON data is missing or invalid.", errors: errs}
}

// page builds the meta block of a V3 list.
func pageMeta[T any](r *http.Request, pg *storage.Page[T]) wire.Meta {
	p := &wire.Pagination{Total: pg.Total, Count: len(pg.Items), PerPage: pg.Limit, CurrentPage: pg.Page,
		TotalPages: pg.TotalPages()}
	p.Links.Previous, p.Links.Current, p.Links.Next = links(r, pg.Page, pg.Limit, p.TotalPages)
	return wire.Meta{Pagination: p}
}

// collect converts a page into a V3 list response.
func collect[T, W any](r *http.Request, pg *storage.Page[T], conv func(T) W) wire.Collection[W] {
	out := wire.Collection[W]{Data: make([]W, len(pg.Items)), Meta: pageMeta(r, pg)}
	for i, v := range pg.Items {
		out.Data[i] = conv(v)
	}
	return out
}

// convertAll converts records.
func convertAll[T, W any](in []T, conv func(T) W) []W {
	out := make([]W, len(in))
	for i, v := range in {
		out[i] = conv(v)
	}
	return out
}

// groupOption reads a V3 or V2 customer group id: 0 and null mean no group.
func groupOption(o wire.Optional[*int]) storage.Optional[*int] {
	if !o.Set {
		return storage.Optional[*int]{}
	}
	if o.Value == nil || *o.Value == 0 {
		return storage.Some[*int](nil)
	}
	return storage.Some(o.Value)
}

// stamp writes a date as V3 does: RFC 3339 UTC in whole seconds (storage's
// fast form of FormatTime).
func stamp(t time.Time) string {
	b := storage.AppendTime(make([]byte, 0, 22), t)
	return string(b[1 : len(b)-1])
}
