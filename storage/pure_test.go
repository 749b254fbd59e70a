package storage

import (
	"bytes"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Table tests for the pure functions of the package: date parsing and
// ranges, WHERE fragments, folding, orderings and cursors, page requests,
// enums and amounts. None of them touches a database.

// mustCodedError fails unless err is an *Error (in its chain) with code and
// field, and returns it.
func mustCodedError(tb testing.TB, err error, code, field string) *Error {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err=nil, want %s", code)
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		tb.Fatalf("err=%T %v, want *Error", err, err)
	}
	if got, want := e.Code, code; got != want {
		tb.Fatalf("code=%q, want %q (%v)", got, want, err)
	}
	if got, want := e.Field, field; got != want {
		tb.Fatalf("field=%q, want %q (%v)", got, want, err)
	}
	return e
}

// mustTime parses an RFC 3339 time in UTC.
func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t.UTC()
}

// mustFilterDate parses a filter date.
func mustFilterDate(tb testing.TB, v any) *FilterDate {
	tb.Helper()
	d, err := ParseFilterDate(v)
	if err != nil {
		tb.Fatalf("ParseFilterDate(%#v): %v", v, err)
	}
	return &d
}

// rfc formats t with nanoseconds and its zone, so a stray fraction or a
// non-UTC location shows in a comparison.
func rfc(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339Nano)
}

func TestParseFilterDate(t *testing.T) {
	tests := []struct {
		name     string
		in       any
		want     string // RFC 3339 in UTC
		dateOnly bool
	}{
		{"DateOnly", "2018-09-05", "2018-09-05T00:00:00Z", true},
		{"DateOnlySpaces", "  2018-09-05\t", "2018-09-05T00:00:00Z", true},
		{"DateOnlyLeapDay", "2020-02-29", "2020-02-29T00:00:00Z", true},
		{"DateTimeIsUTC", "2018-09-05T13:43:54", "2018-09-05T13:43:54Z", false},
		{"DateTimeFractionNoZone", "2018-09-05T13:43:54.25", "2018-09-05T13:43:54.25Z", false},
		{"RFC3339Z", "2018-09-05T13:43:54Z", "2018-09-05T13:43:54Z", false},
		{"RFC3339PlusOffset", "2018-09-05T13:43:54+02:00", "2018-09-05T11:43:54Z", false},
		{"RFC3339MinusOffset", "2018-09-05T13:43:54-05:30", "2018-09-05T19:13:54Z", false},
		{"RFC3339OffsetCrossesDay", "2018-09-05T01:00:00+02:00", "2018-09-04T23:00:00Z", false},
		{"RFC3339Fraction", "2018-09-05T13:43:54.123456789Z", "2018-09-05T13:43:54.123456789Z", false},
		{"RFC3339FractionOffset", "2018-09-05T13:43:54.5+02:00", "2018-09-05T11:43:54.5Z", false},
		{"UnixDigits", "1610051296", "2021-01-07T20:28:16Z", false},
		{"UnixDigitsZero", "0", "1970-01-01T00:00:00Z", false},
		{"UnixMillisDigits", "1610051296000", "2021-01-07T20:28:16Z", false},
		{"UnixMillisDigitsFraction", "1610051296789", "2021-01-07T20:28:16.789Z", false},
		{"UnixInt", 1610051296, "2021-01-07T20:28:16Z", false},
		{"UnixIntMillis", 1610051296000, "2021-01-07T20:28:16Z", false},
		{"UnixInt64", int64(1610051296), "2021-01-07T20:28:16Z", false},
		{"UnixInt64Millis", int64(1610051296000), "2021-01-07T20:28:16Z", false},
		{"UnixFloat64Integral", float64(1610051296), "2021-01-07T20:28:16Z", false},
		{"UnixFloat64Millis", float64(1610051296000), "2021-01-07T20:28:16Z", false},
		{"UnixJSONNumber", json.Number("1610051296"), "2021-01-07T20:28:16Z", false},
		{"UnixJSONNumberMillis", json.Number("1610051296000"), "2021-01-07T20:28:16Z", false},
		{"JSONNumberDate", json.Number("2018-09-05"), "2018-09-05T00:00:00Z", true},
		// 10^11 itself is still seconds (year 5138); one more is milliseconds.
		{"ThresholdIsSeconds", int64(100_000_000_000), "5138-11-16T09:46:40Z", false},
		{"AboveThresholdIsMillis", int64(100_000_000_001), "1973-03-03T09:46:40.001Z", false},
		// A negative number is accepted as seconds before 1970 (the digits
		// form "-1" is not: see TestParseFilterDateRejects).
		{"NegativeInt", -1, "1969-12-31T23:59:59Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFilterDate(tt.in)
			if err != nil {
				t.Fatalf("ParseFilterDate(%#v): %v", tt.in, err)
			}
			if got, want := got.Time.Location(), time.UTC; got != want {
				t.Fatalf("location=%v, want %v", got, want)
			}
			if got, want := got.Time.Format(time.RFC3339Nano), tt.want; got != want {
				t.Fatalf("time=%s, want %s", got, want)
			}
			if got, want := got.DateOnly, tt.dateOnly; got != want {
				t.Fatalf("DateOnly=%t, want %t", got, want)
			}
		})
	}
}

func TestParseFilterDateRejects(t *testing.T) {
	long := strings.Repeat("x", 1000)
	longDigits := strings.Repeat("9", 1000)
	tests := []struct {
		name string
		in   any
		echo string // the quoted input as the message shows it
	}{
		{"Empty", "", `""`},
		{"Blank", "   ", `""`},
		{"Word", "yesterday", `"yesterday"`},
		{"Month13", "2018-13-01", `"2018-13-01"`},
		{"February30", "2018-02-30", `"2018-02-30"`},
		{"SpecMalformed", "2019-09-04T:00:00:00", `"2019-09-04T:00:00:00"`},
		{"TimeOnly", "12:00", `"12:00"`},
		{"SpaceSeparator", "2018-09-05 13:43:54", `"2018-09-05 13:43:54"`},
		{"NoSeconds", "2018-09-05T13:43", `"2018-09-05T13:43"`},
		{"ShortYear", "18-09-05", `"18-09-05"`},
		{"SlashDate", "2018/09/05", `"2018/09/05"`},
		{"NegativeDigits", "-1", `"-1"`},
		{"SignedDigits", "+1610051296", `"+1610051296"`},
		{"DigitsOverflow", "99999999999999999999", `"99999999999999999999"`},
		{"Float", 1.5, `"1.5"`},
		{"FloatNaN", math.NaN(), `"NaN"`},
		{"FloatInf", math.Inf(1), `"+Inf"`},
		{"JSONNumberFraction", json.Number("1610051296.5"), `"1610051296.5"`},
		{"JSONNumberExponent", json.Number("1.6e9"), `"1.6e9"`},
		{"Bool", true, `"true"`},
		{"Nil", nil, `"<nil>"`},
		{"Int32", int32(5), `"5"`},
		{"Long", long, `"` + long[:40] + `..."`},
		{"LongDigits", longDigits, `"` + longDigits[:40] + `..."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseFilterDate(tt.in)
			e := mustCodedError(t, err, EINVALID, "")
			if got, want := d, (FilterDate{}); got != want {
				t.Fatalf("date=%v, want zero", got)
			}
			want := tt.echo + " is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS, RFC 3339 or UNIX seconds."
			if got := e.Message; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
			if s, ok := tt.in.(string); ok && len(s) > 40 && strings.Contains(e.Message, s[:41]) {
				t.Fatalf("message echoes more than 40 characters of the input: %q", e.Message)
			}
		})
	}
}

func TestFilterDateGQL(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"DateOnly", "2018-09-05", `"2018-09-05"`},
		{"Offset", "2018-09-05T13:43:54+02:00", `"2018-09-05T11:43:54Z"`},
		{"FractionTruncated", "2018-09-05T13:43:54.999Z", `"2018-09-05T13:43:54Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d FilterDate
			if err := d.UnmarshalGQL(tt.in); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			d.MarshalGQL(&b)
			if got, want := b.String(), tt.want; got != want {
				t.Fatalf("MarshalGQL=%s, want %s", got, want)
			}
		})
	}
	t.Run("ErrLeavesValue", func(t *testing.T) {
		d := FilterDate{Time: mustTime(t, "2018-09-05T00:00:00Z"), DateOnly: true}
		mustCodedError(t, d.UnmarshalGQL("yesterday"), EINVALID, "")
		if got, want := rfc(&d.Time), "2018-09-05T00:00:00Z"; got != want {
			t.Fatalf("time=%s, want %s", got, want)
		}
	})
}

