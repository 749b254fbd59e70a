package rest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/storefront/customers/storage"
)

// query reads a request's V3 query parameters and collects what is wrong
// with them: `x:in` lists are comma-separated (and may repeat), dates take
// the forms storage.ParseFilterDate reads.
type query struct {
	v    url.Values
	errs map[string]string
}

func newQuery(r *http.Request) *query { return &query{v: r.URL.Query(), errs: map[string]string{}} }

func (q *query) fail(name, msg string) {
	if _, dup := q.errs[name]; !dup {
		q.errs[name] = msg
	}
}

// has reports whether the parameter is given.
func (q *query) has(name string) bool { _, ok := q.v[name]; return ok }

// list returns the comma-separated values of a parameter, nil when absent.
func (q *query) list(name string) []string {
	vals, ok := q.v[name]
	if !ok {
		return nil
	}
	out := []string{}
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	// As graph.MaxFilterValues: a page's worth of values, each one a
	// condition of the statement.
	if len(out) > storage.MaxLimit {
		q.fail(name, "At most "+strconv.Itoa(storage.MaxLimit)+" values; "+strconv.Itoa(len(out))+" given.")
		return out[:0]
	}
	return out
}

// strs returns a list of strings, nil when absent.
func (q *query) strs(name string) []string { return q.list(name) }

// ints returns a list of integers, nil when absent.
func (q *query) ints(name string) []int {
	vals := q.list(name)
	if vals == nil {
		return nil
	}
	out := make([]int, len(vals))
	for i, v := range vals {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			q.fail(name, strconv.Quote(truncate(v))+" is not an integer.")
			return nil
		}
		out[i] = int(n)
	}
	return out
}

// str returns a single value, nil when absent.
func (q *query) str(name string) *string {
	if !q.has(name) {
		return nil
	}
	v := q.v.Get(name)
	return &v
}

// integer returns a single integer, nil when absent.
func (q *query) integer(name string) *int {
	s := q.str(name)
	if s == nil {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(*s), 10, 32)
	if err != nil {
		q.fail(name, strconv.Quote(truncate(*s))+" is not an integer.")
		return nil
	}
	v := int(n)
	return &v
}

// boolean returns a single boolean, nil when absent.
func (q *query) boolean(name string) *bool {
	s := q.str(name)
	if s == nil {
		return nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(*s))
	if err != nil {
		q.fail(name, strconv.Quote(truncate(*s))+" is not true or false.")
		return nil
	}
	return &b
}

// date returns one date filter value, nil when absent.
func (q *query) date(name string) *storage.FilterDate {
	s := q.str(name)
	if s == nil {
		return nil
	}
	d, err := storage.ParseFilterDate(*s)
	if err != nil {
		q.fail(name, storage.ErrorMessage(err))
		return nil
	}
	return &d
}

// dates reads a V3 date filter: name, name:min and name:max.
func (q *query) dates(name string) storage.TimeRange {
	return storage.NewTimeRange(q.date(name), q.date(name+":min"), q.date(name+":max"))
}

// page reads page and limit: page from 1 (default 1), limit from 1
// (default 50; more than 250 gives 250).
func (q *query) page() storage.PageRequest {
	req := storage.PageRequest{Page: 1, Limit: storage.DefaultLimit, WantTotal: true}
	if n := q.integer("page"); n != nil {
		if *n < 1 {
			q.fail("page", "page is 1 or more.")
		}
		req.Page = *n
	}
	if q.has("limit") {
		// limit is typed number: 50.0 is 50.
		s := strings.TrimSpace(q.v.Get("limit"))
		f, err := strconv.ParseFloat(s, 64)
		switch {
		case err != nil || f != float64(int(f)):
			q.fail("limit", strconv.Quote(truncate(s))+" is not an integer.")
		case f < 1:
			q.fail("limit", "limit is 1 or more.")
		default:
			req.Limit = min(int(f), storage.MaxLimit)
		}
	}
	return req
}

// err returns the problems found, as a 422.
func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return &apiError{status: http.StatusUnprocessableEntity, title: "The query parameters are not valid.", errors: q.errs}
}

// truncate shortens a value for an error message.
func truncate(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "..."
	}
	return s
}

// links returns a page's links: the request's query strings with page
// changed, the page parameters first.
func links(r *http.Request, page, limit, totalPages int) (prev, cur, next string) {
	var rest []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if part == "" || k == "page" || k == "limit" {
			continue
		}
		rest = append(rest, part)
	}
	at := func(p int) string {
		s := "?page=" + strconv.Itoa(p) + "&limit=" + strconv.Itoa(limit)
		if len(rest) > 0 {
			s += "&" + strings.Join(rest, "&")
		}
		return s
	}
	if page > 1 {
		prev = at(page - 1)
	}
	if page < totalPages {
		next = at(page + 1)
	}
	return prev, at(page), next
}
