package rest

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// V3 attributes, attribute values, form field values and settings.

func (h *handler) listAttributes(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := storage.CustomerAttributeFilter{Name: q.str("name"), NameLike: q.str("name:like"),
		DateCreated: q.dates("date_created"), DateModified: q.dates("date_modified")}
	if t := q.str("type"); t != nil {
		at := storage.CustomerAttributeType(*t)
		f.Type = &at
	}
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindAttributes(r.Context(), f, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	return ok(w, collect(r.Request, pg, v3Attribute))
}

func (h *handler) createAttributes(w http.ResponseWriter, r *request) error {
	var in []wire.AttributePost
	if err := decode(r, &in); err != nil {
		return err
	}
	out := make([]storage.AttributeInput, len(in))
	for i, a := range in {
		out[i] = storage.AttributeInput{Name: a.Name, Type: storage.CustomerAttributeType(a.Type)}
	}
	as, err := h.db.CreateAttributes(r.Context(), out)
	if err != nil {
		return invalid(err, "Create attributes failed.", fieldsV3(""))
	}
	return ok(w, wire.Collection[wire.Attribute]{Data: convertAll(as, v3Attribute)})
}

func (h *handler) updateAttributes(w http.ResponseWriter, r *request) error {
	var in []wire.AttributePut
	if err := decode(r, &in); err != nil {
		return err
	}
	out := make([]storage.AttributeUpdate, len(in))
	for i, a := range in {
		out[i] = storage.AttributeUpdate{ID: a.ID, Name: a.Name}
	}
	as, err := h.db.UpdateAttributes(r.Context(), out)
	if err != nil {
		return invalid(err, "Update attributes failed.", fieldsV3(""))
	}
	return ok(w, wire.Collection[wire.Attribute]{Data: convertAll(as, v3Attribute)})
}

func (h *handler) listAttributeValues(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := storage.CustomerAttributeValueFilter{CustomerIDIn: q.ints("customer_id:in"), AttributeIDIn: q.ints("attribute_id:in"),
		Name: q.str("name"), DateCreated: q.dates("date_created"), DateModified: q.dates("date_modified")}
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindAttributeValues(r.Context(), f, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	return ok(w, collect(r.Request, pg, v3AttributeValue))
}

func (h *handler) upsertAttributeValues(w http.ResponseWriter, r *request) error {
	var in []wire.AttributeValuePut
	if err := decode(r, &in); err != nil {
		return err
	}
	out := make([]storage.AttributeValueUpsert, len(in))
	for i, v := range in {
		out[i] = storage.AttributeValueUpsert{ID: v.ID, CustomerID: v.CustomerID, AttributeID: v.AttributeID, Value: v.Value}
	}
	vs, err := h.db.UpsertAttributeValues(r.Context(), out)
	if err != nil {
		return invalid(err, "Upsert attribute values failed.", fieldsV3(""))
	}
	return ok(w, wire.Collection[wire.AttributeValue]{Data: convertAll(vs, v3AttributeValue)})
}

func (h *handler) listFormFieldValues(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := storage.CustomerFormFieldValueFilter{CustomerID: q.integer("customer_id"), AddressID: q.integer("address_id"),
		FieldName: q.str("field_name")}
	if t := q.str("field_type"); t != nil {
		ft := storage.CustomerFormFieldType(*t)
		f.FieldType = &ft
	}
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindFormFieldValues(r.Context(), f, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	return ok(w, collect(r.Request, pg, ownedValue))
}

func (h *handler) upsertFormFieldValues(w http.ResponseWriter, r *request) error {
	var in []wire.FormFieldValue
	if err := decode(r, &in); err != nil {
		return err
	}
	errs := map[string]string{}
	out := formInputs(in, "", errs)
	for k, v := range errs { // "" prefix: ".0.value" -> "0.value"
		delete(errs, k)
		errs[k[1:]] = v
	}
	if err := bodyErrors(errs); err != nil {
		return err
	}
	vs, err := h.db.UpsertFormFieldValues(r.Context(), out)
	if err != nil {
		return invalid(err, "Upsert form field values failed.", fieldsV3(""))
	}
	return ok(w, wire.Collection[wire.FormFieldValue]{Data: convertAll(vs, ownedValue)})
}

// groupID is a settings group id in the V3 form: 0 for none.
func groupID(id *int) int {
	if id == nil {
		return 0
	}
	return *id
}

func v3Settings(s *storage.CustomerSettings) wire.Settings {
	return wire.Settings{
		PrivacySettings: wire.PrivacySettings{AskShopperForTrackingConsent: s.PrivacySettings.AskShopperForTrackingConsent,
			PolicyURL: s.PrivacySettings.PolicyURL},
		CustomerGroupSettings: wire.CustomerGroupSettings{GuestCustomerGroupID: groupID(s.CustomerGroupSettings.GuestCustomerGroupID),
			DefaultCustomerGroupID: groupID(s.CustomerGroupSettings.DefaultCustomerGroupID)},
	}
}

func (h *handler) getSettings(w http.ResponseWriter, r *request) error {
	s, err := h.db.FindSettings(r.Context())
	if err != nil {
		return err
	}
	return ok(w, wire.Single[wire.Settings]{Data: v3Settings(s)})
}

func (h *handler) updateSettings(w http.ResponseWriter, r *request) error {
	var in wire.SettingsPut
	if err := decode(r, &in); err != nil {
		return err
	}
	var u storage.SettingsUpdate
	if p := in.PrivacySettings; p != nil {
		u.AskShopperForTrackingConsent, u.PolicyURL = p.AskShopperForTrackingConsent, p.PolicyURL
	}
	if g := in.CustomerGroupSettings; g != nil {
		u.GuestCustomerGroupID, u.DefaultCustomerGroupID = groupOption(g.GuestCustomerGroupID), groupOption(g.DefaultCustomerGroupID)
	}
	s, err := h.db.UpdateSettings(r.Context(), u)
	if err != nil {
		return invalid(err, "The settings are not valid.", fieldsV3(""))
	}
	return ok(w, wire.Single[wire.Settings]{Data: v3Settings(s)})
}

// channelID reads the {channel_id} of a path.
func channelID(r *request) (int, error) {
	id, err := strconv.Atoi(r.PathValue("channel_id"))
	if err != nil {
		return 0, &apiError{status: http.StatusUnprocessableEntity, title: "The channel id is not valid.",
			errors: map[string]string{"channel_id": fmt.Sprintf("%q is not an integer.", truncate(r.PathValue("channel_id")))}}
	}
	return id, nil
}

func v3ChannelSettings(s *storage.ChannelCustomerSettings) wire.ChannelSettings {
	var out wire.ChannelSettings
	out.PrivacySettings.AskShopperForTrackingConsent = s.PrivacySettings.AskShopperForTrackingConsent
	out.PrivacySettings.PolicyURL = s.PrivacySettings.PolicyURL
	out.CustomerGroupSettings.GuestCustomerGroupID = s.CustomerGroupSettings.GuestCustomerGroupID
	out.CustomerGroupSettings.DefaultCustomerGroupID = s.CustomerGroupSettings.DefaultCustomerGroupID
	out.AllowGlobalLogins = s.AllowGlobalLogins
	return out
}

func (h *handler) getChannelSettings(w http.ResponseWriter, r *request) error {
	id, err := channelID(r)
	if err != nil {
		return err
	}
	s, err := h.db.FindChannelSettings(r.Context(), id)
	if err != nil {
		return invalid(err, "The channel id is not valid.", func(string) string { return "channel_id" })
	}
	return ok(w, wire.Single[wire.ChannelSettings]{Data: v3ChannelSettings(s)})
}

func (h *handler) updateChannelSettings(w http.ResponseWriter, r *request) error {
	id, err := channelID(r)
	if err != nil {
		return err
	}
	var in wire.ChannelSettingsPut
	if err := decode(r, &in); err != nil {
		return err
	}
	u := storage.ChannelSettingsUpdate{ChannelID: id,
		AllowGlobalLogins: storage.Optional[*bool]{Set: in.AllowGlobalLogins.Set, Value: in.AllowGlobalLogins.Value}}
	if p := in.PrivacySettings; p != nil {
		u.AskShopperForTrackingConsent = storage.Optional[*bool]{Set: p.AskShopperForTrackingConsent.Set, Value: p.AskShopperForTrackingConsent.Value}
		u.PolicyURL = storage.Optional[*string]{Set: p.PolicyURL.Set, Value: p.PolicyURL.Value}
	}
	if g := in.CustomerGroupSettings; g != nil {
		// On a channel, null removes the override.
		u.GuestCustomerGroupID = storage.Optional[*int]{Set: g.GuestCustomerGroupID.Set, Value: g.GuestCustomerGroupID.Value}
		u.DefaultCustomerGroupID = storage.Optional[*int]{Set: g.DefaultCustomerGroupID.Set, Value: g.DefaultCustomerGroupID.Value}
	}
	s, err := h.db.UpdateChannelSettings(r.Context(), u)
	if err != nil {
		return invalid(err, "The channel settings are not valid.", fieldsV3(""))
	}
	return ok(w, wire.Single[wire.ChannelSettings]{Data: v3ChannelSettings(s)})
}
