//! Crash torture: SIGKILL `infra` at random moments while it creates, updates, replaces
//! (create_before_destroy) and destroys the example network; after every kill a rerun
//! completes, and an independent EC2 client checks that each address exists exactly once,
//! that nothing tagged for the stack is unknown to the state (no orphans), that nothing in
//! the state is gone from the cloud, that the next plan is clean, and after a destroy that
//! nothing tagged for the stack remains, EIPs included.
//!
//! `INFRA_TORTURE_SEED` replays a run (the seed is printed); `INFRA_TORTURE_KILLS` sets how
//! many kills must land while `infra` is still running (default 40).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::common::{report, rt, run_with_deadline, tagged_objects, Run, Workspace};

/// A security group replaced create-before-destroy whenever `sg_rev` changes: its name and
/// description (both force-new) carry the revision, so old and new never clash on the name.
const CBD_TF: &str = r#"
variable "sg_rev" {
  type    = number
  default = 1
}

resource "aws_security_group" "cbd" {
  name        = "${var.name}-cbd-${var.sg_rev}"
  description = "replaced create-before-destroy, revision ${var.sg_rev}"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  tags = {
    Name = "${var.name}-cbd"
  }

  lifecycle {
    create_before_destroy = true
  }
}
"#;

/// Taggable objects of the stack: the example's 19 plus the create_before_destroy group.
const TAGGED: usize = 20;
/// Steps of a full create or destroy (the example's 25 plus the group).
const STEPS: usize = 26;
const TAGGABLE: [&str; 7] = [
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_eip",
    "aws_nat_gateway",
    "aws_route_table",
    "aws_security_group",
];
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const LIMIT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Create,
    Update,
    Replace,
    Destroy,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Update => "update",
            Phase::Replace => "replace",
            Phase::Destroy => "destroy",
        }
    }

    fn next(self) -> Phase {
        match self {
            Phase::Create => Phase::Update,
            Phase::Update => Phase::Replace,
            Phase::Replace => Phase::Destroy,
            Phase::Destroy => Phase::Create,
        }
    }
}

/// When to kill: after a delay from the start, or a delay after the `nth` progress line
/// (`Creating...`, `Modifying...`, `Destroying...`, `... complete after`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Moment {
    After(Duration),
    Line { nth: usize, then: Duration },
}

fn is_progress(line: &str) -> bool {
    line.ends_with(": Creating...")
        || line.ends_with(": Modifying...")
        || line.ends_with(": Destroying...")
        || line.contains(" complete after ")
}

/// Run `infra` and SIGKILL it at `moment`. Returns whether the kill landed while it was
/// still running (it died of SIGKILL), and how many progress lines it had printed.
pub(crate) fn kill_at(ws: &Workspace, args: &[String], moment: Moment) -> (bool, usize) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = ws
        .cmd(&args)
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
            if is_progress(&line) && tx.send(()).is_err() {
                return;
            }
        }
    });
    let mut seen = 0;
    match moment {
        Moment::After(d) => std::thread::sleep(d),
        Moment::Line { nth, then } => {
            while seen < nth {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(()) => seen += 1,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        assert!(started.elapsed() < LIMIT, "infra ran for {LIMIT:?}");
                    }
                }
            }
            std::thread::sleep(then);
        }
    }
    let _ = child.kill(); // SIGKILL; a no-op on a process that already exited
    let status = child.wait().expect("waiting for infra");
    seen += rx.try_iter().count();
    (status.signal() == Some(9), seen)
}

/// What the checks after one recovery found.
#[derive(Debug, Default)]
struct Found {
    duplicates: usize,
    orphans: Vec<String>,
    missing: Vec<String>,
    live: usize,
}

/// Compare the cloud (an independent client, by the `infra:*` tags) with the state.
fn inspect(ws: &Workspace) -> Found {
    rt().block_on(async {
        let cloud = tagged_objects(&ws.stack_name, true).await;
        let store = ws.store().await;
        let rows = store.resources(&ws.stack_name).await.unwrap();
        store.close().await;
        let known: BTreeSet<(String, String)> = rows
            .iter()
            .filter(|r| r.mode == "managed")
            .map(|r| (r.address.clone(), r.cloud_id.clone()))
            .collect();
        let mut per_address: BTreeMap<&str, usize> = BTreeMap::new();
        for (addr, _) in &cloud {
            *per_address.entry(addr).or_default() += 1;
        }
        let live: BTreeSet<&(String, String)> = cloud.iter().collect();
        Found {
            duplicates: per_address.values().map(|n| n - 1).sum(),
            orphans: cloud
                .iter()
                .filter(|o| !known.contains(*o))
                .map(|(a, id)| format!("{a} {id}"))
                .collect(),
            missing: known
                .iter()
                .filter(|(a, _)| TAGGABLE.contains(&a.split('.').next().unwrap_or("")))
                .filter(|o| !live.contains(o))
                .map(|(a, id)| format!("{a} {id}"))
                .collect(),
            live: per_address.len(),
        }
    })
}

struct Torture {
    ws: Workspace,
    rng: StdRng,
    environment: usize,
    sg_rev: u32,
    problems: Vec<String>,
}

impl Torture {
    fn args(&self, command: &str) -> Vec<String> {
        let mut a = vec![command.to_string()];
        if command != "plan" {
            a.push("--auto-approve".into());
        }
        a.extend([
            "--var".into(),
            format!("environment={}", ENVIRONMENTS[self.environment]),
            "--var".into(),
            format!("sg_rev={}", self.sg_rev),
        ]);
        a
    }

    fn run(&self, args: &[String]) -> Run {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_with_deadline(self.ws.cmd(&args), LIMIT)
    }

