//! EC2 network types around the VPC: network ACLs (`aws_network_acl`, its rules and
//! associations, the VPC's `aws_default_network_acl`), DHCP options and their
//! association, secondary IPv4 CIDR blocks, and the region's `aws_default_vpc`.

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::Managed;
    let mut out = Vec::new();

    // an inline rule of a network ACL (`rule_no`, `action`: not the rule resource's names)
    let entry = || {
        vec![
            attr("from_port", n()).required(),
            attr("to_port", n()).required(),
            attr("rule_no", n()).required(),
            attr("action", s()).required(),
            attr("protocol", s()).required(),
            attr("cidr_block", s()).optional(),
            attr("ipv6_cidr_block", s()).optional(),
            attr("icmp_type", n()).optional(),
            attr("icmp_code", n()).optional(),
        ]
    };

    let mut a = vec![
        attr("vpc_id", s()).required().force_new(),
        attr("subnet_ids", set_s()).optional().computed(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id"]));
    out.push(resource(
        "aws_network_acl",
        Managed,
        a,
        // no block written: the rules belong to aws_network_acl_rule resources
        vec![
            block("ingress", Nesting::Set, entry()).computed(),
            block("egress", Nesting::Set, entry()).computed(),
        ],
    ));

    // an entry cannot change: every argument forces a new rule, as in Terraform
    let a = vec![
        attr("network_acl_id", s()).required().force_new(),
        attr("rule_number", n()).required().force_new(),
        attr("egress", b()).optional().default(false).force_new(),
        attr("protocol", s()).required().force_new(),
        attr("rule_action", s()).required().force_new(),
        attr("cidr_block", s()).optional().force_new(),
        attr("ipv6_cidr_block", s()).optional().force_new(),
        attr("from_port", n()).optional().force_new(),
        attr("to_port", n()).optional().force_new(),
        attr("icmp_type", n()).optional().force_new(),
        attr("icmp_code", n()).optional().force_new(),
        attr("id", s()).computed(),
    ];
    out.push(resource("aws_network_acl_rule", Managed, a, vec![]));

    let a = vec![
        attr("network_acl_id", s()).required().force_new(),
        attr("subnet_id", s()).required().force_new(),
        attr("id", s()).computed(),
    ];
    out.push(resource("aws_network_acl_association", Managed, a, vec![]));

    let mut a = vec![
        attr("default_network_acl_id", s()).required().force_new(),
        attr("subnet_ids", set_s()).optional().computed(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id", "vpc_id"]));
    out.push(resource(
        "aws_default_network_acl",
        Managed,
        a,
        // no block written: no rules (all traffic denied), as in Terraform
        vec![
            block("ingress", Nesting::Set, entry()),
            block("egress", Nesting::Set, entry()),
        ],
    ));

    let mut a = vec![
        attr("domain_name", s())
            .optional()
            .force_new()
            .empty_is_null(),
        attr("domain_name_servers", list_s()).optional().force_new(),
        attr("ntp_servers", list_s()).optional().force_new(),
        attr("netbios_name_servers", list_s())
            .optional()
            .force_new(),
        attr("netbios_node_type", s())
            .optional()
            .force_new()
            .empty_is_null(),
        attr("ipv6_address_preferred_lease_time", s())
            .optional()
            .force_new()
            .empty_is_null(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id"]));
    out.push(resource("aws_vpc_dhcp_options", Managed, a, vec![]));

    let a = vec![
        attr("vpc_id", s()).required().force_new(),
        attr("dhcp_options_id", s()).required(),
        attr("id", s()).computed(),
    ];
    out.push(resource(
        "aws_vpc_dhcp_options_association",
        Managed,
        a,
        vec![],
    ));

    let a = vec![
        attr("vpc_id", s()).required().force_new(),
        attr("cidr_block", s()).optional().computed().force_new(),
        attr("ipv4_ipam_pool_id", s()).optional().force_new(),
        attr("ipv4_netmask_length", n()).optional().force_new(),
        attr("id", s()).computed(),
    ];
    out.push(resource(
        "aws_vpc_ipv4_cidr_block_association",
        Managed,
        a,
        vec![],
    ));

    // taken over, not created (unless the region has none); nothing forces a new one
    let mut a = vec![
        attr("enable_dns_support", b()).optional().default(true),
        attr("enable_dns_hostnames", b()).optional().default(true),
        attr("force_destroy", b()).optional().default(false),
        attr("existing_default_vpc", b()).computed(),
        // as aws_vpc: changed in place
        attr("enable_network_address_usage_metrics", b())
            .optional()
            .computed(),
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
        "arn",
        "owner_id",
        "cidr_block",
        "instance_tenancy",
        "main_route_table_id",
        "default_route_table_id",
        "default_security_group_id",
        "default_network_acl_id",
        "ipv6_association_id",
    ]));
    out.push(resource("aws_default_vpc", Managed, a, vec![]));
    out
}
