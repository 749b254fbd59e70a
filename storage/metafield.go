package storage

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// CustomerMetafield is a piece of data an API token keeps on a customer
// (V3 customer metafield): a value under a namespace and a key. It belongs
// to the token that created it (OwnerTokenID); its PermissionSet says who
// else may read or change it.
type CustomerMetafield struct {
	ID            int
	CustomerID    int
	OwnerTokenID  int
	Namespace     string
	Key           string
	Value         string
	Description   string
	PermissionSet MetafieldPermissionSet
	DateCreated   time.Time
	DateModified  time.Time
}

// MetafieldPermissionSet says who besides its owner may read or change a
// metafield, and whether the shopper sees it on the storefront.
type MetafieldPermissionSet string

// Permission sets (V3 `permission_set`).
const (
	// MetafieldAppOnly: the owner only.
	MetafieldAppOnly MetafieldPermissionSet = "app_only"
	// MetafieldRead: every API token reads it; only the owner changes it.
	MetafieldRead MetafieldPermissionSet = "read"
	// MetafieldWrite: every API token reads and changes it.
	MetafieldWrite MetafieldPermissionSet = "write"
	// MetafieldReadSF: as read, and the customer reads it on the storefront.
	MetafieldReadSF MetafieldPermissionSet = "read_and_sf_access"
	// MetafieldWriteSF: as write, and the customer reads it on the storefront.
	MetafieldWriteSF MetafieldPermissionSet = "write_and_sf_access"
)

// MetafieldPermissionSets lists the permission sets.
var MetafieldPermissionSets = []MetafieldPermissionSet{MetafieldAppOnly, MetafieldRead, MetafieldWrite, MetafieldReadSF, MetafieldWriteSF}

