package storage

import (
	"context"
	"fmt"
	"slices"
)

// SubscriberInput is a subscriber to create (V3 POST
// /customers/subscribers).
type SubscriberInput struct {
	Email     string
	FirstName string
	LastName  string
	Source    string
	OrderID   *int
	// ChannelID defaults to 1.
	ChannelID *int
	// Consents are the newsletters the subscriber gets; none when nil.
	Consents []SubscriberConsent
}

// SubscriberUpdate changes a subscriber; nil fields and unset Optionals are
// left alone.
type SubscriberUpdate struct {
	ID        int
	Email     *string
	FirstName *string
	LastName  *string
	Source    *string
	OrderID   Optional[*int]
	ChannelID *int
	// Consents, when not nil, replaces the list.
	Consents []SubscriberConsent
}

// subscriberFields checks a subscriber (domain/customers-spec.md §4.8).
func (ic *itemChecker) subscriberFields(s *Subscriber) {
	ic.email("email", s.Email)
	ic.text("firstName", s.FirstName, 0, 255, false)
	ic.text("lastName", s.LastName, 0, 255, false)
	ic.text("source", s.Source, 0, 255, false)
	if s.OrderID != nil {
		ic.positive("orderId", *s.OrderID)
	}
	ic.positive("channelId", s.ChannelID)
	for _, k := range s.Consents {
		if !valid(k, subscriberConsents) {
			ic.fail(EINVALID, "consents", "%q is not a consent; they are marketing_newsletter and abandoned_cart.", truncate(string(k), 40))
			return
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(s.Consents)))) != len(s.Consents) {
		ic.fail(EINVALID, "consents", "A consent is given twice.")
	}
}

// CreateSubscriber creates a subscriber. It returns Errors: CONFLICT for an
// email in use (V3 409), and the field codes (V3 422).
func (db *DB) CreateSubscriber(ctx context.Context, in SubscriberInput) (*Subscriber, error) {
	s := &Subscriber{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Source: in.Source,
		OrderID: in.OrderID, ChannelID: 1, Consents: in.Consents}
	if s.Consents == nil {
		s.Consents = []SubscriberConsent{}
	}
	if in.ChannelID != nil {
		s.ChannelID = *in.ChannelID
	}
	return db.writeSubscriber(ctx, 0, func(*Subscriber) *Subscriber { return s })
}

// UpdateSubscriber changes a subscriber. It returns Errors: NOT_FOUND for an
// unknown id (V3 404), CONFLICT for an email in use, and the field codes.
func (db *DB) UpdateSubscriber(ctx context.Context, u SubscriberUpdate) (*Subscriber, error) {
	return db.writeSubscriber(ctx, u.ID, func(old *Subscriber) *Subscriber {
		s := *old
		setString(&s.Email, u.Email)
		setString(&s.FirstName, u.FirstName)
		setString(&s.LastName, u.LastName)
		setString(&s.Source, u.Source)
		if u.OrderID.Set {
			s.OrderID = u.OrderID.Value
		}
		if u.ChannelID != nil {
			s.ChannelID = *u.ChannelID
		}
		if u.Consents != nil {
			s.Consents = u.Consents
		}
		return &s
	})
}

// writeSubscriber inserts a subscriber (id 0) or updates subscriber id in
// one transaction, with its event.
func (db *DB) writeSubscriber(ctx context.Context, id int, build func(old *Subscriber) *Subscriber) (*Subscriber, error) {
	var c checker
	ic := c.root("input")
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var old *Subscriber
	if id != 0 {
		found, err := byID(ctx, tx, subscriberList, "s.id", []int{id}, func(s *Subscriber) int { return s.ID })
		if err != nil {
			return nil, err
		}
		if old = found[id]; old == nil {
			ic.fail(ENOTFOUND, "id", "There is no subscriber %d.", id)
			return nil, c.err()
		}
	}
	s := build(old)
	ic.subscriberFields(s)
	if c.err() != nil {
		return nil, c.err()
	}
	owners, err := tx.emailOwners(ctx, "subscribers", []string{Fold(s.Email)})
	if err != nil {
		return nil, err
	}
	if owner, taken := owners[Fold(s.Email)]; taken && owner != s.ID {
		ic.fail(ECONFLICT, "email", "Another subscriber has the email %q.", truncate(s.Email, 60))
		return nil, c.err()
	}
	scope := ScopeSubscriberUpdated
	switch {
	case old == nil:
		s.DateCreated, s.DateModified, scope = tx.now, tx.now, ScopeSubscriberCreated
		if err := tx.insertSubscriber(ctx, s); err != nil {
			return nil, err
		}
	case s.Email != old.Email || s.FirstName != old.FirstName || s.LastName != old.LastName || s.Source != old.Source ||
		!sameIntPtr(s.OrderID, old.OrderID) || s.ChannelID != old.ChannelID || !slices.Equal(s.Consents, old.Consents):
		s.DateModified = tx.now
		if _, err := tx.exec(ctx, `UPDATE subscribers SET email = ?, email_fold = ?, first_name = ?, last_name = ?, source = ?,
			order_id = ?, channel_id = ?, consents = ?, date_modified = ? WHERE id = ?`, s.Email, Fold(s.Email), s.FirstName,
			s.LastName, s.Source, s.OrderID, s.ChannelID, jsonArray(s.Consents), formatTime(s.DateModified), s.ID); err != nil {
			return nil, fmt.Errorf("update subscriber: %w", err)
		}
	default:
		return old, tx.Commit() // nothing changed: no write, no event
	}
	if err := tx.addEvent(ctx, scope, subscriberEvent(s.ID)); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s, nil
}

func sameIntPtr(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// DeleteSubscribers deletes the subscribers that match f and returns their
// ids. V3 deletes every subscriber when no filter is given; here that takes
// all, and a filter with all is INVALID (../API.md decision 16).
func (db *DB) DeleteSubscribers(ctx context.Context, f SubscriberFilter, all bool) ([]int, error) {
	var c checker
	switch {
	case f.IsEmpty() && !all:
		c.root("filter").fail(EREQUIRED, "", "Give a filter, or all: true to delete every subscriber.")
	case !f.IsEmpty() && all:
		c.root("all").fail(EINVALID, "", "Give a filter or all: true, not both.")
	}
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	w := f.where()
	ids, err := queryTx(ctx, tx, scanInt, `SELECT s.id FROM subscribers s`+w.sql()+` ORDER BY s.id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("delete subscribers: %w", err)
	}
	for _, id := range ids {
		if err := tx.addEvent(ctx, ScopeSubscriberDeleted, subscriberEvent(id)); err != nil {
			return nil, err
		}
	}
	if _, err := tx.exec(ctx, `DELETE FROM subscribers WHERE `+inList("id"), listArg(ids)); err != nil {
		return nil, fmt.Errorf("delete subscribers: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []int{}
	}
	return ids, nil
}