func TestNewTimeRange(t *testing.T) {
	tests := []struct {
		name            string
		exact, min, max any // nil: not given
		wantMin         string
		wantMax         string
	}{
		{"Open", nil, nil, nil, "nil", "nil"},
		{"ExactDateOnlyIsWholeDay", "2018-09-05", nil, nil, "2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z"},
		{"ExactDateOnlyLeapDay", "2020-02-29", nil, nil, "2020-02-29T00:00:00Z", "2020-02-29T23:59:59Z"},
		{"ExactDateOnlyYearEnd", "2018-12-31", nil, nil, "2018-12-31T00:00:00Z", "2018-12-31T23:59:59Z"},
		{"ExactDateTime", "2018-09-05T13:43:54", nil, nil, "2018-09-05T13:43:54Z", "2018-09-05T13:43:54Z"},
		{"ExactOffset", "2018-09-05T13:43:54+02:00", nil, nil, "2018-09-05T11:43:54Z", "2018-09-05T11:43:54Z"},
		{"ExactUnix", 1610051296, nil, nil, "2021-01-07T20:28:16Z", "2021-01-07T20:28:16Z"},
		// A fractional exact value falls between stored whole seconds: the
		// range is empty (Min after Max).
		{"ExactFractionIsEmpty", "2018-09-05T13:43:54.5Z", nil, nil, "2018-09-05T13:43:55Z", "2018-09-05T13:43:54Z"},
		{"MinDateOnly", nil, "2018-09-05", nil, "2018-09-05T00:00:00Z", "nil"},
		{"MinDateTime", nil, "2018-09-05T13:43:54", nil, "2018-09-05T13:43:54Z", "nil"},
		{"MaxDateOnlyIsEndOfDay", nil, nil, "2018-09-05", "nil", "2018-09-05T23:59:59Z"},
		{"MaxDateTime", nil, nil, "2018-09-05T13:43:54", "nil", "2018-09-05T13:43:54Z"},
		{"MinFractionRoundsUp", nil, "2018-09-05T13:43:54.001Z", nil, "2018-09-05T13:43:55Z", "nil"},
		{"MinFractionAtMidnight", nil, "2018-09-05T23:59:59.5Z", nil, "2018-09-06T00:00:00Z", "nil"},
		{"MaxFractionRoundsDown", nil, nil, "2018-09-05T13:43:54.999Z", "nil", "2018-09-05T13:43:54Z"},
		{"MinMillisRoundsUp", nil, int64(1610051296789), nil, "2021-01-07T20:28:17Z", "nil"},
		{"MaxMillisRoundsDown", nil, nil, int64(1610051296789), "nil", "2021-01-07T20:28:16Z"},
		{"MinMaxDates", nil, "2018-09-01", "2018-09-30", "2018-09-01T00:00:00Z", "2018-09-30T23:59:59Z"},
		{"MinMaxSameDay", nil, "2018-09-05", "2018-09-05", "2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z"},
		{"ExactMinMaxIntersect", "2018-09-05", "2018-09-05T12:00:00", "2018-09-10", "2018-09-05T12:00:00Z", "2018-09-05T23:59:59Z"},
		{"MaxTighterThanExact", "2018-09-05", nil, "2018-09-05T06:00:00Z", "2018-09-05T00:00:00Z", "2018-09-05T06:00:00Z"},
		{"ExactTighterThanMinMax", "2018-09-05", "2018-09-01", "2018-09-30", "2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z"},
		{"Disjoint", nil, "2018-09-10", "2018-09-01", "2018-09-10T00:00:00Z", "2018-09-01T23:59:59Z"},
		{"ExactOutsideMinIsEmpty", "2018-09-05", "2018-09-06", nil, "2018-09-06T00:00:00Z", "2018-09-05T23:59:59Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var exact, min, max *FilterDate
			if tt.exact != nil {
				exact = mustFilterDate(t, tt.exact)
			}
			if tt.min != nil {
				min = mustFilterDate(t, tt.min)
			}
			if tt.max != nil {
				max = mustFilterDate(t, tt.max)
			}
			r := NewTimeRange(exact, min, max)
			if got, want := rfc(r.Min), tt.wantMin; got != want {
				t.Fatalf("Min=%s, want %s", got, want)
			}
			if got, want := rfc(r.Max), tt.wantMax; got != want {
				t.Fatalf("Max=%s, want %s", got, want)
			}
		})
	}
}

func TestAddTimeRange(t *testing.T) {
	tests := []struct {
		name      string
		r         TimeRange
		wantConds []string
		wantArgs  []any
	}{
		{"Open", TimeRange{}, nil, nil},
		{"DateOnly", NewTimeRange(mustFilterDate(t, "2018-09-05"), nil, nil),
			[]string{"likelihood(c.date_created >= ?, 0.01)", "likelihood(c.date_created <= ?, 0.01)"},
			[]any{"2018-09-05T00:00:00Z", "2018-09-05T23:59:59Z"}},
		{"MinOnly", NewTimeRange(nil, mustFilterDate(t, "2018-09-05T13:43:54+02:00"), nil),
			[]string{"likelihood(c.date_created >= ?, 0.01)"}, []any{"2018-09-05T11:43:54Z"}},
		{"MaxOnly", NewTimeRange(nil, nil, mustFilterDate(t, "2018-09-05")),
			[]string{"likelihood(c.date_created <= ?, 0.01)"}, []any{"2018-09-05T23:59:59Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w where
			addTimeRange(&w, "c.date_created", tt.r)
			if got, want := w.conds, tt.wantConds; !reflect.DeepEqual(got, want) {
				t.Fatalf("conds=%q, want %q", got, want)
			}
			if got, want := driverValues(t, w.args), tt.wantArgs; !reflect.DeepEqual(got, want) {
				t.Fatalf("args=%#v, want %#v", got, want)
			}
		})
	}
}

