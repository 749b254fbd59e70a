package graph

import (
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection answers from the schema, not the store, so gqlgen's cost
// model sees it as free; yet `__schema { types { fields { args { type {
// name } } } } }` expands to every field and argument of the schema, and
// an operation of a few hundred such aliases answered megabytes after
// seconds of work. Its cost here is what it expands to: the number of
// objects the answer would hold, counted on the schema itself.

// MaxTypeLookups bounds the `__type` fields of one operation; `__schema`
// may appear once.
const MaxTypeLookups = 10

// introspectionCost is what an operation's introspection fields would cost.
type introspectionCost struct {
	cost           int
	schemas, types int
}

// introspectionOf counts the root introspection fields of op and what they
// expand to. Counting stops once the cost passes limit (the result is then
// over it, not exact).
func introspectionOf(op *graphql.OperationContext, schema *ast.Schema, limit int) introspectionCost {
	w := &introspectionWalker{op: op, schema: schema, limit: limit}
	w.root(op.Operation.SelectionSet, map[string]bool{})
	return w.result
}

type introspectionWalker struct {
	op     *graphql.OperationContext
	schema *ast.Schema
	limit  int
	result introspectionCost
}

// over reports whether counting can stop.
func (w *introspectionWalker) over() bool { return w.result.cost > w.limit }

// fields calls visit for every field of set, through fragments (each
// fragment spread once per path: validation has refused cycles).
func (w *introspectionWalker) fields(set ast.SelectionSet, seen map[string]bool, visit func(*ast.Field)) {
	for _, s := range set {
		if w.over() {
			return
		}
		switch s := s.(type) {
		case *ast.Field:
			visit(s)
		case *ast.InlineFragment:
			w.fields(s.SelectionSet, seen, visit)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			if f := w.op.Doc.Fragments.ForName(s.Name); f != nil {
				seen[s.Name] = true
				w.fields(f.SelectionSet, seen, visit)
				delete(seen, s.Name)
			}
		}
	}
}

// root finds __schema and __type among the operation's root fields.
func (w *introspectionWalker) root(set ast.SelectionSet, seen map[string]bool) {
	w.fields(set, seen, func(f *ast.Field) {
		switch f.Name {
		case "__schema":
			w.result.schemas++
			w.result.cost++
			w.schemaObject(f.SelectionSet)
		case "__type":
			w.result.types++
			name, _ := f.ArgumentMap(w.op.Variables)["name"].(string)
			if def := w.schema.Types[name]; def != nil {
				w.result.cost++
				w.typeObject(f.SelectionSet, &ast.Type{NamedType: name})
			}
		}
	})
}

func (w *introspectionWalker) schemaObject(set ast.SelectionSet) {
	w.fields(set, map[string]bool{}, func(f *ast.Field) {
		switch f.Name {
		case "types":
			for name := range w.schema.Types {
				w.result.cost++
				w.typeObject(f.SelectionSet, &ast.Type{NamedType: name})
				if w.over() {
					return
				}
			}
		case "queryType", "mutationType", "subscriptionType":
			def := map[string]*ast.Definition{"queryType": w.schema.Query, "mutationType": w.schema.Mutation,
				"subscriptionType": w.schema.Subscription}[f.Name]
			if def != nil {
				w.result.cost++
				w.typeObject(f.SelectionSet, &ast.Type{NamedType: def.Name})
			}
		case "directives":
			for _, d := range w.schema.Directives {
				w.result.cost++
				w.fields(f.SelectionSet, map[string]bool{}, func(g *ast.Field) {
					if g.Name == "args" {
						w.inputValues(g.SelectionSet, d.Arguments)
					}
				})
			}
		}
	})
}

// typeObject counts what a __Type selection expands to for the type t: a
// named type, or a list or non-null wrapper (whose ofType is the type it
// wraps).
func (w *introspectionWalker) typeObject(set ast.SelectionSet, t *ast.Type) {
	var def *ast.Definition
	if t.Elem == nil && !t.NonNull {
		def = w.schema.Types[t.NamedType]
	}
	w.fields(set, map[string]bool{}, func(f *ast.Field) {
		switch f.Name {
		case "ofType":
			switch {
			case t.NonNull:
				inner := *t
				inner.NonNull = false
				w.result.cost++
				w.typeObject(f.SelectionSet, &inner)
			case t.Elem != nil:
				w.result.cost++
				w.typeObject(f.SelectionSet, t.Elem)
			}
		case "fields":
			if def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface) {
				return
			}
			for _, fd := range def.Fields {
				if strings.HasPrefix(fd.Name, "__") {
					continue
				}
				w.result.cost++
				w.fields(f.SelectionSet, map[string]bool{}, func(g *ast.Field) {
					switch g.Name {
					case "args":
						w.inputValues(g.SelectionSet, fd.Arguments)
					case "type":
						w.result.cost++
						w.typeObject(g.SelectionSet, fd.Type)
					}
				})
			}
		case "inputFields":
			if def != nil && def.Kind == ast.InputObject {
				for _, fd := range def.Fields {
					w.result.cost++
					w.fields(f.SelectionSet, map[string]bool{}, func(g *ast.Field) {
						if g.Name == "type" {
							w.result.cost++
							w.typeObject(g.SelectionSet, fd.Type)
						}
					})
				}
			}
		case "enumValues":
			if def != nil {
				w.result.cost += len(def.EnumValues)
			}
		case "interfaces":
			if def != nil {
				for _, name := range def.Interfaces {
					w.result.cost++
					w.typeObject(f.SelectionSet, &ast.Type{NamedType: name})
				}
			}
		case "possibleTypes":
			if def != nil && (def.Kind == ast.Interface || def.Kind == ast.Union) {
				for _, p := range w.schema.GetPossibleTypes(def) {
					w.result.cost++
					w.typeObject(f.SelectionSet, &ast.Type{NamedType: p.Name})
				}
			}
		}
	})
}

// inputValues counts an `args` selection over the arguments.
func (w *introspectionWalker) inputValues(set ast.SelectionSet, args ast.ArgumentDefinitionList) {
	for _, a := range args {
		w.result.cost++
		w.fields(set, map[string]bool{}, func(f *ast.Field) {
			if f.Name == "type" {
				w.result.cost++
				w.typeObject(f.SelectionSet, a.Type)
			}
		})
	}
}
