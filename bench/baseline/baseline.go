// Package baseline is the hand-written yardstick of the benchmark suite
// (BENCHMARKS.md): plain net/http handlers that answer the suite's queries
// with exactly the bytes of the GraphQL response's `data`, reading SQLite
// directly with database/sql, with no GraphQL at all. Every GraphQL figure
// is reported as a ratio of it.
//
// It is written to be as fast as this schema allows: a read-only pool like
// the store's, prepared statements, two statements for a page with every
// relation (the page with its group joined in, then every relation of the
// page's customers in one UNION ALL), columns read as raw bytes and escaped
// straight into pooled buffers, rows sorted as small records in Go, and no
// intermediate structs.
//
// Routes, each answering `{"data":...}` as the GraphQL query named in
// BENCHMARKS.md would:
//
//	GET /reference?name=an&limit=50  customers(filter:{nameLike:[name]}, sort: DATE_CREATED_DESC, limit) with the reference selection
//	GET /customer?id=N               customer(id: N) with the reference node selection
//	GET /search?name=X&limit=50      customers(filter:{nameLike:[X]}, limit) { nodes { id email firstName lastName dateCreated } }
//	GET /page?limit=50               customers(limit) { nodes { id email firstName lastName dateCreated } }
package baseline

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/storefront/customers/storage"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// DefaultConns is the read pool size, the store's default.
const DefaultConns = storage.DefaultReadConns

// Server answers the baseline routes from one SQLite file.
type Server struct {
	db                                       *sql.DB
	refPage, byID, relations, search, listID *sql.Stmt
	bufs                                     sync.Pool
}

// dsn is the store's read-only DSN (storage/storage.go): the same pragmas,
// so that both sides read with the same page cache and settings.
func dsn(path string) string {
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + p + "?" + strings.Join([]string{
		"_pragma=busy_timeout(10000)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=cache_size(-8000)",
		"_pragma=temp_store(MEMORY)",
		"mode=ro",
		"_pragma=query_only(1)",
	}, "&")
}

// The statements. pageColumns are what a reference node needs of a
// customer, with its group.
const (
	pageColumns = `SELECT c.id, c.email, c.first_name, c.last_name, c.date_created, g.id, g.name
		FROM customers c LEFT JOIN customer_groups g ON g.id = c.customer_group_id`
	refPageSQL = pageColumns + ` WHERE instr(c.name_fold, ?) > 0 ORDER BY c.date_created DESC, c.id DESC LIMIT ?`
	byIDSQL    = pageColumns + ` WHERE c.id = ?`
	// relationsSQL returns every relation of the customers in the JSON
	// array ?1, as rows (customer, kind, key, name, s1, s2, s3, s4): kind 0
	// an address (key: its id) with one of its form field values (an
	// address without any has one row with name ''); 1 an attribute value
	// (key: its id) with its attribute's name and type; 2 a form field
	// value (by name); 3 a store credit entry (key: its id). The rows come
	// unordered: sorting them in SQLite (ORDER BY on the compound select)
	// cost more than a third of the statement, so appendRelations sorts
	// small records in Go instead.
	relationsSQL = `
		SELECT a.customer_id, 0, a.id, COALESCE(f.name, ''), a.address1, a.city, a.country_code, v.value
		FROM customer_addresses a
		LEFT JOIN customer_form_field_values v ON v.address_id = a.id AND v.address_id IS NOT NULL
		LEFT JOIN customer_form_fields f ON f.id = v.form_field_id
		WHERE a.customer_id IN (SELECT value FROM json_each(?1))
		UNION ALL
		SELECT v.customer_id, 1, v.id, '', v.value, t.name, t.type, NULL
		FROM customer_attribute_values v JOIN customer_attributes t ON t.id = v.attribute_id
		WHERE v.customer_id IN (SELECT value FROM json_each(?1))
		UNION ALL
		SELECT v.customer_id, 2, 0, f.name, v.value, NULL, NULL, NULL
		FROM customer_form_field_values v JOIN customer_form_fields f ON f.id = v.form_field_id
		WHERE v.customer_id IN (SELECT value FROM json_each(?1)) AND v.customer_id IS NOT NULL
		UNION ALL
		SELECT s.customer_id, 3, s.id, '', s.amount, NULL, NULL, NULL
		FROM customer_store_credit s
		WHERE s.customer_id IN (SELECT value FROM json_each(?1))`
	searchSQL = `SELECT c.id, c.email, c.first_name, c.last_name, c.date_created FROM customers c
		WHERE instr(c.name_fold, ?) > 0 ORDER BY c.id LIMIT ?`
	listSQL = `SELECT c.id, c.email, c.first_name, c.last_name, c.date_created FROM customers c ORDER BY c.id LIMIT ?`
)

