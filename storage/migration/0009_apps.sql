-- Apps (storefront sign-in the BigCommerce way): a registered app has a
-- client id and a client secret. The secret signs and verifies HS256 JWTs
-- (the Customer Login and Current Customer tokens), so it is kept as is,
-- like webhook secrets; it is shown once, at creation, and never logged.
CREATE TABLE apps (
    id            INTEGER PRIMARY KEY,
    client_id     TEXT    NOT NULL UNIQUE,
    client_secret TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    scopes        TEXT    NOT NULL, -- comma-separated API token scopes the app may use
    date_created  TEXT    NOT NULL,
    revoked_at    TEXT
);

-- The jti of every Customer Login token used, until the token could no
-- longer be accepted anyway: a replayed token is refused.
CREATE TABLE app_login_tokens (
    app_id     INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    jti        TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    PRIMARY KEY (app_id, jti)
);
CREATE INDEX app_login_tokens_expires ON app_login_tokens (expires_at);

-- The app whose Customer Login token began a session: revoking the app
-- ends them.
ALTER TABLE customer_sessions ADD COLUMN signed_in_by_app INTEGER REFERENCES apps (id) ON DELETE SET NULL;
