//! `removed` blocks in the planner and the renderers: an orphan a `destroy = false` block
//! covers is forgotten (no step, nothing deleted), the outermost module's block decides,
//! a destroy plan forgets it too, and every output names the action.

use std::collections::BTreeMap;

use infra_model::{Address, Value};
use serde_json::json;

use crate::{
    render_json, render_markdown, render_text, Action, PlanOptions, Planner, PriorInstance,
};

fn a(s: &str) -> Address {
    Address::parse(s).expect("address")
}

fn prior(addr: &str, id: &str) -> PriorInstance {
    PriorInstance {
        provider: Default::default(),
        address: a(addr),
        id: id.into(),
        attributes: Value::from_json(&json!({"id": id, "cidr_block": "10.0.0.0/16", "tags": {}})),
        depends_on: Vec::new(),
        deposed: None,
    }
}

fn plan(removed: &[(&str, bool)], destroy: bool) -> crate::Plan {
    let opts = PlanOptions {
        removed: removed.iter().map(|(f, d)| (a(f), *d)).collect(),
        destroy,
        ..Default::default()
    };
    let p = Planner::new(
        opts,
        vec![
            prior("aws_vpc.kept[0]", "vpc-1"),
            prior("aws_vpc.kept[1]", "vpc-2"),
            prior("aws_vpc.gone", "vpc-3"),
            prior("module.net[\"a\"].aws_vpc.this", "vpc-4"),
        ],
    );
    let (plan, diags) = p.finish(BTreeMap::new());
    assert!(diags.is_empty(), "{diags:?}");
    plan
}

fn actions(plan: &crate::Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{} {:?}", c.address, c.action))
        .collect()
}

#[test]
fn a_removed_block_with_destroy_false_forgets_every_instance_it_covers() {
    let plan = plan(&[("aws_vpc.kept", false), ("aws_vpc.gone", true)], false);
    assert_eq!(
        actions(&plan),
        [
            "aws_vpc.gone Delete",
            "aws_vpc.kept[0] Forget",
            "aws_vpc.kept[1] Forget",
            "module.net[\"a\"].aws_vpc.this Delete",
        ]
    );
    assert_eq!(plan.summary(), (0, 0, 2));
    assert_eq!(plan.forgets().len(), 2);
    assert!(plan.has_changes());
    // forgetting calls nothing: only the two deletes are steps
    let steps: Vec<String> = plan
        .graph
        .steps
        .iter()
        .map(|s| s.address.to_string())
        .collect();
    assert_eq!(steps, ["aws_vpc.gone", "module.net[\"a\"].aws_vpc.this"]);

    let text = render_text(&plan, false);
    assert!(text.contains("  # aws_vpc.kept[0] will no longer be managed by infra\n  # (because of a removed block with destroy = false: it stays in AWS, only the state forgets it)\n  . resource \"aws_vpc\" \"kept\" {\n        id = \"vpc-1\"\n    }\n"), "{text}");
    assert!(
        text.contains("Plan: 0 to add, 0 to change, 2 to destroy, 2 to forget."),
        "{text}"
    );
    let md = render_markdown(&plan, "s", "");
    assert!(
        md.contains("0 to add, 0 to change, 2 to destroy, 2 to forget (left in AWS)"),
        "{md}"
    );
    assert!(
        md.contains("**Forget (stays in AWS, leaves the state)** (2)"),
        "{md}"
    );
    let j = render_json(&plan);
    let kept = j["resource_changes"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["address"] == "aws_vpc.kept[0]"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(kept["change"]["actions"], json!(["forget"]));
    let back = crate::from_file_json(&crate::to_file_json(&plan)).expect("plan file");
    assert_eq!(actions(&back), actions(&plan));
}

#[test]
fn the_outermost_block_decides_and_a_module_block_covers_everything_inside() {
    // the root says destroy; a block declared inside the module said forget
    let plan1 = plan(
        &[
            ("module.net.aws_vpc.this", true),
            ("module.net.aws_vpc.this", false),
        ],
        false,
    );
    assert!(actions(&plan1).contains(&"module.net[\"a\"].aws_vpc.this Delete".to_string()));
    let plan2 = plan(&[("module.net", false)], false);
    assert!(actions(&plan2).contains(&"module.net[\"a\"].aws_vpc.this Forget".to_string()));
}

#[test]
fn a_destroy_plan_still_forgets_what_a_removed_block_keeps() {
    let plan = plan(&[("aws_vpc.kept", false)], true);
    assert_eq!(
        actions(&plan),
        [
            "aws_vpc.gone Delete",
            "aws_vpc.kept[0] Forget",
            "aws_vpc.kept[1] Forget",
            "module.net[\"a\"].aws_vpc.this Delete",
        ]
    );
    assert_eq!(
        plan.changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .count(),
        2
    );
}
