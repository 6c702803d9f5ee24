//! API faults over the dev environment (stacks/dev): a VPC with one NAT, IAM roles and
//! their policy attachments, an EKS cluster and node group (moto), a private zone and a
//! public sub-zone. The same fault proxy as tests/faults.rs; the cloud is checked with
//! independent clients (EC2 by tag, IAM roles, EKS clusters and node groups, Route53 zones
//! by name and tags), and the figures go to the `faults_env` report group.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde_json::json;

use crate::common::proxy::{Fault, FaultConfig, Match, Rule, Stats};
use crate::common::{leftovers, report, rt, sdk_config, tagged, Workspace};
use crate::faults::{direct, proxy, seed, stats_json, through};

/// EC2 objects of dev tagged for the stack: vpc, igw, 6 subnets, 4 route tables, 1 EIP,
/// 1 NAT gateway.
const TAGGED_EC2: usize = 14;
/// Objects outside EC2 that dev makes: 2 IAM roles, 4 policy attachments, a cluster, a node
/// group, 2 hosted zones.
const OUTSIDE_EC2: usize = 10;
/// The types checked outside EC2.
const TYPES: [&str; 5] = [
    "aws_iam_role",
    "aws_iam_role_policy_attachment",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_route53_zone",
];

/// The dev environment with a domain of its own: the public sub-zone `dev.<domain>` is then
/// unique to this test, so counting zones by name finds duplicates (Route53 allows them).
fn dev() -> Workspace {
    let ws = Workspace::from_environment("dev", true);
    ws.write(
        "faults.auto.tfvars",
        &format!("domain = \"{}.example.com\"\n", ws.stack_name),
    );
    ws
}

/// The names of dev's two hosted zones.
fn zone_names(ws: &Workspace) -> [String; 2] {
    [
        format!("{}.internal", ws.stack_name),
        format!("dev.{}.example.com", ws.stack_name),
    ]
}

/// `(type, cloud id)` of the managed state rows of `TYPES`, and the EC2 addresses.
fn state_rows(ws: &Workspace) -> (BTreeSet<(String, String)>, BTreeSet<String>, usize) {
    rt().block_on(async {
        let store = ws.store().await;
        let rows = store.resources(&ws.stack_name).await.unwrap();
        store.close().await;
        let managed: Vec<_> = rows.into_iter().filter(|r| r.mode != "data").collect();
        let outside = managed
            .iter()
            .filter(|r| TYPES.contains(&r.type_name.as_str()))
            .map(|r| (r.type_name.clone(), r.cloud_id.clone()))
            .collect();
        let ec2 = managed
            .iter()
            .filter(|r| !TYPES.contains(&r.type_name.as_str()))
            .filter(|r| r.type_name != "aws_route_table_association")
            .map(|r| r.address.clone())
            .collect();
        (outside, ec2, managed.len())
    })
}

