package graph_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/internal/testsize"
	"github.com/storefront/customers/storage/storagetest"
)

// End-to-end tests of the other mutations over HTTP and SQLite: addresses,
// attributes and their values, form field values, consent, credential
// checks, channel settings, customer groups and subscribers. They cover the
// digest's conformance cases C36-C62 and C83-C85 (domain/customers-spec.md
// §8) and the API.md decisions on writes, and read the stored state back
// through a query after every mutation.

func TestAddressWrites(t *testing.T) {
	t.Parallel()
	t.Run("C36_NoCustomerID", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomer(customerIn("a@x.io"))
		e.mustFailValidation(mutCreateAddresses, inVars(batch(addressIn())))

		errs := e.mustReject(mutCreateAddresses, inVars(batch(addressIn("customerId", 0))), "addresses")
		wantOneUserError(t, errs, "INVALID", "input.0.customerId", 0)
		errs = e.mustReject(mutCreateAddresses, inVars(batch(addressIn("customerId", 999))), "addresses")
		wantOneUserError(t, errs, "NOT_FOUND", "input.0.customerId", 0)
		if got, want := e.total("customerAddresses", nil), 0; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}
		if got := e.events(); len(got) != 1 {
			t.Fatalf("events=%v, want only the customer's creation", eventLines(got))
		}
	})

	t.Run("C37_CountryName", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		var out []savedAddress
		e.mustWrite(mutCreateAddresses, inVars(batch(addressIn("customerId", id, "countryCode", "us"))), "addresses", &out)
		if len(out) != 1 || out[0].ID < 1 {
			t.Fatalf("addresses=%+v, want one with an id", out)
		}
		if got, want := out[0].Country+" "+out[0].CountryCode, "United States US"; got != want {
			t.Fatalf("country=%q, want %q", got, want)
		}
		stored := e.addresses(map[string]any{"customerIdIn": []int{id}})
		if !reflect.DeepEqual(stored, out) {
			t.Fatalf("stored=%+v, want the payload %+v", stored, out)
		}
	})

	t.Run("C10_CountryCodeUSA", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		errs := e.mustReject(mutCreateAddresses, inVars(batch(addressIn("customerId", id, "countryCode", "USA"))), "addresses")
		wantOneUserError(t, errs, "INVALID", "input.0.countryCode", 0)
		if got, want := e.total("customerAddresses", nil), 0; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}
	})

	t.Run("C38_UpdateWithoutID", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn()}))
		before := e.addresses(nil)
		e.mustFailValidation(mutUpdateAddresses, inVars(batch(map[string]any{"customerId": id, "city": "Dallas"})))
		e.mustFailValidation(mutUpdateAddresses, inVars(batch(map[string]any{"city": "Dallas"})))
		if got := e.addresses(nil); !reflect.DeepEqual(got, before) {
			t.Fatalf("addresses=%+v, want unchanged %+v", got, before)
		}
	})

	t.Run("C40_Delete", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createFormFields(map[string]any{"name": "door", "type": "TEXT", "appliesTo": "ADDRESS"})
		id := e.createCustomer(customerIn("a@x.io"))
		addrs := e.createAddresses(
			addressIn("customerId", id, "formFields", []any{map[string]any{"name": "door", "value": "red"}}),
			addressIn("customerId", id, "city", "Dallas"))
		events := len(e.events())

		var deleted []int
		e.mustWrite(mutDeleteAddresses, idVars(addrs[0], 999), "deletedIds", &deleted)
		if got, want := deleted, []int{addrs[0]}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		if got := e.addresses(map[string]any{"idIn": []int{addrs[0]}}); len(got) != 0 {
			t.Fatalf("address %d=%+v, want gone", addrs[0], got)
		}
		if got := e.addresses(nil); len(got) != 1 || got[0].ID != addrs[1] {
			t.Fatalf("addresses=%+v, want only %d", got, addrs[1])
		}
		if got := e.formFieldValues(map[string]any{"addressId": addrs[0]}); len(got) != 0 {
			t.Fatalf("form field values of the deleted address=%+v, want none", got)
		}
		if got, want := e.mustCustomer(id).AddressCount, 1; got != want {
			t.Fatalf("addressCount=%d, want %d", got, want)
		}
		wantEvents(t, e.eventsSince(events), storagetest.Now, addressEventLine("deleted", addrs[0], id))
	})

	t.Run("Decision11_EmbeddedListWhole", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		var items []map[string]any
		for i := range 12 {
			items = append(items, addressIn("customerId", id, "address1", fmt.Sprintf("%d Main St", i+1)))
		}
		want := append(e.createAddresses(items[:10]...), e.createAddresses(items[10:]...)...)
		c := e.mustCustomer(id)
		var got []int
		for _, a := range c.Addresses {
			got = append(got, a.ID)
		}
		if !slices.Equal(got, want) || c.AddressCount != 12 {
			t.Fatalf("addresses=%v addressCount=%d, want all 12 %v", got, c.AddressCount, want)
		}
	})

	t.Run("FormFieldsOnUpdate", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createFormFields(map[string]any{"name": "door", "type": "TEXT", "appliesTo": "ADDRESS"})
		id := e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn()}))
		addr := e.addresses(nil)[0].ID
		events := len(e.events())
		e.mustWrite(mutUpdateAddresses, inVars(batch(map[string]any{"id": addr,
			"formFields": []any{map[string]any{"name": "door", "value": "green"}}})), "addresses", nil)
		got := e.addresses(nil)[0].FormFields
		if len(got) != 1 || got[0].Name != "door" || string(got[0].Value) != `"green"` {
			t.Fatalf("formFields=%+v, want door=green", got)
		}
		wantEvents(t, e.eventsSince(events), storagetest.Now, addressEventLine("updated", addr, id))

		errs := e.mustReject(mutUpdateAddresses, inVars(batch(map[string]any{"id": addr,
			"formFields": []any{map[string]any{"name": "door", "value": []string{"x"}}}})), "addresses")
		wantOneUserError(t, errs, "INVALID", "input.0.formFields.0.value", 0)
		if got := e.addresses(nil)[0].FormFields; string(got[0].Value) != `"green"` {
			t.Fatalf("formFields=%+v, want unchanged", got)
		}
	})

	t.Run("Decision11_DuplicateCreate", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn()}))
		events := len(e.events())

		var out []savedAddress
		e.mustWrite(mutCreateAddresses, inVars(batch(addressIn("customerId", id))), "addresses", &out)
		if len(out) != 0 {
			t.Fatalf("addresses=%+v, want [] for an exact duplicate", out)
		}
		if got, want := e.total("customerAddresses", nil), 1; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}

		// A batch of a duplicate and a new address writes the new one.
		e.mustWrite(mutCreateAddresses, inVars(batch(addressIn("customerId", id), addressIn("customerId", id, "phone", "555"))),
			"addresses", &out)
		if len(out) != 1 || out[0].Phone != "555" {
			t.Fatalf("addresses=%+v, want only the new one", out)
		}
		if got, want := e.total("customerAddresses", nil), 2; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}
		wantEvents(t, e.eventsSince(events), storagetest.Now, addressEventLine("created", out[0].ID, id))
	})

	t.Run("Decision11_UpdateNeedsOnlyID", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn("company", "Acme", "phone", "555")}))
		before := e.addresses(nil)[0]
		events := len(e.events())

		var out []savedAddress
		e.mustWrite(mutUpdateAddresses, inVars(batch(map[string]any{"id": before.ID, "city": "Dallas"})), "addresses", &out)
		after := e.addresses(nil)[0]
		want := before
		want.City = "Dallas"
		if !reflect.DeepEqual(after, want) {
			t.Fatalf("stored=%+v, want %+v", after, want)
		}
		if !reflect.DeepEqual(out, []savedAddress{after}) {
			t.Fatalf("payload=%+v, want %+v", out, after)
		}
		wantEvents(t, e.eventsSince(events), storagetest.Now, addressEventLine("updated", before.ID, id))
	})

	t.Run("Decision11_UpdateIntoDuplicate", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn(), addressIn("city", "Dallas")}))
		before := e.addresses(nil)
		events := len(e.events())
		var out []savedAddress
		e.mustWrite(mutUpdateAddresses, inVars(batch(map[string]any{"id": before[1].ID, "city": "Austin"})), "addresses", &out)
		if len(out) != 0 {
			t.Fatalf("addresses=%+v, want [] for a change into a duplicate", out)
		}
		if got := e.addresses(nil); !reflect.DeepEqual(got, before) {
			t.Fatalf("addresses=%+v, want unchanged %+v", got, before)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}
	})

	t.Run("Decision11_UpdateBatchOrderFree", func(t *testing.T) {
		t.Parallel()
		// Austin moves to Dallas while Dallas moves to Houston: after the
		// batch no two addresses are equal, whichever item comes first.
		for _, reverse := range []bool{false, true} {
			e := newWriteEnv(t)
			id := e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn(), addressIn("city", "Dallas")}))
			before := e.addresses(nil)
			items := []map[string]any{{"id": before[0].ID, "city": "Dallas"}, {"id": before[1].ID, "city": "Houston"}}
			if reverse {
				items[0], items[1] = items[1], items[0]
			}
			events := len(e.events())
			var out []savedAddress
			e.mustWrite(mutUpdateAddresses, inVars(batch(items...)), "addresses", &out)
			after := e.addresses(nil)
			if got, want := after[0].City+" "+after[1].City, "Dallas Houston"; got != want {
				t.Fatalf("reverse=%v: cities=%q, want %q", reverse, got, want)
			}
			if got, want := len(out), 2; got != want {
				t.Fatalf("reverse=%v: payload has %d addresses, want %d", reverse, got, want)
			}
			if got, want := len(e.eventsSince(events)), 2; got != want {
				t.Fatalf("reverse=%v: events=%d, want %d", reverse, got, want)
			}
			// And a swap.
			e.mustWrite(mutUpdateAddresses, inVars(batch(map[string]any{"id": before[0].ID, "city": "Houston"},
				map[string]any{"id": before[1].ID, "city": "Dallas"})), "addresses", &out)
			after = e.addresses(nil)
			if got, want := after[0].City+" "+after[1].City, "Houston Dallas"; got != want || len(out) != 2 {
				t.Fatalf("reverse=%v: after a swap cities=%q (payload %d), want %q", reverse, got, len(out), want)
			}
			if got, want := e.mustCustomer(id).AddressCount, 2; got != want {
				t.Fatalf("addressCount=%d, want %d", got, want)
			}
		}
	})

	t.Run("Decision11_TwoUpdatesIntoOne", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn(), addressIn("city", "Dallas")}))
		before := e.addresses(nil)
		var out []savedAddress
		e.mustWrite(mutUpdateAddresses, inVars(batch(map[string]any{"id": before[0].ID, "city": "Houston"},
			map[string]any{"id": before[1].ID, "city": "Houston"})), "addresses", &out)
		if len(out) != 1 || out[0].ID != before[0].ID {
			t.Fatalf("payload=%+v, want only the first address", out)
		}
		after := e.addresses(nil)
		if got, want := after[0].City+" "+after[1].City, "Houston Dallas"; got != want {
			t.Fatalf("cities=%q, want %q (no duplicate is made)", got, want)
		}
	})

	t.Run("Decision8_UpdateUnknownID", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn()}))
		before := e.addresses(nil)
		errs := e.mustReject(mutUpdateAddresses, inVars(batch(
			map[string]any{"id": before[0].ID, "city": "Dallas"},
			map[string]any{"id": 999, "city": "Dallas"})), "addresses")
		wantOneUserError(t, errs, "NOT_FOUND", "input.1.id", 1)
		if got := e.addresses(nil); !reflect.DeepEqual(got, before) {
			t.Fatalf("addresses=%+v, want unchanged %+v", got, before)
		}
	})

	t.Run("Batch_OneBadItemWritesNothing", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		events := len(e.events())
		errs := e.mustReject(mutCreateAddresses, inVars(batch(
			addressIn("customerId", id),
			addressIn("customerId", id, "city", "Dallas", "countryCode", "USA"),
			addressIn("customerId", id, "city", "Houston"))), "addresses")
		wantOneUserError(t, errs, "INVALID", "input.1.countryCode", 1)
		if got, want := e.total("customerAddresses", nil), 0; got != want {
			t.Fatalf("addresses=%d, want %d", got, want)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}

		// The same for an update: the good items stay unchanged.
		addrs := e.createAddresses(addressIn("customerId", id), addressIn("customerId", id, "city", "Dallas"),
			addressIn("customerId", id, "city", "Houston"))
		before := e.addresses(nil)
		events = len(e.events())
		errs = e.mustReject(mutUpdateAddresses, inVars(batch(
			map[string]any{"id": addrs[0], "phone": "1"},
			map[string]any{"id": addrs[1], "postalCode": strings.Repeat("9", 31)},
			map[string]any{"id": addrs[2], "phone": "1"})), "addresses")
		wantOneUserError(t, errs, "TOO_LONG", "input.1.postalCode", 1)
		if got := e.addresses(nil); !reflect.DeepEqual(got, before) {
			t.Fatalf("addresses=%+v, want unchanged %+v", got, before)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}
	})

	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		events := len(e.events())
		addrs := e.createAddresses(addressIn("customerId", id), addressIn("customerId", id, "city", "Dallas"))
		e.later(time.Minute)
		e.mustWrite(mutUpdateAddresses, inVars(batch(map[string]any{"id": addrs[1], "address2": "Suite 5"})), "addresses", nil)
		// An update that changes nothing records nothing.
		e.mustWrite(mutUpdateAddresses, inVars(batch(map[string]any{"id": addrs[0], "city": "Austin"})), "addresses", nil)
		e.mustWrite(mutDeleteAddresses, idVars(addrs...), "deletedIds", nil)
		got := e.eventsSince(events)
		wantEvents(t, got[:2], storagetest.Now,
			addressEventLine("created", addrs[0], id),
			addressEventLine("created", addrs[1], id))
		wantEvents(t, got[2:], storagetest.Now.Add(time.Minute),
			addressEventLine("updated", addrs[1], id),
			addressEventLine("deleted", addrs[0], id),
			addressEventLine("deleted", addrs[1], id))
	})
}

