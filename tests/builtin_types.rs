//! The built-in providers' types (`infra-builtin`) in one stack with an AWS resource on
//! the emulator, the way real configurations use them: `required_providers` and
//! `provider` blocks for null/time/tls/cloudinit/random, a VPC tagged with a `random_id`'s
//! hex, a `null_resource` and a `time_sleep` triggered by the VPC and a variable, a
//! `terraform_data`, a `random_password` that is never printed, and a `cloudinit_config`
//! rendered into an output. Plan, apply (the sleep really sleeps), a clean re-plan, a
//! change of triggers (replacements, random values untouched), and destroy; the VPC is
//! checked with an independent EC2 client.

use aws_sdk_ec2::types::Filter;

use crate::common::{changes, ec2, rt, Workspace};

const STACK: &str = r#"terraform {
  required_providers {
    aws       = { source = "hashicorp/aws", version = ">= 5.0" }
    null      = { source = "hashicorp/null", version = ">= 3.0" }
    time      = { source = "hashicorp/time", version = ">= 0.9" }
    tls       = { source = "hashicorp/tls", version = ">= 3.0" }
    cloudinit = { source = "hashicorp/cloudinit", version = ">= 2.0" }
    random    = { source = "hashicorp/random", version = ">= 3.0" }
  }
}

provider "aws" {
  region = "us-east-1"
}

provider "random" {}
provider "null" {}

variable "name" {
  type = string
}

variable "generation" {
  type    = string
  default = "1"
}

resource "random_id" "suffix" {
  byte_length = 4
  keepers     = { name = var.name }
}

resource "random_string" "tag" {
  length  = 10
  upper   = false
  special = false
}

resource "random_password" "db" {
  length           = 24
  override_special = "_-"
}

resource "aws_vpc" "this" {
  cidr_block = "10.94.0.0/16"
  tags = {
    Name   = "${var.name}-${random_id.suffix.hex}"
    suffix = random_id.suffix.hex
    tag    = random_string.tag.result
  }
}

resource "null_resource" "marker" {
  triggers = {
    vpc        = aws_vpc.this.id
    generation = var.generation
  }
}

resource "time_sleep" "settle" {
  create_duration = "3s"
  triggers = {
    vpc        = aws_vpc.this.id
    generation = var.generation
  }
}

resource "terraform_data" "echo" {
  input            = "vpc ${aws_vpc.this.id}"
  triggers_replace = [var.generation]
}

data "cloudinit_config" "user_data" {
  gzip          = false
  base64_encode = false
  boundary      = "//"

  part {
    content_type = "text/x-shellscript"
    content      = "echo ${random_id.suffix.hex}"
  }
}

output "suffix" {
  value = random_id.suffix.hex
}

output "user_data" {
  value = data.cloudinit_config.user_data.rendered
}

output "echo" {
  value = terraform_data.echo.output
}

output "password" {
  value     = random_password.db.result
  sensitive = true
}
"#;

