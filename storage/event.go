package storage

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Event scopes: the writes V3 announces (domain/customers-spec.md §6.1,
// ../API.md Events).
const (
	ScopeCustomerCreated   = "store/customer/created"
	ScopeCustomerUpdated   = "store/customer/updated"
	ScopeCustomerDeleted   = "store/customer/deleted"
	ScopeAddressCreated    = "store/customer/address/created"
	ScopeAddressUpdated    = "store/customer/address/updated"
	ScopeAddressDeleted    = "store/customer/address/deleted"
	ScopeSubscriberCreated = "store/subscriber/created"
	ScopeSubscriberUpdated = "store/subscriber/updated"
	ScopeSubscriberDeleted = "store/subscriber/deleted"
)

// Event is one row of the outbox: what happened, recorded in the same
// transaction as the write, so an acknowledged write never lacks its event.
type Event struct {
	ID    int64
	Scope string
	// Data is the envelope's `data` object, e.g. {"type":"customer","id":5}.
	Data json.RawMessage
	// Hash is 40 hex characters identifying the event's content.
	Hash      string
	CreatedAt time.Time
}

// EventData is the `data` object of the customer and subscriber events.
type EventData struct {
	Type    string            `json:"type"`
	ID      int               `json:"id"`
	Address *EventAddressData `json:"address,omitempty"`
}

// EventAddressData names the customer of an address event.
type EventAddressData struct {
	CustomerID int `json:"customer_id"`
}

func customerEvent(id int) EventData { return EventData{Type: "customer", ID: id} }

// addressEvent is an address event's data: the address id under type
// "customer", as the spec's samples have it (domain/customers-spec.md §9.43).
func addressEvent(addressID, customerID int) EventData {
	return EventData{Type: "customer", ID: addressID, Address: &EventAddressData{CustomerID: customerID}}
}

func subscriberEvent(id int) EventData { return EventData{Type: "subscriber", ID: id} }

// addEvent records an event in the transaction's outbox.
func (tx *Tx) addEvent(ctx context.Context, scope string, data EventData) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	seq := tx.db.eventSeq.Add(1)
	sum := sha1.Sum([]byte(scope + "\n" + string(b) + "\n" + strconv.FormatInt(tx.now.Unix(), 10) + "\n" + strconv.FormatUint(seq, 10)))
	if _, err := tx.exec(ctx, `INSERT INTO events (scope, data, hash, created_at) VALUES (?, ?, ?, ?)`,
		scope, string(b), hex.EncodeToString(sum[:]), tx.now.Unix()); err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	tx.events = true
	return nil
}

// FindEventsAfter returns up to limit events whose id is above afterID, in
// id order: the outbox as a log.
func (db *DB) FindEventsAfter(ctx context.Context, afterID int64, limit int) ([]*Event, error) {
	events, err := queryAll(ctx, db, db.reader, scanEvent,
		`SELECT id, scope, data, hash, created_at FROM events WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	return events, nil
}

// LastEventID returns the id of the newest event, or 0.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	ids, err := queryAll(ctx, db, db.reader, func(s rowScanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	}, `SELECT COALESCE(MAX(id), 0) FROM events`)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return ids[0], nil
}

func scanEvent(s rowScanner) (*Event, error) {
	var (
		e    Event
		data string
		at   int64
	)
	if err := s.Scan(&e.ID, &e.Scope, &data, &e.Hash, &at); err != nil {
		return nil, err
	}
	e.Data, e.CreatedAt = json.RawMessage(data), time.Unix(at, 0).UTC()
	return &e, nil
}

// EventSignal returns a channel that is closed when a transaction that
// recorded events (or made a delivery due) commits: event consumers wait
// on it instead of polling.
func (db *DB) EventSignal() <-chan struct{} {
	db.signalMu.Lock()
	defer db.signalMu.Unlock()
	if db.signal == nil {
		db.signal = make(chan struct{})
	}
	return db.signal
}

// signalEvents wakes the consumers waiting on EventSignal.
func (db *DB) signalEvents() {
	db.signalMu.Lock()
	defer db.signalMu.Unlock()
	if db.signal != nil {
		close(db.signal)
		db.signal = nil
	}
}
