//! State commands, locks and outputs through the CLI.

use std::time::{Duration, Instant};

use crate::common::{changes, ec2, rt, small, tagged_no_nat, Workspace};

fn destroy(ws: &Workspace) {
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(rt().block_on(tagged_no_nat(&ws.stack_name)).is_empty());
}

/// A pid that is certainly dead: a child that already exited and was reaped.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Take the stack's lock as this test process, then rewrite who holds it.
fn take_lock(ws: &Workspace, set: Option<&str>) -> String {
    rt().block_on(async {
        let store = ws.store().await;
        let lock = store.lock(&ws.stack_name, "apply", None).await.unwrap();
        if let Some(set) = set {
            sqlx::query(&format!("UPDATE locks SET {set} WHERE stack = ?"))
                .bind(&ws.stack_name)
                .execute(store.pool())
                .await
                .unwrap();
        }
        store.close().await;
        lock.info.id
    })
}

fn current_lock(ws: &Workspace) -> Option<infra_state::LockInfo> {
    rt().block_on(async {
        let store = ws.store_if_ready().await?;
        let l = store.current_lock(&ws.stack_name).await.ok().flatten();
        store.close().await;
        l
    })
}

#[test]
fn cli_state_list_show_rm_and_history() {
    let ws = small();
    ws.apply();
    let list = ws.run(&["state", "list"]);
    assert_eq!(list.code, 0, "{}", list.all());
    let listed: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(
        listed,
        [
            "aws_eip.ip",
            "aws_security_group.database",
            "aws_subnet.a",
            "aws_vpc.main"
        ],
        "{}",
        list.all()
    );

    let show = ws.run(&["state", "show", "aws_vpc.main"]);
    assert_eq!(show.code, 0, "{}", show.all());
    assert!(show.stdout.contains("aws_vpc.main"), "{}", show.stdout);
    assert!(show.stdout.contains("cidr_block"), "{}", show.stdout);
    assert!(show.stdout.contains("10.60.0.0/16"), "{}", show.stdout);
    let json = ws.run(&["state", "show", "aws_vpc.main", "--json"]);
    assert_eq!(json.code, 0, "{}", json.all());
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["address"], "aws_vpc.main");
    assert_eq!(v["type"], "aws_vpc");
    assert!(v["id"].as_str().unwrap().starts_with("vpc-"), "{v}");
    assert_eq!(v["attributes"]["cidr_block"], "10.60.0.0/16");
    assert!(
        show.stdout.contains(v["id"].as_str().unwrap()),
        "{}",
        show.stdout
    );
    let sub = ws.run(&["state", "show", "aws_subnet.a", "--json"]);
    let sub: serde_json::Value = serde_json::from_str(&sub.stdout).unwrap();
    assert!(
        sub["dependencies"].to_string().contains("aws_vpc.main"),
        "{sub}"
    );

    let missing = ws.run(&["state", "show", "aws_vpc.mian"]);
    assert_eq!(missing.code, 1, "{}", missing.all());
    assert!(
        missing.stderr.contains("infra state list"),
        "{}",
        missing.all()
    );
    assert!(!missing.stderr.contains("panicked"));

    // state rm forgets it (the cloud keeps it) and the plan wants to create it again
    let eip = ws.run(&["state", "show", "aws_eip.ip", "--json"]);
    let eip: serde_json::Value = serde_json::from_str(&eip.stdout).unwrap();
    let alloc = eip["id"].as_str().unwrap().to_string();
    let rm = ws.run(&["state", "rm", "aws_eip.ip"]);
    assert_eq!(rm.code, 0, "{}", rm.all());
    assert!(!ws.run(&["state", "list"]).stdout.contains("aws_eip.ip"));
    assert_eq!(
        rt().block_on(tagged_no_nat(&ws.stack_name))
            .get("aws_eip.ip"),
        Some(&1),
        "state rm does not delete in the cloud"
    );
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![("aws_eip.ip".to_string(), vec!["create".to_string()])]
    );
    let again = ws.run(&["state", "rm", "aws_eip.ip"]);
    assert_eq!(again.code, 1, "{}", again.all());
    assert!(again.stderr.contains("infra state list"), "{}", again.all());
    // release the forgotten address ourselves
    rt().block_on(async {
        ec2()
            .await
            .release_address()
            .allocation_id(&alloc)
            .send()
            .await
            .unwrap();
    });

    destroy(&ws);
    let hist = ws.run(&["state", "history", "--json"]);
    assert_eq!(hist.code, 0, "{}", hist.all());
    let rows: Vec<serde_json::Value> = serde_json::from_str(&hist.stdout).unwrap();
    let ops: Vec<(String, String)> = rows
        .iter()
        .map(|h| {
            (
                h["operation"].as_str().unwrap().to_string(),
                h["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ops.iter()
            .filter(|(o, _)| o == "apply" || o == "destroy")
            .collect::<Vec<_>>()
            .len(),
        2,
        "one entry per apply and destroy: {ops:?}"
    );
    assert!(ops.contains(&("apply".into(), "ok".into())), "{ops:?}");
    for h in &rows {
        let t = h["started_at"].as_str().unwrap();
        assert!(
            t.len() >= 20 && t.as_bytes()[10] == b'T' && t.ends_with('Z'),
            "RFC 3339 timestamps in JSON: {t}"
        );
    }
    assert!(ops.contains(&("destroy".into(), "ok".into())), "{ops:?}");
    let text = ws.run(&["state", "history"]);
    assert_eq!(text.code, 0, "{}", text.all());
    assert!(text.stdout.contains("apply"), "{}", text.stdout);
    assert!(text.stdout.contains("destroy"), "{}", text.stdout);
    assert!(text.stdout.contains("ok"), "{}", text.stdout);
}

#[test]
fn cli_force_unlock_releases_a_lock_from_another_host() {
    let ws = small();
    let id = take_lock(&ws, Some("host = 'build-agent-7.example'"));
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("build-agent-7.example"), "{}", r.all());
    assert!(r.stderr.contains(&id), "{}", r.all());
    assert!(!r.stderr.contains("stale"), "{}", r.all());
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        r.code,
        1,
        "an error is 1 with --detailed-exitcode:\n{}",
        r.all()
    );

    let wrong = ws.run(&["force-unlock", "00000000-0000-0000-0000-000000000000"]);
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    assert!(wrong.stderr.contains("does not match"), "{}", wrong.all());
    assert!(current_lock(&ws).is_some(), "a wrong id leaves the lock");

    let ok = ws.run(&["force-unlock", &id]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(ok.stdout.contains(&id), "{}", ok.all());
    assert!(current_lock(&ws).is_none());
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());

    let none = ws.run(&["force-unlock", &id]);
    assert_eq!(none.code, 1, "{}", none.all());
    assert!(!none.stderr.contains("panicked"), "{}", none.all());
}

