//! The provider v6 arguments of `aws_eks_node_group` (terraform-aws-eks v21):
//! `node_group_name_prefix` (a unique name from the prefix, as other `name_prefix`
//! arguments here), `force_update_version` (UpdateNodegroupVersion's `force`; EKS does not
//! store it), `remote_access` (force-new), `node_repair_config` (in place through
//! UpdateNodegroupConfig) and `update_config.update_strategy`.

use std::collections::BTreeMap;

use aws_sdk_eks::types::{
    NodeRepairConfig, NodeRepairConfigOverrides, Nodegroup, RemoteAccessConfig, RepairAction,
};
use infra_model::Value;
use infra_provider::CreateRequest;

use crate::util::{first_block, get_bool, get_i64, get_str, get_strings, opt, strings};

/// The node group's name: `node_group_name`, else `node_group_name_prefix` (or
/// Terraform's `terraform-`) and 26 characters of the create's idempotency token, so a
/// rerun of the same intent finds the group it made. EKS allows 63 characters.
pub(crate) fn name(req: &CreateRequest) -> String {
    match get_str(&req.config, "node_group_name") {
        Some(n) => n.to_string(),
        None => crate::util::prefixed_name(
            get_str(&req.config, "node_group_name_prefix").unwrap_or("terraform-"),
            &req.token,
            63,
        ),
    }
}

fn int(v: &Value, k: &str) -> Option<i32> {
    get_i64(v, k).and_then(|n| i32::try_from(n).ok())
}

pub(crate) fn remote_access(c: &Value) -> Option<RemoteAccessConfig> {
    let r = first_block(c, "remote_access");
    (!r.is_null()).then(|| {
        let groups = get_strings(r, "source_security_group_ids");
        RemoteAccessConfig::builder()
            .set_ec2_ssh_key(get_str(r, "ec2_ssh_key").map(str::to_string))
            .set_source_security_groups((!groups.is_empty()).then_some(groups))
            .build()
    })
}

pub(crate) fn repair(c: &Value) -> Option<NodeRepairConfig> {
    let r = first_block(c, "node_repair_config");
    (!r.is_null()).then(|| {
        let overrides: Vec<NodeRepairConfigOverrides> = r
            .get("node_repair_config_overrides")
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(|o| {
                NodeRepairConfigOverrides::builder()
                    .set_min_repair_wait_time_mins(int(o, "min_repair_wait_time_mins"))
                    .set_node_monitoring_condition(
                        get_str(o, "node_monitoring_condition").map(str::to_string),
                    )
                    .set_node_unhealthy_reason(
                        get_str(o, "node_unhealthy_reason").map(str::to_string),
                    )
                    .set_repair_action(get_str(o, "repair_action").map(RepairAction::from))
                    .build()
            })
            .collect();
        NodeRepairConfig::builder()
            .set_enabled(get_bool(r, "enabled"))
            .set_max_parallel_nodes_repaired_count(int(r, "max_parallel_nodes_repaired_count"))
            .set_max_parallel_nodes_repaired_percentage(int(
                r,
                "max_parallel_nodes_repaired_percentage",
            ))
            .set_max_unhealthy_node_threshold_count(int(r, "max_unhealthy_node_threshold_count"))
            .set_max_unhealthy_node_threshold_percentage(int(
                r,
                "max_unhealthy_node_threshold_percentage",
            ))
            .set_node_repair_config_overrides((!overrides.is_empty()).then_some(overrides))
            .build()
    })
}

fn num(n: Option<i32>) -> Value {
    n.map(|n| Value::Number(f64::from(n)))
        .unwrap_or(Value::Null)
}

/// The v6 attributes of a node group as DescribeNodegroup reports them.
pub(crate) fn put(m: &mut BTreeMap<String, Value>, ng: &Nodegroup, prior: Option<&Value>) {
    let carried = |k: &str| prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
    m.insert(
        "node_group_name_prefix".into(),
        carried("node_group_name_prefix"),
    );
    m.insert(
        "force_update_version".into(),
        match carried("force_update_version") {
            Value::Null => Value::Bool(false),
            v => v,
        },
    );
    let ra = ng.remote_access().map(|r| {
        Value::map([
            ("ec2_ssh_key", opt(r.ec2_ssh_key())),
            (
                "source_security_group_ids",
                strings(r.source_security_groups().iter().map(String::as_str)),
            ),
        ])
    });
    m.insert(
        "remote_access".into(),
        Value::List(ra.into_iter().collect()),
    );
    let rc = ng.node_repair_config().map(|r| {
        let overrides = r
            .node_repair_config_overrides()
            .iter()
            .map(|o| {
                Value::map([
                    (
                        "min_repair_wait_time_mins",
                        num(o.min_repair_wait_time_mins()),
                    ),
                    (
                        "node_monitoring_condition",
                        opt(o.node_monitoring_condition()),
                    ),
                    ("node_unhealthy_reason", opt(o.node_unhealthy_reason())),
                    (
                        "repair_action",
                        opt(o.repair_action().map(RepairAction::as_str)),
                    ),
                ])
            })
            .collect();
        Value::map([
            (
                "enabled",
                r.enabled().map(Value::Bool).unwrap_or(Value::Null),
            ),
            (
                "max_parallel_nodes_repaired_count",
                num(r.max_parallel_nodes_repaired_count()),
            ),
            (
                "max_parallel_nodes_repaired_percentage",
                num(r.max_parallel_nodes_repaired_percentage()),
            ),
            (
                "max_unhealthy_node_threshold_count",
                num(r.max_unhealthy_node_threshold_count()),
            ),
            (
                "max_unhealthy_node_threshold_percentage",
                num(r.max_unhealthy_node_threshold_percentage()),
            ),
            ("node_repair_config_overrides", Value::List(overrides)),
        ])
    });
    m.insert(
        "node_repair_config".into(),
        Value::List(rc.into_iter().collect()),
    );
}
