-- Apps (storefront sign-in the BigCommerce way): a registered app has a
-- client id and a client secret. The secret signs and verifies HS256 JWTs
-- (the Customer Login and Current Customer tokens), so it is kept as is,
-- like webhook secrets; it is shown once, at creation, and never logged.
CREATE TABLE apps (
    id            BIGINT  PRIMARY KEY,
    client_id     TEXT COLLATE "C"    NOT NULL UNIQUE,
    client_secret TEXT COLLATE "C"    NOT NULL,
    name          TEXT COLLATE "C"    NOT NULL,
    scopes        TEXT COLLATE "C"    NOT NULL, -- comma-separated API token scopes the app may use
    date_created  TEXT COLLATE "C"    NOT NULL,
    revoked_at    TEXT COLLATE "C"
);

-- The jti of every Customer Login token used, until the token could no
-- longer be accepted anyway: a replayed token is refused.
CREATE TABLE app_login_tokens (
    app_id     BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    jti        TEXT COLLATE "C"    NOT NULL,
    expires_at TEXT COLLATE "C"    NOT NULL,
    PRIMARY KEY (app_id, jti)
);
CREATE INDEX app_login_tokens_expires ON app_login_tokens (expires_at);

-- The app whose Customer Login token began a session: revoking the app
-- ends them.
ALTER TABLE customer_sessions ADD COLUMN signed_in_by_app BIGINT REFERENCES apps (id) ON DELETE SET NULL;

-- New ids (0001_init.sql).
CREATE FUNCTION apps_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        SELECT COALESCE(max(id), 0) + 1 INTO NEW.id FROM apps;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER apps_id BEFORE INSERT ON apps FOR EACH ROW EXECUTE FUNCTION apps_rowid();
