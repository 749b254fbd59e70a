package baseline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storefront/customers/bench/baseline"
	"github.com/storefront/customers/bench/benchdata"
	"github.com/storefront/customers/bench/suite"
)

// TestSameData checks that the baseline answers every scenario with the
// very bytes of the GraphQL response's `data`, over a generated store of
// 2,000 customers: the real handler (graph.NewHandler over storage.Open,
// with an API token) against the baseline on the same file. Only what the
// GraphQL response adds around `data` (extensions) is left out.
func TestSameData(t *testing.T) {
	const n = 2000
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "customers.db")
	db, token, err := suite.Prepare(ctx, path, n)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gql := httptest.NewServer(suite.GraphQLHandler(db, suite.GraphQLOptions{}))
	defer gql.Close()
	base, err := baseline.Open(ctx, path, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	bs := httptest.NewServer(base.Handler())
	defer bs.Close()

	graphqlData := func(t *testing.T, query, variables string) []byte {
		t.Helper()
		req, _ := http.NewRequest("POST", gql.URL+"/graphql", bytes.NewReader(suite.Body(query, variables)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Data   json.RawMessage
			Errors json.RawMessage
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || out.Errors != nil {
			t.Fatalf("graphql: status %d, errors %s, decode %v", res.StatusCode, out.Errors, err)
		}
		return out.Data
	}
	baselineData := func(t *testing.T, path string) []byte {
		t.Helper()
		res, err := http.Get(bs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("baseline %s: status %d: %s", path, res.StatusCode, body)
		}
		data, ok := bytes.CutPrefix(body, []byte(`{"data":`))
		if !ok || !bytes.HasSuffix(data, []byte("}")) {
			t.Fatalf("baseline %s: not a {\"data\":...} response: %.200s", path, body)
		}
		return data[:len(data)-1]
	}
	same := func(t *testing.T, query, variables, path string) []byte {
		t.Helper()
		want, got := graphqlData(t, query, variables), baselineData(t, path)
		if !bytes.Equal(want, got) {
			i := 0
			for i < len(want) && i < len(got) && want[i] == got[i] {
				i++
			}
			from := max(i-120, 0)
			t.Fatalf("%s: data differs at byte %d:\ngraphql:  ...%s\nbaseline: ...%s", path, i,
				want[from:min(i+120, len(want))], got[from:min(i+120, len(got))])
		}
		return want
	}

	for _, sc := range suite.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			reps := 1
			if sc.Name == "customer" {
				reps = 40
			}
			for range reps {
				vars, path := sc.Next(r, n)
				data := same(t, sc.Query, vars, path)
				if sc.Name == "reference" {
					checkReference(t, data)
				}
				if sc.Name == "rare_name" && !bytes.Contains(data, []byte(benchdata.RareLastName)) {
					t.Fatalf("rare name: no %s in %s", benchdata.RareLastName, data)
				}
			}
		})
	}
	t.Run("customer_missing", func(t *testing.T) {
		same(t, suite.CustomerQuery, `{"id":999999}`, "/customer?id=999999")
	})
	t.Run("other_names_and_limits", func(t *testing.T) {
		for _, name := range []string{"ø", "ÅSA", "van der", "zz-no-such-name", "&"} {
			q := strings.Replace(suite.ReferenceQuery, `nameLike: ["an"]`, `nameLike: [`+jsonString(name)+`]`, 1)
			q = strings.Replace(q, "limit: 50", "limit: 250", 1)
			same(t, q, "", "/reference?limit=250&name="+urlEscape(name))
		}
	})
}

// checkReference checks that the reference page exercises what the
// comparison must cover: a full page, groups and no group, addresses with
// and without form fields, store credit, and escaped text.
func checkReference(t *testing.T, data []byte) {
	t.Helper()
	var out struct {
		Customers struct {
			Nodes []struct {
				Addresses []struct {
					FormFields []json.RawMessage
				}
				Attributes  []json.RawMessage
				FormFields  []json.RawMessage
				StoreCredit []json.RawMessage
				Group       *struct{ ID int }
			}
		}
	}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	nodes := out.Customers.Nodes
	if len(nodes) != 50 {
		t.Fatalf("reference: %d nodes, want 50", len(nodes))
	}
	var grouped, ungrouped, withFields, withoutFields, credit, attrs int
	for _, c := range nodes {
		if c.Group != nil {
			grouped++
		} else {
			ungrouped++
		}
		for _, a := range c.Addresses {
			if len(a.FormFields) > 0 {
				withFields++
			} else {
				withoutFields++
			}
		}
		if len(c.StoreCredit) > 0 {
			credit++
		}
		attrs += len(c.Attributes)
	}
	if grouped == 0 || ungrouped == 0 || withFields == 0 || withoutFields == 0 || credit == 0 || attrs < 100 {
		t.Fatalf("reference page covers too little: grouped %d, ungrouped %d, addresses with fields %d, without %d, store credit %d, attribute values %d",
			grouped, ungrouped, withFields, withoutFields, credit, attrs)
	}
	if !bytes.Contains(data, []byte(`\u0026`)) && !bytes.Contains(data, []byte(`\u003c`)) {
		t.Log("reference page holds no text that needs HTML escaping")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func urlEscape(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", " ", "+", "+", "%2B").Replace(s)
}
