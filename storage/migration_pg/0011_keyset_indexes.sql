-- Pages by cursor on PostgreSQL (TestPostgresListPlans). A customer sort's
-- keyset condition is a row comparison, (date_created, id) < (?, ?), and
-- its order ends in id: an index on the sort column alone serves only the
-- first half, so a page before a cursor read every row on that side and
-- sorted them. SQLite's indexes end in the rowid (the id) implicitly;
-- these say it. Same names, so the plans name the same indexes.
DROP INDEX customers_date_created;
CREATE INDEX customers_date_created ON customers (date_created, id);
DROP INDEX customers_date_modified;
CREATE INDEX customers_date_modified ON customers (date_modified, id);
DROP INDEX customers_last_name;
CREATE INDEX customers_last_name ON customers (lower(last_name) COLLATE "C", id);
-- formFields' type filter on form field values: the field ids of a type
-- come from an index, then each field's values from
-- customer_form_field_values_field, instead of a walk of every value.
CREATE INDEX customer_form_fields_type ON customer_form_fields (type);
