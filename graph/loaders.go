package graph

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/ast"
)

// Loaders batch the nested lookups of one GraphQL operation: every customer
// of a page asks for its addresses, and one statement answers them all. A
// new set is built for each operation (handler.go), so caches never outlive
// it and never cross callers.
//
// Each relation is a dataloader plus the batch lookup behind it, so that the
// list resolvers can also prime it (prime.go): fetch a whole level of keys
// in one call, deterministically, and leave the values in the loader's cache
// for the field resolvers.
type Loaders struct {
	CustomerByID                *relation[int, *storage.Customer]
	AddressesByCustomerID       *relation[int, []*storage.CustomerAddress]
	AddressCountByCustomerID    *relation[int, int]
	AttributeValuesByCustomerID *relation[int, []*storage.CustomerAttributeValue]
	AttributeCountByCustomerID  *relation[int, int]
	AttributeByID               *relation[int, *storage.CustomerAttribute]
	FormFieldValuesByCustomerID *relation[int, []*storage.CustomerFormFieldValue]
	FormFieldValuesByAddressID  *relation[int, []*storage.CustomerFormFieldValue]
	FormFieldByID               *relation[int, *storage.CustomerFormField]
	StoreCreditByCustomerID     *relation[int, []*storage.StoreCreditAmount]
	ConsentByCustomerID         *relation[int, *storage.CustomerConsent]
	GroupByID                   *relation[int, *storage.CustomerGroup]
	WebhookByID                 *relation[int, *storage.Webhook]
	EventByID                   *relation[int, *storage.Event]
	AttemptsByDeliveryID        *relation[int, []*storage.WebhookAttempt]
	// MetafieldsByCustomerID reads the metafields the operation's caller
	// may see.
	MetafieldsByCustomerID *relation[int, []*storage.CustomerMetafield]
	// CustomersByGroup pages the customers of many groups at once; its key
	// names the group and the page query.
	CustomersByGroup *relation[groupCustomersKey, *storage.Page[*storage.Customer]]

	// queries holds the parsed page queries that groupCustomersKey names.
	queries sync.Map // string -> customersQuery

	// schema is the GraphQL schema, which plans of selections are built on.
	schema *ast.Schema
}

// loaderWait is how long a loader collects keys before it runs: short,
// because it is paid once per level of nesting, and only by lookups that
// priming did not answer.
const loaderWait = 500 * time.Microsecond

// loaderBatch bounds a batch; a page holds at most 250 parents.
const loaderBatch = 1000

// source is what the loaders read the customer graph from: the store, with
// every column, or a storage.View of the columns a compiled plan writes.
type source interface {
	FindCustomersByIDs(ctx context.Context, ids []int) (map[int]*storage.Customer, error)
	FindCustomersByGroupIDs(ctx context.Context, groupIDs []int, f storage.CustomerFilter, s storage.CustomerSort,
		req storage.PageRequest) (map[int]*storage.Page[*storage.Customer], error)
	FindAddressesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerAddress, error)
	FindAttributeValuesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerAttributeValue, error)
	FindAttributesByIDs(ctx context.Context, ids []int) (map[int]*storage.CustomerAttribute, error)
	FindFormFieldValuesByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerFormFieldValue, error)
	FindFormFieldValuesByAddressIDs(ctx context.Context, ids []int) (map[int][]*storage.CustomerFormFieldValue, error)
	FindFormFieldsByIDs(ctx context.Context, ids []int) (map[int]*storage.CustomerFormField, error)
	FindGroupsByIDs(ctx context.Context, ids []int) (map[int]*storage.CustomerGroup, error)
}

// newLoaders builds the loaders of one operation over schema, reading the
// customer graph from src and the rest from db; onBatch, when set, is told
// the size of every batched lookup.
// loaderStore is what the loaders read beyond the customer graph (source):
// counts, consent, store credit, metafields and the webhook side.
type loaderStore interface {
	CountAddressesByCustomerIDs(ctx context.Context, ids []int) (map[int]int, error)
	CountAttributeValuesByCustomerIDs(ctx context.Context, ids []int) (map[int]int, error)
	FindAttemptsByDeliveryIDs(ctx context.Context, ids []int) (map[int][]*storage.WebhookAttempt, error)
	FindConsentByCustomerIDs(ctx context.Context, ids []int) (map[int]*storage.CustomerConsent, error)
	FindEventsByIDs(ctx context.Context, ids []int) (map[int]*storage.Event, error)
	FindMetafieldsByCustomerIDs(ctx context.Context, v storage.MetafieldViewer, ids []int) (map[int][]*storage.CustomerMetafield, error)
	FindStoreCreditByCustomerIDs(ctx context.Context, ids []int) (map[int][]*storage.StoreCreditAmount, error)
	FindWebhooksByIDs(ctx context.Context, ids []int) (map[int]*storage.Webhook, error)
}

