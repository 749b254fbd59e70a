package storage_test

import (
	"bytes"
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// mustExport returns the store's export.
func mustExport(t *testing.T, db *storage.DB, hashes bool) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := db.Export(context.Background(), &b, hashes); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDB_ExportImport exports a store and imports it into a store with the
// same definitions and no customers: the two then export the same bytes.
func TestDB_ExportImport(t *testing.T) {
	ctx := context.Background()
	src, dst := storagetest.MustOpenDB(t), storagetest.MustOpenDB(t)
	for _, db := range []*storage.DB{src, dst} {
		if err := db.SeedDemo(ctx, 300); err != nil {
			t.Fatal(err)
		}
	}
	// A customer with a password, channel access, consent and a form field
	// list value, beyond what the demo writes.
	pw := "S3cret-pass"
	made, err := src.CreateCustomers(ctx, []storage.CustomerInput{{Email: "Pass@Word.example", FirstName: "Åsa", LastName: "Pass",
		NewPassword: &pw, ChannelIDs: []int{2, 3}, ForcePasswordReset: true,
		StoreCreditAmounts: []*storage.StoreCreditAmount{{Amount: 0.0001}, {Amount: 1234.5}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.UpdateConsent(ctx, storage.ConsentInput{CustomerID: made[0].ID,
		Allow: []storage.ConsentCategory{storage.ConsentEssential}, Deny: []storage.ConsentCategory{storage.ConsentTargeting}}); err != nil {
		t.Fatal(err)
	}
	// Empty the destination of customers, keeping its definitions.
	for {
		pg, err := dst.FindCustomers(ctx, storage.CustomerFilter{}, storage.SortIDAsc, storage.PageRequest{Page: 1, Limit: storage.MaxBatch})
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Items) == 0 {
			break
		}
		var ids []int
		for _, c := range pg.Items {
			ids = append(ids, c.ID)
		}
		if _, err := dst.DeleteCustomers(ctx, ids); err != nil {
			t.Fatal(err)
		}
	}

	export := mustExport(t, src, true)
	if got := strings.Count(export, "\n"); got != 301 {
		t.Fatalf("exported %d lines, want 301", got)
	}
	if strings.Contains(mustExport(t, src, false), "argon2id") {
		t.Fatal("an export without -include-password-hashes holds a hash")
	}
	var problems []storage.ImportProblem
	var progress []storage.ImportStats
	st, err := dst.Import(ctx, strings.NewReader(export), func(p storage.ImportProblem) { problems = append(problems, p) },
		func(s storage.ImportStats) { progress = append(progress, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 || st.Imported != 301 || st.Rejected != 0 {
		t.Fatalf("import: %+v, problems %v", st, problems)
	}
	if len(progress) == 0 || progress[len(progress)-1].Imported != 301 {
		t.Fatalf("progress=%+v", progress)
	}
	if got, want := mustExport(t, dst, true), export; got != want {
		t.Fatal("the imported store exports differently from the original")
	}
	if snapshot(t, dst) != snapshot(t, src) {
		t.Fatal("the imported store reads differently from the original")
	}
	check, err := dst.CheckCredentials(ctx, "pass@word.example", pw, 2)
	if err != nil || !check.Valid || check.CustomerID != made[0].ID || !check.ForcePasswordReset {
		t.Fatalf("imported password check=%+v (%v)", check, err)
	}
	// The deletes above recorded events; the import adds none.
	events, err := dst.FindEventsAfter(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Scope != storage.ScopeCustomerDeleted {
			t.Fatalf("import recorded %s", e.Scope)
		}
	}

	t.Run("ImportTwiceConflicts", func(t *testing.T) {
		var problems []storage.ImportProblem
		st, err := dst.Import(ctx, strings.NewReader(export), func(p storage.ImportProblem) { problems = append(problems, p) }, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Imported != 0 || st.Rejected != 301 || storage.AsErrors(problems[0].Err)[0].Code != storage.ECONFLICT {
			t.Fatalf("second import: %+v, first problem %v", st, problems[0])
		}
	})
}

// TestDB_ImportBadLines reports each bad line with its number and reason and
// imports the good ones.
func TestDB_ImportBadLines(t *testing.T) {
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	grp, err := db.CreateGroup(ctx, storage.GroupInput{Name: "G"})
	if err != nil {
		t.Fatal(err)
	}
	good := func(id int, email string) string {
		return `{"id":` + strconv.Itoa(id) + `,"email":"` + email + `","first_name":"A","last_name":"B","customer_group_id":` + strconv.Itoa(grp.ID) +
			`,"date_created":"2019-02-19T18:34:16Z","date_modified":"2019-02-20T18:34:16Z","authentication":{"force_password_reset":false},` +
			`"channel_ids":null,"addresses":[{"id":` + strconv.Itoa(id*10) + `,"first_name":"A","last_name":"B","address1":"1 Main","city":"Austin",` +
			`"state_or_province":"Texas","postal_code":"78701","country_code":"US","address_type":"commercial","form_fields":[]}],` +
			`"attributes":[],"form_fields":[],"store_credit_amounts":[{"amount":43.15}]}`
	}
	lines := []string{
		good(7, "a@x.io"),              // 1
		`{"id": 8, "email": "b@x.io",`, // 2: bad JSON
		"",                             // 3: blank, skipped
		good(9, "A@X.IO"),              // 4: email taken (by line 1, ignoring case)
		good(7, "c@x.io"),              // 5: id taken
		strings.Replace(good(11, "d@x.io"), `"customer_group_id":`+strconv.Itoa(grp.ID), `"customer_group_id":99`, 1), // 6: no such group
		strings.Replace(good(12, "e@x.io"), `"date_created":"2019-02-19T18:34:16Z"`, `"date_created":"yesterday"`, 1), // 7
		strings.Replace(good(13, "f@x.io"), `"country_code":"US"`, `"country_code":"USA"`, 1),                         // 8
		good(14, "g@x.io"), // 9
	}
	var problems []storage.ImportProblem
	st, err := db.Import(ctx, strings.NewReader(strings.Join(lines, "\n")), func(p storage.ImportProblem) { problems = append(problems, p) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines != 9 || st.Imported != 2 || st.Rejected != 6 {
		t.Fatalf("stats=%+v", st)
	}
	got := map[int]string{}
	for _, p := range problems {
		got[p.Line] = p.Error()
	}
	want := map[int]string{2: "not a V3 customer object", 4: "email", 5: "id", 6: "customerGroupId", 7: "date_created", 8: "addresses.0.countryCode"}
	if len(got) != len(want) {
		t.Fatalf("problems=%v", got)
	}
	for line, part := range want {
		if !strings.Contains(got[line], part) || !strings.HasPrefix(got[line], "line "+strconv.Itoa(line)+":") {
			t.Fatalf("line %d: %q, want it to name %q", line, got[line], part)
		}
	}
	cs, err := db.FindCustomers(ctx, storage.CustomerFilter{}, storage.SortIDAsc, storage.PageRequest{Page: 1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Items) != 2 || cs.Items[0].ID != 7 || cs.Items[1].ID != 14 {
		t.Fatalf("imported %+v, want ids 7 and 14", cs.Items)
	}
	c := cs.Items[0]
	if c.DateCreated.Format("2006-01-02T15:04:05Z") != "2019-02-19T18:34:16Z" || c.CustomerGroupID == nil || *c.CustomerGroupID != grp.ID {
		t.Fatalf("customer 7=%+v: dates and group not kept", c)
	}
	addrs, err := db.FindAddressesByCustomerIDs(ctx, []int{7})
	if err != nil || len(addrs[7]) != 1 || addrs[7][0].ID != 70 || addrs[7][0].AddressType != storage.AddressCommercial {
		t.Fatalf("addresses of 7=%+v (%v)", addrs[7], err)
	}
	// Nothing of a rejected line was written.
	for _, id := range []int{9, 11, 12, 13} {
		if _, err := db.FindCustomerByID(ctx, id); storage.ErrorCode(err) != storage.ENOTFOUND {
			t.Fatalf("rejected customer %d exists (%v)", id, err)
		}
	}
	if all, _ := db.FindAddresses(ctx, storage.CustomerAddressFilter{}, storage.PageRequest{Page: 1, Limit: 50}); !reflect.DeepEqual(
		[]int{all.Items[0].ID, all.Items[1].ID}, []int{70, 140}) || len(all.Items) != 2 {
		t.Fatalf("addresses=%+v, want those of the imported lines only", all.Items)
	}
}
