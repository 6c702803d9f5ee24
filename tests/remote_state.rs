//! `data "terraform_remote_state"` (backend "infra"): one stack reads another's outputs
//! from the state file, as recorded by its last apply. No cloud needed: these stacks have
//! no resources, so the unreachable endpoint is never called.

use crate::common::{rt, Workspace};

/// A stack that only has outputs of every JSON type Terraform has.
const SOURCE: &str = r#"
variable "cidr" {
  type    = string
  default = "10.1.0.0/16"
}

output "vpc_id" {
  value = "vpc-0123"
}

output "count" {
  value = 3
}

output "subnet_ids" {
  value = ["subnet-a", "subnet-b"]
}

output "tags" {
  value = { Name = "dev", cidr = var.cidr }
}

output "password" {
  value     = "hunter2"
  sensitive = true
}
"#;

fn reader(stack: &str, defaults: &str) -> String {
    format!(
        r#"
data "terraform_remote_state" "net" {{
  backend = "infra"
  config = {{
    stack = "{stack}"
  }}
  {defaults}
}}

output "vpc_id" {{
  value = data.terraform_remote_state.net.outputs.vpc_id
}}

output "second_subnet" {{
  value = data.terraform_remote_state.net.outputs.subnet_ids[1]
}}

output "name" {{
  value = data.terraform_remote_state.net.outputs.tags.Name
}}

output "count_plus_one" {{
  value = data.terraform_remote_state.net.outputs.count + 1
}}

output "region" {{
  value = data.terraform_remote_state.net.outputs.region
}}
"#
    )
}

const DEFAULTS: &str = r#"defaults = {
    vpc_id     = "vpc-default"
    subnet_ids = ["none", "none"]
    tags       = { Name = "nothing yet" }
    count      = 0
    region     = "us-east-1"
  }"#;