fn show(ws: &Workspace, address: &str) -> serde_json::Value {
    let r = ws.run(&["state", "show", address, "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    v["attributes"].clone()
}

/// An instance's attributes as the state file holds them (sensitive ones included).
fn stored(ws: &Workspace, address: &str) -> serde_json::Value {
    rt().block_on(async {
        let store = ws.store().await;
        let r = store.resource(&ws.stack_name, address).await.unwrap();
        store.close().await;
        r.unwrap_or_else(|| panic!("{address} is not in the state"))
            .attributes
    })
}

/// The VPCs tagged with this stack, by an independent client: (id, Name tag).
fn vpcs(stack: &str) -> Vec<(String, String)> {
    rt().block_on(async {
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
            .unwrap();
        out.vpcs()
            .iter()
            // the emulator reads filter values as globs: check the tag here too
            .filter(|v| {
                v.tags()
                    .iter()
                    .any(|t| t.key() == Some("infra:stack") && t.value() == Some(stack))
            })
            .map(|v| {
                let name = v
                    .tags()
                    .iter()
                    .find(|t| t.key() == Some("Name"))
                    .and_then(|t| t.value())
                    .unwrap_or_default();
                (v.vpc_id().unwrap_or_default().to_string(), name.to_string())
            })
            .collect()
    })
}

#[test]
fn builtin_types_plan_apply_replan_replace_and_destroy_beside_aws() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));

    let plan = ws.plan_json(&[]);
    let mut planned: Vec<String> = changes(&plan)
        .into_iter()
        .map(|(a, actions)| format!("{a} {}", actions.join(",")))
        .collect();
    planned.sort();
    assert_eq!(
        planned,
        [
            "aws_vpc.this create",
            // its content needs the random suffix: read during apply
            "data.cloudinit_config.user_data read",
            "null_resource.marker create",
            "random_id.suffix create",
            "random_password.db create",
            "random_string.tag create",
            "terraform_data.echo create",
            "time_sleep.settle create",
        ]
    );

    let start = std::time::Instant::now();
    let applied = ws.apply();
    assert!(
        start.elapsed().as_secs() >= 3,
        "time_sleep slept its create_duration"
    );
    let suffix = show(&ws, "random_id.suffix");
    let hex = suffix["hex"].as_str().unwrap().to_string();
    assert_eq!(hex.len(), 8, "{suffix}");
    // `state show` masks it: read the state itself
    let password = stored(&ws, "random_password.db")["result"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(password.len(), 24);
    assert!(
        !applied.all().contains(&password),
        "the password is never printed:\n{}",
        applied.all()
    );
    let tag = show(&ws, "random_string.tag")["result"]
        .as_str()
        .unwrap()
        .to_string();
    let marker = show(&ws, "null_resource.marker");
    let marker_id = marker["id"].as_str().unwrap().to_string();
    assert!(marker_id.parse::<u64>().is_ok(), "{marker}");
    let settle = show(&ws, "time_sleep.settle");
    assert!(settle["id"].as_str().unwrap().ends_with('Z'), "{settle}");

    // the VPC, seen by another client, carries the random suffix
    let seen = vpcs(&name);
    assert_eq!(seen.len(), 1, "{seen:?}");
    let (vpc_id, vpc_name) = seen[0].clone();
    assert_eq!(vpc_name, format!("{name}-{hex}"));
    assert_eq!(marker["triggers"]["vpc"], vpc_id.as_str());
    let vpc = show(&ws, "aws_vpc.this");
    assert_eq!(vpc["tags"]["tag"], tag.as_str());

    let out = ws.run(&["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(out["suffix"]["value"], hex.as_str());
    assert_eq!(out["echo"]["value"], format!("vpc {vpc_id}").as_str());
    // a data source read during apply is recorded with the apply, so `infra output` has it
    let user_data = out["user_data"]["value"].as_str().unwrap_or_default();
    assert!(user_data.contains(&format!("echo {hex}\r\n")), "{out}");
    // nothing to do the second time; random values and ids stay
    let replan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(replan.code, 0, "re-plan is clean:\n{}", replan.all());
    assert!(!replan.all().contains(&password));
    ws.apply();
    assert_eq!(show(&ws, "random_id.suffix")["hex"], hex.as_str());
    assert_eq!(
        stored(&ws, "random_password.db")["result"],
        password.as_str()
    );
    assert_eq!(show(&ws, "null_resource.marker")["id"], marker_id.as_str());
    // the rendered user data, as the cloudinit provider renders it (read during the first
    // apply and recorded then, at plan since)
    let out = ws.run(&["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        out["user_data"]["value"],
        format!(
            "Content-Type: multipart/mixed; boundary=\"//\"\nMIME-Version: 1.0\r\n\r\n--//\r\nContent-Transfer-Encoding: 7bit\r\nContent-Type: text/x-shellscript\r\nMime-Version: 1.0\r\n\r\necho {hex}\r\n--//--\r\n"
        )
        .as_str()
    );

    // a change of triggers replaces what they trigger, and nothing else
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\ngeneration = \"2\"\n"),
    );
    let plan = ws.plan_json(&[]);
    let mut planned: Vec<String> = changes(&plan)
        .into_iter()
        .map(|(a, actions)| format!("{a} {}", actions.join(",")))
        .collect();
    planned.sort();
    assert_eq!(
        planned,
        [
            "null_resource.marker delete,create",
            "terraform_data.echo delete,create",
            "time_sleep.settle delete,create",
        ]
    );
    ws.apply();
    let marker2 = show(&ws, "null_resource.marker");
    assert_ne!(marker2["id"], marker_id.as_str(), "a new null_resource");
    assert_eq!(marker2["triggers"]["generation"], "2");
    assert_eq!(show(&ws, "random_id.suffix")["hex"], hex.as_str());
    assert_eq!(
        stored(&ws, "random_password.db")["result"],
        password.as_str()
    );
    assert_eq!(vpcs(&name), vec![(vpc_id.clone(), vpc_name.clone())]);
    let replan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        replan.code,
        0,
        "clean after the replacement:\n{}",
        replan.all()
    );

    // a new keeper value draws a new suffix, and the VPC's tags follow in place
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}-b\"\ngeneration = \"2\"\n"),
    );
    ws.apply();
    let hex2 = show(&ws, "random_id.suffix")["hex"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(hex2, hex);
    assert_eq!(
        vpcs(&name),
        vec![(vpc_id.clone(), format!("{name}-b-{hex2}"))]
    );

    let destroyed = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{}", destroyed.all());
    assert!(vpcs(&name).is_empty(), "the VPC is gone");
    let left = ws.run(&["state", "list"]);
    assert!(left.stdout.trim().is_empty(), "{}", left.all());
}
