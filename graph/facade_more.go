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
		return r.deleteUpstream(ctx, "/v3/customers/attributes", ids)
	})
	if err != nil || len(ue) > 0 {
		return &model.DeletePayload{DeletedIds: []int{}, UserErrors: ue}, err
	}
	if err := r.mirror.RefreshAttributes(ctx); err != nil {
		return nil, upstreamError(err)
	}
	out := present(ids, have, func(a *storage.CustomerAttribute) int { return a.ID })
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
		return r.deleteUpstream(ctx, "/v3/customers/attribute-values", ids)
	})
	if err != nil || len(ue) > 0 {
		return &model.DeletePayload{DeletedIds: []int{}, UserErrors: ue}, err
	}
	var owners []int
	for _, v := range pg.Items {
		owners = append(owners, v.CustomerID)
	}
	out := present(ids, pg.Items, func(v *storage.CustomerAttributeValue) int { return v.ID })
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

func v2Rules(rules []storage.DiscountRule) []wire.V2DiscountRule {
	out := make([]wire.V2DiscountRule, len(rules))
	for i, r := range rules {
		out[i] = wire.V2DiscountRule{Type: string(r.Type), PriceListID: r.PriceListID, CategoryID: r.CategoryID, ProductID: r.ProductID}
		if r.Method != nil {
			m := string(*r.Method)
			out[i].Method = &m
		}
		if r.Amount != nil {
			a := wire.FormatDecimal(*r.Amount)
			out[i].Amount = &a
		}
	}
	return out
}

func v2Access(a *storage.CategoryAccess) *wire.V2CategoryAccess {
	if a == nil {
		return nil
	}
	return &wire.V2CategoryAccess{Type: string(a.Type), Categories: a.Categories}
}

func (r *Resolver) groupWritten(ctx context.Context, id int) (*model.CustomerGroupPayload, error) {
	if err := r.mirror.RefreshGroups(ctx); err != nil {
		return nil, upstreamError(err)
	}
	out, err := r.DB.FindGroupByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &model.CustomerGroupPayload{CustomerGroup: out, UserErrors: []*model.UserError{}}, nil
}

func (r *Resolver) facadeCreateGroup(ctx context.Context, in storage.GroupInput) (*model.CustomerGroupPayload, error) {
	var res wire.V2Group
	ue, err := passThrough(second(r.DB.CreateGroup(dry(ctx), in)), func() error {
		body := wire.V2GroupWrite{Name: &in.Name, IsDefault: &in.IsDefault, IsGroupForGuests: &in.IsGroupForGuests,
			CategoryAccess: v2Access(in.CategoryAccess), DiscountRules: wire.Some(v2Rules(in.DiscountRules))}
		return r.mirror.Upstream().Do(ctx, http.MethodPost, "/v2/customer_groups", nil, body, &res)
	})
	if err != nil || len(ue) > 0 {
		return &model.CustomerGroupPayload{UserErrors: ue}, err
	}
	return r.groupWritten(ctx, res.ID)
}

func (r *Resolver) facadeUpdateGroup(ctx context.Context, in storage.GroupUpdate) (*model.CustomerGroupPayload, error) {
	ue, err := passThrough(second(r.DB.UpdateGroup(dry(ctx), in)), func() error {
		body := wire.V2GroupWrite{Name: in.Name, IsDefault: in.IsDefault, IsGroupForGuests: in.IsGroupForGuests,
			CategoryAccess: v2Access(in.CategoryAccess)}
		if in.DiscountRules.Set {
			body.DiscountRules = wire.Some(v2Rules(in.DiscountRules.Value))
		}
		return r.mirror.Upstream().Do(ctx, http.MethodPut, "/v2/customer_groups/"+strconv.Itoa(in.ID), nil, body, nil)
	})
	if err != nil || len(ue) > 0 {
		return &model.CustomerGroupPayload{UserErrors: ue}, err
	}
	return r.groupWritten(ctx, in.ID)
}

