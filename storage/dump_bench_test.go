package storage_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/storefront/customers/bench/benchdata"
	"github.com/storefront/customers/storage"
)

// BenchmarkRestore10k restores the dump of the generated 10k-customer
// store (made once, before timing) into a fresh database per iteration,
// and reports lines/s; compare it with BenchmarkImport10k of the same run,
// which writes the same customers through the same checks and writer in
// batches of their own transactions.
func BenchmarkRestore10k(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	src, err := storage.Open(ctx, filepath.Join(dir, "src.db"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := benchdata.CreateDefinitions(ctx, src); err != nil {
		b.Fatal(err)
	}
	var lines bytes.Buffer
	if _, err := benchdata.Write(&lines, benchdata.DefaultSeed, 10_000); err != nil {
		b.Fatal(err)
	}
	if _, err := src.Import(ctx, &lines, func(p storage.ImportProblem) { b.Error(p) }, nil); err != nil {
		b.Fatal(err)
	}
	var dump bytes.Buffer
	if _, err := src.Dump(ctx, &dump, storage.DumpOptions{}); err != nil {
		b.Fatal(err)
	}
	src.Close()
	n := bytes.Count(dump.Bytes(), []byte("\n"))
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		db, err := storage.Open(ctx, filepath.Join(dir, "restore-"+strconv.Itoa(i)+".db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		st, err := db.Restore(ctx, bytes.NewReader(dump.Bytes()))
		if err != nil || st.Customers != 10_000 {
			b.Fatalf("restore: %+v, %v", st, err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
}