/// What exists outside EC2 for this stack, found by an independent client: `(type, id)` of
/// each object (with duplicates counted), and every object that is not tagged for the stack.
async fn cloud_outside(ws: &Workspace) -> (BTreeMap<(String, String), usize>, Vec<String>) {
    let name = &ws.stack_name;
    let conf = sdk_config();
    let mut found: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut untagged = Vec::new();
    let mut add = |t: &str, id: String| *found.entry((t.to_string(), id)).or_default() += 1;
    let ours = |k: Option<&str>, v: Option<&str>| k == Some("infra:stack") && v == Some(name);

    let iam = aws_sdk_iam::Client::new(&conf);
    for role in [format!("{name}-eks-cluster"), format!("{name}-eks-node")] {
        let Ok(got) = iam.get_role().role_name(&role).send().await else {
            continue;
        };
        let tagged = got.role().is_some_and(|r| {
            r.tags()
                .iter()
                .any(|t| ours(Some(t.key()), Some(t.value())))
        });
        if !tagged {
            untagged.push(format!("iam role {role}"));
        }
        add("aws_iam_role", role.clone());
        let attached = iam
            .list_attached_role_policies()
            .role_name(&role)
            .send()
            .await
            .unwrap();
        for p in attached.attached_policies() {
            let arn = p.policy_arn().unwrap_or("?");
            add("aws_iam_role_policy_attachment", format!("{role}/{arn}"));
        }
    }

    let eks = crate::common::eks().await;
    let clusters = eks.list_clusters().send().await.unwrap();
    for c in clusters.clusters().iter().filter(|c| *c == name) {
        add("aws_eks_cluster", c.clone());
        let cl = eks.describe_cluster().name(c).send().await.unwrap();
        let tagged = cl
            .cluster()
            .and_then(|c| c.tags())
            .is_some_and(|t| t.get("infra:stack") == Some(name));
        if !tagged {
            untagged.push(format!("eks cluster {c}"));
        }
        let groups = eks.list_nodegroups().cluster_name(c).send().await.unwrap();
        for g in groups.nodegroups() {
            add("aws_eks_node_group", format!("{c}:{g}"));
        }
    }

    let r53 = aws_sdk_route53::Client::new(&conf);
    for zone in zone_names(ws) {
        for id in zones_named(&r53, &zone).await {
            let tags = r53
                .list_tags_for_resource()
                .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
                .resource_id(&id)
                .send()
                .await
                .unwrap();
            let tagged = tags
                .resource_tag_set()
                .is_some_and(|s| s.tags().iter().any(|t| ours(t.key(), t.value())));
            if !tagged {
                untagged.push(format!("hosted zone {zone} {id}"));
            }
            add("aws_route53_zone", id);
        }
    }
    (found, untagged)
}

/// The ids of every hosted zone called `name` (Route53 allows several).
pub(crate) async fn zones_named(r53: &aws_sdk_route53::Client, name: &str) -> Vec<String> {
    let want = format!("{name}.");
    let mut ids = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = r53
            .list_hosted_zones()
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        for z in page.hosted_zones() {
            if z.name().eq_ignore_ascii_case(&want) {
                ids.push(z.id().trim_start_matches("/hostedzone/").to_string());
            }
        }
        match page.next_marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    ids
}

/// Every object in the state exists exactly once in the cloud, tagged for the stack, and
/// the cloud has nothing of this stack the state does not know (EC2 by tag, the rest by
/// name). Returns the counts of EC2 objects and of the others.
fn assert_state_matches_cloud(ws: &Workspace) -> (usize, usize) {
    let (state_outside, state_ec2, _) = state_rows(ws);
    let live = rt().block_on(tagged(&ws.stack_name));
    let dupes: Vec<_> = live.iter().filter(|(_, n)| **n != 1).collect();
    assert!(dupes.is_empty(), "duplicates in EC2: {dupes:?}");
    let cloud_ec2: BTreeSet<String> = live.keys().cloned().collect();
    assert_eq!(
        state_ec2, cloud_ec2,
        "EC2: state = what is tagged in the cloud"
    );

    let (found, untagged) = rt().block_on(cloud_outside(ws));
    let dupes: Vec<_> = found.iter().filter(|(_, n)| **n != 1).collect();
    assert!(dupes.is_empty(), "duplicates outside EC2: {dupes:?}");
    assert!(
        untagged.is_empty(),
        "not tagged for the stack: {untagged:?}"
    );
    let cloud: BTreeSet<(String, String)> = found.keys().cloned().collect();
    assert_eq!(
        state_outside, cloud,
        "IAM, EKS and Route53: state = what exists in the cloud"
    );
    (live.len(), cloud.len())
}

pub(crate) fn assert_plan_clean(ws: &Workspace) {
    let plan = direct(ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "a fault-free plan is clean:\n{}", plan.all());
}

