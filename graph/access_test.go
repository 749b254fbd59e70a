package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// accessFixture holds two shoppers with passwords and an address each, and
// API tokens of both scopes.
type accessFixture struct {
	readToken          string
	customerA, addrA   int
	customerB, addrB   int
	emailA, emailB, pw string
}

func seedAccess(t *testing.T, s *testServer) accessFixture {
	t.Helper()
	ctx := context.Background()
	f := accessFixture{emailA: "a@shop.example", emailB: "b@shop.example", pw: "Passw0rd!"}
	var err error
	if f.readToken, _, err = s.db.CreateToken(ctx, "reader", []string{storage.ScopeRead}); err != nil {
		t.Fatal(err)
	}
	grp, err := s.db.CreateGroup(ctx, storage.GroupInput{Name: "Members", IsDefault: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = grp
	for _, c := range []struct {
		email      string
		id, addrID *int
	}{{f.emailA, &f.customerA, &f.addrA}, {f.emailB, &f.customerB, &f.addrB}} {
		out, err := s.db.CreateCustomers(ctx, []storage.CustomerInput{{Email: c.email, FirstName: "Shop", LastName: c.email,
			NewPassword: &f.pw, Notes: "staff only", Addresses: []storage.AddressInput{{FirstName: "S", LastName: "P",
				Address1: "1 Main", City: "Austin", StateOrProvince: "Texas", PostalCode: "78701", CountryCode: "US"}}}})
		if err != nil {
			t.Fatal(err)
		}
		*c.id = out[0].ID
		addrs, err := s.db.FindAddressesByCustomerIDs(ctx, []int{out[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		*c.addrID = addrs[out[0].ID][0].ID
	}
	return f
}

// login signs a shopper in and returns the access token.
func (s *testServer) login(t *testing.T, email, pw string) string {
	t.Helper()
	var out struct {
		Login struct {
			AccessToken *string     `json:"accessToken"`
			UserErrors  []userError `json:"userErrors"`
		} `json:"login"`
	}
	r := s.doWith(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken userErrors { code message } } }`,
		map[string]any{"e": email, "p": pw}, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("login: %+v", r.Errors)
	}
	if err := jsonUnmarshal(r.Data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Login.AccessToken == nil {
		t.Fatalf("login refused: %+v", out.Login.UserErrors)
	}
	return *out.Login.AccessToken
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// accessCase is one root field, called with arguments that are valid for
// every caller, and who may call it.
type accessCase struct {
	name  string
	query string
	allow string // "public", "shopper", "read", "read+shopper", "write"
}

func accessCases(f accessFixture) []accessCase {
	addr := `{firstName: "N", lastName: "P", address1: "2 Main", city: "Austin", stateOrProvince: "Texas", postalCode: "78701", countryCode: "US"}`
	q := func(name, body, allow string) accessCase { return accessCase{name, body, allow} }
	return []accessCase{
		q("customers", `{ customers { nodes { id } } }`, "read"),
		q("customer", fmt.Sprintf(`{ customer(id: %d) { id } }`, f.customerA), "read"),
		q("customerAddresses", `{ customerAddresses { nodes { id } } }`, "read"),
		q("customerAttributes", `{ customerAttributes { nodes { id } } }`, "read"),
		q("customerAttributeValues", `{ customerAttributeValues { nodes { id } } }`, "read"),
		q("customerFormFields", `{ customerFormFields { nodes { id } } }`, "read+shopper"),
		q("customerFormFieldValues", `{ customerFormFieldValues { nodes { name } } }`, "read"),
		q("customerConsent", fmt.Sprintf(`{ customerConsent(customerId: %d) { allow } }`, f.customerA), "read"),
		q("customerGroups", `{ customerGroups { nodes { id } } }`, "read"),
		q("customerGroup", `{ customerGroup(id: 1) { id } }`, "read"),
		q("subscribers", `{ subscribers { nodes { id } } }`, "read"),
		q("subscriber", `{ subscriber(id: 1) { id } }`, "read"),
		q("customerSettings", `{ customerSettings { privacySettings { policyUrl } } }`, "read"),
		q("syncStatus", `{ syncStatus { state } }`, "read"),
		q("channelCustomerSettings", `{ channelCustomerSettings(channelId: 1) { channelId } }`, "read"),
		q("me", `{ me { id } }`, "shopper"),
		q("createCustomers", `mutation { createCustomers(input: [{email: "x", firstName: "", lastName: ""}]) { userErrors { code } } }`, "write"),
		q("updateCustomers", `mutation { updateCustomers(input: [{id: 999999}]) { userErrors { code } } }`, "write"),
		q("deleteCustomers", `mutation { deleteCustomers(idIn: [999999]) { deletedIds } }`, "write"),
		q("createCustomerAddresses", `mutation { createCustomerAddresses(input: [{customerId: 999999, firstName: "", lastName: "", address1: "", city: "", countryCode: ""}]) { userErrors { code } } }`, "write"),
		q("updateCustomerAddresses", `mutation { updateCustomerAddresses(input: [{id: 999999}]) { userErrors { code } } }`, "write"),
		q("deleteCustomerAddresses", `mutation { deleteCustomerAddresses(idIn: [999999]) { deletedIds } }`, "write"),
		q("createCustomerAttributes", `mutation { createCustomerAttributes(input: [{name: "", type: STRING}]) { userErrors { code } } }`, "write"),
		q("updateCustomerAttributes", `mutation { updateCustomerAttributes(input: [{id: 999999}]) { userErrors { code } } }`, "write"),
		q("deleteCustomerAttributes", `mutation { deleteCustomerAttributes(idIn: [999999]) { deletedIds } }`, "write"),
		q("upsertCustomerAttributeValues", `mutation { upsertCustomerAttributeValues(input: [{customerId: 999999, attributeId: 999999, value: ""}]) { userErrors { code } } }`, "write"),
		q("deleteCustomerAttributeValues", `mutation { deleteCustomerAttributeValues(idIn: [999999]) { deletedIds } }`, "write"),
		q("createCustomerFormFields", `mutation { createCustomerFormFields(input: [{name: "", type: TEXT, appliesTo: CUSTOMER}]) { userErrors { code } } }`, "write"),
		q("updateCustomerFormFields", `mutation { updateCustomerFormFields(input: [{id: 999999}]) { userErrors { code } } }`, "write"),
		q("deleteCustomerFormFields", `mutation { deleteCustomerFormFields(idIn: [999999]) { deletedIds } }`, "write"),
		q("upsertCustomerFormFieldValues", `mutation { upsertCustomerFormFieldValues(input: [{name: "none", value: "x", customerId: 999999}]) { userErrors { code } } }`, "write"),
		q("updateCustomerConsent", `mutation { updateCustomerConsent(input: {customerId: 999999, allow: [], deny: []}) { userErrors { code } } }`, "write"),
		q("validateCustomerCredentials", `mutation { validateCustomerCredentials(email: "nobody@x.io", password: "x") { isValid } }`, "write"),
		q("validateCustomerPassword", `mutation { validateCustomerPassword(customerId: 999999, password: "x") { success } }`, "write"),
		q("updateCustomerSettings", `mutation { updateCustomerSettings(input: {}) { userErrors { code } } }`, "write"),
		q("updateChannelCustomerSettings", `mutation { updateChannelCustomerSettings(input: {channelId: 0}) { userErrors { code } } }`, "write"),
		q("createCustomerGroup", `mutation { createCustomerGroup(input: {name: ""}) { userErrors { code } } }`, "write"),
		q("updateCustomerGroup", `mutation { updateCustomerGroup(input: {id: 999999}) { userErrors { code } } }`, "write"),
		q("deleteCustomerGroups", `mutation { deleteCustomerGroups(idIn: [999999]) { deletedIds } }`, "write"),
		q("createSubscriber", `mutation { createSubscriber(input: {email: "x"}) { userErrors { code } } }`, "write"),
		q("updateSubscriber", `mutation { updateSubscriber(input: {id: 999999}) { userErrors { code } } }`, "write"),
		q("deleteSubscribers", `mutation { deleteSubscribers(filter: {email: "nobody@x.io"}) { deletedIds } }`, "write"),
		q("customerMetafields", `{ customerMetafields { nodes { id } } }`, "read"),
		q("createCustomerMetafields", `mutation { createCustomerMetafields(input: [{customerId: 999999, namespace: "n", key: "k", value: "v", permissionSet: READ}]) { userErrors { code } } }`, "write"),
		q("updateCustomerMetafields", `mutation { updateCustomerMetafields(input: [{id: 999999}]) { userErrors { code } } }`, "write"),
		q("deleteCustomerMetafields", `mutation { deleteCustomerMetafields(idIn: [999999]) { deletedIds } }`, "write"),
		q("webhooks", `{ webhooks { nodes { id } } }`, "write"),
		q("webhookDeliveries", `{ webhookDeliveries { nodes { id } } }`, "write"),
		q("createWebhook", `mutation { createWebhook(input: {scope: "nope", destination: "ftp://x"}) { userErrors { code } } }`, "write"),
		q("updateWebhook", `mutation { updateWebhook(input: {id: 999999}) { userErrors { code } } }`, "write"),
		q("deleteWebhooks", `mutation { deleteWebhooks(idIn: [999999]) { deletedIds } }`, "write"),
		q("retryWebhookDelivery", `mutation { retryWebhookDelivery(id: 999999) { userErrors { code } } }`, "write"),
		q("impersonateCustomer", `mutation { impersonateCustomer(customerId: 999999) { userErrors { code } } }`, "write"),
		q("registerCustomer", `mutation { registerCustomer(input: {email: "x", password: "", firstName: "", lastName: ""}) { userErrors { code } } }`, "public"),
		q("login", `mutation { login(email: "nobody@x.io", password: "x") { userErrors { code } } }`, "public"),
		q("loginWithToken", `mutation { loginWithToken(token: "x.y.z") { userErrors { code } } }`, "public"),
		q("logout", `mutation { logout { loggedOut } }`, "shopper"),
		q("updateMe", `mutation { updateMe(input: {firstName: ""}) { userErrors { code } } }`, "shopper"),
		q("changeMyPassword", `mutation { changeMyPassword(input: {currentPassword: "wrong", newPassword: "x"}) { userErrors { code } } }`, "shopper"),
		q("createMyAddress", `mutation { createMyAddress(input: `+addr+`) { address { id } userErrors { code } } }`, "shopper"),
		q("updateMyAddress", fmt.Sprintf(`mutation { updateMyAddress(input: {id: %d, city: "Dallas"}) { userErrors { code } } }`, f.addrB), "shopper"),
		q("deleteMyAddress", fmt.Sprintf(`mutation { deleteMyAddress(id: %d) { deletedIds userErrors { code } } }`, f.addrB), "shopper"),
		q("updateMyConsent", `mutation { updateMyConsent(input: {allow: [ESSENTIAL], deny: []}) { userErrors { code } } }`, "shopper"),
	}
}

// noThrottles keeps the password and sign-up throttles out of the way.
var noThrottles = graph.Throttles{CredentialsEvery: time.Millisecond, CredentialsBurst: 1000,
	ClientEvery: time.Millisecond, ClientBurst: 1000, AccountEvery: time.Millisecond, AccountBurst: 1000,
	SignupsEvery: time.Millisecond, SignupsBurst: 1000}

// TestAccessMatrix runs every root field under every kind of caller and
// checks allow or deny for each cell.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) {
		o.Throttles = noThrottles
	})
	f := seedAccess(t, s)
	// Every root field of the schema has its case.
	var schema struct {
		Schema struct {
			QueryType    struct{ Fields []struct{ Name string } } `json:"queryType"`
			MutationType struct{ Fields []struct{ Name string } } `json:"mutationType"`
		} `json:"__schema"`
	}
	s.mustQuery(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`, nil, &schema)
	have := map[string]bool{}
	for _, c := range accessCases(f) {
		have[c.name] = true
	}
	for _, fl := range append(schema.Schema.QueryType.Fields, schema.Schema.MutationType.Fields...) {
		if !have[fl.Name] {
			t.Errorf("root field %s has no access case", fl.Name)
		}
		delete(have, fl.Name)
	}
	if len(have) > 0 || t.Failed() {
		t.Fatalf("cases without a root field: %v", have)
	}
	callers := []struct {
		name string
		kind string // what it may do: "", "read", "write", "shopper"
		hdr  func(t *testing.T) http.Header
		// denial is the code a denied call gets.
		denial string
		clock  time.Duration // how far the clock moves for the call
	}{
		{"None", "", func(*testing.T) http.Header { return nil }, "UNAUTHENTICATED", 0},
		{"BadToken", "", func(*testing.T) http.Header { return http.Header{"X-Auth-Token": {"cust_bogus"}} }, "UNAUTHENTICATED", 0},
		{"BadBearer", "", func(*testing.T) http.Header { return bearer("not.a.jwt") }, "UNAUTHENTICATED", 0},
		{"ExpiredShopper", "", func(t *testing.T) http.Header { return bearer(s.login(t, f.emailA, f.pw)) }, "UNAUTHENTICATED", 2 * time.Hour},
		{"ReadToken", "read", func(*testing.T) http.Header { return http.Header{"X-Auth-Token": {f.readToken}} }, "FORBIDDEN", 0},
		{"ReadTokenAsBearer", "read", func(*testing.T) http.Header { return bearer(f.readToken) }, "FORBIDDEN", 0},
		{"WriteToken", "write", func(*testing.T) http.Header { return http.Header{"X-Auth-Token": {s.token}} }, "FORBIDDEN", 0},
		{"ShopperA", "shopper", func(t *testing.T) http.Header { return bearer(s.login(t, f.emailA, f.pw)) }, "FORBIDDEN", 0},
	}
	for _, c := range callers {
		shared := c.hdr(t) // one sign-in per caller: sign-ins are throttled
		for _, tc := range accessCases(f) {
			t.Run(c.name+"/"+tc.name, func(t *testing.T) {
				hdr := shared
				if tc.name == "logout" {
					hdr = c.hdr(t) // a session of its own to end
				}
				if c.clock != 0 {
					storagetest.SetNow(s.db, storagetest.Now.Add(c.clock))
					defer storagetest.SetNow(s.db, storagetest.Now)
				}
				r := s.doWith(tc.query, nil, hdr)
				allowed := tc.allow == "public" ||
					c.kind == "shopper" && strings.Contains(tc.allow, "shopper") ||
					c.kind == "read" && strings.HasPrefix(tc.allow, "read") ||
					c.kind == "write" && (strings.HasPrefix(tc.allow, "read") || tc.allow == "write")
				var codes []string
				for _, e := range r.Errors {
					codes = append(codes, fmt.Sprint(e.Extensions["code"]))
				}
				if allowed && len(codes) > 0 {
					t.Fatalf("allowed call failed: %+v", r.Errors)
				}
				if !allowed && (len(codes) != 1 || codes[0] != c.denial) {
					t.Fatalf("errors=%v (data %s), want one %s", codes, r.Data, c.denial)
				}
				if !allowed && strings.Contains(string(r.Data), `"id"`) {
					t.Fatalf("a denied call returned data: %s", r.Data)
				}
			})
		}
	}
}

// TestShopperSeesOnlyItself: shopper A, through every nested field and
// every My mutation, reaches nothing of B's.
func TestShopperSeesOnlyItself(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	f := seedAccess(t, s)
	a := bearer(s.login(t, f.emailA, f.pw))

	var me struct {
		Me struct {
			ID        int    `json:"id"`
			Email     string `json:"email"`
			Addresses []struct {
				ID       int `json:"id"`
				Customer struct {
					ID int `json:"id"`
				} `json:"customer"`
			} `json:"addresses"`
			Group struct {
				Name string `json:"name"`
			} `json:"group"`
		} `json:"me"`
	}
	r := s.doWith(`{ me { id email addresses { id customer { id } } group { name } consent { allow } storeCredit { amount } } }`, nil, a)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if err := jsonUnmarshal(r.Data, &me); err != nil {
		t.Fatal(err)
	}
	if me.Me.ID != f.customerA || me.Me.Email != f.emailA || len(me.Me.Addresses) != 1 ||
		me.Me.Addresses[0].ID != f.addrA || me.Me.Addresses[0].Customer.ID != f.customerA || me.Me.Group.Name != "Members" {
		t.Fatalf("me=%+v", me.Me)
	}
	// Fields that would show other customers, or staff notes, are refused.
	for _, q := range []string{`{ me { group { customers { nodes { id email } } } } }`, `{ me { notes } }`} {
		r := s.doWith(q, nil, a)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" || strings.Contains(string(r.Data), f.emailB) {
			t.Fatalf("%s: errors=%+v data=%s, want FORBIDDEN and nothing of B", q, r.Errors, r.Data)
		}
	}
	// B's address is NOT_FOUND to A, and stays as it was.
	for _, q := range []string{
		fmt.Sprintf(`mutation { updateMyAddress(input: {id: %d, city: "Dallas"}) { address { id } userErrors { code } } }`, f.addrB),
		fmt.Sprintf(`mutation { deleteMyAddress(id: %d) { deletedIds userErrors { code } } }`, f.addrB),
	} {
		r := s.doWith(q, nil, a)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"code":"NOT_FOUND"`) {
			t.Fatalf("%s: %+v %s, want NOT_FOUND", q, r.Errors, r.Data)
		}
	}
	addrs, err := s.db.FindAddressesByCustomerIDs(context.Background(), []int{f.customerB})
	if err != nil || len(addrs[f.customerB]) != 1 || addrs[f.customerB][0].City != "Austin" {
		t.Fatalf("B's addresses=%+v (%v)", addrs[f.customerB], err)
	}
	// A's own address can change; the change is A's.
	r = s.doWith(fmt.Sprintf(`mutation { updateMyAddress(input: {id: %d, city: "Dallas"}) { address { id city customerId } userErrors { code } } }`, f.addrA), nil, a)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"city":"Dallas"`) {
		t.Fatalf("own address: %+v %s", r.Errors, r.Data)
	}
	r = s.doWith(`mutation { updateMe(input: {firstName: "Ann"}) { customer { id firstName } userErrors { code } } }`, nil, a)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), fmt.Sprintf(`{"id":%d,"firstName":"Ann"}`, f.customerA)) {
		t.Fatalf("updateMe: %+v %s", r.Errors, r.Data)
	}
}

