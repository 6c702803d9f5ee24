//! The PostgreSQL state backend end to end: the binary against the emulator with
//! `--state postgres://...` on the real server `scripts/pg-up` starts (a fresh database per
//! test). Apply/destroy, 8 processes racing for one stack's lock, 4 stacks at once, a
//! killed holder, `state migrate` both ways, and the password never printed.

use std::path::PathBuf;
use std::process::Child;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::{rt, small, tagged_no_nat, Run, Workspace};
use crate::concurrency::spawn;

/// Taggable objects of `common::SMALL_STACK`: vpc, subnet, security group, EIP.
const SMALL_TAGGED: usize = 4;

/// The test server's URL: `INFRA_TEST_POSTGRES_URL`, or what `scripts/pg-up` prints.
fn server_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Some(url) = std::env::var("INFRA_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            return url;
        }
        let out = std::process::Command::new(crate::common::root().join("scripts/pg-up"))
            .output()
            .expect("running scripts/pg-up");
        assert!(
            out.status.success(),
            "scripts/pg-up failed (install the Debian package `postgresql`):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
    .clone()
}

fn password() -> String {
    url::Url::parse(&server_url())
        .unwrap()
        .password()
        .expect("the test server's URL has a password")
        .to_string()
}

/// A new, empty database on the test server; its URL (with the password).
fn fresh_database() -> String {
    use sqlx::{Connection, Executor};
    let name = format!("infra_e2e_{}", uuid_like());
    rt().block_on(async {
        let mut admin = sqlx::PgConnection::connect(&server_url()).await.unwrap();
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap();
        admin.close().await.ok();
    });
    let mut url = url::Url::parse(&server_url()).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn uuid_like() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

/// `ws` with its state in the PostgreSQL database at `url`.
fn on_postgres(mut ws: Workspace, url: &str) -> Workspace {
    ws.shared_state = Some(PathBuf::from(url));
    ws
}

async fn store(url: &str) -> infra_state::Store {
    infra_state::Store::open_location(&infra_state::StateLocation::parse(url).unwrap())
        .await
        .unwrap()
}

/// Nothing any run printed holds the database password.
fn assert_no_password(runs: &[&Run]) {
    let pw = password();
    for r in runs {
        assert!(
            !r.all().contains(&pw),
            "the password was printed:\n{}",
            r.all()
        );
    }
}

#[test]
fn apply_output_plan_and_destroy_against_a_postgres_state() {
    let rt = rt();
    let url = fresh_database();
    let ws = on_postgres(small(), &url);
    let apply = ws.apply();
    let live = rt.block_on(tagged_no_nat(&ws.stack_name));
    assert_eq!(live.len(), SMALL_TAGGED, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");

    let list = ws.run(&["state", "list"]);
    assert_eq!(list.code, 0, "{}", list.all());
    assert_eq!(list.stdout.lines().count(), 4, "{}", list.all());
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "no changes after apply:\n{}", plan.all());
    let output = ws.run(&["output", "vpc_id"]);
    assert_eq!(output.code, 0, "{}", output.all());
    assert!(output.stdout.contains("vpc-"), "{}", output.all());
    let history = ws.run(&["state", "history"]);
    assert_eq!(history.stdout.lines().count(), 1, "{}", history.all());
    let check = ws.run(&["state", "check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    // the rows are in PostgreSQL, read by an independent client
    let rows: i64 = rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT count(*) FROM resources WHERE stack = $1")
            .bind(&ws.stack_name)
            .fetch_one(&mut c)
            .await
            .unwrap()
    });
    assert_eq!(rows, 4);

    let mut debug = ws.cmd(&["plan"]);
    debug.env("INFRA_LOG", "debug");
    let debug = Run::from(debug.output().unwrap());
    assert_eq!(debug.code, 0, "{}", debug.all());

    let destroy = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt.block_on(tagged_no_nat(&ws.stack_name)).is_empty());
    let after = ws.run(&["state", "list"]);
    assert_eq!(after.stdout.trim(), "", "{}", after.all());
    assert_no_password(&[
        &apply, &list, &plan, &output, &history, &check, &debug, &destroy,
    ]);
}

