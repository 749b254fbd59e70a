package storage_test

import (
	"bytes"
	"context"
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