func TestFormatTime(t *testing.T) {
	plus2 := time.FixedZone("+02:00", 2*60*60)
	minus5 := time.FixedZone("-05:00", -5*60*60)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC", time.Date(2018, 9, 5, 13, 43, 54, 0, time.UTC), "2018-09-05T13:43:54Z"},
		{"ToUTC", time.Date(2018, 9, 5, 13, 43, 54, 0, plus2), "2018-09-05T11:43:54Z"},
		{"ToUTCCrossesDay", time.Date(2018, 9, 5, 22, 0, 0, 0, minus5), "2018-09-06T03:00:00Z"},
		{"FractionTruncated", time.Date(2018, 9, 5, 13, 43, 54, 999_999_999, time.UTC), "2018-09-05T13:43:54Z"},
		{"FixedWidthYear", time.Date(5, 1, 2, 3, 4, 5, 0, time.UTC), "0005-01-02T03:04:05Z"},
		{"ZeroTime", time.Time{}, "0001-01-01T00:00:00Z"},
		{"LastYear", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "9999-12-31T23:59:59Z"},
		{"Year10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "9999-12-31T23:59:59Z"},
		{"FarFuture", time.UnixMilli(math.MaxInt64 / 2), "9999-12-31T23:59:59Z"},
		{"OffsetPushesPast9999", time.Date(9999, 12, 31, 23, 0, 0, 0, minus5), "9999-12-31T23:59:59Z"},
		{"Year0", time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00Z"},
		{"NegativeYear", time.Date(-49000, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00Z"},
		{"OffsetPushesBeforeYear1", time.Date(1, 1, 1, 0, 30, 0, 0, plus2), "0001-01-01T00:00:00Z"},
		{"FarPast", time.UnixMilli(math.MinInt64 / 2), "0001-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatTime(tt.in)
			if want := tt.want; got != want {
				t.Fatalf("formatTime(%v)=%q, want %q", tt.in, got, want)
			}
			if got, want := len(got), len("2006-01-02T15:04:05Z"); got != want {
				t.Fatalf("len=%d, want %d", got, want)
			}
			if got, want := FormatTime(tt.in), tt.want; got != want {
				t.Fatalf("FormatTime(%v)=%q, want %q", tt.in, got, want)
			}
			back, err := parseTime(got)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := formatTime(back), got; got != want {
				t.Fatalf("round trip=%q, want %q", got, want)
			}
		})
	}
	t.Run("ParseRejects", func(t *testing.T) {
		for _, s := range []string{"", "2018-09-05", "2018-09-05T13:43:54+02:00", "2018-09-05 13:43:54"} {
			if _, err := parseTime(s); err == nil {
				t.Fatalf("parseTime(%q) err=nil, want an error", s)
			}
		}
	})
}

// placeholders counts the ? in conds, which must equal the number of args.
func placeholders(conds []string) int {
	n := 0
	for _, c := range conds {
		n += strings.Count(c, "?")
	}
	return n
}

// leaks reports whether value v (longer than one character, since single
// characters such as _ occur in column names) appears in the statement text.
func leaks(sql, v string) bool { return len([]rune(v)) > 1 && strings.Contains(sql, v) }

// hostile holds values that must never reach the statement text.
var hostile = []string{"%", "_", `\`, "'; DROP TABLE customers; --", "ÅSA", `"quoted"`, "<b>&amp;", "]) OR 1=1 --"}

func TestWhereIn(t *testing.T) {
	const inSQL = "c.id IN (SELECT value FROM json_each(?))"
	tests := []struct {
		name      string
		add       func(w *where)
		wantConds []string
		wantArgs  []any
	}{
		{"NilInts", func(w *where) { in(w, "c.id", []int(nil)) }, nil, nil},
		{"NilStrings", func(w *where) { in(w, "c.id", []string(nil)) }, nil, nil},
		{"EmptyInts", func(w *where) { in(w, "c.id", []int{}) }, []string{inSQL}, []any{"[]"}},
		{"EmptyStrings", func(w *where) { in(w, "c.id", []string{}) }, []string{inSQL}, []any{"[]"}},
		{"Ints", func(w *where) { in(w, "c.id", []int{3, -1, 2147483647}) }, []string{inSQL}, []any{"[3,-1,2147483647]"}},
		{"Strings", func(w *where) { in(w, "c.id", []string{"a", "b c"}) }, []string{inSQL}, []any{`["a","b c"]`}},
		{"Hostile", func(w *where) { in(w, "c.id", hostile) }, []string{inSQL},
			[]any{`["%","_","\\","'; DROP TABLE customers; --","ÅSA","\"quoted\"","\u003cb\u003e\u0026amp;","]) OR 1=1 --"]`}},
		{"Two", func(w *where) { in(w, "c.id", []int{1}); in(w, "c.company", []string{"Acme"}) },
			[]string{inSQL, "c.company IN (SELECT value FROM json_each(?))"}, []any{"[1]", `["Acme"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w where
			tt.add(&w)
			if got, want := w.conds, tt.wantConds; !reflect.DeepEqual(got, want) {
				t.Fatalf("conds=%q, want %q", got, want)
			}
			if got, want := driverValues(t, w.args), tt.wantArgs; !reflect.DeepEqual(got, want) {
				t.Fatalf("args=%#v, want %#v", got, want)
			}
			if got, want := placeholders(w.conds), len(w.args); got != want {
				t.Fatalf("placeholders=%d, want %d args", got, want)
			}
		})
	}
	t.Run("HostileRoundTrip", func(t *testing.T) {
		var w where
		in(&w, "c.name_fold", hostile)
		var back []string
		if err := json.Unmarshal([]byte(driverValues(t, w.args)[0].(string)), &back); err != nil {
			t.Fatal(err)
		}
		if got, want := back, hostile; !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded=%q, want %q", got, want)
		}
		for _, v := range hostile {
			if leaks(w.sql(), v) {
				t.Fatalf("sql %q contains the value %q", w.sql(), v)
			}
		}
	})
	t.Run("JSONArrayNil", func(t *testing.T) {
		if got, want := jsonArray([]string(nil)), "[]"; got != want {
			t.Fatalf("jsonArray(nil)=%q, want %q", got, want)
		}
	})
}

