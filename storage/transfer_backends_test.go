package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/storefront/customers/bench/benchdata"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// TestImportBackendsAgree imports the same lines into each backend (on
// PostgreSQL by COPY, on SQLite by INSERT statements) and checks that the
// two report the same problems, at the same lines, and export the same
// bytes: ids, dates, relations, and the ids given after the import (the
// sequences passed the imported ids). The lines span two batches, each
// with bad lines that write nothing of themselves while the others of
// their batch are written.
func TestImportBackendsAgree(t *testing.T) {
	ctx := context.Background()
	n := storage.ImportBatch + 60
	var gen bytes.Buffer
	if _, err := benchdata.Write(&gen, 20261203, n); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(gen.String(), "\n"), "\n")
	decode := func(i int) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	encode := func(i int, m map[string]any) {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		lines[i] = string(b)
	}
	// A line that gives a form field twice is refused (CONFLICT).
	twice := -1
	for i := 10; i < len(lines) && twice < 0; i++ {
		m := decode(i)
		if fs, _ := m["form_fields"].([]any); len(fs) > 0 {
			m["form_fields"] = append(fs, fs[0])
			encode(i, m)
			twice = i
		}
	}
	if twice < 0 {
		t.Fatal("no line with a form field value to give twice")
	}
	// Bad lines: one of the first batch takes the email of line 1 (in
	// another case), one of the second names no country.
	first := decode(0)
	m := decode(5)
	m["email"] = strings.ToUpper(first["email"].(string))
	encode(5, m)
	m = decode(storage.ImportBatch + 10)
	as, _ := m["addresses"].([]any)
	if len(as) == 0 {
		t.Fatalf("line %d has no address", storage.ImportBatch+11)
	}
	as[0].(map[string]any)["country_code"] = "ZZ"
	encode(storage.ImportBatch+10, m)
	input := strings.Join(lines, "\n") + "\n"

	transcripts := map[string]string{}
	statements := map[string]int64{}
	storagetest.EachBackend(t, func(t *testing.T, db *storage.DB) {
		if err := benchdata.CreateDefinitions(ctx, db); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		var stats storage.Stats
		st, err := db.Import(storage.WithStats(ctx, &stats), strings.NewReader(input),
			func(p storage.ImportProblem) { fmt.Fprintf(&out, "problem %v\n", p) }, nil)
		if err != nil {
			t.Fatal(err)
		}
		statements[t.Name()[strings.LastIndex(t.Name(), "/")+1:]] = stats.Statements()
		fmt.Fprintf(&out, "stats %+v\n", st)
		if st.Imported != n-3 || st.Rejected != 3 {
			t.Fatalf("import: %+v\n%s", st, out.String())
		}
		more, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "after@example.com", FirstName: "A", LastName: "B",
			Addresses: []storage.AddressInput{{FirstName: "A", LastName: "B", Address1: "1 Main", City: "Austin",
				StateOrProvince: "Texas", PostalCode: "78701", CountryCode: "US"}}}})
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(mustExport(t, db, true))
		transcripts[t.Name()[strings.LastIndex(t.Name(), "/")+1:]] = out.String()
		if more[0].ID != n+1 {
			t.Errorf("the customer created after the import has the id %d, want %d", more[0].ID, n+1)
		}
	})
	sqlite, pg := transcripts["sqlite"], transcripts["postgres"]
	for _, want := range []string{"problem line 6: email: ", fmt.Sprintf("problem line %d: form_fields.", twice+1),
		fmt.Sprintf("problem line %d: addresses.0.country_code: ", storage.ImportBatch+11)} {
		if !strings.Contains(sqlite, want) {
			t.Errorf("the SQLite import reports no %q:\n%.2000s", want, sqlite)
		}
	}
	if pg == "" {
		return // skipped
	}
	t.Logf("statements of the import: %v", statements)
	if sqlite != pg {
		a, b := strings.Split(sqlite, "\n"), strings.Split(pg, "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("the backends differ at line %d of the transcript:\nsqlite:   %.1500s\npostgres: %.1500s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("the backends' transcripts differ in length: %d and %d lines", len(a), len(b))
	}
}
