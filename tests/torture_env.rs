//! Crash torture of the dev environment: SIGKILL `infra` at seeded random moments while it
//! creates, updates (a node group's `max_size` and the provider's default tags) and
//! destroys a VPC with its subnets and NAT, IAM roles and their policy attachments, an EKS
//! cluster and node group (moto), a private zone and a public sub-zone (Route53). After
//! every kill a rerun completes, and independent clients check every family: each EC2
//! address exists once; the stack's IAM roles (by name prefix) and their attachments, its
//! EKS cluster and node groups (by name), and its hosted zones (by name *and* by the
//! stack's `infra:*` tags: Route53 makes a second zone of the same name if a
//! CreateHostedZone is resent) exist exactly once and are all known to the state; nothing
//! in the state is gone; the next plan is clean; after a destroy nothing remains.
//!
//! `INFRA_TORTURE_SEED` replays a run; `INFRA_TORTURE_ENV_KILLS` sets how many kills must
//! land while `infra` is still running (default 12).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::common::{changes, eks, leftovers, report, rt, run_with_deadline, sdk_config};
use crate::common::{tagged_objects, Run, Workspace};
use crate::torture::{kill_at, rerun, Moment};

const LIMIT: Duration = Duration::from_secs(180);
/// The EC2 families, checked by their `infra:*` tags.
const EC2: [&str; 7] = [
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_eip",
    "aws_nat_gateway",
    "aws_route_table",
    "aws_security_group",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Create,
    Update,
    Destroy,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Update => "update",
            Phase::Destroy => "destroy",
        }
    }
}

/// What one inspection found, per family (`ec2`, `iam_role`, `iam_attachment`,
/// `eks_cluster`, `eks_node_group`, `route53_zone`).
#[derive(Debug, Default)]
struct Found {
    duplicates: BTreeMap<&'static str, usize>,
    orphans: Vec<String>,
    missing: Vec<String>,
    /// live objects per family
    live: BTreeMap<&'static str, usize>,
    zone_ids: Vec<String>,
}

impl Found {
    fn dup(&mut self, family: &'static str, n: usize) {
        *self.duplicates.entry(family).or_default() += n;
    }

    fn duplicate_count(&self) -> usize {
        self.duplicates.values().sum()
    }

    /// Compare one family's live objects `(key, id)` with the state's ids of that family.
    fn compare(
        &mut self,
        family: &'static str,
        live: &[(String, String)],
        known: &BTreeSet<String>,
    ) {
        let mut per_key: BTreeMap<&str, usize> = BTreeMap::new();
        for (key, _) in live {
            *per_key.entry(key).or_default() += 1;
        }
        let dups = per_key.values().map(|n| n - 1).sum();
        self.dup(family, dups);
        let ids: BTreeSet<&str> = live.iter().map(|(_, id)| id.as_str()).collect();
        for (key, id) in live {
            if !known.contains(id) {
                self.orphans.push(format!("{family} {key} {id}"));
            }
        }
        for id in known {
            if !ids.contains(id.as_str()) {
                self.missing.push(format!("{family} {id}"));
            }
        }
        self.live.insert(family, ids.len());
    }
}

