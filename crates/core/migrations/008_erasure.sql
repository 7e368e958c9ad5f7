-- Wijkwerk store, version 8: erasure (the AVG's right to be forgotten). A contact gets the day
-- it was erased; from then on the record is sealed on every replica (privacy.rs, merge.rs).
-- The search index removes a deleted document's words from the index at once rather than
-- leaving them in older segments until a merge (FTS5 'secure-delete', SQLite 3.44+), so an
-- erased name is not kept in the index either.
-- Words of documents changed before this version still sit in older segments: one merge
-- rewrites the index without them. What was freed before secure_delete was on is cleared by a
-- VACUUM right after this migration (store.rs: it cannot run inside a transaction).
ALTER TABLE contact ADD COLUMN erased_on TEXT;
INSERT INTO search(search, rank) VALUES ('secure-delete', 1);
INSERT INTO search(search) VALUES ('optimize');
