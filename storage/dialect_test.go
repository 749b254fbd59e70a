package storage

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/storefront/customers/storage/pgtest"
)

func TestPostgresText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"NoPlaceholders", `SELECT 1`, `SELECT 1`},
		{"Placeholders", `UPDATE t SET a = ?, b = ? WHERE id = ?`, `UPDATE t SET a = $1, b = $2 WHERE id = $3`},
		{"InList", `SELECT id FROM t WHERE ` + inList("t.id") + ` AND x = ?`, `SELECT id FROM t WHERE t.id = ANY($1) AND x = $2`},
		{"NotInList", `DELETE FROM t WHERE a = ? AND ` + notInList("channel_id"), `DELETE FROM t WHERE a = $1 AND channel_id <> ALL($2)`},
		{"Contains", `SELECT 1 WHERE (` + contains("c.name_fold") + ` OR ` + contains("c.name_fold") + `)`,
			`SELECT 1 WHERE (c.name_fold LIKE $1 OR c.name_fold LIKE $2)`},
		{"NoCase", `SELECT 1 ORDER BY c.last_name COLLATE NOCASE DESC, c.id`, `SELECT 1 ORDER BY lower(c.last_name) DESC, c.id`},
		{"NoCaseKeyset", `WHERE (c.last_name COLLATE NOCASE, c.id) > (? COLLATE NOCASE, ?)`, `WHERE (lower(c.last_name), c.id) > (lower($1 COLLATE "C"), $2)`},
		{"Char", `UPDATE m SET key = CHAR(1) || id WHERE id = ?`, `UPDATE m SET key = chr(1) || id WHERE id = $1`},
		{"Unlikely", `SELECT 1 WHERE ` + unlikely("c.date_created >= ?") + ` AND c.id > ?`,
			`SELECT 1 WHERE (c.date_created >= $1) AND c.id > $2`},
		{"UnlikelyNested", unlikely("v.form_field_id IN (SELECT id FROM f WHERE type = ? AND g(a, b) = 1)") + " AND " + unlikely("x <= ?"),
			"(v.form_field_id IN (SELECT id FROM f WHERE type = $1 AND g(a, b) = 1)) AND (x <= $2)"},
		{"LiteralsKept", `SELECT '?', 'it''s ?', "col?" FROM t WHERE a = ?`, `SELECT '?', 'it''s ?', "col?" FROM t WHERE a = $1`},
		{"CommentsKept", "SELECT a -- why? instr(\nFROM t /* likelihood(? */ WHERE b = ?", "SELECT a -- why? instr(\nFROM t /* likelihood(? */ WHERE b = $1"},
		{"LongerNamesKept", `SELECT my_instr(a, ?), t.likelihood(b), xlikelihood(c)`, `SELECT my_instr(a, $1), t.likelihood(b), xlikelihood(c)`},
		{"UnterminatedLiteral", `SELECT 'abc ?`, `SELECT 'abc ?`},
		{"ManyPlaceholders", `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := postgresText(tt.in); got != tt.want {
				t.Fatalf("postgresText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("Cached", func(t *testing.T) {
		var d postgresDialect
		stmt := `SELECT a FROM t WHERE b = ?`
		first := d.statement(stmt)
		if got := d.statement(stmt); got != first || got != `SELECT a FROM t WHERE b = $1` {
			t.Fatalf("statement=%q then %q", first, got)
		}
		n := 0
		d.texts.Range(func(_, _ any) bool { n++; return true })
		if n != 1 {
			t.Fatalf("cache holds %d texts, want 1", n)
		}
	})
}

func TestDialectArgs(t *testing.T) {
	yes := true
	args := []any{1, listArg([]int{3, 1}), "x", listArg([]string{"a", "b"}), listArg([]int(nil)), substringArg(`50%_\`), true, false, (*bool)(nil), &yes}
	if got := (sqliteDialect{}).args(args); !reflect.DeepEqual(got, args) {
		t.Fatalf("sqlite args=%#v, want them unchanged", got)
	}
	var d postgresDialect
	got := d.args(args)
	want := []any{1, []int64{3, 1}, "x", []string{"a", "b"}, []int64{}, `%50\%\_\\%`, int64(1), int64(0), nil, int64(1)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("postgres args=%#v, want %#v", got, want)
	}
	if _, ok := args[1].(intList); !ok {
		t.Fatalf("postgres args changed the caller's slice: %#v", args[1])
	}
	plain := []any{1, "a"}
	if got := d.args(plain); &got[0] != &plain[0] {
		t.Fatal("args without lists were copied")
	}
}

// TestPostgresDialect runs statements written with the store's helpers,
// through the PostgreSQL dialect, on a real server, and classifies its
// errors as the store does SQLite's.
func TestPostgresDialect(t *testing.T) {
	t.Parallel()
	pg, err := sql.Open("pgx", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	ctx := context.Background()
	d := &postgresDialect{}
	exec := func(stmt string, args ...any) error {
		_, err := pg.ExecContext(ctx, d.statement(stmt), d.args(args)...)
		return err
	}
	ints := func(stmt string, args ...any) []int {
		t.Helper()
		rows, err := pg.QueryContext(ctx, d.statement(stmt), d.args(args)...)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		defer rows.Close()
		out := []int{}
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Ints(out)
		return out
	}
	for _, stmt := range []string{
		`CREATE TABLE g (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL)`,
		`CREATE TABLE c (id BIGSERIAL PRIMARY KEY, email_fold TEXT NOT NULL UNIQUE, name_fold TEXT NOT NULL,
			group_id BIGINT REFERENCES g (id), age INTEGER CHECK (age >= 0))`,
	} {
		if err := exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := exec(`INSERT INTO g (name) VALUES (?)`, "Retail"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		email, name string
		age         int
	}{{"a@x", "ann smith", 30}, {"b@x", "bob?", 40}, {"c@x", "50% off", 50}, {"d@x", "o'neil", 60}} {
		if err := exec(`INSERT INTO c (email_fold, name_fold, group_id, age) VALUES (?, ?, ?, ?)`, c.email, c.name, 1, c.age); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("InList", func(t *testing.T) {
		if got, want := ints(`SELECT id FROM c WHERE `+inList("id"), listArg([]int{1, 3, 99})), []int{1, 3}; !reflect.DeepEqual(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		if got, want := ints(`SELECT id FROM c WHERE `+inList("email_fold")+` AND age > ?`, listArg([]string{"b@x", "c@x", "'; DROP TABLE c; --"}), 45), []int{3}; !reflect.DeepEqual(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		if got := ints(`SELECT id FROM c WHERE `+inList("id"), listArg([]int{})); len(got) != 0 {
			t.Fatalf("an empty list matched %v", got)
		}
		if got, want := ints(`SELECT id FROM c WHERE `+notInList("id"), listArg([]int{2, 4})), []int{1, 3}; !reflect.DeepEqual(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
		if got, want := ints(`SELECT id FROM c WHERE `+notInList("id"), listArg([]int{})), []int{1, 2, 3, 4}; !reflect.DeepEqual(got, want) {
			t.Fatalf("NOT IN an empty list: ids=%v, want %v", got, want)
		}
	})
	t.Run("WhereBuilder", func(t *testing.T) {
		var w where
		in(&w, "id", []int{1, 2, 3})
		anyContains(&w, "name_fold", []string{"SMITH", "?"})
		w.add(unlikely("age >= ?"), 30)
		if got, want := ints(`SELECT id FROM c`+w.sql(), w.args...), []int{1, 2}; !reflect.DeepEqual(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
	})
	t.Run("ContainsIsLiteral", func(t *testing.T) {
		for _, tt := range []struct {
			sub  string
			want []int
		}{{"%", []int{3}}, {"_", []int{}}, {"'", []int{4}}, {"smith", []int{1}}, {"", []int{1, 2, 3, 4}}, {`\`, []int{}}, {"0% o", []int{3}}} {
			if got := ints(`SELECT id FROM c WHERE `+contains("name_fold"), substringArg(tt.sub)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("contains %q: ids=%v, want %v", tt.sub, got, tt.want)
			}
		}
	})
	t.Run("ErrorClasses", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			stmt  string
			args  []any
			class errClass
			code  string
		}{
			{"Unique", `INSERT INTO c (email_fold, name_fold) VALUES (?, ?)`, []any{"a@x", "dup"}, errUnique, ECONFLICT},
			{"PrimaryKey", `INSERT INTO g (id, name) VALUES (?, ?)`, []any{1, "again"}, errUnique, ECONFLICT},
			{"ForeignKey", `INSERT INTO c (email_fold, name_fold, group_id) VALUES (?, ?, ?)`, []any{"z@x", "z", 42}, errForeignKey, ENOTFOUND},
			{"Check", `UPDATE c SET age = ? WHERE id = ?`, []any{-1, 1}, errCheck, EINVALID},
			{"NotNull", `INSERT INTO g (name) VALUES (?)`, []any{nil}, errCheck, EINVALID},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := exec(tt.stmt, tt.args...)
				if got := classify(err); got != tt.class {
					t.Fatalf("classify(%v)=%d, want %d", err, got, tt.class)
				}
				if got := ErrorCode(formatError(err)); got != tt.code {
					t.Fatalf("code=%s, want %s", got, tt.code)
				}
			})
		}
		t.Run("ReadOnly", func(t *testing.T) {
			tx, err := pg.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			_, err = tx.ExecContext(ctx, d.statement(`UPDATE c SET age = ? WHERE id = ?`), 1, 1)
			if got := classify(err); got != errReadOnly {
				t.Fatalf("classify(%v)=%d, want errReadOnly", err, got)
			}
			if got := ErrorCode(formatError(err)); got != EUNAVAILABLE {
				t.Fatalf("code=%s, want %s", got, EUNAVAILABLE)
			}
		})
		t.Run("Other", func(t *testing.T) {
			err := exec(`SELECT no_such_column FROM c`)
			if err == nil || classify(err) != errOther {
				t.Fatalf("classify(%v)=%d, want errOther", err, classify(err))
			}
			if !errors.Is(formatError(err), err) {
				t.Fatal("formatError changed an unclassified error")
			}
		})
	})
}
