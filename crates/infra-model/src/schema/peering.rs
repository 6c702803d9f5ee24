//! VPC peering (`aws_vpc_peering_connection`, its accepter's side
//! `aws_vpc_peering_connection_accepter`, and the options of a connection managed on their
//! own, `aws_vpc_peering_connection_options`), with the Terraform AWS provider's (v6) names.

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
    out
}
