package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// Helpers of the write tests (write_customer_test.go, write_other_test.go):
// a server per subtest, mutations whose payloads are checked for
// userErrors, and follow-up queries that read the stored state back.

// writeEnv is a test server over its own store, bound to one (sub)test.
type writeEnv struct {
	t  *testing.T
	s  *testServer
	db *storage.DB
}

// newWriteEnv starts a server over a new store for t.
func newWriteEnv(t *testing.T) *writeEnv {
	t.Helper()
	s := newTestServer(t)
	return &writeEnv{t: t, s: s, db: s.db}
}

// nowText is storagetest.Now as the API writes dates.
var nowText = storagetest.Now.Format(time.RFC3339)

// later moves the store's clock by d past storagetest.Now and returns the
// new time as the API writes it.
func (e *writeEnv) later(d time.Duration) string {
	at := storagetest.Now.Add(d)
	storagetest.SetNow(e.db, at)
	return at.Format(time.RFC3339)
}

// payload runs a mutation of one root field that must not fail at the
// GraphQL level, and returns that field's payload, field by field.
func (e *writeEnv) payload(query string, vars map[string]any) map[string]json.RawMessage {
	e.t.Helper()
	var data map[string]json.RawMessage
	e.s.mustQuery(query, vars, &data)
	if len(data) != 1 {
		e.t.Fatalf("data has %d root fields, want 1: %s", len(data), showPayload(data))
	}
	var p map[string]json.RawMessage
	for _, raw := range data {
		if err := json.Unmarshal(raw, &p); err != nil {
			e.t.Fatalf("decode payload %s: %v", raw, err)
		}
	}
	return p
}

// mustWrite runs a mutation that must succeed with no userErrors, and
// decodes the payload's field (e.g. "customers") into out when out is not
// nil.
func (e *writeEnv) mustWrite(query string, vars map[string]any, field string, out any) {
	e.t.Helper()
	p := e.payload(query, vars)
	if errs := decodeUserErrors(e.t, p); len(errs) > 0 {
		e.t.Fatalf("userErrors=%+v, want none", errs)
	}
	if out == nil {
		return
	}
	raw, ok := p[field]
	if !ok {
		e.t.Fatalf("payload has no field %q: %s", field, showPayload(p))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatalf("decode %s %s: %v", field, raw, err)
	}
}

// mustReject runs a mutation that must be refused with userErrors, and
// checks that the payload's field (a list, or a single record) is empty.
func (e *writeEnv) mustReject(query string, vars map[string]any, field string) []userError {
	e.t.Helper()
	p := e.payload(query, vars)
	errs := decodeUserErrors(e.t, p)
	if len(errs) == 0 {
		e.t.Fatalf("userErrors=[], want some (payload %s)", showPayload(p))
	}
	if got := string(p[field]); got != "[]" && got != "null" {
		e.t.Fatalf("%s=%s, want nothing when there are userErrors", field, got)
	}
	return errs
}

// showPayload shows a decoded payload as JSON.
func showPayload(p map[string]json.RawMessage) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// decodeUserErrors returns a payload's userErrors.
func decodeUserErrors(t *testing.T, p map[string]json.RawMessage) []userError {
	t.Helper()
	raw, ok := p["userErrors"]
	if !ok {
		t.Fatalf("payload has no userErrors: %s", showPayload(p))
	}
	var errs []userError
	if err := json.Unmarshal(raw, &errs); err != nil {
		t.Fatalf("decode userErrors %s: %v", raw, err)
	}
	return errs
}

// wantOneUserError fails unless errs is exactly one error of the code at
// the path (dot-joined) with the index (-1: null).
func wantOneUserError(t *testing.T, errs []userError, code, path string, index int) {
	t.Helper()
	if len(errs) != 1 {
		t.Fatalf("userErrors=%+v, want one %s at %s", errs, code, path)
	}
	wantUserError(t, errs, code, path, index)
}

