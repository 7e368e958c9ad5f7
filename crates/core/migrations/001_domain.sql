-- Wijkwerk store, version 1: the whole domain.
--
-- Every domain table has the same bookkeeping columns:
--   local_seq  stable integer row id (search index rows are derived from it; never reused)
--   id         UUID of the record, made by the client that created it
--   deleted    tombstone flag (records are never removed, so references stay valid)
--   clocks     the clock of the write that set each field: `CLOCK=field,field;CLOCK=field`
--   extra      JSON object of fields this version does not know (kept for newer clients), or NULL
-- Only the one write path (`crate::write`) and the sync merge write these tables.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE area (
    local_seq   INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    deleted     INTEGER NOT NULL DEFAULT 0,
    clocks      TEXT NOT NULL DEFAULT '',
    extra       TEXT,
    name        TEXT,
    kind        TEXT,
    parent_id   TEXT REFERENCES area(id),
    inhabitants INTEGER,
    cbs_code    TEXT
);
CREATE INDEX area_parent ON area(parent_id);

CREATE TABLE organisation (
    local_seq  INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    deleted    INTEGER NOT NULL DEFAULT 0,
    clocks     TEXT NOT NULL DEFAULT '',
    extra      TEXT,
    name       TEXT,
    kind       TEXT,
    area_ids   TEXT,
    email      TEXT,
    phone      TEXT,
    website    TEXT,
    board_size INTEGER,
    notes      TEXT
);
CREATE INDEX organisation_kind ON organisation(kind);

CREATE TABLE contact (
    local_seq INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    deleted   INTEGER NOT NULL DEFAULT 0,
    clocks    TEXT NOT NULL DEFAULT '',
    extra     TEXT,
    name      TEXT,
    email     TEXT,
    phone     TEXT,
    address   TEXT,
    notes     TEXT
);
CREATE INDEX contact_email ON contact(email) WHERE email IS NOT NULL;

CREATE TABLE role (
    local_seq          INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    deleted            INTEGER NOT NULL DEFAULT 0,
    clocks             TEXT NOT NULL DEFAULT '',
    extra              TEXT,
    contact_id         TEXT REFERENCES contact(id),
    organisation_id    TEXT REFERENCES organisation(id),
    kind               TEXT,
    title              TEXT,
    represents_area_id TEXT REFERENCES area(id),
    start_date         TEXT,
    end_date           TEXT
);
CREATE INDEX role_contact ON role(contact_id);
CREATE INDEX role_organisation ON role(organisation_id, start_date);

CREATE TABLE meeting (
    local_seq       INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    deleted         INTEGER NOT NULL DEFAULT 0,
    clocks          TEXT NOT NULL DEFAULT '',
    extra           TEXT,
    kind            TEXT,
    title           TEXT,
    organisation_id TEXT REFERENCES organisation(id),
    area_id         TEXT REFERENCES area(id),
    starts_at       TEXT,
    ends_at         TEXT,
    time_zone       TEXT,
    location        TEXT,
    status          TEXT,
    notes           TEXT
);
CREATE INDEX meeting_starts ON meeting(starts_at);
CREATE INDEX meeting_organisation ON meeting(organisation_id, starts_at);
CREATE INDEX meeting_area ON meeting(area_id, starts_at);

CREATE TABLE agenda_item (
    local_seq       INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    deleted         INTEGER NOT NULL DEFAULT 0,
    clocks          TEXT NOT NULL DEFAULT '',
    extra           TEXT,
    meeting_id      TEXT REFERENCES meeting(id),
    position        INTEGER,
    title           TEXT,
    description     TEXT,
    minutes         TEXT,
    decision        TEXT,
    submitted_by_id TEXT REFERENCES organisation(id)
);
CREATE INDEX agenda_item_meeting ON agenda_item(meeting_id, position);

CREATE TABLE attendance (
    local_seq  INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    deleted    INTEGER NOT NULL DEFAULT 0,
    clocks     TEXT NOT NULL DEFAULT '',
    extra      TEXT,
    meeting_id TEXT REFERENCES meeting(id),
    contact_id TEXT REFERENCES contact(id),
    status     TEXT
);
CREATE INDEX attendance_meeting ON attendance(meeting_id);
CREATE INDEX attendance_contact ON attendance(contact_id);

CREATE TABLE visit (
    local_seq INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    deleted   INTEGER NOT NULL DEFAULT 0,
    clocks    TEXT NOT NULL DEFAULT '',
    extra     TEXT,
    kind      TEXT,
    title     TEXT,
    area_id   TEXT REFERENCES area(id),
    starts_at TEXT,
    ends_at   TEXT,
    time_zone TEXT,
    location  TEXT,
    status    TEXT,
    notes     TEXT
);
CREATE INDEX visit_starts ON visit(starts_at);
CREATE INDEX visit_area ON visit(area_id, starts_at);

