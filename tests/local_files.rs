//! The local provider built in (`infra-builtin`'s `local`), as terraform-aws-eks's
//! hybrid-nodes example uses it: a private key written `0600` by `local_file`, a script with
//! the default permissions, a `local_sensitive_file` in a directory of its own, and data
//! `local_file` / `local_sensitive_file` reading a file of the stack. No cloud: infra runs
//! from another working directory than the stack's, and relative names are the stack's
//! (`path.cwd`). Apply writes the files (content, modes, checksums), a re-plan is clean, a
//! file edited or deleted outside is written again (a create, as the provider plans it), a
//! content change replaces the file, `state show` masks the sensitive content, destroy
//! removes the files, and an invalid permission is an error at its file:line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{changes, Workspace};

const STACK: &str = r##"terraform {
  required_providers {
    local = { source = "hashicorp/local", version = ">= 2.0" }
  }
}

provider "local" {}

variable "greeting" {
  type    = string
  default = "hello"
}

# not sensitive itself: local_sensitive_file's schema makes its content sensitive
variable "secret" {
  type    = string
  default = "s3cr3t-token-value"
}

data "local_file" "template" {
  filename = "template.txt"
}

data "local_sensitive_file" "seed" {
  filename = "${path.module}/seed.txt"
}

resource "local_file" "key_pem" {
  content         = "-----BEGIN KEY-----\n${var.greeting}\n-----END KEY-----\n"
  filename        = "key.pem"
  file_permission = "0600"
}

resource "local_file" "join" {
  content  = "#!/usr/bin/env bash\necho ${data.local_file.template.content}\n"
  filename = "scripts/join.sh"
}

resource "local_sensitive_file" "token" {
  content              = "${var.secret}:token"
  filename             = "private/token"
  directory_permission = "0750"
}

output "key_sha1" {
  value = local_file.key_pem.id
}

output "key_sha256" {
  value = local_file.key_pem.content_sha256
}

output "template_b64" {
  value = data.local_file.template.content_base64
}

# null, and sensitive: not a change on every plan
output "unset" {
  value     = local_file.key_pem.sensitive_content
  sensitive = true
}

output "seed" {
  value     = data.local_sensitive_file.seed.content
  sensitive = true
}
"##;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `infra <args>` run from a working directory that is not the stack's.
fn run_elsewhere(ws: &Workspace, args: &[&str]) -> crate::common::Run {
    let mut c = ws.cmd(args);
    c.current_dir(ws.dir.path());
    crate::common::Run::from(c.output().expect("running infra"))
}