func TestAnyContains(t *testing.T) {
	tests := []struct {
		name      string
		vals      []string
		wantConds []string
		wantArgs  []any
	}{
		{"Nil", nil, nil, nil},
		{"Empty", []string{}, []string{"FALSE"}, nil},
		{"One", []string{"Smith"}, []string{"(instr(c.name_fold, ?) > 0)"}, []any{"smith"}},
		{"Percent", []string{"%"}, []string{"(instr(c.name_fold, ?) > 0)"}, []any{"%"}},
		{"Underscore", []string{"_"}, []string{"(instr(c.name_fold, ?) > 0)"}, []any{"_"}},
		{"Backslash", []string{`\`}, []string{"(instr(c.name_fold, ?) > 0)"}, []any{`\`}},
		{"Injection", []string{"'; DROP TABLE customers; --"}, []string{"(instr(c.name_fold, ?) > 0)"}, []any{"'; drop table customers; --"}},
		{"NonASCII", []string{"ÅSA"}, []string{"(instr(c.name_fold, ?) > 0)"}, []any{"åsa"}},
		{"Decomposed", []string{"A\u030aSA"}, []string{"(instr(c.name_fold, ?) > 0)"}, []any{"\u00e5sa"}},
		{"Several", []string{"%", "_", `\`, "ÅSA"},
			[]string{"(instr(c.name_fold, ?) > 0 OR instr(c.name_fold, ?) > 0 OR instr(c.name_fold, ?) > 0 OR instr(c.name_fold, ?) > 0)"},
			[]any{"%", "_", `\`, "åsa"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w where
			anyContains(&w, "c.name_fold", tt.vals)
			if got, want := w.conds, tt.wantConds; !reflect.DeepEqual(got, want) {
				t.Fatalf("conds=%q, want %q", got, want)
			}
			if got, want := driverValues(t, w.args), tt.wantArgs; !reflect.DeepEqual(got, want) {
				t.Fatalf("args=%#v, want %#v", got, want)
			}
			if got, want := placeholders(w.conds), len(w.args); got != want {
				t.Fatalf("placeholders=%d, want %d args", got, want)
			}
			for _, v := range tt.vals {
				if leaks(w.sql(), v) || leaks(w.sql(), Fold(v)) {
					t.Fatalf("sql %q contains the value %q", w.sql(), v)
				}
			}
		})
	}
}

func TestWhereSQL(t *testing.T) {
	tests := []struct {
		name    string
		add     func(w *where)
		wantSQL string
		wantAnd string
		args    []any
	}{
		{"None", func(w *where) {}, "", "TRUE", nil},
		{"NilFiltersAddNothing", func(w *where) {
			in(w, "c.id", []int(nil))
			anyContains(w, "c.name_fold", nil)
			addTimeRange(w, "c.date_created", TimeRange{})
		}, "", "TRUE", nil},
		{"One", func(w *where) { w.add("c.id = ?", 1) }, " WHERE c.id = ?", "c.id = ?", []any{1}},
		{"NoArgs", func(w *where) { w.add("c.deleted = 0") }, " WHERE c.deleted = 0", "c.deleted = 0", nil},
		{"Three", func(w *where) {
			w.add("c.id = ?", 1)
			in(w, "c.email_fold", []string{"a@b.c"})
			anyContains(w, "c.name_fold", []string{"X", "Y"})
		},
			" WHERE c.id = ? AND c.email_fold IN (SELECT value FROM json_each(?)) AND (instr(c.name_fold, ?) > 0 OR instr(c.name_fold, ?) > 0)",
			"c.id = ? AND c.email_fold IN (SELECT value FROM json_each(?)) AND (instr(c.name_fold, ?) > 0 OR instr(c.name_fold, ?) > 0)",
			[]any{1, `["a@b.c"]`, "x", "y"}},
		{"EmptyMatchesNothing", func(w *where) { anyContains(w, "c.name_fold", []string{}) }, " WHERE FALSE", "FALSE", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w where
			tt.add(&w)
			if got, want := w.sql(), tt.wantSQL; got != want {
				t.Fatalf("sql=%q, want %q", got, want)
			}
			if got, want := w.and(), tt.wantAnd; got != want {
				t.Fatalf("and=%q, want %q", got, want)
			}
			if got, want := driverValues(t, w.args), tt.args; !reflect.DeepEqual(got, want) {
				t.Fatalf("args=%#v, want %#v", got, want)
			}
		})
	}
	t.Run("CloneIsIndependent", func(t *testing.T) {
		var w where
		w.add("a = ?", 1)
		c := w.clone()
		c.add("b = ?", 2)
		if got, want := w.sql(), " WHERE a = ?"; got != want {
			t.Fatalf("original sql=%q, want %q", got, want)
		}
		if got, want := w.args, []any{1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("original args=%#v, want %#v", got, want)
		}
		if got, want := c.sql(), " WHERE a = ? AND b = ?"; got != want {
			t.Fatalf("clone sql=%q, want %q", got, want)
		}
		if got, want := c.args, []any{1, 2}; !reflect.DeepEqual(got, want) {
			t.Fatalf("clone args=%#v, want %#v", got, want)
		}
	})
}

func TestFold(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"Empty", "", ""},
		{"ASCII", "Smith", "smith"},
		{"Composed", "ÅSA", "\u00e5sa"},
		{"ComposedLower", "åsa", "\u00e5sa"},
		{"Decomposed", "A\u030aSA", "\u00e5sa"},
		{"DecomposedLower", "a\u030asa", "\u00e5sa"},
		{"SharpS", "Straße", "strasse"},
		{"DoubleS", "STRASSE", "strasse"},
		{"Ligature", "ﬁle", "file"},
		{"KelvinSign", "\u212a", "k"},
		{"Symbols", "'; DROP TABLE customers; --", "'; drop table customers; --"},
		// Turkish: folding is not locale-aware. Dotted capital I folds to i
		// plus a combining dot, and dotless i stays itself, so neither
		// matches a plain i; plain I folds to i.
		{"TurkishDottedCapital", "İ", "i\u0307"},
		{"TurkishDotless", "ı", "ı"},
		{"TurkishPlainCapital", "I", "i"},
		{"Istanbul", "İSTANBUL", "i\u0307stanbul"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := Fold(tt.in), tt.want; got != want {
				t.Fatalf("Fold(%q)=%q, want %q", tt.in, got, want)
			}
		})
	}

	pairs := []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"ComposedVsLower", "ÅSA", "åsa", true},
		{"DecomposedVsComposed", "A\u030aSA", "åsa", true},
		{"DecomposedVsUpper", "A\u030aSA", "ÅSA", true},
		{"StrasseVsStraße", "STRASSE", "Straße", true},
		{"AVsÅ", "ASA", "ÅSA", false},
		{"TurkishDottedVsI", "İSTANBUL", "istanbul", false},
		{"TurkishDotlessVsI", "ıstanbul", "istanbul", false},
		{"TurkishPlainIVsI", "ISTANBUL", "istanbul", true},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			if got, want := Fold(p.a) == Fold(p.b), p.equal; got != want {
				t.Fatalf("Fold(%q)=%q, Fold(%q)=%q: equal=%t, want %t", p.a, Fold(p.a), p.b, Fold(p.b), got, want)
			}
		})
	}

	t.Run("FoldAll", func(t *testing.T) {
		if got := foldAll(nil); got != nil {
			t.Fatalf("foldAll(nil)=%#v, want nil", got)
		}
		if got, want := foldAll([]string{}), []string{}; !reflect.DeepEqual(got, want) {
			t.Fatalf("foldAll([])=%#v, want %#v", got, want)
		}
		if got, want := foldAll([]string{"ÅSA", "Straße"}), []string{"åsa", "strasse"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("foldAll=%q, want %q", got, want)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan string, 8)
		for range 8 {
			wg.Go(func() {
				for range 200 {
					if got := Fold("A\u030aSA Straße"); got != "åsa strasse" {
						errs <- got
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for got := range errs {
			t.Fatalf("concurrent Fold=%q, want %q", got, "åsa strasse")
		}
	})
}

// sortCase is what a customer sort must turn into.
type sortCase struct {
	sort    CustomerSort
	name    string // ordering name, part of the cursor namespace
	lhs     string // keyset row value
	orderBy string // ORDER BY forwards
	back    string // ORDER BY backwards
	keyCols string // key columns selected
	text    []bool // which keys are text
	desc    bool   // direction
	sample  []any  // key values for a cursor
	goName  string // GraphQL enum name
}

func sortCases() []sortCase {
	return []sortCase{
		{sort: SortIDAsc, name: "id:asc", lhs: "(c.id)", orderBy: "c.id ASC", back: "c.id DESC",
			keyCols: "c.id", text: []bool{false}, sample: []any{int64(42)}, goName: "ID_ASC"},
		{sort: SortIDDesc, name: "id:desc", lhs: "(c.id)", orderBy: "c.id DESC", back: "c.id ASC",
			keyCols: "c.id", text: []bool{false}, desc: true, sample: []any{int64(math.MaxInt64)}, goName: "ID_DESC"},
		{sort: SortDateCreatedAsc, name: "date_created:asc", lhs: "(c.date_created, c.id)",
			orderBy: "c.date_created ASC, c.id ASC", back: "c.date_created DESC, c.id DESC",
			keyCols: "c.date_created, c.id", text: []bool{true, false},
			sample: []any{"2018-09-05T13:43:54Z", int64(7)}, goName: "DATE_CREATED_ASC"},
		{sort: SortDateCreatedDesc, name: "date_created:desc", lhs: "(c.date_created, c.id)",
			orderBy: "c.date_created DESC, c.id DESC", back: "c.date_created ASC, c.id ASC",
			keyCols: "c.date_created, c.id", text: []bool{true, false}, desc: true,
			sample: []any{"2018-09-05T13:43:54Z", int64(-3)}, goName: "DATE_CREATED_DESC"},
		{sort: SortDateModifiedAsc, name: "date_modified:asc", lhs: "(c.date_modified, c.id)",
			orderBy: "c.date_modified ASC, c.id ASC", back: "c.date_modified DESC, c.id DESC",
			keyCols: "c.date_modified, c.id", text: []bool{true, false},
			sample: []any{"", int64(0)}, goName: "DATE_MODIFIED_ASC"},
		{sort: SortDateModifiedDesc, name: "date_modified:desc", lhs: "(c.date_modified, c.id)",
			orderBy: "c.date_modified DESC, c.id DESC", back: "c.date_modified ASC, c.id ASC",
			keyCols: "c.date_modified, c.id", text: []bool{true, false}, desc: true,
			sample: []any{"9999-12-31T23:59:59Z", int64(1)}, goName: "DATE_MODIFIED_DESC"},
		{sort: SortLastNameAsc, name: "last_name:asc", lhs: "(c.last_name COLLATE NOCASE, c.id)",
			orderBy: "c.last_name COLLATE NOCASE ASC, c.id ASC", back: "c.last_name COLLATE NOCASE DESC, c.id DESC",
			keyCols: "c.last_name, c.id", text: []bool{true, false},
			sample: []any{`O'Brien "Åsa" \ ] } | x`, int64(5)}, goName: "LAST_NAME_ASC"},
		{sort: SortLastNameDesc, name: "last_name:desc", lhs: "(c.last_name COLLATE NOCASE, c.id)",
			orderBy: "c.last_name COLLATE NOCASE DESC, c.id DESC", back: "c.last_name COLLATE NOCASE ASC, c.id ASC",
			keyCols: "c.last_name, c.id", text: []bool{true, false}, desc: true,
			sample: []any{"'; DROP TABLE customers; --", int64(9)}, goName: "LAST_NAME_DESC"},
	}
}

// holders returns cursor holders for vals (strings and int64s).
func holders(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case string:
			out[i] = &v
		case int64:
			out[i] = &v
		}
	}
	return out
}

