package storage

import (
	"database/sql/driver"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The store writes each statement once, in SQLite's spelling: `?`
// placeholders, and the few parts that differ between engines built by the
// helpers of this file (inList, contains, unlikely). A dialect turns that
// text into its engine's once per text, binds the values its driver wants,
// and says how an INSERT reports its new id. Driver errors are classified
// by their type (classify), which names the engine, so formatError needs
// no dialect.

// dialect is what differs between the SQL engines behind the store.
type dialect interface {
	// statement returns the text to run for stmt, written in the store's
	// spelling.
	statement(stmt string) string
	// args returns the values to bind for args: a list argument becomes
	// what the engine reads as a list.
	args(args []any) []any
	// returning reports whether an INSERT reports the id of its row through
	// `RETURNING id` rather than the driver's LastInsertId.
	returning() bool
}

// sqliteDialect runs the store's text as written.
type sqliteDialect struct{}

func (sqliteDialect) statement(stmt string) string { return stmt }
func (sqliteDialect) args(args []any) []any        { return args }
func (sqliteDialect) returning() bool              { return false }

// contains returns the condition that the text column expr contains the
// text bound (by substringArg) at its placeholder, compared literally (`%`
// and `_` are plain characters).
func contains(expr string) string { return "instr(" + expr + ", ?) > 0" }

// substringArg returns the argument of a contains placeholder.
func substringArg(s string) any { return substring(s) }

// substring is a contains argument: SQLite's instr takes it as is;
// PostgreSQL's LIKE takes it escaped, between wildcards, which its trigram
// index serves.
type substring string

func (s substring) Value() (driver.Value, error) { return string(s), nil }

// likePattern returns the LIKE pattern matching text that contains s.
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}

// unlikely marks cond as true for few rows (SQLite's likelihood), so that
// the planner searches an index on it rather than walk another order and
// test every row. Engines without such hints run cond alone.
func unlikely(cond string) string { return "likelihood(" + cond + ", 0.01)" }

// postgresDialect turns the store's text into PostgreSQL's: `$n`
// placeholders, lists as arrays (`= ANY($n)`), strpos for instr, and no
// likelihood hints (its planner keeps statistics). It caches each text.
type postgresDialect struct {
	texts sync.Map // store's text -> PostgreSQL's
}

func (d *postgresDialect) statement(stmt string) string {
	if s, ok := d.texts.Load(stmt); ok {
		return s.(string)
	}
	s := postgresText(stmt)
	d.texts.Store(stmt, s)
	return s
}

func (d *postgresDialect) args(args []any) []any {
	var out []any
	for i, a := range args {
		var v any
		switch l := a.(type) {
		case intList:
			ints := make([]int64, len(l))
			for j, n := range l {
				ints[j] = int64(n)
			}
			v = ints
		case textList:
			v = append([]string{}, l...)
		case substring:
			v = likePattern(string(l))
		case bool:
			// SQLite's booleans are the integers 0 and 1, and so are the
			// store's columns on PostgreSQL.
			v = boolInt(l)
		case *bool:
			v = nil
			if l != nil {
				v = boolInt(*l)
			}
		default:
			if out != nil {
				out[i] = a
			}
			continue
		}
		if out == nil {
			out = append(make([]any, 0, len(args)), args...)
		}
		out[i] = v
	}
	if out == nil {
		return args
	}
	return out
}

func (*postgresDialect) returning() bool { return true }

// boolInt returns b as SQLite stores it: 1 or 0.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// The store's spellings that postgresText rewrites.
const (
	notInListSQL  = " NOT" + inListSQL
	instrSQL      = "instr("
	likelihoodSQL = "likelihood("
)

// postgresSpellings are the store's spellings around a column that
// PostgreSQL spells otherwise: a contains test becomes LIKE (its argument
// a pattern, see substring), SQLite's NOCASE collation (ASCII letters
// folded, then bytes compared) is lower() of a COLLATE "C" column, and
// CHAR(n) is chr(n).
var postgresSpellings = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`instr\(([A-Za-z_][A-Za-z0-9_.]*), \?\) > 0`), "$1 LIKE ?"},
	{regexp.MustCompile(`\? COLLATE NOCASE`), `lower(? COLLATE "C")`}, // a value's collation is the database's
	{regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.]*) COLLATE NOCASE`), "lower($1)"},
	{regexp.MustCompile(`\bCHAR\((\d+)\)`), "chr($1)"},
}

// postgresText rewrites one statement of the store for PostgreSQL. It reads
// the text as SQL: string literals, quoted names and comments pass
// unchanged, so a `?` or a function name inside them is left alone (the
// spellings around a column, postgresSpellings, are matched first, on the
// whole text: the store writes them nowhere else).
func postgresText(stmt string) string {
	for _, s := range postgresSpellings {
		stmt = s.re.ReplaceAllString(stmt, s.with)
	}
	var b strings.Builder
	b.Grow(len(stmt) + 16)
	n := 0 // placeholders so far
	placeholder := func() {
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	depth := 0
	// hints holds the depths of the open likelihood( calls, whose second
	// argument is dropped.
	var hints []int
	for i := 0; i < len(stmt); {
		c := stmt[i]
		switch {
		case c == '\'' || c == '"':
			j := quotedEnd(stmt, i)
			b.WriteString(stmt[i:j])
			i = j
		case c == '-' && strings.HasPrefix(stmt[i:], "--"):
			j := strings.IndexByte(stmt[i:], '\n')
			if j < 0 {
				j = len(stmt) - i
			}
			b.WriteString(stmt[i : i+j])
			i += j
		case c == '/' && strings.HasPrefix(stmt[i:], "/*"):
			j := strings.Index(stmt[i+2:], "*/")
			if j < 0 {
				j = len(stmt) - i - 2
			} else {
				j += 2
			}
			b.WriteString(stmt[i : i+2+j])
			i += 2 + j
		case c == ' ' && strings.HasPrefix(stmt[i:], notInListSQL):
			b.WriteString(" <> ALL(")
			placeholder()
			b.WriteByte(')')
			i += len(notInListSQL)
		case c == ' ' && strings.HasPrefix(stmt[i:], inListSQL):
			b.WriteString(" = ANY(")
			placeholder()
			b.WriteByte(')')
			i += len(inListSQL)
		case c == '?':
			placeholder()
			i++
		case wordAt(stmt, i, instrSQL):
			b.WriteString("strpos(")
			depth++
			i += len(instrSQL)
		case wordAt(stmt, i, likelihoodSQL):
			b.WriteByte('(')
			depth++
			hints = append(hints, depth)
			i += len(likelihoodSQL)
		case c == '(':
			b.WriteByte(c)
			depth++
			i++
		case c == ')':
			b.WriteByte(c)
			depth--
			i++
		case c == ',' && len(hints) > 0 && hints[len(hints)-1] == depth:
			// The hint's probability: skip to the call's closing parenthesis.
			hints = hints[:len(hints)-1]
			j := i
			for j < len(stmt) && stmt[j] != ')' {
				j++
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// quotedEnd returns the index just past the quoted text starting at i (a
// string literal or a quoted name); a doubled quote is part of the text.
func quotedEnd(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// wordAt reports whether s holds word at i, not as the end of a longer
// name.
func wordAt(s string, i int, word string) bool {
	if !strings.HasPrefix(s[i:], word) {
		return false
	}
	if i == 0 {
		return true
	}
	p := s[i-1]
	return !(p == '_' || p >= '0' && p <= '9' || p >= 'a' && p <= 'z' || p >= 'A' && p <= 'Z' || p == '.')
}
