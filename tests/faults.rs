//! API faults between `infra` and the cloud: a proxy of our own (common::proxy) injects
//! throttling, 5xx answers, dropped connections, slow answers and answers lost after the
//! cloud acted. Each test checks the cloud with an independent client (not through the
//! proxy) and records its figures for docs/reliability.md.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::proxy::{point_at, Fault, FaultConfig, Match, Proxy, Rule, Stats};
use crate::common::{emulator_env, report, rt, run_with_deadline, tagged, Run, Workspace};

/// Taggable resources in stacks/example: vpc, igw, 6 subnets, 3 EIPs, 3 NATs, 4 route
/// tables, 1 SG (the 6 route table associations carry no tags).
const TAGGED: usize = 19;
/// Every resource of stacks/example.
const RESOURCES: usize = 25;
/// No command may take longer than this, faults or not.
pub(crate) const LIMIT: Duration = Duration::from_secs(600);

pub(crate) fn proxy(config: FaultConfig) -> Proxy {
    let env = emulator_env();
    let eks = env
        .get("AWS_ENDPOINT_URL_EKS")
        .unwrap_or(&env["AWS_ENDPOINT_URL"]);
    Proxy::start(&env["AWS_ENDPOINT_URL"], eks, config)
}

/// `infra <args>` with the AWS endpoints pointed at the proxy, bounded in time.
pub(crate) fn through(ws: &Workspace, proxy: &Proxy, args: &[&str]) -> Run {
    let mut c = ws.cmd(args);
    point_at(&mut c, proxy);
    run_with_deadline(c, LIMIT)
}

/// `apply --auto-approve` through a proxy that loses the answer to the first request
/// matching `when` (AWS acts, infra never hears of it), asserting that apply still
/// succeeds and exactly one answer was lost.
pub(crate) fn apply_losing_one_answer(ws: &Workspace, when: Match) -> Run {
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![Rule {
            when,
            fault: Fault::LoseResponse,
            times: Some(1),
        }],
    });
    let apply = through(ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        p.stats().injected.get("lost_response"),
        Some(&1),
        "{:?}",
        p.stats()
    );
    apply
}

/// `infra <args>` straight against the emulator, bounded in time.
pub(crate) fn direct(ws: &Workspace, args: &[&str]) -> Run {
    run_with_deadline(ws.cmd(args), LIMIT)
}

/// The managed addresses in the state.
fn state_addresses(ws: &Workspace) -> Vec<String> {
    rt().block_on(async {
        let store = ws.store().await;
        let rows = store.resources(&ws.stack_name).await.unwrap();
        store.close().await;
        let mut v: Vec<String> = rows
            .into_iter()
            .filter(|r| r.mode != "data")
            .map(|r| r.address)
            .collect();
        v.sort();
        v
    })
}

/// Every taggable address of the state exists exactly once in the cloud, and the cloud
/// has nothing of this stack that the state does not know.
fn assert_state_matches_cloud(ws: &Workspace) -> BTreeMap<String, usize> {
    let live = rt().block_on(tagged(&ws.stack_name));
    let dupes: Vec<_> = live.iter().filter(|(_, n)| **n != 1).collect();
    assert!(dupes.is_empty(), "duplicates in the cloud: {dupes:?}");
    let taggable: Vec<String> = state_addresses(ws)
        .into_iter()
        .filter(|a| !a.starts_with("aws_route_table_association."))
        .collect();
    let cloud: Vec<String> = live.keys().cloned().collect();
    assert_eq!(
        taggable, cloud,
        "the state's taggable resources are exactly what is tagged in the cloud"
    );
    live
}

fn assert_plan_clean(ws: &Workspace) {
    let plan = direct(ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.code,
        0,
        "a plan without faults shows no changes:\n{}",
        plan.all()
    );
}

