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
const LIMIT: Duration = Duration::from_secs(600);

fn proxy(config: FaultConfig) -> Proxy {
    let env = emulator_env();
    let eks = env
        .get("AWS_ENDPOINT_URL_EKS")
        .unwrap_or(&env["AWS_ENDPOINT_URL"]);
    Proxy::start(&env["AWS_ENDPOINT_URL"], eks, config)
}

/// `infra <args>` with the AWS endpoints pointed at the proxy, bounded in time.
fn through(ws: &Workspace, proxy: &Proxy, args: &[&str]) -> Run {
    let mut c = ws.cmd(args);
    point_at(&mut c, proxy);
    run_with_deadline(c, LIMIT)
}

/// `infra <args>` straight against the emulator, bounded in time.
fn direct(ws: &Workspace, args: &[&str]) -> Run {
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

fn stats_json(s: &Stats) -> serde_json::Value {
    json!({
        "requests_seen": s.requests,
        "faults_injected": s.total_injected(),
        "faults_by_kind": s.injected,
    })
}

fn seed() -> u64 {
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
    report::record(
        "faults",
        json!({
            "random_mix": {
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
                "outcome": "apply and destroy exit 0; state = cloud; plan clean; nothing left",
            }
        }),
    );
}
