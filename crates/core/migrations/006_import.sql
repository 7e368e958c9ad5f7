-- Wijkwerk store, version 6: contact lists brought in. A contact gets the rest of an address
-- and a second number, as lists bring them; the imports themselves are kept on this laptop
-- (never synced) so that one can be undone as a whole, and the column mapping chosen for a kind
-- of list is offered again the next time.
ALTER TABLE contact ADD COLUMN mobile TEXT;
ALTER TABLE contact ADD COLUMN postcode TEXT;
ALTER TABLE contact ADD COLUMN city TEXT;

CREATE TABLE import_batch (
    id          TEXT PRIMARY KEY,
    imported_at TEXT NOT NULL,
    source      TEXT NOT NULL,
    report      TEXT NOT NULL,
    undo        TEXT NOT NULL,
    undone_at   TEXT
);

CREATE TABLE import_mapping (
    source_kind TEXT PRIMARY KEY,
    mapping     TEXT NOT NULL
);