// TestShopperSessions: logout and a password change end sessions; a
// forced reset refuses sign-in; impersonation signs in without the password.
func TestShopperSessions(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *graph.Options) {
		o.Throttles = noThrottles
	})
	f := seedAccess(t, s)
	alive := func(h http.Header) bool {
		r := s.doWith(`{ me { id } }`, nil, h)
		return len(r.Errors) == 0
	}
	t.Run("Logout", func(t *testing.T) {
		a := bearer(s.login(t, f.emailA, f.pw))
		other := bearer(s.login(t, f.emailA, f.pw))
		r := s.doWith(`mutation { logout { loggedOut } }`, nil, a)
		if len(r.Errors) > 0 || !alive(other) || alive(a) {
			t.Fatalf("logout: %+v; the logged-out token works=%v, the other session=%v", r.Errors, alive(a), alive(other))
		}
	})
	t.Run("PasswordChangeEndsSessions", func(t *testing.T) {
		a := bearer(s.login(t, f.emailA, f.pw))
		other := bearer(s.login(t, f.emailA, f.pw))
		var out struct {
			ChangeMyPassword struct {
				AccessToken *string     `json:"accessToken"`
				UserErrors  []userError `json:"userErrors"`
			} `json:"changeMyPassword"`
		}
		r := s.doWith(`mutation($c: String!) { changeMyPassword(input: {currentPassword: $c, newPassword: "N3w-password"}) {
			accessToken userErrors { code field } } }`, map[string]any{"c": f.pw}, a)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		jsonUnmarshal(r.Data, &out)
		if out.ChangeMyPassword.AccessToken == nil || alive(a) || alive(other) || !alive(bearer(*out.ChangeMyPassword.AccessToken)) {
			t.Fatalf("after a password change: %+v, old tokens alive: %v %v", out, alive(a), alive(other))
		}
		s.login(t, f.emailA, "N3w-password")
	})
	t.Run("ForcedReset", func(t *testing.T) {
		r := s.do(fmt.Sprintf(`mutation { updateCustomers(input: [{id: %d, authentication: {forcePasswordReset: true}}]) { userErrors { code } } }`, f.customerB), nil)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		r = s.doWith(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken userErrors { code } } }`,
			map[string]any{"e": f.emailB, "p": f.pw}, nil)
		if !strings.Contains(string(r.Data), `"accessToken":null`) || !strings.Contains(string(r.Data), "PASSWORD_RESET_REQUIRED") {
			t.Fatalf("login with a forced reset: %s", r.Data)
		}
	})
	// Sessions that sign-in would now refuse end too.
	newShopper := func(t *testing.T, email string) int {
		t.Helper()
		out, err := s.db.CreateCustomers(context.Background(), []storage.CustomerInput{{Email: email, FirstName: "S",
			LastName: "E", NewPassword: &f.pw}})
		if err != nil {
			t.Fatal(err)
		}
		return out[0].ID
	}
	loginOn := func(t *testing.T, email string, channel int) http.Header {
		t.Helper()
		var out struct {
			Login struct{ AccessToken *string } `json:"login"`
		}
		r := s.doWith(`mutation($e: String!, $p: String!, $c: Int) { login(email: $e, password: $p, channelId: $c) { accessToken } }`,
			map[string]any{"e": email, "p": f.pw, "c": channel}, nil)
		if len(r.Errors) > 0 || jsonUnmarshal(r.Data, &out) != nil || out.Login.AccessToken == nil {
			t.Fatalf("login on channel %d: %+v %s", channel, r.Errors, r.Data)
		}
		return bearer(*out.Login.AccessToken)
	}
	t.Run("ResetRequiredEndsSessions", func(t *testing.T) {
		id := newShopper(t, "reset@shop.example")
		h := loginOn(t, "reset@shop.example", 1)
		s.mustQuery(fmt.Sprintf(`mutation { updateCustomers(input: [{id: %d, authentication: {forcePasswordReset: true}}]) {
			userErrors { code } } }`, id), nil, nil)
		if alive(h) {
			t.Fatal("the session outlived a required password reset")
		}
	})
	t.Run("ChannelTakenAwayEndsSessions", func(t *testing.T) {
		id := newShopper(t, "channels@shop.example")
		one, two := loginOn(t, "channels@shop.example", 1), loginOn(t, "channels@shop.example", 2)
		s.mustQuery(fmt.Sprintf(`mutation { updateCustomers(input: [{id: %d, channelIds: [2]}]) { userErrors { code } } }`, id), nil, nil)
		if alive(one) || !alive(two) {
			t.Fatalf("after channelIds [2]: channel 1 session alive=%v, channel 2 session alive=%v", alive(one), alive(two))
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		r := s.doWith(`mutation { login(email: "a@shop.example", password: "nope-1234") { accessToken userErrors { code field } } }`, nil, nil)
		if !strings.Contains(string(r.Data), `"code":"INVALID"`) || strings.Contains(string(r.Data), "eyJ") {
			t.Fatalf("wrong password: %s", r.Data)
		}
	})
	t.Run("Impersonate", func(t *testing.T) {
		var out struct {
			ImpersonateCustomer struct {
				AccessToken *string `json:"accessToken"`
			} `json:"impersonateCustomer"`
		}
		s.mustQuery(fmt.Sprintf(`mutation { impersonateCustomer(customerId: %d) { accessToken } }`, f.customerB), nil, &out)
		if out.ImpersonateCustomer.AccessToken == nil {
			t.Fatal("no token")
		}
		r := s.doWith(`{ me { id } }`, nil, bearer(*out.ImpersonateCustomer.AccessToken))
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), fmt.Sprintf(`"id":%d`, f.customerB)) {
			t.Fatalf("impersonated me: %+v %s", r.Errors, r.Data)
		}
	})
	t.Run("RevokedToken", func(t *testing.T) {
		token, made, err := s.db.CreateToken(context.Background(), "short", []string{storage.ScopeRead})
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{"X-Auth-Token": {token}}
		if r := s.doWith(`{ customers { nodes { id } } }`, nil, h); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if err := s.db.RevokeToken(context.Background(), made.ID); err != nil {
			t.Fatal(err)
		}
		r := s.doWith(`{ customers { nodes { id } } }`, nil, h)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Fatalf("revoked token: %+v", r.Errors)
		}
	})
	t.Run("Register", func(t *testing.T) {
		var out struct {
			RegisterCustomer struct {
				AccessToken *string `json:"accessToken"`
				Customer    struct {
					ID                    int    `json:"id"`
					RegistrationIPAddress string `json:"registrationIpAddress"`
				} `json:"customer"`
				UserErrors []userError `json:"userErrors"`
			} `json:"registerCustomer"`
		}
		r := s.doWith(`mutation { registerCustomer(input: {email: "new@shop.example", password: "Passw0rd!", firstName: "N", lastName: "S"}) {
			accessToken customer { id registrationIpAddress } userErrors { code field } } }`, nil, nil)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		jsonUnmarshal(r.Data, &out)
		rc := out.RegisterCustomer
		if rc.AccessToken == nil || rc.Customer.RegistrationIPAddress != "127.0.0.1" || !alive(bearer(*rc.AccessToken)) {
			t.Fatalf("register: %s", r.Data)
		}
		r = s.doWith(`mutation { registerCustomer(input: {email: "NEW@shop.example", password: "short", firstName: "N", lastName: "S"}) {
			accessToken userErrors { code field } } }`, nil, nil)
		if !strings.Contains(string(r.Data), `"field":["input","email"]`) || !strings.Contains(string(r.Data), `"field":["input","password"]`) {
			t.Fatalf("register problems: %s", r.Data)
		}
	})
}
