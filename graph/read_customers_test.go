package graph_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// readFixture is a small store with known values for the filter tests.
type readFixture struct {
	retail, wholesale int // group ids
	// customers by first name
	ids map[string]int
}

// at parses an RFC 3339 time for fixtures.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// seedCustomers writes the read fixture through the store's own API, each
// customer at its own creation time.
func seedCustomers(t testing.TB, db *storage.DB) readFixture {
	t.Helper()
	ctx := context.Background()
	f := readFixture{ids: map[string]int{}}
	for _, g := range []struct {
		name string
		id   *int
	}{{"Retail", &f.retail}, {"Wholesale", &f.wholesale}} {
		grp, err := db.CreateGroup(ctx, storage.GroupInput{Name: g.name})
		if err != nil {
			t.Fatal(err)
		}
		*g.id = grp.ID
	}
	none := storage.Optional[*int]{Set: true}
	group := func(id int) storage.Optional[*int] { return storage.Some(&id) }
	for _, c := range []struct {
		created string
		in      storage.CustomerInput
	}{
		{"2018-09-01T10:00:00Z", storage.CustomerInput{Email: "sherlock@bakerstreet.example", FirstName: "Sherlock", LastName: "Holmes",
			Company: "bigcommerce", Phone: "+44 20 7224 3688", CustomerGroupID: group(f.retail), RegistrationIPAddress: "198.51.100.7"}},
		{"2018-09-05T00:00:00Z", storage.CustomerInput{Email: "james@moriarty.example", FirstName: "James", LastName: "Moriarty",
			Company: "commongood", Phone: "555-0100", CustomerGroupID: group(f.wholesale)}},
		{"2018-09-05T23:59:59Z", storage.CustomerInput{Email: "John.Watson@Example.com", FirstName: "John", LastName: "Watson",
			Company: "other", CustomerGroupID: none, RegistrationIPAddress: "198.51.100.8"}},
		{"2018-09-10T12:00:00Z", storage.CustomerInput{Email: "irene@adler.example", FirstName: "Irene", LastName: "Adler",
			CustomerGroupID: group(f.retail)}},
		{"2018-09-11T00:00:00Z", storage.CustomerInput{Email: "asa@lindqvist.example", FirstName: "Åsa", LastName: "Lindqvist",
			Company: "bigcommerce", CustomerGroupID: none}},
		{"2018-09-11T00:00:00Z", storage.CustomerInput{Email: "percent@sale.example", FirstName: "Mary", LastName: "100%_Off",
			Company: "'; DROP TABLE customers; --", CustomerGroupID: none}},
	} {
		storagetest.SetNow(db, at(c.created))
		out, err := db.CreateCustomers(ctx, []storage.CustomerInput{c.in})
		if err != nil {
			t.Fatalf("seed %s: %v", c.in.Email, err)
		}
		f.ids[c.in.FirstName] = out[0].ID
	}
	// Watson and Adler change later, so dateModified differs from dateCreated.
	for _, u := range []struct {
		at string
		id int
	}{{"2019-01-01T08:00:00Z", f.ids["John"]}, {"2019-01-02T08:00:00Z", f.ids["Irene"]}} {
		storagetest.SetNow(db, at(u.at))
		if _, err := db.UpdateCustomers(ctx, []storage.CustomerUpdate{{ID: u.id, Notes: ptr("updated")}}); err != nil {
			t.Fatal(err)
		}
	}
	storagetest.SetNow(db, storagetest.Now)
	return f
}

// customerIDs runs customers(filter, sort) and returns the ids in order.
func customerIDs(t *testing.T, s *testServer, vars map[string]any) []int {
	t.Helper()
	var out struct {
		Customers struct{ Nodes []node } `json:"customers"`
	}
	s.mustQuery(`query($filter: CustomerFilter, $sort: CustomerSort, $limit: Int) {
		customers(filter: $filter, sort: $sort, limit: $limit) { nodes { id } } }`, vars, &out)
	return ids(out.Customers.Nodes)
}

