package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
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

// tokenCmd manages API tokens: create (prints the token, and nothing
// else, on stdout), list and revoke.
func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := "usage: customers token create -scopes S[,S] [-name N] [-db FILE] | token list [-db FILE] | token revoke [-db FILE] ID"
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("DB_PATH", "customers.db"), "SQLite database file (env DB_PATH)")
	var scopes, name *string
	if args[0] == "create" {
		scopes = fs.String("scopes", "", "comma-separated scopes: "+strings.Join(storage.Scopes, ", "))
		name = fs.String("name", "", "a name to tell the token by in `token list`")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	store, err := storage.Open(ctx, *db, storage.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	switch args[0] {
	case "create":
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected argument %q; %s", fs.Arg(0), usage)
		}
		var list []string
		for _, s := range strings.Split(*scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		token, _, err := store.CreateToken(ctx, *name, list)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	case "list":
		tokens, err := store.ListTokens(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tREVOKED")
		for _, t := range tokens {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","),
				storage.FormatTime(t.DateCreated), orDash(t.LastUsed), orDash(t.RevokedAt))
		}
		return w.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return fmt.Errorf("%s", usage)
		}
		id, err := strconv.Atoi(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("%q is not a token id", fs.Arg(0))
		}
		if err := store.RevokeToken(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "token %d revoked\n", id)
		return nil
	}
	return fmt.Errorf("unknown token command %q; %s", args[0], usage)
}

func orDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return storage.FormatTime(*t)
}