func (r *Resolver) facadeDeleteGroups(ctx context.Context, ids []int) (*model.DeletePayload, error) {
	gone, err := r.DB.DeleteGroups(dry(ctx), ids)
	ue, err := passThrough(err, func() error {
		for _, id := range gone {
			if err := r.mirror.Upstream().Do(ctx, http.MethodDelete, "/v2/customer_groups/"+strconv.Itoa(id), nil, nil, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(ue) > 0 {
		return &model.DeletePayload{DeletedIds: []int{}, UserErrors: ue}, err
	}
	if err := r.mirror.RefreshGroups(ctx); err != nil {
		return nil, upstreamError(err)
	}
	// Their customers are left without a group: the sweep and their
	// webhooks bring that; the mirror's delete did it already.
	return &model.DeletePayload{DeletedIds: nonNilInts(gone), UserErrors: []*model.UserError{}}, nil
}

// deleteUpstream deletes the records of a V3 collection by id on the
// upstream, 50 ids per request (the collections' batch size); no ids, no
// request.
func (r *Resolver) deleteUpstream(ctx context.Context, path string, ids []int) error {
	for chunk := range slices.Chunk(ids, 50) {
		if err := r.mirror.Upstream().Do(ctx, http.MethodDelete, path, url.Values{"id:in": {joinInts(chunk)}}, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// present returns the ids, in their order and once each, that name one of
// the records found before a delete: what the delete removed.
func present[T any](ids []int, found []T, id func(T) int) []int {
	out := []int{}
	for _, want := range ids {
		if slices.ContainsFunc(found, func(x T) bool { return id(x) == want }) && !slices.Contains(out, want) {
			out = append(out, want)
		}
	}
	return out
}

func nonNilInts(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}

func (r *Resolver) facadeDeleteSubscribers(ctx context.Context, f storage.SubscriberFilter, all bool) (*model.DeletePayload, error) {
	gone, err := r.DB.DeleteSubscribers(dry(ctx), f, all)
	ue, err := passThrough(err, func() error {
		return r.deleteUpstream(ctx, "/v3/customers/subscribers", gone)
	})
	if err != nil || len(ue) > 0 {
		return &model.DeletePayload{DeletedIds: []int{}, UserErrors: ue}, err
	}
	out, err := r.DB.MirrorDeleteSubscribers(ctx, gone)
	if err != nil {
		return nil, err
	}
	return &model.DeletePayload{DeletedIds: nonNilInts(out), UserErrors: []*model.UserError{}}, nil
}

func (r *Resolver) facadeUpdateChannelSettings(ctx context.Context, in storage.ChannelSettingsUpdate) (*model.ChannelCustomerSettingsPayload, error) {
	ue, err := passThrough(second(r.DB.UpdateChannelSettings(dry(ctx), in)), func() error {
		var body wire.ChannelSettingsPut
		if in.AskShopperForTrackingConsent.Set || in.PolicyURL.Set {
			body.PrivacySettings = &struct {
				AskShopperForTrackingConsent wire.Optional[*bool]   `json:"ask_shopper_for_tracking_consent,omitzero"`
				PolicyURL                    wire.Optional[*string] `json:"policy_url,omitzero"`
			}{wire.Optional[*bool]{Set: in.AskShopperForTrackingConsent.Set, Value: in.AskShopperForTrackingConsent.Value},
				wire.Optional[*string]{Set: in.PolicyURL.Set, Value: in.PolicyURL.Value}}
		}
		if in.GuestCustomerGroupID.Set || in.DefaultCustomerGroupID.Set {
			body.CustomerGroupSettings = &struct {
				GuestCustomerGroupID   wire.Optional[*int] `json:"guest_customer_group_id,omitzero"`
				DefaultCustomerGroupID wire.Optional[*int] `json:"default_customer_group_id,omitzero"`
			}{wire.Optional[*int]{Set: in.GuestCustomerGroupID.Set, Value: in.GuestCustomerGroupID.Value},
				wire.Optional[*int]{Set: in.DefaultCustomerGroupID.Set, Value: in.DefaultCustomerGroupID.Value}}
		}
		body.AllowGlobalLogins = wire.Optional[*bool]{Set: in.AllowGlobalLogins.Set, Value: in.AllowGlobalLogins.Value}
		return r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers/settings/channels/"+strconv.Itoa(in.ChannelID), nil, body, nil)
	})
	if err != nil || len(ue) > 0 {
		return &model.ChannelCustomerSettingsPayload{UserErrors: ue}, err
	}
	if err := r.mirror.RefreshChannel(ctx, in.ChannelID); err != nil {
		return nil, upstreamError(err)
	}
	out, err := r.DB.FindChannelSettings(ctx, in.ChannelID)
	if err != nil {
		return nil, err
	}
	return &model.ChannelCustomerSettingsPayload{Settings: out, UserErrors: []*model.UserError{}}, nil
}

// updateConsent writes a customer's consent: the store's, or in facade
// mode the upstream's, then the mirror's.
func (r *Resolver) updateConsent(ctx context.Context, in storage.ConsentInput) (*storage.CustomerConsent, error) {
	if r.mirror == nil {
		return r.DB.UpdateConsent(ctx, in)
	}
	if _, err := r.DB.UpdateConsent(dry(ctx), in); err != nil {
		return nil, err
	}
	var res wire.Consent
	body := wire.ConsentPut{Allow: consentStrings(in.Allow), Deny: consentStrings(in.Deny)}
	if body.Allow == nil {
		body.Allow = []string{}
	}
	if body.Deny == nil {
		body.Deny = []string{}
	}
	if err := r.mirror.Upstream().Do(ctx, http.MethodPut, "/v3/customers/"+strconv.Itoa(in.CustomerID)+"/consent", nil, body, &res); err != nil {
		return nil, upstreamProblems(err)
	}
	if res.Allow == nil && res.Deny == nil {
		res.Allow, res.Deny = body.Allow, body.Deny
	}
	if err := r.DB.MirrorConsent(ctx, in.CustomerID, res); err != nil {
		return nil, err
	}
	return r.DB.FindConsent(ctx, in.CustomerID)
}
