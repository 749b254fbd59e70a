package graph_test

import (
	"testing"
	"time"
)

// TestUserErrors_SortedByIndex: the problems of a batch come back in item
// order, whichever check found them first. Item 0's email is taken (found
// against the store, after every field check) and item 2's is malformed
// (found by the field checks), so unsorted they would come 2, then 0.
func TestUserErrors_SortedByIndex(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	mustCreateCustomers(t, s.db, 1, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), "taken")
	var out struct {
		CreateCustomers struct {
			Customers  []node      `json:"customers"`
			UserErrors []userError `json:"userErrors"`
		} `json:"createCustomers"`
	}
	s.mustQuery(`mutation { createCustomers(input: [
		{ email: "taken0@page.example", firstName: "A", lastName: "B" },
		{ email: "fine@x.example", firstName: "C", lastName: "D" },
		{ email: "not an email", firstName: "E", lastName: "" }
	]) { customers { id } userErrors { code message field index } } }`, nil, &out)
	ue := out.CreateCustomers.UserErrors
	if len(out.CreateCustomers.Customers) != 0 || len(ue) != 3 {
		t.Fatalf("customers=%v userErrors=%+v, want none written and 3 problems", out.CreateCustomers.Customers, ue)
	}
	var got []int
	for _, e := range ue {
		if e.Index == nil {
			t.Fatalf("userError without index: %+v", e)
		}
		got = append(got, *e.Index)
	}
	if got[0] != 0 || got[1] != 2 || got[2] != 2 {
		t.Fatalf("indexes %v, want [0 2 2] (userErrors %+v)", got, ue)
	}
	if ue[0].Code != "CONFLICT" || ue[0].path() != "input.0.email" {
		t.Fatalf("first problem %+v, want item 0's taken email", ue[0])
	}
}
