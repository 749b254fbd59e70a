-- An explicit id advances its table's id_sequences row once per statement
-- rather than once per row. 0001_init.sql's autoincrement_id updated that
-- row for every row written with an id: an import writes tens of
-- thousands of rows in one transaction, and each update of the one row
-- left another version of it that the next update had to walk past (the
-- versions of a running transaction cannot be pruned), so the trigger
-- took most of an import's time, growing with the square of the batch.
--
-- The row trigger now only gives ids; an AFTER ... FOR EACH STATEMENT
-- trigger raises the sequence to the largest id the statement wrote. Ids
-- given within a statement after an explicit one of the same statement
-- would not see it; the store writes no such statement (a statement's rows
-- all come with ids, as in an import or a restore, or none do). The
-- sequence still rolls back with its transaction, and writers are still
-- serialized.
CREATE OR REPLACE FUNCTION autoincrement_id() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next BIGINT;
BEGIN
    IF NEW.id IS NULL THEN
        UPDATE id_sequences SET seq = seq + 1 WHERE name = TG_TABLE_NAME RETURNING seq INTO next;
        IF next IS NULL THEN
            INSERT INTO id_sequences (name, seq) VALUES (TG_TABLE_NAME, 1) RETURNING seq INTO next;
        END IF;
        NEW.id := next;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION advance_id_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last BIGINT;
BEGIN
    SELECT max(id) INTO last FROM written;
    IF last IS NULL THEN
        RETURN NULL;
    END IF;
    -- Ids given by autoincrement_id are at most the sequence already: no
    -- row is written then.
    UPDATE id_sequences SET seq = last WHERE name = TG_TABLE_NAME AND seq < last;
    IF NOT FOUND THEN
        INSERT INTO id_sequences (name, seq) VALUES (TG_TABLE_NAME, last) ON CONFLICT (name) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customer_groups_seq AFTER INSERT ON customer_groups REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
CREATE TRIGGER customers_seq AFTER INSERT ON customers REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
CREATE TRIGGER customer_addresses_seq AFTER INSERT ON customer_addresses REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
CREATE TRIGGER customer_attributes_seq AFTER INSERT ON customer_attributes REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
CREATE TRIGGER customer_attribute_values_seq AFTER INSERT ON customer_attribute_values REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
CREATE TRIGGER customer_form_fields_seq AFTER INSERT ON customer_form_fields REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
CREATE TRIGGER subscribers_seq AFTER INSERT ON subscribers REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
CREATE TRIGGER events_seq AFTER INSERT ON events REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
CREATE TRIGGER customer_metafields_seq AFTER INSERT ON customer_metafields REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION advance_id_sequence();
