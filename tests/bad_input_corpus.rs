//! The bad-input corpus: every directory of `tests/corpus/bad_input/` is a malformed or
//! hostile stack (with its variable files and modules), and its `expect` file says where
//! the error must point and what it must say. Huge inputs (10,000 nested brackets, 10 MB
//! strings, a 900,000-column line) are generated here rather than committed.
//!
//! For every case, `infra validate` and `infra plan` (with no state file, and with an
//! existing one) must: finish within 10 s, exit 1 without a panic, name `file:line:col`
//! and the message fragment, create no state file, and leave an existing one
//! byte-identical.
//!
//! `expect` lines: `at FILE:LINE:COL` (empty when the error has no place, e.g. `--var`),
//! `message TEXT`, `args ARG...` (extra arguments), `env NAME=VALUE`, `plan-only` (the
//! error needs `plan`: validate accepts it), `plan-time` (the error needs the state, so
//! plan opens and locks an existing file: its content is kept but its bytes change with the
//! lock's row; a missing file is never created).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{self, run_with_deadline, Run, Workspace};

const LIMIT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Expect {
    at: String,
    message: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    plan_only: bool,
    plan_time: bool,
}

fn parse_expect(text: &str) -> Expect {
    let mut e = Expect::default();
    for line in text.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "at" => e.at = rest.to_string(),
            "message" => e.message = rest.to_string(),
            "args" => e.args = rest.split(' ').map(str::to_string).collect(),
            "env" => {
                let (k, v) = rest.split_once('=').expect("env NAME=VALUE");
                e.env.push((k.to_string(), v.to_string()));
            }
            "plan-only" => e.plan_only = true,
            "plan-time" => e.plan_time = true,
            other => panic!("unknown expect line {other:?}"),
        }
    }
    e
}

struct Case {
    name: String,
    files: Vec<(PathBuf, Vec<u8>)>,
    expect: Expect,
}

fn corpus() -> Vec<Case> {
    let root = common::root().join("tests/corpus/bad_input");
    let mut cases = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files = Vec::new();
        collect(&dir, &dir, &mut files);
        let expect = std::fs::read_to_string(dir.join("expect")).unwrap();
        files.retain(|(p, _)| p != Path::new("expect"));
        cases.push(Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            files,
            expect: parse_expect(&expect),
        });
    }
    cases
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(base, &path, out);
        } else {
            let rel = path.strip_prefix(base).unwrap().to_path_buf();
            out.push((rel, std::fs::read(&path).unwrap()));
        }
    }
}

fn generated(name: &str, main: String, at: &str, message: &str) -> Case {
    Case {
        name: name.to_string(),
        files: vec![("main.tf".into(), main.into_bytes())],
        expect: Expect {
            at: at.to_string(),
            message: message.to_string(),
            ..Expect::default()
        },
    }
}

/// The big ones, made at test time.
fn generated_cases() -> Vec<Case> {
    let n = 10_000;
    let local = |expr: String| format!("locals {{\n  x = {expr}\n}}\n");
    let deep = "nesting is too deep";
    let ten_mb = "a".repeat(10 << 20);
    let mut tfvars_10mb = generated(
        "string_10mb_in_tfvars",
        "variable \"big\" {\n  type = number\n}\n".into(),
        "terraform.tfvars:1:1",
        "expected number",
    );
    tfvars_10mb.files.push((
        "terraform.tfvars".into(),
        format!("big = \"{ten_mb}\"\n").into_bytes(),
    ));
    vec![
        generated(
            "nested_brackets_10000",
            local(format!("{}{}", "[".repeat(n), "]".repeat(n))),
            "main.tf:2:134",
            deep,
        ),
        generated(
            "nested_parentheses_10000",
            local(format!("{}1{}", "(".repeat(n), ")".repeat(n))),
            "main.tf:2:134",
            deep,
        ),
        generated(
            "nested_objects_10000",
            local(format!("{}1{}", "{a = ".repeat(n), "}".repeat(n))),
            "main.tf:2:642",
            deep,
        ),
        generated(
            "nested_function_calls_10000",
            local(format!("{}1{}", "abs(".repeat(n), ")".repeat(n))),
            "main.tf:2:518",
            deep,
        ),
        generated(
            "nested_interpolations_10000",
            local(format!("{}{}", "\"${".repeat(n), "}\"".repeat(n))),
            "main.tf:2:",
            deep,
        ),
        generated(
            "chained_operators_100000",
            local(vec!["1"; 100_000].join(" + ")),
            "main.tf:2:",
            "chained binary operators",
        ),
        generated(
            "unary_chain_100000",
            local(format!("{}true", "!".repeat(100_000))),
            "main.tf:2:",
            "nesting depth",
        ),
        generated(
            "string_10mb",
            format!("locals {{\n  big = \"{ten_mb}\"\n  x   = nosuch.value\n}}\n"),
            "main.tf:3:9",
            "unknown name `nosuch`",
        ),
        tfvars_10mb,
        generated(
            "line_of_900000_columns",
            local(format!("[{}nosuch]", "1, ".repeat(300_000))),
            "main.tf:2:900008",
            "unknown name `nosuch`",
        ),
        generated(
            "count_1e9",
            "resource \"aws_vpc\" \"v\" {\n  count      = 1e9\n  cidr_block = \"10.0.0.0/16\"\n}\n"
                .into(),
            "main.tf:2:16",
            "more than the 10000",
        ),
    ]
}

