//! The AWS network layer: VPCs, subnets, gateways, addresses, routes, security groups,
//! and the data sources a network stack needs.

use super::*;

/// Every target a route may have, as the Terraform provider names them.
pub(crate) const ROUTE_TARGETS: [&str; 11] = [
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "instance_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

/// An inline `route` block: one destination, one target. `with_instance`: the block takes
/// `instance_id` (`aws_default_route_table`; `aws_route_table`'s lost it in provider v5).
pub(crate) fn route_block_attrs(with_instance: bool) -> Vec<AttrSchema> {
    let mut a = vec![
        attr("cidr_block", s()).optional(),
        attr("ipv6_cidr_block", s()).optional(),
        attr("destination_prefix_list_id", s()).optional(),
    ];
    a.extend(
        ROUTE_TARGETS
            .iter()
            .filter(|t| with_instance || **t != "instance_id")
            .map(|t| attr(t, s()).optional()),
    );
    a
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::{Data, Managed};
    let mut out = Vec::new();

    let mut a = vec![
        // optional: a VPC may take its block from an IPAM pool instead
        attr("cidr_block", s()).optional().computed().force_new(),
        attr("ipv4_ipam_pool_id", s()).optional().force_new(),
        attr("ipv4_netmask_length", n()).optional().force_new(),
        attr("enable_dns_hostnames", b()).optional().default(false),
        attr("enable_dns_support", b()).optional().default(true),
        attr("enable_network_address_usage_metrics", b())
            .optional()
            .computed(),
        attr("instance_tenancy", s())
            .optional()
            .default("default")
            .force_new(),
        // IPv6: Amazon-provided, or from an IPAM pool; changed in place by associating
        // the new block and disassociating the old one
        attr("assign_generated_ipv6_cidr_block", b())
            .optional()
            .default(false),
        attr("ipv6_cidr_block", s()).optional().computed(),
        attr("ipv6_cidr_block_network_border_group", s())
            .optional()
            .computed(),
        attr("ipv6_ipam_pool_id", s()).optional(),
        attr("ipv6_netmask_length", n()).optional(),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "ipv6_association_id",
        "arn",
        "owner_id",
        "main_route_table_id",
        "default_route_table_id",
        "default_security_group_id",
        "default_network_acl_id",
    ]));
    out.push(resource("aws_vpc", Managed, a, vec![]));

    let mut a = vec![
        attr("vpc_id", s()).required().force_new(),
        // optional: an IPv6-only subnet (`ipv6_native`) has no IPv4 block
        attr("cidr_block", s()).optional().force_new(),
        attr("availability_zone", s())
            .optional()
            .computed()
            .force_new(),
        attr("availability_zone_id", s())
            .optional()
            .computed()
            .force_new(),
        attr("map_public_ip_on_launch", b())
            .optional()
            .default(false),
        attr("ipv6_cidr_block", s()).optional().computed(),
        attr("ipv6_native", b())
            .optional()
            .default(false)
            .force_new(),
        attr("assign_ipv6_address_on_creation", b())
            .optional()
            .default(false),
        attr("enable_dns64", b()).optional().default(false),
        attr("enable_resource_name_dns_a_record_on_launch", b())
            .optional()
            .default(false),
        attr("enable_resource_name_dns_aaaa_record_on_launch", b())
            .optional()
            .default(false),
        attr("private_dns_hostname_type_on_launch", s())
            .optional()
            .computed(),
        // Outposts
        attr("outpost_arn", s()).optional().force_new(),
        attr("customer_owned_ipv4_pool", s()).optional(),
        attr("map_customer_owned_ip_on_launch", b())
            .optional()
            .default(false),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "arn",
        "owner_id",
        "ipv6_cidr_block_association_id",
    ]));
    out.push(resource("aws_subnet", Managed, a, vec![]));

    let mut a = vec![attr("vpc_id", s()).optional()];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id"]));
    out.push(resource("aws_internet_gateway", Managed, a, vec![]));

    let mut a = vec![
        attr("domain", s()).optional().default("vpc").force_new(),
        // associated in place (AssociateAddress / DisassociateAddress), as the provider does
        attr("instance", s()).optional().computed(),
        attr("network_interface", s()).optional().computed(),
        attr("associate_with_private_ip", s()).optional(),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "allocation_id",
        "public_ip",
        "public_dns",
        "association_id",
        "private_ip",
        "private_dns",
    ]));
    out.push(resource("aws_eip", Managed, a, vec![]));

    // every argument forces a new association, as in the provider
    out.push(resource(
        "aws_eip_association",
        Managed,
        vec![
            attr("allocation_id", s()).optional().computed().force_new(),
            attr("public_ip", s()).optional().computed().force_new(),
            attr("instance_id", s()).optional().computed().force_new(),
            attr("network_interface_id", s())
                .optional()
                .computed()
                .force_new(),
            attr("private_ip_address", s())
                .optional()
                .computed()
                .force_new(),
            attr("allow_reassociation", b()).optional().force_new(),
            attr("id", s()).computed(),
        ],
        vec![],
    ));

    let mut a = vec![
        attr("allocation_id", s()).optional().force_new(),
        attr("subnet_id", s()).required().force_new(),
        attr("connectivity_type", s())
            .optional()
            .default("public")
            .force_new(),
        attr("private_ip", s()).optional().computed().force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "public_ip",
        "network_interface_id",
        "association_id",
    ]));
    out.push(resource("aws_nat_gateway", Managed, a, vec![]));

    let route_attrs = || route_block_attrs(false);
    let mut a = vec![attr("vpc_id", s()).required().force_new()];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id"]));
    out.push(resource(
        "aws_route_table",
        Managed,
        a,
        vec![block("route", Nesting::Set, route_attrs()).computed()],
    ));

    // one destination (IPv4, IPv6 or a prefix list) and one target
    let mut a = vec![
        attr("route_table_id", s()).required().force_new(),
        attr("destination_cidr_block", s()).optional().force_new(),
        attr("destination_ipv6_cidr_block", s())
            .optional()
            .force_new(),
        attr("destination_prefix_list_id", s())
            .optional()
            .force_new(),
    ];
    a.extend(
        ROUTE_TARGETS
            .iter()
            .filter(|t| **t != "instance_id")
            .map(|t| {
                let x = attr(t, s()).optional();
                // AWS reports the interface of an instance target
                if *t == "network_interface_id" {
                    x.computed()
                } else {
                    x
                }
            }),
    );
    a.extend([
        attr("id", s()).computed(),
        attr("instance_id", s()).computed(),
        attr("instance_owner_id", s()).computed(),
        attr("origin", s()).computed(),
        attr("state", s()).computed(),
    ]);
    out.push(resource("aws_route", Managed, a, vec![]));

    let a = vec![
        attr("subnet_id", s()).optional().force_new(),
        attr("gateway_id", s()).optional().force_new(),
        attr("route_table_id", s()).required(),
        attr("id", s()).computed(),
    ];
    out.push(resource("aws_route_table_association", Managed, a, vec![]));

    let rule = || {
        vec![
            attr("from_port", n()).required(),
            attr("to_port", n()).required(),
            attr("protocol", s()).required(),
            attr("cidr_blocks", list_s()).optional(),
            attr("ipv6_cidr_blocks", list_s()).optional(),
            attr("prefix_list_ids", list_s()).optional(),
            attr("security_groups", set_s()).optional(),
            attr("self", b()).optional().default(false),
            attr("description", s()).optional(),
        ]
    };
    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().force_new(),
        attr("description", s())
            .optional()
            .default("Managed by Terraform")
            .force_new(),
        attr("vpc_id", s()).optional().computed().force_new(),
        attr("revoke_rules_on_delete", b())
            .optional()
            .default(false),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id"]));
    out.push(resource(
        "aws_security_group",
        Managed,
        a,
        vec![
            block("ingress", Nesting::Set, rule()).computed(),
            block("egress", Nesting::Set, rule()).computed(),
        ],
    ));

    // ---- data sources ----
    out.push(resource(
        "aws_availability_zones",
        Data,
        vec![
            attr("state", s()).optional(),
            attr("all_availability_zones", b()).optional(),
            attr("exclude_names", set_s()).optional(),
            attr("exclude_zone_ids", set_s()).optional(),
            attr("id", s()).computed(),
            attr("names", list_s()).computed(),
            attr("zone_ids", list_s()).computed(),
            attr("group_names", set_s()).computed(),
        ],
        vec![block(
            "filter",
            Nesting::Set,
            vec![
                attr("name", s()).required(),
                attr("values", set_s()).required(),
            ],
        )],
    ));
    out.push(resource(
        "aws_region",
        Data,
        vec![
            attr("name", s()).optional().computed(),
            attr("id", s()).computed(),
            attr("description", s()).computed(),
            attr("endpoint", s()).computed(),
        ],
        vec![],
    ));
    out.push(resource(
        "aws_caller_identity",
        Data,
        vec![
            attr("id", s()).computed(),
            attr("account_id", s()).computed(),
            attr("arn", s()).computed(),
            attr("user_id", s()).computed(),
        ],
        vec![],
    ));
    out
}