func TestAttributeWrites(t *testing.T) {
	t.Parallel()
	t.Run("C41_Create", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		var out []savedAttribute
		e.mustWrite(mutCreateAttributes, inVars(batch(map[string]any{"name": "Age", "type": "NUMBER"})), "attributes", &out)
		want := []savedAttribute{{ID: out[0].ID, Name: "Age", Type: "NUMBER", DateCreated: nowText, DateModified: nowText}}
		if out[0].ID < 1 || !reflect.DeepEqual(out, want) {
			t.Fatalf("attributes=%+v, want %+v", out, want)
		}
		if got := e.attributes(nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("stored=%+v, want %+v", got, want)
		}
	})

	t.Run("C42_TypeBoolean", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.mustFailValidation(mutCreateAttributes, inVars(batch(map[string]any{"name": "Flag", "type": "BOOLEAN"})))
		if got, want := e.total("customerAttributes", nil), 0; got != want {
			t.Fatalf("attributes=%d, want %d", got, want)
		}
	})

	t.Run("C43_FiftyPerStore", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createAttributes("STRING", nameSeq("Attr", 45)...)

		// A batch that would pass 50 writes none of its items.
		errs := e.mustReject(mutCreateAttributes, inVars(batch(attributeInputs("More", 6)...)), "attributes")
		wantOneUserError(t, errs, "LIMIT_EXCEEDED", "input", -1)
		if got, want := e.total("customerAttributes", nil), 45; got != want {
			t.Fatalf("attributes=%d, want %d", got, want)
		}

		e.createAttributes("STRING", nameSeq("More", 5)...)
		errs = e.mustReject(mutCreateAttributes, inVars(batch(attributeInputs("Last", 1)...)), "attributes")
		wantOneUserError(t, errs, "LIMIT_EXCEEDED", "input", -1)
		if got, want := e.total("customerAttributes", nil), 50; got != want {
			t.Fatalf("attributes=%d, want %d", got, want)
		}

		// Deleting one makes room again.
		e.mustWrite(mutDeleteAttributes, idVars(1), "deletedIds", nil)
		e.createAttributes("STRING", "Last 01")
		if got, want := e.total("customerAttributes", nil), 50; got != want {
			t.Fatalf("attributes=%d, want %d", got, want)
		}
	})

	t.Run("C44_Rename", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createAttributes("NUMBER", "Age")[0]
		at := e.later(time.Hour)
		var out []savedAttribute
		e.mustWrite(mutUpdateAttributes, inVars(batch(map[string]any{"id": id, "name": "Years"})), "attributes", &out)
		want := []savedAttribute{{ID: id, Name: "Years", Type: "NUMBER", DateCreated: nowText, DateModified: at}}
		if got := e.attributes(nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("stored=%+v, want %+v", got, want)
		}
		if !reflect.DeepEqual(out, want) {
			t.Fatalf("payload=%+v, want %+v", out, want)
		}
		// The current type may be restated.
		e.mustWrite(mutUpdateAttributes, inVars(batch(map[string]any{"id": id, "name": "Age", "type": "NUMBER"})), "attributes", nil)
		if got, want := e.attributes(nil)[0].Name, "Age"; got != want {
			t.Fatalf("name=%q, want %q", got, want)
		}
	})

	t.Run("Decision9_TypeImmutable", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createAttributes("NUMBER", "Age")[0]
		before := e.attributes(nil)
		errs := e.mustReject(mutUpdateAttributes, inVars(batch(map[string]any{"id": id, "name": "Birthday", "type": "DATE"})), "attributes")
		wantOneUserError(t, errs, "IMMUTABLE", "input.0.type", 0)
		if got := e.attributes(nil); !reflect.DeepEqual(got, before) {
			t.Fatalf("stored=%+v, want unchanged %+v", got, before)
		}
	})

	t.Run("Decision8_UpdateUnknownID", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createAttributes("STRING", "Nickname")[0]
		errs := e.mustReject(mutUpdateAttributes, inVars(batch(
			map[string]any{"id": id, "name": "Alias"},
			map[string]any{"id": 999, "name": "Other"})), "attributes")
		wantOneUserError(t, errs, "NOT_FOUND", "input.1.id", 1)
		if got, want := e.attributes(nil)[0].Name, "Nickname"; got != want {
			t.Fatalf("name=%q, want %q", got, want)
		}
	})

	t.Run("NameConflict", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createAttributes("STRING", "Nickname")
		errs := e.mustReject(mutCreateAttributes, inVars(batch(
			map[string]any{"name": "Other", "type": "STRING"},
			map[string]any{"name": "Nickname", "type": "STRING"})), "attributes")
		wantOneUserError(t, errs, "CONFLICT", "input.1.name", 1)
		if got, want := e.total("customerAttributes", nil), 1; got != want {
			t.Fatalf("attributes=%d, want %d", got, want)
		}
	})

	t.Run("C45_DeleteRemovesValues", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		attrs := e.createAttributes("STRING", "Nickname", "Team")
		values := []any{map[string]any{"attributeId": attrs[0], "value": "x"}, map[string]any{"attributeId": attrs[1], "value": "y"}}
		out := e.createCustomers(customerIn("a@x.io", "attributes", values), customerIn("b@x.io", "attributes", values))

		var deleted []int
		e.mustWrite(mutDeleteAttributes, idVars(attrs[0]), "deletedIds", &deleted)
		if got, want := deleted, []int{attrs[0]}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		if got := e.attributeValues(map[string]any{"attributeIdIn": []int{attrs[0]}}); len(got) != 0 {
			t.Fatalf("values of the deleted attribute=%+v, want none", got)
		}
		if got, want := len(e.attributeValues(map[string]any{"attributeIdIn": []int{attrs[1]}})), 2; got != want {
			t.Fatalf("values of the other attribute=%d, want %d", got, want)
		}
		for _, c := range out {
			if got, want := e.mustCustomer(c.ID).AttributeCount, 1; got != want {
				t.Fatalf("customer %d attributeCount=%d, want %d", c.ID, got, want)
			}
		}
		if got := e.attributes(nil); len(got) != 1 || got[0].ID != attrs[1] {
			t.Fatalf("attributes=%+v, want only %d", got, attrs[1])
		}
	})
}

// attributeInputs returns n attribute definition inputs named prefix NN.
func attributeInputs(prefix string, n int) []map[string]any {
	var out []map[string]any
	for _, name := range nameSeq(prefix, n) {
		out = append(out, map[string]any{"name": name, "type": "STRING"})
	}
	return out
}

