package rest_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/rest"
)

// The contract: testdata/contract.json is our reading of BigCommerce's
// OpenAPI documents (customers.v3, customers.v2, subscribers.v3,
// webhooks.v3), kept as data. For every operation of the documents it
// holds requests, the status each must answer, and the shape of the
// answer; TestContract runs each against the real handler over HTTP, on a
// freshly seeded store.
//
// Shapes are type expressions: int, number, string, bool, datetime
// (RFC 3339 UTC in whole seconds), unix (seconds), v2date (RFC 1123),
// groupdate (2006-01-02 15:04:05), formvalue (a string, a number or a list
// of strings), strmap (an object of strings), any, enum:a|b, the name of
// an object type of the file, page(T) ({data: T[], meta: {pagination}}),
// written(T) ({data: T[], meta: {}}), single(T) ({data: T, meta: {}}), T[]
// (a list), ?T (null allowed). In an object type, ~field may be absent;
// every other field must be there, and no other.

type contract struct {
	Types      map[string]map[string]string `json:"types"`
	Operations []contractCase               `json:"operations"`
}

type contractCase struct {
	Doc       string   `json:"doc"`
	Operation string   `json:"operation"`
	Name      string   `json:"name"`
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	Token     string   `json:"token"` // write (default), read, none
	Headers   []string `json:"headers"`
	// Body is the request's JSON, written as a string so that it may
	// hold {name} placeholders for the seeded records' ids.
	Body   string `json:"body"`
	Status int    `json:"status"`
	Shape  string `json:"shape"`
	// Headers the answer must carry.
	WantHeaders []string `json:"want_headers"`
}

func loadContract(t *testing.T) contract {
	t.Helper()
	raw, err := os.ReadFile("testdata/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	var c contract
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("testdata/contract.json: %v", err)
	}
	return c
}

// TestContract runs every case of the contract.
func TestContract(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	for _, oc := range c.Operations {
		name := oc.Doc + "/" + oc.Operation
		if oc.Name != "" {
			name += "/" + oc.Name
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each case has its own store and server
			e, f := newSeededEnv(t, func(o *rest.Options) { o.RateLimit = rest.RateLimit{Quota: 1000, Window: time.Minute} })
			var body any
			if oc.Body != "" {
				body = []byte(f.expand(oc.Body))
			}
			token := e.write
			switch oc.Token {
			case "read":
				token = e.read
			case "none":
				token = ""
			}
			header := map[string][]string{}
			for _, h := range oc.Headers {
				k, v, _ := strings.Cut(h, ": ")
				header[k] = []string{v}
			}
			r := e.callWith(oc.Method, f.expand(oc.Path), token, body, header)
			if r.status != oc.Status {
				t.Fatalf("%s %s: status %d, want %d: %s", oc.Method, oc.Path, r.status, oc.Status, r.body)
			}
			for _, h := range oc.WantHeaders {
				if r.header.Get(h) == "" {
					t.Errorf("no %s header", h)
				}
			}
			if oc.Shape == "" {
				if len(strings.TrimSpace(string(r.body))) != 0 {
					t.Errorf("a body where none belongs: %s", r.body)
				}
				return
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var v any
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatalf("not JSON: %s", r.body)
			}
			if problems := c.check(v, oc.Shape, "$"); len(problems) > 0 {
				t.Errorf("the answer does not fit %s:\n  %s\nbody: %.2000s", oc.Shape, strings.Join(problems, "\n  "), r.body)
			}
		})
	}
}

