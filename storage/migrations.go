package storage

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// Migration is one schema migration and whether the store has it.
type Migration struct {
	Name string
	// AppliedAt is when it was applied; nil when pending.
	AppliedAt *time.Time
	// Known is false for a migration the store records but this binary
	// does not embed (a newer binary applied it).
	Known bool
}

// MigrationStatus lists the migrations of the store at path (a file, or a
// postgres:// URL), the embedded ones and any others it records, by name,
// without changing the store (Open applies the pending ones). The file
// must exist.
func MigrationStatus(ctx context.Context, path string) ([]Migration, error) {
	driver, source, dir := "sqlite", dsn(path, true), "migration"
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if IsPostgresURL(path) {
		driver, source, dir = "pgx", path, "migration_pg"
		exists = `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'`
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	defer db.Close()
	byName := map[string]*Migration{}
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			byName[e.Name()] = &Migration{Name: e.Name(), Known: true}
		}
	}
	var tables int
	if err := db.QueryRowContext(ctx, exists).Scan(&tables); err != nil {
		return nil, fmt.Errorf("migration status: %w", formatError(err))
	}
	if tables > 0 {
		rows, err := db.QueryContext(ctx, `SELECT name, applied_at FROM schema_migrations`)
		if err != nil {
			return nil, fmt.Errorf("migration status: %w", formatError(err))
		}
		defer rows.Close()
		for rows.Next() {
			var name, at string
			if err := rows.Scan(&name, &at); err != nil {
				return nil, fmt.Errorf("migration status: %w", err)
			}
			t, err := parseTime(at)
			if err != nil {
				return nil, fmt.Errorf("migration status: %s: %w", name, err)
			}
			m := byName[name]
			if m == nil {
				m = &Migration{Name: name}
				byName[name] = m
			}
			m.AppliedAt = &t
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("migration status: %w", err)
		}
	}
	out := make([]Migration, 0, len(byName))
	for _, m := range byName {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
