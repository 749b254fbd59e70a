package storage_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/storefront/customers/bench/benchdata"
	"github.com/storefront/customers/bench/suite"
	"github.com/storefront/customers/storage"
)

// The storage hot paths of the benchmark suite (BENCHMARKS.md), over the
// generated 10k data set (made once, cached under the temporary directory;
// BENCH_DB=/path/to.db uses another, e.g. the 1M one):
//
//	go test -run '^$' -bench . -benchmem ./storage/

const benchCustomers = 10_000

// openBench opens the benchmark database and returns it with its size.
func openBench(b *testing.B) (*storage.DB, int) {
	b.Helper()
	ctx := context.Background()
	path, err := suite.CachedDB(ctx, benchCustomers)
	if err != nil {
		b.Fatal(err)
	}
	db, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	pg, err := db.FindCustomers(ctx, storage.CustomerFilter{}, storage.SortIDDesc, storage.PageRequest{Page: 1, Limit: 1})
	if err != nil || len(pg.Items) == 0 {
		b.Fatalf("benchmark database is empty: %v", err)
	}
	return db, pg.Items[0].ID
}

// referencePage is the reference query's page request.
var (
	referenceFilter = storage.CustomerFilter{NameLike: []string{"an"}}
	firstPage       = storage.PageRequest{Page: 1, Limit: 50}
)

