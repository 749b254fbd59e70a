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

// mustCreateCustomers creates n customers named "Page <prefix> i", one second apart
// starting at start, and returns their ids.
func mustCreateCustomers(t testing.TB, db *storage.DB, n int, start time.Time, prefix string) []int {
	t.Helper()
	var out []int
	for i := range n {
		storagetest.SetNow(db, start.Add(time.Duration(i)*time.Second))
		made, err := db.CreateCustomers(context.Background(), []storage.CustomerInput{{
			Email: fmt.Sprintf("%s%d@page.example", prefix, i), FirstName: "Page", LastName: fmt.Sprintf("%s %03d", prefix, i)}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, made[0].ID)
	}
	storagetest.SetNow(db, storagetest.Now)
	return out
}

// pageResult decodes a customers connection with everything paging shows.
type pageResult struct {
	Customers struct {
		Nodes []node `json:"nodes"`
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   node   `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage     bool    `json:"hasNextPage"`
			HasPreviousPage bool    `json:"hasPreviousPage"`
			StartCursor     *string `json:"startCursor"`
			EndCursor       *string `json:"endCursor"`
		} `json:"pageInfo"`
		Pagination struct {
			Total       int  `json:"total"`
			Count       int  `json:"count"`
			PerPage     int  `json:"perPage"`
			CurrentPage *int `json:"currentPage"`
			TotalPages  int  `json:"totalPages"`
		} `json:"pagination"`
	} `json:"customers"`
}

const pageQuery = `query($sort: CustomerSort, $page: Int, $limit: Int, $after: String, $before: String, $filter: CustomerFilter) {
	customers(sort: $sort, page: $page, limit: $limit, after: $after, before: $before, filter: $filter) {
		nodes { id }
		edges { cursor node { id } }
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		pagination { total count perPage currentPage totalPages }
	}
}`

func (s *testServer) page(t *testing.T, vars map[string]any) pageResult {
	t.Helper()
	var out pageResult
	s.mustQuery(pageQuery, vars, &out)
	return out
}

func TestQuery_CustomersPaging(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	made := mustCreateCustomers(t, s.db, 5, at("2020-01-01T00:00:00Z"), "p")

	t.Run("C34_PageTwoOfThree", func(t *testing.T) {
		p := s.page(t, map[string]any{"limit": 2, "page": 2}).Customers
		if got, want := ids(p.Nodes), made[2:4]; !slices.Equal(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		pg := p.Pagination
		if pg.Count != 2 || pg.PerPage != 2 || pg.CurrentPage == nil || *pg.CurrentPage != 2 || pg.Total != 5 || pg.TotalPages != 3 {
			t.Fatalf("pagination=%+v, want count 2, perPage 2, currentPage 2, total 5, totalPages 3", pg)
		}
		if !p.PageInfo.HasNextPage || !p.PageInfo.HasPreviousPage {
			t.Fatalf("pageInfo=%+v, want both directions", p.PageInfo)
		}
	})
	t.Run("C35_Defaults", func(t *testing.T) {
		pg := s.page(t, nil).Customers.Pagination
		if pg.PerPage != 50 || pg.CurrentPage == nil || *pg.CurrentPage != 1 || pg.Count != 5 || pg.TotalPages != 1 {
			t.Fatalf("pagination=%+v, want perPage 50, currentPage 1, count 5", pg)
		}
	})
	t.Run("LastPage", func(t *testing.T) {
		p := s.page(t, map[string]any{"limit": 2, "page": 3}).Customers
		if got, want := ids(p.Nodes), made[4:]; !slices.Equal(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		if p.PageInfo.HasNextPage || !p.PageInfo.HasPreviousPage {
			t.Fatalf("pageInfo=%+v, want previous only", p.PageInfo)
		}
	})
	t.Run("PastTheEnd", func(t *testing.T) {
		p := s.page(t, map[string]any{"limit": 2, "page": 9}).Customers
		if len(p.Nodes) != 0 || p.Pagination.Total != 5 || p.PageInfo.StartCursor != nil || p.PageInfo.EndCursor != nil {
			t.Fatalf("page=%+v, want empty with total 5 and no cursors", p)
		}
	})
	t.Run("EdgesMatchNodes", func(t *testing.T) {
		p := s.page(t, map[string]any{"limit": 3}).Customers
		for i, e := range p.Edges {
			if e.Node.ID != p.Nodes[i].ID || e.Cursor == "" {
				t.Fatalf("edge %d=%+v, node %+v", i, e, p.Nodes[i])
			}
		}
		if *p.PageInfo.StartCursor != p.Edges[0].Cursor || *p.PageInfo.EndCursor != p.Edges[2].Cursor {
			t.Fatalf("pageInfo cursors do not match the edges")
		}
	})
	t.Run("CursorForward", func(t *testing.T) {
		first := s.page(t, map[string]any{"limit": 2}).Customers
		next := s.page(t, map[string]any{"limit": 2, "after": *first.PageInfo.EndCursor}).Customers
		if got, want := ids(next.Nodes), made[2:4]; !slices.Equal(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		if !next.PageInfo.HasNextPage || !next.PageInfo.HasPreviousPage || next.Pagination.CurrentPage != nil {
			t.Fatalf("pageInfo=%+v currentPage=%v, want both directions and no page number", next.PageInfo, next.Pagination.CurrentPage)
		}
		if next.Pagination.Total != 5 || next.Pagination.Count != 2 {
			t.Fatalf("pagination=%+v, want total 5 count 2", next.Pagination)
		}
	})
	t.Run("CursorIgnoresPage", func(t *testing.T) {
		first := s.page(t, map[string]any{"limit": 2}).Customers
		next := s.page(t, map[string]any{"limit": 2, "page": 3, "after": *first.PageInfo.EndCursor}).Customers
		if got, want := ids(next.Nodes), made[2:4]; !slices.Equal(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
	})
	t.Run("CursorBackward", func(t *testing.T) {
		last := s.page(t, map[string]any{"limit": 2, "page": 3}).Customers
		prev := s.page(t, map[string]any{"limit": 2, "before": *last.PageInfo.StartCursor}).Customers
		if got, want := ids(prev.Nodes), made[2:4]; !slices.Equal(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		if !prev.PageInfo.HasNextPage || !prev.PageInfo.HasPreviousPage {
			t.Fatalf("pageInfo=%+v, want both directions", prev.PageInfo)
		}
		first := s.page(t, map[string]any{"limit": 2, "before": *prev.PageInfo.StartCursor}).Customers
		if got, want := ids(first.Nodes), made[:2]; !slices.Equal(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		if !first.PageInfo.HasNextPage || first.PageInfo.HasPreviousPage {
			t.Fatalf("pageInfo=%+v, want next only", first.PageInfo)
		}
	})
	t.Run("AfterAndBefore", func(t *testing.T) {
		all := s.page(t, nil).Customers
		mid := s.page(t, map[string]any{"after": all.Edges[0].Cursor, "before": all.Edges[4].Cursor}).Customers
		if got, want := ids(mid.Nodes), made[1:4]; !slices.Equal(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		if !mid.PageInfo.HasNextPage || !mid.PageInfo.HasPreviousPage {
			t.Fatalf("pageInfo=%+v, want both directions", mid.PageInfo)
		}
	})
	t.Run("CursorOfDeletedRow", func(t *testing.T) {
		first := s.page(t, map[string]any{"limit": 2}).Customers
		if _, err := s.db.DeleteCustomers(context.Background(), []int{made[1]}); err != nil {
			t.Fatal(err)
		}
		next := s.page(t, map[string]any{"limit": 2, "after": *first.PageInfo.EndCursor}).Customers
		if got, want := ids(next.Nodes), made[2:4]; !slices.Equal(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
	})
}

// TestQuery_CursorWalkWhileInserting walks newest-first by cursor while new
// customers are created between pages: they sort before the cursor, so the
// walk sees every original customer exactly once, where offset paging would
// repeat some.
func TestQuery_CursorWalkWhileInserting(t *testing.T) {
	t.Parallel()
	for _, sort := range []string{"DATE_CREATED_DESC", "ID_DESC", "LAST_NAME_DESC"} {
		t.Run(sort, func(t *testing.T) {
			s := newTestServer(t)
			made := mustCreateCustomers(t, s.db, 23, at("2020-01-01T00:00:00Z"), "walk")
			seen := map[int]int{}
			var after any
			for pageNo := 0; ; pageNo++ {
				p := s.page(t, map[string]any{"sort": sort, "limit": 4, "after": after}).Customers
				for _, n := range p.Nodes {
					seen[n.ID]++
				}
				// Rows that sort ahead of everything the walk has seen.
				mustCreateCustomers(t, s.db, 2, at("2021-01-01T00:00:00Z").Add(time.Duration(pageNo)*time.Minute),
					fmt.Sprintf("zzz%02d", pageNo))
				if !p.PageInfo.HasNextPage {
					break
				}
				after = *p.PageInfo.EndCursor
				if pageNo > 20 {
					t.Fatal("the walk does not end")
				}
			}
			for _, id := range made {
				if seen[id] != 1 {
					t.Fatalf("customer %d seen %d times, want once (seen %v)", id, seen[id], seen)
				}
			}
			if len(seen) != len(made) {
				t.Fatalf("saw %d customers, want the %d that existed", len(seen), len(made))
			}
		})
	}
}

// TestQuery_CursorWalkSeesRowsAhead checks the other side: rows created
// ahead of the cursor are reached by the walk.
func TestQuery_CursorWalkSeesRowsAhead(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	made := mustCreateCustomers(t, s.db, 6, at("2020-01-01T00:00:00Z"), "a")
	first := s.page(t, map[string]any{"limit": 3}).Customers
	more := mustCreateCustomers(t, s.db, 2, at("2020-02-01T00:00:00Z"), "b")
	var got []int
	after := *first.PageInfo.EndCursor
	for {
		p := s.page(t, map[string]any{"limit": 3, "after": after}).Customers
		got = append(got, ids(p.Nodes)...)
		if !p.PageInfo.HasNextPage {
			break
		}
		after = *p.PageInfo.EndCursor
	}
	if want := append(slices.Clone(made[3:]), more...); !reflect.DeepEqual(got, want) {
		t.Fatalf("ids=%v, want %v", got, want)
	}
}

func TestQuery_PagingCountsOnlyWhenSelected(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	mustCreateCustomers(t, s.db, 3, at("2020-01-01T00:00:00Z"), "c")
	s.mustQuery(`{ customers { nodes { id } } }`, nil, nil)
	plain := s.statements()
	s.mustQuery(`{ customers { nodes { id } pagination { count perPage currentPage } pageInfo { hasNextPage } } }`, nil, nil)
	if got := s.statements(); got != plain {
		t.Fatalf("count, perPage and hasNextPage ran %d statements, want %d (no count)", got, plain)
	}
	s.mustQuery(`{ customers { nodes { id } pagination { total } } }`, nil, nil)
	if got := s.statements(); got != plain+1 {
		t.Fatalf("total ran %d statements, want %d (one count)", got, plain+1)
	}
	// A write, so that the total is counted again (totals are cached until
	// the store changes).
	mustCreateCustomers(t, s.db, 1, at("2020-01-02T00:00:00Z"), "d")
	s.mustQuery(`{ customers { nodes { id } ...P } } fragment P on CustomerConnection { pagination { totalPages } }`, nil, nil)
	if got := s.statements(); got != plain+1 {
		t.Fatalf("totalPages in a fragment ran %d statements, want %d", got, plain+1)
	}
}

func TestQuery_PagingBadInput(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	mustCreateCustomers(t, s.db, 3, at("2020-01-01T00:00:00Z"), "bad")
	var first pageResult
	s.mustQuery(pageQuery, map[string]any{"limit": 1}, &first)
	cursor := *first.Customers.PageInfo.EndCursor
	var attrs struct {
		CustomerAttributes struct {
			PageInfo struct{ EndCursor *string } `json:"pageInfo"`
		} `json:"customerAttributes"`
	}
	s.mustQuery(`{ customerAttributes { pageInfo { endCursor } } }`, nil, &attrs)

	tests := []struct {
		name  string
		vars  map[string]any
		field string
	}{
		{"LimitZero", map[string]any{"limit": 0}, "limit"},
		{"LimitNegative", map[string]any{"limit": -5}, "limit"},
		{"Limit251", map[string]any{"limit": 251}, "limit"},
		{"PageZero", map[string]any{"page": 0}, "page"},
		{"PageNegative", map[string]any{"page": -1}, "page"},
		{"MalformedAfter", map[string]any{"after": "not a cursor"}, "after"},
		{"MalformedBefore", map[string]any{"before": "bm90IGpzb24"}, "before"},
		{"CursorOfAnotherSort", map[string]any{"after": cursor, "sort": "DATE_CREATED_DESC"}, "after"},
		{"BadDate", map[string]any{"filter": map[string]any{"dateCreatedMin": "2018-13-45"}}, "filter.dateCreatedMin"},
		{"WordDate", map[string]any{"filter": map[string]any{"dateModifiedMax": "yesterday"}}, "filter.dateModifiedMax"},
		{"SpecMalformedDate", map[string]any{"filter": map[string]any{"dateModifiedMin": "2019-09-04T:00:00:00"}}, "filter.dateModifiedMin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := s.mustFail(pageQuery, tt.vars, "BAD_USER_INPUT")
			if got := e.Extensions["field"]; got != tt.field {
				t.Fatalf("field=%v, want %s (error %+v)", got, tt.field, e)
			}
			if !reflect.DeepEqual(e.Path, []any{"customers"}) {
				t.Fatalf("path=%v, want [customers]", e.Path)
			}
		})
	}
	t.Run("LiteralBadDate", func(t *testing.T) {
		e := s.mustFail(`{ customers(filter: {dateCreated: "05/09/2018"}) { nodes { id } } }`, nil, "BAD_USER_INPUT")
		if got := e.Extensions["field"]; got != "filter.dateCreated" {
			t.Fatalf("field=%v, want filter.dateCreated", got)
		}
	})
	t.Run("CursorOfAnotherList", func(t *testing.T) {
		e := s.mustFail(`query($a: String) { customerAddresses(after: $a) { nodes { id } } }`,
			map[string]any{"a": cursor}, "BAD_USER_INPUT")
		if got := e.Extensions["field"]; got != "after" {
			t.Fatalf("field=%v, want after", got)
		}
	})
	t.Run("NestedLimit", func(t *testing.T) {
		grp, err := s.db.CreateGroup(context.Background(), storage.GroupInput{Name: "G"})
		if err != nil {
			t.Fatal(err)
		}
		e := s.mustFail(`query($id: Int!) { customerGroup(id: $id) { customers(limit: 1000) { nodes { id } } } }`,
			map[string]any{"id": grp.ID}, "BAD_USER_INPUT")
		if got := e.Extensions["field"]; got != "limit" {
			t.Fatalf("field=%v, want limit", got)
		}
	})
}