func TestQuery_CustomersFilter(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	f := seedCustomers(t, s.db)
	id := f.ids
	all := []int{id["Sherlock"], id["James"], id["John"], id["Irene"], id["Åsa"], id["Mary"]}

	tests := []struct {
		name   string
		filter map[string]any
		want   []int
	}{
		{"None", nil, all},
		{"Empty", map[string]any{}, all},
		// C22: only the ids that exist.
		{"C22_IDIn", map[string]any{"idIn": []int{id["James"], id["John"], 999}}, []int{id["James"], id["John"]}},
		{"IDInEmptyMatchesNothing", map[string]any{"idIn": []int{}}, []int{}},
		// C23
		{"C23_CompanyIn", map[string]any{"companyIn": []string{"bigcommerce", "commongood"}},
			[]int{id["Sherlock"], id["James"], id["Åsa"]}},
		{"CompanyInIsExact", map[string]any{"companyIn": []string{"BigCommerce"}}, []int{}},
		// C24
		{"C24_CustomerGroupIdIn", map[string]any{"customerGroupIdIn": []int{f.retail, f.wholesale}},
			[]int{id["Sherlock"], id["James"], id["Irene"]}},
		{"CustomerGroupIdInOne", map[string]any{"customerGroupIdIn": []int{f.wholesale}}, []int{id["James"]}},
		// C25, C26: substring of "first last", ignoring case; values ORed.
		{"C25_NameLike", map[string]any{"nameLike": []string{"moriarty"}}, []int{id["James"]}},
		{"C26_NameLikeOr", map[string]any{"nameLike": []string{"moriarty", "sherlock"}}, []int{id["Sherlock"], id["James"]}},
		{"NameLikeAcrossTheSpace", map[string]any{"nameLike": []string{"lock hol"}}, []int{id["Sherlock"]}},
		{"NameLikeUnicode", map[string]any{"nameLike": []string{"ÅSA"}}, []int{id["Åsa"]}},
		{"NameLikeDecomposed", map[string]any{"nameLike": []string{"A\u030aSA LIND"}}, []int{id["Åsa"]}},
		{"NameLikePercentIsLiteral", map[string]any{"nameLike": []string{"0%_o"}}, []int{id["Mary"]}},
		{"NameLikePercentAlone", map[string]any{"nameLike": []string{"%"}}, []int{id["Mary"]}},
		{"NameLikeUnderscoreAlone", map[string]any{"nameLike": []string{"_"}}, []int{id["Mary"]}},
		{"NameLikeSQL", map[string]any{"nameLike": []string{"' OR 1=1 --"}}, []int{}},
		// C27: the full name, ignoring case.
		{"C27_NameIn", map[string]any{"nameIn": []string{"James Moriarty"}}, []int{id["James"]}},
		{"NameInIgnoresCase", map[string]any{"nameIn": []string{"JAMES MORIARTY", "åsa lindqvist"}}, []int{id["James"], id["Åsa"]}},
		{"NameInIsWhole", map[string]any{"nameIn": []string{"James"}}, []int{}},
		// C28 and decision 2: inclusive bounds; a date-only max covers its day.
		{"C28_DateCreatedMinDate", map[string]any{"dateCreatedMin": "2018-09-05"},
			[]int{id["James"], id["John"], id["Irene"], id["Åsa"], id["Mary"]}},
		{"DateCreatedMaxDateCoversTheDay", map[string]any{"dateCreatedMax": "2018-09-05"},
			[]int{id["Sherlock"], id["James"], id["John"]}},
		{"DateCreatedExactDate", map[string]any{"dateCreated": "2018-09-05"}, []int{id["James"], id["John"]}},
		{"DateCreatedExactDateTime", map[string]any{"dateCreated": "2018-09-05T23:59:59"}, []int{id["John"]}},
		{"DateCreatedMinDateTimeInclusive", map[string]any{"dateCreatedMin": "2018-09-10T12:00:00"},
			[]int{id["Irene"], id["Åsa"], id["Mary"]}},
		{"DateCreatedMaxDateTimeInclusive", map[string]any{"dateCreatedMax": "2018-09-05T00:00:00Z"},
			[]int{id["Sherlock"], id["James"]}},
		{"DateCreatedRFC3339Offset", map[string]any{"dateCreatedMax": "2018-09-05T02:00:00+02:00"},
			[]int{id["Sherlock"], id["James"]}},
		{"DateCreatedUnixSeconds", map[string]any{"dateCreatedMin": 1536624000}, []int{id["Åsa"], id["Mary"]}},
		{"DateCreatedUnixMillis", map[string]any{"dateCreatedMin": "1536624000000"}, []int{id["Åsa"], id["Mary"]}},
		{"DateCreatedRange", map[string]any{"dateCreatedMin": "2018-09-02", "dateCreatedMax": "2018-09-10"},
			[]int{id["James"], id["John"], id["Irene"]}},
		{"DateCreatedEmptyRange", map[string]any{"dateCreatedMin": "2018-09-10", "dateCreatedMax": "2018-09-02"}, []int{}},
		{"DateModifiedMin", map[string]any{"dateModifiedMin": "2019-01-01"}, []int{id["John"], id["Irene"]}},
		{"DateModifiedMax", map[string]any{"dateModifiedMax": "2019-01-01"},
			[]int{id["Sherlock"], id["James"], id["John"], id["Åsa"], id["Mary"]}},
		{"DateModifiedExact", map[string]any{"dateModified": "2019-01-02"}, []int{id["Irene"]}},
		// Decision 4: emails match ignoring case.
		{"EmailIn", map[string]any{"emailIn": []string{"JOHN.WATSON@example.com", "irene@adler.example", "nobody@x.io"}},
			[]int{id["John"], id["Irene"]}},
		{"PhoneIn", map[string]any{"phoneIn": []string{"555-0100"}}, []int{id["James"]}},
		{"RegistrationIpAddressIn", map[string]any{"registrationIpAddressIn": []string{"198.51.100.7", "198.51.100.8"}},
			[]int{id["Sherlock"], id["John"]}},
		{"RegistrationIpAddressEmpty", map[string]any{"registrationIpAddressIn": []string{""}},
			[]int{id["James"], id["Irene"], id["Åsa"], id["Mary"]}},
		// Decision 6: fields combine with AND.
		{"AndAcrossFields", map[string]any{"companyIn": []string{"bigcommerce"}, "dateCreatedMin": "2018-09-02"}, []int{id["Åsa"]}},
		{"AndCanBeEmpty", map[string]any{"companyIn": []string{"bigcommerce"}, "nameLike": []string{"moriarty"}}, []int{}},
		// Values that look like SQL are data.
		{"CompanyInSQL", map[string]any{"companyIn": []string{"'; DROP TABLE customers; --"}}, []int{id["Mary"]}},
		{"EmailInSQL", map[string]any{"emailIn": []string{"x' OR '1'='1"}}, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := customerIDs(t, s, map[string]any{"filter": tt.filter})
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ids=%v, want %v", got, tt.want)
			}
		})
	}
	// The hostile values above left the table whole.
	if got := customerIDs(t, s, nil); !reflect.DeepEqual(got, all) {
		t.Fatalf("after hostile filters, ids=%v, want %v", got, all)
	}
}

