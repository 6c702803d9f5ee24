//! S3 general purpose buckets (`aws_s3_bucket`) and the bucket settings the provider v4+
//! manages as resources of their own: `aws_s3_bucket_policy`,
//! `aws_s3_bucket_public_access_block`, `aws_s3_bucket_ownership_controls`,
//! `aws_s3_bucket_server_side_encryption_configuration` and `aws_s3_bucket_versioning`,
//! as terraform-aws-s3-bucket creates them.
//!
//! Names, defaults and force-new marks are the Terraform AWS provider's
//! (`internal/service/s3/bucket.go`, `bucket_policy.go`, `bucket_public_access_block.go`,
//! `bucket_ownership_controls.go`, `bucket_server_side_encryption_configuration.go`,
//! `bucket_versioning.go`): a bucket's name, prefix, namespace and object lock flag force a
//! new bucket, its tags and `force_destroy` change in place; every setting resource's
//! `bucket` forces a new one, the rest changes in place. The bucket's deprecated inline
//! settings (`acl`, `policy`, `versioning`, `website`, ...) are not supported: the setting
//! resources replace them.

use super::*;

fn bucket() -> ResourceSchema {
    let mut a = vec![
        attr("bucket", s()).optional().computed().force_new(),
        attr("bucket_prefix", s()).optional().computed().force_new(),
        // `global` (the default) or `account-regional`
        attr("bucket_namespace", s())
            .optional()
            .computed()
            .force_new(),
        // what destroy does: empty the bucket (every version) first
        attr("force_destroy", b()).optional().default(false),
        attr("object_lock_enabled", b())
            .optional()
            .computed()
            .force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "arn",
        "bucket_domain_name",
        "bucket_regional_domain_name",
        "bucket_region",
        "hosted_zone_id",
    ]));
    resource("aws_s3_bucket", Mode::Managed, a, vec![])
}

/// `bucket` (forces new) and `expected_bucket_owner` (forces new), shared by the settings.
fn bucket_args(owner: bool) -> Vec<AttrSchema> {
    let mut a = vec![attr("bucket", s()).required().force_new()];
    if owner {
        a.push(attr("expected_bucket_owner", s()).optional().force_new());
    }
    a.push(attr("id", s()).computed());
    a
}

fn policy() -> ResourceSchema {
    let mut a = bucket_args(false);
    a.push(attr("policy", AttrType::Json).required());
    resource("aws_s3_bucket_policy", Mode::Managed, a, vec![])
}

fn public_access_block() -> ResourceSchema {
    let mut a = bucket_args(false);
    for flag in [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ] {
        a.push(attr(flag, b()).optional().default(false));
    }
    // destroy leaves the block in place
    a.push(attr("skip_destroy", b()).optional());
    resource(
        "aws_s3_bucket_public_access_block",
        Mode::Managed,
        a,
        vec![],
    )
}

fn ownership_controls() -> ResourceSchema {
    let rule = block(
        "rule",
        Nesting::List,
        vec![attr("object_ownership", s()).required()],
    )
    .min(1)
    .max(1);
    resource(
        "aws_s3_bucket_ownership_controls",
        Mode::Managed,
        bucket_args(false),
        vec![rule],
    )
}

fn server_side_encryption() -> ResourceSchema {
    let by_default = block(
        "apply_server_side_encryption_by_default",
        Nesting::List,
        vec![
            attr("sse_algorithm", s()).required(),
            attr("kms_master_key_id", s()).optional(),
        ],
    )
    .max(1);
    let rule = block(
        "rule",
        Nesting::Set,
        vec![
            attr("bucket_key_enabled", b()).optional().default(false),
            // encryption types uploads may not use (`NONE`, `SSE-C`); AWS reports its default
            attr("blocked_encryption_types", list_s())
                .optional()
                .computed(),
        ],
    )
    .min(1)
    .blocks(vec![by_default]);
    resource(
        "aws_s3_bucket_server_side_encryption_configuration",
        Mode::Managed,
        bucket_args(true),
        vec![rule],
    )
}

fn versioning() -> ResourceSchema {
    let mut a = bucket_args(true);
    // the MFA device's serial and code, sent with a change of `mfa_delete`
    a.push(attr("mfa", s()).optional());
    let conf = block(
        "versioning_configuration",
        Nesting::List,
        vec![
            // Enabled, Suspended, or Disabled (only when the bucket was never versioned)
            attr("status", s()).required(),
            attr("mfa_delete", s()).optional().computed(),
        ],
    )
    .min(1)
    .max(1);
    resource("aws_s3_bucket_versioning", Mode::Managed, a, vec![conf])
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    vec![
        bucket(),
        policy(),
        public_access_block(),
        ownership_controls(),
        server_side_encryption(),
        versioning(),
    ]
}
