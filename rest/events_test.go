package rest_test

import (
	"context"
	"strings"
	"testing"
)

// eventLog lists a store's outbox: scope and data, in order.
func (e *env) eventLog() []string {
	e.t.Helper()
	evs, err := e.db.FindEventsAfter(context.Background(), 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Scope + " " + string(ev.Data)
	}
	return out
}

// TestEvents_SameAsGraphQL: the same writes made through REST (V3 and V2)
// and through GraphQL, each on a fresh store, leave the same outbox events
// in the same order.
func TestEvents_SameAsGraphQL(t *testing.T) {
	t.Parallel()
	viaREST := newEnv(t)
	r := viaREST
	r.must("POST", "/v3/customers", []any{
		map[string]any{"email": "a@example.com", "first_name": "A", "last_name": "One", "addresses": []any{
			map[string]any{"first_name": "A", "last_name": "One", "address1": "1 Main", "city": "Paris", "country_code": "FR", "postal_code": "75001"}}},
		map[string]any{"email": "b@example.com", "first_name": "B", "last_name": "Two"},
	}, 200)
	r.must("PUT", "/v3/customers", []any{map[string]any{"id": 1, "company": "Acme"}, map[string]any{"id": 2, "last_name": "Two"}}, 200)
	r.must("POST", "/v3/customers/addresses", []any{map[string]any{"customer_id": 2, "first_name": "B", "last_name": "Two",
		"address1": "2 Elm", "city": "Lyon", "country_code": "FR", "postal_code": "69001"}}, 200)
	r.must("PUT", "/v3/customers/addresses", []any{map[string]any{"id": 1, "city": "Nice"}}, 200)
	r.must("DELETE", "/v3/customers/addresses?id:in=1", nil, 204)
	r.must("DELETE", "/v3/customers?id:in=2", nil, 204)
	r.must("POST", "/v3/customers/subscribers", map[string]any{"email": "s@example.com"}, 200)
	r.must("PUT", "/v3/customers/subscribers/1", map[string]any{"first_name": "S"}, 200)
	r.must("DELETE", "/v3/customers/subscribers/1", nil, 204)
	r.must("POST", "/v3/customers/1/metafields", map[string]any{"namespace": "n", "key": "k", "value": "v", "permission_set": "read"}, 200)
	r.must("POST", "/v2/customers", map[string]any{"email": "c@example.com", "first_name": "C", "last_name": "Three"}, 200)
	r.must("PUT", "/v2/customers/3", map[string]any{"phone": "555"}, 200)
	r.must("POST", "/v2/customers/3/addresses", map[string]any{"first_name": "C", "last_name": "Three", "phone": "555",
		"street_1": "3 Oak", "city": "Lille", "state": " ", "zip": "59000", "country": "France"}, 200)
	r.must("PUT", "/v2/customers/3/addresses/3", map[string]any{"first_name": "C", "last_name": "Three", "phone": "555",
		"street_1": "4 Oak", "city": "Lille", "state": " ", "zip": "59000", "country": "France"}, 200)
	r.must("DELETE", "/v2/customers/3/addresses/3", nil, 204)
	r.must("DELETE", "/v2/customers/3", nil, 204)

	viaGraphQL := newEnv(t)
	g := viaGraphQL
	g.graphql(`mutation { createCustomers(input: [
		{email: "a@example.com", firstName: "A", lastName: "One", addresses: [{firstName: "A", lastName: "One", address1: "1 Main", city: "Paris", countryCode: "FR", postalCode: "75001"}]},
		{email: "b@example.com", firstName: "B", lastName: "Two"}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { updateCustomers(input: [{id: 1, company: "Acme"}, {id: 2, lastName: "Two"}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { createCustomerAddresses(input: [{customerId: 2, firstName: "B", lastName: "Two", address1: "2 Elm", city: "Lyon", countryCode: "FR", postalCode: "69001"}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { updateCustomerAddresses(input: [{id: 1, city: "Nice"}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { deleteCustomerAddresses(idIn: [1]) { deletedIds } }`, nil, nil)
	g.graphql(`mutation { deleteCustomers(idIn: [2]) { deletedIds } }`, nil, nil)
	g.graphql(`mutation { createSubscriber(input: {email: "s@example.com"}) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { updateSubscriber(input: {id: 1, firstName: "S"}) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { deleteSubscribers(filter: {id: 1}) { deletedIds } }`, nil, nil)
	g.graphql(`mutation { createCustomerMetafields(input: [{customerId: 1, namespace: "n", key: "k", value: "v", permissionSet: READ}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { createCustomers(input: [{email: "c@example.com", firstName: "C", lastName: "Three"}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { updateCustomers(input: [{id: 3, phone: "555"}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { createCustomerAddresses(input: [{customerId: 3, firstName: "C", lastName: "Three", phone: "555", address1: "3 Oak", city: "Lille", countryCode: "FR", postalCode: "59000"}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { updateCustomerAddresses(input: [{id: 3, address1: "4 Oak"}]) { userErrors { message } } }`, nil, nil)
	g.graphql(`mutation { deleteCustomerAddresses(idIn: [3]) { deletedIds } }`, nil, nil)
	g.graphql(`mutation { deleteCustomers(idIn: [3]) { deletedIds } }`, nil, nil)

	got, want := r.eventLog(), g.eventLog()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("REST events:\n  %s\nGraphQL events:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if len(got) != 17 {
		t.Errorf("%d events, want 17:\n  %s", len(got), strings.Join(got, "\n  "))
	}
}
