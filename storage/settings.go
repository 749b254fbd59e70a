package storage

import (
	"context"
	"fmt"
	"net/url"
)

// CustomerSettings are the store-wide customer settings
// (domain/customers-spec.md §3.10).
type CustomerSettings struct {
	PrivacySettings       PrivacySettings
	CustomerGroupSettings CustomerGroupSettings
}

// PrivacySettings are the cookie consent settings.
type PrivacySettings struct {
	AskShopperForTrackingConsent bool
	PolicyURL                    string
}

// CustomerGroupSettings name the guest group and the default group. They
// are the groups flagged is_group_for_guests and is_default, so V2's flags
// and V3's settings can never disagree.
type CustomerGroupSettings struct {
	GuestCustomerGroupID   *int
	DefaultCustomerGroupID *int
}

// ChannelCustomerSettings are one channel's overrides; nil means inherited
// from the store-wide value.
type ChannelCustomerSettings struct {
	ChannelID             int
	AllowGlobalLogins     *bool
	PrivacySettings       ChannelPrivacySettings
	CustomerGroupSettings ChannelCustomerGroupSettings
}

// ChannelPrivacySettings are a channel's cookie consent overrides.
type ChannelPrivacySettings struct {
	AskShopperForTrackingConsent *bool
	PolicyURL                    *string
}

// ChannelCustomerGroupSettings are a channel's group overrides.
type ChannelCustomerGroupSettings struct {
	GuestCustomerGroupID   *int
	DefaultCustomerGroupID *int
}

// FindSettings returns the store-wide customer settings.
func (db *DB) FindSettings(ctx context.Context) (*CustomerSettings, error) {
	s, err := queryOne(ctx, db, db.reader, "Settings not found.", func(sc rowScanner) (*CustomerSettings, error) {
		var s CustomerSettings
		return &s, sc.Scan(&s.PrivacySettings.AskShopperForTrackingConsent, &s.PrivacySettings.PolicyURL,
			&s.CustomerGroupSettings.GuestCustomerGroupID, &s.CustomerGroupSettings.DefaultCustomerGroupID)
	}, `SELECT s.ask_shopper_for_tracking_consent, s.policy_url,
		(SELECT id FROM customer_groups WHERE is_group_for_guests = 1),
		(SELECT id FROM customer_groups WHERE is_default = 1)
		FROM customer_settings s WHERE s.id = 1`)
	if err != nil {
		return nil, fmt.Errorf("find settings: %w", err)
	}
	return s, nil
}

// FindChannelSettings returns the overrides of the channel; a channel with
// none has every field nil. It returns EINVALID for a channel id below 1.
func (db *DB) FindChannelSettings(ctx context.Context, channelID int) (*ChannelCustomerSettings, error) {
	if channelID < 1 {
		return nil, FieldErrorf(EINVALID, "channelId", "channelId must be 1 or more.")
	}
	all, err := queryAll(ctx, db, db.reader, scanChannelSettings,
		`SELECT channel_id, allow_global_logins, ask_shopper_for_tracking_consent, policy_url,
		guest_customer_group_id, default_customer_group_id
		FROM channel_customer_settings WHERE channel_id = ?`, channelID)
	if err != nil {
		return nil, fmt.Errorf("find channel settings: %w", err)
	}
	if len(all) == 0 {
		return &ChannelCustomerSettings{ChannelID: channelID}, nil
	}
	return all[0], nil
}

func scanChannelSettings(sc rowScanner) (*ChannelCustomerSettings, error) {
	var s ChannelCustomerSettings
	return &s, sc.Scan(&s.ChannelID, &s.AllowGlobalLogins, &s.PrivacySettings.AskShopperForTrackingConsent,
		&s.PrivacySettings.PolicyURL, &s.CustomerGroupSettings.GuestCustomerGroupID,
		&s.CustomerGroupSettings.DefaultCustomerGroupID)
}

// SettingsUpdate changes the store-wide settings; nil fields and unset
// Optionals are left alone. The group ids move the guest and default roles
// between groups (null: no group has the role).
type SettingsUpdate struct {
	AskShopperForTrackingConsent *bool
	PolicyURL                    *string
	GuestCustomerGroupID         Optional[*int]
	DefaultCustomerGroupID       Optional[*int]
}

// ChannelSettingsUpdate changes one channel's overrides; an unset Optional
// is left alone and a null removes the override, so the store-wide value
// applies again (domain/customers-spec.md §3.10).
type ChannelSettingsUpdate struct {
	ChannelID                    int
	AllowGlobalLogins            Optional[*bool]
	AskShopperForTrackingConsent Optional[*bool]
	PolicyURL                    Optional[*string]
	GuestCustomerGroupID         Optional[*int]
	DefaultCustomerGroupID       Optional[*int]
}

// policyURL checks a privacy policy URL: empty, or an absolute http(s) URL.
func (ic *itemChecker) policyURL(field, v string) {
	ic.text(field, v, 0, 2048, false)
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		ic.fail(EINVALID, field, "Must be an absolute http or https URL.")
	}
}

// checkGroups reports group ids that do not exist as NOT_FOUND on field.
func (tx *Tx) checkGroups(ctx context.Context, ic *itemChecker, ids map[string]Optional[*int]) error {
	for field, id := range ids {
		if !id.Set || id.Value == nil {
			continue
		}
		found, err := tx.existing(ctx, "customer_groups", []int{*id.Value})
		if err != nil {
			return err
		}
		if !found[*id.Value] {
			ic.fail(ENOTFOUND, field, "There is no customer group %d.", *id.Value)
		}
	}
	return nil
}

