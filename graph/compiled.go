package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/ast"
)

// The compiled read path. gqlgen's executor resolves every field of every
// object in its own goroutine through closures and interfaces; for a page
// of customers with their relations that costs several times what the SQL
// does. For the read operations it covers, compiledSchema instead plans the
// operation once per query text (the fields of every object type reached,
// fragments merged, @skip/@include applied) and executes the plan directly:
// the root statements, the same batched relation lookups as priming (one
// statement per relation and level), and one pass that appends the
// response's JSON to a buffer. Everything else, and any operation that
// would end in an error, runs on gqlgen's generated executor, the reference:
// both give the same bytes (compiled_test.go compares them). Transports,
// parsing, validation, the query cache, extensions (limits, telemetry) and
// the error presenter are gqlgen's on both paths.

// compiledSchema is the generated ExecutableSchema with a compiled Exec for
// the operations its planner covers.
type compiledSchema struct {
	graphql.ExecutableSchema
	db     *storage.DB
	plans  *lru.LRU[*plan]
	onExec func(string)
	// onBatch is Options.OnBatch, for the executions' own loaders.
	onBatch func(relation string, keys int)
	// off sends every operation to the reference (Options.DisableCompiledReads).
	off bool
}

func newCompiledSchema(es graphql.ExecutableSchema, db *storage.DB, opts Options) *compiledSchema {
	onExec := opts.OnExec
	if onExec == nil {
		onExec = func(string) {}
	}
	return &compiledSchema{ExecutableSchema: es, db: db, plans: lru.New[*plan](1000), onExec: onExec, onBatch: opts.OnBatch,
		off: opts.DisableCompiledReads}
}

// plan is a planned read operation: its root fields, or nil fields when
// the planner does not cover it.
type plan struct {
	root *planNode
	ok   bool
	// view reads the columns the plan writes, and no others.
	view *storage.View
}

// Exec runs a covered query with the compiled executor, and anything else
// (or a covered query that meets an error) with gqlgen's.
func (s *compiledSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if s.off || op.Operation == nil || op.Operation.Operation != ast.Query {
		s.onExec("reference")
		return s.ExecutableSchema.Exec(ctx)
	}
	p := s.planFor(ctx, op)
	if !p.ok {
		s.onExec("reference")
		return s.ExecutableSchema.Exec(ctx)
	}
	// Like gqlgen's, the work happens when the handler is called: under the
	// response middleware's context (statement counting, for one).
	done := false
	return func(rctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		if data, err := s.run(rctx, op, p); err == nil {
			s.onExec("compiled")
			recordRaw(rctx, data)
			return &graphql.Response{Data: data}
		}
		s.onExec("reference")
		return s.ExecutableSchema.Exec(ctx)(rctx)
	}
}

// planFor returns the operation's plan, from the cache when the query text,
// the operation name and the values that decide @skip and @include are the
// same.
func (s *compiledSchema) planFor(ctx context.Context, op *graphql.OperationContext) *plan {
	key := planKey(op)
	if p, ok := s.plans.Get(ctx, key); ok {
		return p
	}
	root := buildNode(s.Schema(), op, op.Operation.SelectionSet, "Query")
	p := &plan{root: root, ok: covered(root)}
	if p.ok {
		var err error
		if p.view, err = s.db.View(columnsOf(root)); err != nil {
			p.ok = false // a column missing from the store's views: a bug, and the reference still answers
		}
	}
	s.plans.Add(ctx, key, p)
	return p
}

