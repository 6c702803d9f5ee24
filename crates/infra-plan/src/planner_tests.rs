use super::*;
use serde_json::json;

fn a(s: &str) -> Address {
    Address::parse(s).expect("address")
}

fn v(j: serde_json::Value) -> Value {
    Value::from_json(&j)
}

fn vpc_prior(addr: &str, cidr: &str, tags: serde_json::Value) -> PriorInstance {
    prior(
        addr,
        json!({"id": "vpc-1", "arn": "arn:vpc-1", "cidr_block": cidr, "enable_dns_hostnames": false, "enable_dns_support": true, "instance_tenancy": "default", "tags": tags.clone(), "tags_all": tags, "owner_id": "1", "main_route_table_id": "rtb-m", "default_route_table_id": "rtb-d", "default_security_group_id": "sg-d", "default_network_acl_id": "acl-d"}),
        &[],
    )
}

fn prior(addr: &str, attrs: serde_json::Value, deps: &[&str]) -> PriorInstance {
    PriorInstance {
        provider: Default::default(),
        address: a(addr),
        id: attrs["id"].as_str().unwrap_or("x").to_string(),
        attributes: v(attrs),
        depends_on: deps.iter().map(|d| a(d)).collect(),
        deposed: None,
    }
}

fn desired(addr: &str, config: serde_json::Value, deps: &[&str]) -> DesiredInstance {
    DesiredInstance {
        provider: Default::default(),
        address: a(addr),
        config: v(config),
        depends_on: deps.iter().map(|d| a(d)).collect(),
        lifecycle: Lifecycle::default(),
    }
}

fn with_lc(mut d: DesiredInstance, f: impl FnOnce(&mut Lifecycle)) -> DesiredInstance {
    f(&mut d.lifecycle);
    d
}

fn run(
    opts: PlanOptions,
    prior: Vec<PriorInstance>,
    desired: Vec<DesiredInstance>,
) -> (Plan, Vec<Diagnostic>) {
    let mut p = Planner::new(opts, prior);
    for d in &desired {
        p.plan_instance(d);
    }
    p.finish(BTreeMap::new())
}

/// `(address, action, reason, replace_paths)` of every change, as one line each.
fn summary(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| {
            let mut s = format!("{} {:?}", c.address, c.action);
            if let Some(r) = &c.reason {
                s.push_str(&format!(" ({r})"));
            }
            if !c.replace_paths.is_empty() {
                s.push_str(&format!(" {:?}", c.replace_paths));
            }
            if let Some(d) = &c.deposed {
                s.push_str(&format!(" deposed={d}"));
            }
            s
        })
        .collect()
}

fn vpc_cfg(cidr: &str, tags: serde_json::Value) -> serde_json::Value {
    json!({"cidr_block": cidr, "tags": tags})
}

#[test]
fn every_action_type() {
    struct Case {
        name: &'static str,
        prior: Vec<PriorInstance>,
        desired: Vec<DesiredInstance>,
        opts: PlanOptions,
        want: Vec<&'static str>,
    }
    let cases = vec![
        Case { name: "create", prior: vec![], desired: vec![desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({})), &[])], opts: PlanOptions::default(), want: vec!["aws_vpc.main Create"] },
        Case {
            name: "no-op",
            prior: vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({"Name": "a"}))],
            desired: vec![desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({"Name": "a"})), &[])],
            opts: PlanOptions::default(),
            want: vec!["aws_vpc.main NoOp"],
        },
        Case {
            name: "tag change is an update",
            prior: vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({"Name": "a"}))],
            desired: vec![desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({"Name": "b"})), &[])],
            opts: PlanOptions::default(),
            want: vec!["aws_vpc.main Update"],
        },
        Case {
            name: "cidr change replaces delete-first",
            prior: vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
            desired: vec![desired("aws_vpc.main", vpc_cfg("10.1.0.0/16", json!({})), &[])],
            opts: PlanOptions::default(),
            want: vec!["aws_vpc.main DeleteThenCreate (a change to an attribute forces replacement) [\"cidr_block\"]"],
        },
        Case {
            name: "create_before_destroy replaces create-first",
            prior: vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
            desired: vec![with_lc(desired("aws_vpc.main", vpc_cfg("10.1.0.0/16", json!({})), &[]), |l| l.create_before_destroy = true)],
            opts: PlanOptions::default(),
            want: vec!["aws_vpc.main CreateThenDelete (a change to an attribute forces replacement) [\"cidr_block\"]"],
        },
        Case {
            name: "orphan is deleted",
            prior: vec![vpc_prior("aws_vpc.old", "10.0.0.0/16", json!({}))],
            desired: vec![],
            opts: PlanOptions::default(),
            want: vec!["aws_vpc.old Delete (no longer in configuration)"],
        },
        Case {
            name: "destroy deletes everything",
            prior: vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
            desired: vec![desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({})), &[])],
            opts: PlanOptions { destroy: true, ..Default::default() },
            want: vec!["aws_vpc.main Delete"],
        },
        Case {
            name: "replace requested",
            prior: vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
            desired: vec![desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({})), &[])],
            opts: PlanOptions { replace: vec![a("aws_vpc.main")], ..Default::default() },
            want: vec!["aws_vpc.main DeleteThenCreate (replacement requested)"],
        },
        Case {
            name: "deposed object is deleted",
            prior: vec![
                vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({})),
                PriorInstance { deposed: Some("vpc-0".into()), ..vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({})) },
            ],
            desired: vec![desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({})), &[])],
            opts: PlanOptions::default(),
            want: vec!["aws_vpc.main NoOp", "aws_vpc.main Delete deposed=vpc-0"],
        },
    ];
    for c in cases {
        let (plan, diags) = run(c.opts, c.prior, c.desired);
        assert!(diags.is_empty(), "{}: {diags:?}", c.name);
        assert_eq!(summary(&plan), c.want, "{}", c.name);
    }
}