func TestAttributeValueWrites(t *testing.T) {
	t.Parallel()
	// setup makes a customer and attributes of each type.
	setup := func(t *testing.T) (e *writeEnv, customer, str, num, date int) {
		e = newWriteEnv(t)
		customer = e.createCustomer(customerIn("a@x.io"))
		str = e.createAttributes("STRING", "Nickname")[0]
		num = e.createAttributes("NUMBER", "Age")[0]
		date = e.createAttributes("DATE", "Joined")[0]
		return e, customer, str, num, date
	}
	value := func(customer, attr int, v string) map[string]any {
		return map[string]any{"customerId": customer, "attributeId": attr, "value": v}
	}

	t.Run("C47_ElevenItems", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		attrs := e.createAttributes("STRING", nameSeq("Attr", 11)...)
		customer := e.createCustomer(customerIn("a@x.io"))
		var items []map[string]any
		for _, a := range attrs {
			items = append(items, value(customer, a, "v"))
		}
		errs := e.mustReject(mutUpsertAttributeValues, inVars(batch(items...)), "attributeValues")
		wantOneUserError(t, errs, "TOO_MANY_ITEMS", "input", -1)
		if got, want := e.total("customerAttributeValues", nil), 0; got != want {
			t.Fatalf("values=%d, want %d", got, want)
		}
	})

	t.Run("C48_UpsertKeepsID", func(t *testing.T) {
		t.Parallel()
		e, customer, _, num, _ := setup(t)
		var first, second []savedAttributeValue
		e.mustWrite(mutUpsertAttributeValues, inVars(batch(value(customer, num, "45"))), "attributeValues", &first)
		at := e.later(time.Hour)
		e.mustWrite(mutUpsertAttributeValues, inVars(batch(value(customer, num, "46"))), "attributeValues", &second)

		stored := e.attributeValues(map[string]any{"customerIdIn": []int{customer}})
		want := []savedAttributeValue{{ID: first[0].ID, CustomerID: customer, AttributeID: num, Value: "46",
			DateCreated: nowText, DateModified: at}}
		if !reflect.DeepEqual(stored, want) {
			t.Fatalf("stored=%+v, want %+v", stored, want)
		}
		if !reflect.DeepEqual(second, want) {
			t.Fatalf("payload=%+v, want %+v", second, want)
		}

		// Naming the record by id works too.
		e.mustWrite(mutUpsertAttributeValues, inVars(batch(with1(value(customer, num, "47"), "id", first[0].ID))), "attributeValues", nil)
		if got := e.attributeValues(nil); len(got) != 1 || got[0].ID != first[0].ID || got[0].Value != "47" {
			t.Fatalf("stored=%+v, want value 47 on id %d", got, first[0].ID)
		}
	})

	t.Run("Decision9_IDOfAnotherPair", func(t *testing.T) {
		t.Parallel()
		e, customer, str, num, _ := setup(t)
		var out []savedAttributeValue
		e.mustWrite(mutUpsertAttributeValues, inVars(batch(value(customer, num, "45"), value(customer, str, "x"))), "attributeValues", &out)
		before := e.attributeValues(nil)
		errs := e.mustReject(mutUpsertAttributeValues, inVars(batch(with1(value(customer, num, "46"), "id", out[1].ID))), "attributeValues")
		wantOneUserError(t, errs, "INVALID", "input.0.id", 0)
		errs = e.mustReject(mutUpsertAttributeValues, inVars(batch(with1(value(customer, num, "46"), "id", 999))), "attributeValues")
		wantOneUserError(t, errs, "NOT_FOUND", "input.0.id", 0)
		if got := e.attributeValues(nil); !reflect.DeepEqual(got, before) {
			t.Fatalf("stored=%+v, want unchanged %+v", got, before)
		}
	})

	t.Run("C49_NumberReturnedAsString", func(t *testing.T) {
		t.Parallel()
		e, customer, _, num, _ := setup(t)
		e.mustWrite(mutUpsertAttributeValues, inVars(batch(value(customer, num, "45"))), "attributeValues", nil)
		r := e.s.do(`{ customerAttributeValues { nodes { value } } }`, nil)
		if got, want := string(r.Data), `{"customerAttributeValues":{"nodes":[{"value":"45"}]}}`; got != want {
			t.Fatalf("data=%s, want %s", got, want)
		}
	})

	t.Run("C50_TooLong", func(t *testing.T) {
		t.Parallel()
		e, customer, str, _, _ := setup(t)
		errs := e.mustReject(mutUpsertAttributeValues, inVars(batch(value(customer, str, strings.Repeat("x", 256)))), "attributeValues")
		wantOneUserError(t, errs, "TOO_LONG", "input.0.value", 0)
		if got, want := e.total("customerAttributeValues", nil), 0; got != want {
			t.Fatalf("values=%d, want %d", got, want)
		}
		e.mustWrite(mutUpsertAttributeValues, inVars(batch(value(customer, str, strings.Repeat("x", 255)))), "attributeValues", nil)
		if got := e.attributeValues(nil); len(got) != 1 || len(got[0].Value) != 255 {
			t.Fatalf("stored=%+v, want one 255-character value", got)
		}
	})

	t.Run("C51_Delete", func(t *testing.T) {
		t.Parallel()
		e, customer, str, num, _ := setup(t)
		var out []savedAttributeValue
		e.mustWrite(mutUpsertAttributeValues, inVars(batch(value(customer, str, "x"), value(customer, num, "1"))), "attributeValues", &out)
		var deleted []int
		e.mustWrite(mutDeleteAttributeValues, idVars(out[0].ID, 999), "deletedIds", &deleted)
		if got, want := deleted, []int{out[0].ID}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		if got := e.attributeValues(nil); len(got) != 1 || got[0].ID != out[1].ID {
			t.Fatalf("stored=%+v, want only %d", got, out[1].ID)
		}
		if got, want := e.total("customerAttributes", nil), 3; got != want {
			t.Fatalf("attributes=%d, want %d (definitions stay)", got, want)
		}
	})

	t.Run("Decision9_ValueSuitsType", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name, typ, value, code string
		}{
			{"NumberAbc", "num", "abc", "INVALID"},
			{"NumberEmpty", "num", "", "INVALID"},
			{"DateFeb30", "date", "2024-02-30", "INVALID"},
			{"DateText", "date", "yesterday", "INVALID"},
			{"NumberInf", "num", "Inf", "INVALID"},
			{"NumberNaN", "num", "NaN", "INVALID"},
			{"NumberHex", "num", "0x1p4", "INVALID"},
			{"NumberUnderscores", "num", "1_000", "INVALID"},
			{"NumberOutOfRange", "num", "1e999", "INVALID"},
			{"NumberOK", "num", "12.5", ""},
			{"NumberExponentOK", "num", "-3.5e2", ""},
			{"DateOK", "date", "2024-02-29", ""},
			{"DateTimeOK", "date", "2024-02-29T10:00:00Z", ""},
			{"StringEmptyOK", "str", "", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e, customer, str, num, date := setup(t)
				attr := map[string]int{"str": str, "num": num, "date": date}[tt.typ]
				if tt.code == "" {
					e.mustWrite(mutUpsertAttributeValues, inVars(batch(value(customer, attr, tt.value))), "attributeValues", nil)
					if got := e.attributeValues(nil); len(got) != 1 || got[0].Value != tt.value {
						t.Fatalf("stored=%+v, want %q", got, tt.value)
					}
					return
				}
				errs := e.mustReject(mutUpsertAttributeValues, inVars(batch(value(customer, attr, tt.value))), "attributeValues")
				wantOneUserError(t, errs, tt.code, "input.0.value", 0)
				if got, want := e.total("customerAttributeValues", nil), 0; got != want {
					t.Fatalf("values=%d, want %d", got, want)
				}
			})
		}
		// On a customer create too.
		t.Run("OnCreate", func(t *testing.T) {
			t.Parallel()
			e, _, _, num, _ := setup(t)
			errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("b@x.io",
				"attributes", []any{map[string]any{"attributeId": num, "value": "abc"}}))), "customers")
			wantOneUserError(t, errs, "INVALID", "input.0.attributes.0.value", 0)
			if got, want := e.total("customers", nil), 1; got != want {
				t.Fatalf("customers=%d, want %d", got, want)
			}
		})
	})

	t.Run("Batch_OneBadItemWritesNothing", func(t *testing.T) {
		t.Parallel()
		e, customer, str, num, date := setup(t)
		errs := e.mustReject(mutUpsertAttributeValues, inVars(batch(
			value(customer, str, "x"), value(customer, num, "abc"), value(customer, date, "2024-01-01"))), "attributeValues")
		wantOneUserError(t, errs, "INVALID", "input.1.value", 1)
		if got, want := e.total("customerAttributeValues", nil), 0; got != want {
			t.Fatalf("values=%d, want %d", got, want)
		}
	})

	t.Run("UnknownCustomerOrAttribute", func(t *testing.T) {
		t.Parallel()
		e, customer, str, _, _ := setup(t)
		errs := e.mustReject(mutUpsertAttributeValues, inVars(batch(value(999, str, "x"), value(customer, 999, "x"))), "attributeValues")
		if got, want := len(errs), 2; got != want {
			t.Fatalf("userErrors=%s, want %d", showUserErrors(errs), want)
		}
		wantUserError(t, errs, "NOT_FOUND", "input.0.customerId", 0)
		wantUserError(t, errs, "NOT_FOUND", "input.1.attributeId", 1)
		if got, want := e.total("customerAttributeValues", nil), 0; got != want {
			t.Fatalf("values=%d, want %d", got, want)
		}
	})
}

// with1 returns a copy of m with k set to v.
func with1(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}