fn destroy_clean(ws: &Workspace) {
    let d = direct(ws, &["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());
}

pub(crate) fn stats_json(s: &Stats) -> serde_json::Value {
    json!({
        "requests_seen": s.requests,
        "faults_injected": s.total_injected(),
        "faults_by_kind": s.injected,
    })
}

/// Merge this test's figures into `faults.json` (the tests of this file share the group).
fn record(key: &str, figures: serde_json::Value) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let path = report::dir().join("faults.json");
    let mut all: serde_json::Map<String, serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    all.remove("recorded_at_unix");
    all.insert(key.to_string(), figures);
    report::record("faults", serde_json::Value::Object(all));
}

/// Create calls (the non-idempotent ones) that had their answer lost or their connection
/// dropped.
pub(crate) fn creates_hit(s: &Stats) -> usize {
    s.injected_by_operation
        .iter()
        .filter(|(k, _)| {
            let op = k.split(' ').next().unwrap_or("");
            (op.contains(":Create") || op.contains(":Allocate") || op.contains(":Associate"))
                && (k.ends_with("lost_response") || k.ends_with("dropped_connection"))
        })
        .map(|(_, n)| n)
        .sum()
}

pub(crate) fn seed() -> u64 {
    std::env::var("INFRA_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}

/// 20% of all requests fail (a seeded mix of every transient kind): apply and destroy
/// still complete, the state matches the cloud, and nothing is left behind.
#[test]
fn apply_and_destroy_complete_at_a_20_percent_fault_rate() {
    const RATE: f64 = 0.2;
    let seed = seed();
    eprintln!("fault seed: {seed} (rerun with INFRA_FAULT_SEED={seed})");
    let ws = Workspace::from_stack("example", true);
    let p = proxy(FaultConfig {
        seed,
        rate: RATE,
        rules: Vec::new(),
    });

    let started = Instant::now();
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    let apply_secs = started.elapsed().as_secs_f64();
    let after_apply = p.stats();
    assert_eq!(apply.code, 0, "seed {seed}:\n{}", apply.all());
    assert!(
        apply.stdout.contains(&format!(
            "Apply complete! Resources: {RESOURCES} added, 0 changed, 0 destroyed."
        )),
        "{}",
        apply.all()
    );
    assert!(
        after_apply.total_injected() > 0,
        "faults were injected: {after_apply:?}"
    );
    assert_eq!(state_addresses(&ws).len(), RESOURCES);
    let live = assert_state_matches_cloud(&ws);
    assert_eq!(live.len(), TAGGED, "{live:?}");
    assert_plan_clean(&ws);

    let started = Instant::now();
    let destroy = through(&ws, &p, &["destroy", "--auto-approve"]);
    let destroy_secs = started.elapsed().as_secs_f64();
    let total = p.stats();
    assert_eq!(destroy.code, 0, "seed {seed}:\n{}", destroy.all());
    let left = rt().block_on(tagged(&ws.stack_name));
    assert!(left.is_empty(), "left behind after destroy: {left:?}");
    assert!(state_addresses(&ws).is_empty());

    let destroy_stats = Stats {
        requests: total.requests - after_apply.requests,
        injected: total
            .injected
            .iter()
            .map(|(k, v)| (k.clone(), v - after_apply.injected.get(k).unwrap_or(&0)))
            .collect(),
        ..Stats::default()
    };
    record(
        "random_mix",
        json!({
                "seed": seed,
                "fault_rate": RATE,
                "apply": stats_json(&after_apply),
                "apply_seconds": apply_secs,
                "apply_exit": apply.code,
                "destroy": stats_json(&destroy_stats),
                "destroy_seconds": destroy_secs,
                "destroy_exit": destroy.code,
                "tagged_after_apply": live.len(),
                "tagged_after_destroy": left.len(),
                "create_calls_with_lost_answer_or_dropped_connection": creates_hit(&after_apply),
                "outcome": "apply and destroy exit 0; state = cloud; plan clean; nothing left",
        }),
    );
}

/// The security group's CreateSecurityGroup always answers 500 and the public route table's
/// CreateRouteTable always answers a non-retryable 400: only those two and what depends on
/// them (the public subnets' associations) fail; everything else is applied and recorded.
/// A rerun without faults completes the stack.
#[test]
fn a_resource_whose_api_keeps_failing_stops_only_its_own_branch() {
    let ws = Workspace::from_stack("example", true);
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            Rule::action("CreateSecurityGroup", Fault::Error500, None),
            Rule {
                when: Match {
                    action: Some("CreateRouteTable".into()),
                    body_contains: Some("aws_route_table.public".into()),
                    ..Match::default()
                },
                fault: Fault::Reject400,
                times: None,
            },
        ],
    });
    let started = Instant::now();
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    let apply_secs = started.elapsed().as_secs_f64();
    let stats = p.stats();
    assert_eq!(apply.code, 1, "{}", apply.all());
    let out = apply.all();
    for failed in ["aws_security_group.database", "aws_route_table.public"] {
        assert!(
            out.contains(&format!("{failed} failed")),
            "the output names {failed}:\n{out}"
        );
    }
    let not_applied = [
        "aws_security_group.database",
        "aws_route_table.public",
        "aws_route_table_association.public[\"us-east-1a\"]",
        "aws_route_table_association.public[\"us-east-1b\"]",
        "aws_route_table_association.public[\"us-east-1c\"]",
    ];
    let recorded = state_addresses(&ws);
    assert_eq!(
        recorded.len(),
        RESOURCES - not_applied.len(),
        "everything independent of the failures is recorded: {recorded:?}"
    );
    for a in not_applied {
        assert!(!recorded.iter().any(|r| r == a), "{a} is not in the state");
    }
    let live = assert_state_matches_cloud(&ws);
    assert_eq!(live.len(), TAGGED - 2, "{live:?}");
    // the 500 is retried up to the policy's attempts, the 400 is not retried at all
    let sg_attempts = stats.by_operation.get("ec2:CreateSecurityGroup").copied();
    assert_eq!(sg_attempts, Some(8), "{stats:?}");
    assert_eq!(
        stats
            .injected_by_operation
            .get("ec2:CreateRouteTable http_400")
            .copied(),
        Some(1),
        "{stats:?}"
    );

    let rerun = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert!(
        rerun
            .stdout
            .contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."),
        "{}",
        rerun.all()
    );
    let live = assert_state_matches_cloud(&ws);
    assert_eq!(live.len(), TAGGED);
    assert_plan_clean(&ws);
    destroy_clean(&ws);
    record(
        "permanent_failure",
        json!({
            "rules": ["every CreateSecurityGroup: HTTP 500", "CreateRouteTable of aws_route_table.public: HTTP 400 InvalidParameterValue"],
            "requests_seen": stats.requests,
            "faults_by_kind": stats.injected,
            "create_security_group_attempts": sg_attempts,
            "apply_exit": apply.code,
            "apply_seconds": apply_secs,
            "recorded_after_failed_apply": recorded.len(),
            "not_applied": not_applied.len(),
            "rerun_exit": rerun.code,
            "outcome": "exit 1 naming both; the other 20 applied and recorded; a rerun adds the 5 and plans clean",
        }),
    );
}

