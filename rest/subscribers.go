package rest

import (
	"net/http"
	"strconv"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// V3 subscribers.

// subscriberFilter reads the subscribers' exact-match filters.
func subscriberFilter(q *query, withRanges bool) storage.SubscriberFilter {
	f := storage.SubscriberFilter{Email: q.str("email"), FirstName: q.str("first_name"), LastName: q.str("last_name"),
		Source: q.str("source"), OrderID: q.integer("order_id")}
	if withRanges {
		f.ID, f.IDIn = q.integer("id"), q.ints("id:in")
		f.DateCreated, f.DateModified = q.dates("date_created"), q.dates("date_modified")
	} else {
		f.DateCreated = storage.NewTimeRange(q.date("date_created"), nil, nil)
		f.DateModified = storage.NewTimeRange(q.date("date_modified"), nil, nil)
	}
	return f
}

func (h *handler) listSubscribers(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := subscriberFilter(q, true)
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	pg, err := h.db.FindSubscribers(r.Context(), f, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	return ok(w, collect(r.Request, pg, v3Subscriber))
}

// subscriberErrors answers a subscriber write's problems: 409 for a taken
// email, 404 for an unknown subscriber, else 422.
func subscriberErrors(err error) error {
	if isNotFoundOn(err, "input.id") {
		return notFound("Subscriber")
	}
	return invalidWith(err, "The subscriber is not valid.", fieldsV3(""), map[string]int{storage.ECONFLICT: http.StatusConflict})
}

func consents(in []string) []storage.SubscriberConsent {
	if in == nil {
		return nil
	}
	out := make([]storage.SubscriberConsent, len(in))
	for i, c := range in {
		out[i] = storage.SubscriberConsent(c)
	}
	return out
}

func (h *handler) createSubscriber(w http.ResponseWriter, r *request) error {
	var in wire.SubscriberWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	s, err := h.db.CreateSubscriber(r.Context(), storage.SubscriberInput{Email: deref(in.Email), FirstName: deref(in.FirstName),
		LastName: deref(in.LastName), Source: deref(in.Source), OrderID: in.OrderID.Value, ChannelID: in.ChannelID,
		Consents: consents(in.Consents)})
	if err != nil {
		return subscriberErrors(err)
	}
	return ok(w, wire.Single[wire.Subscriber]{Data: v3Subscriber(s)})
}

// subscriberID reads the {subscriber_id} of a path.
func subscriberID(r *request) (int, error) {
	id, err := strconv.Atoi(r.PathValue("subscriber_id"))
	if err != nil || id < 1 {
		return 0, notFound("Subscriber")
	}
	return id, nil
}

func (h *handler) getSubscriber(w http.ResponseWriter, r *request) error {
	id, err := subscriberID(r)
	if err != nil {
		return err
	}
	s, err := h.db.FindSubscriberByID(r.Context(), id)
	if storage.ErrorCode(err) == storage.ENOTFOUND {
		return notFound("Subscriber")
	}
	if err != nil {
		return err
	}
	return ok(w, wire.Single[wire.Subscriber]{Data: v3Subscriber(s)})
}

func (h *handler) updateSubscriber(w http.ResponseWriter, r *request) error {
	id, err := subscriberID(r)
	if err != nil {
		return err
	}
	var in wire.SubscriberWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	s, err := h.db.UpdateSubscriber(r.Context(), storage.SubscriberUpdate{ID: id, Email: in.Email, FirstName: in.FirstName,
		LastName: in.LastName, Source: in.Source, OrderID: storage.Optional[*int]{Set: in.OrderID.Set, Value: in.OrderID.Value},
		ChannelID: in.ChannelID, Consents: consents(in.Consents)})
	if err != nil {
		return subscriberErrors(err)
	}
	return ok(w, wire.Single[wire.Subscriber]{Data: v3Subscriber(s)})
}

// deleteSubscribers deletes the subscribers that match the filters; with
// none it deletes every subscriber, as V3 documents.
func (h *handler) deleteSubscribers(w http.ResponseWriter, r *request) error {
	q := newQuery(r.Request)
	f := subscriberFilter(q, false)
	if err := q.err(); err != nil {
		return err
	}
	if _, err := h.db.DeleteSubscribers(r.Context(), f, f.IsEmpty()); err != nil {
		return invalid(err, "The filters are not valid.", fieldsV3(""))
	}
	return noContent(w)
}

func (h *handler) deleteSubscriber(w http.ResponseWriter, r *request) error {
	id, err := subscriberID(r)
	if err != nil {
		return err
	}
	if _, err := h.db.DeleteSubscribers(r.Context(), storage.SubscriberFilter{ID: &id}, false); err != nil {
		return err
	}
	return noContent(w)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
