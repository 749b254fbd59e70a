package storage

import (
	"cmp"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxBatch is how many items one batch mutation may carry (../API.md
// decision 1, after today's V3).
const MaxBatch = 10

// Optional is an input value that may be absent (Set false: leave the
// stored value alone) or present, possibly as null (a nil pointer Value).
type Optional[T any] struct {
	Set   bool
	Value T
}

// Some returns a present Optional.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

// checker collects the problems of one request, each with its input path
// and batch index, so a client sees every problem at once.
type checker struct {
	errs Errors
	// itemName names another item of the batch in a message, "item 2 of
	// this batch" by default; an import names its line instead.
	itemName func(i int) string
}

// other names item i of the batch, for a message about another item.
func (c *checker) other(i int) string {
	if c.itemName != nil {
		return c.itemName(i)
	}
	return fmt.Sprintf("item %d of this batch", i)
}

// item returns a checker view for batch item i under the argument arg.
func (c *checker) item(arg string, i int) *itemChecker {
	return &itemChecker{c: c, index: i, prefix: arg + "." + strconv.Itoa(i)}
}

// root returns a checker view for a single-object argument.
func (c *checker) root(arg string) *itemChecker {
	return &itemChecker{c: c, index: -1, prefix: arg}
}

// err returns the collected problems, or nil. They come in batch order:
// those about the whole request (Index -1) first, then by item, each
// item's in the order they were found. Checks run in passes (fields, then
// the store), so without the sort a client would see item 3's email
// problem before item 0's name.
func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(c.errs, func(a, b *Error) int { return cmp.Compare(a.Index, b.Index) })
	return c.errs
}

// batch checks the size of a batch; an empty one is REQUIRED unless
// allowEmpty (a delete of nothing deletes nothing, as V3's does).
func (c *checker) batch(arg string, n int, allowEmpty bool) bool {
	if n == 0 && !allowEmpty {
		c.errs = append(c.errs, &Error{Code: EREQUIRED, Field: arg, Index: -1, Message: "Give at least one item."})
		return false
	}
	if n > MaxBatch {
		c.errs = append(c.errs, &Error{Code: ETOOMANYITEMS, Field: arg, Index: -1,
			Message: fmt.Sprintf("A batch holds at most %d items, not %d.", MaxBatch, n)})
		return false
	}
	return true
}

// itemChecker checks the fields of one input object.
type itemChecker struct {
	c      *checker
	index  int
	prefix string
}

// at returns a view for a nested object or list item, e.g. at("addresses", 2).
func (ic *itemChecker) at(name string, i ...int) *itemChecker {
	p := ic.prefix + "." + name
	for _, n := range i {
		p += "." + strconv.Itoa(n)
	}
	return &itemChecker{c: ic.c, index: ic.index, prefix: p}
}

// fail records a problem with the field.
func (ic *itemChecker) fail(code, field, format string, args ...any) {
	path := ic.prefix
	if field != "" {
		path = joinPath(path, field)
	}
	ic.c.errs = append(ic.c.errs, &Error{Code: code, Field: path, Index: ic.index, Message: fmt.Sprintf(format, args...)})
}

// ok reports whether no problem has been recorded for this item so far.
func (ic *itemChecker) ok() bool {
	for _, e := range ic.c.errs {
		if e.Index == ic.index && strings.HasPrefix(e.Field, ic.prefix) {
			return false
		}
	}
	return true
}

// text checks a string's length in characters: REQUIRED when min > 0 and it
// is empty or blank, INVALID when shorter than min, TOO_LONG past max (0: no
// maximum), INVALID when it holds control characters other than newlines
// and tabs (only multiline text may hold those).
func (ic *itemChecker) text(field, v string, min, max int, multiline bool) {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		ic.fail(EINVALID, field, "Must be valid UTF-8 text.")
	case min > 0 && strings.TrimSpace(v) == "":
		ic.fail(EREQUIRED, field, "Required.")
	case n < min:
		ic.fail(EINVALID, field, "Must be at least %d characters long.", min)
	case max > 0 && n > max:
		ic.fail(ETOOLONG, field, "Must be at most %d characters long, not %d.", max, n)
	default:
		for _, r := range v {
			if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
				ic.fail(EINVALID, field, "Must not hold control characters.")
				return
			}
		}
	}
}

// email checks an email address: 3 to 255 characters (V3) and one plain
// address, as net/mail parses it.
func (ic *itemChecker) email(field, v string) {
	before := len(ic.c.errs)
	ic.text(field, v, 3, 255, false)
	if len(ic.c.errs) > before {
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@')+1:], ".") {
		ic.fail(EINVALID, field, "%q is not an email address.", truncate(v, 60))
	}
}

// positive checks an id-like integer (1 or more).
func (ic *itemChecker) positive(field string, v int) {
	if v < 1 {
		ic.fail(EINVALID, field, "Must be 1 or more.")
	}
}

// truncate shortens s for an error message (and makes it valid UTF-8).
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "..."
}

// checkAttributeValue checks a value against its attribute's type
// (../API.md decision 9): a number parses as a finite decimal, a date is
// YYYY-MM-DD or RFC 3339, and every value is text of at most 255
// characters.
func (ic *itemChecker) attributeValue(field string, t CustomerAttributeType, v string) {
	before := len(ic.c.errs)
	ic.text(field, v, 0, 255, false)
	if len(ic.c.errs) > before {
		return
	}
	switch t {
	case AttributeNumber:
		// strconv.ParseFloat alone also takes Inf, NaN, hex floats and
		// digit underscores, none of which is a decimal number; it refuses
		// values out of float64's range.
		n := strings.TrimSpace(v)
		if _, err := strconv.ParseFloat(n, 64); err != nil || !decimalNumber.MatchString(n) {
			ic.fail(EINVALID, field, "%q is not a number, which this attribute holds.", truncate(v, 40))
		}
	case AttributeDate:
		if !isDate(v) {
			ic.fail(EINVALID, field, "%q is not a date (YYYY-MM-DD or RFC 3339), which this attribute holds.", truncate(v, 40))
		}
	}
}

// decimalNumber is the syntax of a NUMBER attribute value: an optional sign,
// decimal digits with an optional fraction, and an optional exponent.
var decimalNumber = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// isDate reports whether v is YYYY-MM-DD or an RFC 3339 date-time.
func isDate(v string) bool {
	if _, err := time.Parse("2006-01-02", v); err == nil {
		return true
	}
	_, err := time.Parse(time.RFC3339, v)
	return err == nil
}

// distinctInts reports whether no value repeats.
func distinctInts(vals []int) bool {
	seen := make(map[int]bool, len(vals))
	for _, v := range vals {
		if seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}
