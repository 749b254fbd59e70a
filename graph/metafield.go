package graph

import (
	"context"
	"slices"

	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
)

// Customer metafields: who the caller is to them, the root list's filter,
// and the mutation inputs.

// metafieldViewer returns who the operation's caller is to metafields: its
// API token, or the signed-in shopper.
func metafieldViewer(ctx context.Context) storage.MetafieldViewer {
	c := callerOf(ctx)
	switch {
	case c.Token != nil:
		return storage.MetafieldViewer{TokenID: c.Token.ID}
	case c.Shopper != nil:
		return storage.MetafieldViewer{ShopperID: c.Shopper.CustomerID}
	}
	return storage.MetafieldViewer{}
}

// metafieldsByCustomerID is the batch lookup of Customer.metafields, as the
// operation's caller sees them.
func metafieldsByCustomerID(db loaderStore) func(context.Context, []int) (map[int][]*storage.CustomerMetafield, error) {
	return func(ctx context.Context, ids []int) (map[int][]*storage.CustomerMetafield, error) {
		return db.FindMetafieldsByCustomerIDs(ctx, metafieldViewer(ctx), ids)
	}
}

// pickMetafields keeps the metafields in the namespace (when given) with
// one of the keys (when given).
func pickMetafields(all []*storage.CustomerMetafield, namespace *string, keys []string) []*storage.CustomerMetafield {
	if namespace == nil && keys == nil {
		return all
	}
	out := []*storage.CustomerMetafield{}
	for _, m := range all {
		if (namespace == nil || m.Namespace == *namespace) && (keys == nil || slices.Contains(keys, m.Key)) {
			out = append(out, m)
		}
	}
	return out
}

// metafieldFilter converts the root list's filter.
func metafieldFilter(f *model.CustomerMetafieldFilter) storage.MetafieldFilter {
	if f == nil {
		return storage.MetafieldFilter{}
	}
	return storage.MetafieldFilter{
		IDIn: f.IDIn, CustomerIDIn: f.CustomerIDIn, Key: f.Key, KeyIn: f.KeyIn, Namespace: f.Namespace,
		NamespaceIn:  f.NamespaceIn,
		DateCreated:  storage.NewTimeRange(nil, f.DateCreatedMin, f.DateCreatedMax),
		DateModified: storage.NewTimeRange(nil, f.DateModifiedMin, f.DateModifiedMax),
	}
}

func metafieldConnection(pg *storage.Page[*storage.CustomerMetafield]) *model.CustomerMetafieldConnection {
	c := connectionOf(pg, func(cursor string, n *storage.CustomerMetafield) *model.CustomerMetafieldEdge {
		return &model.CustomerMetafieldEdge{Cursor: cursor, Node: n}
	})
	return &model.CustomerMetafieldConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func fromMetafieldCreateInputs(in []*model.CustomerMetafieldCreateInput) []storage.MetafieldInput {
	out := make([]storage.MetafieldInput, len(in))
	for i, m := range in {
		out[i] = storage.MetafieldInput{CustomerID: m.CustomerID, Namespace: m.Namespace, Key: m.Key, Value: m.Value,
			Description: str(m.Description), PermissionSet: m.PermissionSet}
	}
	return out
}

func fromMetafieldUpdateInputs(in []*model.CustomerMetafieldUpdateInput) []storage.MetafieldUpdate {
	out := make([]storage.MetafieldUpdate, len(in))
	for i, m := range in {
		out[i] = storage.MetafieldUpdate{ID: m.ID, Namespace: m.Namespace, Key: m.Key, Value: m.Value,
			Description: m.Description, PermissionSet: m.PermissionSet}
	}
	return out
}

// setMetafieldComplexity gives the metafield lists their cost: the root
// list by its limit, a customer's by embeddedListSize, a payload's by the
// batch size.
func setMetafieldComplexity(c *ComplexityRoot) {
	c.Query.CustomerMetafields = func(child int, _ *model.CustomerMetafieldFilter, _ *model.MetafieldSort, _ *int, limit *int, _ *string, _ *string) int {
		return pageCost(child, limit)
	}
	c.Customer.Metafields = func(child int, _ *string, _ []string) int { return listCost(embeddedListSize, child) }
	c.CustomerMetafieldsPayload.Metafields = batch
}
