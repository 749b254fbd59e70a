package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/storage"
)

// Priming makes the statement count of a read independent of its size, and
// deterministic. Once a list has its page, a walk of the selection's plan
// fetches each relation for every key of a level in one call, level by
// level, leaving the values in the loaders' caches; the field resolvers (or
// the compiled executor) then find them there. Without it, batches would
// depend on timing: 250 customers asking for their addresses one by one may
// straddle a loader's wait and split into several statements (dataloader's
// own LoadMany starts a goroutine per key, so it cannot help).

// primer walks plans for one operation.
type primer struct {
	ctx context.Context
	l   *Loaders
}

// newPrimer returns a primer for the operation in ctx, or nil outside one.
func newPrimer(ctx context.Context) *primer {
	l, _ := ctx.Value(loadersKey{}).(*Loaders)
	if l == nil || l.schema == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	return &primer{ctx: ctx, l: l}
}

// primeConnection primes, for a resolved connection field of nodes of type
// typ, what its selection asks of the nodes. Errors are left for the field
// resolvers, which load again and report them.
func primeConnection[T any](ctx context.Context, typ string, items []T, prime func(*primer, *planNode, []T) error) {
	p := newPrimer(ctx)
	fc := graphql.GetFieldContext(ctx)
	if p == nil || fc == nil || len(items) == 0 {
		return
	}
	conn := buildNode(p.l.schema, graphql.GetOperationContext(ctx), fc.Field.Selections, typ+"Connection")
	for _, n := range conn.nodeSelections() {
		prime(p, n, items)
	}
}

// primeOne primes what a single-object field of type typ selects.
func primeOne[T any](ctx context.Context, typ string, v T, prime func(*primer, *planNode, []T) error) {
	p := newPrimer(ctx)
	fc := graphql.GetFieldContext(ctx)
	if p == nil || fc == nil {
		return
	}
	prime(p, buildNode(p.l.schema, graphql.GetOperationContext(ctx), fc.Field.Selections, typ), []T{v})
}

