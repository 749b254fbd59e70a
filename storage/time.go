package storage

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// timeLayout is how every date is stored and shown: UTC, whole seconds,
// fixed width, so that stored dates compare correctly as text and are already
// in V3's output form (2019-02-19T18:34:16Z).
const timeLayout = "2006-01-02T15:04:05Z"

// formatTime formats t for storage. Never hand a time.Time to the driver: it
// would store t.String().
func formatTime(t time.Time) string {
	// Clamp to four-digit years, outside which the text would not sort.
	t = t.UTC()
	switch {
	case t.Year() > 9999:
		return "9999-12-31T23:59:59Z"
	case t.Year() < 1:
		return "0001-01-01T00:00:00Z"
	}
	return t.Format(timeLayout)
}

// parseTime parses a stored date. Reads parse many (several per row), so
// the stored form is read by hand; anything else goes to time.Parse.
func parseTime(s string) (time.Time, error) {
	if len(s) == len(timeLayout) && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		year, ok1 := digits(s[0:4])
		month, ok2 := digits(s[5:7])
		day, ok3 := digits(s[8:10])
		hour, ok4 := digits(s[11:13])
		minute, ok5 := digits(s[14:16])
		sec, ok6 := digits(s[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && month >= 1 && month <= 12 && day >= 1 &&
			day <= daysIn(time.Month(month), year) && hour < 24 && minute < 60 && sec < 60 {
			return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), nil
		}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}

// digits reads a run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the number of days of the month.
func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// FormatTime formats t as the API shows dates: RFC 3339, UTC, whole seconds.
func FormatTime(t time.Time) string { return formatTime(t.Truncate(time.Second)) }

// AppendTime appends FormatTime(t), quoted as a JSON string.
func AppendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return strconv.AppendQuote(b, FormatTime(t))
	}
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = append(b, '"')
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append(b, byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T')
	b = append(b, byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':')
	return append(b, byte('0'+sec/10), byte('0'+sec%10), 'Z', '"')
}

// millisThreshold separates UNIX seconds from milliseconds: a value above it
// is read as milliseconds (../API.md decision 2; 10^11 seconds is year 5138).
const millisThreshold = 100_000_000_000

// FilterDate is a parsed date filter value. DateOnly records that the value
// was a bare date, which as an exact value or a maximum covers the whole day.
type FilterDate struct {
	Time     time.Time
	DateOnly bool
}

// ParseFilterDate parses a V3 date filter value: YYYY-MM-DD,
// YYYY-MM-DDTHH:MM:SS (UTC), RFC 3339 with an offset or fraction, or UNIX
// time in seconds or (above 10^11) milliseconds, as a number or digits.
// domain/customers-spec.md §2.0, §2.3 and §9.3-4 leave the forms loose;
// ../API.md decision 2 settles them.
func ParseFilterDate(v any) (FilterDate, error) {
	switch v := v.(type) {
	case string:
		return parseFilterDateString(strings.TrimSpace(v))
	case json.Number:
		return parseFilterDateString(v.String())
	case int:
		return unixFilterDate(int64(v)), nil
	case int64:
		return unixFilterDate(v), nil
	case float64:
		if v != float64(int64(v)) {
			return FilterDate{}, errBadDate(fmt.Sprint(v))
		}
		return unixFilterDate(int64(v)), nil
	}
	return FilterDate{}, errBadDate(fmt.Sprint(v))
}

func parseFilterDateString(s string) (FilterDate, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return FilterDate{}, errBadDate(s)
		}
		return unixFilterDate(n), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return FilterDate{Time: t, DateOnly: true}, nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return FilterDate{Time: t}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return FilterDate{Time: t.UTC()}, nil
	}
	return FilterDate{}, errBadDate(s)
}

func unixFilterDate(n int64) FilterDate {
	if n > millisThreshold {
		return FilterDate{Time: time.UnixMilli(n).UTC()}
	}
	return FilterDate{Time: time.Unix(n, 0).UTC()}
}

func errBadDate(s string) *Error {
	return Errorf(EINVALID, "%q is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS, RFC 3339 or UNIX seconds.", truncate(s, 40))
}

// UnmarshalGQL reads a GraphQL FilterDate input.
func (d *FilterDate) UnmarshalGQL(v any) error {
	fd, err := ParseFilterDate(v)
	if err != nil {
		return err
	}
	*d = fd
	return nil
}

// MarshalGQL writes d as RFC 3339 (or as a bare date).
func (d FilterDate) MarshalGQL(w io.Writer) {
	if d.DateOnly {
		io.WriteString(w, strconv.Quote(d.Time.Format("2006-01-02")))
		return
	}
	io.WriteString(w, strconv.Quote(FormatTime(d.Time)))
}

// TimeRange is an inclusive range of stored times, in whole seconds; a nil end
// is open.
type TimeRange struct {
	Min, Max *time.Time
}

// NewTimeRange combines a V3 exact, `:min` and `:max` date filter (any may be
// nil) into one range: their intersection. ../API.md decision 2: bounds are
// inclusive, and a date-only exact value or maximum covers the whole day.
func NewTimeRange(exact, min, max *FilterDate) TimeRange {
	var r TimeRange
	if exact != nil {
		r.atLeast(exact.start())
		r.atMost(exact.end())
	}
	if min != nil {
		r.atLeast(min.start())
	}
	if max != nil {
		r.atMost(max.end())
	}
	return r
}

// start is the first whole second the value admits as a lower bound.
func (d FilterDate) start() time.Time {
	t := d.Time.UTC()
	if tt := t.Truncate(time.Second); !tt.Equal(t) {
		return tt.Add(time.Second)
	}
	return t
}

// end is the last whole second the value admits as an upper bound.
func (d FilterDate) end() time.Time {
	t := d.Time.UTC()
	if d.DateOnly {
		return t.AddDate(0, 0, 1).Add(-time.Second)
	}
	return t.Truncate(time.Second)
}

func (r *TimeRange) atLeast(t time.Time) {
	if r.Min == nil || t.After(*r.Min) {
		r.Min = &t
	}
}

func (r *TimeRange) atMost(t time.Time) {
	if r.Max == nil || t.Before(*r.Max) {
		r.Max = &t
	}
}

// addTimeRange adds the range's conditions on the stored date column col,
// marked as narrow (see addDateRange).
func addTimeRange(w *where, col string, r TimeRange) { addDateRange(w, col, r, true) }

// addDateRange adds the range's conditions on the stored date column col.
// A narrow range is marked as matching few rows (SQLite's likelihood): with
// no statistics the planner guesses that a one-sided range keeps a quarter
// of the rows, and would rather walk the list's order (the rowid), testing
// every row, than search the date's index and sort the matches. Dashboards
// ask for the customers created or changed since a recent day, which are
// few, and lie at the far end of the id order.
func addDateRange(w *where, col string, r TimeRange, narrow bool) {
	cond := func(c string) string {
		if narrow {
			return unlikely(c)
		}
		return c
	}
	if r.Min != nil {
		w.add(cond(col+" >= ?"), formatTime(*r.Min))
	}
	if r.Max != nil {
		w.add(cond(col+" <= ?"), formatTime(*r.Max))
	}
}
