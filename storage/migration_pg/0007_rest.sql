-- The BigCommerce-compatible REST API (README, REST): customer metafields,
-- the format and owner of webhooks, and subscribers' consents.

-- Customer metafields (V3 /customers/{id}/metafields): free key-value data
-- that an API token keeps on a customer. A metafield belongs to the token
-- that created it; permission_set says who else may read or change it.
CREATE TABLE customer_metafields (
    id             BIGINT  PRIMARY KEY,
    customer_id    BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    owner_token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    namespace      TEXT COLLATE "C"    NOT NULL,
    key            TEXT COLLATE "C"    NOT NULL,
    value          TEXT COLLATE "C"    NOT NULL,
    description    TEXT COLLATE "C"    NOT NULL DEFAULT '',
    permission_set TEXT COLLATE "C"    NOT NULL CHECK (permission_set IN ('app_only', 'read', 'write', 'read_and_sf_access', 'write_and_sf_access')),
    date_created   TEXT COLLATE "C"    NOT NULL,
    date_modified  TEXT COLLATE "C"    NOT NULL
);
-- One metafield per owner, namespace and key on a customer.
CREATE UNIQUE INDEX customer_metafields_key ON customer_metafields (customer_id, owner_token_id, namespace, key);
CREATE INDEX customer_metafields_owner ON customer_metafields (owner_token_id);
CREATE INDEX customer_metafields_namespace ON customer_metafields (namespace);
CREATE INDEX customer_metafields_date_created ON customer_metafields (date_created);
CREATE INDEX customer_metafields_date_modified ON customer_metafields (date_modified);

-- How a webhook's requests look: standard_webhooks (signed, the default
-- through GraphQL) or bigcommerce (BigCommerce's own, authenticated by the
-- custom headers, with its retry schedule; the default through REST
-- /v3/hooks). owner_token_id is the API token that registered it through
-- REST, whose /v3/hooks lists it.
ALTER TABLE webhooks ADD COLUMN format TEXT COLLATE "C" NOT NULL DEFAULT 'standard_webhooks'
    CHECK (format IN ('standard_webhooks', 'bigcommerce'));
ALTER TABLE webhooks ADD COLUMN owner_token_id BIGINT REFERENCES api_tokens (id) ON DELETE SET NULL;
CREATE INDEX webhooks_owner ON webhooks (owner_token_id);

-- The newsletters a subscriber gets (V3 subscriber `consents`): a JSON
-- array of marketing_newsletter and abandoned_cart.
ALTER TABLE subscribers ADD COLUMN consents TEXT COLLATE "C" NOT NULL DEFAULT '[]';

-- The addresses told when a token's webhook is turned off (V3 /hooks/admin).
CREATE TABLE webhook_notification_emails (
    owner_token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    email          TEXT COLLATE "C"    NOT NULL,
    PRIMARY KEY (owner_token_id, email)
);

-- New ids (0001_init.sql).
CREATE TRIGGER customer_metafields_id BEFORE INSERT ON customer_metafields FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