/// An existing, valid state file to copy before the runs that must leave it untouched.
fn seed_state() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.db");
    common::rt().block_on(async {
        let store = infra_state::Store::open(&path).await.unwrap();
        store.close().await;
    });
    std::fs::read(&path).unwrap()
}

fn run(ws: &Workspace, case: &Case, cmd: &str) -> (Run, f64) {
    let mut args = vec![cmd];
    args.extend(case.expect.args.iter().map(String::as_str));
    let mut c = ws.cmd(&args);
    for (k, v) in &case.expect.env {
        c.env(k, v);
    }
    let start = Instant::now();
    let r = run_with_deadline(c, LIMIT);
    (r, start.elapsed().as_secs_f64())
}

/// What is wrong with one run's outcome (empty when nothing is).
fn judge(r: &Run, e: &Expect) -> Vec<String> {
    let mut wrong = Vec::new();
    if r.code != 1 {
        wrong.push(format!("exit code {} (want 1; -1 is a signal)", r.code));
    }
    if r.stderr.contains("panicked at") || r.code == 101 {
        wrong.push("panicked".into());
    }
    for (what, needle) in [("location", &e.at), ("message", &e.message)] {
        if !needle.is_empty() && !r.stderr.contains(needle.as_str()) {
            wrong.push(format!("no {what} {needle:?}"));
        }
    }
    wrong
}

#[test]
fn every_corpus_case_fails_cleanly_with_its_location() {
    let seed = seed_state();
    let mut cases = corpus();
    let committed = cases.len();
    cases.extend(generated_cases());
    let (mut passed, mut max_seconds, mut slowest) = (0, 0.0f64, String::new());
    let mut failures = Vec::new();
    for case in &cases {
        let ws = Workspace::from_files(&[], false);
        for (rel, bytes) in &case.files {
            let path = ws.stack_dir().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let mut wrong = Vec::new();
        let mut runs = Vec::new();
        if !case.expect.plan_only {
            runs.push(("validate", false));
        }
        runs.push(("plan", false));
        runs.push(("plan", true));
        for (cmd, with_state) in runs {
            let _ = std::fs::remove_file(ws.state_path());
            if with_state {
                std::fs::write(ws.state_path(), &seed).unwrap();
            }
            let (r, secs) = run(&ws, case, cmd);
            if secs > max_seconds {
                (max_seconds, slowest) = (secs, format!("{} ({cmd})", case.name));
            }
            let state = std::fs::read(ws.state_path()).ok();
            let mut w = judge(&r, &case.expect);
            match (with_state, state) {
                // plan-time errors come after plan took (and released) the stack's lock on an
                // existing state file; without one, plan works on an in-memory state
                (true, Some(s)) if s != seed && !case.expect.plan_time => {
                    w.push("changed the state file".into())
                }
                (true, None) => w.push("deleted the state file".into()),
                (false, Some(_)) => w.push("created a state file".into()),
                _ => {}
            }
            if !w.is_empty() {
                let tail: String = r.all().chars().take(1500).collect();
                wrong.push(format!(
                    "{cmd}{}: {}\n{tail}",
                    if with_state { " (existing state)" } else { "" },
                    w.join(", ")
                ));
            }
        }
        if wrong.is_empty() {
            passed += 1;
        } else {
            failures.push(format!("== {}\n{}", case.name, wrong.join("\n")));
        }
    }
    common::report::record(
        "bad_input",
        json!({
            "cases": cases.len(),
            "committed_cases": committed,
            "generated_cases": cases.len() - committed,
            "passed": passed,
            "max_seconds": (max_seconds * 100.0).round() / 100.0,
            "slowest": slowest,
            "limit_seconds": LIMIT.as_secs(),
        }),
    );
    assert!(committed >= 40, "the corpus has only {committed} cases");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
