package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// More writes passed through in facade mode (facade_write.go has the
// pattern): attribute definitions and values, form field values,
// subscribers and the store-wide settings.

// passThrough runs the dry run, then call; it returns the userErrors of
// either (nothing was written then), or a top-level error.
func passThrough(dry error, call func() error) ([]*model.UserError, error) {
	if ue, err := dryRun(dry); err != nil || len(ue) > 0 {
		return ue, err
	}
	if err := call(); err != nil {
		return upstreamUserErrors(err)
	}
	return nil, nil
}

func (r *Resolver) attributesByIDs(ctx context.Context, ids []int) ([]*storage.CustomerAttribute, error) {
	pg, err := r.DB.FindAttributes(ctx, storage.CustomerAttributeFilter{IDIn: ids}, storage.PageRequest{Page: 1, Limit: 250})
	if err != nil {
		return nil, err
	}
	return pg.Items, nil
}

func (r *Resolver) facadeCreateAttributes(ctx context.Context, in []storage.AttributeInput) (*model.CustomerAttributesPayload, error) {
	var res wire.Collection[wire.Attribute]
	ue, err := passThrough(second(r.DB.CreateAttributes(dry(ctx), in)), func() error {
		body := make([]wire.AttributePost, len(in))
		for i, a := range in {
			body[i] = wire.AttributePost{Name: a.Name, Type: string(a.Type)}
		}
		return r.mirror.Upstream().Do(ctx, http.MethodPost, "/v3/customers/attributes", nil, body, &res)
	})
	if err != nil || len(ue) > 0 {
		return &model.CustomerAttributesPayload{Attributes: []*storage.CustomerAttribute{}, UserErrors: ue}, err
	}
	if err := r.mirror.RefreshAttributes(ctx); err != nil {
		return nil, upstreamError(err)
	}
	ids := make([]int, len(res.Data))
	for i, a := range res.Data {
		ids[i] = a.ID
	}
	out, err := r.attributesByIDs(ctx, ids)
	return &model.CustomerAttributesPayload{Attributes: out, UserErrors: []*model.UserError{}}, err
}

func (r *Resolver) facadeUpdateAttributes(ctx context.Context, in []storage.AttributeUpdate) (*model.CustomerAttributesPayload, error) {
	ue, err := passThrough(second(r.DB.UpdateAttributes(dry(ctx), in)), func() error {
		body := make([]wire.AttributePut, len(in))
		for i, a := range in {
			body[i] = wire.AttributePut{ID: a.ID, Name: a.Name}
		}
		return r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers/attributes", nil, body, nil)
	})
	if err != nil || len(ue) > 0 {
		return &model.CustomerAttributesPayload{Attributes: []*storage.CustomerAttribute{}, UserErrors: ue}, err
	}
	if err := r.mirror.RefreshAttributes(ctx); err != nil {
		return nil, upstreamError(err)
	}
	ids := make([]int, len(in))
	for i, a := range in {
		ids[i] = a.ID
	}
	out, err := r.attributesByIDs(ctx, ids)
	return &model.CustomerAttributesPayload{Attributes: out, UserErrors: []*model.UserError{}}, err
}

