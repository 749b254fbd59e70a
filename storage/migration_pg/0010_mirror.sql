-- Facade mode: where the mirror of an upstream store stands (sync
-- checkpoints, the last full sync, the reconciliation's high-water mark),
-- one value a name. As migration/0010_mirror.sql.
CREATE TABLE mirror_state (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);