// viewColumns maps the fields of the compiled types to the stored columns
// they are written from (storage.Columns); the keys that relate records are
// always read, so fields written from keys or from other records need none.
var viewColumns = map[string]map[string][]string{
	"Customer": {
		"email": {"email"}, "firstName": {"first_name"}, "lastName": {"last_name"}, "company": {"company"},
		"phone": {"phone"}, "notes": {"notes"}, "taxExemptCategory": {"tax_exempt_category"},
		"registrationIpAddress": {"registration_ip_address"}, "customerGroupId": {"customer_group_id"},
		"group": {"customer_group_id"}, "acceptsProductReviewAbandonedCartEmails": {"accepts_product_review_abandoned_cart_emails"},
		"originChannelId": {"origin_channel_id"}, "channelIds": {"channel_ids"}, "dateCreated": {"date_created"},
		"dateModified": {"date_modified"}, "authentication": {"force_password_reset"},
	},
	"CustomerAddress": {
		"firstName": {"first_name"}, "lastName": {"last_name"}, "company": {"company"}, "address1": {"address1"},
		"address2": {"address2"}, "city": {"city"}, "stateOrProvince": {"state_or_province"}, "postalCode": {"postal_code"},
		"countryCode": {"country_code"}, "country": {"country_code"}, "phone": {"phone"}, "addressType": {"address_type"},
	},
	"CustomerAttributeValue": {"value": {"value"}, "dateCreated": {"date_created"}, "dateModified": {"date_modified"}},
	"CustomerAttribute":      {"name": {"name"}, "type": {"type"}, "dateCreated": {"date_created"}, "dateModified": {"date_modified"}},
	"CustomerFormFieldValue": {"name": {"name"}, "value": {"value"}},
	"CustomerFormField": {
		"name": {"name"}, "label": {"label"}, "type": {"type"}, "appliesTo": {"applies_to"}, "required": {"required"},
		"options": {"options"}, "dateCreated": {"date_created"}, "dateModified": {"date_modified"},
	},
	"CustomerGroup": {
		"name": {"name"}, "isDefault": {"is_default"}, "isGroupForGuests": {"is_group_for_guests"},
		"categoryAccess": {"category_access_type", "category_access_categories"}, "discountRules": {"discount_rules"},
		"dateCreated": {"date_created"}, "dateModified": {"date_modified"},
	},
}

// columnsOf returns the columns, per record type, that the plan writes
// anywhere: every read of a type in one execution uses the same columns, so
// the records the loaders share are complete for every field that reads
// them.
func columnsOf(root *planNode) storage.Columns {
	byType := map[string][]string{}
	for typ := range viewColumns {
		byType[typ] = []string{}
	}
	var walk func(n *planNode)
	walk = func(n *planNode) {
		for _, f := range n.fields {
			for _, col := range viewColumns[n.typ][f.name] {
				if !slices.Contains(byType[n.typ], col) {
					byType[n.typ] = append(byType[n.typ], col)
				}
			}
			if f.child != nil {
				walk(f.child)
			}
		}
	}
	walk(root)
	return storage.Columns{Customer: byType["Customer"], Address: byType["CustomerAddress"],
		AttributeValue: byType["CustomerAttributeValue"], Attribute: byType["CustomerAttribute"],
		FormFieldValue: byType["CustomerFormFieldValue"], FormField: byType["CustomerFormField"], Group: byType["CustomerGroup"]}
}

// planKey names a plan: query text, operation name, and the variables that
// @skip and @include read.
func planKey(op *graphql.OperationContext) string {
	var b strings.Builder
	b.WriteString(op.RawQuery)
	b.WriteByte(0)
	b.WriteString(op.OperationName)
	if strings.Contains(op.RawQuery, "@skip") || strings.Contains(op.RawQuery, "@include") {
		vars, _ := json.Marshal(op.Variables) // plain decoded JSON: always encodes
		b.WriteByte(0)
		b.Write(vars)
	}
	return b.String()
}