#[test]
fn cli_lock_timeout_waits_for_a_released_lock() {
    let ws = small();
    let id = take_lock(&ws, None);
    let started = Instant::now();
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(started.elapsed() < Duration::from_secs(5), "fails at once");
    assert!(r.stderr.contains("locked"), "{}", r.all());
    assert!(
        r.stderr.contains(&std::process::id().to_string()),
        "names the holder:\n{}",
        r.all()
    );

    let child = ws
        .cmd(&["plan", "--detailed-exitcode", "--lock-timeout", "5s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    let mut child = child;
    assert!(
        child.try_wait().unwrap().is_none(),
        "--lock-timeout waits for the lock"
    );
    rt().block_on(async {
        let store = ws.store().await;
        store.unlock(&ws.stack_name, &id).await.unwrap();
        store.close().await;
    });
    let r = crate::common::Run::from(child.wait_with_output().unwrap());
    assert_eq!(r.code, 2, "proceeds once the lock is free:\n{}", r.all());
    assert!(started.elapsed() < Duration::from_secs(5));

    // a lock that is never released: the wait ends with a clear error
    let _id = take_lock(&ws, None);
    let r = ws.run(&["plan", "--lock-timeout", "1s"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("timed out"), "{}", r.all());
}

#[test]
fn cli_stale_lock_of_a_dead_process_is_taken_over() {
    let ws = small();
    let pid = dead_pid();
    take_lock(&ws, Some(&format!("pid = {pid}, pid_start = NULL")));
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("warning"), "{}", r.all());
    assert!(r.stderr.contains("stale"), "{}", r.all());
    assert!(r.stderr.contains(&pid.to_string()), "{}", r.all());
    assert!(current_lock(&ws).is_none(), "released after the plan");
}

#[test]
fn cli_lock_of_a_killed_apply_is_taken_over() {
    let ws = small();
    let mut child = ws
        .cmd(&["apply", "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while current_lock(&ws).is_none_or(|l| l.pid != child.id()) {
        assert!(Instant::now() < deadline, "apply never took the lock");
        assert!(child.try_wait().unwrap().is_none(), "apply ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(current_lock(&ws).is_some(), "the killed run left its lock");

    let r = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stderr.contains("stale"), "{}", r.all());
    let live = rt().block_on(tagged_no_nat(&ws.stack_name));
    assert_eq!(live.len(), 4, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    destroy(&ws);
}

#[test]
fn cli_outputs_redact_sensitive_values_unless_named() {
    let ws = small();
    ws.apply();
    let vpc = ws.run(&["state", "show", "aws_vpc.main", "--json"]);
    let vpc: serde_json::Value = serde_json::from_str(&vpc.stdout).unwrap();
    let vpc_id = vpc["id"].as_str().unwrap();

    let all = ws.run(&["output"]);
    assert_eq!(all.code, 0, "{}", all.all());
    assert!(all.stdout.contains("vpc_id"), "{}", all.stdout);
    assert!(all.stdout.contains(vpc_id), "{}", all.stdout);
    assert!(all.stdout.contains("secret"), "{}", all.stdout);
    assert!(all.stdout.contains("(sensitive value)"), "{}", all.stdout);
    assert!(!all.stdout.contains("hunter2"), "{}", all.stdout);

    let one = ws.run(&["output", "secret"]);
    assert_eq!(one.code, 0, "{}", one.all());
    assert_eq!(one.stdout.trim(), "hunter2-10.60.0.0/16");
    let one = ws.run(&["output", "vpc_id"]);
    assert_eq!(one.stdout.trim(), vpc_id);

    let json = ws.run(&["output", "--json"]);
    assert_eq!(json.code, 0, "{}", json.all());
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["vpc_id"]["value"], vpc_id);
    assert_eq!(v["vpc_id"]["sensitive"], false);
    assert_eq!(v["secret"]["sensitive"], true);
    assert!(!json.stdout.contains("hunter2"), "{}", json.stdout);
    let named = ws.run(&["output", "secret", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&named.stdout).unwrap();
    assert_eq!(v, "hunter2-10.60.0.0/16");

    let bad = ws.run(&["output", "vpc_ib"]);
    assert_eq!(bad.code, 1, "{}", bad.all());
    assert!(
        bad.stderr.contains("vpc_id"),
        "suggests the name:\n{}",
        bad.all()
    );
    destroy(&ws);
}

#[test]
fn cli_state_export_import_round_trip_and_check() {
    let ws = crate::common::small();
    ws.apply();
    let file = ws.dir.path().join("export.json");
    let file_arg = file.to_str().unwrap();
    let before = ws.run(&["state", "list"]).stdout;
    let e = ws.run(&["state", "export", "--out", file_arg]);
    assert_eq!(e.code, 0, "{}", e.all());
    let r = ws.run(&["state", "rm", "aws_vpc.main"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_ne!(ws.run(&["state", "list"]).stdout, before);
    let i = ws.run(&["state", "import", file_arg]);
    assert_eq!(i.code, 0, "{}", i.all());
    assert_eq!(
        ws.run(&["state", "list"]).stdout,
        before,
        "import restores exactly what was exported"
    );
    let exported_again = ws.run(&["state", "export"]);
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_str(&exported_again.stdout).unwrap();
    assert!(
        a["resources"].as_array().is_some_and(|r| r.len() >= 4),
        "{a}"
    );
    assert_eq!(
        a["resources"], b["resources"],
        "nothing lost in the round trip"
    );
    let c = ws.run(&["state", "check"]);
    assert_eq!(c.code, 0, "{}", c.all());
    assert!(c.stdout.contains("passed"), "{}", c.all());
    // a file that is not an export is refused with a clear message
    std::fs::write(&file, "not json").unwrap();
    let bad = ws.run(&["state", "import", file_arg]);
    assert_eq!(bad.code, 1, "{}", bad.all());
    assert!(bad.stderr.contains("not a state export"), "{}", bad.all());
    assert_eq!(
        ws.run(&["plan", "--detailed-exitcode"]).code,
        0,
        "the state still matches the cloud"
    );
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}
