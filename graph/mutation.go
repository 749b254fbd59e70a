package graph

import (
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
)

// Converters from the generated mutation inputs to storage's, and from
// storage's problems to userErrors.

// userErrors turns a storage error into the payload's userErrors; an
// internal error is returned as is, to become a top-level error.
func userErrors(err error) ([]*model.UserError, error) {
	if err == nil {
		return []*model.UserError{}, nil
	}
	es := storage.AsErrors(err)
	if es == nil {
		return nil, err
	}
	out := make([]*model.UserError, len(es))
	for i, e := range es {
		out[i] = &model.UserError{Code: model.UserErrorCode(e.Code), Message: e.Message}
		if e.Field != "" {
			out[i].Field = strings.Split(e.Field, ".")
		}
		if e.Index >= 0 {
			index := e.Index
			out[i].Index = &index
		}
	}
	return out, nil
}

// written returns what a write returned and its userErrors; the result is
// an empty list (or nil) when there are user errors.
func written[T any](v []T, err error) ([]T, []*model.UserError, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, nil, err
	}
	if v == nil {
		v = []T{}
	}
	return v, ue, nil
}

// writtenOne is written for a single record.
func writtenOne[T any](v *T, err error) (*T, []*model.UserError, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, nil, err
	}
	return v, ue, nil
}

// str returns *p, or "" for nil.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// optional converts gqlgen's Omittable to storage's Optional.
func optional[T any](o graphql.Omittable[T]) storage.Optional[T] {
	return storage.Optional[T]{Set: o.IsSet(), Value: o.Value()}
}

func formFieldInputs(in []*storage.FormFieldValueInput) []storage.FormFieldValueInput {
	out := make([]storage.FormFieldValueInput, len(in))
	for i, v := range in {
		out[i] = *v
	}
	return out
}

func storeCredit(in []*model.StoreCreditAmountInput) []*storage.StoreCreditAmount {
	if in == nil {
		return nil
	}
	out := make([]*storage.StoreCreditAmount, len(in))
	for i, a := range in {
		out[i] = &storage.StoreCreditAmount{Amount: a.Amount}
	}
	return out
}

func fromCustomerCreateInputs(in []*model.CustomerCreateInput) []storage.CustomerInput {
	out := make([]storage.CustomerInput, len(in))
	for i, c := range in {
		x := storage.CustomerInput{
			Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: str(c.Company), Phone: str(c.Phone),
			Notes: str(c.Notes), TaxExemptCategory: str(c.TaxExemptCategory), CustomerGroupID: optional(c.CustomerGroupID),
			OriginChannelID: c.OriginChannelID, ChannelIDs: c.ChannelIds, FormFields: formFieldInputs(c.FormFields),
			StoreCreditAmounts: storeCredit(c.StoreCreditAmounts),
		}
		if c.AcceptsProductReviewAbandonedCartEmails != nil {
			x.AcceptsProductReviewAbandonedCartEmails = *c.AcceptsProductReviewAbandonedCartEmails
		}
		for _, a := range c.Addresses {
			x.Addresses = append(x.Addresses, storage.AddressInput{
				FirstName: a.FirstName, LastName: a.LastName, Company: str(a.Company), Address1: a.Address1,
				Address2: str(a.Address2), City: a.City, StateOrProvince: str(a.StateOrProvince),
				PostalCode: str(a.PostalCode), CountryCode: a.CountryCode, Phone: str(a.Phone),
				AddressType: addressType(a.AddressType), FormFields: formFieldInputs(a.FormFields),
			})
		}
		for _, a := range c.Attributes {
			x.Attributes = append(x.Attributes, storage.AttributeValueInput{AttributeID: a.AttributeID, Value: a.Value})
		}
		if auth := c.Authentication; auth != nil {
			x.NewPassword = auth.NewPassword
			x.ForcePasswordReset = auth.ForcePasswordReset != nil && *auth.ForcePasswordReset
		}
		out[i] = x
	}
	return out
}

func addressType(t *storage.CustomerAddressType) storage.CustomerAddressType {
	if t == nil {
		return ""
	}
	return *t
}