/// The first answer to every kind of create is lost after the cloud acted: the run adopts
/// what each lost call made instead of sending it again, and completes; exactly one of each
/// resource exists.
#[test]
fn a_create_whose_answer_is_lost_is_adopted_never_duplicated() {
    const CREATES: [(&str, usize); 8] = [
        ("CreateVpc", 1),
        ("CreateInternetGateway", 1),
        ("CreateSubnet", 6),
        ("AllocateAddress", 3),
        ("CreateNatGateway", 3),
        ("CreateRouteTable", 4),
        ("CreateSecurityGroup", 1),
        ("AssociateRouteTable", 6),
    ];
    let ws = Workspace::from_stack("example", true);
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: CREATES
            .iter()
            .map(|(a, _)| Rule::action(a, Fault::LoseResponse, Some(1)))
            .collect(),
    });
    let started = Instant::now();
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    let apply_secs = started.elapsed().as_secs_f64();
    let stats = p.stats();
    assert_eq!(
        stats.injected.get("lost_response").copied(),
        Some(CREATES.len()),
        "{stats:?}"
    );
    assert_eq!(apply.code, 0, "{}", apply.all());
    let live = assert_state_matches_cloud(&ws);
    assert_eq!(live.len(), TAGGED, "{live:?}");
    assert_eq!(state_addresses(&ws).len(), RESOURCES);
    // a create whose answer was lost is never sent again: it was adopted
    let sent: BTreeMap<&str, usize> = CREATES
        .iter()
        .map(|(a, _)| {
            let n = stats
                .by_operation
                .get(&format!("ec2:{a}"))
                .copied()
                .unwrap_or(0);
            (*a, n)
        })
        .collect();
    let expected: BTreeMap<&str, usize> = CREATES.iter().copied().collect();
    assert_eq!(sent, expected, "create calls sent (one per resource)");
    assert_plan_clean(&ws);
    destroy_clean(&ws);
    record(
        "lost_create_answers",
        json!({
            "lost_answers": CREATES.len(),
            "operations": CREATES.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
            "requests_seen": stats.requests,
            "create_calls_sent": sent,
            "apply_exit": apply.code,
            "apply_seconds": apply_secs,
            "tagged_after_apply": live.len(),
            "duplicates": 0,
            "outcome": "each lost create adopted in the same run, none resent; plan clean",
        }),
    );
}
