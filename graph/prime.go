package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/ast"
)

// Priming makes the statement count of a read independent of its size, and
// deterministic. A list resolver, once it has its page, walks the selection
// level by level and fetches each relation for every key of that level in
// one call, leaving the values in the loaders' caches; the field resolvers
// then find them there. Without it, batches would depend on timing: 250
// customers asking for their addresses one by one may straddle a loader's
// wait and split into several statements (dataloader's own LoadMany starts a
// goroutine per key, so it cannot help).

// primer walks one operation's selections.
type primer struct {
	ctx context.Context
	op  *graphql.OperationContext
	l   *Loaders
}

// newPrimer returns a primer for the operation in ctx, or nil when there is
// none (a resolver called outside an operation).
func newPrimer(ctx context.Context) *primer {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	l, _ := ctx.Value(loadersKey{}).(*Loaders)
	if l == nil {
		return nil
	}
	return &primer{ctx: ctx, op: graphql.GetOperationContext(ctx), l: l}
}

// fields returns the fields sel selects on an object of type typ.
func (p *primer) fields(sel ast.SelectionSet, typ string) []graphql.CollectedField {
	return graphql.CollectFields(p.op, sel, []string{typ})
}

// nodeSelections returns the selections made of a connection's nodes, in
// `nodes` and in `edges { node }`.
func (p *primer) nodeSelections(conn ast.SelectionSet, typ string) []ast.SelectionSet {
	var out []ast.SelectionSet
	for _, f := range p.fields(conn, typ+"Connection") {
		switch f.Name {
		case "nodes":
			out = append(out, f.Selections)
		case "edges":
			for _, e := range p.fields(f.Selections, typ+"Edge") {
				if e.Name == "node" {
					out = append(out, e.Selections)
				}
			}
		}
	}
	return out
}

// connection primes what a resolved connection field selects of its nodes.
func primeConnection[T any](ctx context.Context, typ string, items []T, prime func(*primer, ast.SelectionSet, []T)) {
	p := newPrimer(ctx)
	fc := graphql.GetFieldContext(ctx)
	if p == nil || fc == nil || len(items) == 0 {
		return
	}
	for _, sel := range p.nodeSelections(fc.Field.Selections, typ) {
		prime(p, sel, items)
	}
}

// primeOne primes what a single-object field selects of its object.
func primeOne[T any](ctx context.Context, v T, prime func(*primer, ast.SelectionSet, []T)) {
	p := newPrimer(ctx)
	fc := graphql.GetFieldContext(ctx)
	if p == nil || fc == nil {
		return
	}
	prime(p, fc.Field.Selections, []T{v})
}