CREATE TABLE stop (
    local_seq  INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    deleted    INTEGER NOT NULL DEFAULT 0,
    clocks     TEXT NOT NULL DEFAULT '',
    extra      TEXT,
    visit_id   TEXT REFERENCES visit(id),
    position   INTEGER,
    place      TEXT,
    arrives_at TEXT,
    topic      TEXT,
    notes      TEXT
);
CREATE INDEX stop_visit ON stop(visit_id, position);

CREATE TABLE invitee (
    local_seq  INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    deleted    INTEGER NOT NULL DEFAULT 0,
    clocks     TEXT NOT NULL DEFAULT '',
    extra      TEXT,
    visit_id   TEXT REFERENCES visit(id),
    contact_id TEXT REFERENCES contact(id),
    response   TEXT
);
CREATE INDEX invitee_visit ON invitee(visit_id);
CREATE INDEX invitee_contact ON invitee(contact_id);

CREATE TABLE finding (
    local_seq INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    deleted   INTEGER NOT NULL DEFAULT 0,
    clocks    TEXT NOT NULL DEFAULT '',
    extra     TEXT,
    visit_id  TEXT REFERENCES visit(id),
    stop_id   TEXT REFERENCES stop(id),
    text      TEXT
);
CREATE INDEX finding_visit ON finding(visit_id);

CREATE TABLE action_point (
    local_seq                 INTEGER PRIMARY KEY,
    id                        TEXT NOT NULL UNIQUE,
    deleted                   INTEGER NOT NULL DEFAULT 0,
    clocks                    TEXT NOT NULL DEFAULT '',
    extra                     TEXT,
    title                     TEXT,
    description               TEXT,
    area_id                   TEXT REFERENCES area(id),
    source_agenda_item_id     TEXT REFERENCES agenda_item(id),
    source_finding_id         TEXT REFERENCES finding(id),
    requester_organisation_id TEXT REFERENCES organisation(id),
    requester_contact_id      TEXT REFERENCES contact(id),
    owner_organisation_id     TEXT REFERENCES organisation(id),
    owner_contact_id          TEXT REFERENCES contact(id),
    due_date                  TEXT,
    status                    TEXT,
    opened_on                 TEXT
);
-- The overdue list: still to be done, with a due date, oldest first.
CREATE INDEX action_point_open_due ON action_point(due_date, id)
    WHERE deleted = 0 AND status IN ('open', 'in_progress', 'waiting') AND due_date IS NOT NULL;
CREATE INDEX action_point_area ON action_point(area_id, status);
CREATE INDEX action_point_source_item ON action_point(source_agenda_item_id) WHERE source_agenda_item_id IS NOT NULL;
CREATE INDEX action_point_source_finding ON action_point(source_finding_id) WHERE source_finding_id IS NOT NULL;
CREATE INDEX action_point_requester_org ON action_point(requester_organisation_id) WHERE requester_organisation_id IS NOT NULL;
CREATE INDEX action_point_requester_contact ON action_point(requester_contact_id) WHERE requester_contact_id IS NOT NULL;
CREATE INDEX action_point_owner_org ON action_point(owner_organisation_id) WHERE owner_organisation_id IS NOT NULL;
CREATE INDEX action_point_owner_contact ON action_point(owner_contact_id) WHERE owner_contact_id IS NOT NULL;

CREATE TABLE action_point_event (
    local_seq       INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    deleted         INTEGER NOT NULL DEFAULT 0,
    clocks          TEXT NOT NULL DEFAULT '',
    extra           TEXT,
    action_point_id TEXT REFERENCES action_point(id),
    kind            TEXT,
    from_status     TEXT,
    to_status       TEXT,
    comment         TEXT,
    at              TEXT,
    author          TEXT
);
CREATE INDEX action_point_event_point ON action_point_event(action_point_id, at);

-- Sync bookkeeping: local transactions waiting to be pushed, one row per transaction.
CREATE TABLE outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_id   TEXT NOT NULL,
    hlc     TEXT NOT NULL,
    changes TEXT NOT NULL
);

-- Values that lost a per-field last-writer-wins merge: kept, queryable, and reviewable.
CREATE TABLE conflict (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    entity      TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    lost_value  TEXT NOT NULL,
    lost_hlc    TEXT NOT NULL,
    won_value   TEXT NOT NULL,
    won_hlc     TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    resolved    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conflict_record ON conflict(entity, record_id);

-- Full-text search over everything a coordinator looks for. The row id of a document is
-- `local_seq * 16 + entity code`, so every record has exactly one document and newer records
-- sort last. Diacritics are folded ("cafe" finds "café"); 2- and 3-letter prefixes are indexed
-- for search-as-you-type. Positions are not kept (detail = column): searches are words, not
-- phrases, and the smaller index makes common words a third faster.
CREATE VIRTUAL TABLE search USING fts5(
    title, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3',
    detail = column
);

-- The search index is kept in step by the write path and the merge (see src/search_index.rs).
