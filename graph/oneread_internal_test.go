package graph

import "testing"

// TestOneRead: only a single root list or record of customers written from
// their own rows skips the snapshot; anything that reads a second
// statement (a relation, a count, a total, a second root field) keeps it.
func TestOneRead(t *testing.T) {
	leaf := func(names ...string) []*planField {
		var out []*planField
		for _, n := range names {
			out = append(out, &planField{key: n, name: n})
		}
		return out
	}
	customer := func(fields ...*planField) *planNode { return &planNode{typ: "Customer", fields: fields} }
	node := func(name string, child *planNode) *planField { return &planField{key: name, name: name, child: child} }
	root := func(fields ...*planField) *planNode { return &planNode{typ: "Query", fields: fields} }
	conn := func(fields ...*planField) *planNode { return &planNode{typ: "CustomerConnection", fields: fields} }
	scalars := customer(leaf("__typename", "id", "email", "firstName", "lastName", "dateCreated", "customerGroupId")...)
	group := &planNode{typ: "CustomerGroup", fields: leaf("name")}
	for _, c := range []struct {
		name string
		root *planNode
		want bool
	}{
		{"Page", root(node("customers", conn(node("nodes", scalars)))), true},
		{"PageWithTypename", root(leaf("__typename")[0], node("customers", conn(leaf("__typename")[0], node("nodes", scalars)))), true},
		{"Record", root(node("customer", scalars)), true},
		{"Relation", root(node("customers", conn(node("nodes", customer(append(leaf("id"), node("addresses", &planNode{typ: "CustomerAddress", fields: leaf("id")}))...))))), false},
		{"Group", root(node("customer", customer(append(leaf("id"), node("group", group))...))), false},
		{"Count", root(node("customer", customer(leaf("id", "addressCount")...))), false},
		{"Authentication", root(node("customer", customer(node("authentication", &planNode{typ: "CustomerAuthentication", fields: leaf("forcePasswordReset")})))), false},
		{"Pagination", root(node("customers", conn(node("nodes", scalars), node("pagination", &planNode{typ: "Pagination", fields: leaf("total")})))), false},
		{"PageInfo", root(node("customers", conn(node("nodes", scalars), node("pageInfo", &planNode{typ: "PageInfo", fields: leaf("hasNextPage")})))), false},
		{"Edges", root(node("customers", conn(node("edges", &planNode{typ: "CustomerEdge", fields: []*planField{node("node", scalars)}})))), false},
		{"TwoRoots", root(node("customer", scalars), node("customers", conn(node("nodes", scalars)))), false},
		{"Typename", root(leaf("__typename")...), false},
	} {
		if got := oneRead(c.root); got != c.want {
			t.Errorf("%s: oneRead = %v, want %v", c.name, got, c.want)
		}
	}
}
