//! `moved` blocks in the planner and the renderers: the change of the new address records
//! the old one, nothing is destroyed or created, the text says "has moved to" and the JSON
//! sets `previous_address`; the saved plan keeps it.

use std::collections::BTreeMap;

use infra_model::{Address, Value};
use serde_json::json;

use crate::{
    render_json, render_text, Action, DesiredInstance, Lifecycle, PlanOptions, Planner,
    PriorInstance,
};

fn a(s: &str) -> Address {
    Address::parse(s).expect("address")
}

fn plan_with_move(cidr: &str) -> crate::Plan {
    let attrs = json!({"id": "vpc-1", "arn": "arn:vpc-1", "cidr_block": "10.0.0.0/16", "enable_dns_hostnames": false, "enable_dns_support": true, "instance_tenancy": "default", "tags": {}, "tags_all": {}, "owner_id": "1", "main_route_table_id": "rtb-m", "default_route_table_id": "rtb-d", "default_security_group_id": "sg-d", "default_network_acl_id": "acl-d"});
    // the engine renamed the prior instance before planning
    let prior = PriorInstance {
        provider: Default::default(),
        address: a("aws_vpc.b"),
        id: "vpc-1".into(),
        attributes: Value::from_json(&attrs),
        depends_on: Vec::new(),
        deposed: None,
    };
    let mut p = Planner::new(PlanOptions::default(), vec![prior]);
    p.note_moved(a("aws_vpc.a"), a("aws_vpc.b"));
    p.plan_instance(&DesiredInstance {
        provider: Default::default(),
        address: a("aws_vpc.b"),
        config: Value::from_json(&json!({"cidr_block": cidr})),
        depends_on: Vec::new(),
        lifecycle: Lifecycle::default(),
    });
    let (plan, diags) = p.finish(BTreeMap::new());
    assert!(diags.is_empty(), "{diags:?}");
    plan
}

#[test]
fn a_move_alone_is_a_change_without_create_or_destroy() {
    let plan = plan_with_move("10.0.0.0/16");
    assert_eq!(plan.changes.len(), 1);
    let c = &plan.changes[0];
    assert_eq!(
        (c.action, c.previous_address.clone()),
        (Action::NoOp, Some(a("aws_vpc.a")))
    );
    assert!(plan.has_changes());
    assert_eq!(plan.summary(), (0, 0, 0));
    assert_eq!(plan.moves(), vec![(a("aws_vpc.a"), a("aws_vpc.b"))]);
    assert!(plan.graph.steps.is_empty());
    let text = render_text(&plan, false);
    assert!(
        text.contains("  # aws_vpc.a has moved to aws_vpc.b\n"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{text}"
    );
    let j = render_json(&plan);
    let rc = &j["resource_changes"][0];
    assert_eq!(rc["address"], "aws_vpc.b");
    assert_eq!(rc["previous_address"], "aws_vpc.a");
    assert_eq!(rc["change"]["actions"], json!(["no-op"]));
    let back = crate::from_file_json(&crate::to_file_json(&plan)).expect("plan file");
    assert_eq!(back.moves(), plan.moves());
}

#[test]
fn a_moved_object_that_also_changes_says_both() {
    let plan = plan_with_move("10.1.0.0/16");
    let c = &plan.changes[0];
    assert!(c.action.is_replace(), "{:?}", c.action);
    let text = render_text(&plan, false);
    assert!(
        text.contains("# aws_vpc.b must be replaced\n  # (moved from aws_vpc.a)"),
        "{text}"
    );
}