// flatten joins lists.
func flatten[T any](lists [][]T) []T {
	var out []T
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// customers primes the relations n asks of customers.
func (p *primer) customers(n *planNode, cs []*storage.Customer) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int, len(cs))
	var groups []int
	for i, c := range cs {
		ids[i] = c.ID
		if c.CustomerGroupID != nil {
			groups = append(groups, *c.CustomerGroupID)
		}
	}
	for _, f := range n.fields {
		var err error
		switch f.name {
		case "addresses":
			var as [][]*storage.CustomerAddress
			if as, err = p.l.AddressesByCustomerID.prime(p.ctx, ids); err == nil && f.child != nil {
				err = p.addresses(f.child, flatten(as))
			}
		case "attributes":
			var vs [][]*storage.CustomerAttributeValue
			if vs, err = p.l.AttributeValuesByCustomerID.prime(p.ctx, ids); err == nil && f.child != nil {
				err = p.attributeValues(f.child, flatten(vs))
			}
		case "formFields":
			var vs [][]*storage.CustomerFormFieldValue
			if vs, err = p.l.FormFieldValuesByCustomerID.prime(p.ctx, ids); err == nil && f.child != nil {
				err = p.formFieldValues(f.child, flatten(vs))
			}
		case "storeCredit":
			_, err = p.l.StoreCreditByCustomerID.prime(p.ctx, ids)
		case "consent":
			_, err = p.l.ConsentByCustomerID.prime(p.ctx, ids)
		case "addressCount":
			_, err = p.l.AddressCountByCustomerID.prime(p.ctx, ids)
		case "attributeCount":
			_, err = p.l.AttributeCountByCustomerID.prime(p.ctx, ids)
		case "group":
			if len(groups) > 0 {
				var gs []*storage.CustomerGroup
				if gs, err = p.l.GroupByID.prime(p.ctx, groups); err == nil && f.child != nil {
					err = p.groups(f.child, nonNil(gs))
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// addresses primes the relations n asks of addresses.
func (p *primer) addresses(n *planNode, as []*storage.CustomerAddress) error {
	if len(as) == 0 {
		return nil
	}
	ids, customers := make([]int, len(as)), make([]int, len(as))
	for i, a := range as {
		ids[i], customers[i] = a.ID, a.CustomerID
	}
	for _, f := range n.fields {
		var err error
		switch f.name {
		case "formFields":
			var vs [][]*storage.CustomerFormFieldValue
			if vs, err = p.l.FormFieldValuesByAddressID.prime(p.ctx, ids); err == nil && f.child != nil {
				err = p.formFieldValues(f.child, flatten(vs))
			}
		case "customer":
			err = p.customersByID(f, customers)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// customersByID primes the customers with the ids (the `customer` field f
// of addresses and attribute values), and what f selects of them.
func (p *primer) customersByID(f *planField, ids []int) error {
	cs, err := p.l.CustomerByID.prime(p.ctx, ids)
	if err != nil || f.child == nil {
		return err
	}
	return p.customers(f.child, nonNil(cs))
}

// attributeValues primes the relations n asks of attribute values.
func (p *primer) attributeValues(n *planNode, vs []*storage.CustomerAttributeValue) error {
	if len(vs) == 0 {
		return nil
	}
	attrs, customers := make([]int, len(vs)), make([]int, len(vs))
	for i, v := range vs {
		attrs[i], customers[i] = v.AttributeID, v.CustomerID
	}
	for _, f := range n.fields {
		var err error
		switch f.name {
		case "attribute":
			_, err = p.l.AttributeByID.prime(p.ctx, attrs)
		case "customer":
			err = p.customersByID(f, customers)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// formFieldValues primes the relations n asks of form field values.
func (p *primer) formFieldValues(n *planNode, vs []*storage.CustomerFormFieldValue) error {
	if len(vs) == 0 {
		return nil
	}
	fields := make([]int, len(vs))
	for i, v := range vs {
		fields[i] = v.FormFieldID
	}
	for _, f := range n.fields {
		if f.name == "field" {
			if _, err := p.l.FormFieldByID.prime(p.ctx, fields); err != nil {
				return err
			}
		}
	}
	return nil
}

// groups primes the relations n asks of groups: their customer pages, and
// what those pages' customers select.
func (p *primer) groups(n *planNode, gs []*storage.CustomerGroup) error {
	if len(gs) == 0 {
		return nil
	}
	op := graphql.GetOperationContext(p.ctx)
	for _, f := range n.fields {
		if f.name != "customers" || f.child == nil {
			continue
		}
		q, err := parseCustomersQueryArgs(f.ast.ArgumentMap(op.Variables))
		if err != nil {
			return err
		}
		wantsOf(f.child, &q.Req)
		keys := make([]groupCustomersKey, len(gs))
		for i, g := range gs {
			keys[i] = p.l.groupCustomers(g.ID, q)
		}
		pages, err := p.l.CustomersByGroup.prime(p.ctx, keys)
		if err != nil {
			return err
		}
		var cs []*storage.Customer
		for _, pg := range pages {
			if pg != nil {
				cs = append(cs, pg.Items...)
			}
		}
		for _, nodes := range f.child.nodeSelections() {
			if err := p.customers(nodes, cs); err != nil {
				return err
			}
		}
	}
	return nil
}

// deliveries primes the relations n asks of webhook deliveries.
func (p *primer) deliveries(n *planNode, ds []*storage.WebhookDelivery) error {
	ids, hooks, events := make([]int, len(ds)), make([]int, len(ds)), make([]int, len(ds))
	for i, d := range ds {
		ids[i], hooks[i], events[i] = d.ID, d.WebhookID, d.EventID
	}
	for _, f := range n.fields {
		var err error
		switch f.name {
		case "webhook":
			_, err = p.l.WebhookByID.prime(p.ctx, hooks)
		case "event":
			_, err = p.l.EventByID.prime(p.ctx, events)
		case "attempts":
			_, err = p.l.AttemptsByDeliveryID.prime(p.ctx, ids)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// wantsOf marks in req the costly parts of a connection that its plan node
// selects: the total, and the far-side page flags.
func wantsOf(conn *planNode, req *storage.PageRequest) {
	for _, f := range conn.fields {
		if f.child == nil {
			continue
		}
		switch f.name {
		case "pagination":
			for _, p := range f.child.fields {
				if p.name == "total" || p.name == "totalPages" {
					req.WantTotal = true
				}
			}
		case "pageInfo":
			for _, p := range f.child.fields {
				switch p.name {
				case "hasPreviousPage":
					req.WantHasPrevious = true
				case "hasNextPage":
					req.WantHasNext = true
				}
			}
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
