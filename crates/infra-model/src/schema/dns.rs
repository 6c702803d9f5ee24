//! Route53: hosted zones, record sets, health checks, VPC associations of private zones
//! and reusable delegation sets.

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::Managed;
    let mut out = Vec::new();

    let mut a = vec![
        attr("name", s()).required().force_new(),
        attr("comment", s())
            .optional()
            .default("Managed by Terraform"),
        attr("force_destroy", b()).optional().default(false),
        attr("delegation_set_id", s()).optional().force_new(),
        attr("name_servers", list_s()).computed(),
    ];
    a.extend(tags());
    a.extend(computed(&["zone_id", "arn"]));
    let vpc = block(
        "vpc",
        Nesting::Set,
        vec![
            attr("vpc_id", s()).required(),
            attr("vpc_region", s()).optional().computed(),
        ],
    );
    out.push(resource("aws_route53_zone", Managed, a, vec![vpc]));

    let a = vec![
        attr("zone_id", s()).required().force_new(),
        attr("name", s()).required().force_new(),
        attr("type", s()).required().force_new(),
        attr("ttl", n()).optional(),
        attr("records", set_s()).optional(),
        attr("set_identifier", s()).optional().force_new(),
        attr("health_check_id", s()).optional(),
        attr("id", s()).computed(),
        attr("fqdn", s()).computed(),
    ];
    let blocks = vec![
        block(
            "alias",
            Nesting::List,
            vec![
                attr("name", s()).required(),
                attr("zone_id", s()).required(),
                attr("evaluate_target_health", b()).required(),
            ],
        )
        .max(1),
        block(
            "failover_routing_policy",
            Nesting::List,
            vec![attr("type", s()).required()],
        )
        .max(1),
        block(
            "weighted_routing_policy",
            Nesting::List,
            vec![attr("weight", n()).required()],
        )
        .max(1),
    ];
    out.push(resource("aws_route53_record", Managed, a, blocks));

    let mut a = vec![
        attr("type", s()).required().force_new(),
        attr("fqdn", s()).optional(),
        attr("ip_address", s()).optional(),
        attr("port", n()).optional(),
        attr("resource_path", s()).optional(),
        attr("failure_threshold", n()).optional().default(3.0),
        attr("request_interval", n())
            .optional()
            .default(30.0)
            .force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn"]));
    out.push(resource("aws_route53_health_check", Managed, a, vec![]));

    let a = vec![
        attr("zone_id", s()).required().force_new(),
        attr("vpc_id", s()).required().force_new(),
        attr("vpc_region", s()).optional().computed().force_new(),
        attr("id", s()).computed(),
        attr("owning_account", s()).computed(),
    ];
    out.push(resource("aws_route53_zone_association", Managed, a, vec![]));

    let a = vec![
        attr("reference_name", s()).optional().force_new(),
        attr("id", s()).computed(),
        attr("arn", s()).computed(),
        attr("caller_reference", s()).computed(),
        attr("name_servers", list_s()).computed(),
    ];
    out.push(resource("aws_route53_delegation_set", Managed, a, vec![]));
    out
}
