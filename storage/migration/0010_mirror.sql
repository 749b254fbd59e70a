-- Facade mode: where the mirror of an upstream store stands (sync
-- checkpoints, the last full sync, the reconciliation's high-water mark),
-- one value a name.
CREATE TABLE mirror_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