// coveredFields lists the fields the compiled executor writes, by type.
var coveredFields = map[string][]string{
	"Query":                  {"customers", "customer"},
	"CustomerConnection":     {"nodes", "edges", "pageInfo", "pagination"},
	"CustomerEdge":           {"cursor", "node"},
	"PageInfo":               {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"},
	"Pagination":             {"total", "count", "perPage", "currentPage", "totalPages"},
	"Customer":               {"id", "email", "firstName", "lastName", "company", "phone", "notes", "taxExemptCategory", "registrationIpAddress", "customerGroupId", "acceptsProductReviewAbandonedCartEmails", "originChannelId", "channelIds", "dateCreated", "dateModified", "addressCount", "attributeCount", "authentication", "addresses", "attributes", "formFields", "storeCredit", "consent", "group"},
	"CustomerAuthentication": {"forcePasswordReset"},
	"CustomerAddress":        {"id", "customerId", "firstName", "lastName", "company", "address1", "address2", "city", "stateOrProvince", "postalCode", "countryCode", "country", "phone", "addressType", "formFields", "customer"},
	"CustomerAttributeValue": {"id", "customerId", "attributeId", "value", "dateCreated", "dateModified", "attribute", "customer"},
	"CustomerAttribute":      {"id", "name", "type", "dateCreated", "dateModified"},
	"CustomerFormFieldValue": {"name", "value", "customerId", "addressId", "field"},
	"CustomerFormField":      {"id", "name", "label", "type", "appliesTo", "required", "options", "dateCreated", "dateModified"},
	"StoreCreditAmount":      {"amount"},
	"CustomerConsent":        {"customerId", "allow", "deny", "updatedAt"},
	"CustomerGroup":          {"id", "name", "isDefault", "isGroupForGuests", "categoryAccess", "discountRules", "dateCreated", "dateModified", "customers"},
	"CategoryAccess":         {"type", "categories"},
	"DiscountRule":           {"type", "method", "amount", "priceListId", "categoryId", "productId"},
}

// covered reports whether every field the plan reaches is one the compiled
// executor writes.
func covered(n *planNode) bool {
	known := coveredFields[n.typ]
	for _, f := range n.fields {
		if f.name == "__typename" {
			continue
		}
		if !slices.Contains(known, f.name) || (f.child != nil && !covered(f.child)) {
			return false
		}
	}
	return true
}

// errFallback asks for the reference executor: the compiled one met
// something (an error, a denied field) whose response gqlgen writes.
var errFallback = errors.New("compiled read: fall back")

// execution is one run of a plan.
type execution struct {
	ctx context.Context
	op  *graphql.OperationContext
	db  *storage.DB
	// view reads the plan's columns; l are the execution's own loaders over
	// it, whose records gqlgen's resolvers never see.
	view *storage.View
	l    *Loaders
	b    []byte
	// pages and single hold the root fields' records; groupQueries holds
	// the parsed arguments of group `customers` fields.
	pages        map[*planField]*storage.Page[*storage.Customer]
	single       map[*planField]*storage.Customer
	groupQueries map[*planField]customersQuery
}

// bufPool recycles response buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// run executes the plan: access, roots, relations, then the JSON.
func (s *compiledSchema) run(ctx context.Context, op *graphql.OperationContext, p *plan) ([]byte, error) {
	if !allowed(callerOf(ctx), p.root) {
		return nil, errFallback
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	x := &execution{ctx: ctx, op: op, db: s.db, view: p.view, l: newLoaders(s.db, p.view, s.Schema(), s.onBatch), b: (*bp)[:0],
		pages: map[*planField]*storage.Page[*storage.Customer]{}, single: map[*planField]*storage.Customer{},
		groupQueries: map[*planField]customersQuery{}}
	if err := x.fetch(p.root); err != nil {
		return nil, err
	}
	if err := x.object(p.root, x.query); err != nil {
		return nil, err
	}
	*bp = x.b
	return slices.Clone(x.b), nil
}

// fetch reads every record the plan writes, in one snapshot of the store.
func (x *execution) fetch(root *planNode) error {
	ctx, end, err := x.db.Snapshot(x.ctx)
	if err != nil {
		return err
	}
	defer end()
	outer := x.ctx
	x.ctx = ctx
	defer func() { x.ctx = outer }()
	for _, f := range root.fields {
		if err := x.fetchRoot(f); err != nil {
			return err
		}
	}
	return nil
}

// allowed reports whether the caller may use every field of the plan that
// has an @access list; a denied field is left for gqlgen to report.
func allowed(c *Caller, n *planNode) bool {
	for _, f := range n.fields {
		if f.allow != nil && !mayUse(c, f.allow) {
			return false
		}
		if f.child != nil && !allowed(c, f.child) {
			return false
		}
	}
	return true
}

// mayUse is the @access rule: whether caller c is of a kind allow lists.
// The directive (auth.access) and the compiled path both ask it.
func mayUse(c *Caller, allow []model.Access) bool {
	for _, k := range allow {
		switch {
		case k == model.AccessPublic,
			k == model.AccessShopper && c.Shopper != nil,
			k == model.AccessRead && c.Token != nil && c.Token.Can(storage.ScopeRead),
			k == model.AccessWrite && c.Token != nil && c.Token.Can(storage.ScopeWrite):
			return true
		}
	}
	return false
}

// fetchRoot reads a root field's records and primes what it selects,
// inside the operation's field middleware (tracing sees a resolver span, as
// on the reference path).
func (x *execution) fetchRoot(f *planField) error {
	if f.name == "__typename" {
		return nil
	}
	args := f.ast.ArgumentMap(x.op.Variables)
	fc := &graphql.FieldContext{Object: "Query", Field: graphql.CollectedField{Field: f.ast, Selections: f.ast.SelectionSet},
		Args: args, IsMethod: true, IsResolver: true}
	_, err := x.op.ResolverMiddleware(graphql.WithFieldContext(x.ctx, fc), func(ctx context.Context) (any, error) {
		return nil, x.fetchRootIn(ctx, f, args)
	})
	return err
}

func (x *execution) fetchRootIn(ctx context.Context, f *planField, args map[string]any) error {
	p := &primer{ctx: ctx, l: x.l}
	switch f.name {
	case "customers":
		q, err := parseCustomersQueryArgs(args)
		if err != nil {
			return err
		}
		if f.child != nil {
			wantsOf(f.child, &q.Req)
		}
		pg, err := x.view.FindCustomers(ctx, q.Filter, q.Sort, q.Req)
		if err != nil {
			return err
		}
		x.pages[f] = pg
		if f.child != nil {
			for _, n := range f.child.nodeSelections() {
				if err := p.customers(n, pg.Items); err != nil {
					return err
				}
			}
		}
	case "customer":
		id, err := toInt(args["id"])
		if err != nil {
			return err
		}
		c, err := orNull(x.view.FindCustomerByID(ctx, id))
		if err != nil {
			return err
		}
		x.single[f] = c
		if c != nil && f.child != nil {
			return p.customers(f.child, []*storage.Customer{c})
		}
	}
	return nil
}

// JSON writing, byte for byte as gqlgen's marshalers write it.

func (x *execution) raw(s string) { x.b = append(x.b, s...) }
func (x *execution) null()        { x.b = append(x.b, "null"...) }
func (x *execution) int(n int)    { x.b = strconv.AppendInt(x.b, int64(n), 10) }
func (x *execution) bool(v bool)  { x.b = strconv.AppendBool(x.b, v) }

// str writes a string as graphql.MarshalString does.
func (x *execution) str(s string) { x.b = appendQuoted(x.b, s) }

// float writes a Float as graphql.MarshalFloatContext does (%g).
func (x *execution) float(f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return errFallback
	}
	x.b = strconv.AppendFloat(x.b, f, 'g', -1, 64)
	return nil
}

// time writes a DateTime as model.MarshalDateTime does.
func (x *execution) time(t time.Time) { x.b = storage.AppendTime(x.b, t) }

// writeEnum writes an enum value as the storage enums' MarshalGQL do.
func writeEnum[T ~string](x *execution, v T) { x.b = strconv.AppendQuote(x.b, storage.EnumName(v)) }

func (x *execution) optInt(p *int) {
	if p == nil {
		x.null()
		return
	}
	x.int(*p)
}

func (x *execution) optTime(p *time.Time) {
	if p == nil {
		x.null()
		return
	}
	x.time(*p)
}

func (x *execution) ints(vs []int) {
	x.raw("[")
	for i, v := range vs {
		if i > 0 {
			x.raw(",")
		}
		x.int(v)
	}
	x.raw("]")
}

// appendQuoted writes a string as gqlgen's writeQuotedString does, then as
// encoding/json's compaction of the response leaves it: <, >, & and the
// line and paragraph separators escaped. The transport then sends it as is
// (transport.go), and any other encoder leaves it unchanged.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i, c := range s {
		switch {
		case c < 0x20 || c == '\\' || c == '"':
			b = append(b, s[start:i]...)
			switch c {
			case '\t':
				b = append(b, `\t`...)
			case '\r':
				b = append(b, `\r`...)
			case '\n':
				b = append(b, `\n`...)
			case '\\':
				b = append(b, `\\`...)
			case '"':
				b = append(b, `\"`...)
			default:
				b = append(b, `\u00`...)
				b = append(b, hex[c>>4], hex[c&0xf])
			}
			start = i + 1
		case c == '<' || c == '>' || c == '&':
			b = append(b, s[start:i]...)
			b = append(b, `\u00`...)
			b = append(b, hex[c>>4], hex[c&0xf])
			start = i + 1
		case c == '\u2028' || c == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hex[c&0xf])
			start = i + 3
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendRawJSON writes a stored JSON value as the response's compaction
// leaves it: compact, HTML-escaped.
func appendRawJSON(b, raw []byte) ([]byte, error) {
	if !bytes.ContainsAny(raw, " \t\r\n<>&\u2028\u2029") {
		return append(b, raw...), nil
	}
	var compact, escaped bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return b, err
	}
	json.HTMLEscape(&escaped, compact.Bytes())
	return append(b, escaped.Bytes()...), nil
}

