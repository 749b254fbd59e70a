package graph

import (
	"context"

	"github.com/storefront/customers/storage"
)

// Helpers that keep the resolvers to a line or two.

// list parses a list field's filter and paging arguments, finds the page
// and builds the connection.
// typ names the node type for priming; prime, when not nil, primes what
// the selection asks of the page's nodes.
func list[F, T, C any](ctx context.Context, filter map[string]any, parse func(map[string]any) (F, error), args pageArgs,
	find func(context.Context, F, storage.PageRequest) (*storage.Page[T], error), conn func(*storage.Page[T]) C,
	typ string, prime func(*primer, *planNode, []T) error) (C, error) {
	var zero C
	f, err := parse(filter)
	if err != nil {
		return zero, err
	}
	pg, err := find(ctx, f, args.request(ctx))
	if err != nil {
		return zero, err
	}
	if prime != nil {
		primeConnection(ctx, typ, pg.Items, prime)
	}
	return conn(pg), nil
}

// parseCustomersQuery parses the arguments of a customer list.
func parseCustomersQuery(ctx context.Context, filter map[string]any, sort *storage.CustomerSort, args pageArgs) (customersQuery, error) {
	f, err := customerFilter(filter)
	if err != nil {
		return customersQuery{}, err
	}
	q := customersQuery{Filter: f, Sort: storage.SortIDAsc, Req: args.request(ctx)}
	if sort != nil {
		q.Sort = *sort
	}
	return q, q.Req.Validate()
}

// parseCustomersQueryArgs parses the arguments of a customer list from an
// argument map (raw values with defaults applied), as priming sees them.
func parseCustomersQueryArgs(args map[string]any) (customersQuery, error) {
	filter, _ := args["filter"].(map[string]any)
	f, err := customerFilter(filter)
	if err != nil {
		return customersQuery{}, err
	}
	in := input{m: args, path: ""}
	q := customersQuery{Filter: f, Sort: storage.SortIDAsc}
	if s := enum[storage.CustomerSort](&in, "sort"); s != nil {
		q.Sort = *s
	}
	q.Req = pageArgsOf(&in).page0()
	if in.err != nil {
		return customersQuery{}, in.err
	}
	return q, q.Req.Validate()
}

// orNull turns "not found" into a null result for nullable fields.
func orNull[T any](v *T, err error) (*T, error) {
	if storage.ErrorCode(err) == storage.ENOTFOUND {
		return nil, nil
	}
	return v, err
}
