//! The reference environments in `stacks/` (dev, staging, prod): each applies, plans clean
//! and destroys clean against the emulator; their VPC ranges may never overlap.

use crate::common::{changes, tagged, Workspace};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn overlapping_vpc_ranges_between_environments_are_refused() {
    let ws = Workspace::from_environment("prod", false);
    let envs = ws.dir.path().join("modules/environments/main.tf");
    let text = std::fs::read_to_string(&envs).unwrap();
    let text = text.replace(
        r#"prod    = "10.30.0.0/16""#,
        r#"prod    = "10.10.128.0/17""#,
    );
    std::fs::write(&envs, text).unwrap();
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("dev (10.10.0.0/16) and prod (10.10.128.0/17)"),
        "names both environments and their ranges:\n{}",
        r.all()
    );
    assert!(
        r.stderr.contains("main.tf:"),
        "points at the file:\n{}",
        r.all()
    );
    // the shipped ranges do not overlap
    let ok = Workspace::from_environment("prod", false);
    let r = ok.run(&["validate"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// Apply, plan clean, check what exists with an independent client, destroy, check nothing is left.
fn lifecycle(env: &str, nats: usize) {
    let ws = Workspace::from_environment(env, true);
    let plan = ws.plan_json(&[]);
    let planned = changes(&plan);
    let nat_count = planned
        .iter()
        .filter(|(a, _)| a.starts_with("module.network.aws_nat_gateway.this"))
        .count();
    assert_eq!(nat_count, nats, "{planned:?}");
    let eips = planned
        .iter()
        .filter(|(a, _)| a.starts_with("module.network.aws_eip.nat"))
        .count();
    assert_eq!(eips, nats, "one EIP per NAT gateway, declared separately");
    ws.apply();
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code,
        0,
        "{} plans clean after apply:\n{}",
        env,
        again.all()
    );
    let counts = rt().block_on(tagged(&ws.stack_name));
    // vpc, igw, 6 subnets, 4 route tables, and an EIP + NAT gateway per NAT
    assert_eq!(counts.len(), 12 + 2 * nats, "{counts:?}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert!(
        counts.contains_key("module.network.aws_vpc.this"),
        "{counts:?}"
    );
    let out = ws.run(&["output", "vpc_id"]);
    assert!(out.stdout.trim().starts_with("vpc-"), "{}", out.all());

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(
        rt().block_on(tagged(&ws.stack_name)).is_empty(),
        "destroy leaves nothing"
    );
}

#[test]
fn dev_applies_plans_clean_and_destroys_with_one_shared_nat() {
    lifecycle("dev", 1);
}

#[test]
fn staging_applies_plans_clean_and_destroys() {
    lifecycle("staging", 3);
}

#[test]
fn prod_applies_plans_clean_and_destroys_with_a_nat_per_az() {
    lifecycle("prod", 3);
}
