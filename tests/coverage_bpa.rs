//! What terraform-aws-vpc's `block-public-access` example builds: the region's VPC Block
//! Public Access mode (`aws_vpc_block_public_access_options`) and exclusions of a VPC and
//! of a subnet (`aws_vpc_block_public_access_exclusion`). Applied with a create answer lost
//! (adopted, not duplicated), checked with an independent EC2 client, re-planned clean,
//! changed in place (modes, tags), replaced (another subnet), imported into a fresh state
//! by Terraform's import ids, and destroyed: the mode is `off` again and no exclusion of the
//! stack is left.
//!
//! The options are one setting per account and region: this is the only test that sets
//! them (the emulator's BPA blocks no traffic, so no other test notices).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Tag;

use crate::common::proxy::Match;
use crate::common::{ec2, rt, Workspace};
use crate::coverage_ec2_more::{actions, id_of, import_into_copy};
use crate::faults::{apply_losing_one_answer, direct};

const BPA: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "block_mode" {
  type    = string
  default = "block-bidirectional"
}

variable "vpc_mode" {
  type    = string
  default = "allow-bidirectional"
}

variable "excluded_subnet" {
  type    = number
  default = 0
}

variable "team" {
  type    = string
  default = "net"
}

resource "aws_vpc" "this" {
  cidr_block = "10.86.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
}

resource "aws_vpc_block_public_access_options" "this" {
  internet_gateway_block_mode = var.block_mode
}

resource "aws_vpc_block_public_access_exclusion" "this" {
  for_each = {
    exclude_vpc    = { exclude_vpc = true, mode = var.vpc_mode }
    exclude_subnet = { exclude_subnet = true, mode = "allow-egress" }
  }

  vpc_id    = try(each.value.exclude_vpc, false) ? aws_vpc.this.id : null
  subnet_id = try(each.value.exclude_subnet, false) ? aws_subnet.private[var.excluded_subnet].id : null

  internet_gateway_exclusion_mode = each.value.mode

  tags = { Name = "${var.name}-${each.key}", team = var.team }
}
"#;

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// An independent EC2 client's view: the region's block mode, and the stack's live
/// exclusions (address -> (excluded resource ARN, mode, team tag)); two live exclusions
/// with one address (a duplicate) fail the test.
async fn seen(stack: &str) -> (String, BTreeMap<String, (String, String, String)>) {
    let c = ec2().await;
    let options = c
        .describe_vpc_block_public_access_options()
        .send()
        .await
        .unwrap();
    let mode = options
        .vpc_block_public_access_options()
        .and_then(|o| o.internet_gateway_block_mode())
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let all = c
        .describe_vpc_block_public_access_exclusions()
        .send()
        .await
        .unwrap();
    let live: Vec<_> = all
        .vpc_block_public_access_exclusions()
        .iter()
        .filter(|e| tag(e.tags(), "infra:stack") == Some(stack))
        .filter(|e| e.state().map(|s| s.as_str()) != Some("delete-complete"))
        .map(|e| {
            (
                tag(e.tags(), "infra:address").unwrap().to_string(),
                (
                    e.resource_arn().unwrap_or_default().to_string(),
                    e.internet_gateway_exclusion_mode()
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_default(),
                    tag(e.tags(), "team").unwrap_or_default().to_string(),
                ),
            )
        })
        .collect();
    let exclusions: BTreeMap<_, _> = live.iter().cloned().collect();
    assert_eq!(
        exclusions.len(),
        live.len(),
        "a duplicate exclusion: {live:?}"
    );
    (mode, exclusions)
}

#[test]
fn block_public_access_options_and_exclusions() {
    let ws = Workspace::from_files(&[("main.tf", BPA)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    apply_losing_one_answer(
        &ws,
        Match {
            action: Some("CreateVpcBlockPublicAccessExclusion".into()),
            ..Match::default()
        },
    );
    let vpc_x = "aws_vpc_block_public_access_exclusion.this[\"exclude_vpc\"]".to_string();
    let subnet_x = "aws_vpc_block_public_access_exclusion.this[\"exclude_subnet\"]".to_string();
    let arn = |kind: &str, id: String| format!("arn:aws:ec2:us-east-1:000000000000:{kind}/{id}");
    let vpc_arn = arn("vpc", id_of(&ws, "aws_vpc.this"));
    let subnet_arn = |i: usize| arn("subnet", id_of(&ws, &format!("aws_subnet.private[{i}]")));
    let (mode, exclusions) = rt().block_on(seen(&name));
    assert_eq!(mode, "block-bidirectional");
    assert_eq!(
        exclusions.len(),
        2,
        "one exclusion per address: {exclusions:?}"
    );
    assert_eq!(
        exclusions[&vpc_x],
        (vpc_arn.clone(), "allow-bidirectional".into(), "net".into())
    );
    assert_eq!(
        exclusions[&subnet_x],
        (subnet_arn(0), "allow-egress".into(), "net".into())
    );
    let options_id = id_of(&ws, "aws_vpc_block_public_access_options.this");
    assert_eq!(options_id, "us-east-1", "Terraform's id: the region");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // modes and tags change in place
    let vars = format!(
        "{vars}block_mode = \"block-ingress\"\nvpc_mode = \"allow-egress\"\nteam = \"edge\"\n"
    );
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    for addr in [
        "aws_vpc_block_public_access_options.this",
        vpc_x.as_str(),
        subnet_x.as_str(),
    ] {
        assert_eq!(changed.get(addr), Some(&update), "{addr}: {changed:?}");
    }
    assert_eq!(changed.len(), 3, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (mode, exclusions) = rt().block_on(seen(&name));
    assert_eq!(mode, "block-ingress");
    assert_eq!(
        exclusions[&vpc_x],
        (vpc_arn, "allow-egress".into(), "edge".into())
    );
    assert_eq!(exclusions[&subnet_x].2, "edge");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // another subnet is another exclusion
    let old = id_of(&ws, &subnet_x);
    let vars = format!("{vars}excluded_subnet = 1\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    assert_eq!(
        changed.get(&subnet_x),
        Some(&vec!["delete".to_string(), "create".to_string()]),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 1, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (_, exclusions) = rt().block_on(seen(&name));
    assert_eq!(exclusions[&subnet_x].0, subnet_arn(1));
    assert_eq!(exclusions.len(), 2, "{exclusions:?}");
    assert_ne!(id_of(&ws, &subnet_x), old);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_into_copy(&ws, BPA, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let (mode, exclusions) = rt().block_on(seen(&name));
    assert_eq!(mode, "off", "destroy sets the mode back to off");
    assert!(exclusions.is_empty(), "{exclusions:?}");
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}