func TestFormFieldValueWrites(t *testing.T) {
	t.Parallel()
	// setup defines one form field of each kind the cases need, and a
	// customer with an address.
	setup := func(t *testing.T) (e *writeEnv, customer, address int) {
		e = newWriteEnv(t)
		e.createFormFields(
			map[string]any{"name": "color", "type": "TEXT", "appliesTo": "CUSTOMER"},
			map[string]any{"name": "colors", "type": "CHECKBOXES", "appliesTo": "ADDRESS", "options": []string{"red", "green", "blue"}},
			map[string]any{"name": "size", "type": "PICKLIST", "appliesTo": "CUSTOMER", "options": []string{"S", "M", "L"}},
			map[string]any{"name": "age", "type": "NUMBERS", "appliesTo": "CUSTOMER"},
			map[string]any{"name": "birthday", "type": "DATE", "appliesTo": "CUSTOMER"})
		customer = e.createCustomer(customerIn("a@x.io", "addresses", []any{addressIn()}))
		address = e.mustCustomer(customer).Addresses[0].ID
		return e, customer, address
	}
	onCustomer := func(customer int, name string, v any) map[string]any {
		return map[string]any{"customerId": customer, "name": name, "value": v}
	}
	onAddress := func(address int, name string, v any) map[string]any {
		return map[string]any{"addressId": address, "name": name, "value": v}
	}

	t.Run("C52_CustomerValue", func(t *testing.T) {
		t.Parallel()
		e, customer, _ := setup(t)
		e.mustWrite(mutUpsertFormFieldValues, inVars(batch(onCustomer(customer, "color", "blue"))), "formFieldValues", nil)
		got := e.formFieldValues(map[string]any{"customerId": customer})
		if len(got) != 1 || got[0].Name != "color" || string(got[0].Value) != `"blue"` || got[0].CustomerID == nil ||
			*got[0].CustomerID != customer || got[0].AddressID != nil {
			t.Fatalf("values=%+v, want color=blue on customer %d", got, customer)
		}

		// An upsert replaces the value of the pair.
		e.mustWrite(mutUpsertFormFieldValues, inVars(batch(onCustomer(customer, "color", "red"))), "formFieldValues", nil)
		got = e.formFieldValues(nil)
		if len(got) != 1 || string(got[0].Value) != `"red"` {
			t.Fatalf("values=%+v, want only color=red", got)
		}
		if ff := e.mustCustomer(customer).FormFields; len(ff) != 1 || string(ff[0].Value) != `"red"` {
			t.Fatalf("customer formFields=%+v, want color=red", ff)
		}
	})

	t.Run("C53_AddressList", func(t *testing.T) {
		t.Parallel()
		e, _, address := setup(t)
		var out []savedFormFieldValue
		e.mustWrite(mutUpsertFormFieldValues, inVars(batch(onAddress(address, "colors", []string{"red", "green"}))), "formFieldValues", &out)
		got := e.formFieldValues(map[string]any{"addressId": address})
		if len(got) != 1 || string(got[0].Value) != `["red","green"]` || got[0].AddressID == nil || *got[0].AddressID != address ||
			got[0].CustomerID != nil {
			t.Fatalf("values=%+v, want colors=[red green] on address %d", got, address)
		}
		if !reflect.DeepEqual(out, got) {
			t.Fatalf("payload=%+v, want %+v", out, got)
		}
	})

	t.Run("C54_NoOwner", func(t *testing.T) {
		t.Parallel()
		e, customer, address := setup(t)
		errs := e.mustReject(mutUpsertFormFieldValues, inVars(batch(map[string]any{"name": "color", "value": "blue"})), "formFieldValues")
		wantOneUserError(t, errs, "REQUIRED", "input.0.customerId", 0)
		errs = e.mustReject(mutUpsertFormFieldValues, inVars(batch(with1(onCustomer(customer, "color", "blue"), "addressId", address))),
			"formFieldValues")
		wantOneUserError(t, errs, "INVALID", "input.0.addressId", 0)
		if got, want := e.total("customerFormFieldValues", nil), 0; got != want {
			t.Fatalf("values=%d, want %d", got, want)
		}
	})

	t.Run("Decision10_ValueSuitsField", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name  string
			item  func(customer, address int) map[string]any
			code  string // "" when accepted
			field string
			want  string // the stored JSON when accepted
		}{
			{"CheckboxesList", func(_, a int) map[string]any { return onAddress(a, "colors", []string{"blue"}) }, "", "", `["blue"]`},
			{"CheckboxesString", func(_, a int) map[string]any { return onAddress(a, "colors", "red") }, "INVALID", "value", ""},
			{"CheckboxesNotAnOption", func(_, a int) map[string]any { return onAddress(a, "colors", []string{"purple"}) }, "INVALID", "value", ""},
			{"CheckboxesTwice", func(_, a int) map[string]any { return onAddress(a, "colors", []string{"red", "red"}) }, "INVALID", "value", ""},
			{"PicklistOption", func(c, _ int) map[string]any { return onCustomer(c, "size", "M") }, "", "", `"M"`},
			{"PicklistList", func(c, _ int) map[string]any { return onCustomer(c, "size", []string{"M"}) }, "INVALID", "value", ""},
			{"PicklistNotAnOption", func(c, _ int) map[string]any { return onCustomer(c, "size", "XL") }, "INVALID", "value", ""},
			{"NumbersNumber", func(c, _ int) map[string]any { return onCustomer(c, "age", 42) }, "", "", `42`},
			{"NumbersNumericString", func(c, _ int) map[string]any { return onCustomer(c, "age", "42.5") }, "", "", `42.5`},
			{"NumbersText", func(c, _ int) map[string]any { return onCustomer(c, "age", "abc") }, "INVALID", "value", ""},
			{"NumbersList", func(c, _ int) map[string]any { return onCustomer(c, "age", []string{"1"}) }, "INVALID", "value", ""},
			{"TextNumber", func(c, _ int) map[string]any { return onCustomer(c, "color", 7) }, "INVALID", "value", ""},
			{"DateOK", func(c, _ int) map[string]any { return onCustomer(c, "birthday", "2024-02-29") }, "", "", `"2024-02-29"`},
			{"DateFeb30", func(c, _ int) map[string]any { return onCustomer(c, "birthday", "2024-02-30") }, "INVALID", "value", ""},
			{"UnknownName", func(c, _ int) map[string]any { return onCustomer(c, "shoe", "42") }, "NOT_FOUND", "name", ""},
			{"AddressFieldOnCustomer", func(c, _ int) map[string]any { return onCustomer(c, "colors", []string{"red"}) }, "INVALID", "name", ""},
			{"CustomerFieldOnAddress", func(_, a int) map[string]any { return onAddress(a, "color", "blue") }, "INVALID", "name", ""},
			{"UnknownCustomer", func(_, _ int) map[string]any { return onCustomer(999, "color", "blue") }, "NOT_FOUND", "customerId", ""},
			{"UnknownAddress", func(_, _ int) map[string]any { return onAddress(999, "colors", []string{"red"}) }, "NOT_FOUND", "addressId", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e, customer, address := setup(t)
				item := tt.item(customer, address)
				if tt.code == "" {
					e.mustWrite(mutUpsertFormFieldValues, inVars(batch(item)), "formFieldValues", nil)
					got := e.formFieldValues(nil)
					if len(got) != 1 || string(got[0].Value) != tt.want {
						t.Fatalf("values=%+v, want one %s", got, tt.want)
					}
					return
				}
				errs := e.mustReject(mutUpsertFormFieldValues, inVars(batch(item)), "formFieldValues")
				wantOneUserError(t, errs, tt.code, "input.0."+tt.field, 0)
				if got, want := e.total("customerFormFieldValues", nil), 0; got != want {
					t.Fatalf("values=%d, want %d", got, want)
				}
			})
		}
	})

	t.Run("Decision10_OnCustomerCreate", func(t *testing.T) {
		t.Parallel()
		e, _, _ := setup(t)
		errs := e.mustReject(mutCreateCustomers, inVars(batch(customerIn("b@x.io",
			"formFields", []any{map[string]any{"name": "shoe", "value": "x"}},
			"addresses", []any{addressIn("formFields", []any{map[string]any{"name": "size", "value": "M"}})}))), "customers")
		if got, want := len(errs), 2; got != want {
			t.Fatalf("userErrors=%s, want %d", showUserErrors(errs), want)
		}
		wantUserError(t, errs, "NOT_FOUND", "input.0.formFields.0.name", 0)
		wantUserError(t, errs, "INVALID", "input.0.addresses.0.formFields.0.name", 0)
		if got, want := e.total("customers", nil), 1; got != want {
			t.Fatalf("customers=%d, want %d", got, want)
		}
	})

	t.Run("Batch_OneBadItemWritesNothing", func(t *testing.T) {
		t.Parallel()
		e, customer, address := setup(t)
		errs := e.mustReject(mutUpsertFormFieldValues, inVars(batch(
			onCustomer(customer, "color", "blue"),
			onCustomer(customer, "size", "XL"),
			onAddress(address, "colors", []string{"red"}))), "formFieldValues")
		wantOneUserError(t, errs, "INVALID", "input.1.value", 1)
		if got, want := e.total("customerFormFieldValues", nil), 0; got != want {
			t.Fatalf("values=%d, want %d", got, want)
		}
	})
}

