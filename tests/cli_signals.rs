//! Ctrl-C during apply: start nothing new, finish what is in flight, persist, release
//! the lock, exit 130; a rerun completes without duplicates.

use std::time::{Duration, Instant};

use crate::common::{rt, tagged, Run, Workspace};

/// Taggable resources in stacks/example.
const TAGGED: usize = 19;

fn state_count(ws: &Workspace) -> usize {
    rt().block_on(async {
        let Some(store) = ws.store_if_ready().await else {
            return 0;
        };
        let n = store
            .resources(&ws.stack_name)
            .await
            .map(|r| r.iter().filter(|r| r.mode != "data").count())
            .unwrap_or(0);
        store.close().await;
        n
    })
}

#[test]
fn cli_sigint_stops_apply_gracefully_and_a_rerun_completes() {
    let ws = Workspace::from_stack("example", true);
    let child = ws
        .cmd(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // interrupt once the first resource is recorded
    let deadline = Instant::now() + Duration::from_secs(20);
    while state_count(&ws) == 0 {
        assert!(Instant::now() < deadline, "apply recorded nothing");
        std::thread::sleep(Duration::from_millis(25));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let r = Run::from(child.wait_with_output().unwrap());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "stopped promptly"
    );
    assert_eq!(r.code, 130, "{}", r.all());
    assert!(r.stderr.contains("Interrupt"), "{}", r.all());
    assert!(!r.stdout.contains("Apply complete"), "{}", r.all());

    // the lock is released: a plan works at once
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        !plan.stderr.contains("stale"),
        "released, not left stale:\n{}",
        plan.all()
    );

    // the state holds what completed, and the cloud has exactly that
    let recorded = state_count(&ws);
    assert!(
        (1..25).contains(&recorded),
        "part of the stack recorded: {recorded}"
    );
    let live = rt().block_on(tagged(&ws.stack_name));
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    let hist = ws.run(&["state", "history", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&hist.stdout).unwrap();
    assert!(
        rows.iter().any(|h| h["status"] == "interrupted"),
        "history records the interrupted run: {rows:?}"
    );

    let again = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let live = rt().block_on(tagged(&ws.stack_name));
    assert_eq!(live.len(), TAGGED, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());
}

/// A Ctrl-C while a resource was still becoming ready leaves its row as `creating`; the
/// next apply resumes the wait and records it ready.
#[test]
fn cli_apply_resumes_waiting_for_a_resource_left_creating() {
    let ws = crate::common::small();
    ws.apply();
    let rt = crate::common::rt();
    rt.block_on(async {
        let store = infra_state::Store::open(&ws.state_path()).await.unwrap();
        sqlx::query("UPDATE resources SET status = 'creating' WHERE address = 'aws_vpc.main'")
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    });
    let r = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("aws_vpc.main: resuming the wait"),
        "{}",
        r.all()
    );
    let status = rt.block_on(async {
        let store = infra_state::Store::open(&ws.state_path()).await.unwrap();
        let rec = store
            .resource(&ws.stack_name, "aws_vpc.main")
            .await
            .unwrap()
            .unwrap();
        store.close().await;
        rec.status
    });
    assert_eq!(status, infra_state::ResourceStatus::Ready);
    // plan alone never waits
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}