// MarshalGQL implements graphql.Marshaler.
func (v MetafieldPermissionSet) MarshalGQL(w io.Writer) { writeEnum(w, v) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (v *MetafieldPermissionSet) UnmarshalGQL(x any) (err error) {
	*v, err = parseEnum(x, MetafieldPermissionSets, "MetafieldPermissionSet")
	return err
}

// writable reports whether API tokens other than the owner may change it.
func (p MetafieldPermissionSet) writable() bool { return p == MetafieldWrite || p == MetafieldWriteSF }

// Metafield limits (V3 metafield schema): lengths in characters, and how
// many metafields one owner may keep on one customer.
const (
	maxMetafieldName        = 64
	maxMetafieldValue       = 65535
	maxMetafieldDescription = 255
	// MaxMetafieldsPerOwner bounds the metafields one API token keeps on
	// one customer (V3 states 50 for products and categories and nothing
	// for customers; 250 matches its page size).
	MaxMetafieldsPerOwner = 250
)

// MetafieldViewer is who reads or writes metafields: an API token (TokenID)
// or a signed-in shopper (ShopperID, the customer's id). A token sees its
// own metafields and every other one not app_only; a shopper sees the
// storefront ones (read_and_sf_access, write_and_sf_access) of its own
// account, and writes none.
type MetafieldViewer struct {
	TokenID   int
	ShopperID int
}

// conditions adds the viewer's visibility to w, on metafields aliased m.
func (v MetafieldViewer) conditions(w *where) {
	switch {
	case v.TokenID != 0:
		w.add(`(m.permission_set <> 'app_only' OR m.owner_token_id = ?)`, v.TokenID)
	case v.ShopperID != 0:
		w.add(`m.customer_id = ? AND m.permission_set IN ('read_and_sf_access', 'write_and_sf_access')`, v.ShopperID)
	default:
		w.add(`0`)
	}
}

// MetafieldFilter holds the V3 filters of the metafield lists: `key`,
// `key:in`, `namespace`, `namespace:in`, the date ranges, plus the ids and
// the customers (`resource_id`). A nil slice does not filter; an empty one
// matches nothing. V3 lets `key` be used with `key:in` (and `namespace`
// with `namespace:in`): the key is then either.
type MetafieldFilter struct {
	IDIn         []int
	CustomerIDIn []int
	Key          *string
	KeyIn        []string
	Namespace    *string
	NamespaceIn  []string
	DateCreated  TimeRange
	DateModified TimeRange
}

// either returns the values one and many allow together: nil when neither
// filters.
func either(one *string, many []string) []string {
	if one == nil {
		return many
	}
	return append(slices.Clone(many), *one)
}

func (f *MetafieldFilter) where(v MetafieldViewer) where {
	var w where
	v.conditions(&w)
	in(&w, "m.id", f.IDIn)
	in(&w, "m.customer_id", f.CustomerIDIn)
	in(&w, "m.key", either(f.Key, f.KeyIn))
	in(&w, "m.namespace", either(f.Namespace, f.NamespaceIn))
	addTimeRange(&w, "m.date_created", f.DateCreated)
	addTimeRange(&w, "m.date_modified", f.DateModified)
	return w
}

const metafieldColumns = `m.id, m.customer_id, m.owner_token_id, m.namespace, m.key, m.value, m.description,
	m.permission_set, m.date_created, m.date_modified`

func scanMetafield(s rowScanner, extra ...any) (*CustomerMetafield, error) {
	var (
		m                 CustomerMetafield
		created, modified string
	)
	if err := s.Scan(append([]any{&m.ID, &m.CustomerID, &m.OwnerTokenID, &m.Namespace, &m.Key, &m.Value, &m.Description,
		&m.PermissionSet, &created, &modified}, extra...)...); err != nil {
		return nil, err
	}
	return &m, parseTimes(created, &m.DateCreated, modified, &m.DateModified)
}

var metafieldList = listDef[*CustomerMetafield]{
	name:    "metafields",
	from:    "customer_metafields m",
	columns: metafieldColumns,
	scan:    scanMetafield,
}

// FindMetafields returns one page of the metafields that v may see and f
// matches, by id (descending when desc). It returns EINVALID for a bad
// page, limit or cursor.
func (db *DB) FindMetafields(ctx context.Context, v MetafieldViewer, f MetafieldFilter, desc bool, req PageRequest) (*Page[*CustomerMetafield], error) {
	o := idOrder("m.id")
	if desc {
		o = ordering{name: "id:desc", keys: o.keys, desc: true}
	}
	return findPage(ctx, db, metafieldList, f.where(v), o, req)
}

// FindMetafieldsByCustomerIDs returns the metafields of each customer that
// v may see, by id: the nested metafields of many customers in one
// statement.
func (db *DB) FindMetafieldsByCustomerIDs(ctx context.Context, v MetafieldViewer, ids []int) (map[int][]*CustomerMetafield, error) {
	ctx, err := keyLookup(ctx)
	if err != nil {
		return nil, err
	}
	var w where
	v.conditions(&w)
	in(&w, "m.customer_id", ids)
	all, err := queryAll(ctx, db, db.reader, metafieldList.scanRow,
		`SELECT `+metafieldColumns+` FROM customer_metafields m`+w.sql()+` ORDER BY m.id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("find metafields by customer: %w", err)
	}
	out := make(map[int][]*CustomerMetafield)
	for _, m := range all {
		out[m.CustomerID] = append(out[m.CustomerID], m)
	}
	return out, nil
}

// FindMetafieldByID returns the metafield with the id if v may see it, or
// ENOTFOUND.
func (db *DB) FindMetafieldByID(ctx context.Context, v MetafieldViewer, id int) (*CustomerMetafield, error) {
	pg, err := db.FindMetafields(ctx, v, MetafieldFilter{IDIn: []int{id}}, false, PageRequest{Page: 1, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(pg.Items) == 0 {
		return nil, Errorf(ENOTFOUND, "Metafield not found.")
	}
	return pg.Items[0], nil
}
