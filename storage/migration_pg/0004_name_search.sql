-- name:like through a trigram index (pg_trgm): the store's substring test
-- on name_fold runs as LIKE '%term%', which a GIN trigram index serves.
-- SQLite's counterpart is an FTS5 trigram table.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX customers_name_trigrams ON customers USING gin (name_fold gin_trgm_ops);
