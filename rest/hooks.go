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
