//! VPC IP Address Manager: `aws_vpc_ipam` (its default scopes are computed),
//! `aws_vpc_ipam_pool`, `aws_vpc_ipam_pool_cidr` (id `CIDR_POOLID`, as the Terraform provider
//! encodes it) and `aws_vpc_ipam_preview_next_cidr` (id `CIDR_POOLID`; nothing in AWS).
//! Force-new and defaults are the Terraform AWS provider's.

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::Managed;
    let mut out = Vec::new();

    let mut a = vec![
        attr("description", s()).optional(),
        attr("tier", s()).optional().default("advanced"),
        attr("enable_private_gua", b()).optional().default(false),
        attr("metered_account", s()).optional().computed(),
        // sent with DeleteIpam only
        attr("cascade", b()).optional(),
        attr("scope_count", n()).computed(),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "arn",
        "default_resource_discovery_association_id",
        "default_resource_discovery_id",
        "private_default_scope_id",
        "public_default_scope_id",
    ]));
    out.push(resource(
        "aws_vpc_ipam",
        Managed,
        a,
        vec![block(
            "operating_regions",
            Nesting::Set,
            vec![attr("region_name", s()).required()],
        )
        .min(1)],
    ));

    let mut a = vec![
        attr("address_family", s()).required().force_new(),
        attr("ipam_scope_id", s()).required().force_new(),
        attr("allocation_default_netmask_length", n()).optional(),
        attr("allocation_max_netmask_length", n()).optional(),
        attr("allocation_min_netmask_length", n()).optional(),
        attr("allocation_resource_tags", map_s()).optional(),
        attr("auto_import", b()).optional().default(false),
        attr("aws_service", s()).optional().force_new(),
        // sent with DeleteIpamPool only
        attr("cascade", b()).optional(),
        attr("description", s()).optional(),
        attr("locale", s()).optional().default("None").force_new(),
        // AWS reports `byoip` for a public IPv6 pool that did not say
        attr("public_ip_source", s())
            .optional()
            .computed()
            .force_new(),
        attr("publicly_advertisable", b())
            .optional()
            .computed()
            .force_new(),
        attr("source_ipam_pool_id", s()).optional().force_new(),
        attr("pool_depth", n()).computed(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "ipam_scope_type", "state"]));
    out.push(resource("aws_vpc_ipam_pool", Managed, a, vec![]));

    let a = vec![
        attr("ipam_pool_id", s()).required().force_new(),
        attr("cidr", s()).optional().computed().force_new(),
        attr("netmask_length", n())
            .optional()
            .computed()
            .force_new(),
        attr("id", s()).computed(),
        attr("ipam_pool_cidr_id", s()).computed(),
    ];
    out.push(resource(
        "aws_vpc_ipam_pool_cidr",
        Managed,
        a,
        vec![block(
            "cidr_authorization_context",
            Nesting::List,
            vec![
                attr("message", s()).optional().force_new(),
                attr("signature", s()).optional().force_new(),
            ],
        )
        .max(1)
        .force_new()],
    ));

    let a = vec![
        attr("ipam_pool_id", s()).required().force_new(),
        attr("netmask_length", n()).optional().force_new(),
        attr("disallowed_cidrs", set_s()).optional().force_new(),
        attr("cidr", s()).computed(),
        attr("id", s()).computed(),
    ];
    out.push(resource(
        "aws_vpc_ipam_preview_next_cidr",
        Managed,
        a,
        vec![],
    ));
    out
}
