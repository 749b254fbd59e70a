package graph

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/graph/model"
	"github.com/vektah/gqlparser/v2/ast"
)

// A plan is a selection set collected once: for each object type reached,
// the fields asked of it in response order, with fragments merged and
// @skip/@include applied. Priming walks plans to batch lookups level by
// level, and the compiled executor walks them to write responses.

// planNode is what one selection set asks of objects of one type.
type planNode struct {
	typ    string
	fields []*planField
}

// planField is one response key of a node.
type planField struct {
	key  string // the alias, or the name
	name string // the schema field, or __typename
	ast  *ast.Field
	// allow is the field's @access list, nil when it has none.
	allow []model.Access
	// child is the subselection, for fields of object types.
	child *planNode
	// impl is the field's entry in its type's compiled table (fields.go),
	// attached when a compiled plan is checked.
	impl any
}

// buildNode collects sel for objects of type typ, recursively.
func buildNode(schema *ast.Schema, op *graphql.OperationContext, sel ast.SelectionSet, typ string) *planNode {
	n := &planNode{typ: typ}
	def := schema.Types[typ]
	for _, cf := range graphql.CollectFields(op, sel, []string{typ}) {
		f := &planField{key: cf.Alias, name: cf.Name, ast: cf.Field}
		if cf.Name != "__typename" && def != nil {
			if fd := def.Fields.ForName(cf.Name); fd != nil {
				f.allow = accessOf(fd)
				if t := schema.Types[fd.Type.Name()]; t != nil && t.Kind == ast.Object && len(cf.Selections) > 0 {
					f.child = buildNode(schema, op, cf.Selections, t.Name)
				}
			}
		}
		n.fields = append(n.fields, f)
	}
	return n
}

// accessOf reads a field definition's @access list.
func accessOf(fd *ast.FieldDefinition) []model.Access {
	d := fd.Directives.ForName("access")
	if d == nil {
		return nil
	}
	arg := d.Arguments.ForName("allow")
	if arg == nil || arg.Value == nil {
		return []model.Access{}
	}
	var out []model.Access
	for _, v := range arg.Value.Children {
		out = append(out, model.Access(v.Value.Raw))
	}
	return out
}

// nodeOf returns the merged subselection of the fields named name, for
// connection fields whose nodes sit under `nodes` and `edges { node }`.
func (n *planNode) nodeSelections() []*planNode {
	var out []*planNode
	for _, f := range n.fields {
		switch {
		case f.name == "nodes" && f.child != nil:
			out = append(out, f.child)
		case f.name == "edges" && f.child != nil:
			for _, e := range f.child.fields {
				if e.name == "node" && e.child != nil {
					out = append(out, e.child)
				}
			}
		}
	}
	return out
}
