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

fn signal(pid: u32, sig: &str) {
    let sent = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {sig} {pid}");
}

/// A TCP proxy in front of the emulator that holds every answer back for `delay`, so that
/// each API call is still in flight for that long: requests reach the emulator at once (a
/// create lands), only the answer is late. Returns its endpoint URL.
pub(crate) fn slow_emulator(delay: Duration) -> String {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let upstream = crate::common::emulator_env()["AWS_ENDPOINT_URL"]
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let Ok(mut server) = TcpStream::connect(&upstream) else {
                    return;
                };
                let (Ok(mut to_server), Ok(mut from_client)) =
                    (server.try_clone(), client.try_clone())
                else {
                    return;
                };
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_client, &mut to_server);
                });
                let mut buf = [0u8; 16384];
                loop {
                    match server.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            std::thread::sleep(delay);
                            if client.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = client.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    url
}

/// Start an apply of the example stack and wait until it has recorded `rows` resources
/// (so it is inside the apply, with operations in flight).
fn apply_until_recorded(
    ws: &Workspace,
    rows: usize,
    endpoint: Option<&str>,
) -> std::process::Child {
    let mut cmd = ws.cmd(&["apply", "--auto-approve"]);
    if let Some(url) = endpoint {
        cmd.env("AWS_ENDPOINT_URL", url);
    }
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while state_count(ws) < rows {
        assert!(Instant::now() < deadline, "apply recorded nothing");
        assert!(child.try_wait().unwrap().is_none(), "apply ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn current_lock(ws: &Workspace) -> Option<infra_state::LockInfo> {
    rt().block_on(async {
        let store = ws.store_if_ready().await?;
        let l = store.current_lock(&ws.stack_name).await.ok().flatten();
        store.close().await;
        l
    })
}

/// Every object tagged for the stack is in the state (same address and id), once.
fn assert_cloud_matches_state(ws: &Workspace, what: &str) {
    rt().block_on(async {
        let cloud = crate::common::tagged_objects(&ws.stack_name, true).await;
        let store = ws.store().await;
        let rows = store.resources(&ws.stack_name).await.unwrap();
        let intents = store.intents(&ws.stack_name).await.unwrap();
        store.close().await;
        let known: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.address.clone(), r.cloud_id.clone()))
            .collect();
        let pending: Vec<&str> = intents.iter().map(|i| i.address.as_str()).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (addr, id) in &cloud {
            assert!(seen.insert(addr), "{what}: {addr} exists twice: {cloud:?}");
            // an object the state does not know must at least have an intent to adopt it
            assert!(
                known.contains(&(addr.clone(), id.clone())) || pending.contains(&addr.as_str()),
                "{what}: {addr} {id} is in the cloud but neither in the state nor in an intent"
            );
        }
    });
}

/// A second Ctrl-C stops at once (the first only stopped new work): exit 130 within a
/// second or two, no completion; the intents it leaves let the next apply adopt what was
/// made, so nothing is duplicated and the plan is clean afterwards.
#[test]
fn cli_second_sigint_stops_at_once_and_the_rerun_adopts() {
    let ws = Workspace::from_stack("example", true);
    // every answer comes 1.5 s late: operations are in flight when the signals come
    let slow = slow_emulator(Duration::from_millis(1500));
    let child = apply_until_recorded(&ws, 1, Some(&slow));
    let pid = child.id();
    signal(pid, "-INT");
    // far enough apart not to be coalesced into one signal
    std::thread::sleep(Duration::from_millis(200));
    signal(pid, "-INT");
    let sent = Instant::now();
    let r = Run::from(child.wait_with_output().unwrap());
    let took = sent.elapsed();
    assert_eq!(r.code, 130, "{}", r.all());
    assert!(
        r.stderr.contains("Second interrupt"),
        "the second signal was seen as such:\n{}",
        r.all()
    );
    assert!(
        took < Duration::from_secs(3),
        "stopped at once, not after {took:?}"
    );
    assert!(!r.stdout.contains("Apply complete"), "{}", r.all());
    assert!(
        !r.stderr.contains("operations completed and recorded"),
        "it did not wait for the operations in flight:\n{}",
        r.all()
    );
    assert_cloud_matches_state(&ws, "after the second interrupt");
    let intents = rt().block_on(async {
        let store = ws.store().await;
        let n = store.intents(&ws.stack_name).await.unwrap().len();
        store.close().await;
        n
    });
    assert!(intents > 0, "creates were in flight, so intents are left");

    // the lock was not released (the process exited at once): the next run takes it over
    let again = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stderr.contains("stale"), "{}", again.all());
    assert!(
        again.stderr.contains("created by an interrupted run"),
        "the rerun adopts what the in-flight creates made:\n{}",
        again.all()
    );
    let live = rt().block_on(tagged(&ws.stack_name));
    assert_eq!(live.len(), TAGGED, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    assert_cloud_matches_state(&ws, "after the rerun");
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());
}

/// SIGTERM during apply is a graceful stop: what completed is in the state (and nothing
/// in the cloud is unknown to it), the lock is released, the exit code is non-zero; a rerun
/// completes without duplicates.
#[test]
fn cli_sigterm_stops_apply_gracefully() {
    let ws = Workspace::from_stack("example", true);
    let child = apply_until_recorded(&ws, 3, None);
    signal(child.id(), "-TERM");
    let started = Instant::now();
    let r = Run::from(child.wait_with_output().unwrap());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "stopped promptly"
    );
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("Apply complete"), "{}", r.all());
    assert!(r.stderr.contains("Interrupt"), "{}", r.all());
    assert!(current_lock(&ws).is_none(), "the lock is released");
    let recorded = state_count(&ws);
    assert!(
        (3..25).contains(&recorded),
        "part of the stack recorded: {recorded}"
    );
    assert_cloud_matches_state(&ws, "after SIGTERM");
    let hist = ws.run(&["state", "history", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&hist.stdout).unwrap();
    assert!(
        rows.iter().any(|h| h["status"] == "interrupted"),
        "history records the interrupted run: {rows:?}"
    );

    let again = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(!again.stderr.contains("stale"), "{}", again.all());
    let live = rt().block_on(tagged(&ws.stack_name));
    assert_eq!(live.len(), TAGGED, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());
}

/// SIGINT while apply is still refreshing (every answer held back 2 s): nothing has changed
/// yet, so it stops at once, releases the lock and exits 130; nothing was created.
#[test]
fn cli_sigint_during_refresh_stops_at_once_and_releases_the_lock() {
    let ws = Workspace::from_stack("example", true);
    let slow = slow_emulator(Duration::from_secs(2));
    let mut cmd = ws.cmd(&["apply", "--auto-approve"]);
    cmd.env("AWS_ENDPOINT_URL", &slow);
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while current_lock(&ws).is_none() {
        assert!(Instant::now() < deadline, "apply never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
    // the lock is held: apply is refreshing, its first answer still 2 s away
    std::thread::sleep(Duration::from_millis(300));
    signal(child.id(), "-INT");
    let sent = Instant::now();
    let r = Run::from(child.wait_with_output().unwrap());
    assert_eq!(r.code, 130, "{}", r.all());
    assert!(
        sent.elapsed() < Duration::from_millis(1500),
        "stopped at once, not after {:?}",
        sent.elapsed()
    );
    assert!(
        r.stderr.contains("before any change was made"),
        "{}",
        r.all()
    );
    assert!(current_lock(&ws).is_none(), "the lock was released");
    assert_eq!(state_count(&ws), 0);
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());

    let again = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(!again.stderr.contains("stale"), "{}", again.all());
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
}
