package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/storage/storagetest"
)

// End-to-end tests of the customer mutations (createCustomers,
// updateCustomers, deleteCustomers) over HTTP and SQLite: the digest's
// conformance cases C01-C21 (domain/customers-spec.md §8) and the API.md
// decisions on writes. Every case reads the stored state back through a
// query after the mutation.

func TestCreateCustomers(t *testing.T) {
	t.Parallel()
	t.Run("C01_Created", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(map[string]any{"email": "a@x.io", "firstName": "A", "lastName": "B"})
		if out[0].ID < 1 {
			t.Fatalf("id=%d, want a positive id", out[0].ID)
		}
		if got, want := out[0].DateCreated, nowText; got != want {
			t.Fatalf("dateCreated=%q, want %q", got, want)
		}
		if _, err := time.Parse(time.RFC3339, out[0].DateModified); err != nil {
			t.Fatalf("dateModified=%q is not RFC 3339: %v", out[0].DateModified, err)
		}

		got := e.mustCustomer(out[0].ID)
		if !reflect.DeepEqual(got, out[0]) {
			t.Fatalf("stored=%+v, want the payload %+v", got, out[0])
		}
		if got.Email != "a@x.io" || got.FirstName != "A" || got.LastName != "B" {
			t.Fatalf("stored=%+v, want a@x.io A B", got)
		}
		if got, want := got.DateModified, nowText; got != want {
			t.Fatalf("stored dateModified=%q, want %q", got, want)
		}
		if got, want := got.OriginChannelID, 1; got != want {
			t.Fatalf("originChannelId=%d, want %d", got, want)
		}
		if got.ChannelIDs != nil {
			t.Fatalf("channelIds=%v, want null (global access)", got.ChannelIDs)
		}
		if got, want := e.total("customers", nil), 1; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("C02_MissingRequired", func(t *testing.T) {
		t.Parallel()
		for _, field := range []string{"email", "firstName", "lastName"} {
			t.Run(field, func(t *testing.T) {
				t.Parallel()
				e := newWriteEnv(t)
				e.mustFailValidation(mutCreateCustomers, inVars(batch(customerIn("a@x.io", field, nil))))
				if got, want := e.total("customers", nil), 0; got != want {
					t.Fatalf("customers=%d, want %d", got, want)
				}
			})
		}
	})

	t.Run("C02_EmptyEmail", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn(""))), "customers")
		wantOneUserError(t, errs, "REQUIRED", "input.0.email", 0)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("C03_EmptyFirstName", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"", "   "} {
			e := newWriteEnv(t)
			errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "firstName", name))), "customers")
			wantOneUserError(t, errs, "REQUIRED", "input.0.firstName", 0)
			if got, want := e.total("customers", nil), 0; got != want {
				t.Fatalf("customers=%d, want %d", got, want)
			}
		}
	})

	t.Run("C04_LastNameTooLong", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "lastName", strings.Repeat("é", 101)))), "customers")
		wantOneUserError(t, errs, "TOO_LONG", "input.0.lastName", 0)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}

		// 100 characters (not bytes) is the limit and is kept whole.
		long := strings.Repeat("é", 100)
		id := e.createCustomer(customerIn("a@x.io", "lastName", long))
		if got, want := e.mustCustomer(id).LastName, long; got != want {
			t.Fatalf("lastName=%q, want %q", got, want)
		}
	})

	t.Run("C05_EmailLength", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name, email, code string
		}{
			{"TwoChars", "ab", "INVALID"},
			{"256Chars", strings.Repeat("a", 256-len("@x.io")) + "@x.io", "TOO_LONG"},
			{"NotAnAddress", "not an email", "INVALID"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e := newWriteEnv(t)
				errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn(tt.email))), "customers")
				wantOneUserError(t, errs, tt.code, "input.0.email", 0)
				if got, want := e.total("customers", nil), 0; got != want {
					t.Fatalf("customers=%d, want %d", got, want)
				}
			})
		}
		t.Run("255Chars", func(t *testing.T) {
			t.Parallel()
			e := newWriteEnv(t)
			email := strings.Repeat("a", 255-len("@x.io")) + "@x.io"
			id := e.createCustomer(customerIn(email))
			if got, want := e.mustCustomer(id).Email, email; got != want {
				t.Fatalf("email=%q, want %q", got, want)
			}
		})
	})

	t.Run("C06_DuplicateEmail", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("Dup@X.io", "firstName", "First"))
		events := len(e.events())

		// Decision 4 and 7: unique ignoring case, CONFLICT on the field.
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("dup@x.IO", "firstName", "Second"))), "customers")
		wantOneUserError(t, errs, "CONFLICT", "input.0.email", 0)

		all := e.customers(nil)
		if got, want := len(all), 1; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
		if got, want := all[0].ID, id; got != want {
			t.Fatalf("id=%d, want %d", got, want)
		}
		if got, want := all[0].Email+" "+all[0].FirstName, "Dup@X.io First"; got != want {
			t.Fatalf("stored=%q, want %q (stored as given, untouched)", got, want)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none for a rejected batch", eventLines(got))
		}
	})

	t.Run("Decision7_DuplicateEmailInBatch", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		errs := e.mustReject(mutCreateCustomers,
			inVars(batch(customerIn("one@x.io"), customerIn("two@x.io"), customerIn("ONE@x.io"))), "customers")
		wantOneUserError(t, errs, "CONFLICT", "input.2.email", 2)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
		if got := e.events(); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}
	})

	t.Run("C07_ElevenAddresses", func(t *testing.T) {
		t.Parallel()
		addrs := make([]any, 11)
		for i := range addrs {
			addrs[i] = addressIn("address1", fmt.Sprintf("%d Main St", i+1))
		}
		e := newWriteEnv(t)
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "addresses", addrs))), "customers")
		wantOneUserError(t, errs, "TOO_MANY_ITEMS", "input.0.addresses", 0)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
		if got, want := e.total("customerAddresses", nil), 0; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}

		// Ten is allowed, and all ten are stored and embedded untruncated.
		id := e.createCustomer(customerIn("a@x.io", "addresses", addrs[:10]))
		c := e.mustCustomer(id)
		if got, want := c.AddressCount, 10; got != want {
			t.Fatalf("addressCount=%d, want %d", got, want)
		}
		if got, want := len(c.Addresses), 10; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}
	})

	t.Run("C08_ElevenAttributes", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		attrIDs := e.createAttributes("STRING", nameSeq("Attr", 11)...)
		values := make([]any, len(attrIDs))
		for i, id := range attrIDs {
			values[i] = map[string]any{"attributeId": id, "value": "v"}
		}
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "attributes", values))), "customers")
		wantOneUserError(t, errs, "TOO_MANY_ITEMS", "input.0.attributes", 0)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
		if got, want := e.total("customerAttributeValues", nil), 0; got != want {
			t.Fatalf("attribute values=%d, want %d", got, want)
		}

		id := e.createCustomer(customerIn("a@x.io", "attributes", values[:10]))
		if got, want := e.mustCustomer(id).AttributeCount, 10; got != want {
			t.Fatalf("attributeCount=%d, want %d", got, want)
		}
	})

	t.Run("C09_AddressMissingField", func(t *testing.T) {
		t.Parallel()
		for _, field := range []string{"postalCode", "stateOrProvince", "city", "address1", "firstName", "lastName", "countryCode"} {
			t.Run(field+"Empty", func(t *testing.T) {
				t.Parallel()
				e := newWriteEnv(t)
				addr := addressIn(field, "")
				errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "addresses", []any{addr}))), "customers")
				wantOneUserError(t, errs, "REQUIRED", "input.0.addresses.0."+field, 0)
				if got, want := e.total("customers", nil), 0; got != want {
					t.Fatalf("customers=%d, want %d", got, want)
				}
			})
		}
		// Optional in the schema, required for a US address.
		for _, field := range []string{"postalCode", "stateOrProvince"} {
			t.Run(field+"Absent", func(t *testing.T) {
				t.Parallel()
				e := newWriteEnv(t)
				addr := addressIn(field, nil)
				errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "addresses", []any{addr}))), "customers")
				wantOneUserError(t, errs, "REQUIRED", "input.0.addresses.0."+field, 0)
				if got, want := e.total("customers", nil), 0; got != want {
					t.Fatalf("customers=%d, want %d", got, want)
				}
			})
		}
		// Non-null in the schema: GraphQL itself refuses.
		for _, field := range []string{"city", "address1", "firstName", "lastName", "countryCode"} {
			t.Run(field+"Absent", func(t *testing.T) {
				t.Parallel()
				e := newWriteEnv(t)
				addr := addressIn(field, nil)
				e.mustFailValidation(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "addresses", []any{addr}))))
				if got, want := e.total("customers", nil), 0; got != want {
					t.Fatalf("customers=%d, want %d", got, want)
				}
			})
		}
	})

	t.Run("C10_CountryCodeUSA", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		addr := addressIn("countryCode", "USA")
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "addresses", []any{addr}))), "customers")
		wantOneUserError(t, errs, "INVALID", "input.0.addresses.0.countryCode", 0)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("C11_AddressTypeBusiness", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		addr := addressIn("addressType", "business")
		e.mustFailValidation(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "addresses", []any{addr}))))
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}

		id := e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn("addressType", "COMMERCIAL"), addressIn("address1", "2 Main St")}))
		addrs := e.mustCustomer(id).Addresses
		if got, want := []string{addrs[0].AddressType, addrs[1].AddressType}, []string{"COMMERCIAL", "RESIDENTIAL"}; !slices.Equal(got, want) {
			t.Fatalf("addressTypes=%v, want %v (residential by default)", got, want)
		}
	})

	t.Run("C12_UnknownAttribute", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		attrs := []any{map[string]any{"attributeId": 999, "value": "x"}}
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "attributes", attrs))), "customers")
		wantOneUserError(t, errs, "NOT_FOUND", "input.0.attributes.0.attributeId", 0)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("C13_PasswordNeverReturned", func(t *testing.T) {
		t.Parallel()
		const password = "S3cret!Password"
		e := newWriteEnv(t)
		e.createFormFields(map[string]any{"name": "color", "type": "TEXT", "appliesTo": "CUSTOMER"})
		attr := e.createAttributes("STRING", "Nickname")[0]
		g := e.createGroup(map[string]any{"name": "Retail"})

		r := e.s.do(mutCreateCustomers, inVars(batch(customerIn("a@x.io",
			"authentication", map[string]any{"newPassword": password},
			"customerGroupId", g.ID,
			"addresses", []any{addressIn()},
			"attributes", []any{map[string]any{"attributeId": attr, "value": "Ada"}},
			"formFields", []any{map[string]any{"name": "color", "value": "blue"}},
			"storeCreditAmounts", []any{map[string]any{"amount": 1}}))))
		if len(r.Errors) > 0 {
			t.Fatalf("errors=%+v", r.Errors)
		}
		wantNoSecret(t, "createCustomers reply", r.Data, password)
		var created struct {
			CreateCustomers struct {
				Customers []struct{ ID int }
			}
		}
		if err := json.Unmarshal(r.Data, &created); err != nil || len(created.CreateCustomers.Customers) != 1 {
			t.Fatalf("createCustomers=%s (%v), want one customer", r.Data, err)
		}
		id := created.CreateCustomers.Customers[0].ID

		// Every field of Customer, and of what it nests, to depth 3.
		sel := e.selectAll("Customer", 3)
		for _, q := range []string{
			`query($id: Int!) { customer(id: $id) { ` + sel + ` } }`,
			`query($id: Int!) { customers(filter: {idIn: [$id]}, limit: 1) { nodes { ` + sel + ` } } }`,
		} {
			r := e.s.do(q, map[string]any{"id": id})
			if len(r.Errors) > 0 {
				t.Fatalf("errors=%+v", r.Errors)
			}
			if !strings.Contains(string(r.Data), `"a@x.io"`) {
				t.Fatalf("data=%s, want the customer", r.Data)
			}
			wantNoSecret(t, "customer query", r.Data, password)
		}
		for _, ev := range e.events() {
			wantNoSecret(t, "event", ev.Data, password)
		}

		// The authentication object has only forcePasswordReset.
		var typ struct {
			Type struct{ Fields []struct{ Name string } } `json:"__type"`
		}
		e.s.mustQuery(`{ __type(name: "CustomerAuthentication") { fields { name } } }`, nil, &typ)
		if got, want := fmt.Sprint(typ.Type.Fields), "[{forcePasswordReset}]"; got != want {
			t.Fatalf("CustomerAuthentication fields=%s, want %s", got, want)
		}

		// The password was stored all the same.
		var check struct{ ValidateCustomerCredentials struct{ IsValid bool } }
		e.s.mustQuery(mutValidateCredentials, map[string]any{"email": "a@x.io", "password": password}, &check)
		if !check.ValidateCustomerCredentials.IsValid {
			t.Fatalf("isValid=false, want true: the password was not stored")
		}
	})

	t.Run("C13_WeakPassword", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		for _, pw := range []string{"S3cret!", "onlyletters", "1234567890"} {
			errs := e.mustReject(mutCreateCustomers,
				inVars(batch(customerIn("a@x.io", "authentication", map[string]any{"newPassword": pw}))), "customers")
			wantOneUserError(t, errs, "INVALID", "input.0.authentication.newPassword", 0)
		}
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("C14_ForcePasswordReset", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(
			customerIn("a@x.io", "authentication", map[string]any{"forcePasswordReset": true}),
			customerIn("b@x.io"))
		if !e.mustCustomer(out[0].ID).Authentication.ForcePasswordReset {
			t.Fatalf("forcePasswordReset=false, want true")
		}
		if e.mustCustomer(out[1].ID).Authentication.ForcePasswordReset {
			t.Fatalf("forcePasswordReset=true, want false by default")
		}
	})

	t.Run("C15_StoreCredit", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io", "storeCreditAmounts", []any{map[string]any{"amount": 43.15}}))
		credit := e.mustCustomer(id).StoreCredit
		if len(credit) != 1 || credit[0].Amount != 43.15 {
			t.Fatalf("storeCredit=%+v, want [{43.15}]", credit)
		}

		for _, amount := range []float64{-1, 1.23456} {
			errs := e.mustReject(mutCreateCustomers,
				inVars(batch(customerIn("b@x.io", "storeCreditAmounts", []any{map[string]any{"amount": amount}}))), "customers")
			wantOneUserError(t, errs, "INVALID", "input.0.storeCreditAmounts.0.amount", 0)
		}
		if got, want := e.total("customers", nil), 1; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("C16_RegistrationIPEmpty", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		if got, want := e.mustCustomer(id).RegistrationIPAddress, ""; got != want {
			t.Fatalf("registrationIpAddress=%q, want %q (decision 17)", got, want)
		}
		if got, want := e.total("customers", map[string]any{"registrationIpAddressIn": []string{"127.0.0.1"}}), 0; got != want {
			t.Fatalf("customers registered from 127.0.0.1=%d, want %d", got, want)
		}
	})

	t.Run("Batch_OneBadItemWritesNothing", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		errs := e.mustReject(mutCreateCustomers, inVars(batch(
			customerIn("one@x.io", "addresses", []any{addressIn()}),
			customerIn("ab"),
			customerIn("three@x.io"))), "customers")
		wantOneUserError(t, errs, "INVALID", "input.1.email", 1)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
		if got, want := e.total("customerAddresses", nil), 0; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}
		if got := e.events(); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}
	})

	t.Run("Batch_EveryProblemReported", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		errs := e.mustReject(mutCreateCustomers, inVars(batch(
			customerIn("one@x.io", "firstName", ""),
			customerIn("two@x.io"),
			customerIn("three@x.io", "lastName", strings.Repeat("x", 101)))), "customers")
		if got, want := len(errs), 2; got != want {
			t.Fatalf("userErrors=%s, want %d", showUserErrors(errs), want)
		}
		wantUserError(t, errs, "REQUIRED", "input.0.firstName", 0)
		wantUserError(t, errs, "TOO_LONG", "input.2.lastName", 2)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("Batch_TooManyItems", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		items := make([]map[string]any, 11)
		for i := range items {
			items[i] = customerIn(fmt.Sprintf("c%d@x.io", i))
		}
		errs := e.mustReject(mutCreateCustomers, inVars(batch(items...)), "customers")
		wantOneUserError(t, errs, "TOO_MANY_ITEMS", "input", -1)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}

		errs = e.mustReject(mutCreateCustomers, inVars(batch()), "customers")
		wantOneUserError(t, errs, "REQUIRED", "input", -1)
	})

	t.Run("Batch_OneTimestamp", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		first := e.createCustomers(customerIn("a@x.io"), customerIn("b@x.io"), customerIn("c@x.io"))
		at := e.later(90 * time.Minute)
		second := e.createCustomers(customerIn("d@x.io"), customerIn("e@x.io"))

		stored := e.customers(nil)
		if got, want := len(stored), 5; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
		for i, c := range stored {
			want := nowText
			if i >= len(first) {
				want = at
			}
			if c.DateCreated != want || c.DateModified != want {
				t.Fatalf("customer %d dates=%s %s, want both %s", c.ID, c.DateCreated, c.DateModified, want)
			}
		}
		if got, want := second[0].DateCreated, at; got != want {
			t.Fatalf("payload dateCreated=%q, want %q", got, want)
		}
	})

	t.Run("Decision11_DuplicateAddressInList", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn(), addressIn(), addressIn("city", "Dallas")}))
		addrs := e.addresses(map[string]any{"customerIdIn": []int{id}})
		if got, want := len(addrs), 2; got != want {
			t.Fatalf("addresses=%d, want %d (an exact duplicate is written once)", got, want)
		}
		if got, want := addrs[0].Country, "United States"; got != want {
			t.Fatalf("country=%q, want %q", got, want)
		}
	})

	t.Run("UnknownGroup", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("a@x.io", "customerGroupId", 77))), "customers")
		wantOneUserError(t, errs, "NOT_FOUND", "input.0.customerGroupId", 0)
		if got, want := e.total("customers", nil), 0; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("Decision15_Channels", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(
			customerIn("a@x.io", "channelIds", []int{2, 3}, "originChannelId", 2),
			customerIn("b@x.io"))
		a, b := e.mustCustomer(out[0].ID), e.mustCustomer(out[1].ID)
		if got, want := a.ChannelIDs, []int{2, 3}; !slices.Equal(got, want) {
			t.Fatalf("channelIds=%v, want %v", got, want)
		}
		if got, want := a.OriginChannelID, 2; got != want {
			t.Fatalf("originChannelId=%d, want %d", got, want)
		}
		if b.ChannelIDs != nil || b.OriginChannelID != 1 {
			t.Fatalf("channelIds=%v originChannelId=%d, want null and 1", b.ChannelIDs, b.OriginChannelID)
		}
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("c@x.io", "channelIds", []int{}))), "customers")
		wantOneUserError(t, errs, "INVALID", "input.0.channelIds", 0)
	})

	t.Run("Events_Created", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(
			customerIn("a@x.io", "addresses", []any{addressIn(), addressIn("city", "Dallas")}),
			customerIn("b@x.io"))
		a := e.mustCustomer(out[0].ID)
		wantEvents(t, e.events(), storagetest.Now,
			customerEventLine("created", a.ID),
			addressEventLine("created", a.Addresses[0].ID, a.ID),
			addressEventLine("created", a.Addresses[1].ID, a.ID),
			customerEventLine("created", out[1].ID))
		if e.events()[0].Hash == e.events()[3].Hash {
			t.Fatalf("two events share the hash %s", e.events()[0].Hash)
		}
	})
}

