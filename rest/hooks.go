package rest

import (
	"net/http"
	"strconv"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// V3 webhooks (/hooks): registered in BigCommerce's format and owned by
// the token that registered them, which alone lists and changes them
// here.

func (h *handler) v3Webhook(wh *storage.Webhook) wire.Webhook {
	out := wire.Webhook{ID: wh.ID, StoreHash: h.opts.StoreHash, Scope: wh.Scope, Destination: wh.Destination,
		IsActive: wh.IsActive, Headers: wh.Headers, CreatedAt: wh.DateCreated.Unix(), UpdatedAt: wh.DateModified.Unix()}
	if wh.OwnerTokenID != nil {
		out.ClientID = ownerClientID(*wh.OwnerTokenID)
	}
	if len(out.Headers) == 0 {
		out.Headers = nil
	}
	return out
}

// hookErrors names a webhook's problems by its V3 fields.
func hookErrors(err error) error {
	return invalid(err, "JSON data is missing or invalid", fieldsV3(""))
}

func (h *handler) listHooks(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	owner := r.token.ID
	f := storage.WebhookFilter{IsActive: q.boolean("is_active"), Scope: q.str("scope"), Destination: q.str("destination"),
		OwnerTokenID: &owner}
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindWebhooks(r.Context(), f, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	return ok(w, collect(r.Request, pg, h.v3Webhook))
}

func (h *handler) createHook(w http.ResponseWriter, r *request) error {
	var in wire.WebhookWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	errs := map[string]string{}
	if in.Scope == nil {
		errs["scope"] = "error.path.missing."
	}
	if in.Destination == nil {
		errs["destination"] = "error.path.missing."
	}
	if err := bodyErrors(errs); err != nil {
		return err
	}
	owner := r.token.ID
	wh, _, err := h.db.CreateWebhook(r.Context(), storage.WebhookInput{Scope: *in.Scope, Destination: *in.Destination,
		IsActive: in.IsActive, Headers: in.Headers, Format: storage.WebhookBigCommerce, OwnerTokenID: &owner})
	if err != nil {
		return hookErrors(err)
	}
	return ok(w, wire.Single[wire.Webhook]{Data: h.v3Webhook(wh)})
}

// ownHook returns the webhook of the path if the token registered it.
func (h *handler) ownHook(r *request) (*storage.Webhook, error) {
	id, err := strconv.Atoi(r.PathValue("webhook_id"))
	if err != nil || id < 1 {
		return nil, &apiError{status: http.StatusNotFound, title: "Webhook with id [" + truncate(r.PathValue("webhook_id")) + "] not found"}
	}
	found, err := h.db.FindWebhooksByIDs(r.Context(), []int{id})
	if err != nil {
		return nil, err
	}
	wh := found[id]
	if wh == nil || wh.OwnerTokenID == nil || *wh.OwnerTokenID != r.token.ID {
		return nil, &apiError{status: http.StatusNotFound, title: "Webhook with id [" + strconv.Itoa(id) + "] not found"}
	}
	return wh, nil
}

func (h *handler) getHook(w http.ResponseWriter, r *request) error {
	wh, err := h.ownHook(r)
	if err != nil {
		return err
	}
	return ok(w, wire.Single[wire.Webhook]{Data: h.v3Webhook(wh)})
}

func (h *handler) updateHook(w http.ResponseWriter, r *request) error {
	wh, err := h.ownHook(r)
	if err != nil {
		return err
	}
	var in wire.WebhookWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	u := storage.WebhookUpdate{ID: wh.ID, Scope: in.Scope, Destination: in.Destination, IsActive: in.IsActive, Headers: in.Headers}
	updated, err := h.db.UpdateWebhook(r.Context(), u)
	if err != nil {
		return hookErrors(err)
	}
	return ok(w, wire.Single[wire.Webhook]{Data: h.v3Webhook(updated)})
}

// deleteHook deletes a webhook and answers it, as V3 does.
func (h *handler) deleteHook(w http.ResponseWriter, r *request) error {
	wh, err := h.ownHook(r)
	if err != nil {
		return err
	}
	if _, err := h.db.DeleteWebhooks(r.Context(), []int{wh.ID}); err != nil {
		return err
	}
	return ok(w, wire.Single[wire.Webhook]{Data: h.v3Webhook(wh)})
}

// hookAdmin is the body of GET /hooks/admin.
type hookAdmin struct {
	Emails         []string        `json:"emails"`
	HooksList      []hookListEntry `json:"hooks_list"`
	BlockedDomains []struct{}      `json:"blocked_domains"`
}

// hookListEntry is a webhook with its status: active, inactive (turned
// off by its token) or deactivated (turned off by the server).
type hookListEntry struct {
	wire.Webhook
	Status string `json:"status"`
}

// getHooksAdmin lists the token's notification emails and webhooks; no
// domain is ever blocked here.
func (h *handler) getHooksAdmin(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	owner := r.token.ID
	f := storage.WebhookFilter{IsActive: q.boolean("is_active"), OwnerTokenID: &owner}
	if err := q.err(); err != nil {
		return err
	}
	emails, err := h.db.NotificationEmails(r.Context(), owner)
	if err != nil {
		return err
	}
	out := hookAdmin{Emails: emails, HooksList: []hookListEntry{}, BlockedDomains: []struct{}{}}
	for page := 1; ; page++ {
		pg, err := h.db.FindWebhooks(r.Context(), f, storage.PageRequest{Page: page, Limit: storage.MaxLimit})
		if err != nil {
			return err
		}
		for _, wh := range pg.Items {
			status := "active"
			switch {
			case !wh.IsActive && wh.DeactivatedReason != "":
				status = "deactivated"
			case !wh.IsActive:
				status = "inactive"
			}
			out.HooksList = append(out.HooksList, hookListEntry{Webhook: h.v3Webhook(wh), Status: status})
		}
		if !pg.HasNext {
			break
		}
	}
	return ok(w, wire.Single[hookAdmin]{Data: out})
}

// updateHooksAdmin replaces the token's notification emails.
func (h *handler) updateHooksAdmin(w http.ResponseWriter, r *request) error {
	var in struct {
		Emails []string `json:"emails"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Emails == nil {
		return &apiError{status: http.StatusUnprocessableEntity, title: "JSON data is missing or invalid",
			errors: map[string]string{"emails": "error.path.missing."}}
	}
	if err := h.db.SetNotificationEmails(r.Context(), r.token.ID, in.Emails); err != nil {
		return invalid(err, "JSON data is missing or invalid", fieldsV3(""))
	}
	return noContent(w)
}

// getHookEvents lists the events the token's webhooks failed to deliver
// (V3 marks it deprecated).
func (h *handler) getHookEvents(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	var f storage.UndeliveredFilter
	for name, dst := range map[string]**int64{"created_at:min": &f.CreatedAtMin, "created_at:max": &f.CreatedAtMax} {
		if d := q.date(name); d != nil {
			t := d.Time.Unix()
			*dst = &t
		}
	}
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindUndelivered(r.Context(), r.token.ID, f, req)
	if err != nil {
		return err
	}
	return ok(w, collect(r.Request, pg, func(e *storage.Event) wire.WebhookCallback {
		return wire.WebhookCallback{Scope: e.Scope, StoreID: h.opts.StoreID, Data: e.Data, Hash: e.Hash,
			CreatedAt: e.CreatedAt.Unix(), Producer: "stores/" + h.opts.StoreHash}
	}))
}
