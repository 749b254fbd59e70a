package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// TestBackendsAgree runs one scenario on every backend and checks that
// they give the same answers, byte for byte: case-folded email uniqueness,
// dates truncated to the second, orderings with ties, keyset cursors walked
// both ways, name:like with wildcard characters, IN lists and the coded
// errors. The PostgreSQL case is skipped, with a message, when no server
// is reachable.
func TestBackendsAgree(t *testing.T) {
	transcripts := map[string]string{}
	storagetest.EachBackend(t, func(t *testing.T, db *storage.DB) {
		transcripts[t.Name()[strings.LastIndex(t.Name(), "/")+1:]] = backendScenario(t, db)
	})
	sqlite, pg := transcripts["sqlite"], transcripts["postgres"]
	if sqlite == "" {
		t.Fatal("the SQLite scenario wrote nothing")
	}
	if pg == "" {
		return // skipped
	}
	if sqlite != pg {
		a, b := strings.Split(sqlite, "\n"), strings.Split(pg, "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Logf("sqlite transcript:\n%s", strings.Join(a[max(0, i-8):i+1], "\n"))
				t.Fatalf("the backends differ at line %d:\nsqlite:   %s\npostgres: %s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("the backends differ in length: %d and %d lines", len(a), len(b))
	}
}

// backendScenario runs the scenario and returns its transcript: every
// answer as JSON, one a line.
func backendScenario(t *testing.T, db *storage.DB) string {
	ctx := context.Background()
	var out strings.Builder
	note := func(what string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s %s\n", what, b)
	}
	// A clock with nanoseconds: stored dates keep whole seconds.
	db.Now = func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 999_999_999, time.UTC) }
	names := []struct{ first, last, email string }{
		{"Ann", "smith", "ann@example.com"},
		{"Bob", "Smith", "bob@example.com"},
		{"Cid", "SMITH", "cid@example.com"},
		{"Dee", "Émile", "dee@example.com"},
		{"Eve", "émile", "eve@example.com"},
		{"Fay", "zed", "fay@example.com"},
		{"Gus", "Zed", "gus@example.com"},
		{"Hal", "50%_off", "hal@example.com"},
		{"Ida", "o'neil", "ida@example.com"},
		{"Jo", "Straße", "STRASSE@example.com"},
		{"Kim", "apple", "kim@example.com"},
		{"Lu", "Apple", "lu@example.com"},
	}
	var in []storage.CustomerInput
	for _, n := range names {
		in = append(in, storage.CustomerInput{Email: n.email, FirstName: n.first, LastName: n.last})
	}
	var created []*storage.Customer
	for len(in) > 0 { // batches hold at most 10
		n := min(len(in), 6)
		cs, err := db.CreateCustomers(ctx, in[:n])
		if err != nil {
			t.Fatalf("create customers: %v", err)
		}
		created, in = append(created, cs...), in[n:]
	}
	for _, c := range created {
		note("created", []any{c.ID, c.Email, c.DateCreated.Format(time.RFC3339Nano), c.DateModified.Format(time.RFC3339Nano)})
	}

	// Emails are unique case-folded: each of these is taken.
	for _, email := range []string{"ANN@EXAMPLE.COM", "Bob@Example.Com", "strasse@example.com", "straße@EXAMPLE.com"} {
		_, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: email, FirstName: "X", LastName: "Y"}})
		note("duplicate "+email, []any{storage.ErrorCode(err), storage.ErrorMessage(err)})
	}
	// A batch with a bad item writes nothing.
	_, err := db.CreateCustomers(ctx, []storage.CustomerInput{
		{Email: "new@example.com", FirstName: "N", LastName: "N"},
		{Email: "NEW@example.com", FirstName: "M", LastName: "M"},
	})
	note("batch", []any{storage.ErrorCode(err), storage.ErrorMessage(err)})

	// A later clock, for date_modified and a second group of ties.
	db.Now = func() time.Time { return time.Date(2026, 3, 4, 5, 6, 8, 1, time.UTC) }
	second, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "zz@example.com", FirstName: "Zz", LastName: "smith"}})
	if err != nil {
		t.Fatalf("create customer: %v", err)
	}
	note("second", []any{second[0].ID, second[0].DateCreated.Format(time.RFC3339Nano)})

	list := func(what string, f storage.CustomerFilter, s storage.CustomerSort) {
		// Page numbers, then the cursors forward and back.
		for page := 1; page <= 4; page++ {
			p, err := db.FindCustomers(ctx, f, s, storage.PageRequest{Page: page, Limit: 4, WantTotal: true})
			if err != nil {
				note(what+" error", []any{storage.ErrorCode(err), storage.ErrorMessage(err)})
				return
			}
			note(fmt.Sprintf("%s page %d", what, page), pageOf(p))
		}
		var cursors []string
		req := storage.PageRequest{Limit: 3, Page: 1, WantHasNext: true, WantHasPrevious: true}
		for range 10 {
			p, err := db.FindCustomers(ctx, f, s, req)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			note(what+" forward", pageOf(p))
			if len(p.Items) == 0 || !p.HasNext {
				break
			}
			cursors = append(cursors, p.Cursor(len(p.Items)-1))
			req = storage.PageRequest{Limit: 3, After: p.Cursor(len(p.Items) - 1), WantHasNext: true, WantHasPrevious: true}
		}
		for i := len(cursors) - 1; i >= 0; i-- {
			p, err := db.FindCustomers(ctx, f, s, storage.PageRequest{Limit: 2, Before: cursors[i], WantHasNext: true, WantHasPrevious: true})
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			note(what+" back", pageOf(p))
		}
		note(what+" cursors", cursors)
	}
	for _, s := range []storage.CustomerSort{storage.SortLastNameAsc, storage.SortLastNameDesc, storage.SortDateCreatedDesc,
		storage.SortDateCreatedAsc, storage.SortDateModifiedDesc, storage.SortIDDesc} {
		list("all "+string(s), storage.CustomerFilter{}, s)
	}
	list("like smith", storage.CustomerFilter{NameLike: []string{"SMITH"}}, storage.SortLastNameAsc)
	list("like %_", storage.CustomerFilter{NameLike: []string{"%_"}}, storage.SortIDAsc)
	list("like _", storage.CustomerFilter{NameLike: []string{"_"}}, storage.SortIDAsc)
	list("like '", storage.CustomerFilter{NameLike: []string{"o'n", "straSSe"}}, storage.SortIDAsc)
	list("like none", storage.CustomerFilter{NameLike: []string{}}, storage.SortIDAsc)
	list("ids", storage.CustomerFilter{IDIn: []int{created[2].ID, created[0].ID, 9999}}, storage.SortIDAsc)
	list("no ids", storage.CustomerFilter{IDIn: []int{}}, storage.SortIDAsc)
	list("emails", storage.CustomerFilter{EmailIn: []string{"BOB@example.com", "strasse@EXAMPLE.com", "nobody@example.com"}}, storage.SortIDAsc)
	list("names", storage.CustomerFilter{NameIn: []string{"ann SMITH", "jo strasse"}}, storage.SortIDAsc)
	bad, err := db.FindCustomers(ctx, storage.CustomerFilter{}, storage.SortIDAsc, storage.PageRequest{Limit: 2, After: "not a cursor"})
	note("bad cursor", []any{bad == nil, storage.ErrorCode(err), storage.ErrorMessage(err)})

	// Form fields whose options are in use cannot lose them.
	fields, err := db.CreateFormFields(ctx, []storage.FormFieldInput{
		{Name: "Colors", Type: storage.FormFieldCheckboxes, AppliesTo: storage.FormFieldOnCustomer, Options: []string{"red", "green", "<b>", "x_y"}},
		{Name: "Size", Type: storage.FormFieldPicklist, AppliesTo: storage.FormFieldOnCustomer, Options: []string{"S", "M", "L"}},
	})
	if err != nil {
		t.Fatalf("create form fields: %v", err)
	}
	owner := created[0].ID
	_, err = db.UpsertFormFieldValues(ctx, []storage.FormFieldValueInput{
		{Name: "Colors", Value: storage.StringsValue([]string{"green", "<b>"}), CustomerID: &owner},
		{Name: "Size", Value: storage.StringValue("M"), CustomerID: &owner},
	})
	note("form values", fmt.Sprint(err))
	for _, u := range []struct {
		id      int
		options []string
	}{
		{fields[0].ID, []string{"red", "green", "<b>"}}, // x_y is free
		{fields[0].ID, []string{"red", "<b>"}},          // green is in use
		{fields[0].ID, []string{"red", "green"}},        // <b> is in use
		{fields[1].ID, []string{"S", "M"}},              // L is free
		{fields[1].ID, []string{"S", "L"}},              // M is in use
	} {
		_, err := db.UpdateFormFields(ctx, []storage.FormFieldUpdate{{ID: u.id, Options: u.options}})
		note(fmt.Sprintf("options %d %v", u.id, u.options), fmt.Sprint(err)) // a batch's errors are a list
	}

	deleted, err := db.DeleteCustomers(ctx, []int{created[len(created)-1].ID, 9999})
	note("deleted", []any{deleted, storage.ErrorCode(err)})
	// A deleted customer's id is not given again.
	again, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "again@example.com", FirstName: "A", LastName: "G"}})
	if err != nil {
		t.Fatalf("create customer: %v", err)
	}
	note("again", again[0].ID)
	return out.String()
}

// pageOf is what a page shows of its customers.
func pageOf(p *storage.Page[*storage.Customer]) map[string]any {
	var items []string
	for _, c := range p.Items {
		items = append(items, fmt.Sprintf("%d %s %s %s", c.ID, c.LastName, c.Email, c.DateCreated.Format(time.RFC3339)))
	}
	return map[string]any{"items": items, "next": p.HasNext, "previous": p.HasPrevious, "total": p.Total, "counted": p.Counted}
}