func TestConsentWrites(t *testing.T) {
	t.Parallel()
	consent := func(customer int, allow, deny []string) map[string]any {
		return inVars(map[string]any{"customerId": customer, "allow": allow, "deny": deny})
	}
	// stored reads the consent back both ways, which must agree.
	stored := func(e *writeEnv, customer int) savedConsent {
		e.t.Helper()
		var data struct{ CustomerConsent savedConsent }
		e.s.mustQuery(`query($id: Int!) { customerConsent(customerId: $id) { customerId allow deny updatedAt } }`,
			map[string]any{"id": customer}, &data)
		if got := e.mustCustomer(customer).Consent; !reflect.DeepEqual(got, data.CustomerConsent) {
			e.t.Fatalf("customer.consent=%+v, customerConsent=%+v: they differ", got, data.CustomerConsent)
		}
		return data.CustomerConsent
	}

	t.Run("C56_Update", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		if got := stored(e, id); got.UpdatedAt != nil || len(got.Allow)+len(got.Deny) != 0 {
			t.Fatalf("consent=%+v, want empty and never updated", got)
		}
		var out savedConsent
		e.mustWrite(mutUpdateConsent, consent(id, []string{"ESSENTIAL", "ANALYTICS"}, []string{"TARGETING"}), "consent", &out)
		want := savedConsent{CustomerID: id, Allow: []string{"ESSENTIAL", "ANALYTICS"}, Deny: []string{"TARGETING"}, UpdatedAt: &nowText}
		if !reflect.DeepEqual(out, want) {
			t.Fatalf("payload=%+v, want %+v", out, want)
		}
		if got := stored(e, id); !reflect.DeepEqual(got, want) {
			t.Fatalf("stored=%+v, want %+v", got, want)
		}
	})

	for _, tt := range []struct {
		name        string
		allow, deny []string
		path        string
	}{
		{"C57_Duplicated", []string{"ESSENTIAL", "ESSENTIAL"}, []string{}, "input.allow.1"},
		{"Decision12_AllowedAndDenied", []string{"ANALYTICS"}, []string{"FUNCTIONAL", "ANALYTICS"}, "input.deny.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newWriteEnv(t)
			id := e.createCustomer(customerIn("a@x.io"))
			e.mustWrite(mutUpdateConsent, consent(id, []string{"FUNCTIONAL"}, []string{"TARGETING"}), "consent", nil)
			before := stored(e, id)
			errs := e.mustReject(mutUpdateConsent, consent(id, tt.allow, tt.deny), "consent")
			wantOneUserError(t, errs, "INVALID", tt.path, -1)
			if got := stored(e, id); !reflect.DeepEqual(got, before) {
				t.Fatalf("stored=%+v, want unchanged %+v", got, before)
			}
		})
	}

	t.Run("C57_UnknownCategory", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io"))
		e.mustWrite(mutUpdateConsent, consent(id, []string{"FUNCTIONAL"}, []string{}), "consent", nil)
		before := stored(e, id)
		e.mustFailValidation(mutUpdateConsent, consent(id, []string{"MARKETING"}, []string{}))
		if got := stored(e, id); !reflect.DeepEqual(got, before) {
			t.Fatalf("stored=%+v, want unchanged %+v", got, before)
		}
	})

	t.Run("UnknownCustomer", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		errs := e.mustReject(mutUpdateConsent, consent(999, []string{"ESSENTIAL"}, []string{}), "consent")
		wantOneUserError(t, errs, "NOT_FOUND", "input.customerId", -1)
	})
}

// credentials runs validateCustomerCredentials; channel 0 leaves channelId
// out.
func (e *writeEnv) credentials(email, password string, channel int) (valid bool, customerID *int) {
	e.t.Helper()
	var data struct {
		ValidateCustomerCredentials struct {
			IsValid    bool
			CustomerID *int `json:"customerId"`
			UserErrors []userError
		}
	}
	if channel == 0 {
		e.s.mustQuery(mutValidateCredentialsNoChannel, map[string]any{"email": email, "password": password}, &data)
	} else {
		e.s.mustQuery(mutValidateCredentials, map[string]any{"email": email, "password": password, "channel": channel}, &data)
	}
	p := data.ValidateCustomerCredentials
	if len(p.UserErrors) > 0 {
		e.t.Fatalf("userErrors=%s", showUserErrors(p.UserErrors))
	}
	if p.IsValid != (p.CustomerID != nil) {
		e.t.Fatalf("isValid=%v customerId=%v: customerId must be set exactly when valid", p.IsValid, p.CustomerID)
	}
	return p.IsValid, p.CustomerID
}

func TestValidateCustomerCredentials(t *testing.T) {
	t.Parallel()
	const password = "Corr3ct horse"

	t.Run("C58_MissingPassword", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomer(customerIn("a@x.io", "authentication", map[string]any{"newPassword": password}))
		e.mustFailValidation(`mutation { validateCustomerCredentials(email: "a@x.io") { isValid customerId } }`, nil)
		e.mustFailValidation(`mutation { validateCustomerCredentials(password: "x") { isValid customerId } }`, nil)
	})

	t.Run("C59_RightAndWrong", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		id := e.createCustomer(customerIn("a@x.io", "authentication", map[string]any{"newPassword": password}))
		if valid, got := e.credentials("a@x.io", password, 1); !valid || *got != id {
			t.Fatalf("right password: isValid=%v customerId=%v, want true %d", valid, got, id)
		}
		if valid, _ := e.credentials("A@X.io", password, 1); !valid {
			t.Fatalf("right password, email in other case: isValid=false, want true")
		}
		if valid, _ := e.credentials("a@x.io", password+"x", 1); valid {
			t.Fatalf("wrong password: isValid=true, want false")
		}
		if valid, _ := e.credentials("nobody@x.io", password, 1); valid {
			t.Fatalf("unknown email: isValid=true, want false")
		}
	})

	t.Run("C60_DefaultChannel", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		out := e.createCustomers(
			customerIn("global@x.io", "authentication", map[string]any{"newPassword": password}),
			customerIn("two@x.io", "channelIds", []int{2}, "authentication", map[string]any{"newPassword": password}))
		if valid, got := e.credentials("global@x.io", password, 0); !valid || *got != out[0].ID {
			t.Fatalf("no channelId: isValid=%v customerId=%v, want true %d", valid, got, out[0].ID)
		}
		// Restricted to channel 2: invalid on channel 1, the default.
		if valid, _ := e.credentials("two@x.io", password, 0); valid {
			t.Fatalf("channel-2 customer, no channelId: isValid=true, want false")
		}
		if valid, _ := e.credentials("two@x.io", password, 1); valid {
			t.Fatalf("channel-2 customer on channel 1: isValid=true, want false")
		}
		if valid, got := e.credentials("two@x.io", password, 2); !valid || *got != out[1].ID {
			t.Fatalf("channel-2 customer on channel 2: isValid=%v customerId=%v, want true %d", valid, got, out[1].ID)
		}
	})

	t.Run("Decision15_ChannelWithoutGlobalLogins", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomers(
			customerIn("global@x.io", "authentication", map[string]any{"newPassword": password}),
			customerIn("three@x.io", "channelIds", []int{3}, "authentication", map[string]any{"newPassword": password}))
		e.mustWrite(mutUpdateChannelSettings, inVars(map[string]any{"channelId": 3, "allowGlobalLogins": false}), "settings", nil)
		if valid, _ := e.credentials("global@x.io", password, 3); valid {
			t.Fatalf("global customer on a channel without global logins: isValid=true, want false")
		}
		if valid, _ := e.credentials("global@x.io", password, 1); !valid {
			t.Fatalf("global customer on channel 1: isValid=false, want true")
		}
		if valid, _ := e.credentials("three@x.io", password, 3); !valid {
			t.Fatalf("channel-3 customer on channel 3: isValid=false, want true")
		}
	})

	t.Run("ChannelBelowOne", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomer(customerIn("a@x.io", "authentication", map[string]any{"newPassword": password}))
		for _, channel := range []int{0, -1} {
			err := e.s.mustFail(mutValidateCredentials, map[string]any{"email": "a@x.io", "password": password, "channel": channel},
				"BAD_USER_INPUT")
			if got, want := err.Extensions["field"], "channelId"; got != want {
				t.Fatalf("channel %d: field=%v, want %s", channel, got, want)
			}
		}
	})

	t.Run("Decision14_NoPassword", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createCustomer(customerIn("a@x.io"))
		for _, pw := range []string{"", "anything1", "not a real password 0"} {
			if valid, _ := e.credentials("a@x.io", pw, 1); valid {
				t.Fatalf("customer without a password, password %q: isValid=true, want false", pw)
			}
		}
	})
}

func TestValidateCustomerPassword(t *testing.T) {
	t.Parallel()
	e := newWriteEnv(t)
	out := e.createCustomers(customerIn("a@x.io", "authentication", map[string]any{"newPassword": "Right0ne"}), customerIn("b@x.io"))

	t.Run("Right", func(t *testing.T) {
		if !e.passwordIs(out[0].ID, "Right0ne") {
			t.Fatalf("success=false, want true")
		}
	})
	t.Run("Wrong", func(t *testing.T) {
		if e.passwordIs(out[0].ID, "Wrong0ne") {
			t.Fatalf("success=true, want false")
		}
	})
	t.Run("NoPassword", func(t *testing.T) {
		if e.passwordIs(out[1].ID, "") {
			t.Fatalf("success=true, want false")
		}
	})
	t.Run("UnknownCustomer", func(t *testing.T) {
		var data struct {
			ValidateCustomerPassword struct {
				Success    bool
				UserErrors []userError
			}
		}
		e.s.mustQuery(mutValidatePassword, map[string]any{"id": 999, "password": "Right0ne"}, &data)
		if data.ValidateCustomerPassword.Success {
			t.Fatalf("success=true, want false")
		}
		wantOneUserError(t, data.ValidateCustomerPassword.UserErrors, "NOT_FOUND", "", -1)
	})
}