// Open opens the database file read-only with a pool of conns connections
// (DefaultConns when 0) and prepares the statements.
func Open(ctx context.Context, path string, conns int) (*Server, error) {
	if conns <= 0 {
		conns = DefaultConns
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	s := &Server{db: db}
	s.bufs.New = func() any { return new(buffers) }
	for _, p := range []struct {
		dst  **sql.Stmt
		stmt string
	}{{&s.refPage, refPageSQL}, {&s.byID, byIDSQL}, {&s.relations, relationsSQL}, {&s.search, searchSQL}, {&s.listID, listSQL}} {
		if *p.dst, err = db.PrepareContext(ctx, p.stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("baseline: prepare: %w", err)
		}
	}
	return s, nil
}

// Close closes the pool.
func (s *Server) Close() error { return s.db.Close() }

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /reference", s.serveReference)
	mux.HandleFunc("GET /customer", s.serveCustomer)
	mux.HandleFunc("GET /search", s.serveSearch)
	mux.HandleFunc("GET /page", s.servePage)
	return mux
}

// buffers are one request's scratch space, pooled.
type buffers struct {
	out   []byte   // the response
	arena []byte   // node heads and relation fragments
	nodes []node   // the page's customers, in page order
	byID  []idPos  // the page's customers by id
	ids   []byte   // the JSON array of ids
	recs  []record // the relation rows
	raw   [9]sql.RawBytes
}

// record is one relation row: the customer's page position, kind and sort
// keys, and its JSON fragments in the arena (for an address row, head is
// the address up to `"formFields":[` and frag its form field value, if
// any).
type record struct {
	pos        int
	kind       int64
	key        int64
	name, frag span
	head       span
}

// node is one customer of a page: where its head (up to `"addresses":[`)
// and its group (`null` or the object) sit in the arena, and its relation
// fragments, by kind.
type node struct {
	id          int64
	head, group span
	rel         [4]span
}

type span struct{ start, end int }

type idPos struct {
	id  int64
	pos int
}

func (b *buffers) reset() {
	b.out, b.arena, b.nodes, b.byID, b.ids, b.recs = b.out[:0], b.arena[:0], b.nodes[:0], b.byID[:0], b.ids[:0], b.recs[:0]
}

func (s *Server) get() *buffers {
	b := s.bufs.Get().(*buffers)
	b.reset()
	return b
}

func (s *Server) put(b *buffers) {
	if cap(b.out) > 4<<20 || cap(b.arena) > 4<<20 {
		return // do not keep what an outsized request grew
	}
	s.bufs.Put(b)
}

// limitParam reads ?limit= (1..250, default 50).
func limitParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return storage.DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > storage.MaxLimit {
		return 0, errors.New("limit must be 1 to 250")
	}
	return n, nil
}

func (s *Server) serveReference(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	name := r.URL.Query().Get("name")
	b := s.get()
	defer s.put(b)
	b.out = append(b.out, `{"data":{"customers":{"nodes":[`...)
	if err := s.nodes(r.Context(), b, s.refPage, storage.Fold(name), limit); err != nil {
		fail(w, err)
		return
	}
	b.out = append(b.out, `]}}}`...)
	write(w, b.out)
}

func (s *Server) serveCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.URL.Query().Get("id"))
	if err != nil {
		http.Error(w, "id must be an integer", http.StatusBadRequest)
		return
	}
	b := s.get()
	defer s.put(b)
	b.out = append(b.out, `{"data":{"customer":`...)
	mark := len(b.out)
	if err := s.nodes(r.Context(), b, s.byID, id); err != nil {
		fail(w, err)
		return
	}
	if len(b.out) == mark {
		b.out = append(b.out, "null"...)
	}
	b.out = append(b.out, `}}`...)
	write(w, b.out)
}

func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.serveScalars(w, r, s.search, storage.Fold(r.URL.Query().Get("name")), limit)
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.serveScalars(w, r, s.listID, limit)
}

