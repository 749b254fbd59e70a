package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/storefront/customers/storage"
)

// errRejected reports that an import rejected some lines; the others were
// imported.
var errRejected = errors.New("some lines were rejected")

// importCmd loads customers from V3 JSON lines (a file, or stdin), reports
// each rejected line with its number and reason on stderr, with progress.
func importCmd(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("DB_PATH", "customers.db"), "SQLite database file (env DB_PATH)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: customers import [-db FILE] [FILE.jsonl]   (stdin without a file)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := stdin
	name := "stdin"
	if fs.NArg() > 1 {
		return fmt.Errorf("import takes one file, not %d", fs.NArg())
	}
	if fs.NArg() == 1 {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, fs.Arg(0)
	}
	store, err := storage.Open(ctx, *db, storage.Options{})
	if err != nil {
		return err
	}
	defer store.Close()

	start := time.Now()
	last := start
	st, err := store.Import(ctx, in,
		func(p storage.ImportProblem) { fmt.Fprintf(stderr, "%s:%d: %v\n", name, p.Line, p.Err) },
		func(st storage.ImportStats) {
			if time.Since(last) >= time.Second {
				last = time.Now()
				fmt.Fprintf(stderr, "import: %d lines, %d imported, %d rejected, %.0f lines/s\n",
					st.Lines, st.Imported, st.Rejected, float64(st.Lines)/time.Since(start).Seconds())
			}
		})
	fmt.Fprintf(stderr, "import: done in %s: %d lines, %d imported, %d rejected\n",
		time.Since(start).Round(time.Millisecond), st.Lines, st.Imported, st.Rejected)
	if err != nil {
		return err
	}
	if st.Rejected > 0 {
		return errRejected
	}
	return nil
}

// exportCmd writes every customer as a V3 JSON line on stdout.
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("DB_PATH", "customers.db"), "SQLite database file (env DB_PATH)")
	hashes := fs.Bool("include-password-hashes", false, "also write each customer's password hash (argon2id), so an import keeps sign-in working; treat the file as a secret")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	store, err := storage.Open(ctx, *db, storage.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.Export(ctx, stdout, *hashes)
	fmt.Fprintf(stderr, "export: %d customers\n", n)
	return err
}
