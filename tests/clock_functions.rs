//! `timestamp()`, `uuid()` and `bcrypt()` are known only after apply (as in Terraform);
//! `plantimestamp()` is the plan's time, which a saved plan carries to its apply;
//! `abspath()` and `pathexpand()` resolve against the stack's directory and `HOME`. On
//! the built-in `terraform_data`, so no cloud is involved.

use std::time::Duration;

use crate::common::{rt, Run, Workspace};

const STACK: &str = r#"
resource "terraform_data" "stamp" {
  input = {
    at   = timestamp()
    plan = plantimestamp()
    id   = uuid()
    abs  = abspath("files/../user_data.sh")
    home = pathexpand("~/.kube/config")
  }
}

resource "terraform_data" "hash" {
  input = bcrypt("hunter2", 4)
}

output "applied_at" {
  value = timestamp()
}

output "planned_at" {
  value = plantimestamp()
}
"#;

const HOME: &str = "/home/tester";

fn run(ws: &Workspace, args: &[&str]) -> Run {
    let out = ws
        .cmd(args)
        .env("HOME", HOME)
        .output()
        .expect("running infra");
    Run::from(out)
}

/// `2026-12-06T09:00:00Z`: Go's RFC 3339, UTC, whole seconds.
fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && s.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == 'Z',
            _ => c.is_ascii_digit(),
        })
}

fn stored(ws: &Workspace, address: &str) -> serde_json::Value {
    rt().block_on(async {
        let store = ws.store().await;
        let r = store.resource(&ws.stack_name, address).await.unwrap();
        store.close().await;
        r.unwrap_or_else(|| panic!("{address} is not in the state"))
            .attributes
    })
}

