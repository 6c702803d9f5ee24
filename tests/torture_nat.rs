//! Kill -9 early in an apply of issue 8's 3-AZ network, while its NAT gateways are being
//! created, then rerun once: the rerun must converge (exit 0), leaving exactly one of each
//! resource, all known to the state, and a clean plan. Kill moments are seeded: 0.1–0.9 s
//! after the start, or 0–300 ms after the first NAT gateway starts. Reruns that fail are
//! counted (the target is 0) and recorded with the other figures.
//!
//! `INFRA_TORTURE_SEED` replays a run; `INFRA_TORTURE_NAT_KILLS` sets the count (default 12).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::common::{report, rt, run_with_deadline, tagged_objects, Run, Workspace};
use crate::faults_destroy::{network_3az, TAGGED_3AZ};

const LIMIT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy)]
enum Moment {
    /// After this long from the start.
    After(Duration),
    /// This long after the first `aws_nat_gateway...: Creating...` line.
    AfterNatStarts(Duration),
}

/// Run `apply` and SIGKILL it at `moment`. Returns whether it died of the kill and the
/// progress lines it printed.
fn kill_at(ws: &Workspace, moment: Moment) -> (bool, Vec<String>) {
    let mut child = ws
        .cmd(&["apply", "--auto-approve"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("running infra");
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut lines = Vec::new();
    match moment {
        Moment::After(d) => std::thread::sleep(d),
        Moment::AfterNatStarts(d) => loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(l) => {
                    let nat = l.starts_with("aws_nat_gateway.") && l.ends_with(": Creating...");
                    lines.push(l);
                    if nat {
                        std::thread::sleep(d);
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    assert!(started.elapsed() < LIMIT, "infra ran for {LIMIT:?}");
                }
            }
        },
    }
    let _ = child.kill();
    let status = child.wait().expect("waiting for infra");
    lines.extend(rx.try_iter());
    (status.signal() == Some(9), lines)
}

/// Addresses that exist more than once, and objects the state does not know.
fn check(ws: &Workspace) -> (Vec<String>, Vec<String>, usize) {
    rt().block_on(async {
        let cloud = tagged_objects(&ws.stack_name, true).await;
        let store = ws.store().await;
        let rows = store.resources(&ws.stack_name).await.unwrap();
        store.close().await;
        let mut per_address: BTreeMap<&str, usize> = BTreeMap::new();
        for (a, _) in &cloud {
            *per_address.entry(a).or_default() += 1;
        }
        let duplicates = per_address
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(a, n)| format!("{a} x{n}"))
            .collect();
        let orphans = cloud
            .iter()
            .filter(|(a, id)| !rows.iter().any(|r| &r.address == a && &r.cloud_id == id))
            .map(|(a, id)| format!("{a} {id}"))
            .collect();
        (duplicates, orphans, per_address.len())
    })
}