// TestCredentialThrottle: password checks are paced per (account, client
// address), per address and per account (graph.DefaultThrottles), so that
// guessing is slow and a stranger's guesses cannot lock an owner out.
//
// Every attempt within a burst hashes a password (argon2id, 19 MiB), which
// under -race costs seconds on a busy machine: at the default bursts (10,
// 30, 100) this test alone took 400 s. So the quick size runs the same
// checks with smaller bursts at the default rates, and -tags slow (CI)
// runs them at the defaults.
func TestCredentialThrottle(t *testing.T) {
	t.Parallel()
	credentials := func(email, password string) map[string]any {
		return map[string]any{"email": email, "password": password, "channel": 1}
	}
	d := graph.DefaultThrottles
	if !testsize.Slow {
		d.CredentialsBurst, d.ClientBurst, d.AccountBurst = 3, 5, 7
	}
	newClientsEnv := func(t *testing.T) (*writeEnv, func(string)) {
		t.Parallel()
		return newClientsEnv(t, func(o *graph.Options) { o.Throttles = d })
	}

	t.Run("LockoutIsNoWeapon", func(t *testing.T) {
		e, setClient := newClientsEnv(t)
		e.createCustomer(customerIn("victim@x.io", "authentication", map[string]any{"newPassword": "Secr3tPass"}))
		setClient("127.0.0.2") // the attacker
		b := newBucketCheck(t, d.CredentialsBurst, d.CredentialsEvery)
		for i := range d.CredentialsBurst {
			b.mustPass(e.s.do(mutValidateCredentials, credentials("victim@x.io", fmt.Sprintf("guess%d", i))))
		}
		b.mustThrottle(func() response { return e.s.do(mutValidateCredentials, credentials("VICTIM@x.io", "guess")) })
		// From the attacker's address even the right password waits...
		b.mustThrottle(func() response { return e.s.do(mutValidateCredentials, credentials("victim@x.io", "Secr3tPass")) })
		// ...while the owner, elsewhere, is let in.
		setClient("127.0.0.3")
		var out struct {
			ValidateCustomerCredentials struct{ IsValid bool } `json:"validateCustomerCredentials"`
		}
		e.s.mustQuery(mutValidateCredentials, credentials("victim@x.io", "Secr3tPass"), &out)
		if !out.ValidateCustomerCredentials.IsValid {
			t.Fatal("the owner's right password from another address was refused")
		}
	})

	t.Run("PerAddress", func(t *testing.T) {
		e, setClient := newClientsEnv(t)
		setClient("127.0.0.2")
		b := newBucketCheck(t, d.ClientBurst, d.ClientEvery)
		n := 0
		attempt := func() response {
			n++
			return e.s.do(mutValidateCredentials, credentials(fmt.Sprintf("c%d@x.io", n), "guess"))
		}
		for range d.ClientBurst {
			b.mustPass(attempt())
		}
		b.mustThrottle(attempt)
		setClient("127.0.0.3")
		if r := e.s.do(mutValidateCredentials, credentials("fresh@x.io", "guess")); len(r.Errors) > 0 {
			t.Fatalf("another client: errors=%+v, want none", r.Errors)
		}
	})

	t.Run("PerAccountCeiling", func(t *testing.T) {
		e, setClient := newClientsEnv(t)
		client := 10
		attempt := func() response {
			client++
			setClient(fmt.Sprintf("127.0.%d.%d", client/250, client%250+1))
			return e.s.do(mutValidateCredentials, credentials("target@x.io", "guess"))
		}
		b := newBucketCheck(t, d.AccountBurst, d.AccountEvery)
		for range d.AccountBurst {
			b.mustPass(attempt())
		}
		b.mustThrottle(attempt)
		if r := e.s.do(mutValidateCredentials, credentials("other@x.io", "guess")); len(r.Errors) > 0 {
			t.Fatalf("another account: errors=%+v, want none", r.Errors)
		}
	})

	t.Run("PerCustomer", func(t *testing.T) {
		e, setClient := newClientsEnv(t)
		id := e.createCustomer(customerIn("victim@x.io", "authentication", map[string]any{"newPassword": "Secr3tPass"}))
		setClient("127.0.0.2")
		attempt := func() response { return e.s.do(mutValidatePassword, map[string]any{"id": id, "password": "guess"}) }
		b := newBucketCheck(t, d.CredentialsBurst, d.CredentialsEvery)
		for range d.CredentialsBurst {
			b.mustPass(attempt())
		}
		b.mustThrottle(attempt)
		setClient("127.0.0.3")
		if r := attempt(); len(r.Errors) > 0 {
			t.Fatalf("the same customer from another address: %+v", r.Errors)
		}
	})
}

// bucketCheck follows one throttle bucket from its first attempt, so that
// its checks allow for tokens refilled while the test runs: they hold on a
// slow machine too.
type bucketCheck struct {
	t      *testing.T
	burst  int
	refill time.Duration
	start  time.Time
	passed int
}

func newBucketCheck(t *testing.T, burst int, refill time.Duration) *bucketCheck {
	return &bucketCheck{t: t, burst: burst, refill: refill, start: time.Now()}
}

// throttled reports whether r is a THROTTLED refusal, failing on any other
// error.
func (b *bucketCheck) throttled(r response) bool {
	b.t.Helper()
	if len(r.Errors) == 0 {
		return false
	}
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "THROTTLED" {
		b.t.Fatalf("errors=%+v, want none or one THROTTLED", r.Errors)
	}
	if string(r.Data) != "null" {
		b.t.Fatalf("data=%s, want null when throttled", r.Data)
	}
	return true
}

// mustPass fails unless r was let through; within the burst it must be.
func (b *bucketCheck) mustPass(r response) {
	b.t.Helper()
	if b.throttled(r) {
		b.t.Fatalf("attempt %d was throttled, want the first %d let through", b.passed+1, b.burst)
	}
	b.passed++
}

// mustThrottle makes attempts until one is throttled; an attempt past the
// burst may pass only when a token can have refilled since the start.
func (b *bucketCheck) mustThrottle(attempt func() response) {
	b.t.Helper()
	for {
		r := attempt()
		if b.throttled(r) {
			return
		}
		b.passed++
		if refilled := int(time.Since(b.start) / b.refill); b.passed > b.burst+refilled {
			b.t.Fatalf("attempt %d was let through (%s), want THROTTLED after %d attempts and %d refills",
				b.passed, r.Data, b.burst, refilled)
		}
	}
}

func TestChannelSettingsWrites(t *testing.T) {
	t.Parallel()
	t.Run("C61_NoOverride", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		r := e.s.do(`{ channelCustomerSettings(channelId: 2) { `+channelSettingsFields+` } }`, nil)
		want := `{"channelCustomerSettings":{"channelId":2,"allowGlobalLogins":null,` +
			`"privacySettings":{"askShopperForTrackingConsent":null,"policyUrl":null},` +
			`"customerGroupSettings":{"guestCustomerGroupId":null,"defaultCustomerGroupId":null}}}`
		if got := string(r.Data); got != want || len(r.Errors) > 0 {
			t.Fatalf("data=%s errors=%+v, want %s", got, r.Errors, want)
		}
	})

	t.Run("C62_NullRemovesOverride", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		g := e.createGroup(map[string]any{"name": "Retail"})
		e.mustWrite(mutUpdateChannelSettings, inVars(map[string]any{"channelId": 2, "allowGlobalLogins": false,
			"privacySettings":       map[string]any{"policyUrl": "https://x.io/privacy"},
			"customerGroupSettings": map[string]any{"defaultCustomerGroupId": g.ID}}), "settings", nil)
		got := e.channelSettings(2)
		if got.AllowGlobalLogins == nil || *got.AllowGlobalLogins || got.PrivacySettings.PolicyURL == nil ||
			*got.PrivacySettings.PolicyURL != "https://x.io/privacy" || got.CustomerGroupSettings.DefaultCustomerGroupID == nil {
			t.Fatalf("settings=%+v, want the three overrides", got)
		}

		// null removes one override; absent fields stay.
		var out savedChannelSettings
		e.mustWrite(`mutation { updateChannelCustomerSettings(input: {channelId: 2, allowGlobalLogins: null}) { settings { `+
			channelSettingsFields+` } `+userErrorFields+` } }`, nil, "settings", &out)
		got = e.channelSettings(2)
		if !reflect.DeepEqual(out, got) {
			t.Fatalf("payload=%+v, want %+v", out, got)
		}
		if got.AllowGlobalLogins != nil {
			t.Fatalf("allowGlobalLogins=%v, want null (inherited)", *got.AllowGlobalLogins)
		}
		if got.PrivacySettings.PolicyURL == nil || got.CustomerGroupSettings.DefaultCustomerGroupID == nil {
			t.Fatalf("settings=%+v, want the other overrides kept", got)
		}

		e.mustWrite(`mutation { updateChannelCustomerSettings(input: {channelId: 2, privacySettings: {policyUrl: null},
			customerGroupSettings: {defaultCustomerGroupId: null}}) { `+userErrorFields+` } }`, nil, "", nil)
		if got, want := e.channelSettings(2), (savedChannelSettings{ChannelID: 2}); !reflect.DeepEqual(got, want) {
			t.Fatalf("settings=%+v, want no overrides", got)
		}
		// Other channels were never touched.
		if got, want := e.channelSettings(1), (savedChannelSettings{ChannelID: 1}); !reflect.DeepEqual(got, want) {
			t.Fatalf("channel 1 settings=%+v, want no overrides", got)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		errs := e.mustReject(mutUpdateChannelSettings, inVars(map[string]any{"channelId": 2, "allowGlobalLogins": false,
			"privacySettings": map[string]any{"policyUrl": "ftp://x.io"}}), "settings")
		wantOneUserError(t, errs, "INVALID", "input.privacySettings.policyUrl", -1)
		errs = e.mustReject(mutUpdateChannelSettings, inVars(map[string]any{"channelId": 2,
			"customerGroupSettings": map[string]any{"guestCustomerGroupId": 77}}), "settings")
		wantOneUserError(t, errs, "NOT_FOUND", "input.customerGroupSettings.guestCustomerGroupId", -1)
		if got, want := e.channelSettings(2), (savedChannelSettings{ChannelID: 2}); !reflect.DeepEqual(got, want) {
			t.Fatalf("settings=%+v, want no overrides", got)
		}
	})
}