#[test]
fn timestamp_is_known_after_apply_and_plantimestamp_survives_a_saved_plan() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], false);
    let dir = std::fs::canonicalize(ws.stack_dir()).unwrap();

    // the plan: known after apply, except the plan's time and the paths
    let r = run(&ws, &["plan"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for line in [
        "\"at\"   = (known after apply)",
        "\"id\"   = (known after apply)",
        &format!("\"abs\"  = \"{}/user_data.sh\"", dir.display()),
        &format!("\"home\" = \"{HOME}/.kube/config\""),
        "+ applied_at = (known after apply)",
    ] {
        assert!(r.stdout.contains(line), "no {line:?} in:\n{}", r.all());
    }
    let hash_block = r
        .stdout
        .split("# terraform_data.hash will be created")
        .nth(1)
        .unwrap();
    assert!(
        hash_block.contains("+ input  = (known after apply)"),
        "{}",
        r.all()
    );

    // a saved plan records its time
    let file = ws.dir.path().join("stamp.plan");
    let file_s = file.to_str().unwrap();
    let r = run(&ws, &["plan", "--out", file_s]);
    assert_eq!(r.code, 0, "{}", r.all());
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let planned_at = saved["plan_timestamp"].as_str().unwrap().to_string();
    assert!(is_rfc3339_utc(&planned_at), "{planned_at}");
    assert!(
        r.stdout.contains(&format!("\"plan\" = \"{planned_at}\"")),
        "{}",
        r.all()
    );

    // applied in a later second: plantimestamp() is still the plan's time
    std::thread::sleep(Duration::from_millis(1100));
    let r = run(&ws, &["apply", file_s]);
    assert_eq!(r.code, 0, "{}", r.all());
    let input = &stored(&ws, "terraform_data.stamp")["input"];
    let at = input["at"].as_str().unwrap();
    assert!(is_rfc3339_utc(at), "{input}");
    assert!(
        at > planned_at.as_str(),
        "applied at {at}, planned at {planned_at}"
    );
    assert_eq!(input["plan"], planned_at.as_str(), "{input}");
    let id = input["id"].as_str().unwrap();
    assert_eq!(
        id.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "{id}"
    );
    assert_eq!(
        input["abs"],
        format!("{}/user_data.sh", dir.display()).as_str()
    );
    assert_eq!(input["home"], format!("{HOME}/.kube/config").as_str());
    let hash = stored(&ws, "terraform_data.hash")["input"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(hash.starts_with("$2a$04$") && hash.len() == 60, "{hash}");

    // the outputs: printed, recorded and shown by `infra output` alike
    let applied_at = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("applied_at = "))
        .unwrap_or_else(|| panic!("no applied_at in:\n{}", r.all()))
        .trim_matches('"')
        .to_string();
    assert!(is_rfc3339_utc(&applied_at), "{}", r.all());
    assert!(applied_at.as_str() >= at, "{applied_at} {at}");
    assert!(
        r.stdout.contains(&format!("planned_at = \"{planned_at}\"")),
        "{}",
        r.all()
    );
    let recorded = rt().block_on(async {
        let store = ws.store().await;
        let o = store.outputs(&ws.stack_name).await.unwrap().unwrap();
        store.close().await;
        o
    });
    assert_eq!(recorded["applied_at"].value, applied_at.as_str());
    assert_eq!(recorded["planned_at"].value, planned_at.as_str());
    let r = run(&ws, &["output", "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let shown: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(shown["applied_at"]["value"], applied_at.as_str(), "{shown}");
    assert_eq!(shown["planned_at"]["value"], planned_at.as_str(), "{shown}");

    // as in Terraform, every plan has new values to apply
    let r = run(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());
    for line in [
        format!("~ \"at\"   = \"{at}\" -> (known after apply)"),
        format!("~ applied_at = \"{applied_at}\" -> (known after apply)"),
    ] {
        assert!(r.stdout.contains(&line), "no {line:?} in:\n{}", r.all());
    }
}

#[test]
fn one_apply_plans_and_applies_with_the_same_plantimestamp() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], false);
    let r = run(&ws, &["validate"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = run(&ws, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let shown = r
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("+ \"plan\" = "))
        .unwrap_or_else(|| panic!("no plan time in the plan:\n{}", r.all()))
        .trim_matches('"')
        .to_string();
    assert!(is_rfc3339_utc(&shown), "{shown}");
    let input = &stored(&ws, "terraform_data.stamp")["input"];
    assert_eq!(input["plan"], shown.as_str(), "{input}");
    assert!(is_rfc3339_utc(input["at"].as_str().unwrap()), "{input}");
}

/// A saved plan made with `--stack` spelled relative to the working directory (or `.`)
/// applies: the digest keys the stack's files by their path inside the stack, not by how
/// the directory was named (apply reloads it from its absolute path).
#[test]
fn a_saved_plan_of_a_relatively_named_stack_applies() {
    let ws = Workspace::from_files(
        &[
            (
                "main.tf",
                "resource \"terraform_data\" \"a\" {\n  input = var.v\n}\nvariable \"v\" {\n  default = \"x\"\n}\n",
            ),
            ("terraform.tfvars", "v = \"y\"\n"),
        ],
        false,
    );
    let in_dir = |dir: &std::path::Path, args: &[&str]| -> Run {
        let mut c = ws.cmd_bare(args);
        c.current_dir(dir);
        Run::from(c.output().expect("running infra"))
    };
    let parent = ws.dir.path();
    let stack = ws.stack_dir();
    let name = ws.stack_name.clone();
    let plan = in_dir(
        parent,
        &[
            "plan",
            "--stack",
            "stack",
            "--stack-name",
            &name,
            "--out",
            "a.plan",
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.all());
    let apply = in_dir(parent, &["apply", "a.plan"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(apply.stdout.contains("1 added"), "{}", apply.all());
    // `.` from inside the stack, applied from elsewhere
    std::fs::write(stack.join("terraform.tfvars"), "v = \"z\"\n").unwrap();
    let plan = in_dir(
        &stack,
        &["plan", "--stack-name", &name, "--out", "../b.plan"],
    );
    assert_eq!(plan.code, 0, "{}", plan.all());
    let b = parent.join("b.plan");
    let apply = in_dir(std::path::Path::new("/"), &["apply", b.to_str().unwrap()]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(apply.stdout.contains("1 changed"), "{}", apply.all());
    // a changed file is still refused
    std::fs::write(stack.join("terraform.tfvars"), "v = \"w\"\n").unwrap();
    let plan = in_dir(
        parent,
        &[
            "plan",
            "--stack",
            "stack",
            "--stack-name",
            &name,
            "--out",
            "c.plan",
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.all());
    std::fs::write(stack.join("terraform.tfvars"), "v = \"v\"\n").unwrap();
    let apply = in_dir(parent, &["apply", "c.plan"]);
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert!(
        apply.stderr.contains("changed since the plan"),
        "{}",
        apply.all()
    );
}