#[test]
fn deleted_outside_is_recreated() {
    // noted before planning, as the engine does (the planner keeps no copy of a
    // configuration to plan it again afterwards)
    let mut p = Planner::new(
        PlanOptions::default(),
        vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
    );
    let d = desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({})), &[]);
    p.note_deleted_outside(&d.address);
    let got = p.plan_instance(&d);
    let (plan, _) = p.finish(BTreeMap::new());
    assert_eq!(
        summary(&plan),
        vec!["aws_vpc.main Create (deleted outside infra)"]
    );
    assert_eq!(plan.changes[0].before, None);
    assert_eq!(got.get("id"), &Value::Unknown);
}

#[test]
fn planned_values_for_references() {
    let mut p = Planner::new(
        PlanOptions::default(),
        vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
    );
    let same = p.plan_instance(&desired(
        "aws_vpc.main",
        vpc_cfg("10.0.0.0/16", json!({})),
        &[],
    ));
    assert_eq!(same.get("id"), &Value::string("vpc-1"));
    let mut p = Planner::new(
        PlanOptions::default(),
        vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
    );
    let replaced = p.plan_instance(&desired(
        "aws_vpc.main",
        vpc_cfg("10.9.0.0/16", json!({})),
        &[],
    ));
    assert_eq!(replaced.get("id"), &Value::Unknown);
    assert_eq!(replaced.get("cidr_block"), &Value::string("10.9.0.0/16"));
}

#[test]
fn unknown_desired_value_is_a_change() {
    let prior = prior(
        "aws_subnet.a",
        json!({"id": "subnet-1", "vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24", "availability_zone": "a", "map_public_ip_on_launch": false}),
        &[],
    );
    let d = DesiredInstance {
        config: Value::map([
            ("vpc_id", Value::Unknown),
            ("cidr_block", Value::from("10.0.1.0/24")),
            ("availability_zone", Value::from("a")),
        ]),
        ..desired("aws_subnet.a", json!({}), &[])
    };
    let (plan, _) = run(PlanOptions::default(), vec![prior], vec![d]);
    assert_eq!(summary(&plan), vec!["aws_subnet.a DeleteThenCreate (a change to an attribute forces replacement) [\"vpc_id\"]"]);
}

