package wire

import "encoding/json"

// Customer is a V3 customer (customer_Full). The lists are present only
// when the request's include asked for them (an empty list then); Consent
// and Authentication.PasswordHash are import/export extensions that the
// REST API never writes.
type Customer struct {
	ID                                      int                 `json:"id"`
	Email                                   string              `json:"email"`
	FirstName                               string              `json:"first_name"`
	LastName                                string              `json:"last_name"`
	Company                                 string              `json:"company"`
	Phone                                   string              `json:"phone"`
	RegistrationIPAddress                   string              `json:"registration_ip_address"`
	Notes                                   string              `json:"notes"`
	TaxExemptCategory                       string              `json:"tax_exempt_category"`
	CustomerGroupID                         int                 `json:"customer_group_id"` // 0: no group
	DateCreated                             string              `json:"date_created"`
	DateModified                            string              `json:"date_modified"`
	AddressCount                            int                 `json:"address_count"`
	AttributeCount                          int                 `json:"attribute_count"`
	Authentication                          Authentication      `json:"authentication"`
	AcceptsProductReviewAbandonedCartEmails bool                `json:"accepts_product_review_abandoned_cart_emails"`
	ChannelIDs                              []int               `json:"channel_ids"` // null: every channel
	OriginChannelID                         int                 `json:"origin_channel_id,omitempty"`
	Addresses                               []Address           `json:"addresses,omitzero"`
	Attributes                              []AttributeValue    `json:"attributes,omitzero"`
	FormFields                              []FormFieldValue    `json:"form_fields,omitzero"`
	StoreCreditAmounts                      []StoreCreditAmount `json:"store_credit_amounts,omitzero"`
	Consent                                 *Consent            `json:"consent,omitempty"`
}

// Authentication is a customer's password state; PasswordHash is an
// export extension (argon2id in PHC form), written only on request.
type Authentication struct {
	ForcePasswordReset bool   `json:"force_password_reset"`
	PasswordHash       string `json:"password_hash,omitempty"`
}

// Address is a V3 address (address_Full); FormFields only with
// include=formfields.
type Address struct {
	ID              int              `json:"id"`
	CustomerID      int              `json:"customer_id"`
	FirstName       string           `json:"first_name"`
	LastName        string           `json:"last_name"`
	Company         string           `json:"company"`
	Address1        string           `json:"address1"`
	Address2        string           `json:"address2"`
	City            string           `json:"city"`
	StateOrProvince string           `json:"state_or_province"`
	PostalCode      string           `json:"postal_code"`
	Country         string           `json:"country"`
	CountryCode     string           `json:"country_code"`
	Phone           string           `json:"phone"`
	AddressType     string           `json:"address_type"`
	FormFields      []FormFieldValue `json:"form_fields,omitzero"`
}

// AttributeValue is a customer's attribute value as V3 returns it, in a
// customer and from GET /customers/attribute-values (`attribute_value`);
// Value, the name PUT uses, is read by import too.
type AttributeValue struct {
	ID             int     `json:"id"`
	CustomerID     int     `json:"customer_id"`
	AttributeID    int     `json:"attribute_id"`
	AttributeValue string  `json:"attribute_value"`
	Value          *string `json:"value,omitempty"`
	DateCreated    string  `json:"date_created"`
	DateModified   string  `json:"date_modified"`
}

// FormFieldValue is a form field value: embedded in a customer or address
// as {name, value}; listed with its owner's customer_id or address_id.
// Value is a string, a number or a list of strings.
type FormFieldValue struct {
	Name       string          `json:"name"`
	Value      json.RawMessage `json:"value"`
	CustomerID *int            `json:"customer_id,omitempty"`
	AddressID  *int            `json:"address_id,omitempty"`
}

// StoreCreditAmount is one store credit entry.
type StoreCreditAmount struct {
	Amount float64 `json:"amount"`
}

// Consent is a customer's cookie consent (consent_Full).
type Consent struct {
	Allow     []string `json:"allow"`
	Deny      []string `json:"deny"`
	UpdatedAt string   `json:"updated_at,omitempty"`
}

