package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Subscriber is a newsletter subscriber (domain/customers-spec.md §4.8);
// subscribers and customers are independent records.
type Subscriber struct {
	ID        int
	Email     string
	FirstName string
	LastName  string
	Source    string
	OrderID   *int
	ChannelID int
	// Consents are the newsletters the subscriber gets.
	Consents     []SubscriberConsent
	DateCreated  time.Time
	DateModified time.Time
}

// SubscriberFilter holds the V3 filters of the subscriber list, all exact
// matches (domain/customers-spec.md §2.6).
type SubscriberFilter struct {
	ID           *int
	IDIn         []int
	Email        *string
	FirstName    *string
	LastName     *string
	Source       *string
	OrderID      *int
	DateCreated  TimeRange
	DateModified TimeRange
}

// where builds the filter's conditions, its date ranges marked as narrow.
func (f *SubscriberFilter) where() where { return f.conditions(true, true) }

// conditions builds the filter's conditions, marking the date ranges as
// narrow or not (see addDateRange).
func (f *SubscriberFilter) conditions(createdNarrow, modifiedNarrow bool) where {
	var w where
	if f.ID != nil {
		w.add("s.id = ?", *f.ID)
	}
	in(&w, "s.id", f.IDIn)
	if f.Email != nil {
		// Emails are unique ignoring case, so they match ignoring case.
		w.add("s.email_fold = ?", Fold(*f.Email))
	}
	if f.FirstName != nil {
		w.add("s.first_name = ?", *f.FirstName)
	}
	if f.LastName != nil {
		w.add("s.last_name = ?", *f.LastName)
	}
	if f.Source != nil {
		w.add("s.source = ?", *f.Source)
	}
	if f.OrderID != nil {
		w.add("s.order_id = ?", *f.OrderID)
	}
	addDateRange(&w, "s.date_created", f.DateCreated, createdNarrow)
	addDateRange(&w, "s.date_modified", f.DateModified, modifiedNarrow)
	return w
}

// IsEmpty reports whether the filter has no condition (a V3 subscriber
// DELETE without filters deletes everything, so callers check).
func (f *SubscriberFilter) IsEmpty() bool {
	w := f.where()
	return len(w.conds) == 0
}

const subscriberColumns = `s.id, s.email, s.first_name, s.last_name, s.source, s.order_id, s.channel_id,
	s.consents, s.date_created, s.date_modified`

func scanSubscriber(sc rowScanner, extra ...any) (*Subscriber, error) {
	var (
		s                           Subscriber
		consents, created, modified string
	)
	if err := sc.Scan(append([]any{&s.ID, &s.Email, &s.FirstName, &s.LastName, &s.Source, &s.OrderID, &s.ChannelID,
		&consents, &created, &modified}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(consents), &s.Consents); err != nil {
		return nil, fmt.Errorf("subscriber %d consents: %w", s.ID, err)
	}
	if s.Consents == nil {
		s.Consents = []SubscriberConsent{}
	}
	return &s, parseTimes(created, &s.DateCreated, modified, &s.DateModified)
}

var subscriberList = listDef[*Subscriber]{
	name:    "subscribers",
	from:    "subscribers s",
	columns: subscriberColumns,
	scan:    scanSubscriber,
}

// FindSubscribers returns one page of the subscribers that match f, by id.
// It returns EINVALID for a bad page, limit or cursor.
func (db *DB) FindSubscribers(ctx context.Context, f SubscriberFilter, req PageRequest) (*Page[*Subscriber], error) {
	created, modified, err := db.narrowRanges(ctx, "subscribers s", "s.date_created", f.DateCreated, "s.date_modified", f.DateModified)
	if err != nil {
		return nil, fmt.Errorf("find subscribers: %w", err)
	}
	return findPage(ctx, db, subscriberList, f.conditions(created, modified), idOrder("s.id"), req)
}

// FindSubscriberByID returns the subscriber with the id, or ENOTFOUND.
func (db *DB) FindSubscriberByID(ctx context.Context, id int) (*Subscriber, error) {
	return findOne(ctx, db, subscriberList, "s.id", id, "Subscriber not found.")
}
