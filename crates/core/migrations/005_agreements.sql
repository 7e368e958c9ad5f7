-- Wijkwerk store, version 5: agreements (kernovereenkomsten), projects with their milestones,
-- and the werkkapitaal: a yearly budget, adjustments of a kernoverleg's share, commitments
-- (toekenningen) and payments (uitgaven). Sums are never stored: they are derived from these
-- records (two payments booked offline on two laptops both count). Entity codes 15 to 21.

CREATE TABLE agreement (
    local_seq      INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    deleted        INTEGER NOT NULL DEFAULT 0,
    clocks         TEXT NOT NULL DEFAULT '',
    extra          TEXT,
    title          TEXT,
    area_id        TEXT REFERENCES area(id),
    kernoverleg_id TEXT REFERENCES organisation(id),
    period_start   TEXT,
    period_end     TEXT,
    status         TEXT,
    adopted_on     TEXT,
    notes          TEXT
);
CREATE INDEX agreement_area ON agreement(area_id, period_start);

CREATE TABLE project (
    local_seq             INTEGER PRIMARY KEY,
    id                    TEXT NOT NULL UNIQUE,
    deleted               INTEGER NOT NULL DEFAULT 0,
    clocks                TEXT NOT NULL DEFAULT '',
    extra                 TEXT,
    title                 TEXT,
    description           TEXT,
    area_ids              TEXT,
    department_id         TEXT REFERENCES organisation(id),
    department_contact_id TEXT REFERENCES contact(id),
    participation_step    TEXT,
    organisation_ids      TEXT,
    contact_ids           TEXT,
    budget_cents          INTEGER,
    status                TEXT,
    agreement_id          TEXT REFERENCES agreement(id),
    start_date            TEXT,
    end_date              TEXT
);
CREATE INDEX project_agreement ON project(agreement_id) WHERE agreement_id IS NOT NULL;
CREATE INDEX project_department ON project(department_id);

CREATE TABLE milestone (
    local_seq  INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    deleted    INTEGER NOT NULL DEFAULT 0,
    clocks     TEXT NOT NULL DEFAULT '',
    extra      TEXT,
    project_id TEXT REFERENCES project(id),
    date       TEXT,
    title      TEXT,
    done_on    TEXT
);
CREATE INDEX milestone_project ON milestone(project_id, date);

CREATE TABLE budget (
    local_seq   INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    deleted     INTEGER NOT NULL DEFAULT 0,
    clocks      TEXT NOT NULL DEFAULT '',
    extra       TEXT,
    area_id     TEXT REFERENCES area(id),
    year        INTEGER,
    total_cents INTEGER,
    check_date  TEXT,
    notes       TEXT
);
CREATE INDEX budget_year ON budget(year);

CREATE TABLE budget_adjustment (
    local_seq      INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    deleted        INTEGER NOT NULL DEFAULT 0,
    clocks         TEXT NOT NULL DEFAULT '',
    extra          TEXT,
    budget_id      TEXT REFERENCES budget(id),
    kernoverleg_id TEXT REFERENCES organisation(id),
    amount_cents   INTEGER,
    reason         TEXT,
    date           TEXT
);
CREATE INDEX budget_adjustment_budget ON budget_adjustment(budget_id);

CREATE TABLE commitment (
    local_seq      INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    deleted        INTEGER NOT NULL DEFAULT 0,
    clocks         TEXT NOT NULL DEFAULT '',
    extra          TEXT,
    budget_id      TEXT REFERENCES budget(id),
    kernoverleg_id TEXT REFERENCES organisation(id),
    project_id     TEXT REFERENCES project(id),
    initiative     TEXT,
    date           TEXT,
    amount_cents   INTEGER,
    description    TEXT
);
CREATE INDEX commitment_budget ON commitment(budget_id, kernoverleg_id);
CREATE INDEX commitment_project ON commitment(project_id) WHERE project_id IS NOT NULL;

CREATE TABLE payment (
    local_seq      INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    deleted        INTEGER NOT NULL DEFAULT 0,
    clocks         TEXT NOT NULL DEFAULT '',
    extra          TEXT,
    budget_id      TEXT REFERENCES budget(id),
    kernoverleg_id TEXT REFERENCES organisation(id),
    commitment_id  TEXT REFERENCES commitment(id),
    date           TEXT,
    amount_cents   INTEGER,
    description    TEXT
);
CREATE INDEX payment_budget ON payment(budget_id, kernoverleg_id);
CREATE INDEX payment_commitment ON payment(commitment_id) WHERE commitment_id IS NOT NULL;

-- Action points, agenda items and visit findings can belong to a project; an agenda item can
-- be about an agreement. Added at the end of each entity (clock positions).
ALTER TABLE action_point ADD COLUMN project_id TEXT REFERENCES project(id);
CREATE INDEX action_point_project ON action_point(project_id) WHERE project_id IS NOT NULL;
ALTER TABLE agenda_item ADD COLUMN project_id TEXT REFERENCES project(id);
ALTER TABLE agenda_item ADD COLUMN agreement_id TEXT REFERENCES agreement(id);
CREATE INDEX agenda_item_project ON agenda_item(project_id) WHERE project_id IS NOT NULL;
CREATE INDEX agenda_item_agreement ON agenda_item(agreement_id) WHERE agreement_id IS NOT NULL;
ALTER TABLE finding ADD COLUMN project_id TEXT REFERENCES project(id);
CREATE INDEX finding_project ON finding(project_id) WHERE project_id IS NOT NULL;

-- The search index's row ids become `local_seq * 32 + entity code` (there are more than 15
-- entities now); the documents already there are renumbered, keeping their order.
CREATE TEMP TABLE search_before AS SELECT rowid AS old_rowid, title, body FROM search;
DELETE FROM search;
INSERT INTO search(rowid, title, body)
    SELECT (old_rowid / 16) * 32 + (old_rowid % 16), title, body FROM search_before;
DROP TABLE search_before;
