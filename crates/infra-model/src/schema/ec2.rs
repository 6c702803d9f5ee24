//! EC2 types beyond the core network: security group rules managed as resources of their
//! own (`aws_security_group_rule`, `aws_vpc_security_group_ingress_rule` /
//! `_egress_rule`); the VPC's default objects (`aws_default_security_group`,
//! `aws_default_route_table`); `aws_egress_only_internet_gateway`; VPC Block Public
//! Access (`aws_vpc_block_public_access_options`, `_exclusion`).

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::Managed;
    let mut out = Vec::new();

    // every argument but the description forces a new rule, as in Terraform
    let a = vec![
        attr("type", s()).required().force_new(),
        attr("security_group_id", s()).required().force_new(),
        attr("protocol", s()).required().force_new(),
        attr("from_port", n()).required().force_new(),
        attr("to_port", n()).required().force_new(),
        attr("cidr_blocks", list_s()).optional().force_new(),
        attr("ipv6_cidr_blocks", list_s()).optional().force_new(),
        attr("prefix_list_ids", list_s()).optional().force_new(),
        attr("source_security_group_id", s())
            .optional()
            .computed()
            .force_new(),
        attr("self", b()).optional().default(false).force_new(),
        attr("description", s()).optional(),
        attr("id", s()).computed(),
    ];
    out.push(resource("aws_security_group_rule", Managed, a, vec![]));

    for type_name in [
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
    ] {
        let mut a = vec![
            attr("security_group_id", s()).required().force_new(),
            attr("ip_protocol", s()).required(),
            attr("from_port", n()).optional(),
            attr("to_port", n()).optional(),
            attr("cidr_ipv4", s()).optional(),
            attr("cidr_ipv6", s()).optional(),
            attr("prefix_list_id", s()).optional(),
            attr("referenced_security_group_id", s()).optional(),
            attr("description", s()).optional(),
        ];
        a.extend(tags());
        a.extend(computed(&["arn", "security_group_rule_id"]));
        out.push(resource(type_name, Managed, a, vec![]));
    }

    // the VPC's default objects, taken over: rules and routes become the configuration's
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
    let mut a = vec![attr("vpc_id", s()).optional().computed().force_new()];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id", "name", "description"]));
    out.push(resource(
        "aws_default_security_group",
        Managed,
        a,
        // no block written: no rules (the default group is locked down), as in Terraform
        vec![
            block("ingress", Nesting::Set, rule()),
            block("egress", Nesting::Set, rule()),
        ],
    ));

    let mut a = vec![
        attr("default_route_table_id", s()).required().force_new(),
        attr("propagating_vgws", set_s()).optional(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id", "vpc_id", "route_table_id"]));
    let route = super::network::route_block_attrs(true);
    out.push(resource(
        "aws_default_route_table",
        Managed,
        a,
        vec![block("route", Nesting::Set, route).computed()],
    ));

    let mut a = vec![attr("vpc_id", s()).required().force_new()];
    a.extend(tags());
    a.extend(computed(&[]));
    out.push(resource(
        "aws_egress_only_internet_gateway",
        Managed,
        a,
        vec![],
    ));

    // the region's one setting: id = the region; destroy sets the mode back to `off`
    let mut a = vec![attr("internet_gateway_block_mode", s()).required()];
    a.extend(computed(&["aws_account_id", "aws_region"]));
    out.push(resource(
        "aws_vpc_block_public_access_options",
        Managed,
        a,
        vec![],
    ));

    let mut a = vec![
        attr("internet_gateway_exclusion_mode", s()).required(),
        attr("vpc_id", s()).optional().force_new(),
        attr("subnet_id", s()).optional().force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&["resource_arn"]));
    out.push(resource(
        "aws_vpc_block_public_access_exclusion",
        Managed,
        a,
        vec![],
    ));
    out
}
