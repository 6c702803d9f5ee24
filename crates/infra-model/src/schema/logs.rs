//! CloudWatch Logs log groups (`aws_cloudwatch_log_group`: an EKS cluster's control-plane
//! logs, a VPC's flow logs) and VPC flow logs (`aws_flow_log`), as terraform-aws-eks and
//! terraform-aws-vpc create them.
//!
//! Names, defaults, computed attributes and force-new marks are the Terraform AWS
//! provider's (`internal/service/logs/group.go`, `internal/service/ec2/vpc_flow_log.go`):
//! a log group's retention, KMS key, tags and `skip_destroy` change in place; everything
//! of a flow log but its tags forces a new one.

use super::*;

fn log_group() -> ResourceSchema {
    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().computed().force_new(),
        // 0: the events never expire
        attr("retention_in_days", n())
            .optional()
            .default(Value::Number(0.0)),
        attr("kms_key_id", s()).optional(),
        attr("log_group_class", s())
            .optional()
            .computed()
            .force_new(),
        // what destroy does: nothing when true (the group is kept)
        attr("skip_destroy", b()).optional().default(false),
    ];
    a.extend(tags());
    a.extend(computed(&["arn"]));
    resource("aws_cloudwatch_log_group", Mode::Managed, a, vec![])
}

fn flow_log() -> ResourceSchema {
    // exactly one of the targets is set; each forces a new flow log
    let mut a: Vec<AttrSchema> = [
        "vpc_id",
        "subnet_id",
        "eni_id",
        "transit_gateway_id",
        "transit_gateway_attachment_id",
        "regional_nat_gateway_id",
    ]
    .into_iter()
    .map(|t| attr(t, s()).optional().force_new())
    .collect();
    a.extend([
        attr("traffic_type", s()).optional().force_new(),
        attr("log_destination_type", s())
            .optional()
            .default("cloud-watch-logs")
            .force_new(),
        attr("log_destination", s())
            .optional()
            .computed()
            .force_new(),
        attr("iam_role_arn", s()).optional().force_new(),
        attr("deliver_cross_account_role", s())
            .optional()
            .force_new(),
        attr("log_format", s()).optional().computed().force_new(),
        attr("max_aggregation_interval", n())
            .optional()
            .default(Value::Number(600.0))
            .force_new(),
    ]);
    a.extend(tags());
    a.extend(computed(&["arn"]));
    // not written: whatever the destination reports is kept (Terraform suppresses the
    // diff of a missing optional block)
    let options = block(
        "destination_options",
        Nesting::List,
        vec![
            attr("file_format", s())
                .optional()
                .default("plain-text")
                .force_new(),
            attr("hive_compatible_partitions", b())
                .optional()
                .default(false)
                .force_new(),
            attr("per_hour_partition", b())
                .optional()
                .default(false)
                .force_new(),
        ],
    )
    .max(1)
    .force_new()
    .computed();
    resource("aws_flow_log", Mode::Managed, a, vec![options])
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    vec![log_group(), flow_log()]
}
