package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// What REST /v3/hooks keeps per API token besides its webhooks: the emails
// to tell when one is turned off, and the events its webhooks failed to
// deliver.

// maxNotificationEmails bounds a token's notification emails.
const maxNotificationEmails = 20

// NotificationEmails returns the emails of the token's webhook notices, in
// order.
func (db *DB) NotificationEmails(ctx context.Context, owner int) ([]string, error) {
	emails, err := queryAll(ctx, db, db.reader, func(s rowScanner) (string, error) {
		var e string
		return e, s.Scan(&e)
	}, `SELECT email FROM webhook_notification_emails WHERE owner_token_id = ? ORDER BY email`, owner)
	if err != nil {
		return nil, fmt.Errorf("find notification emails: %w", err)
	}
	if emails == nil {
		emails = []string{}
	}
	return emails, nil
}

// SetNotificationEmails replaces the token's notification emails. It
// returns Errors: INVALID for an address that is not one, TOO_MANY_ITEMS
// past 20.
func (db *DB) SetNotificationEmails(ctx context.Context, owner int, emails []string) error {
	var c checker
	if len(emails) > maxNotificationEmails {
		c.root("emails").fail(ETOOMANYITEMS, "", "At most %d emails.", maxNotificationEmails)
	}
	for i, e := range emails {
		c.root("emails").email(fmt.Sprint(i), e)
	}
	if c.err() != nil {
		return c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `DELETE FROM webhook_notification_emails WHERE owner_token_id = ?`, owner); err != nil {
		return fmt.Errorf("set notification emails: %w", err)
	}
	for _, e := range emails {
		if _, err := tx.exec(ctx, `INSERT INTO webhook_notification_emails (owner_token_id, email) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, owner, e); err != nil {
			return fmt.Errorf("set notification emails: %w", err)
		}
	}
	return tx.Commit()
}

// UndeliveredFilter bounds the events FindUndelivered lists by their UNIX
// creation time; nil is open.
type UndeliveredFilter struct {
	CreatedAtMin, CreatedAtMax *int64
}

var eventList = listDef[*Event]{name: "events", from: "events e", columns: `e.id, e.scope, e.data, e.hash, e.created_at`,
	scan: func(s rowScanner, extra ...any) (*Event, error) {
		var (
			e    Event
			data string
			at   int64
		)
		if err := s.Scan(append([]any{&e.ID, &e.Scope, &data, &e.Hash, &at}, extra...)...); err != nil {
			return nil, err
		}
		e.Data, e.CreatedAt = json.RawMessage(data), time.Unix(at, 0).UTC()
		return &e, nil
	}}

// FindUndelivered returns one page of the events that the token's webhooks
// have not received: a delivery that failed at least once and is waiting
// for its retry, or that was given up; oldest first.
func (db *DB) FindUndelivered(ctx context.Context, owner int, f UndeliveredFilter, req PageRequest) (*Page[*Event], error) {
	var w where
	w.add(`e.id IN (SELECT d.event_id FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id
		WHERE h.owner_token_id = ? AND (d.status = 'dead' OR (d.status = 'pending' AND d.attempts > 0)))`, owner)
	if f.CreatedAtMin != nil {
		w.add(`e.created_at >= ?`, *f.CreatedAtMin)
	}
	if f.CreatedAtMax != nil {
		w.add(`e.created_at <= ?`, *f.CreatedAtMax)
	}
	return findPage(ctx, db, eventList, w, idOrder("e.id"), req)
}