func fromCustomerUpdateInputs(in []*model.CustomerUpdateInput) []storage.CustomerUpdate {
	out := make([]storage.CustomerUpdate, len(in))
	for i, c := range in {
		u := storage.CustomerUpdate{
			ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Phone: c.Phone,
			Notes: c.Notes, TaxExemptCategory: c.TaxExemptCategory, CustomerGroupID: optional(c.CustomerGroupID),
			AcceptsProductReviewAbandonedCartEmails: c.AcceptsProductReviewAbandonedCartEmails,
			ChannelIDs:                              optional(c.ChannelIds),
			StoreCreditAmounts: storage.Optional[[]*storage.StoreCreditAmount]{
				Set: c.StoreCreditAmounts.IsSet(), Value: storeCredit(c.StoreCreditAmounts.Value())},
		}
		if auth := c.Authentication; auth != nil {
			u.NewPassword, u.ForcePasswordReset = auth.NewPassword, auth.ForcePasswordReset
		}
		u.FormFields = formFieldInputs(c.FormFields)
		out[i] = u
	}
	return out
}

func fromAddressCreateInputs(in []*model.CustomerAddressCreateInput) []storage.AddressInput {
	out := make([]storage.AddressInput, len(in))
	for i, a := range in {
		out[i] = storage.AddressInput{
			CustomerID: a.CustomerID, FirstName: a.FirstName, LastName: a.LastName, Company: str(a.Company),
			Address1: a.Address1, Address2: str(a.Address2), City: a.City, StateOrProvince: str(a.StateOrProvince),
			PostalCode: str(a.PostalCode), CountryCode: a.CountryCode, Phone: str(a.Phone),
			AddressType: addressType(a.AddressType), FormFields: formFieldInputs(a.FormFields),
		}
	}
	return out
}

func fromAddressUpdateInputs(in []*model.CustomerAddressUpdateInput) []storage.AddressUpdate {
	out := make([]storage.AddressUpdate, len(in))
	for i, a := range in {
		out[i] = storage.AddressUpdate{
			ID: a.ID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Address1: a.Address1,
			Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince, PostalCode: a.PostalCode,
			CountryCode: a.CountryCode, Phone: a.Phone, AddressType: a.AddressType, FormFields: formFieldInputs(a.FormFields),
		}
	}
	return out
}

func fromAttributeCreateInputs(in []*model.CustomerAttributeCreateInput) []storage.AttributeInput {
	out := make([]storage.AttributeInput, len(in))
	for i, a := range in {
		out[i] = storage.AttributeInput{Name: a.Name, Type: a.Type}
	}
	return out
}

func fromAttributeUpdateInputs(in []*model.CustomerAttributeUpdateInput) []storage.AttributeUpdate {
	out := make([]storage.AttributeUpdate, len(in))
	for i, a := range in {
		out[i] = storage.AttributeUpdate{ID: a.ID, Name: a.Name, Type: a.Type}
	}
	return out
}

func fromAttributeValueInputs(in []*model.CustomerAttributeValueUpsertInput) []storage.AttributeValueUpsert {
	out := make([]storage.AttributeValueUpsert, len(in))
	for i, v := range in {
		out[i] = storage.AttributeValueUpsert{ID: v.ID, CustomerID: v.CustomerID, AttributeID: v.AttributeID, Value: v.Value}
	}
	return out
}

func fromFormFieldCreateInputs(in []*model.CustomerFormFieldCreateInput) []storage.FormFieldInput {
	out := make([]storage.FormFieldInput, len(in))
	for i, f := range in {
		out[i] = storage.FormFieldInput{Name: f.Name, Label: str(f.Label), Type: f.Type, AppliesTo: f.AppliesTo,
			Required: f.Required != nil && *f.Required, Options: f.Options}
	}
	return out
}

func fromFormFieldUpdateInputs(in []*model.CustomerFormFieldUpdateInput) []storage.FormFieldUpdate {
	out := make([]storage.FormFieldUpdate, len(in))
	for i, f := range in {
		out[i] = storage.FormFieldUpdate{ID: f.ID, Name: f.Name, Label: f.Label, Type: f.Type, Required: f.Required, Options: f.Options}
	}
	return out
}

func fromFormFieldValueInputs(in []*model.CustomerFormFieldValueUpsertInput) []storage.FormFieldValueInput {
	out := make([]storage.FormFieldValueInput, len(in))
	for i, v := range in {
		out[i] = storage.FormFieldValueInput{Name: v.Name, Value: v.Value, CustomerID: v.CustomerID, AddressID: v.AddressID}
	}
	return out
}

