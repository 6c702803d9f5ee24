//! Destroy under API faults (issue 8, item 4), on the 3-AZ network (separate
//! `aws_route` resources, count-indexed associations): at a 20% fault rate destroy
//! finishes on its first run and leaves nothing; a dependency that never clears (an
//! association made outside infra) fails within the wait timeout with an error naming the
//! route table and what holds it, and the output says what it waits for, with the elapsed
//! time. The cloud is checked with an independent EC2 client.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::proxy::FaultConfig;
use crate::common::{ec2, report, rt, tagged, Workspace};
use crate::faults::{direct, proxy, seed, stats_json, through};

pub(crate) const NETWORK_3AZ: &str = include_str!("fixtures/network_3az.tf");
/// Taggable objects of the 3-AZ network.
pub(crate) const TAGGED_3AZ: usize = 19;
/// Every resource of the 3-AZ network.
pub(crate) const RESOURCES_3AZ: usize = 29;

pub(crate) fn network_3az() -> Workspace {
    let ws = Workspace::from_files(&[("main.tf", NETWORK_3AZ)], true);
    ws.write(
        "name.auto.tfvars",
        &format!("name = \"{}\"\n", ws.stack_name),
    );
    ws
}

/// Associations still held by the stack's route tables (an independent client).
async fn associations_left(stack: &str) -> usize {
    let out = ec2()
        .await
        .describe_route_tables()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:infra:stack")
                .values(stack)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| !a.main().unwrap_or(false))
        .count()
}

#[test]
fn destroy_finishes_on_the_first_run_at_a_20_percent_fault_rate() {
    const RATE: f64 = 0.2;
    const RUNS: usize = 3;
    let first = seed();
    let mut runs = Vec::new();
    for i in 0..RUNS {
        let seed = first.wrapping_add(i as u64);
        eprintln!("destroy fault seed: {seed} (rerun with INFRA_FAULT_SEED={seed})");
        let ws = network_3az();
        let a = direct(&ws, &["apply", "--auto-approve"]);
        assert_eq!(a.code, 0, "{}", a.all());
        assert_eq!(rt().block_on(tagged(&ws.stack_name)).len(), TAGGED_3AZ);
        let p = proxy(FaultConfig {
            seed,
            rate: RATE,
            rules: Vec::new(),
        });
        let started = Instant::now();
        let d = through(&ws, &p, &["destroy", "--auto-approve"]);
        let seconds = started.elapsed().as_secs_f64();
        let stats = p.stats();
        assert_eq!(
            d.code,
            0,
            "seed {seed}: destroy must finish on its first run:\n{}",
            d.all()
        );
        assert!(
            d.stdout.contains(&format!(
                "Destroy complete! Resources: {RESOURCES_3AZ} destroyed."
            )),
            "{}",
            d.all()
        );
        let left = rt().block_on(tagged(&ws.stack_name));
        assert!(left.is_empty(), "seed {seed}: left behind: {left:?}");
        assert_eq!(rt().block_on(associations_left(&ws.stack_name)), 0);
        let list = direct(&ws, &["state", "list"]);
        assert!(list.stdout.trim().is_empty(), "{}", list.all());
        runs.push(json!({
            "seed": seed,
            "destroy": stats_json(&stats),
            "destroy_seconds": seconds,
            "destroy_exit": d.code,
            "reruns_needed": 0,
        }));
    }
    report::record(
        "faults_destroy",
        json!({
            "stack": "issue 8's 3-AZ network (29 resources)",
            "fault_rate": RATE,
            "runs": runs,
            "failed_reruns": 0,
            "outcome": "every destroy finished on its first run; nothing left",
        }),
    );
}

