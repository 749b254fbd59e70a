package storage

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Strict decoding of one JSON line (import and restore). A line is one
// JSON object whose keys are all known: a misspelt key (frist_name) would
// otherwise drop its value without a word. Problems are coded errors that
// name the key by its path in the line (addresses.1.id) and say what was
// expected, never Go's type names.

// maxLineProblems bounds how many problems one line reports.
const maxLineProblems = 10

// decodeLine decodes line, one JSON object, into v (a pointer to a struct
// with json tags). Keys in ignored are accepted and dropped, at any depth.
func decodeLine(line []byte, v any, ignored map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if len(bytes.TrimSpace(line[dec.InputOffset():])) > 0 {
			return Errorf(EINVALID, "A line holds one JSON object; this one has more after it.")
		}
		return nil
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return Errorf(EINVALID, "The line ends inside its JSON object.")
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return Errorf(EINVALID, "Not JSON: %s at column %d.", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	}
	// Name every unknown key and wrong type, by path.
	var raw any
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if d.Decode(&raw) != nil {
		return Errorf(EINVALID, "Not JSON.")
	}
	if _, ok := raw.(map[string]any); !ok {
		return Errorf(EINVALID, "A line is one JSON object, not %s.", jsonKind(raw))
	}
	t := reflect.TypeOf(v).Elem()
	var errs Errors
	checkJSON(raw, t, "", ignored, &errs)
	if len(errs) > 0 {
		return errs
	}
	// Only ignored keys, or a value whose own decoder refused it.
	if err := json.Unmarshal(line, v); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return FieldErrorf(EINVALID, te.Field, "Must be %s, not %s.", describeType(te.Type), te.Value)
		}
		return Errorf(EINVALID, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// checkJSON compares a decoded JSON value with the Go type it must fill
// and records each unknown key and each value of the wrong kind.
func checkJSON(v any, t reflect.Type, path string, ignored map[string]bool, errs *Errors) {
	if len(*errs) >= maxLineProblems || v == nil {
		return // null leaves a value at its zero, as encoding/json does
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return // checked by its own decoder
	}
	bad := func() {
		*errs = append(*errs, FieldErrorf(EINVALID, path, "Must be %s, not %s.", describeType(t), jsonKind(v)))
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			bad()
			return
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		// The line's key order is lost in decoding; sorted keys give every
		// run the same report.
		slices.Sort(keys)
		for _, k := range keys {
			p := joinPath(path, k)
			f, ok := fields[k]
			switch {
			case ok:
				checkJSON(m[k], f, p, ignored, errs)
			case ignored[k]:
			default:
				msg := "Unknown key."
				if s := closest(k, fields); s != "" {
					msg = "Unknown key; did you mean " + s + "?"
				}
				*errs = append(*errs, FieldErrorf(EINVALID, p, "%s", msg))
			}
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			bad()
			return
		}
		for i, x := range l {
			checkJSON(x, t.Elem(), joinPath(path, strconv.Itoa(i)), ignored, errs)
		}
	case reflect.Map:
		if _, ok := v.(map[string]any); !ok {
			bad()
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			bad()
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			bad()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			bad()
			return
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			*errs = append(*errs, FieldErrorf(EINVALID, path, "Must be %s, not %s.", describeType(t), n))
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			bad()
		}
	}
}

// jsonFields maps the JSON keys of a struct type to their field types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// describeType says what a Go type holds in JSON words.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// jsonKind names the kind of a decoded JSON value.
func jsonKind(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return "the number " + string(v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// closest returns the known key nearest to k when it is a likely typo, or
// "": one edit away for a short key, two for a longer one.
func closest(k string, known map[string]reflect.Type) string {
	limit := 1
	if len(k) > 4 {
		limit = 2
	}
	best, bestD := "", limit+1
	for name := range known {
		if d := editDistance(k, name); d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (with adjacent
// transpositions, the commonest typo) between two short keys.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
