//! `lifecycle { ignore_changes }`: the named paths keep their prior value, everything
//! else follows the configuration. The planner applies it to the planned value, and apply
//! to the configuration it re-evaluates before an update (so an update never sends back
//! a value the plan ignored, such as a node group's `desired_size` an autoscaler owns).

use std::collections::BTreeMap;

use infra_model::{ResourceSchema, Value};

use crate::normalize::compute_tags_all;
use crate::paths::{self, Step};

/// Keep the prior value at every path of `ignore` in `planned` (`all`: every settable
/// attribute). With `fresh` (a replacement), read-only attributes are left as planned.
/// Returns the entries that are not attribute paths.
pub fn keep_ignored(
    schema: &ResourceSchema,
    planned: &mut Value,
    prior: &Value,
    ignore: &[String],
    default_tags: &BTreeMap<String, String>,
    fresh: bool,
) -> Vec<String> {
    let mut invalid = Vec::new();
    let mut touched_tags = false;
    for raw in ignore {
        let raw = raw.trim();
        if raw == "all" {
            for name in schema.settable_names() {
                set_path(planned, &[Step::Attr(name.to_string())], prior);
            }
            touched_tags = true;
            continue;
        }
        let Some(steps) = paths::parse(raw) else {
            invalid.push(raw.to_string());
            continue;
        };
        let Step::Attr(first) = &steps[0] else {
            continue;
        };
        let settable = schema
            .attribute(first)
            .is_some_and(|a| a.required || a.optional)
            || schema.block(first).is_some();
        if fresh && !settable {
            continue;
        }
        touched_tags |= first == "tags";
        set_path(planned, &steps, prior);
    }
    let ignores_tags_all = ignore.iter().any(|p| p.trim() == "tags_all");
    if touched_tags && !ignores_tags_all && schema.attribute("tags_all").is_some() {
        let tags_all = compute_tags_all(planned.get("tags"), Some(prior), default_tags);
        paths::set(planned, &[Step::Attr("tags_all".into())], Some(tags_all));
    }
    invalid
}

/// Copy the prior value at `steps` into `planned` (only that path: its siblings keep
/// their planned values). A top-level attribute the prior lacks becomes null.
fn set_path(planned: &mut Value, steps: &[Step], prior: &Value) {
    let v = paths::get(prior, steps).cloned();
    let v = if steps.len() == 1 {
        Some(v.unwrap_or(Value::Null))
    } else {
        v
    };
    paths::set(planned, steps, v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    /// Only the named path keeps its prior value; its siblings, and everything else, follow
    /// the configuration: nested block attributes, list indexes, map keys and `all`.
    #[test]
    fn only_the_named_path_keeps_its_prior_value() {
        let schema = infra_model::schema::lookup(infra_model::Mode::Managed, "aws_eks_node_group")
            .expect("schema");
        let prior = json!({
            "scaling_config": [{"min_size": 1, "max_size": 6, "desired_size": 5}],
            "instance_types": ["m5.large", "m5.xlarge"],
            "labels": {"team": "db", "role": "a"},
            "tags": {"Name": "ng"}, "tags_all": {"Name": "ng"}
        });
        let planned = json!({
            "scaling_config": [{"min_size": 2, "max_size": 8, "desired_size": 2}],
            "instance_types": ["c5.large", "c5.xlarge"],
            "labels": {"team": "web", "role": "b"},
            "tags": {"Name": "ng2"}, "tags_all": {"Name": "ng2"}
        });
        let cases: Vec<(&str, serde_json::Value)> = vec![
            (
                "scaling_config[0].desired_size",
                json!({
                    "scaling_config": [{"min_size": 2, "max_size": 8, "desired_size": 5}],
                    "instance_types": ["c5.large", "c5.xlarge"],
                    "labels": {"team": "web", "role": "b"},
                    "tags": {"Name": "ng2"}, "tags_all": {"Name": "ng2"}
                }),
            ),
            (
                "instance_types[1]",
                json!({
                    "scaling_config": [{"min_size": 2, "max_size": 8, "desired_size": 2}],
                    "instance_types": ["c5.large", "m5.xlarge"],
                    "labels": {"team": "web", "role": "b"},
                    "tags": {"Name": "ng2"}, "tags_all": {"Name": "ng2"}
                }),
            ),
            (
                "labels[\"team\"]",
                json!({
                    "scaling_config": [{"min_size": 2, "max_size": 8, "desired_size": 2}],
                    "instance_types": ["c5.large", "c5.xlarge"],
                    "labels": {"team": "db", "role": "b"},
                    "tags": {"Name": "ng2"}, "tags_all": {"Name": "ng2"}
                }),
            ),
            ("all", prior.clone()),
        ];
        for (path, want) in cases {
            let mut got = v(planned.clone());
            let invalid = keep_ignored(
                schema,
                &mut got,
                &v(prior.clone()),
                &[path.to_string()],
                &BTreeMap::new(),
                false,
            );
            assert!(invalid.is_empty(), "{path}");
            // (`all` writes null for what the prior lacks: null equals absent)
            assert!(
                crate::value_equal(&got, &v(want.clone())),
                "{path}: {got:?}"
            );
        }
        let mut got = v(planned.clone());
        let invalid = keep_ignored(
            schema,
            &mut got,
            &v(prior),
            &["labels[".into()],
            &BTreeMap::new(),
            false,
        );
        assert_eq!(invalid, ["labels["]);
        assert_eq!(got, v(planned));
    }
}
