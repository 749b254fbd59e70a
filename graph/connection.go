package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
)

// pageArgs are the paging arguments every list field takes.
type pageArgs struct {
	page, limit   *int
	after, before *string
}

// request turns the paging arguments, and what the operation selected of the
// connection, into a storage page request: the total is counted only when
// `pagination { total | totalPages }` is selected, and the far-side page
// flags only when selected.
func (a pageArgs) request(ctx context.Context) storage.PageRequest {
	req := a.page0()
	fc := graphql.GetFieldContext(ctx)
	l, _ := ctx.Value(loadersKey{}).(*Loaders)
	if fc != nil && l != nil && l.schema != nil && graphql.HasOperationContext(ctx) {
		wantsOf(buildNode(l.schema, graphql.GetOperationContext(ctx), fc.Field.Selections, fc.Field.Definition.Type.Name()), &req)
	}
	return req
}

// page0 is the page request of the arguments alone, the defaults (page 1,
// storage.DefaultLimit) where they are absent: the one place that applies
// them, for gqlgen's resolvers, the compiled path and the cost.
func (a pageArgs) page0() storage.PageRequest {
	req := storage.PageRequest{Page: 1, Limit: storage.DefaultLimit}
	if a.page != nil {
		req.Page = *a.page
	}
	if a.limit != nil {
		req.Limit = *a.limit
	}
	if a.after != nil {
		req.After = *a.after
	}
	if a.before != nil {
		req.Before = *a.before
	}
	return req
}

// connectionParts are the parts every connection type shares.
type connectionParts[T, E any] struct {
	nodes      []T
	edges      []E
	pageInfo   *model.PageInfo
	pagination *model.Pagination
}

// connectionOf builds the parts of a connection from a page; edge makes one
// edge of the connection's own edge type.
func connectionOf[T, E any](pg *storage.Page[T], edge func(cursor string, node T) E) connectionParts[T, E] {
	c := connectionParts[T, E]{
		nodes: pg.Items,
		edges: make([]E, len(pg.Items)),
		pageInfo: &model.PageInfo{
			HasNextPage:     pg.HasNext,
			HasPreviousPage: pg.HasPrevious,
		},
		pagination: &model.Pagination{
			Total:      pg.Total,
			Count:      len(pg.Items),
			PerPage:    pg.Limit,
			TotalPages: pg.TotalPages(),
		},
	}
	if c.nodes == nil {
		c.nodes = []T{}
	}
	if pg.Page > 0 {
		page := pg.Page
		c.pagination.CurrentPage = &page
	}
	for i, n := range pg.Items {
		c.edges[i] = edge(pg.Cursor(i), n)
	}
	if len(c.edges) > 0 {
		start, end := pg.Cursor(0), pg.Cursor(len(pg.Items)-1)
		c.pageInfo.StartCursor, c.pageInfo.EndCursor = &start, &end
	}
	return c
}

func customerConnection(pg *storage.Page[*storage.Customer]) *model.CustomerConnection {
	c := connectionOf(pg, func(cursor string, n *storage.Customer) *model.CustomerEdge {
		return &model.CustomerEdge{Cursor: cursor, Node: n}
	})
	return &model.CustomerConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func addressConnection(pg *storage.Page[*storage.CustomerAddress]) *model.CustomerAddressConnection {
	c := connectionOf(pg, func(cursor string, n *storage.CustomerAddress) *model.CustomerAddressEdge {
		return &model.CustomerAddressEdge{Cursor: cursor, Node: n}
	})
	return &model.CustomerAddressConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func attributeConnection(pg *storage.Page[*storage.CustomerAttribute]) *model.CustomerAttributeConnection {
	c := connectionOf(pg, func(cursor string, n *storage.CustomerAttribute) *model.CustomerAttributeEdge {
		return &model.CustomerAttributeEdge{Cursor: cursor, Node: n}
	})
	return &model.CustomerAttributeConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func attributeValueConnection(pg *storage.Page[*storage.CustomerAttributeValue]) *model.CustomerAttributeValueConnection {
	c := connectionOf(pg, func(cursor string, n *storage.CustomerAttributeValue) *model.CustomerAttributeValueEdge {
		return &model.CustomerAttributeValueEdge{Cursor: cursor, Node: n}
	})
	return &model.CustomerAttributeValueConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func formFieldConnection(pg *storage.Page[*storage.CustomerFormField]) *model.CustomerFormFieldConnection {
	c := connectionOf(pg, func(cursor string, n *storage.CustomerFormField) *model.CustomerFormFieldEdge {
		return &model.CustomerFormFieldEdge{Cursor: cursor, Node: n}
	})
	return &model.CustomerFormFieldConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func formFieldValueConnection(pg *storage.Page[*storage.CustomerFormFieldValue]) *model.CustomerFormFieldValueConnection {
	c := connectionOf(pg, func(cursor string, n *storage.CustomerFormFieldValue) *model.CustomerFormFieldValueEdge {
		return &model.CustomerFormFieldValueEdge{Cursor: cursor, Node: n}
	})
	return &model.CustomerFormFieldValueConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func groupConnection(pg *storage.Page[*storage.CustomerGroup]) *model.CustomerGroupConnection {
	c := connectionOf(pg, func(cursor string, n *storage.CustomerGroup) *model.CustomerGroupEdge {
		return &model.CustomerGroupEdge{Cursor: cursor, Node: n}
	})
	return &model.CustomerGroupConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func subscriberConnection(pg *storage.Page[*storage.Subscriber]) *model.SubscriberConnection {
	c := connectionOf(pg, func(cursor string, n *storage.Subscriber) *model.SubscriberEdge {
		return &model.SubscriberEdge{Cursor: cursor, Node: n}
	})
	return &model.SubscriberConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}
