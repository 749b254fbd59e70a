package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
)

// CredentialCheck is the outcome of checking an email and password.
type CredentialCheck struct {
	// Valid is true when the password matches and the customer may sign in
	// on the channel.
	Valid bool
	// CustomerID is the customer's id when Valid, else 0.
	CustomerID int
	// ForcePasswordReset tells a valid customer must choose a new password.
	ForcePasswordReset bool
	// CredentialsVersion changes whenever the password does; sessions
	// issued under an older one are over.
	CredentialsVersion int
}

// CheckCredentials checks an email and password for sign-in on a channel
// (V3 POST /customers/validate-credentials). A customer without a password
// never matches (../API.md decision 14). A customer with channel access
// limited to a list may sign in only on those channels; one with global
// access on any channel that allows global logins (decision 15). The check
// costs the same whether or not the email exists. A channel id below 1 is
// EINVALID on channelId: no customer may sign in on it.
func (db *DB) CheckCredentials(ctx context.Context, email, password string, channelID int) (*CredentialCheck, error) {
	if channelID < 1 {
		return nil, FieldErrorf(EINVALID, "channelId", "channelId must be 1 or more.")
	}
	type row struct {
		id, version int
		hash        sql.NullString
		force       bool
		channels    sql.NullString
		global      bool
	}
	rows, err := queryAll(ctx, db, db.reader, func(s rowScanner) (row, error) {
		var r row
		return r, s.Scan(&r.id, &r.hash, &r.force, &r.channels, &r.version, &r.global)
	}, `SELECT c.id, c.password_hash, c.force_password_reset, c.channel_ids, c.credentials_version,
		COALESCE((SELECT allow_global_logins FROM channel_customer_settings WHERE channel_id = ?), 1)
		FROM customers c WHERE c.email_fold = ?`, channelID, Fold(email))
	if err != nil {
		return nil, fmt.Errorf("check credentials: %w", err)
	}
	var r row
	if len(rows) > 0 {
		r = rows[0]
	}
	match := CheckPassword(r.hash.String, password) // the dummy hash when there is none
	if len(rows) == 0 || !r.hash.Valid || !match {
		return &CredentialCheck{}, nil
	}
	allowed := r.global
	if r.channels.Valid {
		var ids []int
		if err := json.Unmarshal([]byte(r.channels.String), &ids); err != nil {
			return nil, fmt.Errorf("check credentials: %w", err)
		}
		allowed = slices.Contains(ids, channelID)
	}
	if !allowed {
		return &CredentialCheck{}, nil
	}
	return &CredentialCheck{Valid: true, CustomerID: r.id, ForcePasswordReset: r.force, CredentialsVersion: r.version}, nil
}

// CheckPasswordOf reports whether password is the customer's (V2 POST
// /customers/{id}/validate). It returns ENOTFOUND for an unknown customer.
func (db *DB) CheckPasswordOf(ctx context.Context, customerID int, password string) (bool, error) {
	hashes, err := queryAll(ctx, db, db.reader, func(s rowScanner) (sql.NullString, error) {
		var h sql.NullString
		return h, s.Scan(&h)
	}, `SELECT password_hash FROM customers WHERE id = ?`, customerID)
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	if len(hashes) == 0 {
		CheckPassword("", password) // same cost as a known customer
		return false, Errorf(ENOTFOUND, "Customer not found.")
	}
	return CheckPassword(hashes[0].String, password) && hashes[0].Valid, nil
}
