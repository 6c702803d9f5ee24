//! `scripts/dr-rebuild` end to end: prod applied in us-east-1, the state file deleted,
//! prod rebuilt in us-west-2 (checked with independent clients: the VPC, a NAT gateway per
//! AZ, the EKS cluster and its pools), the apex's PRIMARY failover record serving the
//! secondary; a second rebuild after losing the state again keeps the DR region's Elastic
//! IPs; then fail back.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Instant;

use crate::common::*;

const DR_REGION: &str = "us-west-2";
const DR_CIDR: &str = "10.40.0.0/16";
const PRIMARY_ADDRESS: &str = "203.0.113.10";
const DR_ADDRESS: &str = "198.51.100.10";

fn west() -> aws_config::SdkConfig {
    sdk_config()
        .into_builder()
        .region(aws_config::Region::new(DR_REGION))
        .build()
}

fn dr_rebuild(ws: &Workspace, args: &[&str]) -> (Run, f64) {
    let env = ws.cmd_bare(&[]);
    let mut c = Command::new(root().join("scripts/dr-rebuild"));
    for (k, v) in env.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env("INFRA", env!("CARGO_BIN_EXE_infra"))
        .env("INFRA_STATE", ws.state_path())
        .arg("--stack")
        .arg(ws.stack_dir())
        .arg("--primary-stack-name")
        .arg(&ws.stack_name)
        .args(args);
    let started = Instant::now();
    let r = run_with_deadline(c, std::time::Duration::from_secs(600));
    (r, started.elapsed().as_secs_f64())
}

/// The DR region's VPC of `name`, its live NAT gateways and its Elastic IPs.
async fn dr_network(name: &str) -> (Vec<String>, usize, BTreeSet<String>) {
    let ec2 = aws_sdk_ec2::Client::new(&west());
    let tag = aws_sdk_ec2::types::Filter::builder()
        .name("tag:infra:stack")
        .values(name)
        .build();
    let vpcs: Vec<String> = ec2
        .describe_vpcs()
        .filters(tag.clone())
        .send()
        .await
        .unwrap()
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect();
    let nats = ec2
        .describe_nat_gateways()
        .send()
        .await
        .unwrap()
        .nat_gateways()
        .iter()
        .filter(|n| vpcs.iter().any(|v| n.vpc_id() == Some(v)))
        .filter(|n| n.state().map(|s| s.as_str()) == Some("available"))
        .count();
    let eips = ec2
        .describe_addresses()
        .filters(tag)
        .send()
        .await
        .unwrap()
        .addresses()
        .iter()
        .filter_map(|a| a.allocation_id().map(str::to_string))
        .collect();
    (vpcs, nats, eips)
}

async fn dr_cluster(name: &str) -> (String, usize) {
    let env = emulator_env();
    let endpoint = env
        .get("AWS_ENDPOINT_URL_EKS")
        .unwrap_or(&env["AWS_ENDPOINT_URL"]);
    let conf = aws_sdk_eks::config::Builder::from(&west())
        .endpoint_url(endpoint)
        .build();
    let eks = aws_sdk_eks::Client::from_conf(conf);
    let c = eks.describe_cluster().name(name).send().await.unwrap();
    let status = c
        .cluster()
        .and_then(|c| c.status())
        .map(|s| s.as_str().to_string());
    let pools = eks
        .list_nodegroups()
        .cluster_name(name)
        .send()
        .await
        .unwrap()
        .nodegroups()
        .len();
    (status.unwrap_or_default(), pools)
}

/// The address the apex's PRIMARY failover record serves.
async fn primary_answer(zone: &str) -> Vec<String> {
    let r53 = aws_sdk_route53::Client::new(&sdk_config());
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    sets.resource_record_sets()
        .iter()
        .filter(|s| s.failover().map(|f| f.as_str()) == Some("PRIMARY"))
        .flat_map(|s| s.resource_records().iter().map(|r| r.value().to_string()))
        .collect()
}

fn phase_figures(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| l.strip_prefix("== phase "))
        .filter_map(|l| l.split_once(" done in "))
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn dr_rebuild_into_a_second_region_after_losing_the_state_then_fail_back() {
    let ws = Workspace::from_environment("prod", true);
    ws.apply();
    let zone = ws
        .run(&["output", "zone_id"])
        .stdout
        .trim()
        .trim_matches('"')
        .to_string();
    assert_eq!(rt().block_on(primary_answer(&zone)), [PRIMARY_ADDRESS]);
    ws.remove_state();

    let dr = unique("prod-dr");
    let args = ["--region", DR_REGION, "--vpc-cidr", DR_CIDR, "--name", &dr];
    let (r, secs) = dr_rebuild(&ws, &args);
    assert_eq!(r.code, 0, "{}", r.all());
    for p in ["1/4", "2/4", "3/4", "4/4"] {
        assert!(
            r.stdout.contains(&format!("== phase {p} done in ")),
            "{}",
            r.all()
        );
    }
    assert!(r.stdout.contains("== total "), "{}", r.all());
    let (vpcs, nats, eips) = rt().block_on(dr_network(&dr));
    assert_eq!(vpcs.len(), 1, "one VPC in {DR_REGION}");
    assert_eq!(nats, 3, "a NAT gateway per AZ");
    assert_eq!(eips.len(), 3, "an Elastic IP per NAT gateway");
    assert_eq!(rt().block_on(dr_cluster(&dr)), ("ACTIVE".to_string(), 3));
    assert_eq!(
        rt().block_on(primary_answer(&zone)),
        [DR_ADDRESS],
        "the secondary answers"
    );

    // the state is lost again mid-incident: the rebuild adopts what the first one made,
    // keeping the same Elastic IPs, and creates nothing
    ws.remove_state();
    let (again, again_secs) = dr_rebuild(&ws, &args);
    assert_eq!(again.code, 0, "{}", again.all());
    let (vpcs2, nats2, eips2) = rt().block_on(dr_network(&dr));
    assert_eq!((vpcs2, nats2), (vpcs, 3));
    assert_eq!(eips2, eips, "the Elastic IPs survive");
    assert!(!again.stdout.contains("will be created"), "{}", again.all());

    let (back, _) = dr_rebuild(&ws, &["--failback"]);
    assert_eq!(back.code, 0, "{}", back.all());
    assert_eq!(
        rt().block_on(primary_answer(&zone)),
        [PRIMARY_ADDRESS],
        "failed back"
    );

    report::record(
        "disaster_recovery",
        serde_json::json!({
            "rto_seconds_first_rebuild": secs,
            "rto_seconds_rebuild_with_everything_surviving": again_secs,
            "phases_first": phase_figures(&r.stdout),
            "phases_second": phase_figures(&again.stdout),
        }),
    );

    // clean up: the DR copy, then the primary
    let mut destroy = ws.cmd_bare(&["destroy", "--auto-approve"]);
    destroy.arg("--stack").arg(ws.stack_dir()).args([
        "--stack-name",
        &dr,
        "--var",
        &format!("region={DR_REGION}"),
        "--var",
        &format!("vpc_cidr={DR_CIDR}"),
        "--var",
        &format!("name={dr}"),
        "--var",
        "environment_stacks={}",
    ]);
    let r = Run::from(destroy.output().unwrap());
    assert_eq!(r.code, 0, "{}", r.all());
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
}