/// Eight applies of one stack from separate processes at once: exactly one wins; each of
/// the seven others fails at once naming the winner (its pid) as the lock holder.
#[test]
fn eight_applies_of_one_stack_exactly_one_wins_and_the_others_name_the_holder() {
    let rt = rt();
    let url = fresh_database();
    let ws = on_postgres(small(), &url);
    // every answer 150 ms late: the winner holds the lock for seconds, far longer than it
    // takes the eight processes to start
    let slow = crate::cli_signals::slow_emulator(Duration::from_millis(150));
    let children: Vec<Child> = (0..8)
        .map(|_| {
            let mut c = ws.cmd(&["apply", "--auto-approve", "--parallelism", "1"]);
            c.env("AWS_ENDPOINT_URL", &slow);
            spawn(c)
        })
        .collect();
    let runs: Vec<(u32, Run)> = children
        .into_iter()
        .map(|c| (c.id(), Run::from(c.wait_with_output().unwrap())))
        .collect();
    let winners: Vec<&(u32, Run)> = runs.iter().filter(|(_, r)| r.code == 0).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one apply wins:\n{}",
        runs.iter()
            .map(|(_, r)| r.all())
            .collect::<Vec<_>>()
            .join("\n----\n")
    );
    let winner = winners[0].0;
    for (pid, r) in &runs {
        if *pid == winner {
            continue;
        }
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains("is locked by"), "{}", r.all());
        assert!(
            r.stderr.contains(&format!("pid {winner}, operation apply")),
            "names the winner (pid {winner}) as the holder:\n{}",
            r.all()
        );
        assert!(r.stderr.contains("infra force-unlock"), "{}", r.all());
    }
    let live = rt.block_on(tagged_no_nat(&ws.stack_name));
    assert_eq!(live.len(), SMALL_TAGGED, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    let s = rt.block_on(store(&url));
    assert!(rt
        .block_on(s.current_lock(&ws.stack_name))
        .unwrap()
        .is_none());
    assert_eq!(rt.block_on(s.history(&ws.stack_name)).unwrap().len(), 1);
    rt.block_on(s.close());
    let runs: Vec<&Run> = runs.iter().map(|(_, r)| r).collect();
    assert_no_password(&runs);
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}

