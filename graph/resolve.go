package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/ast"
)

// Helpers that keep the resolvers to a line or two.

// list parses a list field's filter and paging arguments, finds the page
// and builds the connection.
// typ names the node type for priming; prime, when not nil, primes what
// the selection asks of the page's nodes.
func list[I, F, T, C any](ctx context.Context, filter I, parse func(I) (F, error), args pageArgs,
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

// parseCustomersQuery parses the arguments of a customer list, as gqlgen's
// resolvers get them.
func parseCustomersQuery(ctx context.Context, filter *model.CustomerFilter, sort *storage.CustomerSort, args pageArgs) (customersQuery, error) {
	return customersQueryOf(filter, sort, args.request(ctx))
}

// customersQueryOf makes the query of a customer list (Query.customers,
// CustomerGroup.customers) from its coerced arguments, on every path.
func customersQueryOf(filter *model.CustomerFilter, sort *storage.CustomerSort, req storage.PageRequest) (customersQuery, error) {
	f, err := customerFilter(filter)
	if err != nil {
		return customersQuery{}, err
	}
	q := customersQuery{Filter: f, Sort: storage.SortIDAsc, Req: req}
	if sort != nil {
		q.Sort = *sort
	}
	return q, q.Req.Validate()
}

// customersQueryOfArgs makes the query of a customer list from its
// arguments as coerceArgs gives them, the paging defaults applied
// (pageArgs.page0).
func customersQueryOfArgs(args map[string]any) (customersQuery, error) {
	filter, _ := args["filter"].(*model.CustomerFilter)
	sort, _ := args["sort"].(*storage.CustomerSort)
	var a pageArgs
	a.page, _ = args["page"].(*int)
	a.limit, _ = args["limit"].(*int)
	a.after, _ = args["after"].(*string)
	a.before, _ = args["before"].(*string)
	return customersQueryOf(filter, sort, a.page0())
}

// argsParser is one of gqlgen's generated argument unmarshallers
// (executionContext.field_<Type>_<field>_args).
type argsParser func(ec *executionContext, ctx context.Context, raw map[string]any) (map[string]any, error)

// coerceArgs coerces the arguments of field f, as the operation gives them
// (variables substituted, defaults applied), with gqlgen's generated
// unmarshalling: the compiled path and priming read arguments exactly as
// gqlgen's executor does, through the one parser. The unmarshallers of the
// fields read here use no resolvers or directives, so an empty schema
// state serves.
func coerceArgs(ctx context.Context, op *graphql.OperationContext, parse argsParser, f *ast.Field) (map[string]any, error) {
	return parse(newExecutionContext(op, &executableSchema{}, nil), ctx, f.ArgumentMap(op.Variables))
}

// orNull turns "not found" into a null result for nullable fields.
func orNull[T any](v *T, err error) (*T, error) {
	if storage.ErrorCode(err) == storage.ENOTFOUND {
		return nil, nil
	}
	return v, err
}
