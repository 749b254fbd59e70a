package graph

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"github.com/storefront/customers/storage"
)

// Loaders batch the nested lookups of one GraphQL operation: every customer
// of a page asks for its addresses, and one statement answers them all. A
// new set is built for each operation (handler.go), so caches never outlive
// it and never cross callers.
type Loaders struct {
	CustomerByID                *dataloader.Loader[int, *storage.Customer]
	AddressesByCustomerID       *dataloader.Loader[int, []*storage.CustomerAddress]
	AddressCountByCustomerID    *dataloader.Loader[int, int]
	AttributeValuesByCustomerID *dataloader.Loader[int, []*storage.CustomerAttributeValue]
	AttributeCountByCustomerID  *dataloader.Loader[int, int]
	AttributeByID               *dataloader.Loader[int, *storage.CustomerAttribute]
	FormFieldValuesByCustomerID *dataloader.Loader[int, []*storage.CustomerFormFieldValue]
	FormFieldValuesByAddressID  *dataloader.Loader[int, []*storage.CustomerFormFieldValue]
	FormFieldByID               *dataloader.Loader[int, *storage.CustomerFormField]
	StoreCreditByCustomerID     *dataloader.Loader[int, []*storage.StoreCreditAmount]
	ConsentByCustomerID         *dataloader.Loader[int, *storage.CustomerConsent]
	GroupByID                   *dataloader.Loader[int, *storage.CustomerGroup]
	// CustomersByGroup pages the customers of many groups at once; its key
	// names the group and the page query.
	CustomersByGroup *dataloader.Loader[groupCustomersKey, *storage.Page[*storage.Customer]]

	// queries holds the parsed page queries that groupCustomersKey names.
	queries sync.Map // string -> customersQuery
}

// loaderWait is how long a loader collects keys before it runs: short,
// because it is paid once per level of nesting.
const loaderWait = 500 * time.Microsecond

// loaderBatch bounds a batch; a page holds at most 250 parents.
const loaderBatch = 1000

// newLoaders builds the loaders of one operation.
func newLoaders(db *storage.DB) *Loaders {
	l := &Loaders{
		CustomerByID:                newLoader(one(db.FindCustomersByIDs)),
		AddressesByCustomerID:       newLoader(many(db.FindAddressesByCustomerIDs)),
		AddressCountByCustomerID:    newLoader(one(db.CountAddressesByCustomerIDs)),
		AttributeValuesByCustomerID: newLoader(many(db.FindAttributeValuesByCustomerIDs)),
		AttributeCountByCustomerID:  newLoader(one(db.CountAttributeValuesByCustomerIDs)),
		AttributeByID:               newLoader(one(db.FindAttributesByIDs)),
		FormFieldValuesByCustomerID: newLoader(many(db.FindFormFieldValuesByCustomerIDs)),
		FormFieldValuesByAddressID:  newLoader(many(db.FindFormFieldValuesByAddressIDs)),
		FormFieldByID:               newLoader(one(db.FindFormFieldsByIDs)),
		StoreCreditByCustomerID:     newLoader(many(db.FindStoreCreditByCustomerIDs)),
		GroupByID:                   newLoader(one(db.FindGroupsByIDs)),
	}
	l.ConsentByCustomerID = newLoader(func(ctx context.Context, ids []int) []*dataloader.Result[*storage.CustomerConsent] {
		found, err := db.FindConsentByCustomerIDs(ctx, ids)
		return results(ids, func(id int) *storage.CustomerConsent { return storage.ConsentFor(found, id) }, err)
	})
	l.CustomersByGroup = newLoader(l.customersByGroup(db))
	return l
}

func newLoader[K comparable, V any](fn dataloader.BatchFunc[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(fn,
		dataloader.WithWait[K, V](loaderWait),
		dataloader.WithBatchCapacity[K, V](loaderBatch))
}

// results answers every key in key order, as the dataloader contract wants,
// with the same error for all when the batch failed.
func results[K comparable, V any](keys []K, value func(K) V, err error) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		if err != nil {
			out[i] = &dataloader.Result[V]{Error: err}
			continue
		}
		out[i] = &dataloader.Result[V]{Data: value(k)}
	}
	return out
}

// one adapts a lookup of one value per key; a missing key gets the zero
// value (nil for a record, 0 for a count).
func one[V any](find func(context.Context, []int) (map[int]V, error)) dataloader.BatchFunc[int, V] {
	return func(ctx context.Context, ids []int) []*dataloader.Result[V] {
		found, err := find(ctx, ids)
		return results(ids, func(id int) V { return found[id] }, err)
	}
}

// many adapts a lookup of a list per key; a key with no rows gets an empty,
// non-nil list.
func many[V any](find func(context.Context, []int) (map[int][]V, error)) dataloader.BatchFunc[int, []V] {
	return func(ctx context.Context, ids []int) []*dataloader.Result[[]V] {
		found, err := find(ctx, ids)
		return results(ids, func(id int) []V {
			if v := found[id]; v != nil {
				return v
			}
			return []V{}
		}, err)
	}
}

// customersQuery is one page query of a group's customers.
type customersQuery struct {
	Filter storage.CustomerFilter
	Sort   storage.CustomerSort
	Req    storage.PageRequest
}

// groupCustomersKey names a group and a page query of its customers; the
// query is its canonical JSON, so equal arguments share one batch.
type groupCustomersKey struct {
	GroupID int
	Query   string
}

// groupCustomers returns the key for a page query of a group's customers.
func (l *Loaders) groupCustomers(groupID int, q customersQuery) groupCustomersKey {
	b, _ := json.Marshal(q) // plain data: always encodes
	l.queries.LoadOrStore(string(b), q)
	return groupCustomersKey{GroupID: groupID, Query: string(b)}
}

// customersByGroup runs one statement per distinct page query over all the
// groups that asked for it.
func (l *Loaders) customersByGroup(db *storage.DB) dataloader.BatchFunc[groupCustomersKey, *storage.Page[*storage.Customer]] {
	return func(ctx context.Context, keys []groupCustomersKey) []*dataloader.Result[*storage.Page[*storage.Customer]] {
		groups := map[string][]int{}
		for _, k := range keys {
			groups[k.Query] = append(groups[k.Query], k.GroupID)
		}
		pages := map[groupCustomersKey]*storage.Page[*storage.Customer]{}
		errs := map[string]error{}
		for query, ids := range groups {
			v, _ := l.queries.Load(query)
			q := v.(customersQuery)
			found, err := db.FindCustomersByGroupIDs(ctx, ids, q.Filter, q.Sort, q.Req)
			if err != nil {
				errs[query] = err
				continue
			}
			for id, pg := range found {
				pages[groupCustomersKey{GroupID: id, Query: query}] = pg
			}
		}
		out := make([]*dataloader.Result[*storage.Page[*storage.Customer]], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[*storage.Page[*storage.Customer]]{Data: pages[k], Error: errs[k.Query]}
		}
		return out
	}
}

type loadersKey struct{}

// withLoaders returns a context carrying l.
func withLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, loadersKey{}, l)
}

// loadersFor returns the operation's loaders.
func loadersFor(ctx context.Context) *Loaders {
	return ctx.Value(loadersKey{}).(*Loaders)
}
