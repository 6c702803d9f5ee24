//! Data sources that look up what exists outside the stack: the partition, VPCs and
//! subnets, and hosted zones.

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

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::Data;
    vec![
        resource(
            "aws_partition",
            Data,
            vec![
                attr("id", s()).computed(),
                attr("partition", s()).computed(),
                attr("dns_suffix", s()).computed(),
                attr("reverse_dns_prefix", s()).computed(),
            ],
            vec![],
        ),
        resource(
            "aws_vpc",
            Data,
            vec![
                attr("id", s()).optional().computed(),
                attr("cidr_block", s()).optional().computed(),
                attr("default", b()).optional().computed(),
                attr("state", s()).optional().computed(),
                attr("tags", map_s()).optional().computed(),
                attr("arn", s()).computed(),
                attr("owner_id", s()).computed(),
                attr("dhcp_options_id", s()).computed(),
                attr("instance_tenancy", s()).computed(),
                attr("enable_dns_support", b()).computed(),
                attr("enable_dns_hostnames", b()).computed(),
                attr("main_route_table_id", s()).computed(),
            ],
            vec![filter_block()],
        ),
        resource(
            "aws_subnets",
            Data,
            vec![
                attr("tags", map_s()).optional(),
                attr("id", s()).computed(),
                attr("ids", list_s()).computed(),
            ],
            vec![filter_block()],
        ),
        resource(
            "aws_route53_zone",
            Data,
            vec![
                attr("zone_id", s()).optional().computed(),
                attr("name", s()).optional().computed(),
                attr("private_zone", b()).optional().default(false),
                attr("vpc_id", s()).optional().computed(),
                attr("tags", map_s()).optional().computed(),
                attr("id", s()).computed(),
                attr("arn", s()).computed(),
                attr("comment", s()).computed(),
                attr("caller_reference", s()).computed(),
                attr("name_servers", list_s()).computed(),
                attr("resource_record_set_count", n()).computed(),
            ],
            vec![],
        ),
    ]
}