func TestCustomerSortOrdering(t *testing.T) {
	cases := sortCases()
	if got, want := len(cases), len(customerSorts); got != want {
		t.Fatalf("%d sort cases, want one per CustomerSort (%d)", got, want)
	}
	// ops holds the keyset operator per direction: after, after inclusive,
	// before, before inclusive.
	ops := map[bool][4]string{
		false: {">", ">=", "<", "<="},
		true:  {"<", "<=", ">", ">="},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.sort.ordering()
			if got, want := o.name, tt.name; got != want {
				t.Fatalf("name=%q, want %q", got, want)
			}
			if got, want := o.desc, tt.desc; got != want {
				t.Fatalf("desc=%t, want %t", got, want)
			}
			if got, want := o.keys[len(o.keys)-1].col, "c.id"; got != want {
				t.Fatalf("last key=%q, want %q (ties break by id)", got, want)
			}
			if got, want := o.orderBy(false), tt.orderBy; got != want {
				t.Fatalf("orderBy(false)=%q, want %q", got, want)
			}
			if got, want := o.orderBy(true), tt.back; got != want {
				t.Fatalf("orderBy(true)=%q, want %q", got, want)
			}
			if got, want := o.keyColumns(), tt.keyCols; got != want {
				t.Fatalf("keyColumns=%q, want %q", got, want)
			}
			// The values compare as the columns do: each column's place
			// holds a placeholder with the column's collation.
			qs := regexp.MustCompile(`[a-z_]+\.[a-z_]+`).ReplaceAllString(tt.lhs, "?")
			for i, c := range []struct{ after, inclusive bool }{{true, false}, {true, true}, {false, false}, {false, true}} {
				var w where
				o.compare(&w, tt.sample, c.after, c.inclusive)
				cond, args := w.and(), w.args
				if got, want := cond, tt.lhs+" "+ops[tt.desc][i]+" "+qs; got != want {
					t.Fatalf("compare(after=%t, inclusive=%t)=%q, want %q", c.after, c.inclusive, got, want)
				}
				if got, want := args, tt.sample; !reflect.DeepEqual(got, want) {
					t.Fatalf("compare args=%#v, want %#v", got, want)
				}
			}
			hs := o.newKeyHolders()
			if got, want := len(hs), len(tt.text); got != want {
				t.Fatalf("%d holders, want %d", got, want)
			}
			for i, h := range hs {
				_, isText := h.(*string)
				_, isInt := h.(*int64)
				if got, want := isText, tt.text[i]; got != want || isText == isInt {
					t.Fatalf("holder %d is %T, want text=%t", i, h, want)
				}
			}
		})
	}
	t.Run("UnknownIsIDAsc", func(t *testing.T) {
		if got, want := CustomerSort("").ordering(), SortIDAsc.ordering(); !reflect.DeepEqual(got, want) {
			t.Fatalf("ordering()=%+v, want %+v", got, want)
		}
		if got, want := CustomerSort("email:asc").ordering(), SortIDAsc.ordering(); !reflect.DeepEqual(got, want) {
			t.Fatalf("ordering()=%+v, want %+v", got, want)
		}
	})
	t.Run("IDOrder", func(t *testing.T) {
		o := idOrder("a.id")
		if got, want := o.name, "id:asc"; got != want {
			t.Fatalf("name=%q, want %q", got, want)
		}
		if got, want := o.orderBy(false), "a.id ASC"; got != want {
			t.Fatalf("orderBy(false)=%q, want %q", got, want)
		}
		if got, want := o.orderBy(true), "a.id DESC"; got != want {
			t.Fatalf("orderBy(true)=%q, want %q", got, want)
		}
		var w where
		o.compare(&w, []any{int64(1)}, true, false)
		cond := w.and()
		if got, want := cond, "(a.id) > (?)"; got != want {
			t.Fatalf("compare after=%q, want %q", got, want)
		}
		w = where{}
		o.compare(&w, []any{int64(1)}, false, true)
		cond = w.and()
		if got, want := cond, "(a.id) <= (?)"; got != want {
			t.Fatalf("compare before inclusive=%q, want %q", got, want)
		}
		if got, want := idOrder("c.id"), SortIDAsc.ordering(); !reflect.DeepEqual(got, want) {
			t.Fatalf("idOrder(c.id)=%+v, want %+v", got, want)
		}
	})
}

func TestCursorRoundTrip(t *testing.T) {
	for _, tt := range sortCases() {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.sort.ordering()
			cur := o.encodeCursor("customers", holders(tt.sample))
			for _, arg := range []string{"after", "before"} {
				got, err := o.decodeCursor("customers", arg, cur)
				if err != nil {
					t.Fatalf("decodeCursor(%q): %v", cur, err)
				}
				if want := tt.sample; !reflect.DeepEqual(got, want) {
					t.Fatalf("decoded=%#v, want %#v", got, want)
				}
			}
		})
	}
	t.Run("Exact", func(t *testing.T) {
		got := idOrder("c.id").encodeCursor("customers", holders([]any{int64(5)}))
		want := base64.RawURLEncoding.EncodeToString([]byte(`["customers|id:asc",5]`))
		if got != want {
			t.Fatalf("cursor=%q, want %q", got, want)
		}
	})
	t.Run("ExactText", func(t *testing.T) {
		got := SortDateCreatedDesc.ordering().encodeCursor("customers", holders([]any{"2018-09-05T13:43:54Z", int64(7)}))
		want := base64.RawURLEncoding.EncodeToString([]byte(`["customers|date_created:desc","2018-09-05T13:43:54Z",7]`))
		if got != want {
			t.Fatalf("cursor=%q, want %q", got, want)
		}
	})
	t.Run("URLSafe", func(t *testing.T) {
		// The value is chosen so that the standard alphabet would need / here.
		raw := `["customers|last_name:asc","???~~~???",1]`
		if base64.RawStdEncoding.EncodeToString([]byte(raw)) == b64(raw) {
			t.Fatalf("test premise: %q encodes the same in both alphabets", raw)
		}
		got := SortLastNameAsc.ordering().encodeCursor("customers", holders([]any{"???~~~???", int64(1)}))
		if want := b64(raw); got != want {
			t.Fatalf("cursor=%q, want %q", got, want)
		}
		if strings.ContainsAny(got, "+/=") {
			t.Fatalf("cursor %q is not raw URL-safe base64", got)
		}
	})
}