func TestGroupWrites(t *testing.T) {
	t.Parallel()
	pct, fixed, price := "PERCENT", "FIXED", "PRICE"
	amount := func(f float64) *float64 { return &f }
	id := func(n int) *int { return &n }

	t.Run("C83_DiscountRulesReplaced", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		g := e.createGroup(map[string]any{"name": "Wholesale", "discountRules": []any{
			map[string]any{"type": "ALL", "method": "PERCENT", "amount": 10},
			map[string]any{"type": "CATEGORY", "method": "FIXED", "amount": 5, "categoryId": 3},
			map[string]any{"type": "PRICE_LIST", "priceListId": 2},
		}})
		three := []savedDiscountRule{
			{Type: "ALL", Method: &pct, Amount: amount(10)},
			{Type: "CATEGORY", Method: &fixed, Amount: amount(5), CategoryID: id(3)},
			{Type: "PRICE_LIST", PriceListID: id(2)},
		}
		if got := e.group(g.ID).DiscountRules; !reflect.DeepEqual(got, three) {
			t.Fatalf("rules=%+v, want %+v", got, three)
		}

		// Absent: unchanged.
		e.mustWrite(mutUpdateGroup, inVars(map[string]any{"id": g.ID, "name": "Trade"}), "customerGroup", nil)
		if got := e.group(g.ID).DiscountRules; !reflect.DeepEqual(got, three) {
			t.Fatalf("rules=%+v, want unchanged %+v", got, three)
		}

		var out savedGroup
		e.mustWrite(mutUpdateGroup, inVars(map[string]any{"id": g.ID, "discountRules": []any{
			map[string]any{"type": "PRODUCT", "method": "PRICE", "amount": 9.99, "productId": 7}}}), "customerGroup", &out)
		one := []savedDiscountRule{{Type: "PRODUCT", Method: &price, Amount: amount(9.99), ProductID: id(7)}}
		stored := e.group(g.ID)
		if !reflect.DeepEqual(stored.DiscountRules, one) {
			t.Fatalf("rules=%+v, want exactly %+v", stored.DiscountRules, one)
		}
		if !reflect.DeepEqual(out, *stored) {
			t.Fatalf("payload=%+v, want %+v", out, *stored)
		}
		if got, want := stored.Name, "Trade"; got != want {
			t.Fatalf("name=%q, want %q", got, want)
		}

		// A bad rule is refused and nothing changes.
		errs := e.mustReject(mutUpdateGroup, inVars(map[string]any{"id": g.ID, "discountRules": []any{
			map[string]any{"type": "ALL", "method": "PERCENT", "amount": 150}}}), "customerGroup")
		wantOneUserError(t, errs, "INVALID", "input.discountRules.0.amount", -1)
		if got := e.group(g.ID).DiscountRules; !reflect.DeepEqual(got, one) {
			t.Fatalf("rules=%+v, want unchanged %+v", got, one)
		}

		e.mustWrite(`mutation($id: Int!) { updateCustomerGroup(input: {id: $id, discountRules: null}) { `+userErrorFields+` } }`,
			map[string]any{"id": g.ID}, "", nil)
		if got := e.group(g.ID).DiscountRules; len(got) != 0 {
			t.Fatalf("rules=%+v, want none after null", got)
		}
	})

	t.Run("C84_DeleteGroupWithMembers", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		g := e.createGroup(map[string]any{"name": "Wholesale"})
		h := e.createGroup(map[string]any{"name": "Retail"})
		out := e.createCustomers(customerIn("a@x.io", "customerGroupId", g.ID), customerIn("b@x.io", "customerGroupId", g.ID),
			customerIn("c@x.io", "customerGroupId", h.ID))

		var deleted []int
		e.mustWrite(mutDeleteGroups, idVars(g.ID, 999), "deletedIds", &deleted)
		if got, want := deleted, []int{g.ID}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		if e.group(g.ID) != nil {
			t.Fatalf("customerGroup(%d) is not null", g.ID)
		}
		for _, c := range out[:2] {
			var data struct {
				Customer struct {
					CustomerGroupID *int `json:"customerGroupId"`
					Group           *struct{ ID int }
				}
			}
			e.s.mustQuery(`query($id: Int!) { customer(id: $id) { customerGroupId group { id } } }`, map[string]any{"id": c.ID}, &data)
			if data.Customer.CustomerGroupID != nil || data.Customer.Group != nil {
				t.Fatalf("customer %d customerGroupId=%v group=%v, want null (decision 13)", c.ID,
					data.Customer.CustomerGroupID, data.Customer.Group)
			}
		}
		if got := e.customers(map[string]any{"customerGroupIdIn": []int{g.ID}}); len(got) != 0 {
			t.Fatalf("customers in the deleted group=%d, want none", len(got))
		}
		if got := e.mustCustomer(out[2].ID).CustomerGroupID; got == nil || *got != h.ID {
			t.Fatalf("other group's member customerGroupId=%v, want %d", got, h.ID)
		}
		if got, want := e.total("customers", nil), 3; got != want {
			t.Fatalf("customers=%d, want %d (members are kept)", got, want)
		}
	})

	t.Run("C85_OneGuestGroup", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		a := e.createGroup(map[string]any{"name": "A", "isGroupForGuests": true})
		b := e.createGroup(map[string]any{"name": "B", "isGroupForGuests": true})
		guests := func() []int {
			var out []int
			for _, g := range e.groups(map[string]any{"isGroupForGuests": true}) {
				out = append(out, g.ID)
			}
			return out
		}
		if got, want := guests(), []int{b.ID}; !slices.Equal(got, want) {
			t.Fatalf("guest groups=%v, want %v", got, want)
		}
		if e.group(a.ID).IsGroupForGuests {
			t.Fatalf("group A is still the guest group")
		}
		var settings struct {
			CustomerSettings struct {
				CustomerGroupSettings struct {
					GuestCustomerGroupID *int `json:"guestCustomerGroupId"`
				}
			}
		}
		e.s.mustQuery(`{ customerSettings { customerGroupSettings { guestCustomerGroupId } } }`, nil, &settings)
		if got := settings.CustomerSettings.CustomerGroupSettings.GuestCustomerGroupID; got == nil || *got != b.ID {
			t.Fatalf("guestCustomerGroupId=%v, want %d", got, b.ID)
		}

		e.mustWrite(mutUpdateGroup, inVars(map[string]any{"id": a.ID, "isGroupForGuests": true}), "customerGroup", nil)
		if got, want := guests(), []int{a.ID}; !slices.Equal(got, want) {
			t.Fatalf("guest groups=%v, want %v", got, want)
		}
	})

	t.Run("Decision13_OneDefaultGroup", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		a := e.createGroup(map[string]any{"name": "A", "isDefault": true})
		b := e.createGroup(map[string]any{"name": "B", "isDefault": true})
		defaults := e.groups(map[string]any{"isDefault": true})
		if len(defaults) != 1 || defaults[0].ID != b.ID {
			t.Fatalf("default groups=%+v, want only %d", defaults, b.ID)
		}
		// A new customer joins the default group unless it names one, or null.
		out := e.createCustomers(customerIn("a@x.io"), customerIn("b@x.io", "customerGroupId", a.ID))
		if got := e.mustCustomer(out[0].ID).CustomerGroupID; got == nil || *got != b.ID {
			t.Fatalf("customerGroupId=%v, want the default group %d", got, b.ID)
		}
		if got := e.mustCustomer(out[1].ID).CustomerGroupID; got == nil || *got != a.ID {
			t.Fatalf("customerGroupId=%v, want %d", got, a.ID)
		}
		var created struct {
			CreateCustomers struct{ Customers []struct{ ID int } }
		}
		e.s.mustQuery(`mutation { createCustomers(input: [{email: "c@x.io", firstName: "C", lastName: "D", customerGroupId: null}]) {
			customers { id } } }`, nil, &created)
		if got := e.mustCustomer(created.CreateCustomers.Customers[0].ID).CustomerGroupID; got != nil {
			t.Fatalf("customerGroupId=%d, want null", *got)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.createGroup(map[string]any{"name": "Wholesale"})
		errs := e.mustReject(mutCreateGroup, inVars(map[string]any{"name": "WHOLESALE"}), "customerGroup")
		wantOneUserError(t, errs, "CONFLICT", "input.name", -1)
		errs = e.mustReject(mutUpdateGroup, inVars(map[string]any{"id": 999, "name": "X"}), "customerGroup")
		wantOneUserError(t, errs, "NOT_FOUND", "input.id", -1)
		if got, want := e.total("customerGroups", nil), 1; got != want {
			t.Fatalf("groups=%d, want %d", got, want)
		}
	})
}

func TestSubscriberWrites(t *testing.T) {
	t.Parallel()
	const mutDelete = `mutation($f: SubscriberFilter, $all: Boolean) {
		deleteSubscribers(filter: $f, all: $all) { deletedIds ` + userErrorFields + ` } }`

	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		var s savedSubscriber
		e.mustWrite(mutCreateSubscriber, inVars(map[string]any{"email": "s@x.io", "firstName": "Jane"}), "subscriber", &s)
		if got := e.subscribers(nil); len(got) != 1 || !reflect.DeepEqual(got[0], s) {
			t.Fatalf("stored=%+v, want %+v", got, s)
		}
		at := storagetest.Now.Add(time.Minute)
		e.later(time.Minute)
		e.mustWrite(mutUpdateSubscriber, inVars(map[string]any{"id": s.ID, "lastName": "Doe"}), "subscriber", nil)
		// No change, no event.
		e.mustWrite(mutUpdateSubscriber, inVars(map[string]any{"id": s.ID, "lastName": "Doe"}), "subscriber", nil)
		stored := e.subscribers(nil)[0]
		if stored.LastName != "Doe" || stored.DateModified != at.Format(time.RFC3339) || stored.DateCreated != nowText {
			t.Fatalf("stored=%+v, want lastName Doe modified at %s", stored, at)
		}
		var deleted []int
		e.mustWrite(mutDelete, map[string]any{"f": map[string]any{"email": "S@X.IO"}}, "deletedIds", &deleted)
		if got, want := deleted, []int{s.ID}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		evs := e.events()
		wantEvents(t, evs[:1], storagetest.Now, subscriberEventLine("created", s.ID))
		wantEvents(t, evs[1:], at, subscriberEventLine("updated", s.ID), subscriberEventLine("deleted", s.ID))
	})

	t.Run("Decision16_FilterOrAll", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		for _, email := range []string{"a@x.io", "b@x.io", "c@x.io"} {
			e.mustWrite(mutCreateSubscriber, inVars(map[string]any{"email": email, "source": "custom"}), "subscriber", nil)
		}
		events := len(e.events())

		errs := e.mustReject(mutDelete, nil, "deletedIds")
		wantOneUserError(t, errs, "REQUIRED", "filter", -1)
		errs = e.mustReject(mutDelete, map[string]any{"f": map[string]any{}}, "deletedIds")
		wantOneUserError(t, errs, "REQUIRED", "filter", -1)
		errs = e.mustReject(mutDelete, map[string]any{"f": map[string]any{"email": "a@x.io"}, "all": true}, "deletedIds")
		wantOneUserError(t, errs, "INVALID", "all", -1)
		if got, want := e.total("subscribers", nil), 3; got != want {
			t.Fatalf("subscribers=%d, want %d", got, want)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}

		var deleted []int
		e.mustWrite(mutDelete, map[string]any{"f": map[string]any{"email": "b@x.io"}}, "deletedIds", &deleted)
		if got, want := deleted, []int{2}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		if got, want := e.total("subscribers", nil), 2; got != want {
			t.Fatalf("subscribers=%d, want %d (only the match deleted)", got, want)
		}

		e.mustWrite(mutDelete, map[string]any{"all": true}, "deletedIds", &deleted)
		if got, want := deleted, []int{1, 3}; !slices.Equal(got, want) {
			t.Fatalf("deletedIds=%v, want %v", got, want)
		}
		if got, want := e.total("subscribers", nil), 0; got != want {
			t.Fatalf("subscribers=%d, want %d", got, want)
		}
		wantEvents(t, e.eventsSince(events), storagetest.Now,
			subscriberEventLine("deleted", 2), subscriberEventLine("deleted", 1), subscriberEventLine("deleted", 3))
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()
		e := newWriteEnv(t)
		e.mustWrite(mutCreateSubscriber, inVars(map[string]any{"email": "s@x.io"}), "subscriber", nil)
		events := len(e.events())
		errs := e.mustReject(mutCreateSubscriber, inVars(map[string]any{"email": "S@x.io"}), "subscriber")
		wantOneUserError(t, errs, "CONFLICT", "input.email", -1)
		errs = e.mustReject(mutCreateSubscriber, inVars(map[string]any{"email": "t@x.io", "orderId": 0}), "subscriber")
		wantOneUserError(t, errs, "INVALID", "input.orderId", -1)
		errs = e.mustReject(mutUpdateSubscriber, inVars(map[string]any{"id": 999, "firstName": "X"}), "subscriber")
		wantOneUserError(t, errs, "NOT_FOUND", "input.id", -1)
		if got, want := e.total("subscribers", nil), 1; got != want {
			t.Fatalf("subscribers=%d, want %d", got, want)
		}
		if got := e.eventsSince(events); len(got) != 0 {
			t.Fatalf("events=%v, want none", eventLines(got))
		}
	})
}

