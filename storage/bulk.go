package storage

import (
	"context"
	"encoding/json"
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
	what  string // for errors: "insert addresses"
	head  string // INSERT INTO t (columns) VALUES
	tail  string // an ON CONFLICT clause, or ""
	width int
	args  []any
}

func (b *bulkTable) rows() int { return len(b.args) / b.width }

// write writes the gathered rows and forgets them.
func (b *bulkTable) write(ctx context.Context, tx *Tx) error {
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
		customers: bulkTable{what: "insert customers", width: customerInsertWidth,
			head: `INSERT INTO customers (` + customerInsertColumns + `) VALUES `},
		addresses: bulkTable{what: "insert addresses", width: addressInsertWidth,
			head: `INSERT INTO customer_addresses (` + addressInsertColumns + `) VALUES `},
		attributeValues: bulkTable{what: "insert attribute values", width: attributeValueInsertWidth,
			head: `INSERT INTO customer_attribute_values (` + attributeValueInsertColumns + `) VALUES `},
		// A line may name a field twice: the last value wins, as in
		// upsertFormFieldValue.
		formFieldValues: bulkTable{what: "insert form field values", width: 4,
			head: `INSERT INTO customer_form_field_values (form_field_id, customer_id, address_id, value) VALUES `,
			tail: ` ON CONFLICT (customer_id, form_field_id) WHERE customer_id IS NOT NULL DO UPDATE SET value = excluded.value
				ON CONFLICT (address_id, form_field_id) WHERE address_id IS NOT NULL DO UPDATE SET value = excluded.value`},
		storeCredit: bulkTable{what: "insert store credit", width: 2,
			head: `INSERT INTO customer_store_credit (customer_id, amount) VALUES `},
		consent: bulkTable{what: "insert consent", width: 4,
			head: `INSERT INTO customer_consent (customer_id, allow, deny, updated_at) VALUES `},
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
	for _, b := range []*bulkTable{&w.customers, &w.addresses, &w.attributeValues, &w.formFieldValues, &w.storeCredit, &w.consent} {
		if b == &w.formFieldValues && tx.db.pg {
			if err := w.upsertFormFieldValues(ctx, tx); err != nil {
				return err
			}
			continue
		}
		if err := b.write(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// upsertFormFieldValues writes the gathered form field values one by one,
// in order (the last value of a field wins): PostgreSQL takes one ON
// CONFLICT clause per statement, and a statement may not change a row
// twice.
func (w *importWriter) upsertFormFieldValues(ctx context.Context, tx *Tx) error {
	b := &w.formFieldValues
	for i := 0; i < b.rows(); i++ {
		r := b.args[i*b.width : (i+1)*b.width]
		field, _ := r[0].(int)
		raw, _ := r[3].(string)
		v := &CustomerFormFieldValue{FormFieldID: field, Value: FormValue{raw: json.RawMessage(raw)}}
		if id, ok := r[1].(int); ok {
			v.CustomerID = &id
		} else if id, ok := r[2].(int); ok {
			v.AddressID = &id
		}
		if err := tx.upsertFormFieldValue(ctx, v); err != nil {
			return fmt.Errorf("%s: %w", b.what, err)
		}
	}
	b.args = b.args[:0]
	return nil
}
