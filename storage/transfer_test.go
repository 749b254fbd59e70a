package storage_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
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
	t.Parallel()
	ctx := context.Background()
	src, dst := storagetest.MustOpenDemo(t, 300), storagetest.MustOpenDemo(t, 300)
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
	t.Parallel()
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
	want := map[int]string{2: "The line ends inside its JSON object", 4: "email", 5: "id", 6: "customer_group_id", 7: "date_created",
		8: "addresses.0.country_code"}
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

// TestDB_ImportMessages: each kind of bad line gets its own message, with
// its code and the key's path in the line, and problems come in line order.
func TestDB_ImportMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	line := func(id int, email string, edit func(string) string) string {
		s := `{"id":` + strconv.Itoa(id) + `,"email":"` + email + `","first_name":"A","last_name":"B",` +
			`"date_created":"2019-02-19T18:34:16Z","date_modified":"2019-02-20T18:34:16Z",` +
			`"addresses":[{"id":` + strconv.Itoa(id*10) + `,"first_name":"A","last_name":"B","address1":"1 Main","city":"Austin",` +
			`"state_or_province":"Texas","postal_code":"78701","country_code":"US","address_type":"residential"}]}`
		if edit != nil {
			s = edit(s)
		}
		return s
	}
	replace := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("%q is not in the line", old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	tests := []struct {
		name  string
		lines []string // the last line is the one checked; earlier ones are imported first
		code  string
		field string
		text  string
	}{
		{"MissingDateCreated", []string{line(1, "a@x.io", replace(`"date_created":"2019-02-19T18:34:16Z",`, ""))},
			storage.EREQUIRED, "date_created", "missing"},
		{"EmptyDateModified", []string{line(1, "a@x.io", replace(`"date_modified":"2019-02-20T18:34:16Z"`, `"date_modified":""`))},
			storage.EREQUIRED, "date_modified", "missing"},
		{"BadDate", []string{line(1, "a@x.io", replace(`"2019-02-19T18:34:16Z"`, `"19/02/2019"`))},
			storage.EINVALID, "date_created", `"19/02/2019" is not a date`},
		{"UnknownKey", []string{line(1, "a@x.io", replace(`"first_name":"A"`, `"frist_name":"A"`))},
			storage.EINVALID, "frist_name", "Unknown key; did you mean first_name?"},
		{"UnknownNestedKey", []string{line(1, "a@x.io", replace(`"postal_code":"78701"`, `"postal_code":"78701","zip":"78701"`))},
			storage.EINVALID, "addresses.0.zip", "Unknown key."},
		{"StringID", []string{line(1, "a@x.io", replace(`"id":1,`, `"id":"1",`))},
			storage.EINVALID, "id", "Must be a whole number, not a string."},
		{"StringNestedID", []string{line(1, "a@x.io", replace(`"id":10,`, `"id":"10",`))},
			storage.EINVALID, "addresses.0.id", "Must be a whole number, not a string."},
		{"FractionalID", []string{line(1, "a@x.io", replace(`"id":1,`, `"id":1.5,`))},
			storage.EINVALID, "id", "Must be a whole number, not 1.5."},
		{"ListForObject", []string{line(1, "a@x.io", func(s string) string {
			return strings.Replace(replace(`"addresses":[{`, `"addresses":[[{`)(s), `}]}`, `}]]}`, 1)
		})},
			storage.EINVALID, "addresses.0", "Must be an object, not a list."},
		{"NotAnObject", []string{`[1, 2]`}, storage.EINVALID, "", "A line is one JSON object, not a list."},
		{"Truncated", []string{`{"id": 8, "email": "b@x.io",`}, storage.EINVALID, "", "The line ends inside its JSON object."},
		{"NotJSON", []string{`{id: 8}`}, storage.EINVALID, "", "Not JSON: invalid character 'i'"},
		{"TwoObjects", []string{line(1, "a@x.io", nil) + " {}"}, storage.EINVALID, "", "has more after it"},
		{"DuplicateEmailInFile", []string{line(1, "a@x.io", nil), line(2, "b@x.io", nil), line(3, "A@X.io", nil)},
			storage.ECONFLICT, "email", `The email "A@X.io" is also given to line 1.`},
		{"DuplicateIDInFile", []string{line(1, "a@x.io", nil), line(1, "b@x.io", replace(`"id":10,`, `"id":20,`))},
			storage.ECONFLICT, "id", "The id 1 of a customer is also given to line 1."},
		{"DuplicateAddressIDInFile", []string{line(1, "a@x.io", nil), line(2, "b@x.io", replace(`"id":20,`, `"id":10,`))},
			storage.ECONFLICT, "addresses.0.id", "The id 10 of an address is also given to line 1."},
		{"BadCountryCode", []string{line(1, "a@x.io", replace(`"country_code":"US"`, `"country_code":"USA"`))},
			storage.EINVALID, "addresses.0.country_code", ""},
		{"BadFormValue", []string{line(1, "a@x.io", replace(`"date_created"`, `"form_fields":[{"name":"x","value":"y"},{"name":"z","value":true}],"date_created"`))},
			storage.EINVALID, "form_fields.1.value", "A form field value is a string, a number or a list of strings."},
		{"BadAddressFormValue", []string{line(1, "a@x.io", replace(`"address_type"`, `"form_fields":[{"name":"x","value":[1]}],"address_type"`))},
			storage.EINVALID, "addresses.0.form_fields.0.value", "a list of strings"},
		{"ListedFormValueKeys", []string{line(1, "a@x.io", replace(`"date_created"`, `"form_fields":[{"name":"x","value":"y","customer_id":1}],"date_created"`))},
			storage.EINVALID, "form_fields.0.customer_id", "Unknown key."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storagetest.MustOpenDB(t)
			var problems []storage.ImportProblem
			if _, err := db.Import(ctx, strings.NewReader(strings.Join(tt.lines, "\n")),
				func(p storage.ImportProblem) { problems = append(problems, p) }, nil); err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || problems[0].Line != len(tt.lines) {
				t.Fatalf("problems %v, want one on line %d", problems, len(tt.lines))
			}
			es := storage.AsErrors(problems[0].Err)
			if len(es) == 0 || es[0].Code != tt.code || es[0].Field != tt.field || !strings.Contains(es[0].Message, tt.text) {
				t.Fatalf("problem %v, want %s on %q saying %q", problems[0], tt.code, tt.field, tt.text)
			}
			if msg := problems[0].Error(); strings.Contains(msg, "Go struct") || strings.Contains(msg, "V3Customer") || strings.Contains(msg, "wire.") {
				t.Fatalf("the message speaks Go: %v", problems[0])
			}
		})
	}

	t.Run("IgnoredV3Keys", func(t *testing.T) {
		db := storagetest.MustOpenDB(t)
		st, err := db.Import(ctx, strings.NewReader(line(1, "a@x.io", replace(`"first_name"`, `"shopper_profile_id":"x","segment_ids":["s"],"first_name"`))),
			func(p storage.ImportProblem) { t.Errorf("problem: %v", p) }, nil)
		if err != nil || st.Imported != 1 {
			t.Fatalf("import: %+v %v", st, err)
		}
	})

	t.Run("LineOrder", func(t *testing.T) {
		// Lines that do not decode are found while reading, lines the store
		// refuses while writing; the report interleaves them by line.
		db := storagetest.MustOpenDB(t)
		lines := []string{line(1, "a@x.io", nil), line(2, "a@x.io", nil), `{`, line(4, "b@x.io", replace(`"country_code":"US"`, `"country_code":"ZZ"`)), `[]`}
		var got []int
		if _, err := db.Import(ctx, strings.NewReader(strings.Join(lines, "\n")),
			func(p storage.ImportProblem) { got = append(got, p.Line) }, nil); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, []int{2, 3, 4, 5}) {
			t.Fatalf("problems reported on lines %v, want [2 3 4 5]", got)
		}
	})
}

