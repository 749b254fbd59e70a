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

// customers, addresses, attributeValues, formFieldValues and groups prime
// the relations n asks of values of their type, as the type's table
// (fields.go) says.
func (p *primer) customers(n *planNode, cs []*storage.Customer) error {
	return customerTable.prime(p, n, cs)
}

func (p *primer) addresses(n *planNode, as []*storage.CustomerAddress) error {
	return addressTable.prime(p, n, as)
}

func (p *primer) attributeValues(n *planNode, vs []*storage.CustomerAttributeValue) error {
	return attributeValueTable.prime(p, n, vs)
}

func (p *primer) formFieldValues(n *planNode, vs []*storage.CustomerFormFieldValue) error {
	return formFieldValueTable.prime(p, n, vs)
}

func (p *primer) groups(n *planNode, gs []*storage.CustomerGroup) error {
	return groupTable.prime(p, n, gs)
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

// groupCustomers primes the customer pages that the `customers` field f of
// the groups gs asks for, and what those pages' customers select.
func (p *primer) groupCustomers(f *planField, gs []*storage.CustomerGroup) error {
	if f.child == nil {
		return nil
	}
	q, err := groupCustomersQuery(p.ctx, graphql.GetOperationContext(p.ctx), f)
	if err != nil {
		return err
	}
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
