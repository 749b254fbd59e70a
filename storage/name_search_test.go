package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestNameLikeTrigramIndex checks name:like on the trigram index against
// the plain scan and against a substring test done here, for awkward
// terms, and again after renames and deletions (the triggers keep the
// index in step).
func TestNameLikeTrigramIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDemo(t, 300)
	names := [][2]string{
		{"Zoë", "O'Brien"}, {`Quote "Q"`, "Man"}, {"Åsa", "Þórsson"}, {"Jan", "van der Berg"}, {"Hans", "Weiß"},
		{"Nguyễn", "Văn An"}, {"ANNA", "ANNAN"}, {"a*b", "(c) AND d"}, {"NEAR", "x:y^z"}, {"Tab Here", "Nul In"},
		{"ΣΊΣΥΦΟΣ", "Ὀδυσσεύς"}, {"李", "小龍"}, {"🛒🛒🛒", "emoji"},
	}
	var in []CustomerInput
	for i, n := range names {
		in = append(in, CustomerInput{Email: fmt.Sprintf("n%d@names.example", i), FirstName: n[0], LastName: n[1]})
	}
	for len(in) > 0 { // batches hold at most 10
		n := min(len(in), 10)
		if _, err := db.CreateCustomers(ctx, in[:n]); err != nil {
			t.Fatal(err)
		}
		in = in[n:]
	}
	terms := [][]string{
		{"an"}, {"ann"}, {"ANNA"}, {"nna"}, {"zoë"}, {"ZOË O'B"}, {"o'b"}, {`"q"`}, {`e "q" m`}, {"åsa þ"}, {"ÅSA"},
		{"der b"}, {"van der berg"}, {"weiß"}, {"WEISS"}, {"ễn v"}, {"a*b"}, {"(c) and"}, {"near"}, {"x:y^"},
		{"\there"}, {"nul\x00in"}, {"σίσυφος"}, {"ὀδυσσ"}, {"小龍"}, {"李 小"}, {"🛒🛒🛒"}, {"zzzqqq"}, {"   "},
		{"ann", "zoë"}, {"ann", "an"}, {"weiß", "nomatch"}, {""}, {"ab"},
	}
	// every returns all customers that match f, walking the pages.
	every := func(f CustomerFilter) ([]*Customer, int, error) {
		var out []*Customer
		total := 0
		for p := 1; ; p++ {
			pg, err := db.FindCustomers(ctx, f, CustomerSort(""), PageRequest{Page: p, Limit: 250, WantTotal: true})
			if err != nil {
				return nil, 0, err
			}
			out, total = append(out, pg.Items...), pg.Total
			if !pg.HasNext {
				return out, total, nil
			}
		}
	}
	check := func(stage string) {
		t.Helper()
		all, _, err := every(CustomerFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, term := range terms {
			var want []int
			for _, c := range all {
				for _, s := range term {
					if strings.Contains(Fold(fullName(c.FirstName, c.LastName)), Fold(s)) {
						want = append(want, c.ID)
						break
					}
				}
			}
			for _, candidates := range []int{5000, 0} { // the index, then the scan
				trigramCandidates = candidates
				got, total, err := every(CustomerFilter{NameLike: term})
				trigramCandidates = 5000
				if err != nil {
					t.Fatalf("%s: %q: %v", stage, term, err)
				}
				var ids []int
				for _, c := range got {
					ids = append(ids, c.ID)
				}
				if !slices.Equal(ids, want) || total != len(want) {
					t.Fatalf("%s: nameLike %q (candidates %d): %v (total %d), want %v", stage, term, candidates, ids, total, want)
				}
			}
		}
	}
	check("created")

	// Rename some, delete others, and touch a customer without renaming it.
	page, err := db.FindCustomers(ctx, CustomerFilter{EmailIn: []string{"n0@names.example", "n3@names.example", "n6@names.example"}}, CustomerSort(""), PageRequest{Page: 1, Limit: 10})
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("%v %v", page, err)
	}
	zed, anna, notes := "Zed", "Nobody", "no rename"
	if _, err := db.UpdateCustomers(ctx, []CustomerUpdate{{ID: page.Items[0].ID, FirstName: &zed}, {ID: page.Items[2].ID, LastName: &anna},
		{ID: page.Items[1].ID, Notes: &notes}}); err != nil {
		t.Fatal(err)
	}
	terms = append(terms, []string{"zed o'b"}, []string{"nobody"})
	check("renamed")
	if _, err := db.DeleteCustomers(ctx, []int{page.Items[1].ID, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	check("deleted")
}

func TestTrigramQuery(t *testing.T) {
	for _, c := range []struct {
		terms []string
		want  string
	}{
		{nil, ""},
		{[]string{"ab"}, ""},
		{[]string{"abc", "x"}, ""},
		{[]string{"ABC"}, `("abc")`},
		{[]string{"aaaa"}, `("aaa")`},
		{[]string{`a"bc`}, `("a""b" AND """bc")`},
		{[]string{"Åsa", "zoë o"}, `("åsa") OR ("zoë" AND "oë " AND "ë o")`},
	} {
		if got := trigramQuery(c.terms); got != c.want {
			t.Errorf("trigramQuery(%q) = %s, want %s", c.terms, got, c.want)
		}
	}
}

// TestDateRangeNarrowOrBroad checks that a date range finds the same rows,
// in every sort, whether narrowRanges finds it narrow (the statement marks
// it, and the date's index serves it) or broad (unmarked: the walk in the
// list's order), for customers, subscribers and attribute values; and that
// the statements run are marked accordingly.
func TestDateRangeNarrowOrBroad(t *testing.T) {
	// Not parallel: it sets the package's rangeCandidates, which every
	// customer list of the other tests reads.
	ctx := context.Background()
	db := openDemo(t, 300)
	log := &statementLog{}
	db.Observer = log.observe
	all, err := db.FindCustomers(ctx, CustomerFilter{}, SortDateCreatedAsc, PageRequest{Page: 1, Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	mid := all.Items[len(all.Items)/2]
	ranges := map[string][2]TimeRange{ // created, modified
		"createdMin":  {{Min: &mid.DateCreated}, {}},
		"createdMax":  {{Max: &mid.DateCreated}, {}},
		"modifiedMin": {{}, {Min: &mid.DateModified}},
		"both":        {{Min: &all.Items[10].DateCreated, Max: &mid.DateCreated}, {Min: &all.Items[5].DateModified}},
	}
	// walk returns the ids of every page of a list, and the statements run.
	walk := func(page func(p int) ([]int, bool, error)) ([]int, []string) {
		var ids []int
		stmts, err := log.ran(func() error {
			for p := 1; ; p++ {
				got, more, err := page(p)
				if err != nil {
					return err
				}
				ids = append(ids, got...)
				if !more {
					return nil
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, stmts
	}
	lists := map[string]func(r [2]TimeRange, s CustomerSort) func(p int) ([]int, bool, error){
		"customers": func(r [2]TimeRange, s CustomerSort) func(int) ([]int, bool, error) {
			return func(p int) ([]int, bool, error) {
				return pageIDs(func(c *Customer) int { return c.ID })(db.FindCustomers(ctx, CustomerFilter{DateCreated: r[0], DateModified: r[1]}, s, PageRequest{Page: p, Limit: 40}))
			}
		},
		"subscribers": func(r [2]TimeRange, _ CustomerSort) func(int) ([]int, bool, error) {
			return func(p int) ([]int, bool, error) {
				return pageIDs(func(s *Subscriber) int { return s.ID })(db.FindSubscribers(ctx, SubscriberFilter{DateCreated: r[0], DateModified: r[1]}, PageRequest{Page: p, Limit: 250}))
			}
		},
		"attributeValues": func(r [2]TimeRange, _ CustomerSort) func(int) ([]int, bool, error) {
			return func(p int) ([]int, bool, error) {
				return pageIDs(func(v *CustomerAttributeValue) int { return v.ID })(db.FindAttributeValues(ctx, CustomerAttributeValueFilter{DateCreated: r[0], DateModified: r[1]},
					PageRequest{Page: p, Limit: 250}))
			}
		},
	}
	saved := rangeCandidates
	defer func() { rangeCandidates = saved }()
	for list, page := range lists {
		sorts := customerSorts
		if list != "customers" {
			sorts = customerSorts[:1] // the others have one order
		}
		for name, r := range ranges {
			for _, s := range sorts {
				var ids [2][]int
				for i, candidates := range []int{5000, 1} { // narrow, then broad
					rangeCandidates = candidates
					var stmts []string
					ids[i], stmts = walk(page(r, s))
					marked := slices.ContainsFunc(stmts, func(st string) bool { return strings.Contains(st, "likelihood(") })
					if want := i == 0; marked != want {
						t.Errorf("%s %s %s, %d candidates: statements marked narrow: %v, want %v\n%s", list, name, s, candidates,
							marked, want, strings.Join(stmts, "\n"))
					}
				}
				if len(ids[0]) == 0 || !slices.Equal(ids[0], ids[1]) {
					t.Errorf("%s %s %s: narrow found %v, broad %v", list, name, s, ids[0], ids[1])
				}
			}
		}
	}
}

// pageIDs returns the ids of a page's records (id reads one), and whether a
// next page follows.
func pageIDs[T any](id func(T) int) func(*Page[T], error) ([]int, bool, error) {
	return func(pg *Page[T], err error) ([]int, bool, error) {
		if err != nil {
			return nil, false, err
		}
		ids := make([]int, len(pg.Items))
		for i, r := range pg.Items {
			ids[i] = id(r)
		}
		return ids, pg.HasNext, nil
	}
}
