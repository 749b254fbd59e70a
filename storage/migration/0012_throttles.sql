-- Token buckets shared by the replicas on one database (password checks).
-- SQLite serves one process per file, whose buckets are in memory: the
-- table stays empty here, the twin of migration_pg/0012_throttles.sql.
CREATE TABLE throttle_buckets (
    key    TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at     REAL NOT NULL
);
CREATE INDEX throttle_buckets_at ON throttle_buckets (at);