#[test]
fn torture_kill_during_nat_gateway_creation_converges_in_one_rerun() {
    let seed: u64 = std::env::var("INFRA_TORTURE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    let kills: usize = std::env::var("INFRA_TORTURE_NAT_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    eprintln!("torture_nat: seed {seed} (INFRA_TORTURE_SEED={seed} replays it), {kills} kills");
    let mut rng = StdRng::seed_from_u64(seed);
    let ws = network_3az();
    let run = |args: &[&str]| -> Run { run_with_deadline(ws.cmd(args), LIMIT) };
    let started = Instant::now();
    let mut problems: Vec<String> = Vec::new();
    let (mut landed, mut during_nat, mut reruns, mut failed_reruns) = (0, 0, 0, 0);
    let (mut duplicates, mut orphans, mut unclean, mut adopted) = (0, 0, 0, 0);
    for i in 0..kills {
        let moment = if i % 2 == 0 {
            Moment::After(Duration::from_millis(rng.gen_range(100..900)))
        } else {
            Moment::AfterNatStarts(Duration::from_millis(rng.gen_range(0..300)))
        };
        let (killed, lines) = kill_at(&ws, moment);
        let nat_started = lines
            .iter()
            .any(|l| l.starts_with("aws_nat_gateway.") && l.ends_with(": Creating..."));
        let nat_done = lines
            .iter()
            .filter(|l| l.starts_with("aws_nat_gateway.") && l.contains(" complete after "))
            .count();
        let what = format!(
            "kill {i} ({moment:?}, {} progress lines, NAT gateways started: {nat_started}, done: {nat_done}, seed {seed})",
            lines.len()
        );
        landed += usize::from(killed);
        during_nat += usize::from(killed && nat_started && nat_done < 3);
        // one rerun must converge
        let mut r = run(&["apply", "--auto-approve"]);
        reruns += 1;
        if r.code != 0 {
            failed_reruns += 1;
            problems.push(format!("{what}: the rerun failed:\n{}", r.all()));
            r = run(&["apply", "--auto-approve"]);
            reruns += 1;
            if r.code != 0 {
                failed_reruns += 1;
                problems.push(format!("{what}: a second rerun failed too:\n{}", r.all()));
                break;
            }
        }
        adopted += r.stderr.matches("created by an interrupted run").count();
        let (dups, orphaned, live) = check(&ws);
        duplicates += dups.len();
        orphans += orphaned.len();
        if !dups.is_empty() || !orphaned.is_empty() || live != TAGGED_3AZ {
            problems.push(format!(
                "{what}: duplicates {dups:?}, orphans {orphaned:?}, {live} of {TAGGED_3AZ} addresses live"
            ));
        }
        let p = run(&["plan", "--detailed-exitcode"]);
        if p.code != 0 {
            unclean += 1;
            problems.push(format!("{what}: the next plan is not clean:\n{}", p.all()));
        }
        eprintln!("torture_nat: {what}: rerun exit {}, {live} live", r.code);
        let d = run(&["destroy", "--auto-approve"]);
        if d.code != 0 {
            problems.push(format!("{what}: destroy failed:\n{}", d.all()));
            break;
        }
        if !problems.is_empty() {
            break;
        }
    }
    report::record(
        "torture_nat",
        json!({
            "stack": "issue 8's 3-AZ network (29 resources, 3 NAT gateways)",
            "kills": landed,
            "kills_while_nat_gateways_were_being_created": during_nat,
            "reruns": reruns,
            "failed_reruns": failed_reruns,
            "adopted": adopted,
            "duplicates": duplicates,
            "orphans": orphans,
            "unclean_plans": unclean,
            "seed": seed,
            "seconds": started.elapsed().as_secs(),
        }),
    );
    let d = run(&["destroy", "--auto-approve"]);
    assert!(
        problems.is_empty(),
        "seed {seed}:\n{}",
        problems.join("\n\n")
    );
    assert_eq!(failed_reruns, 0, "seed {seed}");
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(check(&ws).2 == 0, "nothing left after the final destroy");
    assert!(
        landed * 2 >= kills,
        "only {landed} of {kills} kills landed while infra ran (seed {seed})"
    );
}

/// Live NAT gateways carrying `address`'s tags, by id (an independent client).
fn live_nats(stack: &str, address: &str) -> Vec<String> {
    rt().block_on(async {
        let out = crate::common::ec2()
            .await
            .describe_nat_gateways()
            .send()
            .await
            .unwrap();
        out.nat_gateways()
            .iter()
            .filter(|n| {
                !matches!(
                    n.state(),
                    Some(aws_sdk_ec2::types::NatGatewayState::Deleted)
                        | Some(aws_sdk_ec2::types::NatGatewayState::Deleting)
                )
            })
            .filter(|n| {
                let tag = |k: &str| {
                    n.tags()
                        .iter()
                        .find(|t| t.key() == Some(k))
                        .and_then(|t| t.value())
                };
                tag("infra:stack") == Some(stack) && tag("infra:address") == Some(address)
            })
            .filter_map(|n| n.nat_gateway_id().map(str::to_string))
            .collect()
    })
}

/// A CreateNatGateway that lands after the rerun stopped looking for it (its intent
/// dropped, no row; here: `state rm` of a live gateway) makes the next create of that
/// address answer `Resource.AlreadyAssociated`. The gateway holding the address carries
/// the address's own tags: it is adopted, not duplicated. The address had been used by a
/// gateway deleted earlier too (a replacement): the live one must keep it (before, the
/// provider saw the deleted one, took the address from the live one and made a second
/// gateway).
#[test]
fn a_nat_gateway_that_lands_late_is_adopted_and_keeps_its_address() {
    let ws = network_3az();
    let run = |args: &[&str]| -> Run { run_with_deadline(ws.cmd(args), LIMIT) };
    let a = run(&["apply", "--auto-approve"]);
    assert_eq!(a.code, 0, "{}", a.all());
    // a deleted gateway that used the same address
    let r = run(&[
        "apply",
        "--auto-approve",
        "--replace",
        "aws_nat_gateway.this[0]",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let before = live_nats(&ws.stack_name, "aws_nat_gateway.this[0]");
    assert_eq!(before.len(), 1, "{before:?}");
    let rm = run(&["state", "rm", "aws_nat_gateway.this[0]"]);
    assert_eq!(rm.code, 0, "{}", rm.all());

    let again = run(&["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let after = live_nats(&ws.stack_name, "aws_nat_gateway.this[0]");
    assert_eq!(
        after,
        before,
        "the gateway that holds the address is adopted, and no second one is made:\n{}",
        again.all()
    );
    let (dups, orphaned, live) = check(&ws);
    assert!(
        dups.is_empty() && orphaned.is_empty(),
        "{dups:?} {orphaned:?}"
    );
    assert_eq!(live, TAGGED_3AZ);
    let p = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(p.code, 0, "the plan after adoption is clean:\n{}", p.all());
    let d = run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    report::record(
        "torture_nat_late_landing",
        json!({
            "outcome": "a live gateway with the address's tags, unknown to the state, adopted on AlreadyAssociated; its address kept; plan clean",
            "nat_gateway": after,
        }),
    );
}