/// Nothing of the stack is left anywhere: EC2 by tag, roles, cluster, zones by name.
fn assert_nothing_left(ws: &Workspace, zone_ids: &[String]) {
    let ec2 = rt().block_on(tagged(&ws.stack_name));
    assert!(ec2.is_empty(), "EC2 left after destroy: {ec2:?}");
    let left = rt().block_on(leftovers(&ws.stack_name, zone_ids));
    assert!(left.is_empty(), "left after destroy: {left:?}");
    let (found, _) = rt().block_on(cloud_outside(ws));
    assert!(found.is_empty(), "left after destroy: {found:?}");
    let (rows, _, n) = state_rows(ws);
    assert!(rows.is_empty() && n == 0, "the state is empty: {rows:?}");
}

fn zone_ids(ws: &Workspace) -> Vec<String> {
    let (rows, _, _) = state_rows(ws);
    rows.into_iter()
        .filter(|(t, _)| t == "aws_route53_zone")
        .map(|(_, id)| id)
        .collect()
}

/// Merge this test's figures into `faults_env.json`.
pub(crate) fn record(key: &str, figures: serde_json::Value) {
    let path = report::dir().join("faults_env.json");
    let mut all: serde_json::Map<String, serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    all.remove("recorded_at_unix");
    all.insert(key.to_string(), figures);
    report::record("faults_env", serde_json::Value::Object(all));
}

/// Whether a proxy operation makes something new (EC2/IAM query actions, EKS and
/// Route53 create POSTs).
fn is_create(op: &str) -> bool {
    let name = op.split(' ').next().unwrap_or("");
    name.contains(":Create")
        || name.contains(":Allocate")
        || name.contains(":Associate")
        || name.contains(":AttachRolePolicy")
        || op.starts_with("eks:POST /clusters")
        || op.starts_with("route53:POST /2013-04-01/hostedzone ")
        || op.starts_with("route53:POST /2013-04-01/healthcheck ")
}

/// Create calls that had their answer lost or their connection dropped.
fn creates_hit(s: &Stats) -> BTreeMap<String, usize> {
    s.injected_by_operation
        .iter()
        .filter(|(k, _)| {
            is_create(k) && (k.ends_with("lost_response") || k.ends_with("dropped_connection"))
        })
        .map(|(k, n)| (k.clone(), *n))
        .collect()
}

fn since(total: &Stats, before: &Stats) -> Stats {
    Stats {
        requests: total.requests - before.requests,
        injected: total
            .injected
            .iter()
            .map(|(k, v)| (k.clone(), v - before.injected.get(k).unwrap_or(&0)))
            .collect(),
        ..Stats::default()
    }
}

/// 20% of all requests fail (a seeded mix of every transient kind) while dev is applied
/// and destroyed: both exit 0, the state matches the cloud in every service, a fault-free
/// plan is clean, and nothing is left.
#[test]
fn dev_applies_and_destroys_at_a_20_percent_fault_rate() {
    const RATE: f64 = 0.2;
    let seed = seed();
    eprintln!("fault seed: {seed} (rerun with INFRA_FAULT_SEED={seed})");
    let ws = dev();
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
    assert!(after_apply.total_injected() > 0, "{after_apply:?}");
    let (ec2, outside) = assert_state_matches_cloud(&ws);
    assert_eq!((ec2, outside), (TAGGED_EC2, OUTSIDE_EC2));
    assert_plan_clean(&ws);
    let zones = zone_ids(&ws);

    let started = Instant::now();
    let destroy = through(&ws, &p, &["destroy", "--auto-approve"]);
    let destroy_secs = started.elapsed().as_secs_f64();
    let total = p.stats();
    assert_eq!(destroy.code, 0, "seed {seed}:\n{}", destroy.all());
    assert_nothing_left(&ws, &zones);

    record(
        "random_mix",
        json!({
            "seed": seed,
            "fault_rate": RATE,
            "apply": stats_json(&after_apply),
            "apply_seconds": apply_secs,
            "apply_exit": apply.code,
            "destroy": stats_json(&since(&total, &after_apply)),
            "destroy_seconds": destroy_secs,
            "destroy_exit": destroy.code,
            "ec2_tagged_after_apply": ec2,
            "iam_eks_route53_after_apply": outside,
            "create_calls_with_lost_answer_or_dropped_connection": creates_hit(&after_apply),
            "outcome": "apply and destroy exit 0; state = cloud (EC2, IAM, EKS, Route53); plan clean; nothing left",
        }),
    );
}