func TestQuery_CustomersSort(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	f := seedCustomers(t, s.db)
	id := f.ids
	tests := []struct {
		sort string
		want []int
	}{
		{"ID_ASC", []int{id["Sherlock"], id["James"], id["John"], id["Irene"], id["Åsa"], id["Mary"]}},
		{"ID_DESC", []int{id["Mary"], id["Åsa"], id["Irene"], id["John"], id["James"], id["Sherlock"]}},
		// C29; Åsa and Mary share a creation time: the tie breaks by id in
		// the sort's direction.
		{"DATE_CREATED_ASC", []int{id["Sherlock"], id["James"], id["John"], id["Irene"], id["Åsa"], id["Mary"]}},
		{"DATE_CREATED_DESC", []int{id["Mary"], id["Åsa"], id["Irene"], id["John"], id["James"], id["Sherlock"]}},
		{"DATE_MODIFIED_ASC", []int{id["Sherlock"], id["James"], id["Åsa"], id["Mary"], id["John"], id["Irene"]}},
		{"DATE_MODIFIED_DESC", []int{id["Irene"], id["John"], id["Mary"], id["Åsa"], id["James"], id["Sherlock"]}},
		// C29: last names A to Z, ignoring case ("100%_Off" sorts first).
		{"LAST_NAME_ASC", []int{id["Mary"], id["Irene"], id["Sherlock"], id["Åsa"], id["James"], id["John"]}},
		{"LAST_NAME_DESC", []int{id["John"], id["James"], id["Åsa"], id["Sherlock"], id["Irene"], id["Mary"]}},
	}
	for _, tt := range tests {
		t.Run(tt.sort, func(t *testing.T) {
			if got := customerIDs(t, s, map[string]any{"sort": tt.sort}); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ids=%v, want %v", got, tt.want)
			}
		})
	}
	t.Run("TiesBreakByID", func(t *testing.T) {
		// Three customers with one last name and one creation time.
		storagetest.SetNow(s.db, at("2020-01-01T00:00:00Z"))
		var made []int
		for i := range 3 {
			out, err := s.db.CreateCustomers(context.Background(), []storage.CustomerInput{{
				Email: fmt.Sprintf("tie%d@x.io", i), FirstName: "Tie", LastName: "Same"}})
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, out[0].ID)
		}
		filter := map[string]any{"idIn": made}
		if got := customerIDs(t, s, map[string]any{"filter": filter, "sort": "LAST_NAME_ASC"}); !slices.Equal(got, made) {
			t.Fatalf("LAST_NAME_ASC ids=%v, want %v", got, made)
		}
		desc := slices.Clone(made)
		slices.Reverse(desc)
		if got := customerIDs(t, s, map[string]any{"filter": filter, "sort": "DATE_CREATED_DESC"}); !slices.Equal(got, desc) {
			t.Fatalf("DATE_CREATED_DESC ids=%v, want %v", got, desc)
		}
	})
	t.Run("C30_UnknownSort", func(t *testing.T) {
		s.mustFail(`{ customers(sort: FIRST_NAME_ASC) { nodes { id } } }`, nil, "GRAPHQL_VALIDATION_FAILED")
	})
}
