-- The infra state schema, version 3, PostgreSQL form (in step with ../0003_provider.sql):
-- the `aws` provider configuration each object and each open create intent belongs to: '' is
-- the default `provider "aws"` block, anything else the `alias` of another one.
-- Refresh, destroy and adoption of an object go to that configuration's region.

ALTER TABLE resources ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE intents ADD COLUMN provider TEXT NOT NULL DEFAULT '';
