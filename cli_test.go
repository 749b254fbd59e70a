package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
)

// TestImportExportCommands runs export and import as the command line does:
// an export of a demo store imported into a store without its customers
// exports the same bytes; a bad line is reported by file and line number.
func TestImportExportCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	for _, path := range []string{src, dst} {
		db, err := storage.Open(ctx, path, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SeedDemo(ctx, 40); err != nil {
			t.Fatal(err)
		}
		if path == dst {
			for id := 1; id <= 40; id += 10 {
				if _, err := db.DeleteCustomers(ctx, []int{id, id + 1, id + 2, id + 3, id + 4, id + 5, id + 6, id + 7, id + 8, id + 9}); err != nil {
					t.Fatal(err)
				}
			}
		}
		db.Close()
	}

	var out, errs bytes.Buffer
	if err := exportCmd(ctx, []string{"-db", src}, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errs.String(), "export: 40 customers") {
		t.Fatalf("stderr=%q", errs.String())
	}
	file := filepath.Join(dir, "customers.jsonl")
	lines := strings.SplitAfter(out.String(), "\n")
	bad := strings.Join(lines[:3], "") + "{not json}\n" + strings.Join(lines[3:], "")
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	errs.Reset()
	err := importCmd(ctx, []string{"-db", dst, file}, nil, &errs)
	if !errors.Is(err, errRejected) {
		t.Fatalf("import: %v, want some lines rejected", err)
	}
	if !strings.Contains(errs.String(), file+":4: ") || !strings.Contains(errs.String(), "41 lines, 40 imported, 1 rejected") {
		t.Fatalf("stderr=%q", errs.String())
	}
	var again bytes.Buffer
	if err := exportCmd(ctx, []string{"-db", dst}, &again, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if again.String() != out.String() {
		t.Fatal("the imported store exports differently")
	}
	if err := importCmd(ctx, []string{"-db", dst, "a", "b"}, nil, &errs); err == nil {
		t.Fatal("two files were accepted")
	}
}
