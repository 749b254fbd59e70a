-- name:like without a full scan (BENCHMARKS.md, query plans). A trigram
-- index over the folded name gives the candidates of a term of 3 or more
-- characters; the instr() test on name_fold stays the exact check. The
-- table keeps no copy of the text (content=customers) and no positions
-- (detail=none): a term is looked up as the AND of its trigrams.
CREATE VIRTUAL TABLE customers_name_trigrams USING fts5(
    name_fold,
    content = 'customers',
    content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1',
    detail = none
);
INSERT INTO customers_name_trigrams (customers_name_trigrams) VALUES ('rebuild');

CREATE TRIGGER customers_name_trigrams_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_name_trigrams (rowid, name_fold) VALUES (new.id, new.name_fold);
END;
CREATE TRIGGER customers_name_trigrams_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_name_trigrams (customers_name_trigrams, rowid, name_fold) VALUES ('delete', old.id, old.name_fold);
END;
CREATE TRIGGER customers_name_trigrams_update AFTER UPDATE OF name_fold ON customers
WHEN old.name_fold IS NOT new.name_fold BEGIN
    INSERT INTO customers_name_trigrams (customers_name_trigrams, rowid, name_fold) VALUES ('delete', old.id, old.name_fold);
    INSERT INTO customers_name_trigrams (rowid, name_fold) VALUES (new.id, new.name_fold);
END;