fn plan_changes(ws: &Workspace) -> Vec<(String, Vec<String>)> {
    let r = run_elsewhere(ws, &["plan", "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    changes(&serde_json::from_str(&r.stdout).unwrap())
}

#[test]
fn local_files_are_written_refreshed_replaced_and_removed() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], false);
    let dir = ws.stack_dir();
    std::fs::write(dir.join("template.txt"), "from-template").unwrap();
    std::fs::write(dir.join("seed.txt"), "seed").unwrap();

    let plan = run_elsewhere(&ws, &["plan"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        !plan.all().contains("s3cr3t-token-value"),
        "the sensitive content is never printed:\n{}",
        plan.all()
    );
    let apply = run_elsewhere(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        !apply.all().contains("s3cr3t-token-value"),
        "{}",
        apply.all()
    );

    // written in the stack's directory, not the working directory infra ran in
    assert!(!ws.dir.path().join("key.pem").exists());
    let key = dir.join("key.pem");
    let key_text = "-----BEGIN KEY-----\nhello\n-----END KEY-----\n";
    assert_eq!(std::fs::read_to_string(&key).unwrap(), key_text);
    assert_eq!(mode(&key), 0o600);
    let join = dir.join("scripts/join.sh");
    assert_eq!(
        std::fs::read_to_string(&join).unwrap(),
        "#!/usr/bin/env bash\necho from-template\n"
    );
    // "0777" before the umask: the owner has everything, nobody else may write
    assert_eq!(mode(&join) & 0o700, 0o700, "{:o}", mode(&join));
    assert_eq!(mode(&join) & 0o022, 0, "{:o}", mode(&join));
    let token = dir.join("private/token");
    assert_eq!(
        std::fs::read_to_string(&token).unwrap(),
        "s3cr3t-token-value:token"
    );
    assert_eq!(mode(&token) & 0o077, 0, "0700: {:o}", mode(&token));
    assert_eq!(
        mode(&dir.join("private")) & 0o027,
        0,
        "0750: {:o}",
        mode(&dir.join("private"))
    );

    // the provider's checksums
    let out = run_elsewhere(&ws, &["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(out["key_sha1"]["value"], sha1_hex(key_text.as_bytes()));
    assert_eq!(out["key_sha256"]["value"], sha256_hex(key_text.as_bytes()));
    assert_eq!(out["template_b64"]["value"], "ZnJvbS10ZW1wbGF0ZQ==");
    let seed = run_elsewhere(&ws, &["output", "seed"]);
    assert_eq!(
        seed.stdout.trim().trim_matches('"'),
        "seed",
        "{}",
        seed.all()
    );

    // the sensitive file's content is masked by state show; local_file's is not
    let shown = run_elsewhere(&ws, &["state", "show", "local_sensitive_file.token"]);
    assert_eq!(shown.code, 0, "{}", shown.all());
    assert!(!shown.all().contains("s3cr3t"), "{}", shown.all());
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("content ") && l.ends_with("(sensitive value)")),
        "{}",
        shown.stdout
    );
    let shown = run_elsewhere(&ws, &["state", "show", "local_file.key_pem"]);
    assert!(shown.stdout.contains("BEGIN KEY"), "{}", shown.stdout);

    assert_eq!(plan_changes(&ws), vec![], "clean after apply");
    let plan = run_elsewhere(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after apply:\n{}", plan.all());

    // edited outside: written again (the provider plans a create)
    std::fs::write(&key, "tampered").unwrap();
    // deleted outside: written again too
    std::fs::remove_file(&token).unwrap();
    assert_eq!(
        plan_changes(&ws),
        vec![
            ("local_file.key_pem".to_string(), vec!["create".to_string()]),
            (
                "local_sensitive_file.token".to_string(),
                vec!["create".to_string()]
            ),
        ]
    );
    let apply = run_elsewhere(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(std::fs::read_to_string(&key).unwrap(), key_text);
    assert_eq!(mode(&key), 0o600);
    assert!(token.exists());
    assert_eq!(plan_changes(&ws), vec![], "clean after the rewrite");

    // a content change replaces the file
    ws.write("test.auto.tfvars", "greeting = \"bonjour\"\n");
    assert_eq!(
        plan_changes(&ws),
        vec![(
            "local_file.key_pem".to_string(),
            vec!["delete".to_string(), "create".to_string()]
        )]
    );
    let apply = run_elsewhere(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(std::fs::read_to_string(&key).unwrap().contains("bonjour"));
    assert_eq!(mode(&key), 0o600);
    // a change of the file a data source reads reaches what uses it
    std::fs::write(dir.join("template.txt"), "changed").unwrap();
    assert_eq!(
        plan_changes(&ws),
        vec![(
            "local_file.join".to_string(),
            vec!["delete".to_string(), "create".to_string()]
        )]
    );
    let apply = run_elsewhere(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(std::fs::read_to_string(&join)
        .unwrap()
        .contains("echo changed"));

    let destroy = run_elsewhere(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(!key.exists() && !join.exists() && !token.exists());
    // what the stack did not write stays
    assert!(dir.join("template.txt").exists() && dir.join("seed.txt").exists());
}

#[test]
fn an_invalid_permission_or_content_is_an_error_at_its_line() {
    let ws = Workspace::from_files(
        &[(
            "main.tf",
            r#"resource "local_file" "bad" {
  content         = "x"
  filename        = "x.txt"
  file_permission = "0800"
}

resource "local_sensitive_file" "worse" {
  content              = "y"
  filename             = "y.txt"
  directory_permission = "rwxr-x---"
}
"#,
        )],
        false,
    );
    for cmd in [&["validate"][..], &["plan"][..]] {
        let r = run_elsewhere(&ws, cmd);
        assert_eq!(r.code, 1, "{}", r.all());
        let all = r.all();
        assert!(all.contains("main.tf:4"), "{all}");
        assert!(all.contains("`file_permission`"), "{all}");
        assert!(all.contains("main.tf:10"), "{all}");
        assert!(all.contains("`directory_permission`"), "{all}");
    }
    assert!(!ws.stack_dir().join("x.txt").exists());

    let two = Workspace::from_files(
        &[(
            "main.tf",
            r#"resource "local_file" "two" {
  content  = "x"
  source   = "other.txt"
  filename = "x.txt"
}
"#,
        )],
        false,
    );
    let r = run_elsewhere(&two, &["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("content and source conflict"),
        "{}",
        r.all()
    );
    assert!(r.all().contains("local_file.two"), "{}", r.all());
}

fn sha1_hex(b: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(b))
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}
