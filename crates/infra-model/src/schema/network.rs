//! The AWS network layer: VPCs, subnets, gateways, addresses, routes, security groups,
//! and the data sources a network stack needs.

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::{Data, Managed};
    let mut out = Vec::new();

    let mut a = vec![
        attr("cidr_block", s()).required().force_new(),
        attr("enable_dns_hostnames", b()).optional().default(false),
        attr("enable_dns_support", b()).optional().default(true),
        attr("instance_tenancy", s())
            .optional()
            .default("default")
            .force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&[
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
        attr("cidr_block", s()).required().force_new(),
        attr("availability_zone", s())
            .optional()
            .computed()
            .force_new(),
        attr("map_public_ip_on_launch", b())
            .optional()
            .default(false),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id", "availability_zone_id"]));
    out.push(resource("aws_subnet", Managed, a, vec![]));

    let mut a = vec![attr("vpc_id", s()).optional()];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id"]));
    out.push(resource("aws_internet_gateway", Managed, a, vec![]));

    let mut a = vec![attr("domain", s()).optional().default("vpc").force_new()];
    a.extend(tags());
    a.extend(computed(&[
        "allocation_id",
        "public_ip",
        "public_dns",
        "association_id",
        "network_interface",
    ]));
    out.push(resource("aws_eip", Managed, a, vec![]));

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

    let route_attrs = || {
        vec![
            attr("cidr_block", s()).optional(),
            attr("gateway_id", s()).optional(),
            attr("nat_gateway_id", s()).optional(),
        ]
    };
    let mut a = vec![attr("vpc_id", s()).required().force_new()];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id"]));
    out.push(resource(
        "aws_route_table",
        Managed,
        a,
        vec![block("route", Nesting::Set, route_attrs()).computed()],
    ));

    let a = vec![
        attr("route_table_id", s()).required().force_new(),
        attr("destination_cidr_block", s()).required().force_new(),
        attr("gateway_id", s()).optional(),
        attr("nat_gateway_id", s()).optional(),
        attr("id", s()).computed(),
        attr("origin", s()).computed(),
        attr("state", s()).computed(),
    ];
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
            attr("id", s()).computed(),
            attr("names", list_s()).computed(),
            attr("zone_ids", list_s()).computed(),
        ],
        vec![],
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
