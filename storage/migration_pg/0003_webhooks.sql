-- Webhooks (../API.md, Events): registrations, and a delivery per event
-- and matching webhook with every attempt, so a restart loses nothing.

CREATE TABLE webhooks (
    id            BIGINT  PRIMARY KEY,
    scope         TEXT COLLATE "C"    NOT NULL, -- e.g. store/customer/created or store/customer/*
    destination   TEXT COLLATE "C"    NOT NULL,
    is_active     BIGINT NOT NULL DEFAULT 1,
    headers       TEXT COLLATE "C"    NOT NULL DEFAULT '{}', -- JSON object of custom headers
    -- The signing secret, whsec_ + base64; shown once, kept for signing.
    secret        TEXT COLLATE "C"    NOT NULL,
    -- When deliveries started failing without a success since; NULL when
    -- healthy. A webhook failing for too long is deactivated.
    failing_since TEXT COLLATE "C",
    deactivated_reason TEXT COLLATE "C" NOT NULL DEFAULT '',
    date_created  TEXT COLLATE "C"    NOT NULL,
    date_modified TEXT COLLATE "C"    NOT NULL
);

-- One row per event a webhook must receive. status: pending (due at
-- next_attempt_at), succeeded, or dead (the webhook was deactivated or the
-- retries ran out).
CREATE TABLE webhook_deliveries (
    id               BIGINT  PRIMARY KEY,
    webhook_id       BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         BIGINT NOT NULL REFERENCES events (id),
    status           TEXT COLLATE "C"    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'dead')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TEXT COLLATE "C",
    last_attempt_at  TEXT COLLATE "C",
    last_status_code BIGINT,
    last_duration_ms BIGINT,
    last_error       TEXT COLLATE "C"    NOT NULL DEFAULT '',
    date_created     TEXT COLLATE "C"    NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- Every attempt of every delivery.
CREATE TABLE webhook_attempts (
    id          BIGINT  PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number      BIGINT NOT NULL,
    at          TEXT COLLATE "C"    NOT NULL,
    status_code BIGINT,
    duration_ms BIGINT NOT NULL,
    error       TEXT COLLATE "C"    NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- How far the dispatcher has fanned the outbox out into deliveries.
CREATE TABLE outbox_cursor (
    name     TEXT COLLATE "C" PRIMARY KEY,
    event_id BIGINT NOT NULL
);
INSERT INTO outbox_cursor (name, event_id) VALUES ('webhooks', 0);

-- New ids (0001_init.sql).
CREATE FUNCTION webhooks_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        SELECT COALESCE(max(id), 0) + 1 INTO NEW.id FROM webhooks;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER webhooks_id BEFORE INSERT ON webhooks FOR EACH ROW EXECUTE FUNCTION webhooks_rowid();
CREATE FUNCTION webhook_deliveries_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        SELECT COALESCE(max(id), 0) + 1 INTO NEW.id FROM webhook_deliveries;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER webhook_deliveries_id BEFORE INSERT ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_rowid();
CREATE FUNCTION webhook_attempts_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        SELECT COALESCE(max(id), 0) + 1 INTO NEW.id FROM webhook_attempts;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER webhook_attempts_id BEFORE INSERT ON webhook_attempts FOR EACH ROW EXECUTE FUNCTION webhook_attempts_rowid();
