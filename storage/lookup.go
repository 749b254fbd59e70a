package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// Lookups by key for the dataloaders: one statement for a whole batch of
// keys, whatever its size, with the keys passed as one JSON array.

// scanRow adapts a list's scan function to a plain row.
func (l listDef[T]) scanRow(s rowScanner) (T, error) { return l.scan(s) }

// findByIDs returns the rows of l whose column col is one of ids, keyed by
// key(row); ids with no row are absent. q is the read pool or a transaction.
func findByIDs[T any](ctx context.Context, db *DB, q querier, l listDef[T], col string, ids []int, key func(T) int) (map[int]T, error) {
	ctx, err := keyLookup(ctx)
	if err != nil {
		return nil, err
	}
	all, err := queryAll(ctx, db, q, l.scanRow,
		`SELECT `+l.columns+` FROM `+l.from+` WHERE `+inList(col), listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("find %s by id: %w", l.name, err)
	}
	out := make(map[int]T, len(all))
	for _, v := range all {
		out[key(v)] = v
	}
	return out, nil
}

// findOne returns the row of l whose column col is id, or ENOTFOUND with the
// message notFound.
func findOne[T any](ctx context.Context, db *DB, l listDef[T], col string, id int, notFound string) (T, error) {
	ctx, err := keyLookup(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return queryOne(ctx, db, db.reader, notFound, l.scanRow,
		`SELECT `+l.columns+` FROM `+l.from+` WHERE `+col+` = ?`, id)
}

// findByParents returns the rows of l whose parent column col is one of ids,
// grouped by parent(row) and ordered by order within each parent. q is the
// read pool or a transaction. The rows are sorted here rather than by
// SQLite: a sort step costs the statement a third of its time, and the
// groups are small.
func findByParents[T any](ctx context.Context, db *DB, q querier, l listDef[T], col string, ids []int, parent func(T) int, order func(a, b T) int) (map[int][]T, error) {
	ctx, err := keyLookup(ctx)
	if err != nil {
		return nil, err
	}
	all, err := queryAll(ctx, db, q, l.scanRow,
		`SELECT `+l.columns+` FROM `+l.from+` WHERE `+inList(col), listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("find %s by parent: %w", l.name, err)
	}
	out := make(map[int][]T)
	for _, v := range all {
		p := parent(v)
		out[p] = append(out[p], v)
	}
	for _, vs := range out {
		slices.SortFunc(vs, order)
	}
	return out, nil
}

// The orders of the lists findByParents returns.

func addressOrder(a, b *CustomerAddress) int { return cmp.Compare(a.ID, b.ID) }

func attributeValueOrder(a, b *CustomerAttributeValue) int { return cmp.Compare(a.ID, b.ID) }

// formFieldValueOrder orders by field name (byte order, as SQLite's
// BINARY collation), then id.
func formFieldValueOrder(a, b *CustomerFormFieldValue) int {
	return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
}
