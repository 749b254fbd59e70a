-- Access (../API.md, Access): API tokens for admin tools, shopper sessions,
-- and the server's signing secret.

-- API tokens are shown once; only a SHA-256 of the token is kept (tokens are
-- 256 random bits, so a fast hash suffices).
CREATE TABLE api_tokens (
    id           BIGINT  PRIMARY KEY,
    name         TEXT COLLATE "C"    NOT NULL DEFAULT '',
    token_hash   TEXT COLLATE "C"    NOT NULL UNIQUE,
    scopes       TEXT COLLATE "C"    NOT NULL, -- comma-separated scope names
    date_created TEXT COLLATE "C"    NOT NULL,
    last_used    TEXT COLLATE "C",
    revoked_at   TEXT COLLATE "C"
);

-- A shopper session behind a customer access token (a signed JWT whose jti
-- is the session id). Logout revokes it; a password change ends every
-- session of the customer through customers.credentials_version.
CREATE TABLE customer_sessions (
    id           TEXT COLLATE "C"    PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel_id   BIGINT NOT NULL,
    impersonated_by BIGINT REFERENCES api_tokens (id) ON DELETE SET NULL,
    date_created TEXT COLLATE "C"    NOT NULL,
    expires_at   TEXT COLLATE "C"    NOT NULL,
    revoked_at   TEXT COLLATE "C"
);
CREATE INDEX customer_sessions_customer ON customer_sessions (customer_id);
CREATE INDEX customer_sessions_expires ON customer_sessions (expires_at);

-- Server secrets, made on first use (the token signing key).
CREATE TABLE secrets (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);

-- New ids (0001_init.sql).
CREATE FUNCTION api_tokens_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        SELECT COALESCE(max(id), 0) + 1 INTO NEW.id FROM api_tokens;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER api_tokens_id BEFORE INSERT ON api_tokens FOR EACH ROW EXECUTE FUNCTION api_tokens_rowid();
