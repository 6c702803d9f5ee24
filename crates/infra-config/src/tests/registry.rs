//! Remote module sources through a hand-made `.terraform/modules` tree, read by
//! `fs::read_stack` as `terraform init` would have left it.

use std::path::Path;

use super::*;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

const NET: &str = r#"
variable "cidr" {}
resource "aws_vpc" "this" {
  cidr_block = var.cidr
}
module "flow" {
  source  = "acme/flow/aws"
  version = ">= 1.2, < 2"
  vpc_id  = aws_vpc.this.id
}
module "local_part" {
  source = "./parts/sg"
  vpc_id = aws_vpc.this.id
}
output "vpc_id" {
  value = aws_vpc.this.id
}
"#;

const FLOW: &str = r#"
variable "vpc_id" {}
resource "aws_security_group" "flow" {
  name   = "flow"
  vpc_id = var.vpc_id
}
"#;

const SG: &str = r#"
variable "vpc_id" {}
resource "aws_security_group" "local" {
  name   = "local"
  vpc_id = var.vpc_id
}
"#;

const ROOT: &str = r#"
module "net" {
  source  = "acme/net/aws"
  version = "~> 6.0"
  cidr    = "10.0.0.0/16"
}
module "git_net" {
  source = "git::https://example.com/acme/net.git?ref=v6.1.0"
  cidr   = "10.1.0.0/16"
}
output "vpc" {
  value = module.net.vpc_id
}
"#;

/// A stack with `net` (registry, calls `flow` from the registry and a local part),
/// `git_net` (git) and a manifest saying `net` is at `net_version`.
fn tree(root_tf: &str, net_version: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("stack");
    write(&root, "main.tf", root_tf);
    let mods = root.join(".terraform/modules");
    write(&mods.join("net"), "main.tf", NET);
    write(&mods.join("net/parts/sg"), "main.tf", SG);
    write(&mods.join("net.flow"), "main.tf", FLOW);
    write(&mods.join("git_net"), "main.tf", NET);
    write(&mods.join("git_net/parts/sg"), "main.tf", SG);
    write(&mods.join("git_net.flow"), "main.tf", FLOW);
    let manifest = format!(
        r#"{{"Modules":[
  {{"Key":"","Source":"","Dir":"."}},
  {{"Key":"net","Source":"registry.terraform.io/acme/net/aws","Version":"{net_version}","Dir":".terraform/modules/net"}},
  {{"Key":"net.flow","Source":"registry.terraform.io/acme/flow/aws","Version":"1.4.0","Dir":".terraform/modules/net.flow"}},
  {{"Key":"net.local_part","Source":"./parts/sg","Dir":".terraform/modules/net/parts/sg"}},
  {{"Key":"git_net","Source":"git::https://example.com/acme/net.git?ref=v6.1.0","Dir":".terraform/modules/git_net"}},
  {{"Key":"git_net.flow","Source":"registry.terraform.io/acme/flow/aws","Version":"1.4.0","Dir":".terraform/modules/git_net.flow"}}
]}}"#
    );
    write(&mods, "modules.json", &manifest);
    tmp
}

fn read(tmp: &tempfile::TempDir) -> StackInput {
    crate::fs::read_stack(
        &tmp.path().join("stack"),
        &[],
        Vec::new(),
        std::iter::empty(),
    )
    .unwrap()
}

#[test]
fn registry_git_and_nested_modules_resolve_through_the_manifest() {
    let tmp = tree(ROOT, "6.6.0");
    let input = read(&tmp);
    let dirs: Vec<&String> = input.modules.keys().collect();
    assert_eq!(
        dirs,
        [
            ".terraform/modules/git_net",
            ".terraform/modules/git_net.flow",
            ".terraform/modules/git_net/parts/sg",
            ".terraform/modules/net",
            ".terraform/modules/net.flow",
            ".terraform/modules/net/parts/sg",
        ]
    );
    assert_eq!(
        &*input.modules[".terraform/modules/net.flow"][0].path,
        ".terraform/modules/net.flow/main.tf"
    );
    let walked = walk_with(&input, applied);
    assert!(walked.diags.is_empty(), "{}", render(&walked.diags));
    let addrs = walked.addresses();
    for a in [
        "module.net.aws_vpc.this",
        "module.net.module.flow.aws_security_group.flow",
        "module.net.module.local_part.aws_security_group.local",
        "module.git_net.aws_vpc.this",
        "module.git_net.module.flow.aws_security_group.flow",
    ] {
        assert!(addrs.contains(&a.to_string()), "{a} missing from {addrs:?}");
    }
}

/// The rendered errors, with root file paths shown relative to the stack directory.
fn errors(input: &StackInput) -> String {
    let (stack, diags) = load(input);
    assert!(stack.is_none(), "expected errors");
    let mut out = render(&diags);
    if let Some(f) = input.files.first() {
        let dir = f.path.trim_end_matches("main.tf");
        out = out.replace(dir, "");
    }
    out
}

