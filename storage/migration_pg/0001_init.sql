-- PostgreSQL's counterpart of migration/0001_init.sql: the same tables,
-- columns and indexes. Text compares byte by byte (COLLATE "C"), as in
-- SQLite; integers are BIGINT, as SQLite's are 64-bit.
--
-- Ids come as SQLite gives them. The tables whose ids are never given again
-- (SQLite's AUTOINCREMENT) keep the largest id given in id_sequences (SQLite's
-- sqlite_sequence) in id_sequences; the others take the largest present
-- plus one (SQLite's rowid), each table's own function, whose static
-- statement stays planned. An explicit id is kept. Writers are serialized
-- (an advisory lock per write transaction), so neither can race, and both
-- roll back with their transaction, as SQLite's do.
CREATE TABLE id_sequences (
    name TEXT COLLATE "C" PRIMARY KEY,
    seq  BIGINT NOT NULL
);

CREATE FUNCTION autoincrement_id() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next BIGINT;
BEGIN
    IF NEW.id IS NULL THEN
        UPDATE id_sequences SET seq = seq + 1 WHERE name = TG_TABLE_NAME RETURNING seq INTO next;
        IF next IS NULL THEN
            INSERT INTO id_sequences (name, seq) VALUES (TG_TABLE_NAME, 1) RETURNING seq INTO next;
        END IF;
        NEW.id := next;
    ELSE
        UPDATE id_sequences SET seq = NEW.id WHERE name = TG_TABLE_NAME AND seq < NEW.id;
        INSERT INTO id_sequences (name, seq) VALUES (TG_TABLE_NAME, NEW.id) ON CONFLICT (name) DO NOTHING;
    END IF;
    RETURN NEW;
END
$$;

-- The customer domain (domain/customers-spec.md §1, §4). Dates are TEXT in
-- fixed-width UTC (2019-02-19T18:34:16Z), so they compare as text. Money is
-- BIGINT ten-thousandths of the currency unit (V2 shows four decimals),
-- never REAL. *_fold columns hold Fold()ed text for case-insensitive,
-- Unicode-aware matching, written by the store beside the original. Ids
-- that events and clients refer to are AUTOINCREMENT: a deleted record's id
-- is never given to a new one.

CREATE TABLE customer_groups (
    id                  BIGINT  PRIMARY KEY,
    name                TEXT COLLATE "C"    NOT NULL,
    name_fold           TEXT COLLATE "C"    NOT NULL,
    is_default          BIGINT NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    is_group_for_guests BIGINT NOT NULL DEFAULT 0 CHECK (is_group_for_guests IN (0, 1)),
    -- V2 category_access: type and, for 'specific', a JSON array of ids.
    category_access_type       TEXT COLLATE "C" NOT NULL DEFAULT 'all' CHECK (category_access_type IN ('all', 'specific', 'none')),
    category_access_categories TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    -- V2 discount_rules, replaced whole on update: a JSON array of rules
    -- whose amounts are decimal strings.
    discount_rules      TEXT COLLATE "C"    NOT NULL DEFAULT '[]',
    date_created        TEXT COLLATE "C"    NOT NULL,
    date_modified       TEXT COLLATE "C"    NOT NULL
);
CREATE UNIQUE INDEX customer_groups_name ON customer_groups (name_fold);
-- At most one default group and one guest group (../API.md decision 13).
CREATE UNIQUE INDEX customer_groups_one_default ON customer_groups (is_default) WHERE is_default = 1;
CREATE UNIQUE INDEX customer_groups_one_guest ON customer_groups (is_group_for_guests) WHERE is_group_for_guests = 1;

CREATE TABLE customers (
    id                      BIGINT  PRIMARY KEY,
    email                   TEXT COLLATE "C"    NOT NULL,
    email_fold              TEXT COLLATE "C"    NOT NULL,
    first_name              TEXT COLLATE "C"    NOT NULL,
    last_name               TEXT COLLATE "C"    NOT NULL,
    -- Fold(first_name || ' ' || last_name), for name:in and name:like.
    name_fold               TEXT COLLATE "C"    NOT NULL,
    company                 TEXT COLLATE "C"    NOT NULL DEFAULT '',
    phone                   TEXT COLLATE "C"    NOT NULL DEFAULT '',
    notes                   TEXT COLLATE "C"    NOT NULL DEFAULT '',
    tax_exempt_category     TEXT COLLATE "C"    NOT NULL DEFAULT '',
    registration_ip_address TEXT COLLATE "C"    NOT NULL DEFAULT '',
    customer_group_id       BIGINT REFERENCES customer_groups (id) ON DELETE SET NULL,
    accepts_product_review_abandoned_cart_emails BIGINT NOT NULL DEFAULT 0,
    origin_channel_id       BIGINT NOT NULL DEFAULT 1,
    -- JSON array of channel ids; NULL means global access.
    channel_ids             TEXT COLLATE "C",
    -- A slow-KDF hash; NULL means the customer cannot sign in.
    password_hash           TEXT COLLATE "C",
    force_password_reset    BIGINT NOT NULL DEFAULT 0,
    -- Bumped whenever the password changes, so tokens issued before expire.
    credentials_version     BIGINT NOT NULL DEFAULT 0,
    date_created            TEXT COLLATE "C"    NOT NULL,
    date_modified           TEXT COLLATE "C"    NOT NULL
);
CREATE UNIQUE INDEX customers_email ON customers (email_fold);
CREATE INDEX customers_group ON customers (customer_group_id);
CREATE INDEX customers_date_created ON customers (date_created);
CREATE INDEX customers_date_modified ON customers (date_modified);
CREATE INDEX customers_last_name ON customers (lower(last_name) COLLATE "C");
CREATE INDEX customers_name ON customers (name_fold);
CREATE INDEX customers_company ON customers (company);
CREATE INDEX customers_phone ON customers (phone);
CREATE INDEX customers_registration_ip ON customers (registration_ip_address);

CREATE TABLE customer_addresses (
    id                BIGINT  PRIMARY KEY,
    customer_id       BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    first_name        TEXT COLLATE "C"    NOT NULL,
    last_name         TEXT COLLATE "C"    NOT NULL,
    name_fold         TEXT COLLATE "C"    NOT NULL,
    company           TEXT COLLATE "C"    NOT NULL DEFAULT '',
    address1          TEXT COLLATE "C"    NOT NULL,
    address2          TEXT COLLATE "C"    NOT NULL DEFAULT '',
    city              TEXT COLLATE "C"    NOT NULL,
    state_or_province TEXT COLLATE "C"    NOT NULL DEFAULT '',
    postal_code       TEXT COLLATE "C"    NOT NULL DEFAULT '',
    country_code      TEXT COLLATE "C"    NOT NULL,
    phone             TEXT COLLATE "C"    NOT NULL DEFAULT '',
    address_type      TEXT COLLATE "C"    NOT NULL DEFAULT 'residential' CHECK (address_type IN ('residential', 'commercial'))
);
CREATE INDEX customer_addresses_customer ON customer_addresses (customer_id);
CREATE INDEX customer_addresses_company ON customer_addresses (company);
CREATE INDEX customer_addresses_name ON customer_addresses (name_fold);

CREATE TABLE customer_attributes (
    id            BIGINT  PRIMARY KEY,
    name          TEXT COLLATE "C"    NOT NULL,
    name_fold     TEXT COLLATE "C"    NOT NULL,
    type          TEXT COLLATE "C"    NOT NULL CHECK (type IN ('string', 'number', 'date')),
    date_created  TEXT COLLATE "C"    NOT NULL,
    date_modified TEXT COLLATE "C"    NOT NULL
);
CREATE UNIQUE INDEX customer_attributes_name ON customer_attributes (name);

CREATE TABLE customer_attribute_values (
    id            BIGINT  PRIMARY KEY,
    customer_id   BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    attribute_id  BIGINT NOT NULL REFERENCES customer_attributes (id) ON DELETE CASCADE,
    value         TEXT COLLATE "C"    NOT NULL,
    date_created  TEXT COLLATE "C"    NOT NULL,
    date_modified TEXT COLLATE "C"    NOT NULL,
    -- One value per customer and attribute: the upsert key (../API.md decision 9).
    UNIQUE (customer_id, attribute_id)
);
CREATE INDEX customer_attribute_values_attribute ON customer_attribute_values (attribute_id);
CREATE INDEX customer_attribute_values_date_created ON customer_attribute_values (date_created);
CREATE INDEX customer_attribute_values_date_modified ON customer_attribute_values (date_modified);

CREATE TABLE customer_form_fields (
    id            BIGINT  PRIMARY KEY,
    name          TEXT COLLATE "C"    NOT NULL,
    label         TEXT COLLATE "C"    NOT NULL DEFAULT '',
    type          TEXT COLLATE "C"    NOT NULL CHECK (type IN ('text', 'multiline', 'password', 'date', 'numbers', 'checkboxes', 'radiobuttons', 'picklist')),
    applies_to    TEXT COLLATE "C"    NOT NULL CHECK (applies_to IN ('customer', 'address')),
    required      BIGINT NOT NULL DEFAULT 0,
    -- JSON array of the allowed choices (checkboxes, radiobuttons, picklist).
    options       TEXT COLLATE "C"    NOT NULL DEFAULT '[]',
    date_created  TEXT COLLATE "C"    NOT NULL,
    date_modified TEXT COLLATE "C"    NOT NULL
);
CREATE UNIQUE INDEX customer_form_fields_name ON customer_form_fields (name);

CREATE TABLE customer_form_field_values (
    id            BIGINT  PRIMARY KEY,
    form_field_id BIGINT NOT NULL REFERENCES customer_form_fields (id) ON DELETE CASCADE,
    customer_id   BIGINT REFERENCES customers (id) ON DELETE CASCADE,
    address_id    BIGINT REFERENCES customer_addresses (id) ON DELETE CASCADE,
    -- JSON: a string, a number or an array of strings.
    value         TEXT COLLATE "C"    NOT NULL,
    CHECK ((customer_id IS NULL) <> (address_id IS NULL))
);
-- The upsert keys: (customer, field) and (address, field) (../API.md decision 10).
CREATE UNIQUE INDEX customer_form_field_values_customer ON customer_form_field_values (customer_id, form_field_id) WHERE customer_id IS NOT NULL;
CREATE UNIQUE INDEX customer_form_field_values_address ON customer_form_field_values (address_id, form_field_id) WHERE address_id IS NOT NULL;
CREATE INDEX customer_form_field_values_field ON customer_form_field_values (form_field_id);

CREATE TABLE customer_consent (
    customer_id BIGINT PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    allow       TEXT COLLATE "C"    NOT NULL DEFAULT '[]', -- JSON array of categories
    deny        TEXT COLLATE "C"    NOT NULL DEFAULT '[]',
    updated_at  TEXT COLLATE "C"    NOT NULL
);

CREATE TABLE customer_store_credit (
    id          BIGINT  PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    amount      BIGINT NOT NULL -- ten-thousandths of the currency unit
);
CREATE INDEX customer_store_credit_customer ON customer_store_credit (customer_id);

CREATE TABLE subscribers (
    id            BIGINT  PRIMARY KEY,
    email         TEXT COLLATE "C"    NOT NULL,
    email_fold    TEXT COLLATE "C"    NOT NULL,
    first_name    TEXT COLLATE "C"    NOT NULL DEFAULT '',
    last_name     TEXT COLLATE "C"    NOT NULL DEFAULT '',
    source        TEXT COLLATE "C"    NOT NULL DEFAULT '',
    order_id      BIGINT CHECK (order_id >= 1),
    channel_id    BIGINT NOT NULL DEFAULT 1 CHECK (channel_id >= 1),
    date_created  TEXT COLLATE "C"    NOT NULL,
    date_modified TEXT COLLATE "C"    NOT NULL
);
CREATE UNIQUE INDEX subscribers_email ON subscribers (email_fold);
CREATE INDEX subscribers_first_name ON subscribers (first_name);
CREATE INDEX subscribers_last_name ON subscribers (last_name);
CREATE INDEX subscribers_source ON subscribers (source);
CREATE INDEX subscribers_order ON subscribers (order_id);
CREATE INDEX subscribers_date_created ON subscribers (date_created);
CREATE INDEX subscribers_date_modified ON subscribers (date_modified);

-- Store-wide settings: one row. The guest and default groups are not kept
-- here: they are the groups flagged is_group_for_guests and is_default.
CREATE TABLE customer_settings (
    id                               BIGINT PRIMARY KEY CHECK (id = 1),
    ask_shopper_for_tracking_consent BIGINT NOT NULL DEFAULT 0,
    policy_url                       TEXT COLLATE "C"    NOT NULL DEFAULT ''
);
INSERT INTO customer_settings (id) VALUES (1);

-- Per-channel overrides; NULL means inherited from the store-wide value.
CREATE TABLE channel_customer_settings (
    channel_id                       BIGINT PRIMARY KEY CHECK (channel_id >= 1),
    allow_global_logins              BIGINT,
    ask_shopper_for_tracking_consent BIGINT,
    policy_url                       TEXT COLLATE "C",
    guest_customer_group_id          BIGINT REFERENCES customer_groups (id) ON DELETE SET NULL,
    default_customer_group_id        BIGINT REFERENCES customer_groups (id) ON DELETE SET NULL
);

-- The event outbox: every announced write adds its events in the same
-- transaction; delivery reads them in id order.
CREATE TABLE events (
    id         BIGINT  PRIMARY KEY,
    scope      TEXT COLLATE "C"    NOT NULL,
    data       TEXT COLLATE "C"    NOT NULL, -- JSON of the envelope's `data`
    hash       TEXT COLLATE "C"    NOT NULL,
    created_at BIGINT NOT NULL  -- UNIX seconds
);

-- New ids (0001_init.sql).
CREATE TRIGGER customer_groups_id BEFORE INSERT ON customer_groups FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
CREATE TRIGGER customers_id BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
CREATE TRIGGER customer_addresses_id BEFORE INSERT ON customer_addresses FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
CREATE TRIGGER customer_attributes_id BEFORE INSERT ON customer_attributes FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
CREATE TRIGGER customer_attribute_values_id BEFORE INSERT ON customer_attribute_values FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
CREATE TRIGGER customer_form_fields_id BEFORE INSERT ON customer_form_fields FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
CREATE FUNCTION customer_form_field_values_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        SELECT COALESCE(max(id), 0) + 1 INTO NEW.id FROM customer_form_field_values;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER customer_form_field_values_id BEFORE INSERT ON customer_form_field_values FOR EACH ROW EXECUTE FUNCTION customer_form_field_values_rowid();
CREATE FUNCTION customer_store_credit_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        SELECT COALESCE(max(id), 0) + 1 INTO NEW.id FROM customer_store_credit;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER customer_store_credit_id BEFORE INSERT ON customer_store_credit FOR EACH ROW EXECUTE FUNCTION customer_store_credit_rowid();
CREATE TRIGGER subscribers_id BEFORE INSERT ON subscribers FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
CREATE TRIGGER events_id BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION autoincrement_id();