func newLoaders(db loaderStore, src source, schema *ast.Schema, onBatch func(relation string, keys int)) *Loaders {
	// The relations are made in one allocation: every operation makes them
	// all, and most use one or two.
	r := &struct {
		customerByID                relation[int, *storage.Customer]
		addressesByCustomerID       relation[int, []*storage.CustomerAddress]
		addressCountByCustomerID    relation[int, int]
		attributeValuesByCustomerID relation[int, []*storage.CustomerAttributeValue]
		attributeCountByCustomerID  relation[int, int]
		attributeByID               relation[int, *storage.CustomerAttribute]
		formFieldValuesByCustomerID relation[int, []*storage.CustomerFormFieldValue]
		formFieldValuesByAddressID  relation[int, []*storage.CustomerFormFieldValue]
		formFieldByID               relation[int, *storage.CustomerFormField]
		storeCreditByCustomerID     relation[int, []*storage.StoreCreditAmount]
		consentByCustomerID         relation[int, *storage.CustomerConsent]
		groupByID                   relation[int, *storage.CustomerGroup]
		webhookByID                 relation[int, *storage.Webhook]
		eventByID                   relation[int, *storage.Event]
		attemptsByDeliveryID        relation[int, []*storage.WebhookAttempt]
		metafieldsByCustomerID      relation[int, []*storage.CustomerMetafield]
		customersByGroup            relation[groupCustomersKey, *storage.Page[*storage.Customer]]
		loaders                     Loaders
	}{}
	l := &r.loaders
	l.schema = schema
	l.CustomerByID = initRelation(&r.customerByID, "customer", onBatch, src.FindCustomersByIDs, zero[int, *storage.Customer])
	l.AddressesByCustomerID = initRelation(&r.addressesByCustomerID, "addresses", onBatch, src.FindAddressesByCustomerIDs, empty[*storage.CustomerAddress])
	l.AddressCountByCustomerID = initRelation(&r.addressCountByCustomerID, "address_count", onBatch, db.CountAddressesByCustomerIDs, zero[int, int])
	l.AttributeValuesByCustomerID = initRelation(&r.attributeValuesByCustomerID, "attribute_values", onBatch, src.FindAttributeValuesByCustomerIDs, empty[*storage.CustomerAttributeValue])
	l.AttributeCountByCustomerID = initRelation(&r.attributeCountByCustomerID, "attribute_count", onBatch, db.CountAttributeValuesByCustomerIDs, zero[int, int])
	l.AttributeByID = initRelation(&r.attributeByID, "attribute", onBatch, src.FindAttributesByIDs, zero[int, *storage.CustomerAttribute])
	l.FormFieldValuesByCustomerID = initRelation(&r.formFieldValuesByCustomerID, "customer_form_field_values", onBatch, src.FindFormFieldValuesByCustomerIDs, empty[*storage.CustomerFormFieldValue])
	l.FormFieldValuesByAddressID = initRelation(&r.formFieldValuesByAddressID, "address_form_field_values", onBatch, src.FindFormFieldValuesByAddressIDs, empty[*storage.CustomerFormFieldValue])
	l.FormFieldByID = initRelation(&r.formFieldByID, "form_field", onBatch, src.FindFormFieldsByIDs, zero[int, *storage.CustomerFormField])
	l.StoreCreditByCustomerID = initRelation(&r.storeCreditByCustomerID, "store_credit", onBatch, db.FindStoreCreditByCustomerIDs, empty[*storage.StoreCreditAmount])
	l.ConsentByCustomerID = initRelation(&r.consentByCustomerID, "consent", onBatch, db.FindConsentByCustomerIDs, noConsent)
	l.GroupByID = initRelation(&r.groupByID, "group", onBatch, src.FindGroupsByIDs, zero[int, *storage.CustomerGroup])
	l.WebhookByID = initRelation(&r.webhookByID, "webhook", onBatch, db.FindWebhooksByIDs, zero[int, *storage.Webhook])
	l.EventByID = initRelation(&r.eventByID, "event", onBatch, db.FindEventsByIDs, zero[int, *storage.Event])
	l.AttemptsByDeliveryID = initRelation(&r.attemptsByDeliveryID, "attempts", onBatch, db.FindAttemptsByDeliveryIDs, empty[*storage.WebhookAttempt])
	l.MetafieldsByCustomerID = initRelation(&r.metafieldsByCustomerID, "metafields", onBatch, metafieldsByCustomerID(db), empty[*storage.CustomerMetafield])
	l.CustomersByGroup = initRelation(&r.customersByGroup, "group_customers", onBatch, l.customersByGroup(src), zero[groupCustomersKey, *storage.Page[*storage.Customer]])
	return l
}

// zero gives a key without a row the zero value: nil for a record (a
// nullable field), 0 for a count.
func zero[K comparable, V any](K) V {
	var v V
	return v
}

// empty gives a key without rows an empty, non-nil list.
func empty[V any](int) []V { return []V{} }

// noConsent gives a customer who never set consent empty lists.
func noConsent(id int) *storage.CustomerConsent { return storage.ConsentFor(nil, id) }

