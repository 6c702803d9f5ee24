//! End to end through the real planner: plans made by `infra_plan::Planner` from desired
//! instances and the state apply left behind, applied on the fake provider.

mod support;

use std::collections::BTreeMap;

use infra_model::Address;
use infra_plan::{Action, DesiredInstance, Lifecycle, PlanOptions, Planner, PriorInstance};
use infra_provider::id_of;
use support::*;

/// The stack: a vpc and a subnet in it, with the subnet's CIDR and lifecycle as given.
fn desired(
    values: &Values,
    subnet_cidr: &'static str,
    create_before_destroy: bool,
) -> Vec<DesiredInstance> {
    let sub = subnet_config(vpc("main"), subnet_cidr);
    vec![
        DesiredInstance {
            provider: Default::default(),
            address: vpc("main"),
            config: vpc_config("10.0.0.0/16", "main"),
            depends_on: vec![],
            lifecycle: Lifecycle::default(),
        },
        DesiredInstance {
            provider: Default::default(),
            address: subnet("a"),
            config: sub(values),
            depends_on: vec![vpc("main")],
            lifecycle: Lifecycle {
                create_before_destroy,
                ..Lifecycle::default()
            },
        },
    ]
}

fn resolver(subnet_cidr: &'static str) -> MapResolver {
    MapResolver::new()
        .with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"))
        .with(&subnet("a"), subnet_config(vpc("main"), subnet_cidr))
}

/// The state apply left, as the planner's prior instances.
fn prior_instances(h: &Harness) -> Vec<PriorInstance> {
    let state = h.persist.state();
    state
        .rows
        .iter()
        .map(|(a, (v, _))| PriorInstance {
            provider: Default::default(),
            address: a.clone(),
            id: id_of(v).unwrap_or_default().to_string(),
            attributes: v.clone(),
            depends_on: if *a == subnet("a") {
                vec![vpc("main")]
            } else {
                vec![]
            },
            deposed: None,
        })
        .collect()
}

fn plan(h: &Harness, opts: PlanOptions, instances: Vec<DesiredInstance>) -> infra_plan::Plan {
    let mut planner = Planner::new(opts, prior_instances(h));
    for d in &instances {
        planner.plan_instance(d);
    }
    let (plan, diags) = planner.finish(BTreeMap::new());
    assert!(diags.is_empty(), "{diags:?}");
    plan
}

/// Apply, then make the report's values the next run's prior.
async fn apply(
    h: &mut Harness,
    plan: &infra_plan::Plan,
    resolver: &MapResolver,
) -> infra_apply::ApplyReport {
    let (report, _) = h.apply(plan, resolver).await;
    assert!(report.success(), "{report:?}");
    h.prior = report.values.clone();
    report
}

#[tokio::test]
async fn create_then_replace_create_first_then_destroy() {
    let mut h = Harness::new();

    let p1 = plan(
        &h,
        PlanOptions::default(),
        desired(&Values::new(), "10.0.1.0/24", true),
    );
    assert_eq!(p1.summary(), (2, 0, 0));
    apply(&mut h, &p1, &resolver("10.0.1.0/24")).await;
    assert_eq!(
        (h.cloud.count("aws_vpc"), h.cloud.count("aws_subnet")),
        (1, 1)
    );
    let old_subnet = id_of(&h.prior[&subnet("a")]).unwrap().to_string();

    // nothing changed: a second plan is empty
    let p2 = plan(
        &h,
        PlanOptions::default(),
        desired(&h.prior.clone(), "10.0.1.0/24", true),
    );
    assert!(!p2.has_changes(), "{:?}", p2.changes);

    // a new CIDR forces a replacement; create_before_destroy makes it create-first
    let p3 = plan(
        &h,
        PlanOptions::default(),
        desired(&h.prior.clone(), "10.0.2.0/24", true),
    );
    let change = p3
        .changes
        .iter()
        .find(|c| c.address == subnet("a"))
        .unwrap();
    assert_eq!(change.action, Action::CreateThenDelete);
    let report = apply(&mut h, &p3, &resolver("10.0.2.0/24")).await;
    assert_eq!(
        completed(&report),
        ["aws_subnet.a Create", "aws_subnet.a Delete"]
    );
    assert_eq!(h.cloud.count("aws_subnet"), 1);
    assert!(h.cloud.get("aws_subnet", &old_subnet).is_none());
    assert_eq!(
        h.prior[&subnet("a")].get("cidr_block").as_str(),
        Some("10.0.2.0/24")
    );
    assert!(h.persist.log().contains(&Record::Deleted {
        address: subnet("a"),
        deposed: Some(old_subnet)
    }));

    // destroy deletes everything, the subnet before its vpc
    let p4 = plan(
        &h,
        PlanOptions {
            destroy: true,
            ..PlanOptions::default()
        },
        desired(&h.prior.clone(), "10.0.2.0/24", true),
    );
    let report = apply(&mut h, &p4, &resolver("10.0.2.0/24")).await;
    assert_eq!(
        completed(&report),
        ["aws_subnet.a Delete", "aws_vpc.main Delete"]
    );
    assert_eq!(h.cloud.total(), 0);
    assert!(h.persist.state().rows.is_empty());
    assert!(report
        .values
        .keys()
        .all(|a: &Address| a.mode == infra_model::Mode::Data));
}

#[tokio::test]
async fn a_tag_change_is_one_in_place_update_and_a_cidr_change_deletes_first() {
    let mut h = Harness::new();
    let p1 = plan(
        &h,
        PlanOptions::default(),
        desired(&Values::new(), "10.0.1.0/24", false),
    );
    apply(&mut h, &p1, &resolver("10.0.1.0/24")).await;
    let vpc_id = id_of(&h.prior[&vpc("main")]).unwrap().to_string();

    // a tag changed behind our back: the refreshed prior shows it; the plan puts it back
    assert!(h.cloud.set_tag("aws_vpc", &vpc_id, "Name", Some("renamed")));
    let refreshed = h.cloud.get("aws_vpc", &vpc_id).unwrap();
    h.prior.insert(vpc("main"), refreshed.clone());
    h.persist.seed(&vpc("main"), &refreshed);
    let p2 = plan(
        &h,
        PlanOptions::default(),
        desired(&h.prior.clone(), "10.0.1.0/24", false),
    );
    assert_eq!(p2.summary(), (0, 1, 0), "{:?}", p2.changes);
    apply(&mut h, &p2, &resolver("10.0.1.0/24")).await;
    assert_eq!(
        h.cloud
            .get("aws_vpc", &vpc_id)
            .unwrap()
            .get("tags")
            .get("Name")
            .as_str(),
        Some("main")
    );
    // the infra tags survived the update
    let raw = h.cloud.get_raw("aws_vpc", &vpc_id).unwrap();
    assert_eq!(
        raw.get("tags_all").get("infra:address").as_str(),
        Some("aws_vpc.main")
    );

    let p3 = plan(
        &h,
        PlanOptions::default(),
        desired(&h.prior.clone(), "10.0.9.0/24", false),
    );
    assert_eq!(
        p3.changes
            .iter()
            .find(|c| c.address == subnet("a"))
            .map(|c| c.action),
        Some(Action::DeleteThenCreate)
    );
    let report = apply(&mut h, &p3, &resolver("10.0.9.0/24")).await;
    assert_eq!(
        completed(&report),
        ["aws_subnet.a Delete", "aws_subnet.a Create"]
    );
    assert_eq!(h.cloud.count("aws_subnet"), 1);
}