// object writes {"key":value,...} for the node's fields; value writes one
// field of the object.
func (x *execution) object(n *planNode, value func(f *planField) error) error {
	x.raw("{")
	for i, f := range n.fields {
		if i > 0 {
			x.raw(",")
		}
		x.str(f.key)
		x.raw(":")
		if f.name == "__typename" {
			x.str(n.typ)
			continue
		}
		if err := value(f); err != nil {
			return err
		}
	}
	x.raw("}")
	return nil
}

// array writes [item,...].
func array[T any](x *execution, items []T, item func(T) error) error {
	x.raw("[")
	for i, v := range items {
		if i > 0 {
			x.raw(",")
		}
		if err := item(v); err != nil {
			return err
		}
	}
	x.raw("]")
	return nil
}

func (x *execution) query(f *planField) error {
	switch f.name {
	case "customers":
		return x.connection(f.child, x.pages[f])
	case "customer":
		c := x.single[f]
		if c == nil {
			x.null()
			return nil
		}
		return x.customer(f.child, c)
	}
	return errFallback
}

// connection writes a CustomerConnection of a page.
func (x *execution) connection(n *planNode, pg *storage.Page[*storage.Customer]) error {
	return x.object(n, func(f *planField) error {
		switch f.name {
		case "nodes":
			return array(x, pg.Items, func(c *storage.Customer) error { return x.customer(f.child, c) })
		case "edges":
			i := 0
			return array(x, pg.Items, func(c *storage.Customer) error {
				cursor := pg.Cursor(i)
				i++
				return x.object(f.child, func(e *planField) error {
					switch e.name {
					case "cursor":
						x.str(cursor)
					case "node":
						return x.customer(e.child, c)
					default:
						return errFallback
					}
					return nil
				})
			})
		case "pageInfo":
			return x.object(f.child, func(p *planField) error {
				switch p.name {
				case "hasNextPage":
					x.bool(pg.HasNext)
				case "hasPreviousPage":
					x.bool(pg.HasPrevious)
				case "startCursor", "endCursor":
					if len(pg.Items) == 0 {
						x.null()
					} else if p.name == "startCursor" {
						x.str(pg.Cursor(0))
					} else {
						x.str(pg.Cursor(len(pg.Items) - 1))
					}
				default:
					return errFallback
				}
				return nil
			})
		case "pagination":
			return x.object(f.child, func(p *planField) error {
				switch p.name {
				case "total":
					x.int(pg.Total)
				case "count":
					x.int(len(pg.Items))
				case "perPage":
					x.int(pg.Limit)
				case "currentPage":
					if pg.Page > 0 {
						x.int(pg.Page)
					} else {
						x.null()
					}
				case "totalPages":
					x.int(pg.TotalPages())
				default:
					return errFallback
				}
				return nil
			})
		}
		return errFallback
	})
}

