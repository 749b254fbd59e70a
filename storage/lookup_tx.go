package storage

import (
	"context"
	"fmt"
)

// Lookups that validation runs inside a write transaction, so that what it
// checks (an email is free, a group exists) still holds when it writes.

// queryTx runs a statement in the transaction and scans every row.
func queryTx[T any](ctx context.Context, tx *Tx, scan func(rowScanner) (T, error), stmt string, args ...any) ([]T, error) {
	return queryAll(ctx, tx.db, tx.tx, scan, stmt, args...)
}

// existing returns which of ids exist in table. table is a constant of
// this package.
func (tx *Tx) existing(ctx context.Context, table string, ids []int) (map[int]bool, error) {
	found, err := queryTx(ctx, tx, scanInt, `SELECT id FROM `+table+` WHERE `+inList("id"), listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("check %s exist: %w", table, err)
	}
	out := make(map[int]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// emailOwners returns, for each folded email in folds that table holds, the
// id of the row holding it. table is a constant of this package.
func (tx *Tx) emailOwners(ctx context.Context, table string, folds []string) (map[string]int, error) {
	type pair struct {
		fold string
		id   int
	}
	pairs, err := queryTx(ctx, tx, func(s rowScanner) (pair, error) {
		var p pair
		return p, s.Scan(&p.fold, &p.id)
	}, `SELECT email_fold, id FROM `+table+` WHERE `+inList("email_fold"), listArg(folds))
	if err != nil {
		return nil, fmt.Errorf("check emails: %w", err)
	}
	out := make(map[string]int, len(pairs))
	for _, p := range pairs {
		out[p.fold] = p.id
	}
	return out, nil
}

// count returns the single integer a statement selects.
func (tx *Tx) count(ctx context.Context, stmt string, args ...any) (int, error) {
	n, err := queryTx(ctx, tx, scanInt, stmt, args...)
	if err != nil {
		return 0, err
	}
	if len(n) == 0 {
		return 0, nil
	}
	return n[0], nil
}

// byID looks up rows of l by id inside the transaction.
func byID[T any](ctx context.Context, tx *Tx, l listDef[T], col string, ids []int, key func(T) int) (map[int]T, error) {
	return findByIDs(ctx, tx.db, tx.tx, l, col, ids, key)
}

// formFieldsByName returns the form field definitions with the names.
func (tx *Tx) formFieldsByName(ctx context.Context, names []string) (map[string]*CustomerFormField, error) {
	all, err := queryTx(ctx, tx, formFieldList.scanRow,
		`SELECT `+formFieldColumns+` FROM customer_form_fields f WHERE `+inList("f.name"), listArg(names))
	if err != nil {
		return nil, fmt.Errorf("find form fields: %w", err)
	}
	out := make(map[string]*CustomerFormField, len(all))
	for _, f := range all {
		out[f.Name] = f
	}
	if tx.inferFields {
		for _, name := range names {
			f := &CustomerFormField{Name: name}
			if known := out[name]; known != nil {
				c := *known
				f = &c
			}
			f.Type, f.AppliesTo = formFieldAny, ""
			out[name] = f
		}
	}
	return out, nil
}

// formFieldAny is the type of a form field whose values are not checked
// (InferredFormFields).
const formFieldAny CustomerFormFieldType = "*"
