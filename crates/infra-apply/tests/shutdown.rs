//! Ctrl-C and slow resources: after the shutdown signal nothing new starts, what is in
//! flight finishes and is persisted; waiting for readiness emits progress events.

mod support;

use std::time::Duration;

use infra_apply::{Event, Shutdown};
use infra_provider::fake::{Op, Target};
use support::*;

/// Six independent vpcs, each with a subnet; creates take 10 s.
fn six_chains() -> (infra_plan::Plan, MapResolver) {
    let mut p = PlanBuilder::new();
    let mut resolver = MapResolver::new();
    for i in 0..6 {
        let (v, sn) = (vpc(&format!("v{i}")), subnet(&format!("s{i}")));
        let a = p.create(&v, &[]);
        let b = p.create(&sn, std::slice::from_ref(&v));
        p.edge(a, b);
        resolver = resolver
            .with(&v, |_| vpc_config("10.0.0.0/16", "v"))
            .with(&sn, subnet_config(v.clone(), "10.0.1.0/24"));
    }
    (p.build(), resolver)
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_starts_nothing_new_and_lets_in_flight_steps_finish_and_persist() {
    let mut h = Harness::new();
    h.opts.parallelism = 2;
    h.cloud
        .set_delay(Target::Any, Op::Create, Duration::from_secs(10));
    let (plan, resolver) = six_chains();
    let signal = h.shutdown.clone();
    let cloud = h.cloud.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(
            cloud.in_flight(),
            2,
            "two creates are in flight when Ctrl-C arrives"
        );
        signal.trigger();
    });

    let start = tokio::time::Instant::now();
    let (report, events) = h.apply(&plan, &resolver).await;

    assert!(report.interrupted);
    assert!(!report.success());
    // the two in-flight creates finished (they were not cut short) and were persisted
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(
        completed(&report),
        ["aws_vpc.v0 Create", "aws_vpc.v1 Create"]
    );
    assert_eq!(h.cloud.count("aws_vpc"), 2);
    assert_eq!(
        h.cloud.calls_of(Op::Create).len(),
        2,
        "nothing new started after the signal"
    );
    let state = h.persist.state();
    assert_eq!(state.rows.len(), 2);
    assert!(state.rows.values().all(|(_, ready)| *ready));
    assert!(state.intents.is_empty());
    // everything else is reported as not started, nothing as failed or skipped
    assert_eq!(report.not_started.len(), 10);
    assert!(report.failed.is_empty() && report.skipped.is_empty());
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Interrupted { in_flight: 2 })));
    let interrupted_at = events
        .iter()
        .position(|e| matches!(e, Event::Interrupted { .. }))
        .unwrap();
    assert!(!events[interrupted_at..]
        .iter()
        .any(|e| matches!(e, Event::StepStarted { .. })));
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_while_waiting_for_readiness_keeps_the_created_row() {
    let mut h = Harness::new();
    h.opts.waiting_interval = Duration::from_secs(600);
    h.cloud
        .set_pending(Target::type_name("aws_vpc"), Duration::from_secs(60));
    let mut p = PlanBuilder::new();
    let v = p.create(&vpc("main"), &[]);
    let sn = p.create(&subnet("a"), &[vpc("main")]);
    p.edge(v, sn);
    let resolver = MapResolver::new()
        .with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"))
        .with(&subnet("a"), subnet_config(vpc("main"), "10.0.1.0/24"));
    let signal = h.shutdown.clone();
    let persist = h.persist.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        // the row is already committed, not ready, while the apply waits
        assert_eq!(
            persist
                .state()
                .rows
                .get(&vpc("main"))
                .map(|(_, ready)| *ready),
            Some(false)
        );
        signal.trigger();
    });
    let started = std::time::Instant::now();
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert!(report.interrupted);
    // Ctrl-C stops the wait (it does not sit out the 60 s): the step reports why...
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the wait was cut short"
    );
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert!(
        report.failed[0].1.contains("recorded as creating"),
        "{}",
        report.failed[0].1
    );
    // ...its dependents never start...
    assert!(report.completed.is_empty());
    assert_eq!(
        addresses(&report.not_started).len() + report.skipped.len(),
        1
    );
    // ...and the row stays recorded as created but not ready, for the next run to resume
    assert_eq!(
        h.persist
            .state()
            .rows
            .get(&vpc("main"))
            .map(|(_, ready)| *ready),
        Some(false)
    );
}

#[tokio::test]
async fn a_signal_before_the_apply_starts_nothing() {
    let h = Harness::new();
    h.shutdown.trigger();
    let (plan, resolver) = six_chains();
    let (report, events) = h.apply(&plan, &resolver).await;
    assert!(report.interrupted);
    assert_eq!(report.not_started.len(), 12);
    assert!(report.completed.is_empty());
    assert!(h.cloud.calls().is_empty());
    assert!(h.persist.log().is_empty());
    assert_eq!(events, [Event::Interrupted { in_flight: 0 }]);
}

#[tokio::test(start_paused = true)]
async fn waiting_for_a_slow_resource_emits_waiting_events() {
    let mut h = Harness::new();
    h.opts.waiting_interval = Duration::from_secs(10);
    h.cloud
        .set_pending(Target::address(&vpc("nat")), Duration::from_secs(35));
    let mut p = PlanBuilder::new();
    p.create(&vpc("nat"), &[]);
    p.create(&vpc("quick"), &[]);
    let resolver = MapResolver::new()
        .with(&vpc("nat"), |_| vpc_config("10.0.0.0/16", "nat"))
        .with(&vpc("quick"), |_| vpc_config("10.1.0.0/16", "quick"));
    let (report, events) = h.apply(&p.build(), &resolver).await;
    assert!(report.success(), "{report:?}");
    let waits: Vec<(String, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Waiting {
                address, elapsed, ..
            } => Some((address.to_string(), *elapsed)),
            _ => None,
        })
        .collect();
    let expected: Vec<(String, Duration)> = [10, 20, 30]
        .iter()
        .map(|s| ("aws_vpc.nat".to_string(), Duration::from_secs(*s)))
        .collect();
    assert_eq!(waits, expected);
    let done = events.iter().find_map(|e| match e {
        Event::StepCompleted { step, elapsed, .. } if step.address == vpc("nat") => Some(*elapsed),
        _ => None,
    });
    assert_eq!(done, Some(Duration::from_secs(35)));
    let log = h.persist.log();
    let created: Vec<bool> = log
        .iter()
        .filter_map(|r| match r {
            Record::Created { address, ready, .. } if *address == vpc("nat") => Some(*ready),
            _ => None,
        })
        .collect();
    assert_eq!(created, [false, true]);
}

#[tokio::test]
async fn shutdown_handles_share_one_signal() {
    let a = Shutdown::new();
    let b = a.clone();
    assert!(!b.is_triggered());
    a.trigger();
    assert!(b.is_triggered());
    tokio::time::timeout(Duration::from_secs(1), b.triggered())
        .await
        .expect("an already fired signal resolves at once");
}
