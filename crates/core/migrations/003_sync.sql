-- Wijkwerk store, version 3: sync bookkeeping.

-- Where this store stands with its server. One row.
CREATE TABLE sync_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    -- The id this store pushes under (with the outbox sequence: the idempotency key).
    client_id      TEXT NOT NULL,
    server         TEXT,
    -- The last server transaction applied here, and its id (to notice a restored server).
    cursor_seq     INTEGER NOT NULL DEFAULT 0,
    cursor_tx      TEXT,
    -- Set when the server forgot our cursor: push the whole store once to restore what it lost.
    repair_pending INTEGER NOT NULL DEFAULT 0,
    last_synced_at TEXT,
    last_error     TEXT,
    last_error_at  TEXT
);

-- A changeset the server refused stays in the outbox, marked, and is shown to the user.
ALTER TABLE outbox ADD COLUMN refused_code TEXT;
ALTER TABLE outbox ADD COLUMN refused_reason TEXT;
