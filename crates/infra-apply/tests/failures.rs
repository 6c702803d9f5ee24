//! Failures mid-apply and crash safety: a failed step skips only its dependents, intents
//! are committed before creates, and a lost response leaves an intent to adopt from.

mod support;

use infra_apply::Event;
use infra_model::Value;
use infra_plan::StepKind;
use infra_provider::fake::{Op, Target, Times};
use infra_provider::{id_of, ErrorKind, Provider};
use support::*;

/// vpc a -> subnet a -> igw a (an igw that references the subnet's vpc through it), and an
/// independent vpc b -> subnet b.
fn two_branches() -> (infra_plan::Plan, MapResolver) {
    let mut p = PlanBuilder::new();
    let va = p.create(&vpc("a"), &[]);
    let sa = p.create(&subnet("a"), &[vpc("a")]);
    let ga = p.create(&igw("a"), &[subnet("a")]);
    let vb = p.create(&vpc("b"), &[]);
    let sb = p.create(&subnet("b"), &[vpc("b")]);
    p.edge(va, sa).edge(sa, ga).edge(vb, sb);
    let resolver = MapResolver::new()
        .with(&vpc("a"), |_| vpc_config("10.1.0.0/16", "a"))
        .with(&vpc("b"), |_| vpc_config("10.2.0.0/16", "b"))
        .with(&subnet("a"), subnet_config(vpc("a"), "10.1.1.0/24"))
        .with(&subnet("b"), subnet_config(vpc("b"), "10.2.1.0/24"))
        .with(&igw("a"), |values| {
            Value::map([("vpc_id", attr(values, &subnet("a"), "vpc_id"))])
        });
    (p.build(), resolver)
}

#[tokio::test]
async fn a_failure_skips_only_its_dependents() {
    let h = Harness::new();
    h.cloud.fail(
        Target::address(&vpc("a")),
        Op::Create,
        Times::Always,
        ErrorKind::Rejected,
    );
    let (plan, resolver) = two_branches();

    let (report, events) = h.apply(&plan, &resolver).await;

    assert!(!report.success());
    assert!(!report.interrupted);
    assert_eq!(report.failed.len(), 1);
    let (step, error) = &report.failed[0];
    assert_eq!(step.address, vpc("a"));
    assert!(
        error.contains("create aws_vpc.a")
            && error.contains("InvalidParameterValue")
            && error.contains("injected"),
        "{error}"
    );
    assert_eq!(
        addresses(&report.skipped),
        ["aws_subnet.a Create", "aws_internet_gateway.a Create"]
    );
    assert_eq!(
        completed(&report),
        ["aws_vpc.b Create", "aws_subnet.b Create"]
    );
    assert!(report.not_started.is_empty());
    // what succeeded is in the state, so a rerun continues from there
    let state = h.persist.state();
    assert_eq!(
        state.rows.keys().cloned().collect::<Vec<_>>(),
        [subnet("b"), vpc("b")]
    );
    // nothing was attempted for the skipped steps
    assert!(h
        .cloud
        .calls_of(Op::Create)
        .iter()
        .all(|c| c.address.as_deref() != Some("aws_subnet.a")));
    let skipped_events: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, Event::StepSkipped { because, .. } if *because == vpc("a")))
        .collect();
    assert_eq!(skipped_events.len(), 2);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::StepFailed { step, .. } if step.address == vpc("a"))));
}

#[tokio::test]
async fn a_failure_in_the_middle_of_a_chain_keeps_what_came_before() {
    let h = Harness::new();
    h.cloud.fail(
        Target::type_name("aws_subnet"),
        Op::Create,
        Times::Count(1),
        ErrorKind::Throttled,
    );
    let (plan, resolver) = two_branches();
    let (report, _) = h.apply(&plan, &resolver).await;
    // one of the two subnets got the throttling error (the provider would have retried it)
    assert_eq!(report.failed.len(), 1);
    let failed = report.failed[0].0.address.clone();
    assert!(failed == subnet("a") || failed == subnet("b"));
    assert!(
        report.failed[0].1.contains("RequestLimitExceeded"),
        "{}",
        report.failed[0].1
    );
    let expected_skipped: Vec<String> = if failed == subnet("a") {
        vec!["aws_internet_gateway.a Create".into()]
    } else {
        vec![]
    };
    assert_eq!(addresses(&report.skipped), expected_skipped);
    assert_eq!(
        report.completed.len() + report.failed.len() + report.skipped.len(),
        5
    );
    assert!(h.persist.state().rows.contains_key(&vpc("a")));
}

