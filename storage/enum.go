package storage

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Enumerations keep the V3 spelling (`residential`, `date_created:desc`) in
// Go and SQL, so stored rows and exports speak the spec. GraphQL shows them
// upper case with `:` as `_` (`RESIDENTIAL`, `DATE_CREATED_DESC`), which
// gqlName and parseEnum translate at the boundary.

// gqlName returns the GraphQL name of a V3 enum value.
func gqlName[T ~string](v T) string {
	return strings.ToUpper(strings.ReplaceAll(string(v), ":", "_"))
}

// EnumName returns the GraphQL name of a V3 enum value, as MarshalGQL
// writes it (unquoted).
func EnumName[T ~string](v T) string { return gqlName(v) }

// writeEnum writes the GraphQL form of v.
func writeEnum[T ~string](w io.Writer, v T) {
	io.WriteString(w, strconv.Quote(gqlName(v)))
}

// parseEnum reads the GraphQL form of one of all.
func parseEnum[T ~string](v any, all []T, what string) (T, error) {
	s, ok := v.(string)
	if ok {
		for _, e := range all {
			if gqlName(e) == s {
				return e, nil
			}
		}
	}
	return "", Errorf(EINVALID, "%s is not a valid %s.", truncate(fmt.Sprint(v), 40), what)
}

// valid reports whether v is one of all (for values that come from files or
// storage rather than GraphQL).
func valid[T ~string](v T, all []T) bool { return slices.Contains(all, v) }

// CustomerAddressType is the kind of an address.
type CustomerAddressType string

// Address types (V3 `address_type`).
const (
	AddressResidential CustomerAddressType = "residential"
	AddressCommercial  CustomerAddressType = "commercial"
)

var addressTypes = []CustomerAddressType{AddressResidential, AddressCommercial}

// MarshalGQL implements graphql.Marshaler.
func (v CustomerAddressType) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *CustomerAddressType) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, addressTypes, "CustomerAddressType")
	return err
}

// CustomerAttributeType is the data type of a customer attribute.
type CustomerAttributeType string

// Attribute types (V3 attribute `type`).
const (
	AttributeString CustomerAttributeType = "string"
	AttributeNumber CustomerAttributeType = "number"
	AttributeDate   CustomerAttributeType = "date"
)

var attributeTypes = []CustomerAttributeType{AttributeString, AttributeNumber, AttributeDate}

// MarshalGQL implements graphql.Marshaler.
func (v CustomerAttributeType) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *CustomerAttributeType) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, attributeTypes, "CustomerAttributeType")
	return err
}

// CustomerFormFieldType is the input kind of a form field (V3 `field_type`).
type CustomerFormFieldType string

// Form field types.
const (
	FormFieldText         CustomerFormFieldType = "text"
	FormFieldMultiline    CustomerFormFieldType = "multiline"
	FormFieldPassword     CustomerFormFieldType = "password"
	FormFieldDate         CustomerFormFieldType = "date"
	FormFieldNumbers      CustomerFormFieldType = "numbers"
	FormFieldCheckboxes   CustomerFormFieldType = "checkboxes"
	FormFieldRadioButtons CustomerFormFieldType = "radiobuttons"
	FormFieldPicklist     CustomerFormFieldType = "picklist"
)

var formFieldTypes = []CustomerFormFieldType{FormFieldText, FormFieldMultiline, FormFieldPassword, FormFieldDate,
	FormFieldNumbers, FormFieldCheckboxes, FormFieldRadioButtons, FormFieldPicklist}

// MarshalGQL implements graphql.Marshaler.
func (v CustomerFormFieldType) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *CustomerFormFieldType) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, formFieldTypes, "CustomerFormFieldType")
	return err
}

// CustomerFormFieldScope says whether a form field belongs on customers or addresses.
type CustomerFormFieldScope string

// Form field scopes.
const (
	FormFieldOnCustomer CustomerFormFieldScope = "customer"
	FormFieldOnAddress  CustomerFormFieldScope = "address"
)

var formFieldScopes = []CustomerFormFieldScope{FormFieldOnCustomer, FormFieldOnAddress}

// MarshalGQL implements graphql.Marshaler.
func (v CustomerFormFieldScope) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *CustomerFormFieldScope) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, formFieldScopes, "CustomerFormFieldScope")
	return err
}

// ConsentCategory is a category of cookie consent.
type ConsentCategory string

// Consent categories (V3 consent).
const (
	ConsentEssential  ConsentCategory = "essential"
	ConsentFunctional ConsentCategory = "functional"
	ConsentAnalytics  ConsentCategory = "analytics"
	ConsentTargeting  ConsentCategory = "targeting"
)

var consentCategories = []ConsentCategory{ConsentEssential, ConsentFunctional, ConsentAnalytics, ConsentTargeting}

// MarshalGQL implements graphql.Marshaler.
func (v ConsentCategory) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *ConsentCategory) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, consentCategories, "ConsentCategory")
	return err
}

// CategoryAccessType says how much of the catalog a group sees.
type CategoryAccessType string

// Category access types (V2 `category_access.type`).
const (
	CategoryAccessAll      CategoryAccessType = "all"
	CategoryAccessSpecific CategoryAccessType = "specific"
	CategoryAccessNone     CategoryAccessType = "none"
)