func (r *Resolver) facadeDeleteAttributes(ctx context.Context, ids []int) (*model.DeletePayload, error) {
	have, err := r.attributesByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	ue, err := passThrough(second(r.DB.DeleteAttributes(dry(ctx), ids)), func() error {
		if len(ids) == 0 {
			return nil
		}
		return r.mirror.Upstream().Do(ctx, http.MethodDelete, "/v3/customers/attributes", url.Values{"id:in": {joinInts(ids)}}, nil, nil)
	})
	if err != nil || len(ue) > 0 {
		return &model.DeletePayload{DeletedIds: []int{}, UserErrors: ue}, err
	}
	if err := r.mirror.RefreshAttributes(ctx); err != nil {
		return nil, upstreamError(err)
	}
	out := []int{}
	for _, id := range ids {
		if slices.ContainsFunc(have, func(a *storage.CustomerAttribute) bool { return a.ID == id }) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return &model.DeletePayload{DeletedIds: out, UserErrors: []*model.UserError{}}, nil
}

func (r *Resolver) facadeUpsertAttributeValues(ctx context.Context, in []storage.AttributeValueUpsert) (*model.CustomerAttributeValuesPayload, error) {
	empty := []*storage.CustomerAttributeValue{}
	ue, err := passThrough(second(r.DB.UpsertAttributeValues(dry(ctx), in)), func() error {
		body := make([]wire.AttributeValuePut, len(in))
		for i, v := range in {
			body[i] = wire.AttributeValuePut{ID: v.ID, AttributeID: v.AttributeID, Value: v.Value, CustomerID: v.CustomerID}
		}
		return r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers/attribute-values", nil, body, nil)
	})
	if err != nil || len(ue) > 0 {
		return &model.CustomerAttributeValuesPayload{AttributeValues: empty, UserErrors: ue}, err
	}
	var owners, attrs []int
	for _, v := range in {
		owners = append(owners, v.CustomerID)
		attrs = append(attrs, v.AttributeID)
	}
	r.mirror.Written(ctx, owners, nil)
	pg, err := r.DB.FindAttributeValues(ctx, storage.CustomerAttributeValueFilter{CustomerIDIn: owners, AttributeIDIn: attrs},
		storage.PageRequest{Page: 1, Limit: 250})
	if err != nil {
		return nil, err
	}
	// In the input's order, one per item.
	out := make([]*storage.CustomerAttributeValue, 0, len(in))
	for _, v := range in {
		if i := slices.IndexFunc(pg.Items, func(x *storage.CustomerAttributeValue) bool {
			return x.CustomerID == v.CustomerID && x.AttributeID == v.AttributeID
		}); i >= 0 {
			out = append(out, pg.Items[i])
		}
	}
	return &model.CustomerAttributeValuesPayload{AttributeValues: out, UserErrors: []*model.UserError{}}, nil
}

func (r *Resolver) facadeDeleteAttributeValues(ctx context.Context, ids []int) (*model.DeletePayload, error) {
	pg, err := r.DB.FindAttributeValues(ctx, storage.CustomerAttributeValueFilter{IDIn: ids}, storage.PageRequest{Page: 1, Limit: 250})
	if err != nil {
		return nil, err
	}
	ue, err := passThrough(second(r.DB.DeleteAttributeValues(dry(ctx), ids)), func() error {
		if len(ids) == 0 {
			return nil
		}
		return r.mirror.Upstream().Do(ctx, http.MethodDelete, "/v3/customers/attribute-values", url.Values{"id:in": {joinInts(ids)}}, nil, nil)
	})
	if err != nil || len(ue) > 0 {
		return &model.DeletePayload{DeletedIds: []int{}, UserErrors: ue}, err
	}
	var owners, out []int
	out = []int{}
	for _, v := range pg.Items {
		owners = append(owners, v.CustomerID)
	}
	for _, id := range ids {
		if slices.ContainsFunc(pg.Items, func(v *storage.CustomerAttributeValue) bool { return v.ID == id }) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	r.mirror.Written(ctx, owners, nil)
	return &model.DeletePayload{DeletedIds: out, UserErrors: []*model.UserError{}}, nil
}

func (r *Resolver) facadeUpsertFormFieldValues(ctx context.Context, in []storage.FormFieldValueInput) (*model.CustomerFormFieldValuesPayload, error) {
	empty := []*storage.CustomerFormFieldValue{}
	// The owners of address values, for the read back.
	var addrIDs []int
	for _, v := range in {
		if v.AddressID != nil {
			addrIDs = append(addrIDs, *v.AddressID)
		}
	}
	owners, err := r.ownersOf(ctx, addrIDs)
	if err != nil {
		return nil, err
	}
	ue, err := passThrough(second(r.DB.UpsertFormFieldValues(dry(ctx), in)), func() error {
		body := make([]wire.FormFieldValue, len(in))
		for i, v := range in {
			b, _ := v.Value.MarshalJSON()
			body[i] = wire.FormFieldValue{Name: v.Name, Value: json.RawMessage(b), CustomerID: v.CustomerID, AddressID: v.AddressID}
		}
		return r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers/form-field-values", nil, body, nil)
	})
	if err != nil || len(ue) > 0 {
		return &model.CustomerFormFieldValuesPayload{FormFieldValues: empty, UserErrors: ue}, err
	}
	for _, v := range in {
		if v.CustomerID != nil && !slices.Contains(owners, *v.CustomerID) {
			owners = append(owners, *v.CustomerID)
		}
	}
	r.mirror.Written(ctx, owners, nil)
	// Answer as the local write would: run it again as a dry run on the
	// mirror, which now holds the values.
	out, err := r.DB.UpsertFormFieldValues(dry(ctx), in)
	ue, err = userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.CustomerFormFieldValuesPayload{FormFieldValues: out, UserErrors: ue}, nil
}

func (r *Resolver) facadeCreateSubscriber(ctx context.Context, in storage.SubscriberInput) (*model.SubscriberPayload, error) {
	var res wire.Single[wire.Subscriber]
	ue, err := passThrough(second(r.DB.CreateSubscriber(dry(ctx), in)), func() error {
		body := wire.SubscriberWrite{Email: &in.Email, FirstName: &in.FirstName, LastName: &in.LastName, Source: &in.Source,
			OrderID: wire.Optional[*int]{Set: in.OrderID != nil, Value: in.OrderID}, ChannelID: in.ChannelID, Consents: consentStrings(in.Consents)}
		return r.mirror.Upstream().Do(ctx, http.MethodPost, "/v3/customers/subscribers", nil, body, &res)
	})
	if err != nil || len(ue) > 0 {
		return &model.SubscriberPayload{UserErrors: ue}, err
	}
	return r.subscriberWritten(ctx, res.Data)
}

func (r *Resolver) facadeUpdateSubscriber(ctx context.Context, in storage.SubscriberUpdate) (*model.SubscriberPayload, error) {
	var res wire.Single[wire.Subscriber]
	ue, err := passThrough(second(r.DB.UpdateSubscriber(dry(ctx), in)), func() error {
		body := wire.SubscriberWrite{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Source: in.Source,
			OrderID: wire.Optional[*int]{Set: in.OrderID.Set, Value: in.OrderID.Value}, ChannelID: in.ChannelID, Consents: consentStrings(in.Consents)}
		return r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers/subscribers/"+strconv.Itoa(in.ID), nil, body, &res)
	})
	if err != nil || len(ue) > 0 {
		return &model.SubscriberPayload{UserErrors: ue}, err
	}
	return r.subscriberWritten(ctx, res.Data)
}

func (r *Resolver) subscriberWritten(ctx context.Context, s wire.Subscriber) (*model.SubscriberPayload, error) {
	if err := r.mirror.ApplySubscribers(ctx, []wire.Subscriber{s}); err != nil {
		r.mirror.Changed(nil, []int{s.ID})
	}
	out, err := r.DB.FindSubscriberByID(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	return &model.SubscriberPayload{Subscriber: out, UserErrors: []*model.UserError{}}, nil
}

func consentStrings[T ~string](cs []T) []string {
	if cs == nil {
		return nil
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func (r *Resolver) facadeUpdateSettings(ctx context.Context, in storage.SettingsUpdate) (*model.CustomerSettingsPayload, error) {
	ue, err := passThrough(second(r.DB.UpdateSettings(dry(ctx), in)), func() error {
		var body wire.SettingsPut
		if in.AskShopperForTrackingConsent != nil || in.PolicyURL != nil {
			body.PrivacySettings = &struct {
				AskShopperForTrackingConsent *bool   `json:"ask_shopper_for_tracking_consent,omitempty"`
				PolicyURL                    *string `json:"policy_url,omitempty"`
			}{in.AskShopperForTrackingConsent, in.PolicyURL}
		}
		if in.GuestCustomerGroupID.Set || in.DefaultCustomerGroupID.Set {
			body.CustomerGroupSettings = &struct {
				GuestCustomerGroupID   wire.Optional[*int] `json:"guest_customer_group_id,omitzero"`
				DefaultCustomerGroupID wire.Optional[*int] `json:"default_customer_group_id,omitzero"`
			}{wire.Optional[*int]{Set: in.GuestCustomerGroupID.Set, Value: in.GuestCustomerGroupID.Value},
				wire.Optional[*int]{Set: in.DefaultCustomerGroupID.Set, Value: in.DefaultCustomerGroupID.Value}}
		}
		return r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers/settings", nil, body, nil)
	})
	if err != nil || len(ue) > 0 {
		return &model.CustomerSettingsPayload{UserErrors: ue}, err
	}
	// The group roles are flags of the groups: reread both.
	if err := r.mirror.RefreshSettings(ctx); err != nil {
		return nil, upstreamError(err)
	}
	if in.GuestCustomerGroupID.Set || in.DefaultCustomerGroupID.Set {
		if err := r.mirror.RefreshGroups(ctx); err != nil {
			return nil, upstreamError(err)
		}
	}
	out, err := r.DB.FindSettings(ctx)
	if err != nil {
		return nil, err
	}
	return &model.CustomerSettingsPayload{Settings: out, UserErrors: []*model.UserError{}}, nil
}
