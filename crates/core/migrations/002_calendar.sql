-- Wijkwerk store, version 2: calendars (export, invitations, the yearly visit planner).
--
-- Meetings keep the identity of the invitation they came from, so that an updated invitation
-- (same UID, higher SEQUENCE) updates the meeting instead of adding a second one; meetings,
-- visits and action points keep the SEQUENCE of their calendar entry, which the write path
-- raises when the time or place changes. Fields are added at the end (clock positions).

ALTER TABLE meeting ADD COLUMN ical_uid TEXT;
ALTER TABLE meeting ADD COLUMN ical_sequence INTEGER;
ALTER TABLE meeting ADD COLUMN ical_recurrence_id TEXT;
ALTER TABLE meeting ADD COLUMN organizer_email TEXT;
CREATE INDEX meeting_ical_uid ON meeting(ical_uid, ical_recurrence_id) WHERE ical_uid IS NOT NULL;

ALTER TABLE visit ADD COLUMN ical_sequence INTEGER;

ALTER TABLE action_point ADD COLUMN ical_sequence INTEGER;

-- The school-holiday region (noord, midden, zuid) of a municipality, for the visit planner.
ALTER TABLE area ADD COLUMN school_region TEXT;

-- School holidays per region, as the planner avoids them. The shipped dates apply unless a
-- record with the same derived id (UUIDv5 of region, school year and name) overrides them; a
-- deleted record drops the shipped holiday. Entity code 14; not in the search index.
CREATE TABLE school_holiday (
    local_seq   INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    deleted     INTEGER NOT NULL DEFAULT 0,
    clocks      TEXT NOT NULL DEFAULT '',
    extra       TEXT,
    region      TEXT,
    school_year TEXT,
    name        TEXT,
    start_date  TEXT,
    end_date    TEXT,
    notes       TEXT
);
CREATE INDEX school_holiday_region ON school_holiday(region, start_date);