#[test]
fn ignore_changes() {
    /// (name, ignore_changes, config, expected summary, expected planned tags)
    type Case = (
        &'static str,
        Vec<&'static str>,
        serde_json::Value,
        &'static str,
        Option<serde_json::Value>,
    );
    let cases: Vec<Case> = vec![
        (
            "whole tags ignored",
            vec!["tags"],
            vpc_cfg("10.0.0.0/16", json!({"Name": "b"})),
            "aws_vpc.main NoOp",
            Some(json!({"Name": "a", "Team": "x"})),
        ),
        (
            "one tag ignored",
            vec!["tags[\"Name\"]"],
            vpc_cfg("10.0.0.0/16", json!({"Name": "b", "Team": "x"})),
            "aws_vpc.main NoOp",
            Some(json!({"Name": "a", "Team": "x"})),
        ),
        (
            "other tag still diffs",
            vec!["tags[\"Name\"]"],
            vpc_cfg("10.0.0.0/16", json!({"Name": "b", "Team": "y"})),
            "aws_vpc.main Update",
            Some(json!({"Name": "a", "Team": "y"})),
        ),
        (
            "all ignores a forcing change",
            vec!["all"],
            vpc_cfg("10.9.0.0/16", json!({})),
            "aws_vpc.main NoOp",
            None,
        ),
        (
            "force_new attribute ignored",
            vec!["cidr_block"],
            vpc_cfg("10.9.0.0/16", json!({"Name": "a", "Team": "x"})),
            "aws_vpc.main NoOp",
            None,
        ),
    ];
    for (name, ignore, cfg, want, want_tags) in cases {
        let d = with_lc(desired("aws_vpc.main", cfg, &[]), |l| {
            l.ignore_changes = ignore.iter().map(|s| s.to_string()).collect()
        });
        let (plan, diags) = run(
            PlanOptions::default(),
            vec![vpc_prior(
                "aws_vpc.main",
                "10.0.0.0/16",
                json!({"Name": "a", "Team": "x"}),
            )],
            vec![d],
        );
        assert!(diags.is_empty(), "{name}: {diags:?}");
        assert_eq!(
            summary(&plan),
            vec![want],
            "{name}: {:?}",
            plan.changes[0].after
        );
        if let Some(t) = want_tags {
            assert_eq!(
                plan.changes[0].after.as_ref().unwrap().get("tags"),
                &v(t),
                "{name}"
            );
        }
    }
}

#[test]
fn invalid_ignore_path_warns() {
    let d = with_lc(
        desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({})), &[]),
        |l| l.ignore_changes = vec!["tags[".into()],
    );
    let (_, diags) = run(
        PlanOptions::default(),
        vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
        vec![d],
    );
    assert_eq!(diags.len(), 1);
    assert!(!diags[0].is_error());
}

#[test]
fn prevent_destroy() {
    let protect = |d: DesiredInstance| with_lc(d, |l| l.prevent_destroy = true);
    let cases: Vec<(&str, PlanOptions, &str, bool)> = vec![
        (
            "update is fine",
            PlanOptions::default(),
            "10.0.0.0/16",
            false,
        ),
        (
            "replace is refused",
            PlanOptions::default(),
            "10.1.0.0/16",
            true,
        ),
        (
            "destroy is refused",
            PlanOptions {
                destroy: true,
                ..Default::default()
            },
            "10.0.0.0/16",
            true,
        ),
        (
            "requested replace is refused",
            PlanOptions {
                replace: vec![a("aws_vpc.main")],
                ..Default::default()
            },
            "10.0.0.0/16",
            true,
        ),
    ];
    for (name, opts, cidr, refused) in cases {
        let d = protect(desired(
            "aws_vpc.main",
            vpc_cfg(cidr, json!({"Name": "new"})),
            &[],
        ));
        let (_, diags) = run(
            opts,
            vec![vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({}))],
            vec![d],
        );
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        assert_eq!(!errors.is_empty(), refused, "{name}: {diags:?}");
        if refused {
            assert!(errors[0].summary.contains("aws_vpc.main"), "{name}");
            assert!(
                errors[0]
                    .detail
                    .as_deref()
                    .unwrap_or("")
                    .contains("remove prevent_destroy"),
                "{name}"
            );
        }
    }
}

fn chain_prior() -> Vec<PriorInstance> {
    vec![
        vpc_prior("aws_vpc.main", "10.0.0.0/16", json!({})),
        prior(
            "aws_subnet.a",
            json!({"id": "subnet-1", "vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24", "availability_zone": "a", "map_public_ip_on_launch": false}),
            &["aws_vpc.main"],
        ),
        prior(
            "aws_internet_gateway.gw",
            json!({"id": "igw-1", "vpc_id": "vpc-1"}),
            &["aws_vpc.main"],
        ),
    ]
}