#[test]
fn an_installed_version_outside_the_constraint_names_both() {
    let tmp = tree(ROOT, "5.9.0");
    let e = errors(&read(&tmp));
    assert_eq!(
        e,
        "main.tf:4:3: error: module \"net\": module \"net\" (\"acme/net/aws\") is installed at version \"5.9.0\" in .terraform/modules/net, which does not satisfy `version = \"~> 6.0\"` -- run `terraform init -upgrade` to install a matching version, or change the constraint"
    );
}

#[test]
fn a_nested_version_mismatch_points_into_the_downloaded_module() {
    let tmp = tree(ROOT, "6.6.0");
    let mods = tmp.path().join("stack/.terraform/modules");
    let m = std::fs::read_to_string(mods.join("modules.json")).unwrap();
    write(&mods, "modules.json", &m.replace("1.4.0", "2.0.0"));
    let e = errors(&read(&tmp));
    assert!(
        e.starts_with(".terraform/modules/git_net/main.tf:8:3: error: module \"flow\": module \"git_net.flow\" (\"acme/flow/aws\") is installed at version \"2.0.0\""),
        "{e}"
    );
    assert!(
        e.contains(
            "\n.terraform/modules/net/main.tf:8:3: error: module \"flow\": module \"net.flow\""
        ),
        "{e}"
    );
}

#[test]
fn without_a_manifest_the_error_says_to_run_terraform_init() {
    let tmp = tree(ROOT, "6.6.0");
    std::fs::remove_file(tmp.path().join("stack/.terraform/modules/modules.json")).unwrap();
    let input = read(&tmp);
    assert!(input.module_manifest.is_none());
    assert!(input.modules.is_empty());
    assert_eq!(
        errors(&input),
        "main.tf:8:12: error: module \"git_net\": source \"git::https://example.com/acme/net.git?ref=v6.1.0\" is not a local path, and there is no .terraform/modules/modules.json -- run `terraform init` (infra reads the modules it downloads) or use a local path starting with ./ or ../\n\
         main.tf:3:13: error: module \"net\": source \"acme/net/aws\" is not a local path, and there is no .terraform/modules/modules.json -- run `terraform init` (infra reads the modules it downloads) or use a local path starting with ./ or ../"
    );
}

#[test]
fn a_call_init_has_not_seen_or_a_changed_source_names_key_and_source() {
    let root = format!("{ROOT}\nmodule \"extra\" {{\n  source = \"acme/extra/aws\"\n}}\n").replace(
        "git::https://example.com/acme/net.git?ref=v6.1.0",
        "git::https://example.com/acme/other.git",
    );
    let tmp = tree(&root, "6.6.0");
    let e = errors(&read(&tmp));
    assert_eq!(
        e,
        "main.tf:16:12: error: module \"extra\": source \"acme/extra/aws\": the module key \"extra\" is not in .terraform/modules/modules.json -- `terraform init` has not installed module \"extra\" from \"acme/extra/aws\" yet; run `terraform init` again\n\
         main.tf:8:12: error: module \"git_net\": source \"git::https://example.com/acme/other.git\" differs from \"git::https://example.com/acme/net.git?ref=v6.1.0\", which .terraform/modules/modules.json records for module \"git_net\" -- the source changed since `terraform init`; run `terraform init` again"
    );
}

#[test]
fn version_on_a_git_or_local_source_is_an_error() {
    let root = ROOT.replace(
        "  cidr   = \"10.1.0.0/16\"",
        "  version = \"1.0.0\"\n  cidr   = \"10.1.0.0/16\"",
    ) + "module \"local\" {\n  source  = \"./x\"\n  version = \"1.0.0\"\n}\n";
    let tmp = tree(&root, "6.6.0");
    let e = errors(&read(&tmp));
    assert!(e.contains("main.tf:9:3: error: module \"git_net\": `version` applies only to registry modules, and \"git::https://example.com/acme/net.git?ref=v6.1.0\" is not one"), "{e}");
    assert!(e.contains("main.tf:17:3: error: module \"local\": `version` applies only to registry modules -- local modules have no version"), "{e}");
}

#[test]
fn a_broken_manifest_is_reported_with_what_to_do() {
    let tmp = tree(ROOT, "6.6.0");
    write(
        &tmp.path().join("stack/.terraform/modules"),
        "modules.json",
        "{\"Modules\": 3}",
    );
    let e = crate::fs::read_stack(
        &tmp.path().join("stack"),
        &[],
        Vec::new(),
        std::iter::empty(),
    )
    .unwrap_err();
    assert_eq!(
        e.summary,
        ".terraform/modules/modules.json is not a module manifest: no \"Modules\" list"
    );
}
