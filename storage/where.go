package storage

import (
	"encoding/json"
	"strings"
	"sync"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// where collects AND-ed conditions with their arguments side by side, so a
// condition never travels without its values.
type where struct {
	conds []string
	args  []any
}

// add appends one condition; cond must be a constant of this package, never
// text that came from a user.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// sql returns "" or " WHERE " and the conditions joined with AND.
func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// and returns the conditions joined with AND, or "TRUE" when there are none.
func (w *where) and() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// clone returns a copy that can be extended without changing w.
func (w *where) clone() where {
	return where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
}

// in adds `expr IN (...)` over vals (inList). A nil slice adds nothing (no
// filter); an empty non-nil slice matches nothing.
func in[T int | string](w *where, expr string, vals []T) {
	if vals == nil {
		return
	}
	w.add(inList(expr), listArg(vals))
}

// anyContains adds `(contains(expr) OR ...)`: expr, a folded column,
// contains one of the folded vals, compared literally, so `%` and `_` in
// vals are plain characters. nil adds nothing; empty matches nothing.
func anyContains(w *where, expr string, vals []string) {
	if vals == nil {
		return
	}
	if len(vals) == 0 {
		w.add("FALSE")
		return
	}
	conds := make([]string, len(vals))
	args := make([]any, len(vals))
	for i, v := range vals {
		conds[i] = contains(expr)
		args[i] = substringArg(Fold(v))
	}
	w.add("("+strings.Join(conds, " OR ")+")", args...)
}

// jsonArray encodes vals as a JSON array; a nil slice becomes [].
func jsonArray[T any](vals []T) string {
	if vals == nil {
		return "[]"
	}
	b, _ := json.Marshal(vals) // ints and strings always encode
	return string(b)
}

// foldPool holds case folders: a cases.Caser keeps state and is not safe
// for concurrent use.
var foldPool = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

// Fold returns s in the form used for case-insensitive matching: Unicode NFC,
// then Unicode case folding, so that "ÅSA" and "Åsa" (composed or not) match
// and "STRASSE" matches "Straße".
func Fold(s string) string {
	c := foldPool.Get().(*cases.Caser)
	defer foldPool.Put(c)
	return c.String(norm.NFC.String(s))
}

// foldAll folds every value; nil stays nil.
func foldAll(vals []string) []string {
	if vals == nil {
		return nil
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = Fold(v)
	}
	return out
}