fn chain_desired(subnet_cidr: &str) -> Vec<DesiredInstance> {
    vec![
        desired("aws_vpc.main", vpc_cfg("10.0.0.0/16", json!({})), &[]),
        desired(
            "aws_subnet.a",
            json!({"vpc_id": "vpc-1", "cidr_block": subnet_cidr, "availability_zone": "a"}),
            &["aws_vpc.main"],
        ),
        desired(
            "aws_internet_gateway.gw",
            json!({"vpc_id": "vpc-1", "tags": {"x": "y"}}),
            &["aws_vpc.main"],
        ),
    ]
}

#[test]
fn targets_keep_dependencies_only() {
    let opts = PlanOptions {
        targets: vec![a("aws_subnet.a")],
        ..Default::default()
    };
    let (plan, diags) = run(opts, chain_prior(), chain_desired("10.0.2.0/24"));
    assert_eq!(summary(&plan), vec!["aws_subnet.a DeleteThenCreate (a change to an attribute forces replacement) [\"cidr_block\"]", "aws_vpc.main NoOp"]);
    assert!(diags.iter().any(|d| d.summary.contains("targeting")));
}

#[test]
fn destroy_targets_keep_dependents() {
    let opts = PlanOptions {
        targets: vec![a("aws_vpc.main")],
        destroy: true,
        ..Default::default()
    };
    let (plan, _) = run(opts, chain_prior(), chain_desired("10.0.1.0/24"));
    assert_eq!(
        summary(&plan),
        vec![
            "aws_internet_gateway.gw Delete",
            "aws_subnet.a Delete",
            "aws_vpc.main Delete"
        ]
    );
    let opts = PlanOptions {
        targets: vec![a("aws_subnet.a")],
        destroy: true,
        ..Default::default()
    };
    let (plan, _) = run(opts, chain_prior(), vec![]);
    assert_eq!(summary(&plan), vec!["aws_subnet.a Delete"]);
}

#[test]
fn unsupported_type_is_an_error() {
    let (_, diags) = run(
        PlanOptions::default(),
        vec![],
        vec![desired("aws_nope.x", json!({}), &[])],
    );
    assert!(diags[0].is_error() && diags[0].summary.contains("aws_nope"));
}

#[test]
fn replaced_vpc_replaces_and_orders_its_dependents() {
    // the VPC's new id is unknown, so the subnet (vpc_id forces new) is replaced too
    let mut p = Planner::new(PlanOptions::default(), chain_prior());
    let vpc = p.plan_instance(&desired(
        "aws_vpc.main",
        vpc_cfg("10.9.0.0/16", json!({})),
        &[],
    ));
    let cfg = Value::map([
        ("vpc_id", vpc.get("id").clone()),
        ("cidr_block", Value::from("10.0.1.0/24")),
        ("availability_zone", Value::from("a")),
    ]);
    p.plan_instance(&DesiredInstance {
        config: cfg,
        ..desired("aws_subnet.a", json!({}), &["aws_vpc.main"])
    });
    let (plan, diags) = p.finish(BTreeMap::new());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        summary(&plan),
        vec![
            "aws_internet_gateway.gw Delete (no longer in configuration)",
            "aws_subnet.a DeleteThenCreate (a change to an attribute forces replacement) [\"vpc_id\"]",
            "aws_vpc.main DeleteThenCreate (a change to an attribute forces replacement) [\"cidr_block\"]",
        ]
    );
    let g = &plan.graph;
    assert!(graph::is_acyclic(g));
    let idx = |addr: &str, kind: crate::StepKind| {
        g.steps
            .iter()
            .position(|s| s.address == a(addr) && s.kind == kind)
            .expect("step")
    };
    use crate::StepKind::{Create, Delete};
    for (x, y) in [
        (idx("aws_subnet.a", Delete), idx("aws_vpc.main", Delete)),
        (
            idx("aws_internet_gateway.gw", Delete),
            idx("aws_vpc.main", Delete),
        ),
        (idx("aws_vpc.main", Delete), idx("aws_vpc.main", Create)),
        (idx("aws_vpc.main", Create), idx("aws_subnet.a", Create)),
        (idx("aws_subnet.a", Delete), idx("aws_subnet.a", Create)),
    ] {
        assert!(
            g.edges.contains(&(x, y)),
            "missing edge {:?} -> {:?}",
            g.steps[x],
            g.steps[y]
        );
    }
}