// CustomerPost is one item of POST /customers. CustomerGroupID absent puts
// the customer in the default group; 0 or null in none.
type CustomerPost struct {
	Email                                   string                  `json:"email"`
	FirstName                               string                  `json:"first_name"`
	LastName                                string                  `json:"last_name"`
	Company                                 string                  `json:"company,omitempty"`
	Phone                                   string                  `json:"phone,omitempty"`
	Notes                                   string                  `json:"notes,omitempty"`
	TaxExemptCategory                       string                  `json:"tax_exempt_category,omitempty"`
	CustomerGroupID                         Optional[*int]          `json:"customer_group_id,omitzero"`
	Addresses                               []AddressPost           `json:"addresses,omitempty"`
	Attributes                              []CustomerAttributePost `json:"attributes,omitempty"`
	Authentication                          *AuthenticationWrite    `json:"authentication,omitempty"`
	AcceptsProductReviewAbandonedCartEmails bool                    `json:"accepts_product_review_abandoned_cart_emails,omitempty"`
	StoreCreditAmounts                      []StoreCreditAmount     `json:"store_credit_amounts,omitempty"`
	OriginChannelID                         *int                    `json:"origin_channel_id,omitempty"`
	ChannelIDs                              []int                   `json:"channel_ids,omitempty"`
	FormFields                              []FormFieldValue        `json:"form_fields,omitempty"`
	TriggerAccountCreatedNotification       bool                    `json:"trigger_account_created_notification,omitempty"`
}

// CustomerAttributePost is an attribute value given with a new customer;
// the schema names the value attribute_value, some examples value.
type CustomerAttributePost struct {
	AttributeID    int     `json:"attribute_id"`
	AttributeValue string  `json:"attribute_value"`
	Value          *string `json:"value,omitempty"`
}

// AuthenticationWrite sets a customer's password state.
type AuthenticationWrite struct {
	ForcePasswordReset *bool   `json:"force_password_reset,omitempty"`
	NewPassword        *string `json:"new_password,omitempty"`
}

// CustomerPut is one item of PUT /customers: absent fields are left alone.
// The read-only fields a client may send back (registration_ip_address,
// dates, origin_channel_id) are not read.
type CustomerPut struct {
	ID                                      int                           `json:"id"`
	Email                                   *string                       `json:"email,omitempty"`
	FirstName                               *string                       `json:"first_name,omitempty"`
	LastName                                *string                       `json:"last_name,omitempty"`
	Company                                 *string                       `json:"company,omitempty"`
	Phone                                   *string                       `json:"phone,omitempty"`
	Notes                                   *string                       `json:"notes,omitempty"`
	TaxExemptCategory                       *string                       `json:"tax_exempt_category,omitempty"`
	CustomerGroupID                         Optional[*int]                `json:"customer_group_id,omitzero"`
	Authentication                          *AuthenticationWrite          `json:"authentication,omitempty"`
	AcceptsProductReviewAbandonedCartEmails *bool                         `json:"accepts_product_review_abandoned_cart_emails,omitempty"`
	StoreCreditAmounts                      Optional[[]StoreCreditAmount] `json:"store_credit_amounts,omitzero"`
	ChannelIDs                              Optional[[]int]               `json:"channel_ids,omitzero"`
	FormFields                              []FormFieldValue              `json:"form_fields,omitempty"`
}

// AddressPost is an address to create: an item of POST
// /customers/addresses (with CustomerID), or of a new customer's addresses
// (without).
type AddressPost struct {
	CustomerID      int              `json:"customer_id,omitempty"`
	FirstName       string           `json:"first_name"`
	LastName        string           `json:"last_name"`
	Company         string           `json:"company,omitempty"`
	Address1        string           `json:"address1"`
	Address2        string           `json:"address2,omitempty"`
	City            string           `json:"city"`
	StateOrProvince string           `json:"state_or_province,omitempty"`
	PostalCode      string           `json:"postal_code,omitempty"`
	CountryCode     string           `json:"country_code"`
	Phone           string           `json:"phone,omitempty"`
	AddressType     string           `json:"address_type,omitempty"`
	FormFields      []FormFieldValue `json:"form_fields,omitempty"`
}

// AddressPut is one item of PUT /customers/addresses: absent fields are
// left alone.
type AddressPut struct {
	ID              int              `json:"id"`
	FirstName       *string          `json:"first_name,omitempty"`
	LastName        *string          `json:"last_name,omitempty"`
	Company         *string          `json:"company,omitempty"`
	Address1        *string          `json:"address1,omitempty"`
	Address2        *string          `json:"address2,omitempty"`
	City            *string          `json:"city,omitempty"`
	StateOrProvince *string          `json:"state_or_province,omitempty"`
	PostalCode      *string          `json:"postal_code,omitempty"`
	CountryCode     *string          `json:"country_code,omitempty"`
	Phone           *string          `json:"phone,omitempty"`
	AddressType     *string          `json:"address_type,omitempty"`
	FormFields      []FormFieldValue `json:"form_fields,omitempty"`
}

