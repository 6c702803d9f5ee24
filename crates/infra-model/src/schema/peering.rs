//! VPC peering (`aws_vpc_peering_connection`, its accepter's side
//! `aws_vpc_peering_connection_accepter`, and the options of a connection managed on their
//! own, `aws_vpc_peering_connection_options`), and the data source that finds one
//! (`aws_vpc_peering_connection`), with the Terraform AWS provider's (v6) names.

use super::*;

/// `accepter` / `requester`: the peering options of one side, settable only while the
/// connection is active. Optional and computed, as in Terraform: left out, what AWS has is
/// kept.
fn side(name: &'static str) -> BlockSchema {
    block(
        name,
        Nesting::List,
        vec![attr("allow_remote_vpc_dns_resolution", b())
            .optional()
            .default(false)],
    )
    .max(1)
    .computed()
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::Managed;
    let mut out = Vec::new();

    let mut a = vec![
        attr("vpc_id", s()).required().force_new(),
        attr("peer_vpc_id", s()).required().force_new(),
        attr("peer_owner_id", s()).optional().computed().force_new(),
        attr("peer_region", s()).optional().computed().force_new(),
        // not readable from AWS: the configuration's value is kept
        attr("auto_accept", b()).optional(),
    ];
    a.extend(tags());
    a.extend(computed(&["accept_status"]));
    out.push(resource(
        "aws_vpc_peering_connection",
        Managed,
        a,
        vec![side("accepter"), side("requester")],
    ));

    let mut a = vec![
        attr("vpc_peering_connection_id", s())
            .required()
            .force_new(),
        attr("auto_accept", b()).optional(),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "accept_status",
        "vpc_id",
        "peer_vpc_id",
        "peer_owner_id",
        "peer_region",
    ]));
    out.push(resource(
        "aws_vpc_peering_connection_accepter",
        Managed,
        a,
        vec![side("accepter"), side("requester")],
    ));

    let mut a = vec![attr("vpc_peering_connection_id", s())
        .required()
        .force_new()];
    a.extend(computed(&[]));
    out.push(resource(
        "aws_vpc_peering_connection_options",
        Managed,
        a,
        vec![side("accepter"), side("requester")],
    ));

    // the one connection matching every argument given
    let mut a: Vec<AttrSchema> = [
        "id",
        "status",
        "vpc_id",
        "owner_id",
        "cidr_block",
        "region",
        "peer_vpc_id",
        "peer_owner_id",
        "peer_cidr_block",
        "peer_region",
    ]
    .into_iter()
    .map(|n| attr(n, s()).optional().computed())
    .collect();
    a.push(attr("tags", map_s()).optional().computed());
    for n in ["accepter", "requester"] {
        a.push(attr(n, AttrType::Map(Box::new(b()))).computed());
    }
    // lists of `{ cidr_block }` / `{ ipv6_cidr_block }` objects
    for n in [
        "cidr_block_set",
        "peer_cidr_block_set",
        "ipv6_cidr_block_set",
        "peer_ipv6_cidr_block_set",
    ] {
        a.push(attr(n, AttrType::List(Box::new(AttrType::Any))).computed());
    }
    out.push(resource(
        "aws_vpc_peering_connection",
        Mode::Data,
        a,
        vec![block(
            "filter",
            Nesting::Set,
            vec![
                attr("name", s()).required(),
                attr("values", set_s()).required(),
            ],
        )],
    ));
    out
}
