//! SQS queues (`aws_sqs_queue`, `aws_sqs_queue_policy`) and EventBridge rules and targets
//! (`aws_cloudwatch_event_rule`, `aws_cloudwatch_event_target`), as terraform-aws-eks's
//! `karpenter` sub-module creates them (an interruption queue fed by four rules).
//!
//! Names, defaults, computed attributes and force-new marks are the Terraform AWS
//! provider's (`internal/service/sqs/queue.go`, `queue_policy.go`,
//! `internal/service/events/rule.go`, `target.go`): a queue's name, prefix and FIFO flag
//! force a new queue, every other attribute changes in place (SetQueueAttributes); a
//! policy's queue forces a new one; a rule's name, prefix and bus force a new rule; a
//! target's rule, id and bus force a new target. Policies, redrive documents and event
//! patterns are JSON compared semantically. The target blocks of other services (ECS,
//! Batch, Kinesis, Redshift, SageMaker, HTTP, Run Command, AppSync) are not supported.

use super::*;

/// `name` and `name_prefix` (a name made from the prefix when no name is written; an
/// empty string is not written, as in Terraform's SDKv2 strings), both forcing a new one.
fn named() -> Vec<AttrSchema> {
    ["name", "name_prefix"]
        .into_iter()
        .map(|n| {
            attr(n, s())
                .optional()
                .computed()
                .force_new()
                .empty_is_null()
        })
        .collect()
}

fn queue() -> ResourceSchema {
    let num = |name: &'static str, default: f64| attr(name, n()).optional().default(default);
    let mut a = named();
    a.extend([
        attr("fifo_queue", b())
            .optional()
            .default(false)
            .force_new(),
        attr("content_based_deduplication", b())
            .optional()
            .default(false),
        attr("deduplication_scope", s()).optional().computed(),
        attr("fifo_throughput_limit", s()).optional().computed(),
        num("delay_seconds", 0.0),
        num("max_message_size", 262_144.0),
        num("message_retention_seconds", 345_600.0),
        num("receive_wait_time_seconds", 0.0),
        num("visibility_timeout_seconds", 30.0),
        attr("policy", AttrType::Json).optional().computed(),
        attr("redrive_policy", AttrType::Json).optional().computed(),
        attr("redrive_allow_policy", AttrType::Json)
            .optional()
            .computed(),
        attr("sqs_managed_sse_enabled", b()).optional().computed(),
        attr("kms_master_key_id", s()).optional().empty_is_null(),
        // 300 when the queue does not say (Terraform's backwards-compatible value)
        attr("kms_data_key_reuse_period_seconds", n())
            .optional()
            .computed(),
    ]);
    a.extend(tags());
    a.extend(computed(&["arn", "url"]));
    resource("aws_sqs_queue", Mode::Managed, a, vec![])
}

fn queue_policy() -> ResourceSchema {
    let a = vec![
        attr("queue_url", s()).required().force_new(),
        attr("policy", AttrType::Json).required(),
        attr("id", s()).computed(),
    ];
    resource("aws_sqs_queue_policy", Mode::Managed, a, vec![])
}

fn rule() -> ResourceSchema {
    let mut a = named();
    a.extend([
        attr("description", s()).optional(),
        attr("event_pattern", AttrType::Json).optional(),
        attr("schedule_expression", s()).optional(),
        attr("event_bus_name", s())
            .optional()
            .default("default")
            .force_new(),
        // ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
        attr("state", s()).optional().computed(),
        // deprecated: `state` says the same
        attr("is_enabled", b()).optional().computed(),
        attr("role_arn", s()).optional().empty_is_null(),
        // what destroy does: also delete a rule a service manages
        attr("force_destroy", b()).optional().default(false),
    ]);
    a.extend(tags());
    a.extend(computed(&["arn"]));
    resource("aws_cloudwatch_event_rule", Mode::Managed, a, vec![])
}

fn target() -> ResourceSchema {
    let a = vec![
        attr("rule", s()).required().force_new(),
        // `terraform-` and a unique suffix when not written
        attr("target_id", s()).optional().computed().force_new(),
        attr("arn", s()).required(),
        attr("event_bus_name", s())
            .optional()
            .default("default")
            .force_new(),
        attr("role_arn", s()).optional().empty_is_null(),
        attr("input", s()).optional().empty_is_null(),
        attr("input_path", s()).optional().empty_is_null(),
        // what destroy does: also remove a target of a rule a service manages
        attr("force_destroy", b()).optional().default(false),
        attr("id", s()).computed(),
    ];
    let one = |name: &'static str, attrs: Vec<AttrSchema>| block(name, Nesting::List, attrs).max(1);
    let blocks = vec![
        one(
            "input_transformer",
            vec![
                attr("input_paths", map_s()).optional(),
                attr("input_template", s()).required(),
            ],
        ),
        one("sqs_target", vec![attr("message_group_id", s()).optional()]),
        one(
            "retry_policy",
            vec![
                attr("maximum_event_age_in_seconds", n()).optional(),
                attr("maximum_retry_attempts", n()).optional(),
            ],
        ),
        one("dead_letter_config", vec![attr("arn", s()).optional()]),
    ];
    resource("aws_cloudwatch_event_target", Mode::Managed, a, blocks)
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    vec![queue(), queue_policy(), rule(), target()]
}

#[cfg(test)]
mod tests {
    use super::super::{lookup, Mode};

    #[test]
    fn the_four_types_are_registered_with_terraforms_force_new_marks() {
        let q = lookup(Mode::Managed, "aws_sqs_queue").expect("aws_sqs_queue");
        assert!(q.attribute("fifo_queue").is_some_and(|a| a.force_new));
        assert!(q
            .attribute("visibility_timeout_seconds")
            .is_some_and(|a| !a.force_new));
        let p = lookup(Mode::Managed, "aws_sqs_queue_policy").expect("policy");
        assert!(p
            .attribute("queue_url")
            .is_some_and(|a| a.force_new && a.required));
        let r = lookup(Mode::Managed, "aws_cloudwatch_event_rule").expect("rule");
        assert!(r.attribute("event_bus_name").is_some_and(|a| a.force_new));
        let t = lookup(Mode::Managed, "aws_cloudwatch_event_target").expect("target");
        assert!(t
            .attribute("target_id")
            .is_some_and(|a| a.force_new && a.computed));
        assert_eq!(t.block("sqs_target").and_then(|b| b.max_items), Some(1));
    }
}