#[tokio::test]
async fn intent_is_committed_before_create_and_the_row_right_after() {
    let h = Harness::new();
    let mut p = PlanBuilder::new();
    p.create(&vpc("main"), &[]);
    let resolver = MapResolver::new().with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"));
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert!(report.success(), "{report:?}");
    let id = id_of(&report.values[&vpc("main")]).unwrap().to_string();
    let token = infra_apply::token_for("run-1", &vpc("main"));
    assert_eq!(
        h.persist.log(),
        [
            Record::Intent {
                address: vpc("main"),
                token: token.clone(),
                existed_in_cloud: false
            },
            Record::Created {
                address: vpc("main"),
                id: id.clone(),
                ready: false,
                in_cloud: true
            },
            Record::Created {
                address: vpc("main"),
                id,
                ready: true,
                in_cloud: true
            },
        ]
    );
    assert!(token.starts_with("run-1-") && token.len() <= 64);
}

#[tokio::test]
async fn a_lost_create_response_leaves_the_intent_for_the_rerun_to_adopt() {
    let h = Harness::new();
    h.cloud
        .lose_response(Target::address(&vpc("main")), Times::Count(1));
    let mut p = PlanBuilder::new();
    let v = p.create(&vpc("main"), &[]);
    let sn = p.create(&subnet("a"), &[vpc("main")]);
    p.edge(v, sn);
    let resolver = MapResolver::new()
        .with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"))
        .with(&subnet("a"), subnet_config(vpc("main"), "10.0.1.0/24"));

    let (report, _) = h.apply(&p.build(), &resolver).await;

    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].1.contains("RequestTimeout"),
        "{}",
        report.failed[0].1
    );
    assert_eq!(addresses(&report.skipped), ["aws_subnet.a Create"]);
    let state = h.persist.state();
    assert!(state.rows.is_empty(), "no row without a response");
    let intent = state
        .intents
        .get(&vpc("main"))
        .expect("the intent stays until the rerun reconciles it");
    // the cloud did create it; the persisted intent is enough to find it again
    assert_eq!(h.cloud.count("aws_vpc"), 1);
    let adopted = h
        .cloud
        .adopt(intent)
        .await
        .unwrap()
        .expect("adopt finds it by token or tags");
    assert_eq!(adopted.get("tags").get("Name").as_str(), Some("main"));
}

#[tokio::test]
async fn a_store_failure_after_create_fails_the_step_and_says_the_rerun_adopts() {
    let h = Harness::new();
    *h.persist.fail_created.lock().unwrap() = Some(vpc("main"));
    let mut p = PlanBuilder::new();
    let v = p.create(&vpc("main"), &[]);
    let sn = p.create(&subnet("a"), &[vpc("main")]);
    p.edge(v, sn);
    let resolver = MapResolver::new()
        .with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"))
        .with(&subnet("a"), subnet_config(vpc("main"), "10.0.1.0/24"));
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert_eq!(report.failed.len(), 1);
    let err = &report.failed[0].1;
    assert!(
        err.contains("database is locked") && err.contains("adopts"),
        "{err}"
    );
    assert_eq!(report.skipped.len(), 1);
    assert!(h.persist.state().intents.contains_key(&vpc("main")));
}

