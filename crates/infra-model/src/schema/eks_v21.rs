//! The arguments and blocks of `aws_eks_cluster`, `aws_eks_node_group` and `aws_eks_addon`
//! that the Terraform AWS provider v6 added (and terraform-aws-eks v21 sets): access and
//! upgrade policies, EKS Auto Mode (`compute_config`, `storage_config`, load balancing),
//! hybrid nodes (`remote_network_config`), Outposts, node repair, pod identity.

use super::*;

fn list1(name: &'static str, attrs: Vec<AttrSchema>) -> BlockSchema {
    block(name, Nesting::List, attrs).max(1)
}

pub(crate) fn cluster_attrs() -> Vec<AttrSchema> {
    vec![
        attr("deletion_protection", b()).optional().computed(),
        attr("bootstrap_self_managed_addons", b())
            .optional()
            .default(true)
            .force_new(),
        attr("force_update_version", b()).optional().default(false),
    ]
}

pub(crate) fn cluster_blocks() -> Vec<BlockSchema> {
    let cidrs = |name| list1(name, vec![attr("cidrs", set_s()).optional().force_new()]);
    vec![
        list1(
            "access_config",
            vec![
                attr("authentication_mode", s()).optional().computed(),
                attr("bootstrap_cluster_creator_admin_permissions", b())
                    .optional()
                    .default(true)
                    .force_new(),
            ],
        )
        .computed(),
        list1(
            "encryption_config",
            vec![attr("resources", set_s()).required().force_new()],
        )
        .blocks(vec![list1(
            "provider",
            vec![attr("key_arn", s()).required().force_new()],
        )
        .min(1)]),
        list1(
            "kubernetes_network_config",
            vec![
                attr("service_ipv4_cidr", s())
                    .optional()
                    .computed()
                    .force_new(),
                attr("ip_family", s()).optional().computed().force_new(),
                attr("service_ipv6_cidr", s()).computed(),
            ],
        )
        .blocks(vec![list1(
            "elastic_load_balancing",
            vec![attr("enabled", b()).optional()],
        )
        .computed()])
        .computed(),
        list1(
            "upgrade_policy",
            vec![attr("support_type", s()).optional().computed()],
        )
        .computed(),
        list1("zonal_shift_config", vec![attr("enabled", b()).optional()]),
        list1(
            "compute_config",
            vec![
                attr("enabled", b()).optional(),
                attr("node_pools", set_s()).optional(),
                attr("node_role_arn", s()).optional(),
            ],
        ),
        list1("storage_config", vec![]).blocks(vec![list1(
            "block_storage",
            vec![attr("enabled", b()).optional()],
        )]),
        list1("remote_network_config", vec![])
            .blocks(vec![
                cidrs("remote_node_networks").min(1),
                cidrs("remote_pod_networks").computed(),
            ])
            .force_new(),
        list1(
            "outpost_config",
            vec![
                attr("control_plane_instance_type", s())
                    .required()
                    .force_new(),
                attr("outpost_arns", set_s()).required().force_new(),
            ],
        )
        .blocks(vec![list1(
            "control_plane_placement",
            vec![attr("group_name", s()).required().force_new()],
        )])
        .force_new(),
        list1(
            "control_plane_scaling_config",
            vec![attr("tier", s()).optional().computed()],
        )
        .computed(),
    ]
}

pub(crate) fn node_group_attrs() -> Vec<AttrSchema> {
    vec![
        attr("node_group_name_prefix", s())
            .optional()
            .computed()
            .force_new(),
        attr("force_update_version", b()).optional().default(false),
    ]
}

pub(crate) fn node_group_blocks() -> Vec<BlockSchema> {
    vec![
        list1(
            "remote_access",
            vec![
                attr("ec2_ssh_key", s()).optional().force_new(),
                attr("source_security_group_ids", set_s())
                    .optional()
                    .force_new(),
            ],
        )
        .force_new(),
        list1(
            "node_repair_config",
            vec![
                attr("enabled", b()).optional().computed(),
                attr("max_parallel_nodes_repaired_count", n())
                    .optional()
                    .computed(),
                attr("max_parallel_nodes_repaired_percentage", n())
                    .optional()
                    .computed(),
                attr("max_unhealthy_node_threshold_count", n())
                    .optional()
                    .computed(),
                attr("max_unhealthy_node_threshold_percentage", n())
                    .optional()
                    .computed(),
            ],
        )
        .blocks(vec![block(
            "node_repair_config_overrides",
            Nesting::List,
            vec![
                attr("min_repair_wait_time_mins", n()).optional(),
                attr("node_monitoring_condition", s()).optional(),
                attr("node_unhealthy_reason", s()).optional(),
                attr("repair_action", s()).optional(),
            ],
        )])
        .computed(),
    ]
}

pub(crate) fn addon_blocks() -> Vec<BlockSchema> {
    vec![block(
        "pod_identity_association",
        Nesting::Set,
        vec![
            attr("role_arn", s()).required(),
            attr("service_account", s()).required(),
        ],
    )]
}
