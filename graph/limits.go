package graph

import (
	"context"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits keep one client from starving the others: a maximum query depth,
// a maximum cost per operation, and a cost budget per caller that refills
// over time (the calculated-cost model of the big commerce APIs). The cost
// of an operation is computed from the query before anything runs: a list
// costs its `limit` (or, for a customer's own lists, an estimate) times the
// cost of one item, and every object one; scalars are free.
type Limits struct {
	// MaxDepth bounds how deeply selections nest.
	MaxDepth int
	// MaxCost bounds one operation's cost.
	MaxCost int
	// Budget is how much cost a caller may spend at once; it refills at
	// Restore per second. A Budget of 0 is unlimited. An API token may
	// carry its own (budget.go).
	Budget, Restore int
}

// DefaultLimits allow a full page of 250 customers with every relation
// (41,000), a burst of six such pages and then one every 1.6 seconds, or
// about 38 dashboard pages of 50 customers with their group and addresses
// (650) a second, per caller.
var DefaultLimits = Limits{MaxDepth: 15, MaxCost: 100_000, Budget: 250_000, Restore: 25_000}

// CodeComplexityLimit is the code of an operation refused for its depth or
// cost.
const CodeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"

// embeddedListSize estimates the length of the lists a record embeds
// whole, like a customer's addresses (V3's embedded lists hold up to 10).
const embeddedListSize = 10

// limiter is the gqlgen extension that enforces Limits and reports the cost
// in `extensions.cost`.
type limiter struct {
	limits  Limits
	schema  graphql.ExecutableSchema
	buckets buckets
}

var (
	_ graphql.HandlerExtension        = (*limiter)(nil)
	_ graphql.OperationContextMutator = (*limiter)(nil)
	_ graphql.ResponseInterceptor     = (*limiter)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (l *limiter) ExtensionName() string { return "Limits" }

// Validate implements graphql.HandlerExtension.
func (l *limiter) Validate(s graphql.ExecutableSchema) error {
	l.schema = s
	return nil
}

// costKey holds the operation's cost report in its context.
type costKey struct{}

// costReport is what `extensions.cost` shows. ActualQueryCost is what the
// caller paid: the requested cost less that of the fields refused without
// running (budget.go). ThrottleStatus is null for an unlimited budget.
type costReport struct {
	RequestedQueryCost int             `json:"requestedQueryCost"`
	ActualQueryCost    int             `json:"actualQueryCost"`
	MaximumQueryCost   int             `json:"maximumQueryCost"`
	ThrottleStatus     *throttleStatus `json:"throttleStatus"`
}

type throttleStatus struct {
	MaximumAvailable   int `json:"maximumAvailable"`
	CurrentlyAvailable int `json:"currentlyAvailable"`
	RestoreRate        int `json:"restoreRate"`
}

// MutateOperationContext checks depth and cost, and takes the cost from
// the caller's budget, before the operation runs.
func (l *limiter) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	if d := depth(op, op.Operation.SelectionSet, 0, map[string]bool{}); d > l.limits.MaxDepth {
		return limitError("The query nests %d levels deep; the limit is %d.", d, l.limits.MaxDepth)
	}
	intro := introspectionOf(op, l.schema.Schema(), l.limits.MaxCost)
	if intro.schemas > 1 || intro.types > MaxTypeLookups {
		return limitError("Introspect once per operation: at most one __schema and %d __type fields.", MaxTypeLookups)
	}
	cost := complexity.Calculate(ctx, l.schema, op.Operation, op.Variables, complexity.WithFixedScalarValue(0)) + intro.cost
	report := &costReport{RequestedQueryCost: cost, MaximumQueryCost: l.limits.MaxCost}
	op.Stats.SetExtension("cost", report)
	if cost > l.limits.MaxCost {
		return limitError("The query costs %d; the limit is %d. Ask for smaller pages or fewer fields.", cost, l.limits.MaxCost)
	}
	return l.charge(ctx, op, cost, report)
}

// InterceptResponse adds the cost report to the response's extensions.
func (l *limiter) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	res := next(ctx)
	if res == nil || !graphql.HasOperationContext(ctx) {
		return res
	}
	op := graphql.GetOperationContext(ctx)
	if report, ok := op.Stats.GetExtension("cost").(*costReport); ok {
		l.settle(ctx, op, res, report)
		if res.Extensions == nil {
			res.Extensions = map[string]any{}
		}
		res.Extensions["cost"] = report
	}
	return res
}

// depth returns how deeply sel nests, following fragments (validation has
// already refused fragment cycles; seen guards anyway).
func depth(op *graphql.OperationContext, sel ast.SelectionSet, level int, seen map[string]bool) int {
	deepest := level
	for _, s := range sel {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = level + 1
			} else {
				d = depth(op, s.SelectionSet, level+1, seen)
			}
		case *ast.InlineFragment:
			d = depth(op, s.SelectionSet, level, seen)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := op.Doc.Fragments.ForName(s.Name); f != nil {
				d = depth(op, f.SelectionSet, level, seen)
			}
			delete(seen, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func limitError(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": CodeComplexityLimit}
	return err
}

// listCost is the cost of a list of n items costing child each.
func listCost(n, child int) int {
	if n < 0 {
		n = 0
	}
	return n * (1 + child)
}

// pageCost is the cost of a connection field: its limit (the default when
// absent) times the cost of its children. A limit out of range costs as the
// maximum: the field refuses it with BAD_USER_INPUT anyway.
func pageCost(child int, limit *int) int {
	return listCost(min(pageArgs{limit: limit}.page0().Limit, storage.MaxLimit), child)
}

// page is the cost of a list field with a filter of type F.
func page[F any](child int, _ F, _ *int, limit *int, _ *string, _ *string) int {
	return pageCost(child, limit)
}

// setComplexity gives every list field its cost: connections by their
// limit, embedded lists by embeddedListSize.
func setComplexity(c *ComplexityRoot) {
	embedded := func(child int) int { return listCost(embeddedListSize, child) }
	customers := func(child int, _ *model.CustomerFilter, _ *storage.CustomerSort, _ *int, limit *int, _ *string, _ *string) int {
		return pageCost(child, limit)
	}
	c.Query.Customers = customers
	c.CustomerGroup.Customers = customers
	c.Query.CustomerAddresses = page[*model.CustomerAddressFilter]
	c.Query.CustomerAttributes = page[*model.CustomerAttributeFilter]
	c.Query.CustomerAttributeValues = page[*model.CustomerAttributeValueFilter]
	c.Query.CustomerFormFields = page[*model.CustomerFormFieldFilter]
	c.Query.CustomerFormFieldValues = page[*model.CustomerFormFieldValueFilter]
	c.Query.CustomerGroups = page[*model.CustomerGroupFilter]
	c.Query.Subscribers = page[*model.SubscriberFilter]
	c.Customer.Addresses = embedded
	c.Customer.Attributes = embedded
	c.Customer.FormFields = embedded
	c.Customer.StoreCredit = embedded
	c.CustomerAddress.FormFields = embedded
	c.CustomerGroup.DiscountRules = embedded
	c.CustomersPayload.Customers = batch
	c.CustomerAddressesPayload.Addresses = batch
	c.CustomerAttributeValuesPayload.AttributeValues = batch
	c.CustomerFormFieldValuesPayload.FormFieldValues = batch
	setMetafieldComplexity(c)
}

// batch is the cost of a mutation payload's list: at most MaxBatch items.
func batch(child int) int { return listCost(storage.MaxBatch, child) }
