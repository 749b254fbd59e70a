-- Access (../API.md, Access): API tokens for admin tools, shopper sessions,
-- and the server's signing secret.

-- API tokens are shown once; only a SHA-256 of the token is kept (tokens are
-- 256 random bits, so a fast hash suffices).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL DEFAULT '',
    token_hash   TEXT    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL, -- comma-separated scope names
    date_created TEXT    NOT NULL,
    last_used    TEXT,
    revoked_at   TEXT
);

-- A shopper session behind a customer access token (a signed JWT whose jti
-- is the session id). Logout revokes it; a password change ends every
-- session of the customer through customers.credentials_version.
CREATE TABLE customer_sessions (
    id           TEXT    PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL,
    impersonated_by INTEGER REFERENCES api_tokens (id) ON DELETE SET NULL,
    date_created TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX customer_sessions_customer ON customer_sessions (customer_id);
CREATE INDEX customer_sessions_expires ON customer_sessions (expires_at);

-- Server secrets, made on first use (the token signing key).
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
