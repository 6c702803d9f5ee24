//! The planner with the EKS, IAM and Route53 schemas: what updates in place, what
//! replaces, `ignore_changes` on a node group's desired size, and IAM policies compared
//! as policies.

use super::*;
use serde_json::json;

fn node_group(max: i64, desired: i64, instance: &str) -> serde_json::Value {
    json!({
        "id": "c:ng", "arn": "arn:ng", "status": "ACTIVE",
        "cluster_name": "c", "node_group_name": "ng", "node_role_arn": "arn:role",
        "subnet_ids": ["subnet-a", "subnet-b"], "instance_types": [instance],
        "capacity_type": "ON_DEMAND", "disk_size": 20, "ami_type": "AL2_x86_64",
        "labels": {"role": "db"}, "version": "1.29", "release_version": "1.29.0",
        "scaling_config": [{"min_size": 2, "max_size": max, "desired_size": desired}],
        "update_config": [], "taint": [], "launch_template": [],
        "tags": {}, "tags_all": {}
    })
}

fn node_group_cfg(max: i64, desired: i64, instance: &str) -> serde_json::Value {
    json!({
        "cluster_name": "c", "node_group_name": "ng", "node_role_arn": "arn:role",
        "subnet_ids": ["subnet-b", "subnet-a"], "instance_types": [instance],
        "labels": {"role": "db"},
        "scaling_config": [{"min_size": 2, "max_size": max, "desired_size": desired}]
    })
}

fn plan_one(prior_attrs: serde_json::Value, d: DesiredInstance) -> Vec<String> {
    let addr = d.address.to_string();
    let (plan, diags) = run(
        PlanOptions::default(),
        vec![prior(&addr, prior_attrs, &[])],
        vec![d],
    );
    assert!(diags.is_empty(), "{diags:?}");
    summary(&plan)
}

#[test]
fn node_group_changes() {
    let addr = "aws_eks_node_group.stateful";
    let ignore = |d| {
        with_lc(d, |l| {
            l.ignore_changes = vec!["scaling_config[0].desired_size".into()]
        })
    };
    // the autoscaler moved desired_size to 5; the stack still says 2
    let cases: Vec<(&str, DesiredInstance, &str)> = vec![
        (
            "unchanged",
            desired(addr, node_group_cfg(6, 5, "m5.large"), &[]),
            "NoOp",
        ),
        (
            "desired_size drift ignored",
            ignore(desired(addr, node_group_cfg(6, 2, "m5.large"), &[])),
            "NoOp",
        ),
        (
            "desired_size drift not ignored",
            desired(addr, node_group_cfg(6, 2, "m5.large"), &[]),
            "Update",
        ),
        (
            "max_size is an update",
            ignore(desired(addr, node_group_cfg(8, 2, "m5.large"), &[])),
            "Update",
        ),
        (
            "max_size is an update when the whole path is written with a key",
            with_lc(desired(addr, node_group_cfg(8, 2, "m5.large"), &[]), |l| {
                l.ignore_changes = vec!["scaling_config[0][\"desired_size\"]".into()]
            }),
            "Update",
        ),
        (
            "a label ignored, max_size still an update",
            with_lc(desired(addr, node_group_cfg(8, 5, "m5.large"), &[]), |l| {
                l.ignore_changes = vec!["labels[\"role\"]".into()]
            }),
            "Update",
        ),
        (
            "all ignores max_size too",
            with_lc(desired(addr, node_group_cfg(8, 2, "m5.xlarge"), &[]), |l| {
                l.ignore_changes = vec!["all".into()]
            }),
            "NoOp",
        ),
        (
            "instance_types replaces",
            ignore(desired(addr, node_group_cfg(6, 2, "m5.xlarge"), &[])),
            "DeleteThenCreate",
        ),
    ];
    for (name, d, want) in cases {
        let got = plan_one(node_group(6, 5, "m5.large"), d);
        assert_eq!(got.len(), 1, "{name}: {got:?}");
        assert!(
            got[0].starts_with(&format!("{addr} {want}")),
            "{name}: {got:?}"
        );
    }
}

#[test]
fn assume_role_policy_is_compared_as_a_policy() {
    let addr = "aws_iam_role.cluster";
    let stored = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let prior_attrs = json!({
        "id": "r", "name": "r", "arn": "arn:r", "unique_id": "AROA", "create_date": "x",
        "path": "/", "description": null, "max_session_duration": 3600,
        "assume_role_policy": stored, "tags": {}, "tags_all": {},
        "name_prefix": null, "permissions_boundary": null, "force_detach_policies": false
    });
    let cfg = |doc: &str| json!({"name": "r", "assume_role_policy": doc});
    let reformatted = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\"sts:AssumeRole\"],\n      \"Principal\": {\"Service\": [\"eks.amazonaws.com\"]}\n    }\n  ]\n}";
    let got = plan_one(prior_attrs.clone(), desired(addr, cfg(reformatted), &[]));
    assert!(got[0].starts_with(&format!("{addr} NoOp")), "{got:?}");
    let ec2 = stored.replace("eks.amazonaws.com", "ec2.amazonaws.com");
    let got = plan_one(prior_attrs, desired(addr, cfg(&ec2), &[]));
    assert!(got[0].starts_with(&format!("{addr} Update")), "{got:?}");
}

#[test]
fn record_ttl_is_an_update_and_name_a_replace() {
    let addr = "aws_route53_record.www";
    let prior_attrs = json!({
        "id": "Z1_www.example.com_A", "fqdn": "www.example.com", "zone_id": "Z1",
        "name": "www", "type": "A", "ttl": 300, "records": ["10.0.0.1"],
        "set_identifier": null, "health_check_id": null,
        "alias": [], "failover_routing_policy": [], "weighted_routing_policy": []
    });
    let cfg = |name: &str, ttl: i64| json!({"zone_id": "Z1", "name": name, "type": "A", "ttl": ttl, "records": ["10.0.0.1"]});
    let got = plan_one(prior_attrs.clone(), desired(addr, cfg("www", 60), &[]));
    assert!(got[0].starts_with(&format!("{addr} Update")), "{got:?}");
    let got = plan_one(prior_attrs, desired(addr, cfg("web", 300), &[]));
    assert!(
        got[0].starts_with(&format!("{addr} DeleteThenCreate")),
        "{got:?}"
    );
}