// serveScalars answers a page of nodes { id email firstName lastName
// dateCreated } in one statement.
func (s *Server) serveScalars(w http.ResponseWriter, r *http.Request, st *sql.Stmt, args ...any) {
	b := s.get()
	defer s.put(b)
	b.out = append(b.out, `{"data":{"customers":{"nodes":[`...)
	rows, err := st.QueryContext(r.Context(), args...)
	if err != nil {
		fail(w, err)
		return
	}
	defer rows.Close()
	var id int64
	raw := &b.raw
	first := true
	for rows.Next() {
		if err := rows.Scan(&id, &raw[0], &raw[1], &raw[2], &raw[3]); err != nil {
			fail(w, err)
			return
		}
		if !first {
			b.out = append(b.out, ',')
		}
		first = false
		b.out = appendScalars(b.out, id, raw[0], raw[1], raw[2], raw[3])
	}
	if err := rows.Err(); err != nil {
		fail(w, err)
		return
	}
	b.out = append(b.out, `]}}}`...)
	write(w, b.out)
}

// appendScalars appends a node's scalars, leaving the object open.
func appendScalars(dst []byte, id int64, email, first, last, created []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, id, 10)
	dst = append(dst, `,"email":`...)
	dst = appendString(dst, email)
	dst = append(dst, `,"firstName":`...)
	dst = appendString(dst, first)
	dst = append(dst, `,"lastName":`...)
	dst = appendString(dst, last)
	dst = append(dst, `,"dateCreated":`...)
	dst = appendString(dst, created)
	return append(dst, '}')
}