func TestUpdateCustomers(t *testing.T) {
	t.Parallel()
	// full is a customer with every own field and sub-resource set.
	full := func(e *writeEnv) savedCustomer {
		e.t.Helper()
		g := e.createGroup(map[string]any{"name": "Wholesale"})
		attr := e.createAttributes("NUMBER", "Age")[0]
		return e.mustCustomer(e.createCustomer(customerIn("full@x.io",
			"company", "Acme", "phone", "555-0100", "notes", "old notes", "taxExemptCategory", "A",
			"customerGroupId", g.ID, "acceptsProductReviewAbandonedCartEmails", true, "channelIds", []int{1, 2},
			"addresses", []any{addressIn()}, "attributes", []any{map[string]any{"attributeId": attr, "value": "45"}},
			"storeCreditAmounts", []any{map[string]any{"amount": 10.5}},
			"authentication", map[string]any{"newPassword": "Passw0rd!", "forcePasswordReset": true})))
	}

	t.Run("C17_NoID", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		e.mustFailValidation(mutUpdateCustomers, inVars(batch(map[string]any{"firstName": "X"})))
		if got, want := e.mustCustomer(id).FirstName, "Ada"; got != want {
			t.Fatalf("firstName=%q, want %q", got, want)
		}
	})

	t.Run("C18_PartialUpdate", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		before := full(e)
		events := len(e.events())
		at := e.later(time.Hour)

		var out []savedCustomer
		e.mustWrite(mutUpdateCustomers, inVars(batch(map[string]any{"id": before.ID, "notes": "n"})), "customers", &out)
		after := e.mustCustomer(before.ID)
		if !reflect.DeepEqual(out, []savedCustomer{after}) {
			t.Fatalf("payload=%+v, want the stored %+v", out, after)
		}

		want := before
		want.Notes, want.DateModified = "n", at
		if !reflect.DeepEqual(after, want) {
			t.Fatalf("stored=\n%+v\nwant\n%+v", after, want)
		}
		wantEvents(t, e.eventsSince(events), storagetest.Now.Add(time.Hour), customerEventLine("updated", before.ID))
	})

	t.Run("C19_AddressesNotAccepted", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		before := full(e)
		e.mustFailValidation(mutUpdateCustomers, inVars(batch(map[string]any{
			"id": before.ID, "notes": "n", "addresses": []any{addressIn("city", "Dallas")}})))
		after := e.mustCustomer(before.ID)
		if !reflect.DeepEqual(after, before) {
			t.Fatalf("stored=\n%+v\nwant unchanged\n%+v", after, before)
		}
		if got, want := e.total("customerAddresses", nil), 1; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}
	})

	t.Run("Decision8_UnknownID", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		events := len(e.events())
		errs := e.mustReject(mutUpdateCustomers, inVars(batch(
			map[string]any{"id": id, "notes": "changed"},
			map[string]any{"id": 999, "notes": "changed"})), "customers")
		wantOneUserError(t, errs, "NOT_FOUND", "input.1.id", 1)
		if got, want := e.mustCustomer(id).Notes, ""; got != want {
			t.Fatalf("notes=%q, want %q", got, want)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}
	})

	t.Run("Decision7_DuplicateEmail", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(customerIn("one@x.io"), customerIn("two@x.io"))
		errs := e.mustReject(mutUpdateCustomers, inVars(batch(map[string]any{"id": out[1].ID, "email": "ONE@x.io"})), "customers")
		wantOneUserError(t, errs, "CONFLICT", "input.0.email", 0)
		if got, want := e.mustCustomer(out[1].ID).Email, "two@x.io"; got != want {
			t.Fatalf("email=%q, want %q", got, want)
		}

		// Also inside the batch.
		errs = e.mustReject(mutUpdateCustomers, inVars(batch(
			map[string]any{"id": out[0].ID, "email": "same@x.io"},
			map[string]any{"id": out[1].ID, "email": "Same@X.io"})), "customers")
		wantOneUserError(t, errs, "CONFLICT", "input.1.email", 1)
		if got, want := e.mustCustomer(out[0].ID).Email, "one@x.io"; got != want {
			t.Fatalf("email=%q, want %q", got, want)
		}
	})

	t.Run("Decision7_SwapEmails", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(customerIn("one@x.io"), customerIn("two@x.io"))
		e.mustWrite(mutUpdateCustomers, inVars(batch(
			map[string]any{"id": out[0].ID, "email": "two@x.io"},
			map[string]any{"id": out[1].ID, "email": "one@x.io"})), "customers", nil)
		if got, want := e.mustCustomer(out[0].ID).Email+" "+e.mustCustomer(out[1].ID).Email, "two@x.io one@x.io"; got != want {
			t.Fatalf("emails=%q, want %q", got, want)
		}
	})

	t.Run("Decision4_EmailCaseChange", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("one@x.io"))
		e.mustWrite(mutUpdateCustomers, inVars(batch(map[string]any{"id": id, "email": "One@X.io"})), "customers", nil)
		if got, want := e.mustCustomer(id).Email, "One@X.io"; got != want {
			t.Fatalf("email=%q, want %q (stored as given)", got, want)
		}
	})

	t.Run("Batch_OneBadItemWritesNothing", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(customerIn("one@x.io"), customerIn("two@x.io"), customerIn("three@x.io"))
		events := len(e.events())
		errs := e.mustReject(mutUpdateCustomers, inVars(batch(
			map[string]any{"id": out[0].ID, "lastName": "Changed"},
			map[string]any{"id": out[1].ID, "lastName": strings.Repeat("x", 101)},
			map[string]any{"id": out[2].ID, "lastName": "Changed"})), "customers")
		wantOneUserError(t, errs, "TOO_LONG", "input.1.lastName", 1)
		for _, c := range e.customers(nil) {
			if c.LastName != "Lovelace" {
				t.Fatalf("customer %d lastName=%q, want it unchanged", c.ID, c.LastName)
			}
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}
	})

	t.Run("Decision18_NoChangeKeepsDateModified", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		before := full(e)
		events := len(e.events())
		e.later(time.Hour)
		e.mustWrite(mutUpdateCustomers, inVars(batch(map[string]any{
			"id": before.ID, "notes": before.Notes, "email": before.Email, "channelIds": before.ChannelIDs,
			"storeCreditAmounts": []any{map[string]any{"amount": 10.5}}})), "customers", nil)
		if after := e.mustCustomer(before.ID); !reflect.DeepEqual(after, before) {
			t.Fatalf("stored=\n%+v\nwant unchanged\n%+v", after, before)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none for an update that changes nothing", eventLines(got))
		}
	})

	t.Run("Decision18_SubResourcesKeepDateModified", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createFormFields(map[string]any{"name": "color", "type": "TEXT", "appliesTo": "CUSTOMER"})
		before := full(e)
		events := len(e.events())
		at := storagetest.Now.Add(time.Hour)
		e.later(time.Hour)

		addr := before.Addresses[0].ID
		e.mustWrite(mutUpdateAddresses, inVars(batch(map[string]any{"id": addr, "city": "Dallas"})), "addresses", nil)
		newAddr := e.createAddresses(addressIn("customerId", before.ID, "city", "Houston"))[0]
		e.mustWrite(mutDeleteAddresses, idVars(newAddr), "deletedIds", nil)
		e.mustWrite(mutUpsertAttributeValues, inVars(batch(map[string]any{
			"customerId": before.ID, "attributeId": before.Attributes[0].AttributeID, "value": "46"})), "attributeValues", nil)
		e.mustWrite(mutUpsertFormFieldValues, inVars(batch(map[string]any{
			"customerId": before.ID, "name": "color", "value": "blue"})), "formFieldValues", nil)
		e.mustWrite(mutUpdateConsent, inVars(map[string]any{
			"customerId": before.ID, "allow": []string{"ESSENTIAL"}, "deny": []string{}}), "consent", nil)

		after := e.mustCustomer(before.ID)
		if got, want := after.DateModified, before.DateModified; got != want {
			t.Fatalf("dateModified=%q, want %q: only the customer's own fields move it", got, want)
		}
		if got, want := after.Addresses[0].City, "Dallas"; got != want {
			t.Fatalf("city=%q, want %q", got, want)
		}
		wantEvents(t, e.eventsSince(events), at,
			addressEventLine("updated", addr, before.ID),
			addressEventLine("created", newAddr, before.ID),
			addressEventLine("deleted", newAddr, before.ID))
	})

	t.Run("StoreCreditReplaced", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		before := full(e)
		e.mustWrite(mutUpdateCustomers, inVars(batch(map[string]any{"id": before.ID,
			"storeCreditAmounts": []any{map[string]any{"amount": 1.25}, map[string]any{"amount": 2}}})), "customers", nil)
		credit := e.mustCustomer(before.ID).StoreCredit
		if got, want := fmt.Sprint(credit), "[{1.25} {2}]"; got != want {
			t.Fatalf("storeCredit=%s, want %s", got, want)
		}
		e.mustWrite(`mutation($id: Int!) { updateCustomers(input: [{id: $id, storeCreditAmounts: null}]) { `+userErrorFields+` } }`,
			map[string]any{"id": before.ID}, "", nil)
		if got := e.mustCustomer(before.ID).StoreCredit; len(got) != 0 {
			t.Fatalf("storeCredit=%+v, want none after null", got)
		}
	})

	t.Run("NullsClear", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		before := full(e)
		e.mustWrite(`mutation($id: Int!) { updateCustomers(input: [{id: $id, customerGroupId: null, channelIds: null, company: ""}]) { `+
			userErrorFields+` } }`, map[string]any{"id": before.ID}, "", nil)
		after := e.mustCustomer(before.ID)
		if after.CustomerGroupID != nil || after.ChannelIDs != nil || after.Company != "" {
			t.Fatalf("customerGroupId=%v channelIds=%v company=%q, want null, null and empty",
				after.CustomerGroupID, after.ChannelIDs, after.Company)
		}
		if got, want := after.Notes, before.Notes; got != want {
			t.Fatalf("notes=%q, want %q", got, want)
		}
	})

	t.Run("NewPassword", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		before := full(e)
		errs := e.mustReject(mutUpdateCustomers, inVars(batch(map[string]any{"id": before.ID,
			"authentication": map[string]any{"newPassword": "short1"}})), "customers")
		wantOneUserError(t, errs, "INVALID", "input.0.authentication.newPassword", 0)
		if !e.passwordIs(before.ID, "Passw0rd!") {
			t.Fatalf("the old password no longer validates after a rejected update")
		}

		e.mustWrite(mutUpdateCustomers, inVars(batch(map[string]any{"id": before.ID,
			"authentication": map[string]any{"newPassword": "N3wPassword"}})), "customers", nil)
		if !e.passwordIs(before.ID, "N3wPassword") {
			t.Fatalf("the new password does not validate")
		}
		if e.passwordIs(before.ID, "Passw0rd!") {
			t.Fatalf("the old password still validates")
		}
		// Without authentication the password is kept (V2 C75).
		e.mustWrite(mutUpdateCustomers, inVars(batch(map[string]any{"id": before.ID, "notes": "x"})), "customers", nil)
		if !e.passwordIs(before.ID, "N3wPassword") {
			t.Fatalf("an update without authentication changed the password")
		}
	})

	t.Run("Batch_TooManyItems", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		var items []map[string]any
		for _, c := range append(e.createCustomers(nCustomers(10)...), e.createCustomers(customerIn("last@x.io"))...) {
			items = append(items, map[string]any{"id": c.ID, "notes": "changed"})
		}
		errs := e.mustReject(mutUpdateCustomers, inVars(batch(items...)), "customers")
		wantOneUserError(t, errs, "TOO_MANY_ITEMS", "input", -1)
		for _, c := range e.customers(nil) {
			if c.Notes != "" {
				t.Fatalf("customer %d notes=%q, want unchanged", c.ID, c.Notes)
			}
		}
	})
}