// b64 encodes raw cursor JSON.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// cursorOfLength returns a date_created:asc cursor exactly n characters long
// (n a multiple of 4).
func cursorOfLength(tb testing.TB, n int) string {
	tb.Helper()
	const prefix, suffix = `["customers|date_created:asc","`, `",1]`
	raw := prefix + strings.Repeat("a", n/4*3-len(prefix)-len(suffix)) + suffix
	cur := b64(raw)
	if len(cur) != n {
		tb.Fatalf("cursor length %d, want %d", len(cur), n)
	}
	return cur
}

func TestDecodeCursor(t *testing.T) {
	idAsc := idOrder("c.id")
	tests := []struct {
		name   string
		o      ordering
		cursor string
	}{
		{"Empty", idAsc, ""},
		{"NotBase64", idAsc, "!!!not base64!!!"},
		{"PaddedBase64", idAsc, base64.URLEncoding.EncodeToString([]byte(`["customers|id:asc",5]`))},
		{"NotJSON", idAsc, b64("hello")},
		{"JSONObject", idAsc, b64(`{"customers|id:asc":5}`)},
		{"JSONString", idAsc, b64(`"customers|id:asc"`)},
		{"JSONNull", idAsc, b64(`null`)},
		{"EmptyArray", idAsc, b64(`[]`)},
		{"TruncatedJSON", idAsc, b64(`["customers|id:asc",5`)},
		{"OtherList", idAsc, idOrder("a.id").encodeCursor("addresses", holders([]any{int64(5)}))},
		{"OtherOrder", idAsc, SortDateCreatedDesc.ordering().encodeCursor("customers", holders([]any{"2018-09-05T13:43:54Z", int64(5)}))},
		{"OtherDirectionSameArity", SortDateCreatedDesc.ordering(),
			SortDateCreatedAsc.ordering().encodeCursor("customers", holders([]any{"2018-09-05T13:43:54Z", int64(5)}))},
		{"OtherKeySameArity", SortLastNameAsc.ordering(),
			SortDateCreatedAsc.ordering().encodeCursor("customers", holders([]any{"2018-09-05T13:43:54Z", int64(5)}))},
		{"IDDescOnIDAsc", idAsc, SortIDDesc.ordering().encodeCursor("customers", holders([]any{int64(5)}))},
		{"NamespaceNotString", idAsc, b64(`[5,5]`)},
		{"NamespaceCase", idAsc, b64(`["Customers|id:asc",5]`)},
		{"TooFewValues", idAsc, b64(`["customers|id:asc"]`)},
		{"TooManyValues", idAsc, b64(`["customers|id:asc",5,6]`)},
		{"StringForInt", idAsc, b64(`["customers|id:asc","5"]`)},
		{"IntForString", SortDateCreatedAsc.ordering(), b64(`["customers|date_created:asc",5,1]`)},
		{"FractionForInt", idAsc, b64(`["customers|id:asc",5.5]`)},
		{"ExponentForInt", idAsc, b64(`["customers|id:asc",1e3]`)},
		{"IntOverflow", idAsc, b64(`["customers|id:asc",9223372036854775808]`)},
		{"NullValue", idAsc, b64(`["customers|id:asc",null]`)},
		{"BoolValue", idAsc, b64(`["customers|id:asc",true]`)},
		{"NestedArray", idAsc, b64(`["customers|id:asc",[5]]`)},
		{"TrailingGarbage", idAsc, b64(`["customers|id:asc",5]x`)},
		{"TrailingValue", idAsc, b64(`["customers|id:asc",5][]`)},
		{"TrailingNumber", idAsc, b64(`["customers|id:asc",5] 6`)},
		{"OverLong", SortDateCreatedAsc.ordering(), cursorOfLength(t, 2052)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arg := []string{"after", "before"}[i%2]
			vals, err := tt.o.decodeCursor("customers", arg, tt.cursor)
			e := mustCodedError(t, err, EINVALID, arg)
			if got, want := e.Message, arg+" is not a cursor of this list in this order."; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
			if vals != nil {
				t.Fatalf("vals=%#v, want nil", vals)
			}
		})
	}
	t.Run("MaxLength", func(t *testing.T) {
		cur := cursorOfLength(t, 2048)
		vals, err := SortDateCreatedAsc.ordering().decodeCursor("customers", "after", cur)
		if err != nil {
			t.Fatalf("2048-character cursor: %v", err)
		}
		if got, want := vals[1], any(int64(1)); got != want {
			t.Fatalf("id=%#v, want %#v", got, want)
		}
	})
	t.Run("StdAlphabet", func(t *testing.T) {
		o := SortLastNameAsc.ordering()
		raw := []byte(`["customers|last_name:asc","???~~~???",1]`)
		url := base64.RawURLEncoding.EncodeToString(raw)
		std := base64.RawStdEncoding.EncodeToString(raw)
		if url == std {
			t.Fatalf("test premise: %q encodes the same in both alphabets", raw)
		}
		if _, err := o.decodeCursor("customers", "after", url); err != nil {
			t.Fatalf("URL alphabet: %v", err)
		}
		_, err := o.decodeCursor("customers", "after", std)
		mustCodedError(t, err, EINVALID, "after")
	})
	t.Run("TrailingBracket", func(t *testing.T) {
		for _, raw := range []string{`["customers|id:asc",5]]`, `["customers|id:asc",5]}`} {
			_, err := idAsc.decodeCursor("customers", "after", b64(raw))
			mustCodedError(t, err, EINVALID, "after")
		}
	})
}