func BenchmarkFindCustomers(b *testing.B) {
	db, _ := openBench(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name   string
		filter storage.CustomerFilter
		sort   storage.CustomerSort
	}{
		{"reference", referenceFilter, storage.SortDateCreatedDesc},
		{"rare_name", storage.CustomerFilter{NameLike: []string{benchdata.RareFirstName}}, storage.SortIDAsc},
		{"page", storage.CustomerFilter{}, storage.SortIDAsc},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.FindCustomers(ctx, bc.filter, bc.sort, firstPage); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("reference_parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := db.FindCustomers(ctx, referenceFilter, storage.SortDateCreatedDesc, firstPage); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkFindCustomerByID(b *testing.B) {
	db, n := openBench(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if _, err := db.FindCustomerByID(ctx, 1+r.IntN(n)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatch50 runs each batched lookup of the reference query for the
// reference page's 50 customers (and their addresses, attributes, groups).
func BenchmarkBatch50(b *testing.B) {
	db, _ := openBench(b)
	ctx := context.Background()
	pg, err := db.FindCustomers(ctx, referenceFilter, storage.SortDateCreatedDesc, firstPage)
	if err != nil {
		b.Fatal(err)
	}
	var ids, groups, addrIDs, attrIDs []int
	for _, c := range pg.Items {
		ids = append(ids, c.ID)
		if c.CustomerGroupID != nil {
			groups = append(groups, *c.CustomerGroupID)
		}
	}
	addrs, err := db.FindAddressesByCustomerIDs(ctx, ids)
	if err != nil {
		b.Fatal(err)
	}
	for _, as := range addrs {
		for _, a := range as {
			addrIDs = append(addrIDs, a.ID)
		}
	}
	vals, err := db.FindAttributeValuesByCustomerIDs(ctx, ids)
	if err != nil {
		b.Fatal(err)
	}
	for _, vs := range vals {
		for _, v := range vs {
			attrIDs = append(attrIDs, v.AttributeID)
		}
	}
	for _, bc := range []struct {
		name string
		run  func() error
	}{
		{"addresses", func() error { _, err := db.FindAddressesByCustomerIDs(ctx, ids); return err }},
		{"address_form_fields", func() error { _, err := db.FindFormFieldValuesByAddressIDs(ctx, addrIDs); return err }},
		{"attribute_values", func() error { _, err := db.FindAttributeValuesByCustomerIDs(ctx, ids); return err }},
		{"attributes", func() error { _, err := db.FindAttributesByIDs(ctx, attrIDs); return err }},
		{"form_fields", func() error { _, err := db.FindFormFieldValuesByCustomerIDs(ctx, ids); return err }},
		{"store_credit", func() error { _, err := db.FindStoreCreditByCustomerIDs(ctx, ids); return err }},
		{"groups", func() error { _, err := db.FindGroupsByIDs(ctx, groups); return err }},
		{"customers", func() error { _, err := db.FindCustomersByIDs(ctx, ids); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := bc.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImport10k imports the generated 10k lines (made once, before
// timing) into a fresh database with the definitions per iteration, and
// reports lines/s.
func BenchmarkImport10k(b *testing.B) {
	ctx := context.Background()
	var lines bytes.Buffer
	if _, err := benchdata.Write(&lines, benchdata.DefaultSeed, 10_000); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		db, err := storage.Open(ctx, filepath.Join(dir, "import-"+strconv.Itoa(i)+".db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := benchdata.CreateDefinitions(ctx, db); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		st, err := db.Import(ctx, bytes.NewReader(lines.Bytes()), func(p storage.ImportProblem) { b.Error(p) }, nil)
		if err != nil || st.Imported != 10_000 {
			b.Fatalf("import: %+v, %v", st, err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkNestedLists measures, for the reference query's 50 customers,
// two ways to read their relations (BENCHMARKS.md, "Nested lists in
// SQLite"):
//
//   - statements: what the compiled read path runs, one batched statement
//     per relation (addresses, their form fields, attribute values, the
//     attributes, form field values, store credit, groups) in one
//     snapshot, the selected columns only, rows scanned into structs;
//   - sqlite_json: one statement in which SQLite builds every customer's
//     nested lists as JSON (json_group_array, correlated subqueries, the
//     attribute and group joined in), decoded here into structs;
//     sqlite_json_undecoded reads the same JSON and leaves it as bytes (a
//     floor: the response could not use SQLite's JSON as it is, whose
//     escaping differs from the GraphQL path's).
func BenchmarkNestedLists(b *testing.B) {
	db, _ := openBench(b)
	ctx := context.Background()
	pg, err := db.FindCustomers(ctx, referenceFilter, storage.SortDateCreatedDesc, firstPage)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int
	for _, c := range pg.Items {
		ids = append(ids, c.ID)
	}
	view, err := db.View(storage.Columns{
		Address:        []string{"id", "customer_id", "address1", "city", "country_code"},
		AttributeValue: []string{"id", "customer_id", "attribute_id", "value"},
		Attribute:      []string{"id", "name", "type"},
		FormFieldValue: []string{"id", "form_field_id", "name", "value", "customer_id", "address_id"},
		Group:          []string{"id", "name"},
	})
	if err != nil {
		b.Fatal(err)
	}
	groupsOf := func() []int {
		var gs []int
		for _, c := range pg.Items {
			if c.CustomerGroupID != nil {
				gs = append(gs, *c.CustomerGroupID)
			}
		}
		return gs
	}()
	b.Run("statements", func(b *testing.B) {
		for b.Loop() {
			if err := func() error {
				ctx, end, err := db.Snapshot(ctx)
				if err != nil {
					return err
				}
				defer end()
				addrs, err := view.FindAddressesByCustomerIDs(ctx, ids)
				if err != nil {
					return err
				}
				var addrIDs []int
				for _, as := range addrs {
					for _, a := range as {
						addrIDs = append(addrIDs, a.ID)
					}
				}
				if _, err := view.FindFormFieldValuesByAddressIDs(ctx, addrIDs); err != nil {
					return err
				}
				vals, err := view.FindAttributeValuesByCustomerIDs(ctx, ids)
				if err != nil {
					return err
				}
				var attrIDs []int
				for _, vs := range vals {
					for _, v := range vs {
						attrIDs = append(attrIDs, v.AttributeID)
					}
				}
				if _, err := view.FindAttributesByIDs(ctx, attrIDs); err != nil {
					return err
				}
				if _, err := view.FindFormFieldValuesByCustomerIDs(ctx, ids); err != nil {
					return err
				}
				if _, err := db.FindStoreCreditByCustomerIDs(ctx, ids); err != nil {
					return err
				}
				_, err = view.FindGroupsByIDs(ctx, groupsOf)
				return err
			}(); err != nil {
				b.Fatal(err)
			}
		}
	})

	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	raw.SetMaxOpenConns(1)
	stmt, err := raw.PrepareContext(ctx, nestedListsSQL)
	if err != nil {
		b.Fatal(err)
	}
	idList, _ := json.Marshal(ids)
	for _, decode := range []bool{true, false} {
		name := "sqlite_json"
		if !decode {
			name = "sqlite_json_undecoded"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				rows, err := stmt.QueryContext(ctx, string(idList))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					var (
						id                           int
						addrs, attrs, fields, credit []byte
						groupID                      sql.NullInt64
						groupName                    sql.NullString
						nestedAddrs                  []nestedAddress
						nestedAttrs                  []nestedAttributeValue
						nestedFields                 []nestedFormField
						amounts                      []int64
					)
					if err := rows.Scan(&id, &addrs, &attrs, &fields, &credit, &groupID, &groupName); err != nil {
						b.Fatal(err)
					}
					for _, d := range []struct {
						src []byte
						dst any
					}{{addrs, &nestedAddrs}, {attrs, &nestedAttrs}, {fields, &nestedFields}, {credit, &amounts}} {
						if !decode {
							break
						}
						if err := json.Unmarshal(d.src, d.dst); err != nil {
							b.Fatal(err)
						}
					}
					n++
				}
				if err := rows.Close(); err != nil || n != len(ids) {
					b.Fatalf("%d rows for %d customers: %v", n, len(ids), err)
				}
			}
		})
	}
}

type nestedFormField struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

type nestedAddress struct {
	ID          int               `json:"id"`
	Address1    string            `json:"address1"`
	City        string            `json:"city"`
	CountryCode string            `json:"country_code"`
	FormFields  []nestedFormField `json:"form_fields"`
}

type nestedAttributeValue struct {
	ID    int    `json:"id"`
	Value string `json:"value"`
	Name  string `json:"name"`
	Type  string `json:"type"`
}

const nestedListsSQL = `SELECT c.id,
	(SELECT json_group_array(json_object('id', a.id, 'address1', a.address1, 'city', a.city, 'country_code', a.country_code,
		'form_fields', json((SELECT json_group_array(json_object('name', f.name, 'value', json(v.value)) ORDER BY f.name)
			FROM customer_form_field_values v JOIN customer_form_fields f ON f.id = v.form_field_id WHERE v.address_id = a.id)))
		ORDER BY a.id)
		FROM customer_addresses a WHERE a.customer_id = c.id),
	(SELECT json_group_array(json_object('id', v.id, 'value', v.value, 'name', t.name, 'type', t.type) ORDER BY v.id)
		FROM customer_attribute_values v JOIN customer_attributes t ON t.id = v.attribute_id WHERE v.customer_id = c.id),
	(SELECT json_group_array(json_object('name', f.name, 'value', json(v.value)) ORDER BY f.name)
		FROM customer_form_field_values v JOIN customer_form_fields f ON f.id = v.form_field_id WHERE v.customer_id = c.id),
	(SELECT json_group_array(s.amount ORDER BY s.id) FROM customer_store_credit s WHERE s.customer_id = c.id),
	g.id, g.name
FROM customers c LEFT JOIN customer_groups g ON g.id = c.customer_group_id
WHERE c.id IN (SELECT value FROM json_each(?))`
