//! Several `infra` processes at once against one state database: applies of different
//! stacks run side by side (SQLite's busy answers are waited out, not reported), a
//! `--lock-timeout` run waits for a running apply and then proceeds, and the lock of a
//! killed apply is reported stale and can be force-unlocked.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{rt, small, tagged, tagged_no_nat, Run, Workspace};

/// Taggable objects of `common::SMALL_STACK`: vpc, subnet, security group, EIP.
const SMALL_TAGGED: usize = 4;
/// Taggable objects of stacks/example.
const EXAMPLE_TAGGED: usize = 19;

pub(crate) fn spawn(mut c: std::process::Command) -> Child {
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running infra")
}

/// `infra <args>` for `stack`, against `db`'s state file.
fn on_shared_state(db: &Workspace, stack: &Workspace, args: &[&str]) -> std::process::Command {
    let dir = stack.stack_dir();
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "--stack",
        dir.to_str().unwrap(),
        "--stack-name",
        &stack.stack_name,
    ]);
    db.cmd_bare(&all)
}

fn all_at_once(db: &Workspace, stacks: &[Workspace], args: &[&str]) -> Vec<Run> {
    let children: Vec<Child> = stacks
        .iter()
        .map(|s| spawn(on_shared_state(db, s, args)))
        .collect();
    children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().expect("waiting for infra")))
        .collect()
}

fn assert_no_busy(runs: &[Run], what: &str) {
    for r in runs {
        assert_eq!(r.code, 0, "{what}:\n{}", r.all());
        let err = r.stderr.to_lowercase();
        assert!(
            !err.contains("busy") && !err.contains("database is locked"),
            "{what}: SQLite contention reached the user:\n{}",
            r.all()
        );
    }
}

/// Four stacks in one state database, applied and then destroyed at the same time: every
/// run succeeds, each stack's rows and history are its own, and the database passes its
/// integrity check.
#[test]
fn four_stacks_in_one_state_database_apply_and_destroy_at_once() {
    let db = small();
    let stacks: Vec<Workspace> = (0..4).map(|_| small()).collect();
    let runs = all_at_once(&db, &stacks, &["apply", "--auto-approve"]);
    assert_no_busy(&runs, "concurrent applies of different stacks");
    for s in &stacks {
        let live = rt().block_on(tagged_no_nat(&s.stack_name));
        assert_eq!(live.len(), SMALL_TAGGED, "{}: {live:?}", s.stack_name);
        assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
        let list = Run::from(
            on_shared_state(&db, s, &["state", "list"])
                .output()
                .unwrap(),
        );
        assert_eq!(list.stdout.lines().count(), 4, "{}", list.all());
        let plan = Run::from(
            on_shared_state(&db, s, &["plan", "--detailed-exitcode"])
                .output()
                .unwrap(),
        );
        assert_eq!(plan.code, 0, "{}", plan.all());
    }
    let check = Run::from(db.cmd_bare(&["state", "check"]).output().unwrap());
    assert_eq!(check.code, 0, "{}", check.all());
    assert!(check.stdout.contains("passed"), "{}", check.all());
    // each stack's history has exactly its own apply
    rt().block_on(async {
        let store = db.store().await;
        for s in &stacks {
            let hist = store.history(&s.stack_name).await.unwrap();
            assert_eq!(hist.len(), 1, "{}: {hist:?}", s.stack_name);
        }
        store.close().await;
    });

    let runs = all_at_once(&db, &stacks, &["destroy", "--auto-approve"]);
    assert_no_busy(&runs, "concurrent destroys of different stacks");
    for s in &stacks {
        assert!(rt().block_on(tagged_no_nat(&s.stack_name)).is_empty());
        let list = Run::from(
            on_shared_state(&db, s, &["state", "list"])
                .output()
                .unwrap(),
        );
        assert_eq!(list.stdout.trim(), "", "{}", list.all());
    }
}

fn lock_holder(ws: &Workspace) -> Option<infra_state::LockInfo> {
    rt().block_on(async {
        let store = ws.store_if_ready().await?;
        let l = store.current_lock(&ws.stack_name).await.ok().flatten();
        store.close().await;
        l
    })
}