// Attribute is a customer attribute definition.
type Attribute struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	DateCreated  string `json:"date_created"`
	DateModified string `json:"date_modified"`
}

// AttributePost is an attribute definition to create.
type AttributePost struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// AttributePut renames an attribute definition.
type AttributePut struct {
	ID   int     `json:"id"`
	Name *string `json:"name,omitempty"`
}

// AttributeValuePut is one item of PUT /customers/attribute-values (an
// upsert on customer and attribute).
type AttributeValuePut struct {
	ID          *int   `json:"id,omitempty"`
	AttributeID int    `json:"attribute_id"`
	Value       string `json:"value"`
	CustomerID  int    `json:"customer_id"`
}

// ConsentPut replaces a customer's consent.
type ConsentPut struct {
	Allow []string `json:"allow"`
	Deny  []string `json:"deny"`
}

// Settings are the store-wide customer settings (CustomerSettingsObject);
// a group id 0 means none.
type Settings struct {
	PrivacySettings       PrivacySettings       `json:"privacy_settings"`
	CustomerGroupSettings CustomerGroupSettings `json:"customer_group_settings"`
}

// PrivacySettings are the cookie consent settings.
type PrivacySettings struct {
	AskShopperForTrackingConsent bool   `json:"ask_shopper_for_tracking_consent"`
	PolicyURL                    string `json:"policy_url"`
}

// CustomerGroupSettings name the guest and default groups.
type CustomerGroupSettings struct {
	GuestCustomerGroupID   int `json:"guest_customer_group_id"`
	DefaultCustomerGroupID int `json:"default_customer_group_id"`
}

// SettingsPut changes the store-wide settings; absent fields are left
// alone, and a group id of 0 or null gives the role to no group.
type SettingsPut struct {
	PrivacySettings *struct {
		AskShopperForTrackingConsent *bool   `json:"ask_shopper_for_tracking_consent,omitempty"`
		PolicyURL                    *string `json:"policy_url,omitempty"`
	} `json:"privacy_settings,omitempty"`
	CustomerGroupSettings *struct {
		GuestCustomerGroupID   Optional[*int] `json:"guest_customer_group_id,omitzero"`
		DefaultCustomerGroupID Optional[*int] `json:"default_customer_group_id,omitzero"`
	} `json:"customer_group_settings,omitempty"`
}

// ChannelSettings are one channel's overrides (CustomerChannelSettingsObject);
// null means inherited from the store-wide settings.
type ChannelSettings struct {
	PrivacySettings struct {
		AskShopperForTrackingConsent *bool   `json:"ask_shopper_for_tracking_consent"`
		PolicyURL                    *string `json:"policy_url"`
	} `json:"privacy_settings"`
	CustomerGroupSettings struct {
		GuestCustomerGroupID   *int `json:"guest_customer_group_id"`
		DefaultCustomerGroupID *int `json:"default_customer_group_id"`
	} `json:"customer_group_settings"`
	AllowGlobalLogins *bool `json:"allow_global_logins"`
}

// ChannelSettingsPut changes one channel's overrides: an absent field is
// left alone, a null removes the override.
type ChannelSettingsPut struct {
	PrivacySettings *struct {
		AskShopperForTrackingConsent Optional[*bool]   `json:"ask_shopper_for_tracking_consent,omitzero"`
		PolicyURL                    Optional[*string] `json:"policy_url,omitzero"`
	} `json:"privacy_settings,omitempty"`
	CustomerGroupSettings *struct {
		GuestCustomerGroupID   Optional[*int] `json:"guest_customer_group_id,omitzero"`
		DefaultCustomerGroupID Optional[*int] `json:"default_customer_group_id,omitzero"`
	} `json:"customer_group_settings,omitempty"`
	AllowGlobalLogins Optional[*bool] `json:"allow_global_logins,omitzero"`
}

// CredentialsCheck is the body of POST /customers/validate-credentials;
// ChannelID defaults to 1.
type CredentialsCheck struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	ChannelID *int   `json:"channel_id,omitempty"`
}

