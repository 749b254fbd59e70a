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
	db     viewStore
	plans  *lru.LRU[*plan]
	onExec func(string)
	// onBatch is Options.OnBatch, for the executions' own loaders.
	onBatch func(relation string, keys int)
	// off sends every operation to the reference (Options.DisableCompiledReads).
	off bool
}

// viewStore is what compiled plans read through: a view of the columns a
// plan writes, under one snapshot, and the loaders of the rest.
type viewStore interface {
	loaderStore
	Snapshot(ctx context.Context) (_ context.Context, end func(), _ error)
	View(c storage.Columns) (*storage.View, error)
}

func newCompiledSchema(es graphql.ExecutableSchema, db viewStore, opts Options) *compiledSchema {
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
		data, err := s.run(rctx, op, p)
		if storage.StandbyLost(err) {
			// The standby failed under the read's snapshot; nothing is
			// written yet: the primary serves the whole read again.
			data, err = s.run(storage.OnPrimary(rctx), op, p)
		}
		if err == nil {
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

// columnsOf returns the columns, per record type, that the plan writes
// anywhere: every read of a type in one execution uses the same columns, so
// the records the loaders share are complete for every field that reads
// them.
func columnsOf(root *planNode) storage.Columns {
	var c storage.Columns
	for _, t := range compiledTypes {
		if slot := t.columnSlot(&c); slot != nil {
			*slot = []string{}
		}
	}
	var walk func(n *planNode)
	walk = func(n *planNode) {
		t := compiledTypes[n.typ]
		for _, f := range n.fields {
			if t != nil {
				if slot := t.columnSlot(&c); slot != nil {
					for _, col := range t.columns(f.name) {
						if !slices.Contains(*slot, col) {
							*slot = append(*slot, col)
						}
					}
				}
			}
			if f.child != nil {
				walk(f.child)
			}
		}
	}
	walk(root)
	return c
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

// covered reports whether every field the plan reaches is one the compiled
// executor writes (one its type's table has), and attaches each field's
// table entry to it.
func covered(n *planNode) bool {
	t := compiledTypes[n.typ]
	for _, f := range n.fields {
		if f.name == "__typename" {
			continue
		}
		if t == nil || !t.bind(f) || (f.child != nil && !covered(f.child)) {
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
	db  viewStore
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
	if err := queryTable.write(x, p.root, struct{}{}); err != nil {
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
	args, err := coerceArgs(x.ctx, x.op, f.impl.(*field[struct{}]).args, f.ast)
	if err != nil {
		return err // the reference reports it
	}
	fc := &graphql.FieldContext{Object: "Query", Field: graphql.CollectedField{Field: f.ast, Selections: f.ast.SelectionSet},
		Args: args, IsMethod: true, IsResolver: true}
	_, err = x.op.ResolverMiddleware(graphql.WithFieldContext(x.ctx, fc), func(ctx context.Context) (any, error) {
		return nil, x.fetchRootIn(ctx, f, args)
	})
	return err
}

func (x *execution) fetchRootIn(ctx context.Context, f *planField, args map[string]any) error {
	p := &primer{ctx: ctx, l: x.l}
	switch f.name {
	case "customers":
		q, err := customersQueryOfArgs(args)
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
		id, _ := args["id"].(int)
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

// groupCustomersQuery parses the arguments of a group's `customers` field
// f, with what its selection asks of the page.
func groupCustomersQuery(ctx context.Context, op *graphql.OperationContext, f *planField) (customersQuery, error) {
	args, err := coerceArgs(ctx, op, groupTable.fields["customers"].args, f.ast)
	if err != nil {
		return customersQuery{}, err
	}
	q, err := customersQueryOfArgs(args)
	if err != nil {
		return q, err
	}
	if f.child != nil {
		wantsOf(f.child, &q.Req)
	}
	return q, nil
}
