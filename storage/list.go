package storage

import "database/sql/driver"

// Every "is one of a list" of the store's SQL goes through inList (or
// notInList) for its text and listArg for its argument, so that the list's
// spelling lives here alone.
//
// The list travels as one argument, so a statement's text never depends on
// the list's length (it stays prepared, and no list is too long for
// SQLite's variable limit). SQLite reads it as a JSON array through
// json_each, which it plans as a search of expr's index per value.

// inListSQL follows the expression of an IN list.
const inListSQL = " IN (SELECT value FROM json_each(?))"

// inList returns the condition that expr is one of the list bound (by
// listArg) at its placeholder. expr is a column of this package, never text
// that came from a user.
func inList(expr string) string { return expr + inListSQL }

// notInList returns the condition that expr is none of the list bound at
// its placeholder.
func notInList(expr string) string { return expr + " NOT" + inListSQL }

// listArg returns the argument of an inList placeholder: the values as a
// list that the driver receives as a JSON array. A nil slice is an empty
// list.
func listArg[T int | string](vals []T) any {
	switch v := any(vals).(type) {
	case []int:
		return intList(v)
	case []string:
		return textList(v)
	}
	return jsonArray(vals) // not reached: T is int or string
}

// intList and textList are list arguments; their driver value is the JSON
// array of the values.
type (
	intList  []int
	textList []string
)

func (l intList) Value() (driver.Value, error)  { return jsonArray(l), nil }
func (l textList) Value() (driver.Value, error) { return jsonArray(l), nil }
