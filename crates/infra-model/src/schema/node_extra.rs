//! What the EKS module's node groups read and tag besides the launch template:
//! `aws_ec2_tag` (one tag on a resource infra does not manage) and the data sources `aws_subnet` (one subnet by id or filters) and
//! `aws_iam_session_context` (the role behind an assumed-role ARN). Names, force-new
//! marks and exported attributes are the Terraform AWS provider's (`r/ec2_tag`,
//! `d/subnet`, `d/iam_session_context`).

use super::*;

fn filter_block() -> BlockSchema {
    block(
        "filter",
        Nesting::Set,
        vec![
            attr("name", s()).required(),
            attr("values", set_s()).required(),
        ],
    )
}

fn subnet_data() -> ResourceSchema {
    let mut a = vec![];
    for name in [
        "id",
        "availability_zone",
        "availability_zone_id",
        "cidr_block",
        "ipv6_cidr_block",
        "state",
        "vpc_id",
    ] {
        a.push(attr(name, s()).optional().computed());
    }
    a.push(attr("default_for_az", b()).optional().computed());
    a.push(attr("tags", map_s()).optional().computed());
    for name in [
        "arn",
        "customer_owned_ipv4_pool",
        "ipv6_cidr_block_association_id",
        "outpost_arn",
        "owner_id",
        "private_dns_hostname_type_on_launch",
    ] {
        a.push(attr(name, s()).computed());
    }
    for name in [
        "assign_ipv6_address_on_creation",
        "enable_dns64",
        "enable_resource_name_dns_aaaa_record_on_launch",
        "enable_resource_name_dns_a_record_on_launch",
        "ipv6_native",
        "map_customer_owned_ip_on_launch",
        "map_public_ip_on_launch",
    ] {
        a.push(attr(name, b()).computed());
    }
    a.push(attr("available_ip_address_count", n()).computed());
    a.push(attr("enable_lni_at_device_index", n()).computed());
    resource("aws_subnet", Mode::Data, a, vec![filter_block()])
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    let tag = vec![
        attr("resource_id", s()).required().force_new(),
        attr("key", s()).required().force_new(),
        attr("value", s()).required(),
        attr("id", s()).computed(),
    ];
    let session = vec![
        attr("arn", s()).required(),
        attr("id", s()).computed(),
        attr("issuer_arn", s()).computed(),
        attr("issuer_id", s()).computed(),
        attr("issuer_name", s()).computed(),
        attr("session_name", s()).computed(),
    ];
    vec![
        resource("aws_ec2_tag", Mode::Managed, tag, vec![]),
        subnet_data(),
        resource("aws_iam_session_context", Mode::Data, session, vec![]),
    ]
}
