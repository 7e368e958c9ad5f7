-- Lists of the desktop app (migration 004): organisations and contacts in name order, case
-- folded, so that a page deep into 100,000 names is read from an index, not sorted each time.
CREATE INDEX organisation_name ON organisation(name COLLATE NOCASE, id) WHERE deleted = 0;
CREATE INDEX contact_name ON contact(name COLLATE NOCASE, id) WHERE deleted = 0;