#[test]
fn create_before_destroy_dependent_promotes_the_vpc() {
    let mut p = Planner::new(PlanOptions::default(), chain_prior());
    let vpc = p.plan_instance(&desired(
        "aws_vpc.main",
        vpc_cfg("10.9.0.0/16", json!({})),
        &[],
    ));
    let cfg = Value::map([
        ("vpc_id", vpc.get("id").clone()),
        ("cidr_block", Value::from("10.0.1.0/24")),
        ("availability_zone", Value::from("a")),
    ]);
    p.plan_instance(&with_lc(
        DesiredInstance {
            config: cfg,
            ..desired("aws_subnet.a", json!({}), &["aws_vpc.main"])
        },
        |l| l.create_before_destroy = true,
    ));
    let (plan, _) = p.finish(BTreeMap::new());
    let actions: Vec<Action> = plan.changes.iter().map(|c| c.action).collect();
    assert_eq!(
        actions,
        vec![
            Action::Delete,
            Action::CreateThenDelete,
            Action::CreateThenDelete
        ]
    );
    assert!(graph::is_acyclic(&plan.graph));
}

#[path = "planner_eks_dns_tests.rs"]
mod eks_dns;

#[path = "planner_instance_tests.rs"]
mod instance_tests;

#[test]
fn an_object_whose_region_changes_is_replaced_and_deleted_where_it_is() {
    let opts = PlanOptions {
        regions: BTreeMap::from([
            (String::new(), "eu-west-1".to_string()),
            ("west".to_string(), "us-west-2".to_string()),
            ("again".to_string(), "eu-west-1".to_string()),
        ]),
        ..Default::default()
    };
    let in_region = |addr: &str, key: &str| {
        let mut p = vpc_prior(addr, "10.0.0.0/16", json!({}));
        p.provider = key.to_string();
        p
    };
    let want = |addr: &str, key: &str| {
        let mut d = desired(addr, vpc_cfg("10.0.0.0/16", json!({})), &[]);
        d.provider = key.to_string();
        d
    };
    let (plan, diags) = run(
        opts,
        vec![
            in_region("aws_vpc.moved", ""),
            in_region("aws_vpc.back", "@us-east-2"),
            in_region("aws_vpc.alias", "west"),
            in_region("aws_vpc.same", "@eu-west-1"),
            in_region("aws_vpc.renamed", ""),
            in_region("aws_vpc.cbd", "west"),
        ],
        vec![
            want("aws_vpc.moved", "@us-east-2"),
            want("aws_vpc.back", ""),
            want("aws_vpc.alias", ""),
            // the same region, by another key: nothing to do
            want("aws_vpc.same", ""),
            want("aws_vpc.renamed", "again"),
            with_lc(want("aws_vpc.cbd", "west@ap-south-1"), |lc| {
                lc.create_before_destroy = true
            }),
        ],
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        summary(&plan),
        [
            "aws_vpc.alias DeleteThenCreate (it moves from region us-west-2 to eu-west-1) [\"region\"]",
            "aws_vpc.back DeleteThenCreate (it moves from region us-east-2 to eu-west-1) [\"region\"]",
            "aws_vpc.cbd CreateThenDelete (it moves from region us-west-2 to ap-south-1) [\"region\"]",
            "aws_vpc.moved DeleteThenCreate (it moves from region eu-west-1 to us-east-2) [\"region\"]",
            "aws_vpc.renamed NoOp",
            "aws_vpc.same NoOp",
        ]
    );
    let c = |addr: &str| plan.changes.iter().find(|c| c.address == a(addr)).unwrap();
    let moved = c("aws_vpc.moved");
    assert_eq!(moved.provider_for(crate::StepKind::Create), "@us-east-2");
    assert_eq!(moved.provider_for(crate::StepKind::Delete), "");
    assert_eq!(
        c("aws_vpc.cbd").provider_for(crate::StepKind::Delete),
        "west"
    );
    assert_eq!(
        c("aws_vpc.cbd").provider_for(crate::StepKind::Create),
        "west@ap-south-1"
    );
    assert_eq!(c("aws_vpc.same").delete_provider, None);
    // a saved plan keeps where the old object is deleted
    let back = crate::from_file_json(&crate::to_file_json(&plan)).unwrap();
    assert_eq!(back.changes, plan.changes);
}

#[test]
fn a_region_not_known_when_planning_is_an_error() {
    let mut d = desired("aws_vpc.a", vpc_cfg("10.0.0.0/16", json!({})), &[]);
    d.provider = "west@".to_string();
    let (_, diags) = run(PlanOptions::default(), vec![], vec![d]);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0]
            .summary
            .contains("aws_vpc.a: its `region` is not known until apply"),
        "{diags:?}"
    );
}
