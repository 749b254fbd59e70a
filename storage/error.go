package storage

import (
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Error codes. Their values are the codes that API clients see in
// `userErrors` (../API.md, Writes); EINTERNAL is never shown with its detail.
const (
	EINVALID       = "INVALID"        // a value breaks a rule of the spec
	EREQUIRED      = "REQUIRED"       // a required value is missing
	ETOOLONG       = "TOO_LONG"       // a value is longer than the spec allows
	ECONFLICT      = "CONFLICT"       // a unique value is taken, e.g. an email
	ENOTFOUND      = "NOT_FOUND"      // the record does not exist
	ETOOMANYITEMS  = "TOO_MANY_ITEMS" // a batch holds more items than allowed
	ELIMITEXCEEDED = "LIMIT_EXCEEDED" // a store-wide limit would be passed
	EIMMUTABLE     = "IMMUTABLE"      // the value cannot change after creation
	EINTERNAL      = "INTERNAL"       // anything else; details are logged, not shown
	// EUNAVAILABLE is the store refusing to write: its disk is full or its
	// file is read-only. It is about the server, not the input: never a
	// user error of a payload.
	EUNAVAILABLE = "STORE_UNAVAILABLE"
)

// Error is an error whose Code, Message and Field are safe to show to API
// clients.
type Error struct {
	Code    string
	Message string
	// Field is the input path of the offending value, e.g. "input.2.email" or
	// "filter.dateCreatedMin"; empty when the error is not about one value.
	Field string
	// Index is the position of the offending item in a batch, or -1.
	Index int
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Field, e.Message, e.Code)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Index: -1}
}

// FieldErrorf returns an *Error about the input value at field.
func FieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Field: field, Index: -1}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message that reveals nothing.
func ErrorMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "Internal error."
}

// Errors is a list of problems found in one request; a batch with any
// problem writes nothing.
type Errors []*Error

// Error implements error.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// AsErrors returns the user-facing problems in err: the list of an Errors, a
// lone *Error as a list of one, or nil when err is internal.
func AsErrors(err error) Errors {
	if es, ok := errors.AsType[Errors](err); ok {
		return es
	}
	if e, ok := errors.AsType[*Error](err); ok && e.Code != EUNAVAILABLE {
		return Errors{e}
	}
	return nil
}

// errClass is what a driver error means to the store.
type errClass int

const (
	errOther      errClass = iota
	errUnique              // a unique or primary key constraint
	errForeignKey          // a foreign key constraint
	errCheck               // a check or not null constraint
	errFull                // the disk (or the file's bound) is full
	errReadOnly            // the store refuses writes
)

// classify tells what a driver error means, from its codes, never from its
// text. Each driver's error type names its engine: SQLite's result codes,
// PostgreSQL's SQLSTATE (pgx's *pgconn.PgError has SQLState).
func classify(err error) errClass {
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errUnique
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errForeignKey
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return errCheck
		}
		switch se.Code() & 0xff { // primary result codes
		case sqlite3.SQLITE_FULL:
			return errFull
		case sqlite3.SQLITE_READONLY:
			return errReadOnly
		}
		return errOther
	}
	if pe, ok := errors.AsType[sqlStateError](err); ok {
		switch pe.SQLState() {
		case "23505": // unique_violation
			return errUnique
		case "23503": // foreign_key_violation
			return errForeignKey
		case "23514", "23502": // check_violation, not_null_violation
			return errCheck
		case "53100": // disk_full
			return errFull
		case "25006": // read_only_sql_transaction (a standby, default_transaction_read_only)
			return errReadOnly
		}
	}
	return errOther
}

// sqlStateError is an error that carries a PostgreSQL SQLSTATE.
type sqlStateError interface {
	error
	SQLState() string
}

// formatError turns the driver's constraint errors into coded errors,
// keeping the original in the chain for logs.
func formatError(err error) error {
	if err == nil {
		return nil
	}
	switch classify(err) {
	case errUnique:
		return &wrapped{&Error{Code: ECONFLICT, Message: "A record with this value already exists.", Index: -1}, err}
	case errForeignKey:
		return &wrapped{&Error{Code: ENOTFOUND, Message: "A referenced record does not exist.", Index: -1}, err}
	case errCheck:
		return &wrapped{&Error{Code: EINVALID, Message: "A value is not valid.", Index: -1}, err}
	case errFull:
		return &wrapped{&Error{Code: EUNAVAILABLE, Message: "The store's disk is full; nothing was written.", Index: -1}, err}
	case errReadOnly:
		return &wrapped{&Error{Code: EUNAVAILABLE, Message: "The store is read-only; nothing was written.", Index: -1}, err}
	}
	return err
}

// wrapped is a coded error that keeps the driver error it came from.
type wrapped struct {
	coded *Error
	cause error
}

func (w *wrapped) Error() string   { return w.coded.Error() + ": " + w.cause.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.coded, w.cause} }