// updateGolden rewrites the golden files of this package's tests.
var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestDB_ExportBytes pins the bytes export writes: a demo store (every
// relation, list and number form values, consent) and imported lines with
// what the demo lacks (no group, channel access, an origin channel, a
// password hash, HTML and non-ASCII text, tiny and large credit), with
// hashes. Export is a file format: a change here breaks files already
// written, so it must be deliberate (go test ./storage -run ExportBytes
// -update rewrites the file).
func TestDB_ExportBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	if err := db.SeedDemo(ctx, 25); err != nil {
		t.Fatal(err)
	}
	lines := []string{
		`{"id":900,"email":"asa@example.com","first_name":"Åsa","last_name":"Öberg","company":"Åsa & Co <AB>",` +
			`"phone":"+46 8 123 45 67","registration_ip_address":"2001:db8::1","notes":"<b>VIP</b> & \"quoted\" \\ tab\t—✓",` +
			`"tax_exempt_category":"G","customer_group_id":0,"date_created":"2019-02-19T18:34:16Z","date_modified":"2020-03-01T00:00:00Z",` +
			`"authentication":{"force_password_reset":true,"password_hash":"$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"},` +
			`"accepts_product_review_abandoned_cart_emails":true,"channel_ids":[2,3],"origin_channel_id":2,` +
			`"addresses":[{"id":9001,"first_name":"Åsa","last_name":"Öberg","address1":"Drottninggatan 1","address2":"<c/o>",` +
			`"city":"Stockholm","postal_code":"111 51","country_code":"SE","address_type":"commercial","form_fields":[]}],` +
			`"attributes":[],"form_fields":[],"store_credit_amounts":[{"amount":0.0001},{"amount":1234.5},{"amount":99999999.99}],` +
			`"consent":{"allow":["essential","analytics"],"deny":["targeting"],"updated_at":"2020-03-01T00:00:00Z"}}`,
		`{"id":901,"email":"bare@example.com","first_name":"B","last_name":"Are","customer_group_id":2,` +
			`"date_created":"2021-01-01T00:00:00Z","date_modified":"2021-01-01T00:00:00Z","channel_ids":null}`,
	}
	if _, err := db.Import(ctx, strings.NewReader(strings.Join(lines, "\n")), func(p storage.ImportProblem) { t.Error(p) }, nil); err != nil {
		t.Fatal(err)
	}
	got := mustExport(t, db, true)
	golden := filepath.Join("testdata", "export.jsonl")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("export writes other bytes than %s:\n%s", golden, firstDifference(string(want), got))
	}
}