func TestPlanPage(t *testing.T) {
	o := SortDateCreatedDesc.ordering()
	cur := o.encodeCursor("customers", holders([]any{"2018-09-05T13:43:54Z", int64(7)}))
	key := []any{"2018-09-05T13:43:54Z", int64(7)}
	tests := []struct {
		name      string
		req       PageRequest
		wantConds []string
		wantArgs  []any // the flat keyset arguments, one per placeholder
		back      bool
		offset    int
	}{
		{"Page1", PageRequest{Page: 1, Limit: 50}, nil, nil, false, 0},
		{"Page3", PageRequest{Page: 3, Limit: 25}, nil, nil, false, 50},
		{"After", PageRequest{Limit: 10, After: cur},
			[]string{"(c.date_created, c.id) < (?, ?)"}, key, false, 0},
		{"Before", PageRequest{Limit: 10, Before: cur},
			[]string{"(c.date_created, c.id) > (?, ?)"}, key, true, 0},
		{"AfterAndBefore", PageRequest{Limit: 10, After: cur, Before: cur},
			[]string{"(c.date_created, c.id) < (?, ?)", "(c.date_created, c.id) > (?, ?)"},
			append(append([]any{}, key...), key...), false, 0},
		{"CursorIgnoresPage", PageRequest{Page: 9, Limit: 10, After: cur},
			[]string{"(c.date_created, c.id) < (?, ?)"}, key, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planPage("customers", o, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.cond.conds, tt.wantConds; !reflect.DeepEqual(got, want) {
				t.Fatalf("conds=%q, want %q", got, want)
			}
			if got, want := p.back, tt.back; got != want {
				t.Fatalf("back=%t, want %t", got, want)
			}
			if got, want := p.offset, tt.offset; got != want {
				t.Fatalf("offset=%d, want %d", got, want)
			}
		})
	}
	// The keyset arguments must be flat, one per placeholder, or the
	// statement cannot run.
	for _, tt := range tests {
		t.Run(tt.name+"Args", func(t *testing.T) {
			if tt.wantArgs != nil {
			}
			p, err := planPage("customers", o, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.cond.args, tt.wantArgs; !reflect.DeepEqual(got, want) {
				t.Fatalf("args=%#v, want %#v", got, want)
			}
			if got, want := placeholders(p.cond.conds), len(p.cond.args); got != want {
				t.Fatalf("placeholders=%d, want %d args", got, want)
			}
		})
	}
	t.Run("ErrBadBefore", func(t *testing.T) {
		_, err := planPage("customers", o, PageRequest{Limit: 10, After: cur, Before: "x"})
		mustCodedError(t, err, EINVALID, "before")
	})
	t.Run("ErrCursorOfOtherList", func(t *testing.T) {
		_, err := planPage("addresses", o, PageRequest{Limit: 10, After: cur})
		mustCodedError(t, err, EINVALID, "after")
	})
	t.Run("ErrLimit", func(t *testing.T) {
		_, err := planPage("customers", o, PageRequest{Limit: 0, After: cur})
		mustCodedError(t, err, EINVALID, "limit")
	})
	t.Run("OtherSides", func(t *testing.T) {
		p, err := planPage("customers", o, PageRequest{Limit: 10, After: cur, Before: cur, WantHasPrevious: true, WantHasNext: true})
		if err != nil {
			t.Fatal(err)
		}
		prev, next := p.otherSides()
		if got, want := prev.conds, []string{"(c.date_created, c.id) >= (?, ?)"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("prev=%q, want %q", got, want)
		}
		if got, want := next.conds, []string{"(c.date_created, c.id) <= (?, ?)"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("next=%q, want %q", got, want)
		}
	})
	t.Run("OtherSidesArgs", func(t *testing.T) {
		p, err := planPage("customers", o, PageRequest{Limit: 10, After: cur, Before: cur, WantHasPrevious: true, WantHasNext: true})
		if err != nil {
			t.Fatal(err)
		}
		prev, next := p.otherSides()
		if got, want := prev.args, key; !reflect.DeepEqual(got, want) {
			t.Fatalf("prev args=%#v, want %#v", got, want)
		}
		if got, want := next.args, key; !reflect.DeepEqual(got, want) {
			t.Fatalf("next args=%#v, want %#v", got, want)
		}
	})
	t.Run("NoOtherSidesUnasked", func(t *testing.T) {
		p, err := planPage("customers", o, PageRequest{Limit: 10, After: cur, Before: cur})
		if err != nil {
			t.Fatal(err)
		}
		if prev, next := p.otherSides(); prev != nil || next != nil {
			t.Fatalf("otherSides=%v, %v, want nil, nil", prev, next)
		}
	})
}

func TestPageRequestValidate(t *testing.T) {
	tests := []struct {
		name      string
		req       PageRequest
		wantField string // "" when valid
		wantMsg   string
	}{
		{"Limit0", PageRequest{Page: 1, Limit: 0}, "limit", "limit must be between 1 and 250, not 0."},
		{"Limit1", PageRequest{Page: 1, Limit: 1}, "", ""},
		{"Limit250", PageRequest{Page: 1, Limit: 250}, "", ""},
		{"Limit251", PageRequest{Page: 1, Limit: 251}, "limit", "limit must be between 1 and 250, not 251."},
		{"LimitNegative", PageRequest{Page: 1, Limit: -1}, "limit", "limit must be between 1 and 250, not -1."},
		{"Page0", PageRequest{Page: 0, Limit: 50}, "page", "page must be 1 or more, not 0."},
		{"PageNegative", PageRequest{Page: -1, Limit: 50}, "page", "page must be 1 or more, not -1."},
		{"Page1", PageRequest{Page: 1, Limit: 50}, "", ""},
		{"PageLarge", PageRequest{Page: 1_000_000, Limit: 50}, "", ""},
		{"LimitCheckedFirst", PageRequest{Page: 0, Limit: 0}, "limit", "limit must be between 1 and 250, not 0."},
		{"AfterIgnoresPage0", PageRequest{Page: 0, Limit: 50, After: "c"}, "", ""},
		{"BeforeIgnoresPage0", PageRequest{Page: 0, Limit: 50, Before: "c"}, "", ""},
		{"CursorStillChecksLimit", PageRequest{Page: 0, Limit: 251, After: "c"}, "limit", "limit must be between 1 and 250, not 251."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate()=%v, want nil", err)
				}
				return
			}
			e := mustCodedError(t, err, EINVALID, tt.wantField)
			if got, want := e.Message, tt.wantMsg; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
		})
	}
	t.Run("Defaults", func(t *testing.T) {
		if got, want := DefaultLimit, 50; got != want {
			t.Fatalf("DefaultLimit=%d, want %d", got, want)
		}
		if got, want := MaxLimit, 250; got != want {
			t.Fatalf("MaxLimit=%d, want %d", got, want)
		}
	})
}

func TestPageTotalPages(t *testing.T) {
	tests := []struct {
		name         string
		total, limit int
		want         int
	}{
		{"Empty", 0, 50, 0},
		{"One", 1, 50, 1},
		{"Exact", 100, 50, 2},
		{"Partial", 101, 50, 3},
		{"ZeroLimit", 10, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Page[int]{Total: tt.total, Limit: tt.limit}
			if got, want := p.TotalPages(), tt.want; got != want {
				t.Fatalf("TotalPages()=%d, want %d", got, want)
			}
		})
	}
}

func TestCustomerSortEnum(t *testing.T) {
	for _, tt := range sortCases() {
		t.Run(tt.goName, func(t *testing.T) {
			if got, want := gqlName(tt.sort), tt.goName; got != want {
				t.Fatalf("gqlName(%q)=%q, want %q", tt.sort, got, want)
			}
			got, err := parseEnum(tt.goName, customerSorts, "CustomerSort")
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.sort; got != want {
				t.Fatalf("parseEnum(%q)=%q, want %q", tt.goName, got, want)
			}
			var v CustomerSort
			if err := v.UnmarshalGQL(tt.goName); err != nil {
				t.Fatal(err)
			}
			if got, want := v, tt.sort; got != want {
				t.Fatalf("UnmarshalGQL(%q)=%q, want %q", tt.goName, got, want)
			}
			var b bytes.Buffer
			v.MarshalGQL(&b)
			if got, want := b.String(), `"`+tt.goName+`"`; got != want {
				t.Fatalf("MarshalGQL=%s, want %s", got, want)
			}
		})
	}

	rejects := []struct {
		name string
		in   any
		msg  string
	}{
		{"V3Spelling", "date_created:desc", "date_created:desc is not a valid CustomerSort."},
		{"LowerCase", "date_created_desc", "date_created_desc is not a valid CustomerSort."},
		{"Partial", "DATE_CREATED", "DATE_CREATED is not a valid CustomerSort."},
		{"Unknown", "EMAIL_ASC", "EMAIL_ASC is not a valid CustomerSort."},
		{"Empty", "", " is not a valid CustomerSort."},
		{"LeadingSpace", " ID_ASC", " ID_ASC is not a valid CustomerSort."},
		{"Int", 1, "1 is not a valid CustomerSort."},
		{"Nil", nil, "<nil> is not a valid CustomerSort."},
		{"Bytes", []byte("ID_ASC"), "[73 68 95 65 83 67] is not a valid CustomerSort."},
	}
	for _, tt := range rejects {
		t.Run("Err"+tt.name, func(t *testing.T) {
			v, err := parseEnum(tt.in, customerSorts, "CustomerSort")
			e := mustCodedError(t, err, EINVALID, "")
			if got, want := e.Message, tt.msg; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
			if got, want := v, CustomerSort(""); got != want {
				t.Fatalf("value=%q, want %q", got, want)
			}
			var u CustomerSort
			mustCodedError(t, u.UnmarshalGQL(tt.in), EINVALID, "")
		})
	}
}