// TestBatchLimits sends 11 items to every batch mutation (decision 1): each
// answers TOO_MANY_ITEMS on the whole argument and writes nothing.
func TestBatchLimits(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mutation string
		arg      string // the batch argument: "input" or "idIn"
		field    string // the payload's list
		// vars seeds what the mutation needs and returns its variables;
		// check verifies that nothing was written.
		vars  func(e *writeEnv) map[string]any
		check func(t *testing.T, e *writeEnv)
	}{
		{mutCreateCustomers, "input", "customers",
			func(e *writeEnv) map[string]any { return inVars(batch(nCustomers(11)...)) },
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customers", 0) }},
		{mutUpdateCustomers, "input", "customers",
			func(e *writeEnv) map[string]any {
				return inVars(itemsFor(seed11Customers(e), func(id int) map[string]any { return map[string]any{"id": id, "notes": "x"} }))
			},
			func(t *testing.T, e *writeEnv) {
				for _, c := range e.customers(nil) {
					if c.Notes != "" {
						t.Fatalf("customer %d notes=%q, want unchanged", c.ID, c.Notes)
					}
				}
				wantTotal(t, e, "customers", 11)
			}},
		{mutDeleteCustomers, "idIn", "deletedIds",
			func(e *writeEnv) map[string]any { return idVars(seed11Customers(e)...) },
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customers", 11) }},
		{mutCreateAddresses, "input", "addresses",
			func(e *writeEnv) map[string]any {
				c := e.createCustomer(customerIn("a@x.io"))
				return inVars(itemsFor(seq(11), func(i int) map[string]any {
					return addressIn("customerId", c, "address1", fmt.Sprintf("%d Main St", i))
				}))
			},
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerAddresses", 0) }},
		{mutUpdateAddresses, "input", "addresses",
			func(e *writeEnv) map[string]any {
				return inVars(itemsFor(seed11Addresses(e), func(id int) map[string]any { return map[string]any{"id": id, "phone": "1"} }))
			},
			func(t *testing.T, e *writeEnv) {
				for _, a := range e.addresses(nil) {
					if a.Phone != "" {
						t.Fatalf("address %d phone=%q, want unchanged", a.ID, a.Phone)
					}
				}
				wantTotal(t, e, "customerAddresses", 11)
			}},
		{mutDeleteAddresses, "idIn", "deletedIds",
			func(e *writeEnv) map[string]any { return idVars(seed11Addresses(e)...) },
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerAddresses", 11) }},
		{mutCreateAttributes, "input", "attributes",
			func(e *writeEnv) map[string]any { return inVars(batch(attributeInputs("Attr", 11)...)) },
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerAttributes", 0) }},
		{mutUpdateAttributes, "input", "attributes",
			func(e *writeEnv) map[string]any {
				return inVars(itemsFor(e.createAttributes("STRING", nameSeq("Attr", 11)...),
					func(id int) map[string]any { return map[string]any{"id": id, "name": fmt.Sprintf("Renamed %d", id)} }))
			},
			func(t *testing.T, e *writeEnv) {
				for _, a := range e.attributes(nil) {
					if !strings.HasPrefix(a.Name, "Attr") {
						t.Fatalf("attribute %d name=%q, want unchanged", a.ID, a.Name)
					}
				}
				wantTotal(t, e, "customerAttributes", 11)
			}},
		{mutDeleteAttributes, "idIn", "deletedIds",
			func(e *writeEnv) map[string]any {
				return idVars(e.createAttributes("STRING", nameSeq("Attr", 11)...)...)
			},
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerAttributes", 11) }},
		{mutUpsertAttributeValues, "input", "attributeValues",
			func(e *writeEnv) map[string]any {
				c := e.createCustomer(customerIn("a@x.io"))
				return inVars(itemsFor(e.createAttributes("STRING", nameSeq("Attr", 11)...), func(id int) map[string]any {
					return map[string]any{"customerId": c, "attributeId": id, "value": "v"}
				}))
			},
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerAttributeValues", 0) }},
		{mutDeleteAttributeValues, "idIn", "deletedIds",
			func(e *writeEnv) map[string]any {
				attrs := e.createAttributes("STRING", nameSeq("Attr", 11)...)
				var values []any
				for _, a := range attrs[:10] {
					values = append(values, map[string]any{"attributeId": a, "value": "v"})
				}
				c := e.createCustomer(customerIn("a@x.io", "attributes", values))
				e.mustWrite(mutUpsertAttributeValues, inVars(batch(map[string]any{"customerId": c, "attributeId": attrs[10], "value": "v"})),
					"attributeValues", nil)
				var ids []int
				for _, v := range e.attributeValues(nil) {
					ids = append(ids, v.ID)
				}
				return idVars(ids...)
			},
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerAttributeValues", 11) }},
		{mutCreateFormFields, "input", "formFields",
			func(e *writeEnv) map[string]any { return inVars(batch(formFieldInputs(11)...)) },
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerFormFields", 0) }},
		{mutUpdateFormFields, "input", "formFields",
			func(e *writeEnv) map[string]any {
				return inVars(itemsFor(seed11FormFields(e), func(id int) map[string]any { return map[string]any{"id": id, "label": "Changed"} }))
			},
			func(t *testing.T, e *writeEnv) {
				var data struct {
					CustomerFormFields struct{ Nodes []struct{ Label string } }
				}
				e.s.mustQuery(`{ customerFormFields { nodes { label } } }`, nil, &data)
				for _, f := range data.CustomerFormFields.Nodes {
					if f.Label != "" {
						t.Fatalf("label=%q, want unchanged", f.Label)
					}
				}
				wantTotal(t, e, "customerFormFields", 11)
			}},
		{mutDeleteFormFields, "idIn", "deletedIds",
			func(e *writeEnv) map[string]any { return idVars(seed11FormFields(e)...) },
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerFormFields", 11) }},
		{mutUpsertFormFieldValues, "input", "formFieldValues",
			func(e *writeEnv) map[string]any {
				e.createFormFields(map[string]any{"name": "color", "type": "TEXT", "appliesTo": "CUSTOMER"})
				return inVars(itemsFor(seed11Customers(e), func(id int) map[string]any {
					return map[string]any{"customerId": id, "name": "color", "value": "blue"}
				}))
			},
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerFormFieldValues", 0) }},
		{mutDeleteGroups, "idIn", "deletedIds",
			func(e *writeEnv) map[string]any {
				var ids []int
				for _, name := range nameSeq("Group", 11) {
					ids = append(ids, e.createGroup(map[string]any{"name": name}).ID)
				}
				return idVars(ids...)
			},
			func(t *testing.T, e *writeEnv) { wantTotal(t, e, "customerGroups", 11) }},
	} {
		name := strings.Fields(strings.NewReplacer("(", " ", "{", " ").Replace(tt.mutation))[2]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newWriteEnv(t)
			vars := tt.vars(e)
			events := len(e.events())
			errs := e.mustReject(tt.mutation, vars, tt.field)
			wantOneUserError(t, errs, "TOO_MANY_ITEMS", tt.arg, -1)
			tt.check(t, e)
			if got := e.eventsSince(events); len(got) != 0 {
				t.Fatalf("events=%v, want none", eventLines(got))
			}
		})
	}
}

// wantTotal fails unless the root list has n items.
func wantTotal(t *testing.T, e *writeEnv, list string, n int) {
	t.Helper()
	if got := e.total(list, nil); got != n {
		t.Fatalf("%s=%d, want %d", list, got, n)
	}
}

// seed11Customers creates 11 customers (two batches) and returns their ids.
func seed11Customers(e *writeEnv) []int {
	e.t.Helper()
	var ids []int
	for _, c := range append(e.createCustomers(nCustomers(10)...), e.createCustomers(customerIn("last@x.io"))...) {
		ids = append(ids, c.ID)
	}
	return ids
}

// seed11Addresses creates a customer with 11 addresses and returns their ids.
func seed11Addresses(e *writeEnv) []int {
	e.t.Helper()
	c := e.createCustomer(customerIn("a@x.io"))
	var items []map[string]any
	for i := range 11 {
		items = append(items, addressIn("customerId", c, "address1", fmt.Sprintf("%d Main St", i)))
	}
	return append(e.createAddresses(items[:10]...), e.createAddresses(items[10])...)
}

// formFieldInputs returns n text form field definitions.
func formFieldInputs(n int) []map[string]any {
	var out []map[string]any
	for _, name := range nameSeq("field", n) {
		out = append(out, map[string]any{"name": strings.ReplaceAll(name, " ", ""), "type": "TEXT", "appliesTo": "CUSTOMER"})
	}
	return out
}

// seed11FormFields creates 11 form field definitions and returns their ids.
func seed11FormFields(e *writeEnv) []int {
	e.t.Helper()
	items := formFieldInputs(11)
	return append(e.createFormFields(items[:10]...), e.createFormFields(items[10])...)
}

// seq returns 0..n-1.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// itemsFor maps values to inputs, as a list variable.
func itemsFor(vals []int, item func(int) map[string]any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = item(v)
	}
	return out
}