func (x *execution) customer(n *planNode, c *storage.Customer) error {
	return x.object(n, func(f *planField) error {
		switch f.name {
		case "id":
			x.int(c.ID)
		case "email":
			x.str(c.Email)
		case "firstName":
			x.str(c.FirstName)
		case "lastName":
			x.str(c.LastName)
		case "company":
			x.str(c.Company)
		case "phone":
			x.str(c.Phone)
		case "notes":
			x.str(c.Notes)
		case "taxExemptCategory":
			x.str(c.TaxExemptCategory)
		case "registrationIpAddress":
			x.str(c.RegistrationIPAddress)
		case "customerGroupId":
			x.optInt(c.CustomerGroupID)
		case "acceptsProductReviewAbandonedCartEmails":
			x.bool(c.AcceptsProductReviewAbandonedCartEmails)
		case "originChannelId":
			x.int(c.OriginChannelID)
		case "channelIds":
			if c.ChannelIDs == nil {
				x.null()
			} else {
				x.ints(c.ChannelIDs)
			}
		case "dateCreated":
			x.time(c.DateCreated)
		case "dateModified":
			x.time(c.DateModified)
		case "addressCount":
			x.int(x.l.AddressCountByCustomerID.get(c.ID))
		case "attributeCount":
			x.int(x.l.AttributeCountByCustomerID.get(c.ID))
		case "authentication":
			return x.object(f.child, func(a *planField) error {
				if a.name != "forcePasswordReset" {
					return errFallback
				}
				x.bool(c.ForcePasswordReset)
				return nil
			})
		case "addresses":
			return array(x, x.l.AddressesByCustomerID.get(c.ID), func(a *storage.CustomerAddress) error { return x.address(f.child, a) })
		case "attributes":
			return array(x, x.l.AttributeValuesByCustomerID.get(c.ID), func(v *storage.CustomerAttributeValue) error {
				return x.attributeValue(f.child, v)
			})
		case "formFields":
			return array(x, x.l.FormFieldValuesByCustomerID.get(c.ID), func(v *storage.CustomerFormFieldValue) error {
				return x.formFieldValue(f.child, v)
			})
		case "storeCredit":
			return array(x, x.l.StoreCreditByCustomerID.get(c.ID), func(a *storage.StoreCreditAmount) error {
				return x.object(f.child, func(s *planField) error {
					if s.name != "amount" {
						return errFallback
					}
					return x.float(a.Amount)
				})
			})
		case "consent":
			return x.consent(f.child, x.l.ConsentByCustomerID.get(c.ID))
		case "group":
			if c.CustomerGroupID == nil {
				x.null()
				return nil
			}
			g := x.l.GroupByID.get(*c.CustomerGroupID)
			if g == nil {
				x.null()
				return nil
			}
			return x.group(f.child, g)
		default:
			return errFallback
		}
		return nil
	})
}