// flatten joins the lists a LoadMany returned.
func flatten[T any](lists [][]T) []T {
	var out []T
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// customers primes the relations sel asks of customers.
func (p *primer) customers(sel ast.SelectionSet, cs []*storage.Customer) {
	ids := make([]int, len(cs))
	var groups []int
	for i, c := range cs {
		ids[i] = c.ID
		if c.CustomerGroupID != nil {
			groups = append(groups, *c.CustomerGroupID)
		}
	}
	for _, f := range p.fields(sel, "Customer") {
		switch f.Name {
		case "addresses":
			p.addresses(f.Selections, flatten(p.l.AddressesByCustomerID.prime(p.ctx, ids)))
		case "attributes":
			p.attributeValues(f.Selections, flatten(p.l.AttributeValuesByCustomerID.prime(p.ctx, ids)))
		case "formFields":
			p.formFieldValues(f.Selections, flatten(p.l.FormFieldValuesByCustomerID.prime(p.ctx, ids)))
		case "storeCredit":
			p.l.StoreCreditByCustomerID.prime(p.ctx, ids)
		case "consent":
			p.l.ConsentByCustomerID.prime(p.ctx, ids)
		case "addressCount":
			p.l.AddressCountByCustomerID.prime(p.ctx, ids)
		case "attributeCount":
			p.l.AttributeCountByCustomerID.prime(p.ctx, ids)
		case "group":
			if len(groups) > 0 {
				p.groups(f.Selections, p.l.GroupByID.prime(p.ctx, groups))
			}
		}
	}
}

// addresses primes the relations sel asks of addresses.
func (p *primer) addresses(sel ast.SelectionSet, as []*storage.CustomerAddress) {
	if len(as) == 0 {
		return
	}
	ids, customers := make([]int, len(as)), make([]int, len(as))
	for i, a := range as {
		ids[i], customers[i] = a.ID, a.CustomerID
	}
	for _, f := range p.fields(sel, "CustomerAddress") {
		switch f.Name {
		case "formFields":
			p.formFieldValues(f.Selections, flatten(p.l.FormFieldValuesByAddressID.prime(p.ctx, ids)))
		case "customer":
			p.customers(f.Selections, nonNil(p.l.CustomerByID.prime(p.ctx, customers)))
		}
	}
}

// attributeValues primes the relations sel asks of attribute values.
func (p *primer) attributeValues(sel ast.SelectionSet, vs []*storage.CustomerAttributeValue) {
	if len(vs) == 0 {
		return
	}
	attrs, customers := make([]int, len(vs)), make([]int, len(vs))
	for i, v := range vs {
		attrs[i], customers[i] = v.AttributeID, v.CustomerID
	}
	for _, f := range p.fields(sel, "CustomerAttributeValue") {
		switch f.Name {
		case "attribute":
			p.l.AttributeByID.prime(p.ctx, attrs)
		case "customer":
			p.customers(f.Selections, nonNil(p.l.CustomerByID.prime(p.ctx, customers)))
		}
	}
}

// formFieldValues primes the relations sel asks of form field values.
func (p *primer) formFieldValues(sel ast.SelectionSet, vs []*storage.CustomerFormFieldValue) {
	if len(vs) == 0 {
		return
	}
	fields := make([]int, len(vs))
	for i, v := range vs {
		fields[i] = v.FormFieldID
	}
	for _, f := range p.fields(sel, "CustomerFormFieldValue") {
		if f.Name == "field" {
			p.l.FormFieldByID.prime(p.ctx, fields)
		}
	}
}

// groups primes the relations sel asks of groups: their customer pages, and
// what those pages' customers select.
func (p *primer) groups(sel ast.SelectionSet, gs []*storage.CustomerGroup) {
	gs = nonNil(gs)
	if len(gs) == 0 {
		return
	}
	for _, f := range p.fields(sel, "CustomerGroup") {
		if f.Name != "customers" {
			continue
		}
		args := f.ArgumentMap(p.op.Variables)
		q, err := parseCustomersQueryArgs(args)
		if err != nil {
			continue // the field's resolver reports it
		}
		wants(p.op, f.Selections, &q.Req)
		keys := make([]groupCustomersKey, len(gs))
		for i, g := range gs {
			keys[i] = p.l.groupCustomers(g.ID, q)
		}
		pages := p.l.CustomersByGroup.prime(p.ctx, keys)
		var cs []*storage.Customer
		for _, pg := range pages {
			if pg != nil {
				cs = append(cs, pg.Items...)
			}
		}
		if len(cs) == 0 {
			continue
		}
		for _, nodes := range p.nodeSelections(f.Selections, "Customer") {
			p.customers(nodes, cs)
		}
	}
}

// nonNil drops nil entries (keys a lookup did not find).
func nonNil[T any](vs []*T) []*T {
	out := vs[:0:0]
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// deliveries primes the relations sel asks of webhook deliveries.
func (p *primer) deliveries(sel ast.SelectionSet, ds []*storage.WebhookDelivery) {
	ids, hooks, events := make([]int, len(ds)), make([]int, len(ds)), make([]int, len(ds))
	for i, d := range ds {
		ids[i], hooks[i], events[i] = d.ID, d.WebhookID, d.EventID
	}
	for _, f := range p.fields(sel, "WebhookDelivery") {
		switch f.Name {
		case "webhook":
			p.l.WebhookByID.prime(p.ctx, hooks)
		case "event":
			p.l.EventByID.prime(p.ctx, events)
		case "attempts":
			p.l.AttemptsByDeliveryID.prime(p.ctx, ids)
		}
	}
}