func TestDeleteCustomers(t *testing.T) {
	t.Parallel()
	t.Run("C20_NoIDs", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomers(customerIn("a@x.io"), customerIn("b@x.io"))
		events := len(e.events())
		var deleted []int
		e.mustWrite(mutDeleteCustomers, idVars(), "deletedIds", &deleted)
		if len(deleted) != 0 {
			t.Fatalf("deletedIds=%v, want []", deleted)
		}
		if got, want := e.total("customers", nil), 2; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}
	})

	t.Run("C21_DeleteTwo", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(nCustomers(6)...)
		if got, want := out[3].ID, 4; got != want {
			t.Fatalf("fourth id=%d, want %d", got, want)
		}
		events := len(e.events())
		var deleted []int
		e.mustWrite(mutDeleteCustomers, idVars(4, 5), "deletedIds", &deleted)
		if got, want := deleted, []int{4, 5}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		if got := e.customers(map[string]any{"idIn": []int{4, 5}}); len(got) != 0 {
			t.Fatalf("customers 4 and 5=%+v, want none", got)
		}
		if e.customer(4) != nil {
			t.Fatalf("customer(4) is not null")
		}
		if got, want := e.total("customers", nil), 4; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
		wantEvents(t, e.eventsSince(events), storagetest.Now, customerEventLine("deleted", 4), customerEventLine("deleted", 5))
	})

	t.Run("Decision8_UnknownIDsIgnored", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(customerIn("a@x.io"), customerIn("b@x.io"))
		events := len(e.events())
		var deleted []int
		e.mustWrite(mutDeleteCustomers, idVars(999, out[1].ID, out[1].ID), "deletedIds", &deleted)
		if got, want := deleted, []int{out[1].ID}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		if got := e.customers(nil); len(got) != 1 || got[0].ID != out[0].ID {
			t.Fatalf("customers=%+v, want only %d", got, out[0].ID)
		}
		wantEvents(t, e.eventsSince(events), storagetest.Now, customerEventLine("deleted", out[1].ID))
	})

	t.Run("Decision8_Cascade", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createFormFields(
			map[string]any{"name": "color", "type": "TEXT", "appliesTo": "CUSTOMER"},
			map[string]any{"name": "door", "type": "TEXT", "appliesTo": "ADDRESS"})
		attr := e.createAttributes("STRING", "Nickname")[0]
		// The second customer has the highest id, so a new customer may get
		// its id again: nothing of the deleted one may show up on it.
		var ids []int
		for _, email := range []string{"keep@x.io", "gone@x.io"} {
			ids = append(ids, e.createCustomer(customerIn(email,
				"addresses", []any{addressIn("formFields", []any{map[string]any{"name": "door", "value": "red"}})},
				"attributes", []any{map[string]any{"attributeId": attr, "value": email}},
				"formFields", []any{map[string]any{"name": "color", "value": email}},
				"storeCreditAmounts", []any{map[string]any{"amount": 5}})))
			e.mustWrite(mutUpdateConsent, inVars(map[string]any{
				"customerId": ids[len(ids)-1], "allow": []string{"ANALYTICS"}, "deny": []string{"TARGETING"}}), "consent", nil)
		}
		keep, gone := ids[0], ids[1]
		keepBefore, goneBefore := e.mustCustomer(keep), e.mustCustomer(gone)
		goneAddr := goneBefore.Addresses[0].ID

		var deleted []int
		e.mustWrite(mutDeleteCustomers, idVars(gone), "deletedIds", &deleted)
		if got, want := deleted, []int{gone}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}

		if got := e.addresses(map[string]any{"customerIdIn": []int{gone}}); len(got) != 0 {
			t.Fatalf("addresses of the deleted customer=%+v, want none", got)
		}
		if got := e.addresses(map[string]any{"idIn": []int{goneAddr}}); len(got) != 0 {
			t.Fatalf("address %d=%+v, want none", goneAddr, got)
		}
		if got := e.attributeValues(map[string]any{"customerIdIn": []int{gone}}); len(got) != 0 {
			t.Fatalf("attribute values of the deleted customer=%+v, want none", got)
		}
		if got := e.formFieldValues(map[string]any{"customerId": gone}); len(got) != 0 {
			t.Fatalf("form field values of the deleted customer=%+v, want none", got)
		}
		if got := e.formFieldValues(map[string]any{"addressId": goneAddr}); len(got) != 0 {
			t.Fatalf("form field values of the deleted address=%+v, want none", got)
		}
		if got, want := e.total("customerFormFieldValues", nil), 2; got != want {
			t.Fatalf("form field values=%d, want %d (the other customer's)", got, want)
		}
		if got, want := e.total("customerAttributeValues", nil), 1; got != want {
			t.Fatalf("attribute values=%d, want %d (the other customer's)", got, want)
		}
		ctx := context.Background()
		if consent, err := e.db.FindConsentByCustomerIDs(ctx, []int{gone}); err != nil || len(consent) != 0 {
			t.Fatalf("stored consent of the deleted customer=%v (%v), want none", consent, err)
		}
		if credit, err := e.db.FindStoreCreditByCustomerIDs(ctx, []int{gone}); err != nil || len(credit[gone]) != 0 {
			t.Fatalf("stored store credit of the deleted customer=%v (%v), want none", credit[gone], err)
		}
		if e.customer(gone) != nil {
			t.Fatalf("customer(%d) is not null", gone)
		}
		if got := e.mustCustomer(keep); !reflect.DeepEqual(got, keepBefore) {
			t.Fatalf("other customer=\n%+v\nwant unchanged\n%+v", got, keepBefore)
		}

		// A customer created next starts with nothing, whatever id it gets.
		fresh := e.mustCustomer(e.createCustomer(customerIn("fresh@x.io")))
		if fresh.AddressCount != 0 || fresh.AttributeCount != 0 || len(fresh.FormFields) != 0 ||
			len(fresh.StoreCredit) != 0 || fresh.Consent.UpdatedAt != nil || len(fresh.Consent.Allow) != 0 {
			t.Fatalf("new customer %d=%+v, want no sub-resources", fresh.ID, fresh)
		}
	})

	t.Run("Batch_TooManyItems", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		var all []int
		for _, c := range append(e.createCustomers(nCustomers(10)...), e.createCustomers(customerIn("last@x.io"))...) {
			all = append(all, c.ID)
		}
		errs := e.mustReject(mutDeleteCustomers, idVars(all...), "deletedIds")
		wantOneUserError(t, errs, "TOO_MANY_ITEMS", "idIn", -1)
		if got, want := e.total("customers", nil), 11; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})
}