// enumNames checks that every value of one enum round-trips through its
// GraphQL name and that no two values share a name.
func enumNames[T ~string](t *testing.T, all []T, what string) {
	t.Helper()
	seen := map[string]T{}
	for _, v := range all {
		n := gqlName(v)
		if prev, ok := seen[n]; ok {
			t.Fatalf("%s: %q and %q share GraphQL name %q", what, prev, v, n)
		}
		seen[n] = v
		got, err := parseEnum(n, all, what)
		if err != nil {
			t.Fatalf("%s: parseEnum(%q): %v", what, n, err)
		}
		if got != v {
			t.Fatalf("%s: parseEnum(%q)=%q, want %q", what, n, got, v)
		}
		if !valid(v, all) {
			t.Fatalf("%s: valid(%q)=false, want true", what, v)
		}
	}
	if valid(T("bogus"), all) {
		t.Fatalf("%s: valid(bogus)=true, want false", what)
	}
}

func TestEnumNames(t *testing.T) {
	t.Run("CustomerSort", func(t *testing.T) { enumNames(t, customerSorts, "CustomerSort") })
	t.Run("CustomerAddressType", func(t *testing.T) { enumNames(t, addressTypes, "CustomerAddressType") })
	t.Run("CustomerAttributeType", func(t *testing.T) { enumNames(t, attributeTypes, "CustomerAttributeType") })
	t.Run("CustomerFormFieldType", func(t *testing.T) { enumNames(t, formFieldTypes, "CustomerFormFieldType") })
	t.Run("CustomerFormFieldScope", func(t *testing.T) { enumNames(t, formFieldScopes, "CustomerFormFieldScope") })
	t.Run("ConsentCategory", func(t *testing.T) { enumNames(t, consentCategories, "ConsentCategory") })
	t.Run("CategoryAccessType", func(t *testing.T) { enumNames(t, categoryAccessTypes, "CategoryAccessType") })
	t.Run("DiscountRuleType", func(t *testing.T) { enumNames(t, discountRuleTypes, "DiscountRuleType") })
	t.Run("DiscountMethod", func(t *testing.T) { enumNames(t, discountMethods, "DiscountMethod") })
	t.Run("Spelling", func(t *testing.T) {
		for _, tt := range []struct{ in, want string }{
			{string(DiscountPriceList), "PRICE_LIST"},
			{string(FormFieldRadioButtons), "RADIOBUTTONS"},
			{string(AddressResidential), "RESIDENTIAL"},
			{string(SortLastNameDesc), "LAST_NAME_DESC"},
		} {
			if got, want := gqlName(tt.in), tt.want; got != want {
				t.Fatalf("gqlName(%q)=%q, want %q", tt.in, got, want)
			}
		}
	})
}

func TestAmountToUnits(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want int64
	}{
		{"Zero", 0, 0},
		{"Cents", 43.15, 431500},
		{"FourPlaces", 0.0001, 1},
		{"NegativeFourPlaces", -0.0001, -1},
		{"Negative", -5.5, -55000},
		{"Price", 19.99, 199900},
		{"SumWithFloatError", 0.1 + 0.2, 3000},
		{"FourPlacesLarge", 12345678.1234, 123456781234},
		{"Max", 1e11, 1_000_000_000_000_000},
		{"NegativeMax", -1e11, -1_000_000_000_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := amountToUnits(tt.in)
			if err != nil {
				t.Fatalf("amountToUnits(%v): %v", tt.in, err)
			}
			if want := tt.want; got != want {
				t.Fatalf("amountToUnits(%v)=%d, want %d", tt.in, got, want)
			}
		})
	}

	rejects := []struct {
		name string
		in   float64
		msg  string
	}{
		{"FivePlaces", 0.00001, "0.00001 is not an amount with at most four decimal places."},
		{"HalfUnit", 0.00005, "0.00005 is not an amount with at most four decimal places."},
		{"NegativeFivePlaces", -1.00001, "-1.00001 is not an amount with at most four decimal places."},
		{"NaN", math.NaN(), "NaN is not an amount with at most four decimal places."},
		{"PlusInf", math.Inf(1), "+Inf is not an amount with at most four decimal places."},
		{"MinusInf", math.Inf(-1), "-Inf is not an amount with at most four decimal places."},
		{"AboveMax", 1e11 + 1, "100000000001 is not an amount with at most four decimal places."},
		{"Huge", 1e20, "100000000000000000000 is not an amount with at most four decimal places."},
	}
	for _, tt := range rejects {
		t.Run("Err"+tt.name, func(t *testing.T) {
			got, err := amountToUnits(tt.in)
			e := mustCodedError(t, err, EINVALID, "")
			if got, want := e.Message, tt.msg; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
			if got != 0 {
				t.Fatalf("units=%d, want 0", got)
			}
		})
	}

	t.Run("ErrFivePlacesAbove50", func(t *testing.T) {
		for _, f := range []float64{43.15001, 100.00001, 50.00005, 12345678.12345} {
			got, err := amountToUnits(f)
			if err == nil {
				t.Fatalf("amountToUnits(%v)=%d, want EINVALID", f, got)
			}
			mustCodedError(t, err, EINVALID, "")
		}
	})
}

// TestParseTimeFastPath checks the hand-read stored form against
// time.Parse, and AppendTime against FormatTime.
func TestParseTimeFastPath(t *testing.T) {
	for _, s := range []string{"2019-02-19T18:34:16Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-02-29T12:00:00Z",
		"2023-02-29T12:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01T24:00:00Z",
		"2024-01-01T23:60:00Z", "2024-01-01T23:59:60Z", "2024-01-01 23:59:59Z", "2024-01-01T23:59:59+", "20x4-01-01T00:00:00Z",
		"2024-01-01T00:00:00", "", "2024-1-01T00:00:00Z0"} {
		got, err := parseTime(s)
		want, werr := time.Parse(timeLayout, s)
		if (err == nil) != (werr == nil) || !got.Equal(want) || (err == nil && got.Location() != time.UTC) {
			t.Errorf("parseTime(%q) = %v, %v; time.Parse: %v, %v", s, got, err, want, werr)
		}
	}
	for _, tm := range []time.Time{time.Date(2019, 2, 19, 18, 34, 16, 999, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 6, 1, 1, 2, 3, 0, time.FixedZone("x", 5*3600))} {
		if got, want := string(AppendTime(nil, tm)), strconv.Quote(FormatTime(tm)); got != want {
			t.Errorf("AppendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

// driverValues returns the values the driver receives for args: a list
// argument's is its JSON array.
func driverValues(t *testing.T, args []any) []any {
	t.Helper()
	if args == nil {
		return nil
	}
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		if l, ok := a.(driver.Valuer); ok {
			v, err := l.Value()
			if err != nil {
				t.Fatalf("arg %d (%#v): %v", i, a, err)
			}
			out[i] = v
		}
	}
	return out
}