// UpdateSettings changes the store-wide settings and returns them. It
// returns Errors: NOT_FOUND for an unknown group, INVALID for a bad URL.
func (db *DB) UpdateSettings(ctx context.Context, u SettingsUpdate) (*CustomerSettings, error) {
	var c checker
	ic := c.root("input")
	if u.PolicyURL != nil {
		ic.policyURL("privacySettings.policyUrl", *u.PolicyURL)
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.checkGroups(ctx, ic, map[string]Optional[*int]{
		"customerGroupSettings.guestCustomerGroupId":   u.GuestCustomerGroupID,
		"customerGroupSettings.defaultCustomerGroupId": u.DefaultCustomerGroupID,
	}); err != nil {
		return nil, err
	}
	if c.err() != nil {
		return nil, c.err()
	}
	if u.AskShopperForTrackingConsent != nil {
		if _, err := tx.exec(ctx, `UPDATE customer_settings SET ask_shopper_for_tracking_consent = ? WHERE id = 1`, *u.AskShopperForTrackingConsent); err != nil {
			return nil, fmt.Errorf("update settings: %w", err)
		}
	}
	if u.PolicyURL != nil {
		if _, err := tx.exec(ctx, `UPDATE customer_settings SET policy_url = ? WHERE id = 1`, *u.PolicyURL); err != nil {
			return nil, fmt.Errorf("update settings: %w", err)
		}
	}
	for _, role := range []struct {
		col string
		id  Optional[*int]
	}{{"is_group_for_guests", u.GuestCustomerGroupID}, {"is_default", u.DefaultCustomerGroupID}} {
		if !role.id.Set {
			continue
		}
		// The group flags are the settings: clear the role, then give it.
		if _, err := tx.exec(ctx, `UPDATE customer_groups SET `+role.col+` = 0, date_modified = ? WHERE `+role.col+` = 1`, formatTime(tx.now)); err != nil {
			return nil, fmt.Errorf("update settings: %w", err)
		}
		if role.id.Value != nil {
			if _, err := tx.exec(ctx, `UPDATE customer_groups SET `+role.col+` = 1, date_modified = ? WHERE id = ?`, formatTime(tx.now), *role.id.Value); err != nil {
				return nil, fmt.Errorf("update settings: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return db.FindSettings(ctx)
}

// UpdateChannelSettings changes one channel's overrides and returns them.
// It returns Errors: INVALID for a channel id below 1 or a bad URL,
// NOT_FOUND for an unknown group.
func (db *DB) UpdateChannelSettings(ctx context.Context, u ChannelSettingsUpdate) (*ChannelCustomerSettings, error) {
	var c checker
	ic := c.root("input")
	ic.positive("channelId", u.ChannelID)
	if u.PolicyURL.Set && u.PolicyURL.Value != nil {
		ic.policyURL("privacySettings.policyUrl", *u.PolicyURL.Value)
	}
	if c.err() != nil {
		return nil, c.err()
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.checkGroups(ctx, ic, map[string]Optional[*int]{
		"customerGroupSettings.guestCustomerGroupId":   u.GuestCustomerGroupID,
		"customerGroupSettings.defaultCustomerGroupId": u.DefaultCustomerGroupID,
	}); err != nil {
		return nil, err
	}
	if c.err() != nil {
		return nil, c.err()
	}
	if _, err := tx.exec(ctx, `INSERT INTO channel_customer_settings (channel_id) VALUES (?) ON CONFLICT DO NOTHING`, u.ChannelID); err != nil {
		return nil, fmt.Errorf("update channel settings: %w", err)
	}
	for _, set := range []struct {
		col string
		set bool
		v   any
	}{
		{"allow_global_logins", u.AllowGlobalLogins.Set, u.AllowGlobalLogins.Value},
		{"ask_shopper_for_tracking_consent", u.AskShopperForTrackingConsent.Set, u.AskShopperForTrackingConsent.Value},
		{"policy_url", u.PolicyURL.Set, u.PolicyURL.Value},
		{"guest_customer_group_id", u.GuestCustomerGroupID.Set, u.GuestCustomerGroupID.Value},
		{"default_customer_group_id", u.DefaultCustomerGroupID.Set, u.DefaultCustomerGroupID.Value},
	} {
		if !set.set {
			continue
		}
		if _, err := tx.exec(ctx, `UPDATE channel_customer_settings SET `+set.col+` = ? WHERE channel_id = ?`, set.v, u.ChannelID); err != nil {
			return nil, fmt.Errorf("update channel settings: %w", err)
		}
	}
	// A channel whose every override is gone keeps no row.
	if _, err := tx.exec(ctx, `DELETE FROM channel_customer_settings WHERE channel_id = ? AND allow_global_logins IS NULL
		AND ask_shopper_for_tracking_consent IS NULL AND policy_url IS NULL AND guest_customer_group_id IS NULL
		AND default_customer_group_id IS NULL`, u.ChannelID); err != nil {
		return nil, fmt.Errorf("update channel settings: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return db.FindChannelSettings(ctx, u.ChannelID)
}
