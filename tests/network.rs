//! The example network stack against the emulator, checked with an independent client.

use std::time::Duration;

use crate::common::{changes, ec2, tagged, Workspace};

/// Taggable resources in stacks/example: vpc, igw, 6 subnets, 3 EIPs, 3 NATs, 4 route tables, 1 SG.
const TAGGED: usize = 19;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn assert_exactly_once(stack: &str, expected: usize) {
    let counts = rt().block_on(tagged(stack));
    let dupes: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(dupes.is_empty(), "duplicates in the cloud: {dupes:?}");
    assert_eq!(
        counts.len(),
        expected,
        "tagged resources in the cloud: {counts:?}"
    );
}

#[test]
fn apply_then_plan_is_clean_then_destroy_leaves_nothing() {
    let ws = Workspace::from_stack("example", true);
    let plan = ws.plan_json(&[]);
    let planned = changes(&plan);
    assert_eq!(planned.len(), 25, "{planned:?}");
    assert!(planned.iter().all(|(_, a)| a == &["create"]));
    assert!(plan["infra"]["api_calls_total"].as_u64().is_some());

    let r = ws.apply();
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 25 added, 0 changed, 0 destroyed."),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("vpc_id"),
        "outputs are printed after apply:\n{}",
        r.stdout
    );
    assert_exactly_once(&ws.stack_name, TAGGED);

    // a second plan shows no changes, with batched reads: one Describe call per type
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let plan = ws.plan_json(&[]);
    let calls = &plan["infra"]["api_calls"];
    assert_eq!(
        calls["ec2:DescribeSubnets"], 1,
        "subnets must be read in one call: {calls}"
    );
    assert!(
        calls["ec2:DescribeNatGateways"].as_u64().unwrap_or(0) <= 1,
        "{calls}"
    );

    let out = ws.run(&["output", "vpc_id"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.trim().starts_with("vpc-"), "{}", out.stdout);

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_exactly_once(&ws.stack_name, 0);
    let list = ws.run(&["state", "list"]);
    assert_eq!(
        list.stdout.trim(),
        "",
        "state is empty after destroy: {}",
        list.all()
    );
}

#[test]
fn tag_change_is_one_update_and_cidr_change_is_a_replace() {
    let ws = Workspace::from_stack("example", true);
    ws.apply();

    ws.edit(
        "main.tf",
        "Name = \"${var.name}-vpc\"",
        "Name = \"${var.name}-vpc-renamed\"",
    );
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![("aws_vpc.main".to_string(), vec!["update".to_string()])]
    );
    ws.apply();
    let vpc_name = rt().block_on(async {
        let c = ec2().await;
        let f = aws_sdk_ec2::types::Filter::builder()
            .name("tag:infra:stack")
            .values(&ws.stack_name)
            .build();
        let vpcs = c.describe_vpcs().filters(f).send().await.unwrap();
        vpcs.vpcs()[0]
            .tags()
            .iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value())
            .map(str::to_string)
    });
    assert_eq!(vpc_name.as_deref(), Some("example-vpc-renamed"));

    // a private subnet's CIDR moves: that subnet is replaced, its association follows
    ws.edit(
        "main.tf",
        "cidrsubnet(var.vpc_cidr, 8, i + 100)",
        "cidrsubnet(var.vpc_cidr, 8, i + 110)",
    );
    let plan = ws.plan_json(&[]);
    let planned = changes(&plan);
    let subnets: Vec<_> = planned
        .iter()
        .filter(|(a, _)| a.starts_with("aws_subnet.private"))
        .collect();
    assert_eq!(subnets.len(), 3, "{planned:?}");
    assert!(
        subnets.iter().all(|(_, a)| a == &["delete", "create"]),
        "{planned:?}"
    );
    assert!(
        planned
            .iter()
            .all(|(a, _)| !a.starts_with("aws_vpc") && !a.starts_with("aws_nat_gateway")),
        "{planned:?}"
    );
    ws.apply();
    assert_exactly_once(&ws.stack_name, TAGGED);
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}

