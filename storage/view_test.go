package storage

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
)

func names[T any](cols []column[T]) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.name)
	}
	return out
}

// openDemo opens a store in a temporary directory, closed when the test
// ends, with the demo's definitions and n demo customers.
func openDemo(t *testing.T, n int) *DB {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	b, err := demoTemplate(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// demoTemplates are the bytes of closed demo stores by size, seeded once
// per process (storagetest does the same for the external tests; it cannot
// be imported here).
var demoTemplates sync.Map // int -> func() ([]byte, error)

func demoTemplate(n int) ([]byte, error) {
	f, _ := demoTemplates.LoadOrStore(n, sync.OnceValues(func() ([]byte, error) {
		dir, err := os.MkdirTemp("", "customers-template-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "template.db")
		ctx := context.Background()
		db, err := Open(ctx, path, Options{})
		if err != nil {
			return nil, err
		}
		if err := db.SeedDemo(ctx, n); err != nil {
			db.Close()
			return nil, err
		}
		if err := db.Close(); err != nil {
			return nil, err
		}
		// Close gathered statistics (PRAGMA optimize); a store freshly
		// seeded by a test has none.
		raw, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			return nil, err
		}
		defer raw.Close()
		if _, err := raw.Exec(`DROP TABLE IF EXISTS sqlite_stat1`); err != nil {
			return nil, err
		}
		if _, err := raw.Exec(`DROP TABLE IF EXISTS sqlite_stat4`); err != nil {
			return nil, err
		}
		if err := raw.Close(); err != nil {
			return nil, err
		}
		return os.ReadFile(path)
	}))
	return f.(func() ([]byte, error))()
}

// TestViewColumns checks that a view naming every column reads exactly what
// the DB's lookups read, that a view of the keys alone leaves the rest
// zero, and that an unknown column is refused.
func TestViewColumns(t *testing.T) {
	ctx := context.Background()
	db := openDemo(t, 150)
	every, err := db.View(Columns{Customer: names(customerFields), Address: names(addressFields),
		AttributeValue: names(attributeValueFields), Attribute: names(attributeFields),
		FormFieldValue: names(formFieldValueFields), FormField: names(formFieldFields), Group: names(groupFields)})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := db.View(Columns{Customer: []string{}, Address: []string{}, AttributeValue: []string{}, Attribute: []string{},
		FormFieldValue: []string{}, FormField: []string{}, Group: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the view read\n%+v\nthe store\n%+v", what, got, want)
		}
	}
	page := PageRequest{Page: 1, Limit: 250, WantTotal: true}
	full, err := db.FindCustomers(ctx, CustomerFilter{}, SortDateCreatedDesc, page)
	if err != nil {
		t.Fatal(err)
	}
	got, err := every.FindCustomers(ctx, CustomerFilter{}, SortDateCreatedDesc, page)
	if err != nil {
		t.Fatal(err)
	}
	same("customers", got, full)
	var ids, groups []int
	for _, c := range full.Items {
		ids = append(ids, c.ID)
		if c.CustomerGroupID != nil {
			groups = append(groups, *c.CustomerGroupID)
		}
	}
	check := func(what string, view, store func(*View) (any, error)) {
		t.Helper()
		g, err := view(every)
		if err != nil {
			t.Fatal(what, err)
		}
		w, err := store(db.all)
		if err != nil {
			t.Fatal(what, err)
		}
		same(what, g, w)
		if reflect.ValueOf(w).Len() == 0 {
			t.Fatalf("%s: nothing to compare", what)
		}
	}
	addrs, err := db.FindAddressesByCustomerIDs(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var addrIDs []int
	for _, as := range addrs {
		for _, a := range as {
			addrIDs = append(addrIDs, a.ID)
		}
	}
	vals, err := db.FindAttributeValuesByCustomerIDs(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var attrIDs []int
	for _, vs := range vals {
		for _, v := range vs {
			attrIDs = append(attrIDs, v.AttributeID)
		}
	}
	ffvs, err := db.FindFormFieldValuesByCustomerIDs(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var fieldIDs []int
	for _, vs := range ffvs {
		for _, v := range vs {
			fieldIDs = append(fieldIDs, v.FormFieldID)
		}
	}
	check("customers by id", func(v *View) (any, error) { return v.FindCustomersByIDs(ctx, ids) },
		func(v *View) (any, error) { return v.FindCustomersByIDs(ctx, ids) })
	check("group customers", func(v *View) (any, error) {
		return v.FindCustomersByGroupIDs(ctx, groups, CustomerFilter{NameLike: []string{"an"}}, SortLastNameAsc, page)
	}, func(v *View) (any, error) {
		return v.FindCustomersByGroupIDs(ctx, groups, CustomerFilter{NameLike: []string{"an"}}, SortLastNameAsc, page)
	})
	check("addresses", func(v *View) (any, error) { return v.FindAddressesByCustomerIDs(ctx, ids) },
		func(v *View) (any, error) { return v.FindAddressesByCustomerIDs(ctx, ids) })
	check("attribute values", func(v *View) (any, error) { return v.FindAttributeValuesByCustomerIDs(ctx, ids) },
		func(v *View) (any, error) { return v.FindAttributeValuesByCustomerIDs(ctx, ids) })
	check("attributes", func(v *View) (any, error) { return v.FindAttributesByIDs(ctx, attrIDs) },
		func(v *View) (any, error) { return v.FindAttributesByIDs(ctx, attrIDs) })
	check("customer form field values", func(v *View) (any, error) { return v.FindFormFieldValuesByCustomerIDs(ctx, ids) },
		func(v *View) (any, error) { return v.FindFormFieldValuesByCustomerIDs(ctx, ids) })
	check("address form field values", func(v *View) (any, error) { return v.FindFormFieldValuesByAddressIDs(ctx, addrIDs) },
		func(v *View) (any, error) { return v.FindFormFieldValuesByAddressIDs(ctx, addrIDs) })
	check("form fields", func(v *View) (any, error) { return v.FindFormFieldsByIDs(ctx, fieldIDs) },
		func(v *View) (any, error) { return v.FindFormFieldsByIDs(ctx, fieldIDs) })
	check("groups", func(v *View) (any, error) { return v.FindGroupsByIDs(ctx, groups) },
		func(v *View) (any, error) { return v.FindGroupsByIDs(ctx, groups) })
	one, err := every.FindCustomerByID(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	same("customer", one, full.Items[0])

	// Keys only: the relating ids, nothing else.
	k, err := keys.FindCustomerByID(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	same("customer keys", k, &Customer{ID: ids[0]})
	ka, err := keys.FindAddressesByCustomerIDs(ctx, ids[:1])
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ka[ids[0]] {
		same("address keys", a, &CustomerAddress{ID: a.ID, CustomerID: ids[0]})
	}
	if _, err := keys.FindCustomerByID(ctx, 1<<40); ErrorCode(err) != ENOTFOUND {
		t.Fatalf("a missing customer: %v", err)
	}

	for _, bad := range []Columns{{Customer: []string{"password_hash"}}, {Address: []string{"a.id"}}, {Group: []string{"name; DROP TABLE customers"}}} {
		if _, err := db.View(bad); err == nil {
			t.Errorf("View(%+v) accepted", bad)
		}
	}
}

// TestSnapshotOnAFullPool: statements new to the cache, run in a snapshot
// that holds the pool's only connection, must not wait for a second one.
func TestSnapshotOnAFullPool(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "one.db"), Options{ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SeedDemo(ctx, 20); err != nil {
		t.Fatal(err)
	}
	// A deadlock shows as the deadline, not as a hung test.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sctx, end, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	v, err := db.View(Columns{Customer: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the first runs unprepared, later ones may find it cached
		pg, err := v.FindCustomers(sctx, CustomerFilter{NameLike: []string{"son"}}, SortLastNameDesc, PageRequest{Page: 2, Limit: 3, WantTotal: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.FindAddressesByCustomerIDs(sctx, []int{pg.Items[0].ID}); err != nil {
			t.Fatal(err)
		}
	}
}
