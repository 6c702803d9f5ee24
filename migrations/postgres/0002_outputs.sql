-- The infra state schema, version 2, PostgreSQL form (in step with ../0002_outputs.sql):
-- each stack's root outputs, as of its last apply, so that other stacks can read them
-- (`data "terraform_remote_state"`).
-- `value` is serde_json text with Terraform's types (strings, numbers, bools, lists, maps).

CREATE TABLE outputs (
    stack       TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    sensitive   BIGINT NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1)),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (stack, name)
);