// nodes runs page (a statement over pageColumns) with args, then the
// relations of its customers, and appends the reference nodes to b.out,
// comma-separated, in page order.
func (s *Server) nodes(ctx context.Context, b *buffers, page *sql.Stmt, args ...any) error {
	rows, err := page.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	raw := &b.raw
	var id int64
	var groupID sql.NullInt64
	for rows.Next() {
		if err := rows.Scan(&id, &raw[0], &raw[1], &raw[2], &raw[3], &groupID, &raw[4]); err != nil {
			rows.Close()
			return err
		}
		n := node{id: id}
		n.head.start = len(b.arena)
		b.arena = appendScalars(b.arena, id, raw[0], raw[1], raw[2], raw[3])
		b.arena = append(b.arena[:len(b.arena)-1], `,"addresses":[`...)
		n.head.end = len(b.arena)
		n.group.start = len(b.arena)
		if groupID.Valid {
			b.arena = append(b.arena, `{"id":`...)
			b.arena = strconv.AppendInt(b.arena, groupID.Int64, 10)
			b.arena = append(b.arena, `,"name":`...)
			b.arena = appendString(b.arena, raw[4])
			b.arena = append(b.arena, '}')
		} else {
			b.arena = append(b.arena, "null"...)
		}
		n.group.end = len(b.arena)
		b.nodes = append(b.nodes, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(b.nodes) == 0 {
		return nil
	}
	b.ids = append(b.ids, '[')
	for i, n := range b.nodes {
		if i > 0 {
			b.ids = append(b.ids, ',')
		}
		b.ids = strconv.AppendInt(b.ids, n.id, 10)
		b.byID = append(b.byID, idPos{n.id, i})
	}
	b.ids = append(b.ids, ']')
	sort.Slice(b.byID, func(i, j int) bool { return b.byID[i].id < b.byID[j].id })
	if err := s.appendRelations(ctx, b); err != nil {
		return err
	}
	for i := range b.nodes {
		n := &b.nodes[i]
		if i > 0 {
			b.out = append(b.out, ',')
		}
		b.out = append(b.out, b.arena[n.head.start:n.head.end]...)
		b.out = append(b.out, b.arena[n.rel[0].start:n.rel[0].end]...)
		b.out = append(b.out, `],"attributes":[`...)
		b.out = append(b.out, b.arena[n.rel[1].start:n.rel[1].end]...)
		b.out = append(b.out, `],"formFields":[`...)
		b.out = append(b.out, b.arena[n.rel[2].start:n.rel[2].end]...)
		b.out = append(b.out, `],"storeCredit":[`...)
		b.out = append(b.out, b.arena[n.rel[3].start:n.rel[3].end]...)
		b.out = append(b.out, `],"group":`...)
		b.out = append(b.out, b.arena[n.group.start:n.group.end]...)
		b.out = append(b.out, '}')
	}
	return nil
}

// appendRelations runs the relations statement for the page's customers,
// writes each row's JSON fragments to the arena, sorts the rows by
// customer, kind and key, and then writes each (customer, kind) list, its
// elements comma-separated, as one span of the arena.
func (s *Server) appendRelations(ctx context.Context, b *buffers) error {
	rows, err := s.relations.QueryContext(ctx, string(b.ids)) // text: a BLOB would be read as JSONB
	if err != nil {
		return err
	}
	defer rows.Close()
	raw := &b.raw
	var customer int64
	for rows.Next() {
		var r record
		if err := rows.Scan(&customer, &r.kind, &r.key, &raw[0], &raw[1], &raw[2], &raw[3], &raw[4]); err != nil {
			return err
		}
		i := sort.Search(len(b.byID), func(i int) bool { return b.byID[i].id >= customer })
		if i == len(b.byID) || b.byID[i].id != customer || r.kind < 0 || r.kind > 3 {
			return fmt.Errorf("baseline: unexpected relation row (customer %d, kind %d)", customer, r.kind)
		}
		r.pos = b.byID[i].pos
		r.name.start = len(b.arena)
		b.arena = append(b.arena, raw[0]...)
		r.name.end = len(b.arena)
		switch r.kind {
		case 0: // address: address1, city, country code; form field name, value
			r.head.start = len(b.arena)
			b.arena = append(b.arena, `{"id":`...)
			b.arena = strconv.AppendInt(b.arena, r.key, 10)
			b.arena = append(b.arena, `,"address1":`...)
			b.arena = appendString(b.arena, raw[1])
			b.arena = append(b.arena, `,"city":`...)
			b.arena = appendString(b.arena, raw[2])
			b.arena = append(b.arena, `,"countryCode":`...)
			b.arena = appendString(b.arena, raw[3])
			b.arena = append(b.arena, `,"formFields":[`...)
			r.head.end = len(b.arena)
			r.frag.start = len(b.arena)
			if len(raw[0]) > 0 {
				b.arena = appendField(b.arena, raw[0], raw[4])
			}
		case 1: // attribute value: value, attribute name, type
			r.frag.start = len(b.arena)
			b.arena = append(b.arena, `{"value":`...)
			b.arena = appendString(b.arena, raw[1])
			b.arena = append(b.arena, `,"attribute":{"name":`...)
			b.arena = appendString(b.arena, raw[2])
			b.arena = append(b.arena, `,"type":`...)
			b.arena = appendEnum(b.arena, raw[3])
			b.arena = append(b.arena, '}', '}')
		case 2: // form field value: name, raw JSON value
			r.frag.start = len(b.arena)
			b.arena = appendField(b.arena, raw[0], raw[1])
		case 3: // store credit: amount in ten-thousandths
			units, err := strconv.ParseInt(string(raw[1]), 10, 64)
			if err != nil {
				return fmt.Errorf("baseline: store credit amount %q: %w", raw[1], err)
			}
			r.frag.start = len(b.arena)
			b.arena = append(b.arena, `{"amount":`...)
			b.arena = appendAmount(b.arena, units)
			b.arena = append(b.arena, '}')
		}
		r.frag.end = len(b.arena)
		b.recs = append(b.recs, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	arena := b.arena
	slices.SortFunc(b.recs, func(x, y record) int {
		if c := cmp.Compare(x.pos, y.pos); c != 0 {
			return c
		}
		if c := cmp.Compare(x.kind, y.kind); c != 0 {
			return c
		}
		if c := cmp.Compare(x.key, y.key); c != 0 {
			return c
		}
		return bytes.Compare(arena[x.name.start:x.name.end], arena[y.name.start:y.name.end])
	})
	for i := 0; i < len(b.recs); {
		r := b.recs[i]
		n := &b.nodes[r.pos]
		n.rel[r.kind].start = len(b.arena)
		j := i
		lastAddr := int64(-1)
		for ; j < len(b.recs) && b.recs[j].pos == r.pos && b.recs[j].kind == r.kind; j++ {
			x := b.recs[j]
			if x.kind == 0 {
				if x.key != lastAddr {
					if lastAddr >= 0 {
						b.arena = append(b.arena, ']', '}', ',')
					}
					lastAddr = x.key
					b.arena = append(b.arena, b.arena[x.head.start:x.head.end]...)
				} else if x.frag.end > x.frag.start {
					b.arena = append(b.arena, ',')
				}
			} else if j > i {
				b.arena = append(b.arena, ',')
			}
			b.arena = append(b.arena, b.arena[x.frag.start:x.frag.end]...)
		}
		if r.kind == 0 {
			b.arena = append(b.arena, ']', '}')
		}
		n.rel[r.kind].end = len(b.arena)
		i = j
	}
	return nil
}

// appendField appends a form field value {"name":...,"value":...}.
func appendField(dst, name, value []byte) []byte {
	dst = append(dst, `{"name":`...)
	dst = appendString(dst, name)
	dst = append(dst, `,"value":`...)
	dst = appendRaw(dst, value)
	return append(dst, '}')
}

func write(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func fail(w http.ResponseWriter, err error) {
	http.Error(w, "baseline: "+err.Error(), http.StatusInternalServerError)
}