/// Compare the cloud, through independent clients, with the state.
fn inspect(ws: &Workspace, zone_names: &[String]) -> Found {
    rt().block_on(async {
        let stack = ws.stack_name.as_str();
        let store = ws.store().await;
        let rows = store.resources(stack).await.unwrap();
        store.close().await;
        let ids_of = |ty: &str| -> BTreeSet<String> {
            rows.iter()
                .filter(|r| r.mode == "managed" && r.type_name == ty)
                .map(|r| r.cloud_id.clone())
                .collect()
        };
        let mut f = Found::default();

        // EC2, by tags
        let ec2 = tagged_objects(stack, true).await;
        let ec2_known: BTreeSet<String> = EC2.iter().flat_map(|t| ids_of(t)).collect();
        f.compare("ec2", &ec2, &ec2_known);

        // IAM roles by name prefix, and the policies attached to them
        let iam = aws_sdk_iam::Client::new(&sdk_config());
        let mut roles = Vec::new();
        let mut marker = None;
        loop {
            let page = iam.list_roles().set_marker(marker).send().await.unwrap();
            for r in page.roles() {
                if r.role_name().starts_with(&format!("{stack}-")) {
                    roles.push((r.role_name().to_string(), r.role_name().to_string()));
                }
            }
            marker = page.marker().map(str::to_string);
            if !page.is_truncated() || marker.is_none() {
                break;
            }
        }
        f.compare("iam_role", &roles, &ids_of("aws_iam_role"));
        let mut attached = Vec::new();
        for (role, _) in &roles {
            let out = iam
                .list_attached_role_policies()
                .role_name(role)
                .send()
                .await
                .unwrap();
            for a in out.attached_policies() {
                let id = format!("{role}/{}", a.policy_arn().unwrap_or("?"));
                attached.push((id.clone(), id));
            }
        }
        f.compare(
            "iam_attachment",
            &attached,
            &ids_of("aws_iam_role_policy_attachment"),
        );

        // EKS clusters and node groups, by name
        let eks = eks().await;
        let clusters: Vec<(String, String)> = eks
            .list_clusters()
            .send()
            .await
            .unwrap()
            .clusters()
            .iter()
            .filter(|c| c.as_str() == stack || c.starts_with(&format!("{stack}-")))
            .map(|c| (c.clone(), c.clone()))
            .collect();
        f.compare("eks_cluster", &clusters, &ids_of("aws_eks_cluster"));
        let mut groups = Vec::new();
        for (c, _) in &clusters {
            let out = eks.list_nodegroups().cluster_name(c).send().await.unwrap();
            for g in out.nodegroups() {
                let id = format!("{c}:{g}");
                groups.push((id.clone(), id));
            }
        }
        f.compare("eks_node_group", &groups, &ids_of("aws_eks_node_group"));

        // Route53 zones, by name and by the stack's tags
        let r53 = aws_sdk_route53::Client::new(&sdk_config());
        let mut all = Vec::new();
        let mut marker = None;
        loop {
            let page = r53
                .list_hosted_zones()
                .set_marker(marker)
                .send()
                .await
                .unwrap();
            all.extend(page.hosted_zones().iter().cloned());
            marker = page.next_marker().map(str::to_string);
            if !page.is_truncated() || marker.is_none() {
                break;
            }
        }
        let short = |id: &str| id.rsplit('/').next().unwrap_or(id).to_string();
        let ids: Vec<String> = all.iter().map(|z| short(z.id())).collect();
        let mut tagged_ours: BTreeMap<String, String> = BTreeMap::new(); // id -> address
        for chunk in ids.chunks(10) {
            let out = r53
                .list_tags_for_resources()
                .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
                .set_resource_ids(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            for set in out.resource_tag_sets() {
                let tag = |k: &str| {
                    set.tags()
                        .iter()
                        .find(|t| t.key() == Some(k))
                        .and_then(|t| t.value())
                        .map(str::to_string)
                };
                if tag("infra:stack").as_deref() == Some(stack) {
                    let addr = tag("infra:address").unwrap_or_else(|| "?".into());
                    tagged_ours.insert(set.resource_id().unwrap_or("?").to_string(), addr);
                }
            }
        }
        let norm = |n: &str| n.trim_end_matches('.').to_ascii_lowercase();
        let by_name: Vec<(String, String)> = all
            .iter()
            .filter(|z| zone_names.contains(&norm(z.name())))
            .map(|z| (norm(z.name()), short(z.id())))
            .collect();
        let by_tag: Vec<(String, String)> = tagged_ours
            .iter()
            .map(|(id, addr)| (addr.clone(), id.clone()))
            .collect();
        let zones_known = ids_of("aws_route53_zone");
        // a zone found by name must carry the stack's tags (the create tags it)
        for (name, id) in &by_name {
            if zones_known.contains(id) && !tagged_ours.contains_key(id) {
                f.orphans.push(format!(
                    "route53_zone {name} {id} is not tagged for the stack"
                ));
            }
        }
        f.compare("route53_zone", &by_name, &zones_known);
        let missing_before = f.missing.len();
        f.compare("route53_zone_tags", &by_tag, &zones_known);
        // a zone of the state without the tags is reported above, as untagged
        f.missing.truncate(missing_before);
        f.zone_ids = by_name.iter().map(|(_, id)| id.clone()).collect();
        f
    })
}

struct Torture {
    ws: Workspace,
    rng: StdRng,
    /// the update phase toggles between the two revisions
    rev: bool,
    problems: Vec<String>,
}

impl Torture {
    fn args(&self, command: &str) -> Vec<String> {
        let mut a = vec![command.to_string()];
        if command != "plan" {
            a.push("--auto-approve".into());
        }
        a
    }

    fn run(&self, args: &[String]) -> Run {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_with_deadline(self.ws.cmd(&args), LIMIT)
    }

    /// Flip the stack between its two revisions: the node group's `max_size` and a
    /// default tag every taggable resource (EC2, IAM, EKS, Route53) carries.
    fn flip(&mut self) {
        let (a, b) = if self.rev {
            ("max_size       = 4", "max_size       = 3")
        } else {
            ("max_size       = 3", "max_size       = 4")
        };
        self.ws.edit("main.tf", a, b);
        let (a, b) = if self.rev {
            ("ManagedBy   = \"infra-torture\"", "ManagedBy   = \"infra\"")
        } else {
            ("ManagedBy   = \"infra\"", "ManagedBy   = \"infra-torture\"")
        };
        self.ws.edit("main.tf", a, b);
        self.rev = !self.rev;
    }

    fn moment(&mut self, lines: usize) -> Moment {
        if self.rng.gen_bool(0.15) {
            Moment::After(Duration::from_millis(self.rng.gen_range(5..400)))
        } else {
            Moment::Line {
                nth: self.rng.gen_range(1..=lines.max(1)),
                then: Duration::from_millis(self.rng.gen_range(0..150)),
            }
        }
    }
}

#[test]
fn torture_env_sigkill_never_duplicates_or_orphans_iam_eks_or_zones() {
    let seed: u64 = std::env::var("INFRA_TORTURE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    let target: usize = std::env::var("INFRA_TORTURE_ENV_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    eprintln!("torture_env: seed {seed} (INFRA_TORTURE_SEED={seed} replays it), {target} kills");
    let ws = Workspace::from_environment("dev", true);
    // the public sub-zone's name is global too: make it the test's own
    let stack = ws.stack_name.clone();
    let domain = format!("{stack}.example.com");
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{stack}\"\ndomain = \"{domain}\"\n"),
    );
    let zone_names = vec![format!("{stack}.internal"), format!("dev.{domain}")];
    let steps = changes(&ws.plan_json(&[])).len();
    let mut t = Torture {
        ws,
        rng: StdRng::seed_from_u64(seed),
        rev: false,
        problems: Vec::new(),
    };
    let started = Instant::now();
    let (mut landed, mut too_late, mut adopted) = (0, 0, 0);
    let mut by_phase: BTreeMap<&str, usize> = BTreeMap::new();
    let mut duplicates: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut orphans, mut missing, mut unclean) = (0, 0, 0);
    // reruns after the kills, and how many of them failed (the target is 0)
    let (mut reruns, mut failed_reruns) = (0usize, 0usize);
    let mut expected_live: Option<BTreeMap<&str, usize>> = None;
    let mut zone_ids: BTreeSet<String> = BTreeSet::new();
    let mut phase = Phase::Create;
    let mut attempts = 0;
    while landed < target && attempts < target * 3 && t.problems.is_empty() {
        attempts += 1;
        let (command, lines) = match phase {
            Phase::Create => ("apply", 2 * steps),
            Phase::Update => {
                t.flip();
                ("apply", steps)
            }
            Phase::Destroy => ("destroy", 2 * steps),
        };
        let args = t.args(command);
        let moment = t.moment(lines);
        let (killed, seen) = kill_at(&t.ws, &args, moment);
        let what = format!(
            "kill {attempts} ({}, {moment:?}, {seen} progress lines, seed {seed})",
            phase.name()
        );
        if killed {
            landed += 1;
            *by_phase.entry(phase.name()).or_default() += 1;
        } else {
            too_late += 1;
        }
        let (r, mut failures) = rerun(|| t.run(&args), &what);
        reruns += 1 + failures.len();
        failed_reruns += failures.len();
        t.problems.append(&mut failures);
        let Some(r) = r else {
            break;
        };
        adopted += r.stderr.matches("created by an interrupted run").count();
        let found = inspect(&t.ws, &zone_names);
        zone_ids.extend(found.zone_ids.iter().cloned());
        for (family, n) in &found.duplicates {
            *duplicates.entry(family).or_default() += n;
        }
        orphans += found.orphans.len();
        missing += found.missing.len();
        if found.duplicate_count() > 0 || !found.orphans.is_empty() || !found.missing.is_empty() {
            t.problems.push(format!(
                "{what}: duplicates {:?}, orphans {:?}, missing {:?}",
                found.duplicates, found.orphans, found.missing
            ));
        }
        if phase == Phase::Destroy {
            if found.live.values().any(|n| *n > 0) {
                t.problems
                    .push(format!("{what}: live after destroy: {:?}", found.live));
            }
            let list = t.run(&["state".into(), "list".into()]);
            if !list.stdout.trim().is_empty() {
                t.problems.push(format!(
                    "{what}: state not empty after destroy:\n{}",
                    list.all()
                ));
            }
            let ids: Vec<String> = zone_ids.iter().cloned().collect();
            let left = rt().block_on(leftovers(&stack, &ids));
            if !left.is_empty() {
                t.problems
                    .push(format!("{what}: left after destroy: {left:?}"));
            }
        } else {
            match &expected_live {
                None => expected_live = Some(found.live.clone()),
                Some(e) if *e != found.live => t.problems.push(format!(
                    "{what}: live objects {:?}, expected {e:?}",
                    found.live
                )),
                Some(_) => {}
            }
            let mut plan_args = t.args("plan");
            plan_args.push("--detailed-exitcode".into());
            let p = t.run(&plan_args);
            if p.code != 0 {
                unclean += 1;
                t.problems
                    .push(format!("{what}: the next plan is not clean:\n{}", p.all()));
            }
        }
        eprintln!(
            "torture_env: {what}: {}; live {:?}",
            if killed {
                "landed"
            } else {
                "infra had already exited"
            },
            found.live
        );
        phase = match phase {
            Phase::Create => Phase::Update,
            Phase::Update => Phase::Destroy,
            Phase::Destroy => Phase::Create,
        };
    }
    let seconds = started.elapsed().as_secs();
    report::record(
        "torture_env",
        json!({
            "kills": landed,
            "kills_after_exit": too_late,
            "kills_by_phase": by_phase,
            "adopted": adopted,
            "orphans": orphans,
            "duplicates": duplicates.values().sum::<usize>(),
            "duplicates_by_family": duplicates,
            "missing": missing,
            "unclean_plans": unclean,
            "reruns": reruns,
            "failed_reruns": failed_reruns,
            "live_per_family": expected_live,
            "seed": seed,
            "seconds": seconds,
        }),
    );
    // leave nothing behind, whatever happened
    let d = t.run(&t.args("destroy"));
    assert!(
        t.problems.is_empty(),
        "seed {seed}:\n{}",
        t.problems.join("\n\n")
    );
    assert_eq!(orphans, 0, "seed {seed}");
    assert_eq!(failed_reruns, 0, "seed {seed}: reruns after a kill failed");
    assert_eq!(missing, 0, "seed {seed}");
    assert!(
        duplicates.values().all(|n| *n == 0),
        "seed {seed}: {duplicates:?}"
    );
    assert!(
        landed >= target,
        "only {landed} of {target} kills landed (seed {seed})"
    );
    assert_eq!(d.code, 0, "final destroy:\n{}", d.all());
    let ids: Vec<String> = zone_ids.into_iter().collect();
    let left = rt().block_on(leftovers(&stack, &ids));
    assert!(left.is_empty(), "left after the final destroy: {left:?}");
}