func fromSettingsInput(in model.CustomerSettingsInput) storage.SettingsUpdate {
	var u storage.SettingsUpdate
	if p := in.PrivacySettings; p != nil {
		u.AskShopperForTrackingConsent, u.PolicyURL = p.AskShopperForTrackingConsent, p.PolicyURL
	}
	if g := in.CustomerGroupSettings; g != nil {
		u.GuestCustomerGroupID, u.DefaultCustomerGroupID = optional(g.GuestCustomerGroupID), optional(g.DefaultCustomerGroupID)
	}
	return u
}

func fromChannelSettingsInput(in model.ChannelCustomerSettingsInput) storage.ChannelSettingsUpdate {
	u := storage.ChannelSettingsUpdate{ChannelID: in.ChannelID, AllowGlobalLogins: optional(in.AllowGlobalLogins)}
	if p := in.PrivacySettings; p != nil {
		u.AskShopperForTrackingConsent, u.PolicyURL = optional(p.AskShopperForTrackingConsent), optional(p.PolicyURL)
	}
	if g := in.CustomerGroupSettings; g != nil {
		u.GuestCustomerGroupID, u.DefaultCustomerGroupID = optional(g.GuestCustomerGroupID), optional(g.DefaultCustomerGroupID)
	}
	return u
}

func categoryAccess(in *model.CategoryAccessInput) *storage.CategoryAccess {
	if in == nil {
		return nil
	}
	return &storage.CategoryAccess{Type: in.Type, Categories: in.Categories}
}

func discountRules(in []*model.DiscountRuleInput) []storage.DiscountRule {
	if in == nil {
		return nil
	}
	out := make([]storage.DiscountRule, len(in))
	for i, r := range in {
		out[i] = storage.DiscountRule{Type: r.Type, Method: r.Method, Amount: r.Amount, PriceListID: r.PriceListID,
			CategoryID: r.CategoryID, ProductID: r.ProductID}
	}
	return out
}

func fromGroupCreateInput(in model.CustomerGroupCreateInput) storage.GroupInput {
	return storage.GroupInput{Name: in.Name, IsDefault: in.IsDefault != nil && *in.IsDefault,
		IsGroupForGuests: in.IsGroupForGuests != nil && *in.IsGroupForGuests,
		CategoryAccess:   categoryAccess(in.CategoryAccess), DiscountRules: discountRules(in.DiscountRules)}
}

func fromGroupUpdateInput(in model.CustomerGroupUpdateInput) storage.GroupUpdate {
	return storage.GroupUpdate{ID: in.ID, Name: in.Name, IsDefault: in.IsDefault, IsGroupForGuests: in.IsGroupForGuests,
		CategoryAccess: categoryAccess(in.CategoryAccess),
		DiscountRules: storage.Optional[[]storage.DiscountRule]{
			Set: in.DiscountRules.IsSet(), Value: discountRules(in.DiscountRules.Value())}}
}

func fromSubscriberCreateInput(in model.SubscriberCreateInput) storage.SubscriberInput {
	return storage.SubscriberInput{Email: in.Email, FirstName: str(in.FirstName), LastName: str(in.LastName),
		Source: str(in.Source), OrderID: in.OrderID, ChannelID: in.ChannelID, Consents: in.Consents}
}

func fromSubscriberUpdateInput(in model.SubscriberUpdateInput) storage.SubscriberUpdate {
	return storage.SubscriberUpdate{ID: in.ID, Email: in.Email, FirstName: in.FirstName, LastName: in.LastName,
		Source: in.Source, OrderID: optional(in.OrderID), ChannelID: in.ChannelID, Consents: in.Consents}
}

// webhookFormat returns the format asked for, or Standard Webhooks.
func webhookFormat(f *storage.WebhookFormat) storage.WebhookFormat {
	if f == nil {
		return storage.WebhookStandard
	}
	return *f
}

// deleted builds a delete's payload.
func deleted(ids []int, err error) (*model.DeletePayload, error) {
	ids, ue, err := written(ids, err)
	if err != nil {
		return nil, err
	}
	return &model.DeletePayload{DeletedIds: ids, UserErrors: ue}, nil
}
