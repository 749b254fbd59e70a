package storage

import (
	"context"
	"fmt"
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