// CredentialsResult answers a credentials check.
type CredentialsResult struct {
	IsValid    bool `json:"is_valid"`
	CustomerID *int `json:"customer_id"`
}

// Subscriber is a newsletter subscriber (subscriber_Full).
type Subscriber struct {
	ID           int      `json:"id"`
	Email        string   `json:"email"`
	FirstName    string   `json:"first_name"`
	LastName     string   `json:"last_name"`
	Source       string   `json:"source"`
	OrderID      *int     `json:"order_id"`
	ChannelID    int      `json:"channel_id"`
	Consents     []string `json:"consents"`
	DateCreated  string   `json:"date_created"`
	DateModified string   `json:"date_modified"`
}

// SubscriberWrite is the body of POST /customers/subscribers (email
// required) and PUT /customers/subscribers/{id} (absent fields left alone).
type SubscriberWrite struct {
	Email     *string        `json:"email,omitempty"`
	FirstName *string        `json:"first_name,omitempty"`
	LastName  *string        `json:"last_name,omitempty"`
	Source    *string        `json:"source,omitempty"`
	OrderID   Optional[*int] `json:"order_id,omitzero"`
	ChannelID *int           `json:"channel_id,omitempty"`
	Consents  []string       `json:"consents,omitempty"`
}

// Metafield is a customer metafield. ResourceType is always "customer" and
// ResourceID the customer's id; OwnerClientID names the API token that
// created it.
type Metafield struct {
	ID            int    `json:"id"`
	Key           string `json:"key"`
	Value         string `json:"value"`
	Namespace     string `json:"namespace"`
	PermissionSet string `json:"permission_set"`
	ResourceType  string `json:"resource_type"`
	ResourceID    int    `json:"resource_id"`
	Description   string `json:"description"`
	DateCreated   string `json:"date_created"`
	DateModified  string `json:"date_modified"`
	OwnerClientID string `json:"owner_client_id"`
}

// MetafieldWrite is the body of a metafield create (every field but
// Description required; ResourceID in the batch form) or update (ID in the
// batch form; absent fields left alone).
type MetafieldWrite struct {
	ID            int     `json:"id,omitempty"`
	ResourceID    int     `json:"resource_id,omitempty"`
	PermissionSet *string `json:"permission_set,omitempty"`
	Namespace     *string `json:"namespace,omitempty"`
	Key           *string `json:"key,omitempty"`
	Value         *string `json:"value,omitempty"`
	Description   *string `json:"description,omitempty"`
}

// MetafieldBatch answers a metafield write: the records written, the
// problems (left out when there are none), and the counts.
type MetafieldBatch[T any] struct {
	Data   []T        `json:"data"`
	Errors []Error    `json:"errors,omitzero"`
	Meta   BatchCount `json:"meta"`
}

// BatchCount counts a metafield batch's items.
type BatchCount struct {
	Total   int `json:"total"`
	Success int `json:"success"`
	Failed  int `json:"failed"`
}

// Webhook is a webhook registration (webhook_Full); dates are UNIX
// seconds and ClientID names the API token that registered it.
type Webhook struct {
	ID          int               `json:"id"`
	ClientID    string            `json:"client_id"`
	StoreHash   string            `json:"store_hash"`
	Scope       string            `json:"scope"`
	Destination string            `json:"destination"`
	IsActive    bool              `json:"is_active"`
	Headers     map[string]string `json:"headers"`
	CreatedAt   int64             `json:"created_at"`
	UpdatedAt   int64             `json:"updated_at"`
}

// WebhookWrite is the body of POST /hooks (scope and destination required)
// and PUT /hooks/{id} (absent fields left alone).
type WebhookWrite struct {
	Scope                *string           `json:"scope,omitempty"`
	Destination          *string           `json:"destination,omitempty"`
	IsActive             *bool             `json:"is_active,omitempty"`
	Headers              map[string]string `json:"headers,omitempty"`
	EventsHistoryEnabled *bool             `json:"events_history_enabled,omitempty"`
}

// WebhookCallback is the body of a webhook request in BigCommerce's format.
type WebhookCallback struct {
	Scope     string          `json:"scope"`
	StoreID   string          `json:"store_id"`
	Data      json.RawMessage `json:"data"`
	Hash      string          `json:"hash"`
	CreatedAt int64           `json:"created_at"`
	Producer  string          `json:"producer"`
}
