//! What terraform-aws-eks builds around node groups and private clusters: a managed node
//! group on a custom launch template (security groups, an EBS root volume, IMDSv2
//! metadata options, tag specifications, `update_default_version`, the node group on the
//! template's `default_version`), an S3 gateway endpoint on the private route tables and
//! an interface endpoint in the private subnets. Each stack is applied with a create
//! answer lost (adopted, not duplicated), checked with independent EC2 and EKS clients,
//! re-planned clean, updated in place, partly replaced, imported into a fresh state by
//! Terraform's import ids, and destroyed leaving nothing.

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Rule};
use crate::common::{changes, ec2, eks, rt, Workspace};
use crate::faults::{direct, proxy, through};

pub(crate) const NODES: &str = r##"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "volume_size" {
  type    = number
  default = 20
}

variable "spare" {
  type    = string
  default = "a"
}

variable "owner" {
  type    = string
  default = "platform"
}

resource "aws_vpc" "this" {
  cidr_block = "10.73.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_subnet" "this" {
  for_each          = { a = "10.73.1.0/24", b = "10.73.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

resource "aws_security_group" "node" {
  name   = "${var.name}-node"
  vpc_id = aws_vpc.this.id
}

data "aws_iam_policy_document" "assume" {
  for_each = toset(["eks", "ec2"])
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["${each.key}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each           = data.aws_iam_policy_document.assume
  name               = "${var.name}-${each.key}"
  assume_role_policy = each.value.json
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  role_arn = aws_iam_role.this["eks"].arn
  version  = "1.30"
  vpc_config {
    subnet_ids = [for s in aws_subnet.this : s.id]
  }
}

resource "aws_launch_template" "nodes" {
  name_prefix            = "${var.name}-"
  description            = "nodes of ${var.name}"
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.node.id]

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = var.volume_size
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  dynamic "tag_specifications" {
    for_each = toset(["instance", "volume"])
    content {
      resource_type = tag_specifications.key
      tags          = { Name = "${var.name}-node" }
    }
  }

  tags = { owner = var.owner }
}

resource "aws_launch_template" "spare" {
  name          = "${var.name}-spare-${var.spare}"
  instance_type = "t3.small"
  user_data     = base64encode("#!/bin/bash\necho ${var.spare}\n")
  tags          = { owner = var.owner }
}

resource "aws_eks_node_group" "this" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "default"
  node_role_arn   = aws_iam_role.this["ec2"].arn
  subnet_ids      = [for s in aws_subnet.this : s.id]
  scaling_config {
    min_size     = 1
    max_size     = 2
    desired_size = 1
  }
  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.default_version
  }
}
"##;

/// An independent EC2 client's view of the stack's launch templates: name -> (latest
/// version, default version, root volume size of the latest version, owner tag).
async fn templates(stack: &str) -> BTreeMap<String, (i64, i64, i32, String)> {
    let c = ec2().await;
    let listed = c
        .describe_launch_templates()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:infra:stack")
                .values(stack)
                .build(),
        )
        .max_results(200)
        .send()
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for t in listed.launch_templates() {
        let id = t.launch_template_id().unwrap();
        let v = c
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions("$Latest")
            .send()
            .await
            .unwrap();
        let data = v.launch_template_versions()[0].launch_template_data().unwrap();
        let size = data
            .block_device_mappings()
            .first()
            .and_then(|b| b.ebs())
            .and_then(|e| e.volume_size())
            .unwrap_or(0);
        // DescribeTags: the emulator's DescribeLaunchTemplates keeps the creation's tags
        let tags = c
            .describe_tags()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("resource-id")
                    .values(id)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let owner = tags
            .tags()
            .iter()
            .find(|x| x.key() == Some("owner"))
            .and_then(|x| x.value())
            .unwrap_or_default()
            .to_string();
        out.insert(
            t.launch_template_name().unwrap().to_string(),
            (
                t.latest_version_number().unwrap(),
                t.default_version_number().unwrap(),
                size,
                owner,
            ),
        );
    }
    out
}

