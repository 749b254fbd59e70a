-- PostgreSQL's twin (migration_pg/0011) widens the customer sort indexes
-- with the id, for pages by cursor, and indexes form field types. SQLite's
-- indexes end in the rowid, which is the id, already, and its form field
-- type filter is served (TestListPlans): nothing to do here.
SELECT 1;
