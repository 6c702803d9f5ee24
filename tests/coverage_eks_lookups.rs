//! What the EKS module reads and tags around its node groups: `data "aws_subnet"` (by id
//! and by filter), `data "aws_availability_zones"` with a filter and exclusions,
//! `data "aws_iam_session_context"` (an assumed-role ARN and a plain one),
//! `aws_iam_policy_document` with source and override documents, and `aws_ec2_tag` on a
//! security group infra does not manage: created, changed in place, deleted, imported by
//! `RESOURCEID,KEY`, destroyed, a lost create answer adopted, each step checked with an independent EC2 client.

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Rule};
use crate::common::{changes, ec2, rt, Workspace};
use crate::coverage_ec2_more::managed;
use crate::faults::{direct, proxy, through};

const LOOKUPS: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "group_id" {
  type = string
}

variable "tags" {
  type = map(string)
}

resource "aws_vpc" "this" {
  cidr_block = "10.78.0.0/16"
}

resource "aws_subnet" "this" {
  vpc_id            = aws_vpc.this.id
  cidr_block        = "10.78.1.0/24"
  availability_zone = "us-east-1b"
  tags              = { Name = var.name, tier = "nodes" }
}

resource "aws_iam_role" "admin" {
  name = "${var.name}-admin"
  path = "/teams/"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

data "aws_caller_identity" "current" {}

data "aws_iam_session_context" "assumed" {
  arn = "arn:aws:sts::${data.aws_caller_identity.current.account_id}:assumed-role/${aws_iam_role.admin.name}/jane"
}

data "aws_iam_session_context" "plain" {
  arn = data.aws_caller_identity.current.arn
}

data "aws_subnet" "by_id" {
  id = aws_subnet.this.id
}

data "aws_subnet" "by_filter" {
  vpc_id = aws_vpc.this.id
  filter {
    name   = "tag:tier"
    values = ["nodes"]
  }
  depends_on = [aws_subnet.this]
}

data "aws_availability_zones" "available" {
  exclude_names = ["us-east-1a"]
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Root"
    actions   = ["kms:*"]
    resources = ["*"]
  }
  statement {
    sid       = "Use"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "merged" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [jsonencode({
    Statement = [{ Sid = "Use", Effect = "Deny", Action = "kms:Decrypt", Resource = "*" }]
  })]
  statement {
    sid       = "Admin"
    actions   = ["kms:Create*"]
    resources = ["*"]
  }
}

resource "aws_ec2_tag" "this" {
  for_each    = var.tags
  resource_id = var.group_id
  key         = each.key
  value       = each.value
}

output "subnet_by_id" {
  value = data.aws_subnet.by_id
}

output "subnet_by_filter" {
  value = data.aws_subnet.by_filter.id
}

output "zones" {
  value = data.aws_availability_zones.available.names
}

output "assumed" {
  value = data.aws_iam_session_context.assumed
}

output "plain" {
  value = data.aws_iam_session_context.plain
}

output "caller" {
  value = data.aws_caller_identity.current.arn
}

output "role_arn" {
  value = aws_iam_role.admin.arn
}

output "policy" {
  value = data.aws_iam_policy_document.merged.minified_json
}
"#;

async fn group_tags(group: &str) -> BTreeMap<String, String> {
    let out = ec2()
        .await
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(group)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.tags()
        .iter()
        .filter(|t| t.resource_id() == Some(group))
        .map(|t| {
            (
                t.key().unwrap().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn outputs(ws: &Workspace) -> serde_json::Value {
    let out = direct(ws, &["output", "--json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut m = serde_json::Map::new();
    for (k, x) in v.as_object().unwrap() {
        m.insert(k.clone(), x.get("value").cloned().unwrap_or(x.clone()));
    }
    serde_json::Value::Object(m)
}

#[test]
fn node_lookups_and_ec2_tags() {
    let ws = Workspace::from_files(&[("main.tf", LOOKUPS)], true);
    let name = ws.stack_name.clone();
    // a security group infra does not manage, as the EKS cluster's own group
    let group = rt().block_on(async {
        let c = ec2().await;
        let vpc = c
            .create_vpc()
            .cidr_block("10.79.0.0/16")
            .send()
            .await
            .unwrap();
        let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
        let g = c
            .create_security_group()
            .group_name(format!("{name}-cluster"))
            .description("cluster")
            .vpc_id(&vpc_id)
            .send()
            .await
            .unwrap();
        (vpc_id, g.group_id().unwrap().to_string())
    });
    let (outside_vpc, sg) = group;
    let vars = |tags: &str| format!("name = \"{name}\"\ngroup_id = \"{sg}\"\ntags = {tags}\n");
    ws.write("test.auto.tfvars", &vars(r#"{ team = "a", env = "x" }"#));
    // one CreateTags answer is lost: the tag is found on the group and adopted
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![Rule::action("CreateTags", Fault::LoseResponse, Some(1))],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        p.stats().injected.get("lost_response"),
        Some(&1),
        "{:?}",
        p.stats()
    );
    let want: BTreeMap<String, String> = [("env", "x"), ("team", "a")]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
    assert_eq!(rt().block_on(group_tags(&sg)), want);

    // outputs made of data sources read during the first apply are recorded as null by
    // that apply, and the next plan offers to record them (an engine limitation, not
    // these data sources'): a second apply changes nothing in the cloud and records them
    let again = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        !again.stdout.contains("will be created"),
        "{}",
        again.stdout
    );
    let o = outputs(&ws);
    let subnet = &o["subnet_by_id"];
    assert_eq!(subnet["cidr_block"], "10.78.1.0/24");
    assert_eq!(subnet["availability_zone"], "us-east-1b");
    assert_eq!(subnet["tags"]["tier"], "nodes");
    assert!(subnet["vpc_id"].as_str().unwrap().starts_with("vpc-"));
    assert!(subnet["available_ip_address_count"].as_f64().unwrap() > 0.0);
    assert_eq!(o["subnet_by_filter"], subnet["id"]);
    let zones: Vec<&str> = o["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z.as_str().unwrap())
        .collect();
    assert!(
        !zones.is_empty() && !zones.contains(&"us-east-1a"),
        "{zones:?}"
    );
    assert_eq!(o["assumed"]["issuer_arn"], o["role_arn"]);
    assert!(o["role_arn"].as_str().unwrap().contains(":role/teams/"));
    assert_eq!(o["assumed"]["issuer_name"], format!("{name}-admin"));
    assert_eq!(o["assumed"]["session_name"], "jane");
    assert!(o["assumed"]["issuer_id"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(o["plain"]["issuer_arn"], o["caller"]);
    assert_eq!(o["plain"]["session_name"], "");
    assert_eq!(
        o["policy"],
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Action":"kms:*","Resource":"*"},{"Sid":"Use","Effect":"Deny","Action":"kms:Decrypt","Resource":"*"},{"Sid":"Admin","Effect":"Allow","Action":"kms:Create*","Resource":"*"}]}"#
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // a new value in place, a removed key deleted
    ws.write("test.auto.tfvars", &vars(r#"{ team = "b" }"#));
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply.stdout.contains("1 changed") && apply.stdout.contains("1 destroyed"),
        "{}",
        apply.stdout
    );
    let want: BTreeMap<String, String> = [("team".to_string(), "b".to_string())].into();
    assert_eq!(rt().block_on(group_tags(&sg)), want);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // import by Terraform's ids into a fresh state: no resource changes (a fresh state
    // has no outputs recorded, so the plan offers to record them)
    let copy = Workspace::from_files(&[("main.tf", LOOKUPS)], true);
    copy.write("test.auto.tfvars", &vars(r#"{ team = "b" }"#));
    for (addr, id) in managed(&ws) {
        let r = copy.run(&["import", &addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    assert_eq!(
        copy.run(&["state", "show", "aws_ec2_tag.this[\"team\"]"])
            .code,
        0
    );
    let after: Vec<_> = changes(&copy.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect();
    assert!(after.is_empty(), "clean after import: {after:?}");

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(group_tags(&sg)).is_empty());
    rt().block_on(async {
        let c = ec2().await;
        c.delete_security_group()
            .group_id(&sg)
            .send()
            .await
            .unwrap();
        c.delete_vpc().vpc_id(&outside_vpc).send().await.unwrap();
    });
}