/// The node group's launch template (id, version) as EKS sees it.
async fn node_group_template(cluster: &str) -> (String, String) {
    let ng = eks()
        .await
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name("default")
        .send()
        .await
        .unwrap();
    let lt = ng.nodegroup().unwrap().launch_template().unwrap().clone();
    (
        lt.id().unwrap_or_default().to_string(),
        lt.version().unwrap_or_default().to_string(),
    )
}

fn actions(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    changes(&ws.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect()
}

/// The `(address, id)` of every managed resource of `ws`.
pub(crate) fn managed(ws: &Workspace) -> Vec<(String, String)> {
    let list = ws.run(&["state", "list", "--json"]);
    assert_eq!(list.code, 0, "{}", list.all());
    let rows: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    rows.iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Import every managed object of `original` into a fresh state of the same stack by its
/// id (Terraform's import id for these types), then the plan must be clean.
pub(crate) fn import_into_copy(original: &Workspace, stack: &str, vars: &str) {
    let copy = Workspace::from_files(&[("main.tf", stack)], true);
    copy.write("test.auto.tfvars", vars);
    for (addr, id) in managed(original) {
        let r = copy.run(&["import", &addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());
}

#[test]
fn node_group_on_a_custom_launch_template_versions_in_place() {
    let ws = Workspace::from_files(&[("main.tf", NODES)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![Rule::action(
            "CreateLaunchTemplate",
            Fault::LoseResponse,
            Some(1),
        )],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        p.stats().injected.get("lost_response"),
        Some(&1),
        "{:?}",
        p.stats()
    );
    let seen = rt().block_on(templates(&name));
    let spare = format!("{name}-spare-a");
    assert_eq!(seen.len(), 2, "one template per address: {seen:?}");
    assert_eq!(seen[&spare], (1, 1, 0, "platform".into()), "{seen:?}");
    let (nodes_name, nodes) = seen.iter().find(|(n, _)| **n != spare).unwrap();
    assert!(nodes_name.starts_with(&format!("{name}-")), "{seen:?}");
    assert_eq!(nodes, &(1, 1, 20, "platform".to_string()));
    let (lt_id, version) = rt().block_on(node_group_template(&name));
    assert!(lt_id.starts_with("lt-"), "{lt_id}");
    assert_eq!(version, "1");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // a bigger root volume is a new template version, made the default, and the node group
    // moves to it in place; the owner tag changes in place
    ws.write(
        "test.auto.tfvars",
        &format!("{vars}volume_size = 40\nowner = \"apps\"\n"),
    );
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    for addr in [
        "aws_launch_template.nodes",
        "aws_launch_template.spare",
        "aws_eks_node_group.this",
    ] {
        assert_eq!(changed.get(addr), Some(&update), "{addr}: {changed:?}");
    }
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(templates(&name));
    assert_eq!(seen[nodes_name], (2, 2, 40, "apps".into()), "{seen:?}");
    assert_eq!(seen[&spare], (1, 1, 0, "apps".into()), "tags only: {seen:?}");
    assert_eq!(rt().block_on(node_group_template(&name)), (lt_id.clone(), "2".into()));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // a new name is a new template
    let vars = format!("{vars}volume_size = 40\nowner = \"apps\"\nspare = \"b\"\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    assert_eq!(
        changed.get("aws_launch_template.spare"),
        Some(&vec!["delete".to_string(), "create".to_string()]),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 1, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(templates(&name));
    assert!(!seen.contains_key(&spare), "{seen:?}");
    assert!(seen.contains_key(&format!("{name}-spare-b")), "{seen:?}");

    import_into_copy(&ws, NODES, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(templates(&name)).is_empty());
    let gone = rt().block_on(async {
        eks()
            .await
            .describe_cluster()
            .name(&name)
            .send()
            .await
            .is_err()
    });
    assert!(gone, "cluster gone");
}
