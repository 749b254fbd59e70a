package storage

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The import's writer. A batch of an import writes thousands of rows to
// each of a few tables; one INSERT statement per row spends most of its
// time starting and ending statements (and the trigram index flushes its
// pending terms at every statement's end), so the import gathers a batch's
// rows per table and writes them bulkRows at a time.

// bulkRows is how many rows one statement of the import writes: past a
// hundred, longer statements gain little.
const bulkRows = 100

// valueTuples returns "(?, ?), (?, ?)" for rows tuples of width values,
// kept for reuse (a few shapes recur for the whole import).
func valueTuples(rows, width int) string {
	key := [2]int{rows, width}
	if s, ok := tupleCache.Load(key); ok {
		return s.(string)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	s := strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
	tupleCache.Store(key, s)
	return s
}

var tupleCache sync.Map // [2]int -> string

// bulkTable gathers the rows of one table.
type bulkTable struct {
	what    string // for errors: "insert addresses"
	table   string
	columns []string
	head    string // INSERT INTO t (columns) VALUES
	tail    string // an ON CONFLICT clause, or ""
	width   int
	args    []any
}

// newBulkTable returns the bulkTable writing columns (a list: "a, b") of
// table, with the clause tail after the values.
func newBulkTable(what, table, columns, tail string) bulkTable {
	var cols []string
	for _, c := range strings.Split(columns, ",") {
		cols = append(cols, strings.TrimSpace(c))
	}
	return bulkTable{what: what, table: table, columns: cols, width: len(cols), tail: tail,
		head: `INSERT INTO ` + table + ` (` + columns + `) VALUES `}
}

func (b *bulkTable) rows() int { return len(b.args) / b.width }

// write writes the gathered rows and forgets them: by COPY in an import
// batch's transaction on PostgreSQL (rows of an ON CONFLICT clause aside),
// by INSERT statements of bulkRows rows otherwise.
func (b *bulkTable) write(ctx context.Context, tx *Tx) error {
	if tx.conn != nil && b.tail == "" {
		if n := b.rows(); n > 0 {
			if err := tx.copyRows(ctx, b.table, b.columns, n, func(i int) []any {
				return b.args[i*b.width : (i+1)*b.width]
			}); err != nil {
				return fmt.Errorf("%s: %w", b.what, err)
			}
		}
		b.args = b.args[:0]
		return nil
	}
	for n := b.rows(); n > 0; n = b.rows() {
		n = min(n, bulkRows)
		if _, err := tx.exec(ctx, b.head+valueTuples(n, b.width)+b.tail, b.args[:n*b.width]...); err != nil {
			return fmt.Errorf("%s: %w", b.what, err)
		}
		b.args = b.args[n*b.width:]
	}
	b.args = b.args[:0]
	return nil
}

// importWriter gathers the rows of an import batch's new customers.
type importWriter struct {
	customers, addresses, attributeValues, formFieldValues, storeCredit, consent bulkTable
}

func newImportWriter() *importWriter {
	return &importWriter{
		customers:       newBulkTable("insert customers", "customers", customerInsertColumns, ""),
		addresses:       newBulkTable("insert addresses", "customer_addresses", addressInsertColumns, ""),
		attributeValues: newBulkTable("insert attribute values", "customer_attribute_values", attributeValueInsertColumns, ""),
		// A line may name a field twice: the last value wins, as in
		// upsertFormFieldValue (on PostgreSQL, see lastValueWins).
		formFieldValues: newBulkTable("insert form field values", "customer_form_field_values",
			"form_field_id, customer_id, address_id, value",
			` ON CONFLICT (customer_id, form_field_id) WHERE customer_id IS NOT NULL DO UPDATE SET value = excluded.value
				ON CONFLICT (address_id, form_field_id) WHERE address_id IS NOT NULL DO UPDATE SET value = excluded.value`),
		storeCredit: newBulkTable("insert store credit", "customer_store_credit", "customer_id, amount", ""),
		consent:     newBulkTable("insert consent", "customer_consent", "customer_id, allow, deny, updated_at", ""),
	}
}

// add gathers a new customer (with its id, as import lines keep theirs)
// and its consent, if any; now stands in for missing dates, as in
// writeNewCustomer.
func (w *importWriter) add(n *newCustomer, consent *CustomerConsent, now time.Time) error {
	c := n.row
	if c.DateCreated.IsZero() {
		c.DateCreated = now
	}
	if c.DateModified.IsZero() {
		c.DateModified = c.DateCreated
	}
	w.customers.args = customerRow(w.customers.args, c, n.hash)
	for j, a := range n.addresses {
		a.CustomerID = c.ID
		w.addresses.args = addressRow(w.addresses.args, a)
		for _, v := range n.addrValues[j] {
			w.formFieldValues.args = append(w.formFieldValues.args, v.FormFieldID, nil, a.ID, string(v.Value.raw))
		}
	}
	for _, v := range n.attributes {
		v.CustomerID = c.ID
		if v.DateCreated.IsZero() {
			v.DateCreated = now
		}
		if v.DateModified.IsZero() {
			v.DateModified = v.DateCreated
		}
		w.attributeValues.args = attributeValueRow(w.attributeValues.args, v)
	}
	for _, v := range n.values {
		w.formFieldValues.args = append(w.formFieldValues.args, v.FormFieldID, c.ID, nil, string(v.Value.raw))
	}
	for _, a := range n.credit {
		units, err := amountToUnits(a.Amount)
		if err != nil {
			return err
		}
		w.storeCredit.args = append(w.storeCredit.args, c.ID, units)
	}
	if consent != nil {
		at := now
		if consent.UpdatedAt != nil {
			at = *consent.UpdatedAt
		}
		w.consent.args = append(w.consent.args, c.ID, jsonArray(consent.Allow), jsonArray(consent.Deny), formatTime(at))
	}
	return nil
}

// write writes the gathered rows, parents before children.
func (w *importWriter) write(ctx context.Context, tx *Tx) error {
	if tx.db.pg {
		w.formFieldValues.lastValueWins()
	}
	for _, b := range []*bulkTable{&w.customers, &w.addresses, &w.attributeValues, &w.formFieldValues, &w.storeCredit, &w.consent} {
		if err := b.write(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// lastValueWins folds the gathered form field values that name the same
// field of the same owner into the first of them, with the last one's
// value, and drops the ON CONFLICT clauses: what SQLite's upserts would
// leave, row for row and id for id (an upsert that updates gives no
// rowid), in rows PostgreSQL's COPY takes (no ON CONFLICT there, nor two
// ON CONFLICT clauses in a statement). The import's checks refuse a line
// that gives a field twice, so this is a guard; and the owners are the
// batch's new customers and addresses, which hold no values yet, so no
// row conflicts with the store's.
func (b *bulkTable) lastValueWins() {
	type key struct {
		customer, address any
		field             any
	}
	first := map[key]int{} // row of the first value of each key
	kept := b.args[:0]
	for i := 0; i < b.rows(); i++ {
		r := b.args[i*b.width : (i+1)*b.width]
		k := key{r[1], r[2], r[0]}
		if j, ok := first[k]; ok {
			kept[j*b.width+3] = r[3]
			continue
		}
		first[k] = len(kept) / b.width
		kept = append(kept, r...)
	}
	b.args = kept
	b.tail = ""
}