/// A subnet made outside infra is associated with `aws_route_table.private[0]`: its
/// DeleteRouteTable keeps answering DependencyViolation. Destroy reports what it waits
/// for while it waits, and fails within the wait timeout naming both.
#[test]
fn a_dependency_that_never_clears_fails_within_the_wait_timeout_naming_both() {
    const TIMEOUT: u64 = 60;
    let ws = network_3az();
    let a = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(a.code, 0, "{}", a.all());
    let ids = |addr: &str| -> String {
        rt().block_on(async {
            let store = ws.store().await;
            let rows = store.resources(&ws.stack_name).await.unwrap();
            store.close().await;
            rows.into_iter()
                .find(|r| r.address == addr)
                .map(|r| r.cloud_id)
                .unwrap_or_else(|| panic!("no {addr} in the state"))
        })
    };
    let vpc = ids("aws_vpc.this");
    let table = ids("aws_route_table.private[0]");
    let (subnet, association) = rt().block_on(async {
        let c = ec2().await;
        let s = c
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.42.200.0/24")
            .send()
            .await
            .unwrap();
        let subnet = s.subnet().unwrap().subnet_id().unwrap().to_string();
        let a = c
            .associate_route_table()
            .route_table_id(&table)
            .subnet_id(&subnet)
            .send()
            .await
            .unwrap();
        (subnet, a.association_id().unwrap().to_string())
    });

    let mut cmd = ws.cmd(&["destroy", "--auto-approve"]);
    cmd.env("INFRA_WAIT_TIMEOUT", format!("{TIMEOUT}s"));
    let started = Instant::now();
    let d = crate::common::run_with_deadline(cmd, Duration::from_secs(TIMEOUT * 4));
    let seconds = started.elapsed().as_secs();
    assert_eq!(d.code, 1, "{}", d.all());
    assert!(
        seconds < TIMEOUT + 30,
        "failed after {seconds}s, the wait timeout is {TIMEOUT}s"
    );
    let error = d
        .stderr
        .lines()
        .find(|l| l.contains("aws_route_table.private[0]") && l.contains("failed"))
        .unwrap_or_else(|| panic!("no error for the route table:\n{}", d.all()));
    assert!(
        error.contains(&table) && error.contains(&subnet) && error.contains(&association),
        "the error names the route table and what holds it: {error}"
    );
    let waiting = d
        .stdout
        .lines()
        .find(|l| l.starts_with("aws_route_table.private[0]: Still destroying... ["))
        .unwrap_or_else(|| panic!("no progress line while waiting:\n{}", d.all()));
    assert!(
        waiting.contains("elapsed]") && waiting.contains(&subnet),
        "the progress line says what it waits for: {waiting}"
    );

    // once the outside association is gone, destroy completes
    rt().block_on(async {
        let c = ec2().await;
        c.disassociate_route_table()
            .association_id(&association)
            .send()
            .await
            .unwrap();
        c.delete_subnet().subnet_id(&subnet).send().await.unwrap();
    });
    let d2 = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(d2.code, 0, "{}", d2.all());
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());
    report::record(
        "faults_destroy_dependency",
        json!({
            "wait_timeout_seconds": TIMEOUT,
            "failed_after_seconds": seconds,
            "error": error,
            "progress": waiting,
        }),
    );
}

/// A DisassociateRouteTable answered "done" without being carried out (the proxy answers
/// success and never forwards it), then one whose answer is lost after the cloud acted,
/// then one dropped before it was sent: the table's delete meets DependencyViolation, looks
/// again at what holds it and redoes the disassociation, instead of waiting until the
/// timeout for an association nothing else will remove. Destroy finishes on its first run.
#[test]
fn a_disassociation_taken_as_done_is_checked_again_before_the_table_delete() {
    use crate::common::proxy::{Fault, Rule};
    const TIMEOUT: u64 = 60;
    let ws = network_3az();
    let a = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(a.code, 0, "{}", a.all());
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            Rule::action("DisassociateRouteTable", Fault::FakeSuccess, Some(1)),
            Rule::action("DisassociateRouteTable", Fault::LoseResponse, Some(1)),
            Rule::action("DisassociateRouteTable", Fault::Drop, Some(1)),
        ],
    });
    let mut cmd = ws.cmd(&["destroy", "--auto-approve"]);
    crate::common::proxy::point_at(&mut cmd, &p);
    cmd.env("INFRA_WAIT_TIMEOUT", format!("{TIMEOUT}s"));
    let started = Instant::now();
    let d = crate::common::run_with_deadline(cmd, Duration::from_secs(TIMEOUT * 4));
    let seconds = started.elapsed().as_secs_f64();
    let stats = p.stats();
    assert_eq!(
        stats.injected.get("fake_success"),
        Some(&1),
        "the first DisassociateRouteTable was answered without being sent: {stats:?}"
    );
    assert_eq!(
        d.code,
        0,
        "destroy must finish on its first run after a disassociation taken as done ({seconds:.0}s):\n{}",
        d.all()
    );
    assert!(
        d.stdout.contains(&format!(
            "Destroy complete! Resources: {RESOURCES_3AZ} destroyed."
        )),
        "{}",
        d.all()
    );
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());
    assert_eq!(rt().block_on(associations_left(&ws.stack_name)), 0);
    report::record(
        "faults_destroy_disassociation",
        json!({
            "faults": "DisassociateRouteTable: 1 answered without being sent, 1 answer lost, 1 dropped",
            "destroy_exit": d.code,
            "destroy_seconds": seconds,
            "disassociate_calls": stats.by_operation.get("ec2:DisassociateRouteTable"),
            "reruns_needed": 0,
        }),
    );
}
