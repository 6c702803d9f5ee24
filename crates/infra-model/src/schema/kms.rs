//! KMS keys and aliases (`aws_kms_key`, `aws_kms_alias`: the key terraform-aws-eks makes
//! for its secrets encryption, through terraform-aws-kms), and the data sources an EKS
//! module reads: `aws_ssm_parameter` (the optimized AMIs' release versions),
//! `aws_eks_addon_version`, `aws_eks_cluster_versions` and `aws_service_principal`.
//!
//! Names, defaults and force-new marks are the Terraform AWS provider's
//! (`internal/service/kms/key.go`, `alias.go`): a key's usage, spec, custom key store and
//! multi-Region flag force a new key; its description, policy, rotation, enabled state and
//! tags change in place. An alias's name forces a new alias; its target changes in place.

use super::*;

fn key() -> ResourceSchema {
    let mut a = vec![
        attr("description", s()).optional().computed(),
        attr("key_usage", s())
            .optional()
            .default("ENCRYPT_DECRYPT")
            .force_new(),
        attr("customer_master_key_spec", s())
            .optional()
            .default("SYMMETRIC_DEFAULT")
            .force_new(),
        attr("custom_key_store_id", s()).optional().force_new(),
        attr("xks_key_id", s()).optional().force_new(),
        // the key's policy; AWS writes its default policy when none is given
        attr("policy", AttrType::Json).optional().computed(),
        attr("bypass_policy_lockout_safety_check", b())
            .optional()
            .default(false),
        // ScheduleKeyDeletion's waiting period (7-30); only destroy reads it
        attr("deletion_window_in_days", n()).optional(),
        attr("is_enabled", b()).optional().default(true),
        attr("enable_key_rotation", b()).optional().default(false),
        attr("rotation_period_in_days", n()).optional().computed(),
        attr("multi_region", b()).optional().computed().force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "key_id"]));
    resource("aws_kms_key", Mode::Managed, a, vec![])
}

fn alias() -> ResourceSchema {
    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().computed().force_new(),
        attr("target_key_id", s()).required(),
    ];
    a.extend(computed(&["arn", "target_key_arn"]));
    resource("aws_kms_alias", Mode::Managed, a, vec![])
}

fn data_sources() -> Vec<ResourceSchema> {
    use Mode::Data;
    let parameter = vec![
        attr("name", s()).required(),
        attr("with_decryption", b()).optional().default(true),
        attr("value", s()).computed().sensitive(),
        attr("insecure_value", s()).computed(),
        attr("type", s()).computed(),
        attr("version", n()).computed(),
        attr("arn", s()).computed(),
        attr("id", s()).computed(),
    ];
    let addon = vec![
        attr("addon_name", s()).required(),
        attr("kubernetes_version", s()).required(),
        attr("most_recent", b()).optional(),
        attr("version", s()).computed(),
        attr("id", s()).computed(),
    ];
    let versions = vec![
        attr("cluster_type", s()).optional(),
        attr("cluster_versions_only", list_s()).optional(),
        attr("default_only", b()).optional(),
        attr("include_all", b()).optional(),
        attr("version_status", s()).optional(),
        // objects: cluster_type, cluster_version, default_platform_version,
        // default_version, end_of_extended_support_date, end_of_standard_support_date,
        // kubernetes_patch_version, release_date, version_status
        attr("cluster_versions", AttrType::Any).computed(),
        attr("id", s()).computed(),
    ];
    let principal = vec![
        attr("service_name", s()).required(),
        attr("name", s()).computed(),
        attr("suffix", s()).computed(),
        attr("id", s()).computed(),
    ];
    vec![
        resource("aws_ssm_parameter", Data, parameter, vec![]),
        resource("aws_eks_addon_version", Data, addon, vec![]),
        resource("aws_eks_cluster_versions", Data, versions, vec![]),
        resource("aws_service_principal", Data, principal, vec![]),
    ]
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    let mut out = vec![key(), alias()];
    out.extend(data_sources());
    out
}
