//! An interface endpoint's addresses chosen with `subnet_configuration`, as
//! terraform-aws-vpc's `complete` example sets them for its `ecs` endpoint: created with
//! them, re-planned clean, moved in place (a new address, a second subnet with its own),
//! and destroyed, checked with an independent EC2 client on the endpoint's network
//! interfaces. Needs localstack/localstack_patches.py (LocalStack ignores
//! SubnetConfigurations; see localstack/README.md).

use std::collections::BTreeMap;

use crate::common::{changes, ec2, rt, Workspace};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "addresses" {
  type    = map(string)
  default = { a = "10.84.1.10" }
}

resource "aws_vpc" "this" {
  cidr_block           = "10.84.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}

resource "aws_subnet" "this" {
  for_each          = { a = "10.84.1.0/24", b = "10.84.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = each.key == "a" ? "us-east-1a" : "us-east-1b"
}

resource "aws_vpc_endpoint" "ecs" {
  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.us-east-1.ecs"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [for k, _ in var.addresses : aws_subnet.this[k].id]
  private_dns_enabled = true

  dynamic "subnet_configuration" {
    for_each = var.addresses
    content {
      ipv4      = subnet_configuration.value
      subnet_id = aws_subnet.this[subnet_configuration.key].id
    }
  }
  tags = { Name = "${var.name}-ecs" }
}
"#;

fn workspace() -> Workspace {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    ws
}

/// subnet CIDR -> the endpoint's interface address there, as EC2 answers (None: no
/// endpoint tagged with the stack's name).
fn addresses(name: &str) -> Option<BTreeMap<String, String>> {
    rt().block_on(async {
        let ec2 = ec2().await;
        let eps = ec2.describe_vpc_endpoints().send().await.unwrap();
        // a deleted endpoint is still described for a while (state `deleted`), on AWS too
        let ep = eps.vpc_endpoints().iter().find(|e| {
            e.state().map(|s| s.as_str().to_ascii_lowercase()) != Some("deleted".into())
                && e.tags().iter().any(|t| {
                    t.key() == Some("Name") && t.value() == Some(format!("{name}-ecs").as_str())
                })
        })?;
        let mut out = BTreeMap::new();
        if ep.network_interface_ids().is_empty() {
            return Some(out);
        }
        let enis = ec2
            .describe_network_interfaces()
            .set_network_interface_ids(Some(ep.network_interface_ids().to_vec()))
            .send()
            .await
            .unwrap();
        for eni in enis.network_interfaces() {
            let subnet = ec2
                .describe_subnets()
                .subnet_ids(eni.subnet_id().unwrap())
                .send()
                .await
                .unwrap();
            out.insert(
                subnet.subnets()[0].cidr_block().unwrap().to_string(),
                eni.private_ip_address().unwrap().to_string(),
            );
        }
        Some(out)
    })
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn assert_clean(ws: &Workspace) {
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "the plan is clean:\n{}", r.all());
}

#[test]
fn interface_endpoint_addresses_are_created_moved_and_added_in_place() {
    let ws = workspace();
    let name = ws.stack_name.clone();
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        addresses(&name),
        Some(map(&[("10.84.1.0/24", "10.84.1.10")]))
    );
    assert_clean(&ws);

    // a new address, and a second subnet with its own: in place
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\naddresses = {{ a = \"10.84.1.11\", b = \"10.84.2.20\" }}\n"),
    );
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(
            "aws_vpc_endpoint.ecs".to_string(),
            vec!["update".to_string()]
        )]
    );
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        addresses(&name),
        Some(map(&[
            ("10.84.1.0/24", "10.84.1.11"),
            ("10.84.2.0/24", "10.84.2.20")
        ]))
    );
    assert_clean(&ws);

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(addresses(&name), None, "the endpoint is gone");
}