/// A rule losing the first `times` answers of one create operation.
fn lose(when: Match, times: usize) -> Rule {
    Rule {
        when,
        fault: Fault::LoseResponse,
        times: Some(times),
    }
}

/// The answer of every CreateRole, CreateCluster, CreateNodegroup and CreateHostedZone, and
/// of the first 4 AttachRolePolicy calls, is lost after the cloud acted (dev has no records
/// and no health checks): the same run adopts or completes each, exactly one of each
/// exists, and no create is sent twice. AttachRolePolicy is idempotent on AWS, so it alone
/// is resent (once per lost answer).
#[test]
fn dev_lost_create_answers_are_adopted_never_duplicated() {
    let action = |a: &str| Match {
        action: Some(a.into()),
        ..Match::default()
    };
    let rest = |path: &str, body: &str| Match {
        path_prefix: Some(path.into()),
        body_contains: Some(body.into()),
        ..Match::default()
    };
    let ws = dev();
    let cluster = ws.stack_name.clone();
    // (label, proxy operation, answers lost, calls expected)
    let expected: [(&str, String, usize, usize); 5] = [
        ("CreateRole", "iam:CreateRole".into(), 2, 2),
        ("AttachRolePolicy", "iam:AttachRolePolicy".into(), 4, 4 + 4),
        ("CreateCluster", "eks:POST /clusters".into(), 1, 1),
        (
            "CreateNodegroup",
            format!("eks:POST /clusters/{cluster}/node-groups"),
            1,
            1,
        ),
        (
            "CreateHostedZone",
            "route53:POST /2013-04-01/hostedzone".into(),
            2,
            2,
        ),
    ];
    let rules = vec![
        lose(action("CreateRole"), 2),
        lose(action("AttachRolePolicy"), 4),
        lose(rest("/clusters", "\"roleArn\""), 1),
        lose(rest("/clusters/", "\"nodegroupName\""), 1),
        lose(rest("/2013-04-01/hostedzone", "CallerReference"), 2),
    ];
    let lost: usize = expected.iter().map(|e| e.2).sum();
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules,
    });
    let started = Instant::now();
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    let apply_secs = started.elapsed().as_secs_f64();
    let stats = p.stats();
    assert_eq!(
        stats.injected.get("lost_response").copied(),
        Some(lost),
        "every rule fired: {stats:?}"
    );
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (ec2, outside) = assert_state_matches_cloud(&ws);
    assert_eq!((ec2, outside), (TAGGED_EC2, OUTSIDE_EC2));
    let sent: BTreeMap<&str, usize> = expected
        .iter()
        .map(|(label, op, _, _)| (*label, stats.by_operation.get(op).copied().unwrap_or(0)))
        .collect();
    let want: BTreeMap<&str, usize> = expected.iter().map(|(l, _, _, n)| (*l, *n)).collect();
    assert_eq!(sent, want, "create calls sent: {:?}", stats.by_operation);
    assert_plan_clean(&ws);
    let zones = zone_ids(&ws);
    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert_nothing_left(&ws, &zones);
    record(
        "lost_create_answers",
        json!({
            "lost_answers": lost,
            "lost_by_operation": expected.iter().map(|(l, _, n, _)| (*l, *n)).collect::<BTreeMap<_, _>>(),
            "skipped": "ChangeResourceRecordSets and CreateHealthCheck: dev has no records or health checks",
            "requests_seen": stats.requests,
            "create_calls_sent": sent,
            "apply_exit": apply.code,
            "apply_seconds": apply_secs,
            "ec2_tagged_after_apply": ec2,
            "iam_eks_route53_after_apply": outside,
            "duplicates": 0,
            "outcome": "each lost create adopted in the same run; only the idempotent AttachRolePolicy resent; plan clean; nothing left",
        }),
    );
}
