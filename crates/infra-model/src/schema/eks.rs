//! EKS: clusters, managed node groups, access entries and their policy associations,
//! add-ons, Fargate profiles, OIDC identity provider configs, and the `aws_eks_cluster`
//! data source.

use super::*;

fn list_of_maps() -> AttrType {
    AttrType::List(Box::new(AttrType::Map(Box::new(AttrType::String))))
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::{Data, Managed};
    let mut out = Vec::new();

    let mut a = vec![
        attr("name", s()).required().force_new(),
        attr("role_arn", s()).required().force_new(),
        attr("version", s()).optional().computed(),
        attr("enabled_cluster_log_types", set_s()).optional(),
    ];
    a.extend(super::eks_v21::cluster_attrs());
    a.extend(tags());
    a.extend(computed(&["arn", "endpoint", "status", "platform_version"]));
    a.push(attr("certificate_authority", list_of_maps()).computed());
    // `identity[0].oidc[0].issuer`: the OIDC issuer IRSA's provider is made for
    a.push(attr("identity", AttrType::Any).computed());
    let vpc_config = block(
        "vpc_config",
        Nesting::List,
        vec![
            attr("subnet_ids", set_s()).required().force_new(),
            attr("security_group_ids", set_s()).optional(),
            attr("endpoint_private_access", b())
                .optional()
                .default(false),
            attr("endpoint_public_access", b()).optional().default(true),
            attr("public_access_cidrs", set_s()).optional().computed(),
            attr("cluster_security_group_id", s()).computed(),
            attr("vpc_id", s()).computed(),
        ],
    )
    .min(1)
    .max(1);
    let mut blocks = vec![vpc_config];
    blocks.extend(super::eks_v21::cluster_blocks());
    out.push(resource("aws_eks_cluster", Managed, a, blocks));

    let mut a = vec![
        attr("cluster_name", s()).required().force_new(),
        attr("node_group_name", s())
            .optional()
            .computed()
            .force_new(),
        attr("node_role_arn", s()).required().force_new(),
        attr("subnet_ids", set_s()).required().force_new(),
        attr("instance_types", list_s())
            .optional()
            .computed()
            .force_new(),
        attr("capacity_type", s())
            .optional()
            .default("ON_DEMAND")
            .force_new(),
        attr("disk_size", n()).optional().computed().force_new(),
        attr("ami_type", s()).optional().computed().force_new(),
        attr("labels", map_s()).optional(),
        attr("version", s()).optional().computed(),
        attr("release_version", s()).optional().computed(),
    ];
    a.extend(super::eks_v21::node_group_attrs());
    a.extend(tags());
    a.extend(computed(&["arn", "status"]));
    let blocks = vec![
        block(
            "scaling_config",
            Nesting::List,
            vec![
                attr("min_size", n()).required(),
                attr("max_size", n()).required(),
                attr("desired_size", n()).required(),
            ],
        )
        .min(1)
        .max(1),
        block(
            "update_config",
            Nesting::List,
            vec![
                attr("max_unavailable", n()).optional(),
                attr("max_unavailable_percentage", n()).optional(),
                attr("update_strategy", s()).optional().computed(),
            ],
        )
        .max(1),
        block(
            "taint",
            Nesting::Set,
            vec![
                attr("key", s()).required(),
                attr("value", s()).optional(),
                attr("effect", s()).required(),
            ],
        )
        .max(50),
        block(
            "launch_template",
            Nesting::List,
            vec![
                attr("id", s()).optional().computed().force_new(),
                attr("name", s()).optional().computed().force_new(),
                attr("version", s()).required(),
            ],
        )
        .max(1),
    ];
    let mut blocks = blocks;
    blocks.extend(super::eks_v21::node_group_blocks());
    out.push(resource("aws_eks_node_group", Managed, a, blocks));

    let mut a = vec![
        attr("cluster_name", s()).required().force_new(),
        attr("principal_arn", s()).required().force_new(),
        attr("kubernetes_groups", set_s()).optional().computed(),
        attr("type", s()).optional().default("STANDARD").force_new(),
        attr("user_name", s()).optional().computed(),
    ];
    a.extend(tags());
    a.extend(computed(&["access_entry_arn", "created_at", "modified_at"]));
    out.push(resource("aws_eks_access_entry", Managed, a, vec![]));

    let a = vec![
        attr("cluster_name", s()).required().force_new(),
        attr("principal_arn", s()).required().force_new(),
        attr("policy_arn", s()).required().force_new(),
        attr("id", s()).computed(),
        attr("associated_at", s()).computed(),
        attr("modified_at", s()).computed(),
    ];
    let scope = block(
        "access_scope",
        Nesting::List,
        vec![
            attr("type", s()).required(),
            attr("namespaces", set_s()).optional(),
        ],
    )
    .min(1)
    .max(1)
    .force_new();
    out.push(resource(
        "aws_eks_access_policy_association",
        Managed,
        a,
        vec![scope],
    ));

    let mut a = vec![
        attr("cluster_name", s()).required().force_new(),
        attr("addon_name", s()).required().force_new(),
        attr("addon_version", s()).optional().computed(),
        attr("configuration_values", s()).optional().computed(),
        attr("service_account_role_arn", s()).optional(),
        attr("resolve_conflicts_on_create", s()).optional(),
        attr("resolve_conflicts_on_update", s()).optional(),
        attr("preserve", b()).optional(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "created_at", "modified_at"]));
    out.push(resource(
        "aws_eks_addon",
        Managed,
        a,
        super::eks_v21::addon_blocks(),
    ));

    let mut a = vec![
        attr("cluster_name", s()).required().force_new(),
        attr("fargate_profile_name", s()).required().force_new(),
        attr("pod_execution_role_arn", s()).required().force_new(),
        attr("subnet_ids", set_s()).optional().force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "status"]));
    let selector = block(
        "selector",
        Nesting::Set,
        vec![
            attr("namespace", s()).required(),
            attr("labels", map_s()).optional(),
        ],
    )
    .min(1)
    .force_new();
    out.push(resource(
        "aws_eks_fargate_profile",
        Managed,
        a,
        vec![selector],
    ));

    let mut a = vec![attr("cluster_name", s()).required().force_new()];
    a.extend(tags());
    a.extend(computed(&["arn", "status"]));
    let oidc = block(
        "oidc",
        Nesting::List,
        vec![
            attr("client_id", s()).required(),
            attr("identity_provider_config_name", s()).required(),
            attr("issuer_url", s()).required(),
            attr("groups_claim", s()).optional(),
            attr("groups_prefix", s()).optional(),
            attr("required_claims", map_s()).optional(),
            attr("username_claim", s()).optional(),
            attr("username_prefix", s()).optional(),
        ],
    )
    .min(1)
    .max(1)
    .force_new();
    out.push(resource(
        "aws_eks_identity_provider_config",
        Managed,
        a,
        vec![oidc],
    ));

    // ---- data sources ----
    out.push(resource(
        "aws_eks_cluster",
        Data,
        vec![
            attr("name", s()).required(),
            attr("id", s()).computed(),
            attr("arn", s()).computed(),
            attr("endpoint", s()).computed(),
            attr("version", s()).computed(),
            attr("platform_version", s()).computed(),
            attr("status", s()).computed(),
            attr("role_arn", s()).computed(),
            attr("tags", map_s()).computed(),
            attr("certificate_authority", list_of_maps()).computed(),
            attr("identity", AttrType::Any).computed(),
            attr("vpc_config", list_of_maps()).computed(),
        ],
        vec![],
    ));
    out
}
