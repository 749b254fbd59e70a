package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
	"github.com/storefront/customers/wire"
)

func mirrorScopes(t *testing.T, db *storage.DB, after int64) ([]string, int64) {
	t.Helper()
	evs, err := db.FindEventsAfter(context.Background(), after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Scope+" "+string(e.Data))
		after = e.ID
	}
	return out, after
}

// TestDB_MirrorCustomers: upstream customers are written with their ids,
// dates and relations (export gives them back), each change records the
// events a local write would, an unchanged copy records none, emails may
// move between customers of one batch, an email held by a customer
// outside the batch is a MirrorConflict naming it, and deletes announce.
func TestDB_MirrorCustomers(t *testing.T) {
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	if err := db.MirrorAttributes(ctx, []wire.Attribute{{ID: 7, Name: "Shoe size", Type: "number", DateCreated: "2024-01-01T00:00:00Z", DateModified: "2024-01-01T00:00:00Z"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.MirrorGroups(ctx, []wire.V2Group{{ID: 4, Name: "VIP", CategoryAccess: wire.V2CategoryAccess{Type: "all"}, DiscountRules: []wire.V2DiscountRule{}}}); err != nil {
		t.Fatal(err)
	}
	in := []wire.Customer{{ID: 501, Email: "a@example.com", FirstName: "Ann", LastName: "A", CustomerGroupID: 4,
		DateCreated: "2024-02-01T10:00:00Z", DateModified: "2024-02-02T10:00:00Z", OriginChannelID: 1,
		Addresses: []wire.Address{{ID: 901, CustomerID: 501, FirstName: "Ann", LastName: "A", Address1: "1 Road", City: "Town",
			CountryCode: "US", AddressType: "residential", FormFields: []wire.FormFieldValue{{Name: "Gate", Value: json.RawMessage(`"B"`)}}}},
		Attributes: []wire.AttributeValue{{ID: 301, CustomerID: 501, AttributeID: 7, AttributeValue: "42", DateCreated: "2024-02-01T10:00:00Z", DateModified: "2024-02-01T10:00:00Z"},
			{ID: 302, CustomerID: 501, AttributeID: 99, AttributeValue: "x"}},
		FormFields:         []wire.FormFieldValue{{Name: "Likes", Value: json.RawMessage(`["a","b"]`)}},
		StoreCreditAmounts: []wire.StoreCreditAmount{{Amount: 12.5}}},
		{ID: 502, Email: "b@example.com", FirstName: "Bo", LastName: "B", DateCreated: "2024-02-01T10:00:00Z", DateModified: "2024-02-01T10:00:00Z"}}
	st, err := db.MirrorCustomers(ctx, in, map[string]string{"page": "2"})
	if err != nil || st.Created != 2 {
		t.Fatalf("%+v %v", st, err)
	}
	scopes, last := mirrorScopes(t, db, 0)
	want := []string{`store/customer/created {"type":"customer","id":501}`, `store/customer/address/created {"type":"customer","id":901,"address":{"customer_id":501}}`,
		`store/customer/created {"type":"customer","id":502}`}
	if !slices.Equal(scopes, want) {
		t.Fatalf("events %q", scopes)
	}
	var buf bytes.Buffer
	if _, err := db.Export(ctx, &buf, false); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"id":501`, `"customer_group_id":4`, `"date_created":"2024-02-01T10:00:00Z"`, `"id":901`, `"name":"Gate","value":"B"`,
		`"id":301`, `"attribute_value":"42"`, `"name":"Likes","value":["a","b"]`, `"amount":12.5`} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("export lacks %s: %s", s, buf.String())
		}
	}
	if strings.Contains(buf.String(), `"id":302`) {
		t.Error("a value of an unknown attribute was kept")
	}
	state, _ := db.MirrorState(ctx)
	if state["page"] != "2" {
		t.Fatalf("state %v", state)
	}

	// The same again: nothing to announce.
	if st, err := db.MirrorCustomers(ctx, in, nil); err != nil || st.Unchanged != 2 {
		t.Fatalf("%+v %v", st, err)
	}
	if scopes, _ := mirrorScopes(t, db, last); len(scopes) != 0 {
		t.Fatalf("events for no change: %q", scopes)
	}

	// Swap the emails in one batch, change an address, drop it for another.
	a, b := in[0], in[1]
	a.Email, b.Email = b.Email, a.Email
	a.Addresses = []wire.Address{{ID: 902, CustomerID: 501, FirstName: "Ann", LastName: "A", Address1: "2 Road", City: "Town", CountryCode: "US", AddressType: "residential"}}
	if _, err := db.MirrorCustomers(ctx, []wire.Customer{a, b}, nil); err != nil {
		t.Fatal(err)
	}
	scopes, last = mirrorScopes(t, db, last)
	want = []string{`store/customer/updated {"type":"customer","id":501}`, `store/customer/address/created {"type":"customer","id":902,"address":{"customer_id":501}}`,
		`store/customer/address/deleted {"type":"customer","id":901,"address":{"customer_id":501}}`, `store/customer/updated {"type":"customer","id":502}`}
	if !slices.Equal(scopes, want) {
		t.Fatalf("events %q", scopes)
	}

	// A new customer taking 502's email: 502 changed upstream too.
	_, err = db.MirrorCustomers(ctx, []wire.Customer{{ID: 503, Email: "A@example.com", FirstName: "C", LastName: "C"}}, nil)
	if c, ok := storage.IsMirrorConflict(err); !ok || !slices.Equal(c.IDs, []int{502}) {
		t.Fatalf("conflict: %v", err)
	}

	deleted, err := db.MirrorDeleteCustomers(ctx, []int{502, 777})
	if err != nil || !slices.Equal(deleted, []int{502}) {
		t.Fatalf("%v %v", deleted, err)
	}
	if scopes, _ := mirrorScopes(t, db, last); !slices.Equal(scopes, []string{`store/customer/deleted {"type":"customer","id":502}`}) {
		t.Fatalf("events %q", scopes)
	}
	ids, _ := db.MirrorIDs(ctx, "customers", 0, 10)
	if !slices.Equal(ids, []int{501}) {
		t.Fatalf("ids %v", ids)
	}
}

// TestDB_MirrorSubscribers: created, updated, unchanged are told apart,
// and announced.
func TestDB_MirrorSubscribers(t *testing.T) {
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	s := wire.Subscriber{ID: 40, Email: "s@example.com", FirstName: "S", ChannelID: 1, Consents: []string{}, DateCreated: "2024-01-01T00:00:00Z", DateModified: "2024-01-01T00:00:00Z"}
	if st, err := db.MirrorSubscribers(ctx, []wire.Subscriber{s}, nil); err != nil || st.Created != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	if st, err := db.MirrorSubscribers(ctx, []wire.Subscriber{s}, nil); err != nil || st.Unchanged != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	s.LastName = "T"
	if st, err := db.MirrorSubscribers(ctx, []wire.Subscriber{s}, nil); err != nil || st.Updated != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	db.MirrorDeleteSubscribers(ctx, []int{40})
	scopes, _ := mirrorScopes(t, db, 0)
	if len(scopes) != 3 || !strings.HasPrefix(scopes[2], "store/subscriber/deleted") {
		t.Fatalf("events %q", scopes)
	}
}

// TestDB_DryRun: a write under DryRun answers as it would (its problems
// included) and leaves the store as it was, events included.
func TestDB_DryRun(t *testing.T) {
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	in := []storage.CustomerInput{{Email: "dry@example.com", FirstName: "D", LastName: "R"}}
	out, err := db.CreateCustomers(storage.DryRun(ctx), in)
	if err != nil || len(out) != 1 {
		t.Fatalf("%v %v", out, err)
	}
	if ids, _ := db.MirrorIDs(ctx, "customers", 0, 10); len(ids) != 0 {
		t.Fatalf("a dry run wrote %v", ids)
	}
	if evs, _ := db.FindEventsAfter(ctx, 0, 10); len(evs) != 0 {
		t.Fatalf("a dry run recorded %d events", len(evs))
	}
	if _, err := db.CreateCustomers(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateCustomers(storage.DryRun(ctx), in); storage.AsErrors(err) == nil || storage.AsErrors(err)[0].Code != storage.ECONFLICT {
		t.Fatalf("a dry run's conflict: %v", err)
	}
}

// TestDB_InferredFormFields: with InferredFormFields a value of a form
// field the store does not define, or of another type, passes the checks
// (the upstream judges it); without, it is NOT_FOUND.
func TestDB_InferredFormFields(t *testing.T) {
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	in := []storage.CustomerInput{{Email: "f@example.com", FirstName: "F", LastName: "F",
		FormFields: []storage.FormFieldValueInput{{Name: "Unknown", Value: mustFormValue(t, `["a"]`)}}}}
	if _, err := db.CreateCustomers(storage.DryRun(ctx), in); storage.AsErrors(err) == nil || storage.AsErrors(err)[0].Code != storage.ENOTFOUND {
		t.Fatalf("strict: %v", err)
	}
	if _, err := db.CreateCustomers(storage.DryRun(storage.InferredFormFields(ctx)), in); err != nil {
		t.Fatalf("inferred: %v", err)
	}
}

func mustFormValue(t *testing.T, js string) storage.FormValue {
	t.Helper()
	var v storage.FormValue
	if err := v.UnmarshalJSON([]byte(js)); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDB_MirrorGroupDates: a group keeps the upstream's dates, which V2
// spells `2006-01-02 15:04:05`, rather than the time the mirror wrote it.
func TestDB_MirrorGroupDates(t *testing.T) {
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	g := wire.V2Group{ID: 7, Name: "Trade", CategoryAccess: wire.V2CategoryAccess{Type: "all"}, DiscountRules: []wire.V2DiscountRule{},
		DateCreated: "2024-03-04 05:06:07", DateModified: "2024-03-05 06:07:08"}
	if err := db.MirrorGroups(ctx, []wire.V2Group{g}); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindGroupByID(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if c, m := got.DateCreated.Format(time.DateTime), got.DateModified.Format(time.DateTime); c != g.DateCreated || m != g.DateModified {
		t.Fatalf("dates %s, %s; want the upstream's %s, %s", c, m, g.DateCreated, g.DateModified)
	}
}