/// Wait until `child` (an `infra` run) holds the stack's lock.
fn wait_for_lock(ws: &Workspace, child: &mut Child) -> infra_state::LockInfo {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(l) = lock_holder(ws).filter(|l| l.pid == child.id()) {
            return l;
        }
        assert!(Instant::now() < deadline, "infra never took the lock");
        assert!(
            child.try_wait().unwrap().is_none(),
            "infra ended before it was seen holding the lock"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// While an apply runs, a second apply without `--lock-timeout` fails at once naming the
/// holder; one with `--lock-timeout` waits (it is still running while the first holds the
/// lock), then proceeds once the first has finished and finds nothing left to do.
#[test]
fn lock_timeout_waits_for_a_running_apply_then_proceeds() {
    let ws = Workspace::from_stack("example", true);
    // one step at a time, every answer 150 ms late: the first apply holds the lock for
    // many seconds however fast the emulator is
    let slow = crate::cli_signals::slow_emulator(Duration::from_millis(150));
    let mut cmd = ws.cmd(&["apply", "--auto-approve", "--parallelism", "1"]);
    cmd.env("AWS_ENDPOINT_URL", &slow);
    let mut first = spawn(cmd);
    let holder = wait_for_lock(&ws, &mut first);
    let mut waiter = spawn(ws.cmd(&["apply", "--auto-approve", "--lock-timeout", "90s"]));
    let started = Instant::now();
    let impatient = Run::from(
        ws.cmd(&["apply", "--auto-approve"])
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    );
    assert_eq!(impatient.code, 1, "{}", impatient.all());
    assert!(impatient.stderr.contains("locked"), "{}", impatient.all());
    assert!(
        impatient.stderr.contains(&holder.pid.to_string()),
        "names the holder:\n{}",
        impatient.all()
    );
    assert!(started.elapsed() < Duration::from_secs(5), "fails at once");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first apply must still run for this test to show anything"
    );
    assert!(
        waiter.try_wait().unwrap().is_none(),
        "--lock-timeout waits while the lock is held"
    );
    assert_eq!(lock_holder(&ws).map(|l| l.id), Some(holder.id.clone()));
    let first = Run::from(first.wait_with_output().unwrap());
    assert_eq!(first.code, 0, "{}", first.all());
    let waited = Run::from(waiter.wait_with_output().unwrap());
    assert_eq!(
        waited.code,
        0,
        "the waiting apply proceeds:\n{}",
        waited.all()
    );
    assert!(
        waited.stdout.contains("No changes."),
        "it ran after the first one finished:\n{}",
        waited.all()
    );
    assert!(!waited.stderr.contains("stale"), "{}", waited.all());
    let live = rt().block_on(tagged(&ws.stack_name));
    assert_eq!(live.len(), EXAMPLE_TAGGED, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    assert!(lock_holder(&ws).is_none(), "every run released the lock");
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());
}

/// The lock of an apply killed with SIGKILL stays behind; `force-unlock` with its id
/// releases it and says that its holder is gone; the next apply then runs without a stale
/// lock warning, adopts what the killed run made, and duplicates nothing.
#[test]
fn lock_of_a_killed_apply_is_reported_stale_and_force_unlocked() {
    let ws = small();
    let mut child = spawn(ws.cmd(&["apply", "--auto-approve"]));
    let held = wait_for_lock(&ws, &mut child);
    std::thread::sleep(Duration::from_millis(150));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let left = lock_holder(&ws).expect("the killed run left its lock");
    assert_eq!(left.id, held.id);
    assert!(left.is_stale(), "its holder is dead: {left:?}");

    let wrong = ws.run(&["force-unlock", "00000000-0000-0000-0000-000000000000"]);
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    assert!(lock_holder(&ws).is_some(), "a wrong id leaves the lock");
    let ok = ws.run(&["force-unlock", &held.id]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(ok.stdout.contains(&held.id), "{}", ok.all());
    assert!(
        ok.stdout.contains("stale") && ok.stdout.contains(&held.pid.to_string()),
        "force-unlock says the holder was gone:\n{}",
        ok.all()
    );
    assert!(lock_holder(&ws).is_none());

    let r = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        !r.stderr.contains("stale"),
        "already released:\n{}",
        r.all()
    );
    let live = rt().block_on(tagged_no_nat(&ws.stack_name));
    assert_eq!(live.len(), SMALL_TAGGED, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
    assert!(rt().block_on(tagged_no_nat(&ws.stack_name)).is_empty());
}