// relation is one batched lookup: a dataloader over a batch lookup, whose
// results can also be primed for a whole level of keys at once.
type relation[K comparable, V any] struct {
	name    string
	onBatch func(relation string, keys int)
	once    sync.Once
	loader  *dataloader.Loader[K, V] // see dataloader()
	fetch   func(context.Context, []K) (map[K]V, error)
	// missing is the value of a key that fetch did not return.
	missing func(K) V

	mu     sync.Mutex
	primed map[K]V
}

// initRelation sets up r (its primed map is made on first prime) and
// returns it.
func initRelation[K comparable, V any](r *relation[K, V], name string, onBatch func(string, int), fetch func(context.Context, []K) (map[K]V, error),
	missing func(K) V) *relation[K, V] {
	r.name, r.onBatch, r.fetch, r.missing = name, onBatch, fetch, missing
	return r
}

// dataloader returns the relation's dataloader, made on first use: most
// operations (and every compiled one) find all they need primed.
func (r *relation[K, V]) dataloader() *dataloader.Loader[K, V] {
	r.once.Do(func() {
		l := dataloader.NewBatchedLoader(r.batch,
			dataloader.WithWait[K, V](loaderWait),
			dataloader.WithBatchCapacity[K, V](loaderBatch))
		// What was primed before the loader existed; prime reads r.loader
		// under r.mu.
		r.mu.Lock()
		for k, v := range r.primed {
			l.Prime(context.Background(), k, v)
		}
		r.loader = l
		r.mu.Unlock()
	})
	return r.loader
}

// batch is the dataloader batch function: one fetch, results in key order
// (the dataloader contract), the same error for every key on failure.
func (r *relation[K, V]) batch(ctx context.Context, keys []K) []*dataloader.Result[V] {
	found, err := r.lookup(ctx, keys)
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		if err != nil {
			out[i] = &dataloader.Result[V]{Error: err}
			continue
		}
		out[i] = &dataloader.Result[V]{Data: r.value(found, k)}
	}
	return out
}

// lookup runs one batched fetch and reports its size.
func (r *relation[K, V]) lookup(ctx context.Context, keys []K) (map[K]V, error) {
	if r.onBatch != nil {
		r.onBatch(r.name, len(keys))
	}
	return r.fetch(ctx, keys)
}

func (r *relation[K, V]) value(found map[K]V, k K) V {
	if v, ok := found[k]; ok {
		return v
	}
	return r.missing(k)
}

// Load returns the value of one key, batched with the other loads of the
// operation.
func (r *relation[K, V]) Load(ctx context.Context, k K) (V, error) {
	return r.dataloader().Load(ctx, k)()
}

// prime fetches, in one call, the keys not primed before, leaves them in the
// loader's cache, and returns the values of all keys in order.
func (r *relation[K, V]) prime(ctx context.Context, keys []K) ([]V, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var todo []K
	var seen map[K]bool // made for a second key: most primes are of one
	for i, k := range keys {
		if _, ok := r.primed[k]; ok || seen[k] {
			continue
		}
		todo = append(todo, k)
		if i < len(keys)-1 {
			if seen == nil {
				seen = make(map[K]bool, len(keys))
			}
			seen[k] = true
		}
	}
	if len(todo) > 0 {
		found, err := r.lookup(ctx, todo)
		if err != nil {
			return nil, err
		}
		if r.primed == nil {
			r.primed = make(map[K]V, len(todo))
		}
		for _, k := range todo {
			v := r.value(found, k)
			r.primed[k] = v
			if r.loader != nil {
				r.loader.Prime(ctx, k, v)
			}
		}
	}
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = r.primed[k]
	}
	return out, nil
}

// get returns the primed value of k; prime must have fetched k.
func (r *relation[K, V]) get(k K) V {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.primed[k]; ok {
		return v
	}
	return r.missing(k)
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
func (l *Loaders) customersByGroup(src source) func(context.Context, []groupCustomersKey) (map[groupCustomersKey]*storage.Page[*storage.Customer], error) {
	return func(ctx context.Context, keys []groupCustomersKey) (map[groupCustomersKey]*storage.Page[*storage.Customer], error) {
		groups := map[string][]int{}
		var order []string
		for _, k := range keys {
			if _, ok := groups[k.Query]; !ok {
				order = append(order, k.Query)
			}
			groups[k.Query] = append(groups[k.Query], k.GroupID)
		}
		pages := map[groupCustomersKey]*storage.Page[*storage.Customer]{}
		for _, query := range order {
			v, _ := l.queries.Load(query)
			q := v.(customersQuery)
			found, err := src.FindCustomersByGroupIDs(ctx, groups[query], q.Filter, q.Sort, q.Req)
			if err != nil {
				return nil, err
			}
			for id, pg := range found {
				pages[groupCustomersKey{GroupID: id, Query: query}] = pg
			}
		}
		return pages, nil
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
