// Command datagen writes the benchmark data sets (BENCHMARKS.md) and
// prepares databases for them.
//
//	go run ./bench/datagen -n 10000 > /tmp/customers-10k.jsonl
//	go run ./bench/datagen -defs -db /tmp/customers-10k.db
//	go run . import -db /tmp/customers-10k.db /tmp/customers-10k.jsonl
//
// The first form writes n customers as V3 JSON lines (ids 1..n, always the
// same bytes for the same -n and -seed). The second creates, in a fresh
// database, the customer groups, attribute definitions and form field
// definitions that the lines refer to, with the ids the lines use; import
// rejects lines whose references do not exist.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/storefront/customers/bench/benchdata"
	"github.com/storefront/customers/storage"
)

func main() {
	n := flag.Int("n", 10000, "how many customers to write")
	seed := flag.Uint64("seed", benchdata.DefaultSeed, "the data set's seed")
	defs := flag.Bool("defs", false, "create the groups, attributes and form fields in the fresh database -db instead of writing lines")
	db := flag.String("db", "", "with -defs: the SQLite database file to create them in")
	flag.Parse()
	if err := run(*n, *seed, *defs, *db); err != nil {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(1)
	}
}

func run(n int, seed uint64, defs bool, db string) error {
	if defs {
		if db == "" {
			return fmt.Errorf("-defs needs -db FILE")
		}
		ctx := context.Background()
		store, err := storage.Open(ctx, db, storage.Options{})
		if err != nil {
			return err
		}
		defer store.Close()
		if err := benchdata.CreateDefinitions(ctx, store); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "datagen: %d groups, %d attributes, %d form fields created in %s\n",
			len(benchdata.Groups), len(benchdata.Attributes), len(benchdata.FormFields), db)
		return nil
	}
	if n < 1 {
		return fmt.Errorf("-n must be 1 or more")
	}
	start := time.Now()
	size, err := benchdata.Write(os.Stdout, seed, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "datagen: %d customers, %.1f MiB in %s\n", n, float64(size)/(1<<20), time.Since(start).Round(time.Millisecond))
	return nil
}
