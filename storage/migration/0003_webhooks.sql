-- Webhooks (../API.md, Events): registrations, and a delivery per event
-- and matching webhook with every attempt, so a restart loses nothing.

CREATE TABLE webhooks (
    id            INTEGER PRIMARY KEY,
    scope         TEXT    NOT NULL, -- e.g. store/customer/created or store/customer/*
    destination   TEXT    NOT NULL,
    is_active     INTEGER NOT NULL DEFAULT 1,
    headers       TEXT    NOT NULL DEFAULT '{}', -- JSON object of custom headers
    -- The signing secret, whsec_ + base64; shown once, kept for signing.
    secret        TEXT    NOT NULL,
    -- When deliveries started failing without a success since; NULL when
    -- healthy. A webhook failing for too long is deactivated.
    failing_since TEXT,
    deactivated_reason TEXT NOT NULL DEFAULT '',
    date_created  TEXT    NOT NULL,
    date_modified TEXT    NOT NULL
);

-- One row per event a webhook must receive. status: pending (due at
-- next_attempt_at), succeeded, or dead (the webhook was deactivated or the
-- retries ran out).
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL REFERENCES events (id),
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    last_attempt_at  TEXT,
    last_status_code INTEGER,
    last_duration_ms INTEGER,
    last_error       TEXT    NOT NULL DEFAULT '',
    date_created     TEXT    NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- Every attempt of every delivery.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- How far the dispatcher has fanned the outbox out into deliveries.
CREATE TABLE outbox_cursor (
    name     TEXT PRIMARY KEY,
    event_id INTEGER NOT NULL
);
INSERT INTO outbox_cursor (name, event_id) VALUES ('webhooks', 0);