/// Four different stacks applied at once against one PostgreSQL state: all succeed, and
/// their runs overlap in time (none waited for another to finish).
#[test]
fn four_stacks_apply_at_once_without_waiting_on_each_other() {
    let rt = rt();
    let url = fresh_database();
    let stacks: Vec<Workspace> = (0..4).map(|_| on_postgres(small(), &url)).collect();
    let slow = crate::cli_signals::slow_emulator(Duration::from_millis(100));
    let started = Instant::now();
    let children: Vec<Child> = stacks
        .iter()
        .map(|ws| {
            let mut c = ws.cmd(&["apply", "--auto-approve", "--parallelism", "1"]);
            c.env("AWS_ENDPOINT_URL", &slow);
            spawn(c)
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    let wall = started.elapsed();
    for r in &runs {
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(!r.stderr.contains("locked"), "{}", r.all());
    }
    // each run's own interval, as its history recorded it: they all overlap
    let s = rt.block_on(store(&url));
    let mut intervals = Vec::new();
    for ws in &stacks {
        let h = rt.block_on(s.history(&ws.stack_name)).unwrap();
        assert_eq!(h.len(), 1);
        intervals.push((h[0].started_at, h[0].finished_at));
        let live = rt.block_on(tagged_no_nat(&ws.stack_name));
        assert_eq!(live.len(), SMALL_TAGGED, "{}: {live:?}", ws.stack_name);
    }
    rt.block_on(s.close());
    let latest_start = intervals.iter().map(|i| i.0).max().unwrap();
    let earliest_end = intervals.iter().map(|i| i.1).min().unwrap();
    assert!(
        latest_start < earliest_end,
        "the four applies ran side by side (wall {wall:?}): {intervals:?}"
    );
    for ws in &stacks {
        assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
    }
}

/// A holder killed with SIGKILL leaves its lock row, but its lease ends with its process:
/// the next apply takes the lock over with a warning, without `force-unlock`.
#[test]
fn the_lock_of_a_killed_apply_is_taken_over_by_the_next_run() {
    let rt = rt();
    let url = fresh_database();
    let ws = on_postgres(small(), &url);
    let slow = crate::cli_signals::slow_emulator(Duration::from_millis(150));
    let mut c = ws.cmd(&["apply", "--auto-approve", "--parallelism", "1"]);
    c.env("AWS_ENDPOINT_URL", &slow);
    let mut child = spawn(c);
    let s = rt.block_on(store(&url));
    let deadline = Instant::now() + Duration::from_secs(60);
    let holder = loop {
        if let Some(l) = rt.block_on(s.current_lock(&ws.stack_name)).unwrap() {
            break l;
        }
        assert!(Instant::now() < deadline, "the apply never took the lock");
        assert!(child.try_wait().unwrap().is_none(), "the apply ended early");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(holder.pid, child.id());
    assert!(!rt.block_on(s.lock_holder_gone(&holder)).unwrap());
    child.kill().unwrap();
    child.wait().unwrap();
    rt.block_on(s.close());

    let rerun = ws.run(&["apply", "--auto-approve", "--lock-timeout", "10s"]);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert!(
        rerun.stderr.contains("took over a stale lock"),
        "{}",
        rerun.all()
    );
    let live = rt.block_on(tagged_no_nat(&ws.stack_name));
    assert_eq!(live.len(), SMALL_TAGGED, "{live:?}");
    assert!(live.values().all(|n| *n == 1), "no duplicates: {live:?}");
    assert_no_password(&[&rerun]);
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}

/// `state migrate` copies a stack from a SQLite file to PostgreSQL and back, losing
/// nothing: the plan sees no changes on either side, and the exports match.
#[test]
fn state_migrate_moves_a_stack_to_postgres_and_back() {
    let rt = rt();
    let url = fresh_database();
    let file_ws = small();
    file_ws.apply();
    let file = file_ws.state_path();
    let migrate = |from: &str, to: &str, extra: &[&str]| {
        let mut args = vec!["state", "migrate", "--from", from, "--to", to];
        args.extend_from_slice(extra);
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_infra"));
        c.args(&args)
            .arg("--stack-name")
            .arg(&file_ws.stack_name)
            .env_remove("INFRA_STATE")
            .env("NO_COLOR", "1")
            .envs(crate::common::emulator_env());
        Run::from(c.output().unwrap())
    };
    let there = migrate(file.to_str().unwrap(), &url, &[]);
    assert_eq!(there.code, 0, "{}", there.all());
    assert!(there.stdout.contains("4 resource(s)"), "{}", there.all());

    let pg_ws = Workspace {
        dir: tempfile::tempdir().unwrap(),
        stack_name: file_ws.stack_name.clone(),
        emulator: true,
        shared_state: Some(PathBuf::from(&url)),
    };
    std::fs::create_dir_all(pg_ws.stack_dir()).unwrap();
    std::fs::write(
        pg_ws.stack_dir().join("main.tf"),
        crate::common::SMALL_STACK,
    )
    .unwrap();
    let plan = pg_ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.code,
        0,
        "the PostgreSQL copy knows everything:\n{}",
        plan.all()
    );
    assert_eq!(
        pg_ws.run(&["output", "vpc_id"]).stdout,
        file_ws.run(&["output", "vpc_id"]).stdout
    );
    // a second copy into a stack that has state is refused without --force
    let again = migrate(file.to_str().unwrap(), &url, &[]);
    assert_eq!(again.code, 1, "{}", again.all());
    assert!(again.stderr.contains("--force"), "{}", again.all());

    let back_dir = tempfile::tempdir().unwrap();
    let back = back_dir.path().join("back.db");
    let home = migrate(&url, back.to_str().unwrap(), &[]);
    assert_eq!(home.code, 0, "{}", home.all());
    let export = |state: &str| {
        rt.block_on(async {
            let s = infra_state::Store::open_location(
                &infra_state::StateLocation::parse(state).unwrap(),
            )
            .await
            .unwrap();
            let mut doc = s.export_stack(&file_ws.stack_name).await.unwrap();
            s.close().await;
            doc.as_object_mut().unwrap().remove("infra_version");
            doc
        })
    };
    let original = export(file.to_str().unwrap());
    assert_eq!(export(&url), original);
    assert_eq!(export(back.to_str().unwrap()), original);
    assert_no_password(&[&there, &plan, &again, &home]);
    assert_eq!(file_ws.run(&["destroy", "--auto-approve"]).code, 0);
}
