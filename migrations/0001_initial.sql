-- The infra state schema, version 1.
-- Timestamps are UTC text in a fixed-width format (YYYY-MM-DDTHH:MM:SS.ffffffZ), so they sort as text.
-- JSON columns hold serde_json text.

CREATE TABLE stacks (
    name        TEXT PRIMARY KEY NOT NULL,
    lineage     TEXT NOT NULL,
    serial      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- One row per resource instance. `deposed` is '' for the current object, or the id of an
-- old object left behind by a create_before_destroy replacement.
CREATE TABLE resources (
    stack         TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    address       TEXT NOT NULL,
    deposed       TEXT NOT NULL DEFAULT '',
    type_name     TEXT NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('managed', 'data')),
    cloud_id      TEXT NOT NULL,
    attributes    TEXT NOT NULL,
    dependencies  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('ready', 'creating', 'tainted')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (stack, address, deposed)
) STRICT;

-- Committed before a create, so that a killed run can be reconciled.
CREATE TABLE intents (
    stack       TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    type_name   TEXT NOT NULL,
    operation   TEXT NOT NULL,
    token       TEXT NOT NULL,
    config      TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (stack, address)
) STRICT;

-- At most one lock per stack.
CREATE TABLE locks (
    stack       TEXT PRIMARY KEY NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    id          TEXT NOT NULL UNIQUE,
    operation   TEXT NOT NULL,
    who         TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    pid_start   INTEGER,
    version     TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE history (
    id           TEXT NOT NULL,
    stack        TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    serial       INTEGER NOT NULL,
    operation    TEXT NOT NULL,
    who          TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'interrupted')),
    summary      TEXT NOT NULL,
    PRIMARY KEY (stack, id)
) STRICT;

CREATE INDEX history_by_stack ON history (stack, started_at);
