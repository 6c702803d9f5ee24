-- The infra state schema, version 1, PostgreSQL form. Kept in step with ../0001_initial.sql
-- (SQLite): the same tables, columns, keys and checks, so that both backends behave the same
-- and `infra state migrate` copies rows verbatim. Integers are BIGINT (SQLite's INTEGER is
-- 64-bit); timestamps are the same fixed-width UTC text, so they sort as text; JSON columns
-- hold serde_json text.

CREATE TABLE stacks (
    name        TEXT PRIMARY KEY NOT NULL,
    lineage     TEXT NOT NULL,
    serial      BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

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
);

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
);

-- At most one lock per stack. On PostgreSQL the holder also keeps a session-level advisory
-- lock keyed by the lock's id for as long as it runs; a row whose advisory lock nobody
-- holds belongs to a client that is gone (see crates/infra-state/src/lock.rs).
CREATE TABLE locks (
    stack       TEXT PRIMARY KEY NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    id          TEXT NOT NULL UNIQUE,
    operation   TEXT NOT NULL,
    who         TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         BIGINT NOT NULL,
    pid_start   BIGINT,
    version     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE history (
    id           TEXT NOT NULL,
    stack        TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    serial       BIGINT NOT NULL,
    operation    TEXT NOT NULL,
    who          TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'interrupted')),
    summary      TEXT NOT NULL,
    PRIMARY KEY (stack, id)
);

CREATE INDEX history_by_stack ON history (stack, started_at);
