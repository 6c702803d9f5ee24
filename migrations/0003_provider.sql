-- The infra state schema, version 3: the `aws` provider configuration each object and each
-- open create intent belongs to: '' is the default `provider "aws"` block, anything else the
-- `alias` of another one (Terraform's `provider["registry.terraform.io/hashicorp/aws"].ALIAS`).
-- Refresh, destroy and adoption of an object go to that configuration's region.

ALTER TABLE resources ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE intents ADD COLUMN provider TEXT NOT NULL DEFAULT '';