// nCustomers returns n valid customer inputs with distinct emails.
func nCustomers(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = customerIn(fmt.Sprintf("customer%d@x.io", i+1))
	}
	return out
}

// passwordIs reports whether validateCustomerPassword accepts the password.
func (e *writeEnv) passwordIs(id int, password string) bool {
	e.t.Helper()
	var data struct {
		ValidateCustomerPassword struct {
			Success    bool
			UserErrors []userError
		}
	}
	e.s.mustQuery(mutValidatePassword, map[string]any{"id": id, "password": password}, &data)
	if errs := data.ValidateCustomerPassword.UserErrors; len(errs) > 0 {
		e.t.Fatalf("userErrors=%s", showUserErrors(errs))
	}
	return data.ValidateCustomerPassword.Success
}

// wantNoSecret fails when raw holds the password or a password hash.
func wantNoSecret(t *testing.T, what string, raw []byte, password string) {
	t.Helper()
	for _, secret := range []string{password, "argon2", "$argon"} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("%s holds %q: %s", what, secret, raw)
		}
	}
}

// selectAll builds a selection of every field of the object type typ, and
// of the objects it nests down to depth levels, from introspection. Fields
// with required arguments are left out (none on Customer today).
func (e *writeEnv) selectAll(typ string, depth int) string {
	e.t.Helper()
	type typeRef struct {
		Kind   string
		Name   *string
		OfType *typeRef
	}
	var data struct {
		Schema struct {
			Types []struct {
				Name   string
				Kind   string
				Fields []struct {
					Name string
					Args []struct {
						Type         typeRef
						DefaultValue *string
					}
					Type typeRef
				}
			}
		} `json:"__schema"`
	}
	e.s.mustQuery(`{ __schema { types { name kind fields { name args { type { kind } defaultValue }
		type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`, nil, &data)
	byName := map[string]int{}
	for i, t := range data.Schema.Types {
		byName[t.Name] = i
	}
	named := func(r typeRef) (string, string) {
		for r.OfType != nil {
			r = *r.OfType
		}
		return r.Kind, *r.Name
	}
	var build func(typ string, depth int) string
	build = func(typ string, depth int) string {
		var parts []string
		for _, f := range data.Schema.Types[byName[typ]].Fields {
			required := false
			for _, a := range f.Args {
				required = required || (a.Type.Kind == "NON_NULL" && a.DefaultValue == nil)
			}
			if required {
				continue
			}
			kind, name := named(f.Type)
			switch kind {
			case "SCALAR", "ENUM":
				parts = append(parts, f.Name)
			case "OBJECT":
				if depth > 0 {
					if sub := build(name, depth-1); sub != "" {
						parts = append(parts, f.Name+" { "+sub+" }")
					}
				}
			}
		}
		return strings.Join(parts, " ")
	}
	sel := build(typ, depth)
	if !strings.Contains(sel, "authentication { forcePasswordReset }") {
		e.t.Fatalf("selection of %s lacks authentication: %s", typ, sel)
	}
	return sel
}