func (x *execution) address(n *planNode, a *storage.CustomerAddress) error {
	return x.object(n, func(f *planField) error {
		switch f.name {
		case "id":
			x.int(a.ID)
		case "customerId":
			x.int(a.CustomerID)
		case "firstName":
			x.str(a.FirstName)
		case "lastName":
			x.str(a.LastName)
		case "company":
			x.str(a.Company)
		case "address1":
			x.str(a.Address1)
		case "address2":
			x.str(a.Address2)
		case "city":
			x.str(a.City)
		case "stateOrProvince":
			x.str(a.StateOrProvince)
		case "postalCode":
			x.str(a.PostalCode)
		case "countryCode":
			x.str(a.CountryCode)
		case "country":
			x.str(a.Country())
		case "phone":
			x.str(a.Phone)
		case "addressType":
			writeEnum(x, a.AddressType)
		case "formFields":
			return array(x, x.l.FormFieldValuesByAddressID.get(a.ID), func(v *storage.CustomerFormFieldValue) error {
				return x.formFieldValue(f.child, v)
			})
		case "customer":
			c := x.l.CustomerByID.get(a.CustomerID)
			if c == nil {
				return errFallback // non-null: gqlgen reports it
			}
			return x.customer(f.child, c)
		default:
			return errFallback
		}
		return nil
	})
}

func (x *execution) attributeValue(n *planNode, v *storage.CustomerAttributeValue) error {
	return x.object(n, func(f *planField) error {
		switch f.name {
		case "id":
			x.int(v.ID)
		case "customerId":
			x.int(v.CustomerID)
		case "attributeId":
			x.int(v.AttributeID)
		case "value":
			x.str(v.Value)
		case "dateCreated":
			x.time(v.DateCreated)
		case "dateModified":
			x.time(v.DateModified)
		case "attribute":
			a := x.l.AttributeByID.get(v.AttributeID)
			if a == nil {
				return errFallback
			}
			return x.object(f.child, func(g *planField) error {
				switch g.name {
				case "id":
					x.int(a.ID)
				case "name":
					x.str(a.Name)
				case "type":
					writeEnum(x, a.Type)
				case "dateCreated":
					x.time(a.DateCreated)
				case "dateModified":
					x.time(a.DateModified)
				default:
					return errFallback
				}
				return nil
			})
		case "customer":
			c := x.l.CustomerByID.get(v.CustomerID)
			if c == nil {
				return errFallback
			}
			return x.customer(f.child, c)
		default:
			return errFallback
		}
		return nil
	})
}

