package storage

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Page sizes (../API.md, Reads; domain/customers-spec.md §2.0 infers the
// default, §2.8 gives the maximum).
const (
	DefaultLimit = 50
	MaxLimit     = 250
)

// PageRequest asks for one page of a list, by page number or by keyset
// cursor. When After or Before is set, Page is ignored.
type PageRequest struct {
	Page   int
	Limit  int
	After  string
	Before string

	// WantTotal counts the whole filtered list, which costs a statement.
	WantTotal bool
	// WantHasPrevious and WantHasNext ask for the flags that cost an extra
	// statement in cursor mode (the side of the page the cursor came from).
	WantHasPrevious bool
	WantHasNext     bool
}

// ByCursor reports whether the request pages by cursor.
func (r PageRequest) ByCursor() bool { return r.After != "" || r.Before != "" }

// Validate checks page and limit; it returns EINVALID naming the argument.
func (r PageRequest) Validate() error {
	if r.Limit < 1 || r.Limit > MaxLimit {
		return FieldErrorf(EINVALID, "limit", "limit must be between 1 and %d, not %d.", MaxLimit, r.Limit)
	}
	if !r.ByCursor() && r.Page < 1 {
		return FieldErrorf(EINVALID, "page", "page must be 1 or more, not %d.", r.Page)
	}
	return nil
}

// Page is one page of a list.
type Page[T any] struct {
	Items       []T
	HasNext     bool
	HasPrevious bool
	// Total is the size of the whole filtered list, when Counted.
	Total   int
	Counted bool
	Limit   int
	// Page is the page number, or 0 when the page was asked for by cursor.
	Page int

	// The items' sort keys, which Cursor encodes under the list's name and
	// ordering.
	keys     [][]any
	list     string
	ordering ordering
}

// Cursor returns the opaque cursor of item i. Cursors are encoded on
// demand: most pages are read without them.
func (p *Page[T]) Cursor(i int) string { return p.ordering.encodeCursor(p.list, p.keys[i]) }

// TotalPages returns how many pages of this size the counted list fills.
func (p *Page[T]) TotalPages() int {
	if p.Limit <= 0 {
		return 0
	}
	return (p.Total + p.Limit - 1) / p.Limit
}

// listDef describes a list: where its rows come from and how one is read.
// Every read path of a list goes through it, so its filters and ordering
// live in one place.
type listDef[T any] struct {
	name    string // cursor namespace, e.g. "customers"
	from    string // FROM clause, e.g. "customers c"
	columns string // the columns scan reads, in order
	// scan reads one row; extra receives the trailing columns the pager adds.
	scan func(s rowScanner, extra ...any) (T, error)
}

// ordering is an order of a list: sort keys, the last of them the id, all in
// one direction so that the order is total and keyset conditions are one row
// value comparison that SQLite can run from an index.
type ordering struct {
	name string // part of the cursor namespace, e.g. "date_created:desc"
	keys []sortKey
	desc bool
}

// sortKey is one key of an ordering.
type sortKey struct {
	col     string // the column, e.g. "c.date_created"
	collate string // "" or e.g. " COLLATE NOCASE"
	text    bool   // whether the key is text (else an integer)
}

// orderBy returns the ORDER BY list, reversed when back is true.
func (o ordering) orderBy(back bool) string {
	dir := " ASC"
	if o.desc != back {
		dir = " DESC"
	}
	parts := make([]string, len(o.keys))
	for i, k := range o.keys {
		parts[i] = k.col + k.collate + dir
	}
	return strings.Join(parts, ", ")
}

// keyColumns returns the key columns to select after the list's own.
func (o ordering) keyColumns() string {
	parts := make([]string, len(o.keys))
	for i, k := range o.keys {
		parts[i] = k.col
	}
	return strings.Join(parts, ", ")
}

// compare adds to w the keyset condition "row comes after (or, with
// before, before) the cursor position", with its arguments; inclusive adds
// the cursor's own row.
func (o ordering) compare(w *where, vals []any, after, inclusive bool) {
	lhs := make([]string, len(o.keys))
	qs := make([]string, len(o.keys))
	for i, k := range o.keys {
		lhs[i] = k.col + k.collate
		qs[i] = "?" + k.collate // the same on both sides (PostgreSQL's lower() is a function of each)
	}
	op := ">"
	if o.desc != !after {
		op = "<"
	}
	if inclusive {
		op += "="
	}
	w.add("("+strings.Join(lhs, ", ")+") "+op+" ("+strings.Join(qs, ", ")+")", vals...)
}

// newKeyHolders returns scan destinations for the ordering's key columns.
func (o ordering) newKeyHolders() []any {
	out := make([]any, len(o.keys))
	for i, k := range o.keys {
		if k.text {
			out[i] = new(string)
		} else {
			out[i] = new(int64)
		}
	}
	return out
}

// encodeCursor encodes the key values of a row, under the list and ordering
// names so that a cursor of another list or order is refused.
func (o ordering) encodeCursor(list string, holders []any) string {
	var b bytes.Buffer
	b.WriteString(`[`)
	b.WriteString(strconv.Quote(list + "|" + o.name))
	for _, h := range holders {
		b.WriteByte(',')
		switch h := h.(type) {
		case *string:
			s, _ := json.Marshal(*h)
			b.Write(s)
		case *int64:
			b.WriteString(strconv.FormatInt(*h, 10))
		}
	}
	b.WriteString(`]`)
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// decodeCursor returns the key values of a cursor, or EINVALID naming arg.
func (o ordering) decodeCursor(list, arg, cursor string) ([]any, error) {
	bad := FieldErrorf(EINVALID, arg, "%s is not a cursor of this list in this order.", arg)
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(cursor) > 2048 {
		return nil, bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var parts []any
	if err := dec.Decode(&parts); err != nil || len(parts) != len(o.keys)+1 {
		return nil, bad
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad // trailing data
	}
	if ns, ok := parts[0].(string); !ok || ns != list+"|"+o.name {
		return nil, bad
	}
	vals := make([]any, len(o.keys))
	for i, k := range o.keys {
		switch v := parts[i+1].(type) {
		case string:
			if !k.text {
				return nil, bad
			}
			vals[i] = v
		case json.Number:
			n, err := v.Int64()
			if k.text || err != nil {
				return nil, bad
			}
			vals[i] = n
		default:
			return nil, bad
		}
	}
	return vals, nil
}

// pagePlan is what one page request turns into: the keyset conditions, the
// direction, the limit and offset, and how to shape the fetched rows.
type pagePlan struct {
	req      PageRequest
	cond     where // keyset conditions (not the filter)
	back     bool  // fetch backwards (before without after), then reverse
	offset   int
	after    []any
	before   []any
	ordering ordering
}

func planPage(list string, o ordering, req PageRequest) (*pagePlan, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	p := &pagePlan{req: req, ordering: o}
	if req.After != "" {
		vals, err := o.decodeCursor(list, "after", req.After)
		if err != nil {
			return nil, err
		}
		p.after = vals
		o.compare(&p.cond, vals, true, false)
	}
	if req.Before != "" {
		vals, err := o.decodeCursor(list, "before", req.Before)
		if err != nil {
			return nil, err
		}
		p.before = vals
		o.compare(&p.cond, vals, false, false)
		p.back = req.After == ""
	}
	if !req.ByCursor() {
		p.offset = (req.Page - 1) * req.Limit
	}
	return p, nil
}

// otherSide returns the condition of the rows on the far side of the
// cursor that the page started from, and whether there is one to check:
// rows at or before `after` (for hasPreviousPage), rows at or after `before`
// (for hasNextPage).
func (p *pagePlan) otherSides() (prev, next *where) {
	if p.after != nil && p.req.WantHasPrevious {
		prev = &where{}
		p.ordering.compare(prev, p.after, false, true)
	}
	if p.before != nil && p.req.WantHasNext {
		next = &where{}
		p.ordering.compare(next, p.before, true, true)
	}
	return prev, next
}

// shape turns the fetched rows (at most limit+1, in fetch order) into a page.
func shape[T any](p *pagePlan, list string, items []T, keys [][]any) *Page[T] {
	pg := &Page[T]{Limit: p.req.Limit}
	more := len(items) > p.req.Limit
	if more {
		items, keys = items[:p.req.Limit], keys[:p.req.Limit]
	}
	if p.back {
		slices.Reverse(items)
		slices.Reverse(keys)
		pg.HasPrevious = more
	} else {
		pg.HasNext = more
	}
	if !p.req.ByCursor() {
		pg.Page = p.req.Page
		pg.HasPrevious = p.req.Page > 1
	}
	pg.Items, pg.keys, pg.list, pg.ordering = items, keys, list, p.ordering
	return pg
}

// findPage runs one page of a list under filter w: the page itself, and the
// count and the far-side checks when the request wants them, all in one read
// snapshot when there is more than one statement.
func findPage[T any](ctx context.Context, db *DB, l listDef[T], w where, o ordering, req PageRequest) (*Page[T], error) {
	p, err := planPage(l.name, o, req)
	if err != nil {
		return nil, err
	}
	prev, next := p.otherSides()
	q := querier(db.reader)
	var writes uint64
	if req.WantTotal || prev != nil || next != nil {
		tx, err := db.beginRead(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		q, writes = tx.q(), tx.writes
	}

	all := w.clone()
	all.add(p.cond.and(), p.cond.args...)
	args := append(all.args, req.Limit+1, p.offset)
	stmt := `SELECT ` + l.columns + `, ` + o.keyColumns() + ` FROM ` + l.from + all.sql() +
		` ORDER BY ` + o.orderBy(p.back) + ` LIMIT ? OFFSET ?`
	var keys [][]any
	items, err := queryAll(ctx, db, q, func(s rowScanner) (T, error) {
		h := o.newKeyHolders()
		keys = append(keys, h)
		return l.scan(s, h...)
	}, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", l.name, err)
	}
	pg := shape(p, l.name, items, keys)

	if prev != nil {
		if pg.HasPrevious, err = exists(ctx, db, q, l.from, w, prev); err != nil {
			return nil, fmt.Errorf("find %s: %w", l.name, err)
		}
	}
	if next != nil && !pg.HasNext {
		if pg.HasNext, err = exists(ctx, db, q, l.from, w, next); err != nil {
			return nil, fmt.Errorf("find %s: %w", l.name, err)
		}
	}
	if req.WantTotal {
		if pg.Total, err = db.cachedCount(ctx, q, writes, l.from, w); err != nil {
			return nil, fmt.Errorf("count %s: %w", l.name, err)
		}
		pg.Counted = true
	}
	return pg, nil
}

// exists reports whether a row matches filter w and condition c.
func exists(ctx context.Context, db *DB, q querier, from string, w where, c *where) (bool, error) {
	all := w.clone()
	all.add(c.and(), c.args...)
	rows, err := db.query(ctx, q, `SELECT EXISTS (SELECT 1 FROM `+from+all.sql()+`)`, all.args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var ok bool
	if rows.Next() {
		if err := rows.Scan(&ok); err != nil {
			return false, err
		}
	}
	return ok, rows.Err()
}

// count returns how many rows match filter w.
func count(ctx context.Context, db *DB, q querier, from string, w where) (int, error) {
	rows, err := db.query(ctx, q, `SELECT COUNT(*) FROM `+from+w.sql(), w.args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// findPages runs the same page request once per parent, in one statement:
// the rows of each parent (partition column part, one of parents) are
// numbered with a window function and cut to the page. It serves nested
// connections such as a group's customers, batched by a dataloader.
func findPages[T any](ctx context.Context, db *DB, l listDef[T], w where, o ordering, req PageRequest, part string, parents []int) (map[int]*Page[T], error) {
	p, err := planPage(l.name, o, req)
	if err != nil {
		return nil, err
	}
	prev, next := p.otherSides()
	q := querier(db.reader)
	if req.WantTotal || prev != nil || next != nil {
		tx, err := db.beginRead(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		q = tx.q()
	}

	scoped := w.clone()
	in(&scoped, part, parents)
	all := scoped.clone()
	all.add(p.cond.and(), p.cond.args...)
	args := append(all.args, p.offset, p.offset+req.Limit+1)
	// The parent under a name of its own: the list's columns may hold it
	// too, and PostgreSQL refuses to order by a name two columns share.
	stmt := `SELECT * FROM (SELECT ` + l.columns + `, ` + o.keyColumns() + `, ` + part +
		` AS page_parent, ROW_NUMBER() OVER (PARTITION BY ` + part + ` ORDER BY ` + o.orderBy(p.back) + `) AS rn FROM ` +
		l.from + all.sql() + `) AS p WHERE rn > ? AND rn <= ? ORDER BY page_parent, rn`
	type row struct {
		item   T
		keys   []any
		parent int64
	}
	rows, err := queryAll(ctx, db, q, func(s rowScanner) (row, error) {
		h := o.newKeyHolders()
		var r row
		var rn int64
		item, err := l.scan(s, append(h, &r.parent, &rn)...)
		r.item, r.keys = item, h
		return r, err
	}, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", l.name, err)
	}
	byParent := map[int][]row{}
	for _, r := range rows {
		byParent[int(r.parent)] = append(byParent[int(r.parent)], r)
	}
	out := make(map[int]*Page[T], len(parents))
	for _, id := range parents {
		rs := byParent[id]
		items := make([]T, len(rs))
		keys := make([][]any, len(rs))
		for i, r := range rs {
			items[i], keys[i] = r.item, r.keys
		}
		out[id] = shape(p, l.name, items, keys)
	}

	side := func(c *where, set func(pg *Page[T])) error {
		if c == nil {
			return nil
		}
		all := scoped.clone()
		all.add(c.and(), c.args...)
		ids, err := queryAll(ctx, db, q, scanInt, `SELECT DISTINCT `+part+` FROM `+l.from+all.sql(), all.args...)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if pg := out[id]; pg != nil {
				set(pg)
			}
		}
		return nil
	}
	if err := side(prev, func(pg *Page[T]) { pg.HasPrevious = true }); err != nil {
		return nil, fmt.Errorf("find %s: %w", l.name, err)
	}
	if err := side(next, func(pg *Page[T]) { pg.HasNext = true }); err != nil {
		return nil, fmt.Errorf("find %s: %w", l.name, err)
	}
	if req.WantTotal {
		counts, err := queryAll(ctx, db, q, func(s rowScanner) ([2]int, error) {
			var c [2]int
			return c, s.Scan(&c[0], &c[1])
		}, `SELECT `+part+`, COUNT(*) FROM `+l.from+scoped.sql()+` GROUP BY `+part, scoped.args...)
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", l.name, err)
		}
		for _, pg := range out {
			pg.Counted = true
		}
		for _, c := range counts {
			if pg := out[c[0]]; pg != nil {
				pg.Total = c[1]
			}
		}
	}
	return out, nil
}

// scanInt reads a single integer column.
func scanInt(s rowScanner) (int, error) {
	var n int
	err := s.Scan(&n)
	return n, err
}
