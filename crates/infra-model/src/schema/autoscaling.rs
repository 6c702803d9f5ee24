//! Auto Scaling groups (`aws_autoscaling_group`), as terraform-aws-eks's
//! `self-managed-node-group` makes them: a launch template or a mixed instances policy,
//! `tag` blocks with `propagate_at_launch`, an instance refresh, initial lifecycle hooks,
//! an instance maintenance policy.
//!
//! Names, defaults and force-new marks are the Terraform AWS provider's
//! (`website/docs/r/autoscaling_group.html.markdown`): only `name` / `name_prefix` force a
//! new group; everything else changes in place. `instance_refresh`, `initial_lifecycle_hook`,
//! `force_delete` and `wait_for_capacity_timeout` are not stored by AWS: the refresh is
//! started when the launch template or the mixed instances policy changes, the hooks are
//! sent at creation only (the provider documents them as create-only), `force_delete` is
//! read by destroy, the timeout by the wait after create. Warm pools, load balancers,
//! target groups, traffic sources and launch configurations are not supported yet (an
//! argument the schema lacks is an error at its file:line).

use super::*;

fn one(name: &'static str, attrs: Vec<AttrSchema>) -> BlockSchema {
    block(name, Nesting::List, attrs).max(1)
}

fn spec(name: &'static str) -> BlockSchema {
    one(
        name,
        vec![
            attr("launch_template_id", s()).optional().computed(),
            attr("launch_template_name", s()).optional().computed(),
            attr("version", s()).optional().computed(),
        ],
    )
}

fn mixed_instances_policy() -> BlockSchema {
    let distribution = one(
        "instances_distribution",
        vec![
            attr("on_demand_allocation_strategy", s())
                .optional()
                .computed(),
            attr("on_demand_base_capacity", n()).optional().computed(),
            attr("on_demand_percentage_above_base_capacity", n())
                .optional()
                .computed(),
            attr("spot_allocation_strategy", s()).optional().computed(),
            attr("spot_instance_pools", n()).optional().computed(),
            attr("spot_max_price", s()).optional().empty_is_null(),
        ],
    );
    let overrides = block(
        "override",
        Nesting::List,
        vec![
            attr("instance_type", s()).optional(),
            attr("weighted_capacity", s()).optional(),
        ],
    )
    .blocks(vec![
        super::lt_extra::instance_requirements(),
        spec("launch_template_specification"),
    ]);
    let template = one("launch_template", vec![]).min(1).blocks(vec![
        spec("launch_template_specification").min(1),
        overrides,
    ]);
    one("mixed_instances_policy", vec![]).blocks(vec![distribution, template])
}

fn instance_refresh() -> BlockSchema {
    let preferences = one(
        "preferences",
        vec![
            attr("auto_rollback", b()).optional(),
            attr("checkpoint_delay", s()).optional(),
            attr("checkpoint_percentages", AttrType::List(Box::new(n()))).optional(),
            attr("instance_warmup", s()).optional(),
            attr("max_healthy_percentage", n())
                .optional()
                .default(100.0),
            attr("min_healthy_percentage", n()).optional().default(90.0),
            attr("scale_in_protected_instances", s())
                .optional()
                .default("Ignore"),
            attr("skip_matching", b()).optional().default(false),
            attr("standby_instances", s()).optional().default("Ignore"),
        ],
    )
    .blocks(vec![one(
        "alarm_specification",
        vec![attr("alarms", list_s()).optional()],
    )]);
    one(
        "instance_refresh",
        vec![
            attr("strategy", s()).required(),
            attr("triggers", set_s()).optional(),
        ],
    )
    .blocks(vec![preferences])
}

fn group() -> ResourceSchema {
    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().computed().force_new(),
        attr("max_size", n()).required(),
        attr("min_size", n()).required(),
        attr("desired_capacity", n()).optional().computed(),
        attr("desired_capacity_type", s()).optional().computed(),
        attr("availability_zones", set_s()).optional().computed(),
        attr("vpc_zone_identifier", set_s()).optional().computed(),
        attr("capacity_rebalance", b()).optional().default(false),
        attr("context", s()).optional(),
        attr("default_cooldown", n()).optional().computed(),
        attr("default_instance_warmup", n()).optional(),
        attr("enabled_metrics", set_s()).optional(),
        attr("metrics_granularity", s())
            .optional()
            .default("1Minute"),
        attr("force_delete", b()).optional().default(false),
        attr("health_check_grace_period", n())
            .optional()
            .default(300.0),
        attr("health_check_type", s()).optional().computed(),
        attr("ignore_failed_scaling_activities", b())
            .optional()
            .default(false),
        attr("max_instance_lifetime", n()).optional(),
        attr("placement_group", s()).optional(),
        attr("protect_from_scale_in", b()).optional().default(false),
        attr("service_linked_role_arn", s()).optional().computed(),
        attr("suspended_processes", set_s()).optional(),
        attr("termination_policies", list_s()).optional(),
        // how long create waits for `min_size` (or `desired_capacity`) healthy instances
        // InService; "0" does not wait
        attr("wait_for_capacity_timeout", s())
            .optional()
            .default("10m"),
    ];
    a.extend(computed(&["arn"]));
    let template = one(
        "launch_template",
        vec![
            attr("id", s()).optional().computed(),
            attr("name", s()).optional().computed(),
            attr("version", s()).optional().computed(),
        ],
    );
    let blocks = vec![
        template,
        mixed_instances_policy(),
        instance_refresh(),
        block(
            "initial_lifecycle_hook",
            Nesting::Set,
            vec![
                attr("name", s()).required(),
                attr("lifecycle_transition", s()).required(),
                attr("default_result", s()).optional().computed(),
                attr("heartbeat_timeout", n()).optional(),
                attr("notification_metadata", s()).optional(),
                attr("notification_target_arn", s()).optional(),
                attr("role_arn", s()).optional(),
            ],
        ),
        one(
            "instance_maintenance_policy",
            vec![
                attr("min_healthy_percentage", n()).required(),
                attr("max_healthy_percentage", n()).required(),
            ],
        ),
        block(
            "tag",
            Nesting::Set,
            vec![
                attr("key", s()).required(),
                attr("value", s()).required(),
                attr("propagate_at_launch", b()).required(),
            ],
        ),
    ];
    resource("aws_autoscaling_group", Mode::Managed, a, blocks)
}

pub(super) fn schemas() -> Vec<ResourceSchema> {
    vec![group()]
}
