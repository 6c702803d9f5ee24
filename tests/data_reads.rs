//! Data sources whose arguments name what the same plan changes are read during apply,
//! after the change, as Terraform does: a policy document built from a VPC's ARN and
//! tags follows the VPC through an in-place tag change and a replacement in one apply
//! each, and the next plan is clean. Checked with independent IAM and EC2 clients.

use crate::common::{rt, sdk_config, Workspace};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "label" {
  type    = string
  default = "one"
}

variable "cidr" {
  type    = string
  default = "10.81.0.0/16"
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
  tags       = { Name = "${var.name}-${var.label}" }
}

data "aws_iam_policy_document" "vpc" {
  statement {
    sid       = "Vpc"
    actions   = ["ec2:DescribeVpcs"]
    resources = [aws_vpc.this.arn]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Name"
      values   = [aws_vpc.this.tags["Name"]]
    }
  }
}

resource "aws_iam_policy" "vpc" {
  name   = var.name
  policy = data.aws_iam_policy_document.vpc.json
}

# known at plan (the VPC's configured CIDR) but not before it (no VPC in the state yet):
# read during apply too, as terraform-aws-eks's add-on versions read with the cluster's
data "aws_iam_policy_document" "cidr" {
  statement {
    sid       = "Cidr"
    actions   = ["ec2:DescribeVpcs"]
    resources = ["arn:aws:ec2:us-east-1:000000000000:vpc/${replace(aws_vpc.this.cidr_block, "/", "-")}"]
  }
}

resource "aws_iam_policy" "cidr" {
  name   = "${var.name}-cidr"
  policy = data.aws_iam_policy_document.cidr.json
}
"#;

fn workspace() -> Workspace {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    ws
}

/// The stack's VPC (found by its Name tag) and its policy's document, as an independent
/// client sees them: (the VPC's id, the document's Resource, its tag condition).
fn seen(name: &str, label: &str) -> (String, String, String) {
    rt().block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&sdk_config());
        let vpcs = ec2
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:Name")
                    .values(format!("{name}-{label}"))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let vpc: Vec<String> = vpcs
            .vpcs()
            .iter()
            .filter(|v| {
                v.tags().iter().any(|t| {
                    t.key() == Some("Name") && t.value() == Some(&format!("{name}-{label}"))
                })
            })
            .map(|v| v.vpc_id().unwrap().to_string())
            .collect();
        assert_eq!(vpc.len(), 1, "one VPC named {name}-{label}: {vpc:?}");
        let json = policy_document(name).await;
        let st = &json["Statement"][0];
        (
            vpc[0].clone(),
            st["Resource"].as_str().unwrap_or_default().to_string(),
            st["Condition"]["StringEquals"]["aws:ResourceTag/Name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    })
}

/// The first statement's Resource of the policy named `policy`, as IAM answers it.
fn policy_resource(policy: &str) -> String {
    rt().block_on(async {
        policy_document(policy).await["Statement"][0]["Resource"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    })
}

/// The default version's document of the policy named `policy`, as IAM answers it.
async fn policy_document(policy: &str) -> serde_json::Value {
    let iam = aws_sdk_iam::Client::new(&sdk_config());
    let arn = format!("arn:aws:iam::000000000000:policy/{policy}");
    let p = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    let version = p
        .policy()
        .unwrap()
        .default_version_id()
        .unwrap()
        .to_string();
    let v = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id(version)
        .send()
        .await
        .unwrap();
    let doc = decode(v.policy_version().unwrap().document().unwrap());
    serde_json::from_str(&doc).unwrap()
}

/// IAM answers documents URL-encoded.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn actions_of(plan: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    crate::common::changes(plan)
}

fn assert_clean(ws: &Workspace) {
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "the plan is clean:\n{}", r.all());
}

#[test]
fn a_policy_document_naming_a_changed_vpc_is_read_again_during_apply() {
    let ws = workspace();
    let name = ws.stack_name.clone();
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (vpc, resource, tag) = seen(&name, "one");
    assert_eq!(
        policy_resource(&format!("{name}-cidr")),
        "arn:aws:ec2:us-east-1:000000000000:vpc/10.81.0.0-16"
    );
    assert!(
        resource.ends_with(&format!("vpc/{vpc}")),
        "{resource} names {vpc}"
    );
    assert_eq!(tag, format!("{name}-one"));
    assert_clean(&ws);

    // an in-place change the plan knows: the document was read before planning with the
    // old tag, so it is read again during apply with the new one
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\nlabel = \"two\"\n"),
    );
    let plan = ws.plan_json(&[]);
    let changes = actions_of(&plan);
    assert!(
        changes.contains(&(
            "data.aws_iam_policy_document.vpc".into(),
            vec!["read".into()]
        )),
        "{changes:?}"
    );
    assert!(
        changes.contains(&("aws_iam_policy.vpc".into(), vec!["update".into()])),
        "{changes:?}"
    );
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (same_vpc, _, tag) = seen(&name, "two");
    assert_eq!(same_vpc, vpc, "a tag change keeps the VPC");
    assert_eq!(
        tag,
        format!("{name}-two"),
        "the policy follows the tag in the same apply"
    );
    assert_clean(&ws);

    // a replacement: the new VPC's ARN is known only after apply
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\nlabel = \"two\"\ncidr = \"10.82.0.0/16\"\n"),
    );
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (new_vpc, resource, _) = seen(&name, "two");
    assert_ne!(new_vpc, vpc, "the VPC was replaced");
    assert!(
        resource.ends_with(&format!("vpc/{new_vpc}")),
        "the policy names the new VPC in the same apply: {resource} vs {new_vpc}"
    );
    assert_clean(&ws);

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
}
