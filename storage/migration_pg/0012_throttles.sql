-- Token buckets shared by the replicas on one database (password checks):
-- a bucket's tokens as of `at` (seconds since 1970, the database's clock).
-- Keys are hashes. As migration/0012_throttles.sql.
CREATE TABLE throttle_buckets (
    key    TEXT COLLATE "C" PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at     DOUBLE PRECISION NOT NULL
);
CREATE INDEX throttle_buckets_at ON throttle_buckets (at);
