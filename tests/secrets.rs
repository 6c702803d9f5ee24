//! Secrets (reliability group 6): a sensitive variable, carried through a local, a
//! template, jsonencode and format into a resource tag and an output, never shows in
//! plan text, plan JSON, apply output, `infra output`, trace logs or the saved plan's
//! rendering, yet reaches the cloud intact; AWS credentials never reach the state file,
//! the plan file, stdout or stderr, even with the SDK logging at trace level.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::json;

use crate::common::{ec2, report, rt, Run, Workspace};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "db_password" {
  type      = string
  sensitive = true
}

locals {
  conn  = jsonencode({ user = "app", password = var.db_password })
  label = "conn-${local.conn}"
}

resource "aws_vpc" "main" {
  cidr_block = "10.61.0.0/16"
  tags = {
    Name = "secrets"
    Conn = format("%s", local.label)
  }
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "conn" {
  value     = local.conn
  sensitive = true
}
"#;

const ACCESS_KEY: &str = "infraTESTaccessKEY0042";
const SECRET_KEY: &str = "infraTESTsecretXYZ0042abcdefghijklmnopqrs";
const SESSION_TOKEN: &str = "infraTESTsessionTOKEN0042zyxwvutsrqponmlkjihgfedcba";

struct Secrets<'a> {
    ws: &'a Workspace,
    password: String,
    /// (what ran, its output) for every command, to scan
    runs: Vec<(String, Run)>,
}

impl Secrets<'_> {
    fn run(&mut self, args: &[&str]) -> &Run {
        let mut c = self.ws.cmd(args);
        c.env("TF_VAR_db_password", &self.password)
            .env("INFRA_LOG", "trace")
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_SESSION_TOKEN", SESSION_TOKEN);
        let r = Run::from(c.output().expect("running infra"));
        assert!(
            r.code == 0 || r.code == 2,
            "{args:?} failed:\n{}",
            tail(&r.all())
        );
        self.runs.push((args.join(" "), r));
        &self.runs.last().expect("just pushed").1
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// The live VPC's tags, read with an independent client.
fn vpc_tag(stack: &str, key: &str) -> Option<String> {
    rt().block_on(async {
        use aws_sdk_ec2::types::Filter;
        let out = ec2()
            .await
            .describe_vpcs()
            .filters(
                Filter::builder()
                    .name("tag:infra:stack")
                    .values(stack)
                    .build(),
            )
            .send()
            .await
            .ok()?;
        out.vpcs()
            .first()?
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value().map(str::to_string))
    })
}

/// `name = (sensitive value)` (aligned as printed) is one of the lines of `text`.
fn redacted_line(text: &str, name: &str) -> bool {
    text.lines().any(|l| {
        l.trim_start().starts_with(&format!("{name} ")) && l.ends_with("= (sensitive value)")
    })
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

#[test]
fn sensitive_values_and_credentials_never_show() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let password = format!("pwSECRET{}", std::process::id());
    let mut s = Secrets {
        ws: &ws,
        password: password.clone(),
        runs: Vec::new(),
    };
    let plan_file = ws.dir.path().join("secrets.tfplan");
    let plan_path = plan_file.to_string_lossy().to_string();

    let text = s.run(&["plan"]).stdout.clone();
    assert!(text.contains("\"Conn\" = (sensitive value)"), "{text}");

    let j: serde_json::Value =
        serde_json::from_str(&s.run(&["plan", "--json"]).stdout).expect("plan --json is JSON");
    let vpc = &j["resource_changes"][0]["change"];
    assert_eq!(
        vpc["after_sensitive"]["tags"],
        json!({"Conn": true}),
        "{vpc:#}"
    );
    assert_eq!(
        vpc["after_sensitive"]["tags_all"],
        json!({"Conn": true}),
        "{vpc:#}"
    );
    assert_eq!(vpc["after"]["tags"]["Name"], json!("secrets"));
    assert_eq!(j["output_changes"]["conn"]["after_sensitive"], json!(true));

    s.run(&["plan", "--out", &plan_path]);
    assert_eq!(mode(&plan_file), 0o600, "the saved plan is private");
    let applied = s.run(&["apply", &plan_path]).stdout.clone();
    assert!(redacted_line(&applied, "conn"), "{applied}");
    assert_eq!(mode(&ws.state_path()), 0o600, "the state is private");

    // the value reached the cloud intact: redaction is not hiding a broken value
    let expected = format!("conn-{{\"password\":\"{password}\",\"user\":\"app\"}}");
    assert_eq!(
        vpc_tag(&ws.stack_name, "Conn").as_deref(),
        Some(expected.as_str())
    );

    let all = s.run(&["output"]).stdout.clone();
    assert!(redacted_line(&all, "conn"), "{all}");
    let all_json = s.run(&["output", "--json"]).stdout.clone();
    assert!(!all_json.contains(&password), "{all_json}");
    // a named output is shown, as in Terraform (not scanned below)
    let named = s.run(&["output", "conn"]).stdout.clone();
    assert!(
        named.contains(&password),
        "infra output conn shows it: {named}"
    );
    let named_run = s.runs.pop().expect("named output run");

    // an update: the old and new values are both hidden
    s.password = format!("pwROTATED{}", std::process::id());
    let update = s.run(&["plan"]).stdout.clone();
    assert!(update.contains("will be updated in-place"), "{update}");
    s.run(&["apply", "--auto-approve"]);
    s.run(&["destroy", "--auto-approve"]);

    // scan every byte written: stdout and stderr of every command (trace logs included),
    // the state database and its WAL, the saved plan
    let mut scanned = Vec::new();
    let mut leaks = Vec::new();
    let creds = [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN];
    let values = [password.as_str(), s.password.as_str()];
    let mut log_bytes = 0usize;
    for (what, r) in &s.runs {
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            log_bytes += text.len();
            scanned.push(format!("{what} {stream}"));
            for x in creds.iter().chain(&values) {
                if text.contains(x) {
                    leaks.push(format!("{x} in `{what}` {stream}"));
                }
            }
        }
    }
    assert!(
        s.runs.iter().any(|(_, r)| r.stderr.contains("TRACE")),
        "INFRA_LOG=trace logs"
    );
    // the files: no credential anywhere (the state and the saved plan hold the variable's
    // value by design, as Terraform's do; both are 0600)
    let mut files = vec![ws.state_path(), plan_file.clone()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let p = ws.dir.path().join(format!("state.db{suffix}"));
        if p.exists() {
            files.push(p);
        }
    }
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_default();
        scanned.push(format!("{} ({} bytes)", f.display(), bytes.len()));
        for x in creds {
            if bytes.windows(x.len()).any(|w| w == x.as_bytes()) {
                leaks.push(format!("{x} in {}", f.display()));
            }
        }
    }
    let _ = named_run;
    report::record(
        "secrets",
        json!({
            "commands_run": s.runs.len() + 1,
            "outputs_scanned": s.runs.len() * 2,
            "files_scanned": files.len(),
            "log_bytes_scanned": log_bytes,
            "secrets_looked_for": creds.len() + values.len(),
            "leaks": leaks.len(),
            "redactions_in_stderr": s.runs.iter().map(|(_, r)| r.stderr.matches("(sensitive value)").count()).sum::<usize>(),
            "value_reached_cloud": true,
            "state_mode": format!("{:o}", mode(&ws.state_path())),
            "plan_file_mode": format!("{:o}", mode(&plan_file)),
        }),
    );
    assert!(leaks.is_empty(), "leaks: {leaks:#?}\nscanned: {scanned:#?}");
}
