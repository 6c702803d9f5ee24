//! The plan as JSON, in the shape of `terraform show -json`: `resource_changes` and
//! `output_changes`. The binary may add a top-level `"infra"` object of its own.

use infra_model::{InstanceKey, Mode, Value};
use serde_json::{json, Map};

use crate::paths;
use crate::planner::reasons;
use crate::{Action, Plan, ResourceChange};

pub const FORMAT_VERSION: &str = "1.2";

pub fn render_json(plan: &Plan) -> serde_json::Value {
    let changes: Vec<serde_json::Value> = plan.changes.iter().map(resource_change).collect();
    let mut outputs = Map::new();
    for (name, oc) in &plan.outputs {
        let actions: &[&str] = match &oc.before {
            None => &["create"],
            Some(b) if crate::diff::value_equal(b, &oc.after) => &["no-op"],
            Some(_) if oc.after.is_null() => &["delete"],
            Some(_) => &["update"],
        };
        let (before, after, after_unknown) = if oc.sensitive {
            (
                serde_json::Value::Null,
                serde_json::Value::Null,
                json!(oc.after.is_unknown()),
            )
        } else {
            (
                oc.before
                    .as_ref()
                    .map(Value::to_json_redacted)
                    .unwrap_or(serde_json::Value::Null),
                oc.after.to_json_redacted(),
                oc.after.unknown_mask(),
            )
        };
        let mask = |v: Option<&Value>| match v {
            _ if oc.sensitive => json!(true),
            Some(v) => v.sensitive_mask(),
            None => json!(false),
        };
        outputs.insert(
            name.clone(),
            json!({
                "actions": actions,
                "before": before,
                "after": after,
                "after_unknown": after_unknown,
                "before_sensitive": mask(oc.before.as_ref()),
                "after_sensitive": mask(Some(&oc.after)),
            }),
        );
    }
    json!({
        "format_version": FORMAT_VERSION,
        "resource_changes": changes,
        "output_changes": outputs,
    })
}

fn resource_change(c: &ResourceChange) -> serde_json::Value {
    let a = &c.address;
    let mut o = Map::new();
    o.insert("address".into(), json!(a.to_string()));
    if !a.module.is_empty() {
        o.insert("module_address".into(), json!(a.module_path()));
    }
    o.insert(
        "mode".into(),
        json!(if a.mode == Mode::Data {
            "data"
        } else {
            "managed"
        }),
    );
    o.insert("type".into(), json!(a.type_name));
    o.insert("name".into(), json!(a.name));
    o.insert("provider_name".into(), json!(provider_name(&a.type_name)));
    match &a.key {
        Some(InstanceKey::Int(i)) => {
            o.insert("index".into(), json!(i));
        }
        Some(InstanceKey::Str(s)) => {
            o.insert("index".into(), json!(s));
        }
        None => {}
    }
    if let Some(p) = &c.previous_address {
        o.insert("previous_address".into(), json!(p.to_string()));
    }
    if let Some(d) = &c.deposed {
        o.insert("deposed".into(), json!(d));
    }
    let mut change = Map::new();
    change.insert("actions".into(), json!(c.action.terraform_actions()));
    // sensitive values are left out (null); `*_sensitive` says where they are
    change.insert(
        "before".into(),
        c.before
            .as_ref()
            .map(Value::to_json_redacted)
            .unwrap_or(serde_json::Value::Null),
    );
    change.insert(
        "after".into(),
        c.after
            .as_ref()
            .map(Value::to_json_redacted)
            .unwrap_or(serde_json::Value::Null),
    );
    change.insert(
        "after_unknown".into(),
        c.after
            .as_ref()
            .map(Value::unknown_mask)
            .unwrap_or_else(|| json!({})),
    );
    let mask = |v: Option<&Value>| v.map(Value::sensitive_mask).unwrap_or(json!(false));
    change.insert("before_sensitive".into(), mask(c.before.as_ref()));
    change.insert("after_sensitive".into(), mask(c.after.as_ref()));
    if !c.replace_paths.is_empty() {
        let rp: Vec<serde_json::Value> = c.replace_paths.iter().map(|p| replace_path(p)).collect();
        change.insert("replace_paths".into(), json!(rp));
    }
    o.insert("change".into(), serde_json::Value::Object(change));
    if let Some(r) = action_reason(c) {
        o.insert("action_reason".into(), json!(r));
    }
    serde_json::Value::Object(o)
}

/// The provider's source address, as Terraform writes `provider_name`: the provider's
/// local name is the type name's first word (`aws_vpc` -> hashicorp/aws, `random_id` ->
/// hashicorp/random); `terraform_data` and `terraform_remote_state` are Terraform's own.
fn provider_name(type_name: &str) -> String {
    match type_name.split_once('_').map_or(type_name, |(p, _)| p) {
        "terraform" => "terraform.io/builtin/terraform".to_string(),
        p => format!("registry.terraform.io/hashicorp/{p}"),
    }
}

/// Terraform's `replace_paths` entry: `scaling_config[0].desired_size` becomes
/// `["scaling_config", 0, "desired_size"]`.
fn replace_path(p: &str) -> serde_json::Value {
    match paths::parse(p) {
        Some(steps) => json!(steps
            .iter()
            .map(|s| match s {
                paths::Step::Attr(a) | paths::Step::Key(a) => json!(a),
                paths::Step::Index(i) => json!(i),
            })
            .collect::<Vec<_>>()),
        None => json!([p]),
    }
}

/// Terraform's `action_reason` values.
fn action_reason(c: &ResourceChange) -> Option<&'static str> {
    match (c.action, c.reason.as_deref()) {
        (Action::DeleteThenCreate | Action::CreateThenDelete, Some(reasons::REPLACE_REQUESTED)) => {
            Some("replace_by_request")
        }
        (Action::DeleteThenCreate | Action::CreateThenDelete, _) => {
            Some("replace_because_cannot_update")
        }
        (Action::Delete, Some(reasons::NOT_IN_CONFIG)) => Some("delete_because_no_resource_config"),
        (Action::Read, _) => Some("read_because_config_unknown"),
        _ => None,
    }
}