// TestContract_CoversEveryOperation: every operation the handler serves
// has a contract case, and every case names one it serves (the route that
// matches its path with the most literal segments, as the handler routes).
func TestContract_CoversEveryOperation(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	ops := rest.Operations()
	covered := make([]bool, len(ops))
	for _, oc := range c.Operations {
		path, _, _ := strings.Cut(oc.Path, "?")
		segs := strings.Split(strings.Trim(path, "/"), "/")
		best, bestScore := -1, -1
		for i, op := range ops {
			rs := strings.Split(strings.Trim(op.Path, "/"), "/")
			if op.Method != oc.Method || len(rs) != len(segs) {
				continue
			}
			score := 0
			for j, seg := range rs {
				switch {
				case strings.HasPrefix(seg, "{"):
				case seg == segs[j]:
					score++
				default:
					score = -1
				}
				if score < 0 {
					break
				}
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best < 0 {
			t.Errorf("the contract names %s %s, which is not served", oc.Method, oc.Path)
			continue
		}
		covered[best] = true
	}
	for i, op := range ops {
		if !covered[i] {
			t.Errorf("no contract case for %s %s", op.Method, op.Path)
		}
	}
}

// check reports where v does not fit the type expression typ.
func (c contract) check(v any, typ, at string) []string {
	if strings.HasPrefix(typ, "?") {
		if v == nil {
			return nil
		}
		typ = typ[1:]
	}
	if v == nil && typ != "any" {
		return []string{at + ": null, want " + typ}
	}
	for _, env := range []string{"page", "written", "single"} {
		if inner, ok := strings.CutPrefix(typ, env+"("); ok {
			inner = strings.TrimSuffix(inner, ")")
			data, meta := inner+"[]", "meta_page"
			switch env {
			case "written":
				meta = "meta_empty"
			case "single":
				data, meta = inner, "meta_empty"
			}
			obj, ok := v.(map[string]any)
			if !ok || len(obj) != 2 {
				return []string{fmt.Sprintf("%s: want {data, meta}, got %v", at, v)}
			}
			return append(c.check(obj["data"], data, at+".data"), c.check(obj["meta"], meta, at+".meta")...)
		}
	}
	if elem, ok := strings.CutSuffix(typ, "[]"); ok {
		list, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want a list of %s", at, v, elem)}
		}
		var out []string
		for i, x := range list {
			out = append(out, c.check(x, elem, fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	}
	if values, ok := strings.CutPrefix(typ, "enum:"); ok {
		s, isStr := v.(string)
		if !isStr || !slices.Contains(strings.Split(values, "|"), s) {
			return []string{fmt.Sprintf("%s: %v, want one of %s", at, v, values)}
		}
		return nil
	}
	bad := func() []string { return []string{fmt.Sprintf("%s: %v (%T), want %s", at, v, v, typ)} }
	switch typ {
	case "any":
		return nil
	case "formvalue":
		switch x := v.(type) {
		case string, float64:
			return nil
		case []any:
			return c.check(x, "string[]", at)
		}
		return bad()
	case "strmap":
		obj, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		var out []string
		for k, x := range obj {
			out = append(out, c.check(x, "string", at+"."+k)...)
		}
		return out
	case "int", "unix":
		if n, ok := v.(float64); !ok || n != math.Trunc(n) {
			return bad()
		}
		return nil
	case "number":
		if _, ok := v.(float64); !ok {
			return bad()
		}
		return nil
	case "string":
		if _, ok := v.(string); !ok {
			return bad()
		}
		return nil
	case "bool":
		if _, ok := v.(bool); !ok {
			return bad()
		}
		return nil
	case "datetime", "v2date", "groupdate":
		s, ok := v.(string)
		layout := map[string]string{"datetime": "2006-01-02T15:04:05Z", "v2date": time.RFC1123Z, "groupdate": time.DateTime}[typ]
		if !ok {
			return bad()
		}
		if _, err := time.Parse(layout, s); err != nil {
			return bad()
		}
		return nil
	}
	fields, ok := c.Types[typ]
	if !ok {
		return []string{at + ": the contract has no type " + typ}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return bad()
	}
	var out []string
	for name, ft := range fields {
		optional := strings.HasPrefix(name, "~")
		name = strings.TrimPrefix(name, "~")
		x, present := obj[name]
		if !present {
			if !optional {
				out = append(out, at+"."+name+": missing")
			}
			continue
		}
		out = append(out, c.check(x, ft, at+"."+name)...)
	}
	for name := range obj {
		if _, ok := fields[name]; !ok {
			if _, ok := fields["~"+name]; !ok {
				out = append(out, at+"."+name+": not in the contract")
			}
		}
	}
	return out
}