var categoryAccessTypes = []CategoryAccessType{CategoryAccessAll, CategoryAccessSpecific, CategoryAccessNone}

// MarshalGQL implements graphql.Marshaler.
func (v CategoryAccessType) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *CategoryAccessType) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, categoryAccessTypes, "CategoryAccessType")
	return err
}

// DiscountRuleType says what a discount rule applies to.
type DiscountRuleType string

// Discount rule types (V2 `discount_rules[].type`).
const (
	DiscountPriceList DiscountRuleType = "price_list"
	DiscountAll       DiscountRuleType = "all"
	DiscountCategory  DiscountRuleType = "category"
	DiscountProduct   DiscountRuleType = "product"
)

var discountRuleTypes = []DiscountRuleType{DiscountPriceList, DiscountAll, DiscountCategory, DiscountProduct}

// MarshalGQL implements graphql.Marshaler.
func (v DiscountRuleType) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *DiscountRuleType) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, discountRuleTypes, "DiscountRuleType")
	return err
}

// DiscountMethod says how a discount rule changes a price.
type DiscountMethod string

// Discount methods (V2 `discount_rules[].method`).
const (
	DiscountPercent DiscountMethod = "percent"
	DiscountFixed   DiscountMethod = "fixed"
	DiscountPrice   DiscountMethod = "price"
)

var discountMethods = []DiscountMethod{DiscountPercent, DiscountFixed, DiscountPrice}

// MarshalGQL implements graphql.Marshaler.
func (v DiscountMethod) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *DiscountMethod) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, discountMethods, "DiscountMethod")
	return err
}

// CustomerSort is an order of the customer list (V3 `sort`, plus id).
type CustomerSort string

// Customer sorts.
const (
	SortIDAsc            CustomerSort = "id:asc"
	SortIDDesc           CustomerSort = "id:desc"
	SortDateCreatedAsc   CustomerSort = "date_created:asc"
	SortDateCreatedDesc  CustomerSort = "date_created:desc"
	SortDateModifiedAsc  CustomerSort = "date_modified:asc"
	SortDateModifiedDesc CustomerSort = "date_modified:desc"
	SortLastNameAsc      CustomerSort = "last_name:asc"
	SortLastNameDesc     CustomerSort = "last_name:desc"
)

var customerSorts = []CustomerSort{SortIDAsc, SortIDDesc, SortDateCreatedAsc, SortDateCreatedDesc,
	SortDateModifiedAsc, SortDateModifiedDesc, SortLastNameAsc, SortLastNameDesc}

// MarshalGQL implements graphql.Marshaler.
func (v CustomerSort) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *CustomerSort) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, customerSorts, "CustomerSort")
	return err
}

// ordering returns the SQL ordering of the sort; every order ends with the
// id, in the same direction (../API.md decision 5: ties break by id).
func (v CustomerSort) ordering() ordering {
	id := sortKey{col: "c.id"}
	switch v {
	case SortIDDesc:
		return ordering{name: string(v), keys: []sortKey{id}, desc: true}
	case SortDateCreatedAsc, SortDateCreatedDesc:
		return ordering{name: string(v), keys: []sortKey{{col: "c.date_created", text: true}, id}, desc: v == SortDateCreatedDesc}
	case SortDateModifiedAsc, SortDateModifiedDesc:
		return ordering{name: string(v), keys: []sortKey{{col: "c.date_modified", text: true}, id}, desc: v == SortDateModifiedDesc}
	case SortLastNameAsc, SortLastNameDesc:
		return ordering{name: string(v), keys: []sortKey{{col: "c.last_name", collate: " COLLATE NOCASE", text: true}, id}, desc: v == SortLastNameDesc}
	}
	return ordering{name: string(SortIDAsc), keys: []sortKey{id}}
}

// idOrder is the order of every list without a sort: id ascending.
func idOrder(col string) ordering {
	return ordering{name: "id:asc", keys: []sortKey{{col: col}}}
}

// SubscriberConsent is a newsletter a subscriber gets (V3 subscriber
// `consents`).
type SubscriberConsent string

// Subscriber consents.
const (
	ConsentMarketingNewsletter SubscriberConsent = "marketing_newsletter"
	ConsentAbandonedCart       SubscriberConsent = "abandoned_cart"
)

var subscriberConsents = []SubscriberConsent{ConsentMarketingNewsletter, ConsentAbandonedCart}

// MarshalGQL implements graphql.Marshaler.
func (v SubscriberConsent) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *SubscriberConsent) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, subscriberConsents, "SubscriberConsent")
	return err
}

// WebhookFormat is how a webhook's requests look (../API.md, Additions).
type WebhookFormat string

// Webhook formats.
const (
	// WebhookStandard: the envelope signed the Standard Webhooks way,
	// retried with back-off (the default through GraphQL).
	WebhookStandard WebhookFormat = "standard_webhooks"
	// WebhookBigCommerce: BigCommerce's own requests, authenticated by the
	// webhook's custom headers, on BigCommerce's retry schedule (the
	// default through REST /v3/hooks).
	WebhookBigCommerce WebhookFormat = "bigcommerce"
)

var webhookFormats = []WebhookFormat{WebhookStandard, WebhookBigCommerce}

// MarshalGQL implements graphql.Marshaler.
func (v WebhookFormat) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *WebhookFormat) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, webhookFormats, "WebhookFormat")
	return err
}
