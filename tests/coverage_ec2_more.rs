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
      resource_type = tag_specifications.value
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
        let data = v.launch_template_versions()[0]
            .launch_template_data()
            .unwrap();
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

/// The cloud id of the managed object at `addr` in `ws`'s state.
pub(crate) fn id_of(ws: &Workspace, addr: &str) -> String {
    managed(ws)
        .into_iter()
        .find(|(a, _)| a == addr)
        .map(|(_, id)| id)
        .unwrap_or_else(|| panic!("{addr} in the state"))
}

/// The planned actions of `ws`'s stack by resource address (data sources left out).
pub(crate) fn actions(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    changes(&ws.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
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
    assert_eq!(
        seen[&spare],
        (1, 1, 0, "apps".into()),
        "tags only: {seen:?}"
    );
    assert_eq!(
        rt().block_on(node_group_template(&name)),
        (lt_id.clone(), "2".into())
    );
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

pub(crate) const ENDPOINTS: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "gateway_tables" {
  type    = list(string)
  default = ["a"]
}

variable "interface_subnets" {
  type    = list(string)
  default = ["a"]
}

variable "s3_actions" {
  type    = list(string)
  default = ["s3:GetObject"]
}

variable "registry" {
  type    = string
  default = "api"
}

resource "aws_vpc" "this" {
  cidr_block           = "10.74.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}

resource "aws_subnet" "private" {
  for_each          = { a = "10.74.1.0/24", b = "10.74.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

resource "aws_route_table" "private" {
  for_each = aws_subnet.private
  vpc_id   = aws_vpc.this.id
  tags     = { Name = "${var.name}-${each.key}" }
}

resource "aws_route_table_association" "private" {
  for_each       = aws_subnet.private
  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[each.key].id
}

resource "aws_security_group" "endpoints" {
  name   = "${var.name}-endpoints"
  vpc_id = aws_vpc.this.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.this.cidr_block]
  }
}

data "aws_iam_policy_document" "s3" {
  statement {
    actions   = var.s3_actions
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.us-east-1.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for k in var.gateway_tables : aws_route_table.private[k].id]
  policy            = data.aws_iam_policy_document.s3.json
  tags              = { Name = "${var.name}-s3" }
}

resource "aws_vpc_endpoint" "ecr" {
  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.us-east-1.ecr.${var.registry}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [for k in var.interface_subnets : aws_subnet.private[k].id]
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  tags                = { Name = "${var.name}-ecr" }
}
"#;

/// What an independent EC2 client sees of the VPC's endpoints: service -> (type, route
/// tables, subnets, security group count, private DNS, whether the policy allows
/// s3:PutObject).
type Endpoints = BTreeMap<String, (String, usize, usize, usize, bool, bool)>;

async fn endpoints(vpc: &str) -> Endpoints {
    let out = ec2()
        .await
        .describe_vpc_endpoints()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.vpc_endpoints()
        .iter()
        .filter(|e| {
            !matches!(
                e.state()
                    .map(|s| s.as_str().to_ascii_lowercase())
                    .as_deref(),
                Some("deleted" | "deleting")
            )
        })
        .map(|e| {
            (
                e.service_name()
                    .unwrap()
                    .rsplit("us-east-1.")
                    .next()
                    .unwrap()
                    .to_string(),
                (
                    e.vpc_endpoint_type().unwrap().as_str().to_string(),
                    e.route_table_ids().len(),
                    e.subnet_ids().len(),
                    e.groups().len(),
                    // the emulator answers true for gateway endpoints too (AWS: false)
                    e.vpc_endpoint_type().map(|t| t.as_str()) == Some("Interface")
                        && e.private_dns_enabled().unwrap_or(false),
                    e.policy_document()
                        .unwrap_or_default()
                        .contains("s3:PutObject"),
                ),
            )
        })
        .collect()
}

fn state_id(ws: &Workspace, addr: &str) -> String {
    managed(ws)
        .into_iter()
        .find(|(a, _)| a == addr)
        .map(|(_, id)| id)
        .unwrap_or_else(|| panic!("{addr} in the state"))
}

#[test]
fn gateway_and_interface_endpoints_modify_in_place() {
    let ws = Workspace::from_files(&[("main.tf", ENDPOINTS)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![Rule::action(
            "CreateVpcEndpoint",
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
    let vpc = state_id(&ws, "aws_vpc.this");
    let want = |tables: usize, subnets: usize, put: bool, registry: &str| -> Endpoints {
        [
            (
                "s3".to_string(),
                ("Gateway".to_string(), tables, 0, 0, false, put),
            ),
            (
                format!("ecr.{registry}"),
                ("Interface".to_string(), 0, subnets, 1, true, false),
            ),
        ]
        .into_iter()
        .collect()
    };
    assert_eq!(rt().block_on(endpoints(&vpc)), want(1, 1, false, "api"));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // another route table and subnet, and a wider policy: ModifyVpcEndpoint, in place
    let vars = format!("{vars}gateway_tables = [\"a\", \"b\"]\ninterface_subnets = [\"a\", \"b\"]\ns3_actions = [\"s3:GetObject\", \"s3:PutObject\"]\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    assert_eq!(
        changed.get("aws_vpc_endpoint.s3"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_vpc_endpoint.ecr"),
        Some(&update),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(rt().block_on(endpoints(&vpc)), want(2, 2, true, "api"));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // and back: a route table and a subnet removed
    let vars = format!("name = \"{name}\"\ns3_actions = [\"s3:GetObject\", \"s3:PutObject\"]\n");
    ws.write("test.auto.tfvars", &vars);
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(rt().block_on(endpoints(&vpc)), want(1, 1, true, "api"));

    // another service is another endpoint
    let vars = format!("{vars}registry = \"dkr\"\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    assert_eq!(
        changed.get("aws_vpc_endpoint.ecr"),
        Some(&vec!["delete".to_string(), "create".to_string()]),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(rt().block_on(endpoints(&vpc)), want(1, 1, true, "dkr"));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_into_copy(&ws, ENDPOINTS, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(endpoints(&vpc)).is_empty());
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}