fn output_json(ws: &Workspace) -> serde_json::Value {
    let r = ws.run(&["output", "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn outputs_are_read_from_another_stack_with_defaults_for_the_missing_ones() {
    let source = Workspace::from_files(&[("main.tf", SOURCE)], false);
    // before the source is applied, the defaults stand in for all of it
    let early = Workspace::from_files(&[("main.tf", &reader(&source.stack_name, DEFAULTS))], false)
        .sharing_state(&source);
    early.apply();
    let out = output_json(&early);
    assert_eq!(out["vpc_id"]["value"], "vpc-default", "{out}");
    assert_eq!(out["name"]["value"], "nothing yet", "{out}");

    let r = source.apply();
    assert!(r.stdout.contains("API calls: 0"), "{}", r.all());
    let rt = rt();
    let recorded = rt.block_on(async {
        let store = source.store().await;
        let o = store.outputs(&source.stack_name).await.unwrap().unwrap();
        store.close().await;
        o
    });
    // recorded with Terraform's types
    assert_eq!(recorded["vpc_id"].value, serde_json::json!("vpc-0123"));
    assert_eq!(recorded["count"].value, serde_json::json!(3));
    assert_eq!(
        recorded["subnet_ids"].value,
        serde_json::json!(["subnet-a", "subnet-b"])
    );
    assert_eq!(
        recorded["tags"].value,
        serde_json::json!({"Name": "dev", "cidr": "10.1.0.0/16"})
    );
    assert!(recorded["password"].sensitive);

    // the source's lock does not stop a reader: reading takes no lock
    let holder = rt.block_on(async {
        let store = source.store().await;
        let l = store.lock(&source.stack_name, "apply", None).await.unwrap();
        store.close().await;
        l.info.id
    });
    let reader =
        Workspace::from_files(&[("main.tf", &reader(&source.stack_name, DEFAULTS))], false)
            .sharing_state(&source);
    reader.apply();
    let out = output_json(&reader);
    assert_eq!(out["vpc_id"]["value"], "vpc-0123", "{out}");
    assert_eq!(out["second_subnet"]["value"], "subnet-b", "{out}");
    assert_eq!(out["name"]["value"], "dev", "{out}");
    assert_eq!(out["count_plus_one"]["value"], 4, "{out}");
    assert_eq!(
        out["region"]["value"], "us-east-1",
        "an output the source lacks comes from defaults: {out}"
    );
    let again = reader.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    rt.block_on(async {
        let store = source.store().await;
        store
            .force_unlock(&source.stack_name, &holder)
            .await
            .unwrap();
        store.close().await;
    });

    // a changed output reaches the reader on its next plan
    source.edit("main.tf", "\"vpc-0123\"", "\"vpc-4567\"");
    source.apply();
    early.apply();
    assert_eq!(output_json(&early)["vpc_id"]["value"], "vpc-4567");

    // exported with the stack
    let export = source.run(&["state", "export"]);
    assert_eq!(export.code, 0, "{}", export.all());
    let doc: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    assert_eq!(doc["outputs"].as_array().unwrap().len(), 5, "{doc}");

    // a full destroy leaves the stack without outputs
    let d = source.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    let left = rt.block_on(async {
        let store = source.store().await;
        let o = store.outputs(&source.stack_name).await.unwrap();
        store.close().await;
        o
    });
    assert_eq!(left, Some(Default::default()));
}

#[test]
fn a_stack_that_was_never_applied_is_a_clear_error_without_defaults() {
    let ws = Workspace::from_files(&[("main.tf", &reader("network-prod", ""))], false);
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(!r.stderr.contains("panicked"), "{}", r.all());
    for needle in [
        "data.terraform_remote_state.net",
        "stack `network-prod`",
        &ws.state_path().display().to_string(),
        "apply that stack first, or set `defaults`",
    ] {
        assert!(
            r.stderr.contains(needle),
            "missing {needle:?}:\n{}",
            r.all()
        );
    }
}

#[test]
fn an_unknown_backend_names_the_file_and_line_and_what_is_supported() {
    let text = reader("dev", "").replace(r#"backend = "infra""#, r#"backend = "s3""#);
    let ws = Workspace::from_files(&[("main.tf", &text)], false);
    for cmd in ["validate", "plan"] {
        let r = ws.run(&[cmd]);
        assert_eq!(r.code, 1, "{}", r.all());
        for needle in [
            "main.tf:3:",
            "unsupported backend \"s3\"",
            "backend = \"infra\"",
        ] {
            assert!(
                r.stderr.contains(needle),
                "{cmd}: missing {needle:?}:\n{}",
                r.all()
            );
        }
    }
    // a config without a stack, with a key the backend does not take
    let text = reader("dev", "").replace(r#"stack = "dev""#, r#"bucket = "dev""#);
    let ws = Workspace::from_files(&[("main.tf", &text)], false);
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("unsupported key `bucket`"), "{}", r.all());
    assert!(r.stderr.contains("main.tf:4:"), "{}", r.all());
}

#[test]
fn another_state_file_is_read_by_path_without_being_changed() {
    let source = Workspace::from_files(&[("main.tf", SOURCE)], false);
    source.apply();
    let path = source.state_path();
    let before = std::fs::read(&path).unwrap();
    let text = reader(&source.stack_name, "").replace(
        &format!("stack = \"{}\"", source.stack_name),
        &format!(
            "stack = \"{}\"\n    path  = \"{}\"",
            source.stack_name,
            path.display()
        ),
    );
    let ws = Workspace::from_files(
        &[("main.tf", &text.replace("outputs.region", "outputs.vpc_id"))],
        false,
    );
    ws.apply();
    assert_eq!(output_json(&ws)["vpc_id"]["value"], "vpc-0123");
    assert_eq!(std::fs::read(&path).unwrap(), before, "read-only");

    // a path that does not exist is an error naming it
    let missing = source.dir.path().join("nope.db");
    let text = text.replace(&path.display().to_string(), &missing.display().to_string());
    let ws = Workspace::from_files(&[("main.tf", &text)], false);
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains(&missing.display().to_string()),
        "{}",
        r.all()
    );
    assert!(!missing.exists());
}