#[tokio::test]
async fn unknown_values_at_apply_time_fail_naming_the_address_and_attribute() {
    let h = Harness::new();
    let mut p = PlanBuilder::new();
    // a subnet referencing a vpc that nothing creates: its vpc_id stays unknown
    p.create(&subnet("orphan"), &[]);
    let resolver = MapResolver::new().with(
        &subnet("orphan"),
        subnet_config(vpc("missing"), "10.0.1.0/24"),
    );
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert_eq!(report.failed.len(), 1);
    let err = &report.failed[0].1;
    assert!(
        err.contains("aws_subnet.orphan") && err.contains("vpc_id") && err.contains("unknown"),
        "{err}"
    );
    assert!(h.cloud.calls_of(Op::Create).is_empty());
    assert!(
        h.persist.log().is_empty(),
        "no intent for something never attempted"
    );
}

#[tokio::test]
async fn a_resolver_error_fails_the_step() {
    let h = Harness::new();
    let mut p = PlanBuilder::new();
    p.create(&vpc("unconfigured"), &[]);
    let (report, _) = h.apply(&p.build(), &MapResolver::new()).await;
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0]
            .1
            .contains("could not evaluate the configuration of aws_vpc.unconfigured"),
        "{}",
        report.failed[0].1
    );
}

#[tokio::test]
async fn a_delete_of_something_already_gone_succeeds() {
    let mut h = Harness::new();
    let v = h
        .existing(&vpc("old"), vpc_config("10.0.0.0/16", "old"))
        .await;
    assert!(h.cloud.remove("aws_vpc", id_of(&v).unwrap()));
    let mut p = PlanBuilder::new();
    p.change(&vpc("old"), infra_plan::Action::Delete, Some(v), &[]);
    p.step(&vpc("old"), StepKind::Delete);
    let (report, _) = h.apply(&p.build(), &MapResolver::new()).await;
    assert!(report.success(), "{report:?}");
    assert!(h.persist.state().rows.is_empty());
}

#[tokio::test]
async fn an_invalid_graph_edge_fails_its_step_instead_of_hanging() {
    let h = Harness::new();
    let mut p = PlanBuilder::new();
    let v = p.create(&vpc("main"), &[]);
    p.edge(7, v);
    let resolver = MapResolver::new().with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"));
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].1.contains("invalid edge"),
        "{}",
        report.failed[0].1
    );
}

#[tokio::test]
async fn a_cycle_in_the_graph_is_reported_not_hung() {
    let h = Harness::new();
    let mut p = PlanBuilder::new();
    let a = p.create(&vpc("a"), &[]);
    let b = p.create(&vpc("b"), &[]);
    p.edge(a, b).edge(b, a);
    let resolver = MapResolver::new()
        .with(&vpc("a"), |_| vpc_config("10.0.0.0/16", "a"))
        .with(&vpc("b"), |_| vpc_config("10.0.0.0/16", "b"));
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert_eq!(report.failed.len(), 2);
    assert!(report.failed.iter().all(|(_, e)| e.contains("cycle")));
    assert!(h.cloud.calls().is_empty());
}

#[tokio::test]
async fn a_rejected_create_drops_its_intent_but_a_transient_failure_keeps_it() {
    let h = Harness::new();
    h.cloud.fail(
        Target::address(&vpc("rejected")),
        Op::Create,
        Times::Always,
        ErrorKind::Rejected,
    );
    h.cloud.fail(
        Target::address(&vpc("flaky")),
        Op::Create,
        Times::Always,
        ErrorKind::Transient,
    );
    let mut p = PlanBuilder::new();
    p.create(&vpc("rejected"), &[]);
    p.create(&vpc("flaky"), &[]);
    let resolver = MapResolver::new()
        .with(&vpc("rejected"), |_| vpc_config("10.0.0.0/16", "rejected"))
        .with(&vpc("flaky"), |_| vpc_config("10.1.0.0/16", "flaky"));
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert_eq!(report.failed.len(), 2);
    let intents = h.persist.state().intents;
    assert!(
        !intents.contains_key(&vpc("rejected")),
        "nothing was created: no intent left"
    );
    assert!(
        intents.contains_key(&vpc("flaky")),
        "the request may have landed: the intent stays"
    );
}