    /// A kill moment for a run of about `lines` progress lines: mostly just after a
    /// progress line (so the kill lands between or inside API calls), sometimes early
    /// (while it loads, locks, reconciles or refreshes).
    fn moment(&mut self, lines: usize) -> Moment {
        if self.rng.gen_bool(0.15) {
            Moment::After(Duration::from_millis(self.rng.gen_range(5..250)))
        } else {
            // a short run (the replace) ends soon after its last line: stay close to it
            let then = if lines <= 4 { 40 } else { 150 };
            Moment::Line {
                nth: self.rng.gen_range(1..=lines),
                then: Duration::from_millis(self.rng.gen_range(0..then)),
            }
        }
    }
}

#[test]
fn torture_sigkill_at_random_moments_never_duplicates_or_orphans() {
    let seed: u64 = std::env::var("INFRA_TORTURE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    let target: usize = std::env::var("INFRA_TORTURE_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    eprintln!("torture: seed {seed} (INFRA_TORTURE_SEED={seed} replays it), {target} kills");
    let files = [
        ("main.tf", include_str!("../stacks/example/main.tf")),
        (
            "variables.tf",
            include_str!("../stacks/example/variables.tf"),
        ),
        ("outputs.tf", include_str!("../stacks/example/outputs.tf")),
        ("cbd.tf", CBD_TF),
    ];
    let mut t = Torture {
        ws: Workspace::from_files(&files, true),
        rng: StdRng::seed_from_u64(seed),
        environment: 0,
        sg_rev: 1,
        problems: Vec::new(),
    };
    let started = Instant::now();
    let (mut landed, mut too_late, mut early, mut adopted, mut stale) = (0, 0, 0, 0, 0);
    let mut by_phase: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut duplicates, mut orphans, mut missing, mut unclean) = (0, 0, 0, 0);
    // reruns after the kills, and how many of them failed (the target is 0)
    let (mut reruns, mut failed_reruns) = (0usize, 0usize);
    let mut phase = Phase::Create;
    let mut attempts = 0;
    while landed < target && attempts < target * 3 && t.problems.is_empty() {
        attempts += 1;
        // what this phase changes, and about how many progress lines its run prints
        let (command, lines) = match phase {
            Phase::Create => ("apply", 2 * STEPS),
            Phase::Update => {
                t.environment = (t.environment + 1) % ENVIRONMENTS.len();
                ("apply", 2 * TAGGED)
            }
            Phase::Replace => {
                t.sg_rev += 1;
                ("apply", 4)
            }
            Phase::Destroy => ("destroy", 2 * STEPS),
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
            if seen == 0 {
                early += 1;
            }
        } else {
            too_late += 1;
        }
        // the rerun completes what the killed run started
        let (r, mut failures) = rerun(|| t.run(&args), &what);
        reruns += 1 + failures.len();
        failed_reruns += failures.len();
        t.problems.append(&mut failures);
        let Some(r) = r else {
            break;
        };
        adopted += r.stderr.matches("created by an interrupted run").count();
        stale += usize::from(r.stderr.contains("stale"));
        let found = inspect(&t.ws);
        duplicates += found.duplicates;
        orphans += found.orphans.len();
        missing += found.missing.len();
        let expected = if phase == Phase::Destroy { 0 } else { TAGGED };
        if found.duplicates > 0 || !found.orphans.is_empty() || !found.missing.is_empty() {
            t.problems.push(format!(
                "{what}: {} duplicates, orphans {:?}, missing {:?}",
                found.duplicates, found.orphans, found.missing
            ));
        }
        if found.live != expected {
            t.problems.push(format!(
                "{what}: {} addresses live in the cloud, expected {expected}",
                found.live
            ));
        }
        if phase == Phase::Destroy {
            let list = t.run(&["state".into(), "list".into()]);
            if !list.stdout.trim().is_empty() {
                t.problems.push(format!(
                    "{what}: state not empty after destroy:\n{}",
                    list.all()
                ));
            }
        } else {
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
            "torture: {what}: {}; {} live",
            if killed {
                "landed"
            } else {
                "infra had already exited"
            },
            found.live
        );
        phase = phase.next();
    }
    let seconds = started.elapsed().as_secs();
    report::record(
        "torture",
        json!({
            "kills": landed,
            "kills_after_exit": too_late,
            "kills_before_first_step": early,
            "kills_by_phase": by_phase,
            "adopted": adopted,
            "stale_locks_taken_over": stale,
            "orphans": orphans,
            "duplicates": duplicates,
            "missing": missing,
            "unclean_plans": unclean,
            "reruns": reruns,
            "failed_reruns": failed_reruns,
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
    assert_eq!(duplicates, 0, "seed {seed}");
    assert_eq!(missing, 0, "seed {seed}");
    assert!(
        landed >= target,
        "only {landed} of {target} kills landed (seed {seed})"
    );
    assert_eq!(d.code, 0, "final destroy:\n{}", d.all());
    assert!(
        inspect(&t.ws).live == 0,
        "nothing left after the final destroy"
    );
}

/// Rerun a killed command to completion, with the failures it met: one more try tells a
/// passing hiccup from a stuck state (None: give up on this torture).
pub(crate) fn rerun(run: impl Fn() -> Run, what: &str) -> (Option<Run>, Vec<String>) {
    let mut failures = Vec::new();
    for attempt in ["the rerun failed", "a second rerun failed too"] {
        let r = run();
        if r.code == 0 {
            return (Some(r), failures);
        }
        failures.push(format!("{what}: {attempt}:\n{}", r.all()));
    }
    (None, failures)
}