// wantUserError fails unless errs holds an error of the code at the path
// with the index (-1: null).
func wantUserError(t *testing.T, errs []userError, code, path string, index int) {
	t.Helper()
	for _, e := range errs {
		if e.Code == code && e.path() == path && indexOf(e) == index {
			if e.Message == "" {
				t.Fatalf("userError %+v has no message", e)
			}
			return
		}
	}
	t.Fatalf("userErrors=%s, want %s at %s index %d", showUserErrors(errs), code, path, index)
}

func indexOf(e userError) int {
	if e.Index == nil {
		return -1
	}
	return *e.Index
}

func showUserErrors(errs []userError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = fmt.Sprintf("{%s %s index %d: %s}", e.Code, e.path(), indexOf(e), e.Message)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// mustFailValidation runs a request that GraphQL validation must refuse.
func (e *writeEnv) mustFailValidation(query string, vars map[string]any) {
	e.t.Helper()
	e.s.mustFail(query, vars, "GRAPHQL_VALIDATION_FAILED")
}

// total returns pagination.total of a root list field, e.g.
// total("customers", nil).
func (e *writeEnv) total(list string, filter map[string]any) int {
	e.t.Helper()
	var data map[string]struct {
		Pagination struct{ Total int }
	}
	e.s.mustQuery(fmt.Sprintf(`query($f: %s) { %s(filter: $f) { pagination { total } } }`, filterTypes[list], list),
		map[string]any{"f": filter}, &data)
	return data[list].Pagination.Total
}

// filterTypes names the filter input of every root list.
var filterTypes = map[string]string{
	"customers":               "CustomerFilter",
	"customerAddresses":       "CustomerAddressFilter",
	"customerAttributes":      "CustomerAttributeFilter",
	"customerAttributeValues": "CustomerAttributeValueFilter",
	"customerFormFields":      "CustomerFormFieldFilter",
	"customerFormFieldValues": "CustomerFormFieldValueFilter",
	"customerGroups":          "CustomerGroupFilter",
	"subscribers":             "SubscriberFilter",
}

// events returns every event of the outbox.
func (e *writeEnv) events() []*storage.Event {
	e.t.Helper()
	evs, err := e.db.FindEventsAfter(context.Background(), 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// eventsSince returns the events recorded after the first n.
func (e *writeEnv) eventsSince(n int) []*storage.Event {
	e.t.Helper()
	return e.events()[n:]
}

// eventLines shows events as "scope data" lines.
func eventLines(evs []*storage.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Scope + " " + string(ev.Data)
	}
	return out
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{40}$`)

// wantEvents fails unless evs are exactly the "scope data" lines, each with
// a 40-hex hash and created at the store's time at.
func wantEvents(t *testing.T, evs []*storage.Event, at time.Time, want ...string) {
	t.Helper()
	if got := eventLines(evs); !slices.Equal(got, want) {
		t.Fatalf("events=\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, ev := range evs {
		if !hexHash.MatchString(ev.Hash) {
			t.Fatalf("event %d hash=%q, want 40 hex characters", ev.ID, ev.Hash)
		}
		if got, want := ev.CreatedAt, at.UTC(); !got.Equal(want) {
			t.Fatalf("event %d createdAt=%v, want %v", ev.ID, got, want)
		}
	}
}

func customerEventLine(scope string, id int) string {
	return fmt.Sprintf(`store/customer/%s {"type":"customer","id":%d}`, scope, id)
}

func addressEventLine(scope string, id, customerID int) string {
	return fmt.Sprintf(`store/customer/address/%s {"type":"customer","id":%d,"address":{"customer_id":%d}}`, scope, id, customerID)
}

func subscriberEventLine(scope string, id int) string {
	return fmt.Sprintf(`store/subscriber/%s {"type":"subscriber","id":%d}`, scope, id)
}

// Mutations, each selecting what the tests read back.
const (
	userErrorFields = `userErrors { code message field index }`

	mutCreateCustomers = `mutation($in: [CustomerCreateInput!]!) {
		createCustomers(input: $in) { customers { ` + customerFields + ` } ` + userErrorFields + ` } }`
	mutUpdateCustomers = `mutation($in: [CustomerUpdateInput!]!) {
		updateCustomers(input: $in) { customers { ` + customerFields + ` } ` + userErrorFields + ` } }`
	mutDeleteCustomers = `mutation($ids: [Int!]!) {
		deleteCustomers(idIn: $ids) { deletedIds ` + userErrorFields + ` } }`

	mutCreateAddresses = `mutation($in: [CustomerAddressCreateInput!]!) {
		createCustomerAddresses(input: $in) { addresses { ` + addressFields + ` } ` + userErrorFields + ` } }`
	mutUpdateAddresses = `mutation($in: [CustomerAddressUpdateInput!]!) {
		updateCustomerAddresses(input: $in) { addresses { ` + addressFields + ` } ` + userErrorFields + ` } }`
	mutDeleteAddresses = `mutation($ids: [Int!]!) {
		deleteCustomerAddresses(idIn: $ids) { deletedIds ` + userErrorFields + ` } }`

	mutCreateAttributes = `mutation($in: [CustomerAttributeCreateInput!]!) {
		createCustomerAttributes(input: $in) { attributes { ` + attributeFields + ` } ` + userErrorFields + ` } }`
	mutUpdateAttributes = `mutation($in: [CustomerAttributeUpdateInput!]!) {
		updateCustomerAttributes(input: $in) { attributes { ` + attributeFields + ` } ` + userErrorFields + ` } }`
	mutDeleteAttributes = `mutation($ids: [Int!]!) {
		deleteCustomerAttributes(idIn: $ids) { deletedIds ` + userErrorFields + ` } }`

	mutUpsertAttributeValues = `mutation($in: [CustomerAttributeValueUpsertInput!]!) {
		upsertCustomerAttributeValues(input: $in) { attributeValues { ` + attributeValueFields + ` } ` + userErrorFields + ` } }`
	mutDeleteAttributeValues = `mutation($ids: [Int!]!) {
		deleteCustomerAttributeValues(idIn: $ids) { deletedIds ` + userErrorFields + ` } }`

	mutCreateFormFields = `mutation($in: [CustomerFormFieldCreateInput!]!) {
		createCustomerFormFields(input: $in) { formFields { id name label type appliesTo options } ` + userErrorFields + ` } }`
	mutUpdateFormFields = `mutation($in: [CustomerFormFieldUpdateInput!]!) {
		updateCustomerFormFields(input: $in) { formFields { id name label type appliesTo options } ` + userErrorFields + ` } }`
	mutDeleteFormFields = `mutation($ids: [Int!]!) {
		deleteCustomerFormFields(idIn: $ids) { deletedIds ` + userErrorFields + ` } }`
	mutUpsertFormFieldValues = `mutation($in: [CustomerFormFieldValueUpsertInput!]!) {
		upsertCustomerFormFieldValues(input: $in) { formFieldValues { ` + formFieldValueFields + ` } ` + userErrorFields + ` } }`

	mutUpdateConsent = `mutation($in: CustomerConsentInput!) {
		updateCustomerConsent(input: $in) { consent { customerId allow deny updatedAt } ` + userErrorFields + ` } }`

	mutCreateGroup = `mutation($in: CustomerGroupCreateInput!) {
		createCustomerGroup(input: $in) { customerGroup { ` + groupFields + ` } ` + userErrorFields + ` } }`
	mutUpdateGroup = `mutation($in: CustomerGroupUpdateInput!) {
		updateCustomerGroup(input: $in) { customerGroup { ` + groupFields + ` } ` + userErrorFields + ` } }`
	mutDeleteGroups = `mutation($ids: [Int!]!) {
		deleteCustomerGroups(idIn: $ids) { deletedIds ` + userErrorFields + ` } }`

	mutCreateSubscriber = `mutation($in: SubscriberCreateInput!) {
		createSubscriber(input: $in) { subscriber { ` + subscriberFields + ` } ` + userErrorFields + ` } }`
	mutUpdateSubscriber = `mutation($in: SubscriberUpdateInput!) {
		updateSubscriber(input: $in) { subscriber { ` + subscriberFields + ` } ` + userErrorFields + ` } }`

	mutUpdateChannelSettings = `mutation($in: ChannelCustomerSettingsInput!) {
		updateChannelCustomerSettings(input: $in) { settings { ` + channelSettingsFields + ` } ` + userErrorFields + ` } }`

	mutValidateCredentials = `mutation($email: String!, $password: String!, $channel: Int) {
		validateCustomerCredentials(email: $email, password: $password, channelId: $channel) { isValid customerId ` + userErrorFields + ` } }`
	mutValidateCredentialsNoChannel = `mutation($email: String!, $password: String!) {
		validateCustomerCredentials(email: $email, password: $password) { isValid customerId ` + userErrorFields + ` } }`
	mutValidatePassword = `mutation($id: Int!, $password: String!) {
		validateCustomerPassword(customerId: $id, password: $password) { success ` + userErrorFields + ` } }`
)

// Selections and the records they decode into.
const (
	customerFields = `id email firstName lastName company phone notes taxExemptCategory registrationIpAddress
		customerGroupId acceptsProductReviewAbandonedCartEmails originChannelId channelIds dateCreated dateModified
		addressCount attributeCount authentication { forcePasswordReset }
		addresses { ` + addressFields + ` } attributes { ` + attributeValueFields + ` }
		formFields { ` + formFieldValueFields + ` } storeCredit { amount }
		consent { customerId allow deny updatedAt }`
	addressFields = `id customerId firstName lastName company address1 address2 city stateOrProvince postalCode
		countryCode country phone addressType formFields { ` + formFieldValueFields + ` }`
	attributeFields      = `id name type dateCreated dateModified`
	attributeValueFields = `id customerId attributeId value dateCreated dateModified`
	formFieldValueFields = `name value customerId addressId`
	groupFields          = `id name isDefault isGroupForGuests categoryAccess { type categories }
		discountRules { type method amount priceListId categoryId productId } dateCreated dateModified`
	subscriberFields      = `id email firstName lastName source orderId channelId dateCreated dateModified`
	channelSettingsFields = `channelId allowGlobalLogins privacySettings { askShopperForTrackingConsent policyUrl }
		customerGroupSettings { guestCustomerGroupId defaultCustomerGroupId }`
)

type savedCustomer struct {
	ID                                      int
	Email                                   string
	FirstName                               string
	LastName                                string
	Company                                 string
	Phone                                   string
	Notes                                   string
	TaxExemptCategory                       string
	RegistrationIPAddress                   string `json:"registrationIpAddress"`
	CustomerGroupID                         *int   `json:"customerGroupId"`
	AcceptsProductReviewAbandonedCartEmails bool
	OriginChannelID                         int   `json:"originChannelId"`
	ChannelIDs                              []int `json:"channelIds"`
	DateCreated                             string
	DateModified                            string
	AddressCount                            int
	AttributeCount                          int
	Authentication                          struct{ ForcePasswordReset bool }
	Addresses                               []savedAddress
	Attributes                              []savedAttributeValue
	FormFields                              []savedFormFieldValue
	StoreCredit                             []struct{ Amount float64 }
	Consent                                 savedConsent
}

type savedAddress struct {
	ID              int
	CustomerID      int `json:"customerId"`
	FirstName       string
	LastName        string
	Company         string
	Address1        string
	Address2        string
	City            string
	StateOrProvince string
	PostalCode      string
	CountryCode     string
	Country         string
	Phone           string
	AddressType     string
	FormFields      []savedFormFieldValue
}

type savedAttribute struct {
	ID           int
	Name         string
	Type         string
	DateCreated  string
	DateModified string
}

type savedAttributeValue struct {
	ID           int
	CustomerID   int `json:"customerId"`
	AttributeID  int `json:"attributeId"`
	Value        string
	DateCreated  string
	DateModified string
}

type savedFormFieldValue struct {
	Name       string
	Value      json.RawMessage
	CustomerID *int `json:"customerId"`
	AddressID  *int `json:"addressId"`
}

type savedConsent struct {
	CustomerID int `json:"customerId"`
	Allow      []string
	Deny       []string
	UpdatedAt  *string
}

type savedGroup struct {
	ID               int
	Name             string
	IsDefault        bool
	IsGroupForGuests bool
	CategoryAccess   struct {
		Type       string
		Categories []int
	}
	DiscountRules []savedDiscountRule
	DateCreated   string
	DateModified  string
}

type savedDiscountRule struct {
	Type        string
	Method      *string
	Amount      *float64
	PriceListID *int `json:"priceListId"`
	CategoryID  *int `json:"categoryId"`
	ProductID   *int `json:"productId"`
}

type savedSubscriber struct {
	ID           int
	Email        string
	FirstName    string
	LastName     string
	Source       string
	OrderID      *int `json:"orderId"`
	ChannelID    int  `json:"channelId"`
	DateCreated  string
	DateModified string
}

type savedChannelSettings struct {
	ChannelID         int   `json:"channelId"`
	AllowGlobalLogins *bool `json:"allowGlobalLogins"`
	PrivacySettings   struct {
		AskShopperForTrackingConsent *bool
		PolicyURL                    *string `json:"policyUrl"`
	}
	CustomerGroupSettings struct {
		GuestCustomerGroupID   *int `json:"guestCustomerGroupId"`
		DefaultCustomerGroupID *int `json:"defaultCustomerGroupId"`
	}
}

// Follow-up queries: the stored state, read back through the API.

// customer returns the stored customer, or nil when there is none.
func (e *writeEnv) customer(id int) *savedCustomer {
	e.t.Helper()
	var data struct{ Customer *savedCustomer }
	e.s.mustQuery(`query($id: Int!) { customer(id: $id) { `+customerFields+` } }`, map[string]any{"id": id}, &data)
	return data.Customer
}

// mustCustomer returns the stored customer, which must exist.
func (e *writeEnv) mustCustomer(id int) savedCustomer {
	e.t.Helper()
	c := e.customer(id)
	if c == nil {
		e.t.Fatalf("customer %d not found", id)
	}
	return *c
}

// customers returns the stored customers that match the filter.
func (e *writeEnv) customers(filter map[string]any) []savedCustomer {
	e.t.Helper()
	var data struct {
		Customers struct{ Nodes []savedCustomer }
	}
	e.s.mustQuery(`query($f: CustomerFilter) { customers(filter: $f, limit: 100) { nodes { `+customerFields+` } } }`,
		map[string]any{"f": filter}, &data)
	return data.Customers.Nodes
}

// addresses returns the stored addresses that match the filter.
func (e *writeEnv) addresses(filter map[string]any) []savedAddress {
	e.t.Helper()
	var data struct {
		CustomerAddresses struct{ Nodes []savedAddress }
	}
	e.s.mustQuery(`query($f: CustomerAddressFilter) { customerAddresses(filter: $f, limit: 250) { nodes { `+addressFields+` } } }`,
		map[string]any{"f": filter}, &data)
	return data.CustomerAddresses.Nodes
}

// attributes returns the stored attribute definitions that match the filter.
func (e *writeEnv) attributes(filter map[string]any) []savedAttribute {
	e.t.Helper()
	var data struct {
		CustomerAttributes struct{ Nodes []savedAttribute }
	}
	e.s.mustQuery(`query($f: CustomerAttributeFilter) { customerAttributes(filter: $f, limit: 250) { nodes { `+attributeFields+` } } }`,
		map[string]any{"f": filter}, &data)
	return data.CustomerAttributes.Nodes
}

// attributeValues returns the stored attribute values that match the filter.
func (e *writeEnv) attributeValues(filter map[string]any) []savedAttributeValue {
	e.t.Helper()
	var data struct {
		CustomerAttributeValues struct{ Nodes []savedAttributeValue }
	}
	e.s.mustQuery(`query($f: CustomerAttributeValueFilter) { customerAttributeValues(filter: $f, limit: 250) { nodes { `+
		attributeValueFields+` } } }`, map[string]any{"f": filter}, &data)
	return data.CustomerAttributeValues.Nodes
}

// formFieldValues returns the stored form field values that match the filter.
func (e *writeEnv) formFieldValues(filter map[string]any) []savedFormFieldValue {
	e.t.Helper()
	var data struct {
		CustomerFormFieldValues struct{ Nodes []savedFormFieldValue }
	}
	e.s.mustQuery(`query($f: CustomerFormFieldValueFilter) { customerFormFieldValues(filter: $f, limit: 250) { nodes { `+
		formFieldValueFields+` } } }`, map[string]any{"f": filter}, &data)
	return data.CustomerFormFieldValues.Nodes
}

// group returns the stored customer group, or nil when there is none.
func (e *writeEnv) group(id int) *savedGroup {
	e.t.Helper()
	var data struct{ CustomerGroup *savedGroup }
	e.s.mustQuery(`query($id: Int!) { customerGroup(id: $id) { `+groupFields+` } }`, map[string]any{"id": id}, &data)
	return data.CustomerGroup
}

// groups returns the stored customer groups that match the filter.
func (e *writeEnv) groups(filter map[string]any) []savedGroup {
	e.t.Helper()
	var data struct{ CustomerGroups struct{ Nodes []savedGroup } }
	e.s.mustQuery(`query($f: CustomerGroupFilter) { customerGroups(filter: $f, limit: 250) { nodes { `+groupFields+` } } }`,
		map[string]any{"f": filter}, &data)
	return data.CustomerGroups.Nodes
}

// subscribers returns the stored subscribers that match the filter.
func (e *writeEnv) subscribers(filter map[string]any) []savedSubscriber {
	e.t.Helper()
	var data struct {
		Subscribers struct{ Nodes []savedSubscriber }
	}
	e.s.mustQuery(`query($f: SubscriberFilter) { subscribers(filter: $f, limit: 250) { nodes { `+subscriberFields+` } } }`,
		map[string]any{"f": filter}, &data)
	return data.Subscribers.Nodes
}

// channelSettings returns a channel's stored overrides.
func (e *writeEnv) channelSettings(channelID int) savedChannelSettings {
	e.t.Helper()
	var data struct{ ChannelCustomerSettings savedChannelSettings }
	e.s.mustQuery(`query($c: Int!) { channelCustomerSettings(channelId: $c) { `+channelSettingsFields+` } }`,
		map[string]any{"c": channelID}, &data)
	return data.ChannelCustomerSettings
}

// Inputs.

// customerIn is a valid customer input with the email; kv pairs add or
// replace fields.
func customerIn(email string, kv ...any) map[string]any {
	return withFields(map[string]any{"email": email, "firstName": "Ada", "lastName": "Lovelace"}, kv...)
}

// addressIn is a valid US address input; kv pairs add or replace fields,
// and a nil value removes one.
func addressIn(kv ...any) map[string]any {
	return withFields(map[string]any{"firstName": "Ada", "lastName": "Lovelace", "address1": "1 Main St", "city": "Austin",
		"stateOrProvince": "Texas", "postalCode": "78701", "countryCode": "US"}, kv...)
}

// withFields sets the key-value pairs on m (a nil value deletes the key) and
// returns m.
func withFields(m map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(m, k)
			continue
		}
		m[k] = kv[i+1]
	}
	return m
}

// batch wraps inputs as a GraphQL list variable.
func batch(items ...map[string]any) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// inVars is the variables of a mutation taking $in.
func inVars(v any) map[string]any { return map[string]any{"in": v} }

// idVars is the variables of a delete taking $ids.
func idVars(ids ...int) map[string]any {
	if ids == nil {
		ids = []int{}
	}
	return map[string]any{"ids": ids}
}

// Seeding through the API.

// createCustomers creates the customers and returns them as written.
func (e *writeEnv) createCustomers(items ...map[string]any) []savedCustomer {
	e.t.Helper()
	var out []savedCustomer
	e.mustWrite(mutCreateCustomers, inVars(batch(items...)), "customers", &out)
	if got, want := len(out), len(items); got != want {
		e.t.Fatalf("created %d customers, want %d", got, want)
	}
	return out
}

// createCustomer creates one customer and returns its id.
func (e *writeEnv) createCustomer(item map[string]any) int {
	e.t.Helper()
	return e.createCustomers(item)[0].ID
}

// createAddresses creates the addresses and returns their ids.
func (e *writeEnv) createAddresses(items ...map[string]any) []int {
	e.t.Helper()
	var out []savedAddress
	e.mustWrite(mutCreateAddresses, inVars(batch(items...)), "addresses", &out)
	ids := make([]int, len(out))
	for i, a := range out {
		ids[i] = a.ID
	}
	return ids
}

// createAttributes creates attribute definitions of the type, named by
// names, and returns their ids.
func (e *writeEnv) createAttributes(typ string, names ...string) []int {
	e.t.Helper()
	var ids []int
	for start := 0; start < len(names); start += storage.MaxBatch {
		var items []map[string]any
		for _, n := range names[start:min(start+storage.MaxBatch, len(names))] {
			items = append(items, map[string]any{"name": n, "type": typ})
		}
		var out []savedAttribute
		e.mustWrite(mutCreateAttributes, inVars(batch(items...)), "attributes", &out)
		for _, a := range out {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// createFormFields creates form field definitions and returns their ids.
func (e *writeEnv) createFormFields(items ...map[string]any) []int {
	e.t.Helper()
	var out []struct{ ID int }
	e.mustWrite(mutCreateFormFields, inVars(batch(items...)), "formFields", &out)
	ids := make([]int, len(out))
	for i, f := range out {
		ids[i] = f.ID
	}
	return ids
}

// createGroup creates a customer group and returns it.
func (e *writeEnv) createGroup(item map[string]any) savedGroup {
	e.t.Helper()
	var g savedGroup
	e.mustWrite(mutCreateGroup, inVars(item), "customerGroup", &g)
	return g
}

// nameSeq returns n distinct names with the prefix.
func nameSeq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %02d", prefix, i+1)
	}
	return out
}

// newClientsEnv returns a writeEnv whose requests come from the loopback
// address that setClient names last (127.0.0.1 at first), so that a test
// can act as several clients. Every request opens its own connection. It
// skips the test where the loopback range 127/8 is not all local.
func newClientsEnv(t *testing.T, configure ...func(*graph.Options)) (e *writeEnv, setClient func(ip string)) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot use 127.0.0.2 as a client address: %v", err)
	}
	l.Close()
	srv := newTestServer(t, configure...)
	e = &writeEnv{t: t, s: srv, db: srv.db}
	tr, ok := e.s.srv.Client().Transport.(*http.Transport)
	if !ok {
		t.Fatalf("test server client transport is %T, want *http.Transport", e.s.srv.Client().Transport)
	}
	var from atomic.Value
	from.Store("127.0.0.1")
	tr.DisableKeepAlives = true
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from.Load().(string))}}
		return d.DialContext(ctx, network, addr)
	}
	return e, func(ip string) { from.Store(ip) }
}