#[test]
fn nat_gateway_deleted_behind_our_back_is_recreated() {
    let ws = Workspace::from_stack("example", true);
    ws.apply();
    // (the emulator ignores tag filters on DescribeNatGateways, so take the id from the state)
    let show = ws.run(&[
        "state",
        "show",
        "aws_nat_gateway.main[\"us-east-1a\"]",
        "--json",
    ]);
    assert_eq!(show.code, 0, "{}", show.all());
    let shown: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    let nat_id = shown["id"].as_str().unwrap().to_string();
    assert!(nat_id.starts_with("nat-"), "{nat_id}");
    rt().block_on(async {
        let c = ec2().await;
        c.delete_nat_gateway()
            .nat_gateway_id(&nat_id)
            .send()
            .await
            .unwrap();
    });
    let plan = ws.plan_json(&[]);
    let planned = changes(&plan);
    assert!(
        planned.contains(&(
            "aws_nat_gateway.main[\"us-east-1a\"]".to_string(),
            vec!["create".to_string()]
        )),
        "{planned:?}"
    );
    ws.apply();
    let show = ws.run(&[
        "state",
        "show",
        "aws_nat_gateway.main[\"us-east-1a\"]",
        "--json",
    ]);
    let shown: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_ne!(
        shown["id"].as_str(),
        Some(nat_id.as_str()),
        "a new NAT gateway is recorded"
    );
    assert_exactly_once(&ws.stack_name, TAGGED);
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}

#[test]
fn concurrent_applies_never_duplicate() {
    let ws2 = Workspace::from_stack("example", true);
    let a = ws2
        .cmd(&["apply", "--auto-approve"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let b = ws2
        .cmd(&["apply", "--auto-approve"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code(), b.status.code()];
    assert!(codes.contains(&Some(0)), "one apply succeeds: {codes:?}");
    let loser = if a.status.success() { &b } else { &a };
    if !loser.status.success() {
        let err = String::from_utf8_lossy(&loser.stderr);
        assert!(
            err.contains("locked"),
            "the other names the lock holder: {err}"
        );
    }
    assert_exactly_once(&ws2.stack_name, TAGGED);
    // a rerun finds nothing to do
    assert_eq!(ws2.run(&["plan", "--detailed-exitcode"]).code, 0);
    assert_eq!(ws2.run(&["destroy", "--auto-approve"]).code, 0);
}

#[test]
fn kill_9_during_apply_then_rerun_leaves_exactly_one_of_each() {
    use rand::Rng;
    let ws = Workspace::from_stack("example", true);
    let delay = rand::thread_rng().gen_range(300..2500);
    let mut child = ws
        .cmd(&["apply", "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(delay));
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();

    let r = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "rerun after kill -9 at {delay} ms:\n{}", r.all());
    assert_exactly_once(&ws.stack_name, TAGGED);
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code,
        0,
        "clean plan after recovery (killed at {delay} ms):\n{}",
        again.all()
    );
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
    assert_exactly_once(&ws.stack_name, 0);
}

#[test]
fn a_tag_changed_in_the_cloud_is_one_in_place_update() {
    let ws = Workspace::from_stack("example", true);
    ws.apply();
    let show = ws.run(&["state", "show", "aws_vpc.main", "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    let vpc_id = shown["id"].as_str().unwrap().to_string();
    // drift: someone renames the VPC by hand
    rt().block_on(async {
        let c = ec2().await;
        let tag = aws_sdk_ec2::types::Tag::builder()
            .key("Name")
            .value("renamed-by-hand")
            .build();
        c.create_tags()
            .resources(&vpc_id)
            .tags(tag)
            .send()
            .await
            .unwrap();
    });
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![("aws_vpc.main".to_string(), vec!["update".to_string()])]
    );
    ws.apply();
    let name = rt().block_on(async {
        let c = ec2().await;
        let vpcs = c.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
        vpcs.vpcs()[0]
            .tags()
            .iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value())
            .map(str::to_string)
    });
    assert_eq!(
        name.as_deref(),
        Some("example-vpc"),
        "apply restores the configured tag"
    );
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}

/// Eight applies of one stack at once: exactly one applies; each of the others fails
/// within a second, naming the holder; nothing is duplicated.
#[test]
fn eight_concurrent_applies_one_wins_the_rest_fail_fast() {
    use std::process::Stdio;
    use std::time::Instant;
    let ws = Workspace::from_stack("example", true);
    // each child is waited on in its own thread, so its own run time is measured
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let child = ws
                .cmd(&["apply", "--auto-approve"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let started = Instant::now();
            std::thread::spawn(move || {
                let out = child.wait_with_output().unwrap();
                (started.elapsed(), out)
            })
        })
        .collect();
    let mut winners = 0;
    for waiter in waiters {
        let (took, out) = waiter.join().unwrap();
        if out.status.success() {
            winners += 1;
            continue;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("locked"), "a loser names the lock:\n{err}");
        assert!(err.contains("pid"), "and its holder:\n{err}");
        assert!(
            took < Duration::from_secs(5),
            "a loser fails fast, not after {took:?}:\n{err}"
        );
    }
    assert_eq!(winners, 1, "exactly one apply wins");
    assert_exactly_once(&ws.stack_name, TAGGED);
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}
