//! Computed attributes an in-place update changes, which the plan must therefore show as
//! unknown (the Terraform AWS provider's `SetNewComputed` in a CustomizeDiff): a launch
//! template whose data changes gets a new version, so `latest_version` (and, with
//! `update_default_version`, `default_version`) is known only after apply. What refers to
//! it, such as a node group's `launch_template.version`, is then planned as an update.

use infra_model::Value;

use crate::diff::AttrChange;

/// Attributes of a launch template whose change does not make a new version.
const TEMPLATE_META: &[&str] = &[
    "tags",
    "tags_all",
    "default_version",
    "update_default_version",
];

/// Mark what `changed` (the update's changed paths) recomputes in `planned` unknown.
pub(crate) fn on_update(type_name: &str, changed: &[AttrChange], planned: &mut Value) {
    if type_name == "aws_instance" {
        instance_restart(changed, planned);
        return;
    }
    if type_name != "aws_launch_template" {
        return;
    }
    let root = |path: &str| path.split(['.', '[']).next().unwrap_or(path).to_string();
    let new_version = changed
        .iter()
        .any(|c| !TEMPLATE_META.contains(&root(&c.path).as_str()));
    if !new_version {
        return;
    }
    let bump_default = planned.get("update_default_version").as_bool() == Some(true);
    if let Value::Map(m) = planned {
        m.insert("latest_version".into(), Value::Unknown);
        if bump_default {
            m.insert("default_version".into(), Value::Unknown);
        }
    }
}

/// An instance stopped and started for a new `instance_type` or user data gets a new
/// public address (unless an Elastic IP holds it): known only after apply.
fn instance_restart(changed: &[AttrChange], planned: &mut Value) {
    let restarts = changed.iter().any(|c| {
        matches!(
            c.path.as_str(),
            "instance_type" | "user_data" | "user_data_base64"
        )
    });
    if let (true, Value::Map(m)) = (restarts, planned) {
        for k in ["public_ip", "public_dns"] {
            m.insert(k.into(), Value::Unknown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &str) -> AttrChange {
        AttrChange {
            path: path.into(),
            force_new: false,
        }
    }

    #[test]
    fn template_data_changes_make_the_versions_unknown_tags_do_not() {
        let planned = || {
            Value::map([
                ("latest_version", Value::Number(1.0)),
                ("default_version", Value::Number(1.0)),
                ("update_default_version", Value::Bool(true)),
            ])
        };
        let mut v = planned();
        on_update("aws_launch_template", &[change("tags.env")], &mut v);
        assert_eq!(v.get("latest_version"), &Value::Number(1.0));
        on_update(
            "aws_launch_template",
            &[change("block_device_mappings[0].ebs[0].volume_size")],
            &mut v,
        );
        assert!(v.get("latest_version").is_unknown());
        assert!(v.get("default_version").is_unknown());
        let mut v = planned();
        on_update("aws_vpc", &[change("cidr_block")], &mut v);
        assert_eq!(v.get("latest_version"), &Value::Number(1.0));
    }
}
