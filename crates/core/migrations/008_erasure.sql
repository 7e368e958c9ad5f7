-- Wijkwerk store, version 8: erasure (the AVG's right to be forgotten). A contact gets the day
-- it was erased; from then on the record is sealed on every replica (privacy.rs, merge.rs).
-- The search index keeps the words of changed documents in older segments until a merge; an
-- erasure merges the whole index (FTS5 'optimize', erasure.rs) so an erased name does not stay.
-- (FTS5's 'secure-delete' option would do it at every change, at ten times the cost of a
-- contact's update on a large store: measured, not taken.)
-- Words of documents changed before this version still sit in older segments: one merge
-- rewrites the index without them. What was freed before secure_delete was on is cleared by a
-- VACUUM right after this migration (store.rs: it cannot run inside a transaction).
ALTER TABLE contact ADD COLUMN erased_on TEXT;
INSERT INTO search(search) VALUES ('optimize');