func (x *execution) formFieldValue(n *planNode, v *storage.CustomerFormFieldValue) error {
	return x.object(n, func(f *planField) error {
		switch f.name {
		case "name":
			x.str(v.Name)
		case "value":
			b, err := v.Value.MarshalJSON()
			if err != nil {
				return err
			}
			if x.b, err = appendRawJSON(x.b, b); err != nil {
				return err
			}
		case "customerId":
			x.optInt(v.CustomerID)
		case "addressId":
			x.optInt(v.AddressID)
		case "field":
			d := x.l.FormFieldByID.get(v.FormFieldID)
			if d == nil {
				return errFallback
			}
			return x.object(f.child, func(g *planField) error {
				switch g.name {
				case "id":
					x.int(d.ID)
				case "name":
					x.str(d.Name)
				case "label":
					x.str(d.Label)
				case "type":
					writeEnum(x, d.Type)
				case "appliesTo":
					writeEnum(x, d.AppliesTo)
				case "required":
					x.bool(d.Required)
				case "options":
					return array(x, d.Options, func(o string) error { x.str(o); return nil })
				case "dateCreated":
					x.time(d.DateCreated)
				case "dateModified":
					x.time(d.DateModified)
				default:
					return errFallback
				}
				return nil
			})
		default:
			return errFallback
		}
		return nil
	})
}

func (x *execution) consent(n *planNode, k *storage.CustomerConsent) error {
	return x.object(n, func(f *planField) error {
		switch f.name {
		case "customerId":
			x.int(k.CustomerID)
		case "allow":
			return array(x, k.Allow, func(c storage.ConsentCategory) error { writeEnum(x, c); return nil })
		case "deny":
			return array(x, k.Deny, func(c storage.ConsentCategory) error { writeEnum(x, c); return nil })
		case "updatedAt":
			x.optTime(k.UpdatedAt)
		default:
			return errFallback
		}
		return nil
	})
}

func (x *execution) group(n *planNode, g *storage.CustomerGroup) error {
	return x.object(n, func(f *planField) error {
		switch f.name {
		case "id":
			x.int(g.ID)
		case "name":
			x.str(g.Name)
		case "isDefault":
			x.bool(g.IsDefault)
		case "isGroupForGuests":
			x.bool(g.IsGroupForGuests)
		case "categoryAccess":
			return x.object(f.child, func(c *planField) error {
				switch c.name {
				case "type":
					writeEnum(x, g.CategoryAccess.Type)
				case "categories":
					x.ints(g.CategoryAccess.Categories)
				default:
					return errFallback
				}
				return nil
			})
		case "discountRules":
			return array(x, g.DiscountRules, func(r storage.DiscountRule) error {
				return x.object(f.child, func(d *planField) error {
					switch d.name {
					case "type":
						writeEnum(x, r.Type)
					case "method":
						if r.Method == nil {
							x.null()
						} else {
							writeEnum(x, *r.Method)
						}
					case "amount":
						if r.Amount == nil {
							x.null()
							return nil
						}
						return x.float(*r.Amount)
					case "priceListId":
						x.optInt(r.PriceListID)
					case "categoryId":
						x.optInt(r.CategoryID)
					case "productId":
						x.optInt(r.ProductID)
					default:
						return errFallback
					}
					return nil
				})
			})
		case "dateCreated":
			x.time(g.DateCreated)
		case "dateModified":
			x.time(g.DateModified)
		case "customers":
			q, ok := x.groupQueries[f]
			if !ok {
				var err error
				if q, err = parseCustomersQueryArgs(f.ast.ArgumentMap(x.op.Variables)); err != nil {
					return err
				}
				wantsOf(f.child, &q.Req)
				x.groupQueries[f] = q
			}
			pg := x.l.CustomersByGroup.get(x.l.groupCustomers(g.ID, q))
			if pg == nil {
				return errFallback
			}
			return x.connection(f.child, pg)
		default:
			return errFallback
		}
		return nil
	})
}
