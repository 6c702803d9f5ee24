//! What terraform-aws-vpc's `ipam` example builds: an IPAM (`aws_vpc_ipam`), an IPv4 pool in
//! its private default scope (`aws_vpc_ipam_pool`), CIDRs provisioned to the pool
//! (`aws_vpc_ipam_pool_cidr`), a preview of the next block (`aws_vpc_ipam_preview_next_cidr`)
//! and a VPC that takes that block from the pool. Applied with a create answer lost (adopted,
//! not duplicated), checked with an independent EC2 client (the pool's CIDRs and its
//! allocations: the VPC's block is the previewed one), re-planned clean, changed in place
//! (operating regions, description, tags), replaced (a pool CIDR, its Provision answer lost;
//! the preview and the VPC with another netmask: the old block is released), imported into
//! a fresh state by Terraform's import ids, and destroyed: nothing of the stack is left.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, Tag};

use crate::common::proxy::Match;
use crate::common::{ec2, rt, Workspace};
use crate::coverage_ec2_more::{actions, id_of, managed};
use crate::faults::{apply_losing_one_answer, direct};

const IPAM: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "regions" {
  type    = list(string)
  default = ["us-east-1"]
}

variable "description" {
  type    = string
  default = "vpcs"
}

variable "team" {
  type    = string
  default = "net"
}

variable "spare_cidr" {
  type    = string
  default = "10.95.0.0/16"
}

variable "netmask" {
  type    = number
  default = 24
}

resource "aws_vpc_ipam" "this" {
  description = var.name

  dynamic "operating_regions" {
    for_each = var.regions
    content {
      region_name = operating_regions.value
    }
  }

  tags = { Name = var.name, team = var.team }
}

resource "aws_vpc_ipam_pool" "this" {
  address_family                    = "ipv4"
  ipam_scope_id                     = aws_vpc_ipam.this.private_default_scope_id
  locale                            = "us-east-1"
  description                       = var.description
  allocation_default_netmask_length = 24

  tags = { Name = var.name, team = var.team }
}

resource "aws_vpc_ipam_pool_cidr" "this" {
  ipam_pool_id = aws_vpc_ipam_pool.this.id
  cidr         = "10.90.0.0/16"
}

resource "aws_vpc_ipam_pool_cidr" "spare" {
  ipam_pool_id = aws_vpc_ipam_pool.this.id
  cidr         = var.spare_cidr
}

resource "aws_vpc_ipam_preview_next_cidr" "this" {
  ipam_pool_id   = aws_vpc_ipam_pool.this.id
  netmask_length = var.netmask

  depends_on = [aws_vpc_ipam_pool_cidr.this, aws_vpc_ipam_pool_cidr.spare]
}

resource "aws_vpc" "this" {
  ipv4_ipam_pool_id   = aws_vpc_ipam_pool.this.id
  ipv4_netmask_length = var.netmask
  tags                = { Name = var.name }

  # after the preview, so that the VPC's block is the previewed one
  depends_on = [aws_vpc_ipam_preview_next_cidr.this]
}

output "preview" {
  value = aws_vpc_ipam_preview_next_cidr.this.cidr
}
"#;

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// An independent EC2 client's view of the stack's IPAM objects.
#[derive(Debug, Default)]
struct Seen {
    /// (description, operating regions, team tag) of each IPAM of the stack
    ipams: Vec<(String, BTreeSet<String>, String)>,
    /// (id, description, team tag) of each pool of the stack
    pools: Vec<(String, String, String)>,
    /// the provisioned (or pending) CIDRs of the stack's pool
    cidrs: BTreeSet<String>,
    /// (resource id, cidr) of the pool's allocations
    allocations: BTreeSet<(String, String)>,
}

async fn seen(stack: &str) -> Seen {
    let c = ec2().await;
    let mine = Filter::builder()
        .name("tag:infra:stack")
        .values(stack)
        .build();
    let mut out = Seen::default();
    let ipams = c
        .describe_ipams()
        .filters(mine.clone())
        .send()
        .await
        .unwrap();
    for i in ipams.ipams() {
        out.ipams.push((
            i.description().unwrap_or_default().to_string(),
            i.operating_regions()
                .iter()
                .filter_map(|r| r.region_name().map(str::to_string))
                .collect(),
            tag(i.tags(), "team").unwrap_or_default().to_string(),
        ));
    }
    let pools = c.describe_ipam_pools().filters(mine).send().await.unwrap();
    for p in pools.ipam_pools() {
        let id = p.ipam_pool_id().unwrap().to_string();
        out.pools.push((
            id.clone(),
            p.description().unwrap_or_default().to_string(),
            tag(p.tags(), "team").unwrap_or_default().to_string(),
        ));
        let cidrs = c
            .get_ipam_pool_cidrs()
            .ipam_pool_id(&id)
            .send()
            .await
            .unwrap();
        for x in cidrs.ipam_pool_cidrs() {
            let state = x.state().map(|s| s.as_str()).unwrap_or_default();
            if matches!(state, "provisioned" | "pending-provision") {
                out.cidrs.insert(x.cidr().unwrap().to_string());
            }
        }
        let allocations = c
            .get_ipam_pool_allocations()
            .ipam_pool_id(&id)
            .send()
            .await
            .unwrap();
        for a in allocations.ipam_pool_allocations() {
            out.allocations.insert((
                a.resource_id().unwrap_or_default().to_string(),
                a.cidr().unwrap_or_default().to_string(),
            ));
        }
    }
    out
}

fn output(ws: &Workspace, name: &str) -> String {
    let r = direct(ws, &["output", name, "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    r.stdout.trim().trim_matches('"').to_string()
}

fn vpc_cidr(vpc: &str) -> String {
    rt().block_on(async {
        let c = ec2().await;
        let out = c.describe_vpcs().vpc_ids(vpc).send().await.unwrap();
        out.vpcs()[0].cidr_block().unwrap().to_string()
    })
}

/// Import every managed object of `original` into a fresh state of the same stack by its
/// id (Terraform's import id for these types), what a configuration refers to first: the
/// VPC's `ipv4_ipam_pool_id` is not reported by DescribeVpcs, so it comes from the
/// configuration, which knows it once the pool is in the state (as an `import` block's
/// walk orders it). Then the plan must be clean.
fn import_in_dependency_order(original: &Workspace, vars: &str) {
    let copy = Workspace::from_files(&[("main.tf", IPAM)], true);
    copy.write("test.auto.tfvars", vars);
    let order = [
        "aws_vpc_ipam.",
        "aws_vpc_ipam_pool.",
        "aws_vpc_ipam_pool_cidr.",
        "aws_vpc_ipam_preview_next_cidr.",
        "aws_vpc.",
    ];
    let mut all = managed(original);
    all.sort_by_key(|(addr, _)| order.iter().position(|p| addr.starts_with(p)));
    assert_eq!(all.len(), 6, "{all:?}");
    for (addr, id) in all {
        let r = copy.run(&["import", &addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());
}

fn cidrs(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn ipam_pools_cidrs_previews_and_a_vpc_from_a_pool() {
    let ws = Workspace::from_files(&[("main.tf", IPAM)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    apply_losing_one_answer(
        &ws,
        Match {
            action: Some("CreateIpamPool".into()),
            ..Match::default()
        },
    );
    let s = rt().block_on(seen(&name));
    assert_eq!(
        s.ipams,
        vec![(name.clone(), cidrs(&["us-east-1"]), "net".into())],
        "one IPAM: {s:?}"
    );
    assert_eq!(
        s.pools.len(),
        1,
        "one pool, not two after the lost answer: {s:?}"
    );
    let pool = s.pools[0].0.clone();
    assert_eq!(id_of(&ws, "aws_vpc_ipam_pool.this"), pool);
    assert_eq!(s.cidrs, cidrs(&["10.90.0.0/16", "10.95.0.0/16"]));
    assert_eq!(
        id_of(&ws, "aws_vpc_ipam_pool_cidr.this"),
        format!("10.90.0.0/16_{pool}"),
        "Terraform's id: CIDR_POOLID"
    );
    let vpc = id_of(&ws, "aws_vpc.this");
    let preview = output(&ws, "preview");
    assert_eq!(preview, "10.90.0.0/24", "the lowest free /24 of the pool");
    assert_eq!(vpc_cidr(&vpc), preview, "the VPC took the previewed block");
    assert_eq!(
        id_of(&ws, "aws_vpc_ipam_preview_next_cidr.this"),
        format!("{preview}_{pool}")
    );
    assert_eq!(
        s.allocations,
        [(vpc.clone(), preview.clone())].into_iter().collect(),
        "the pool lists the VPC's allocation, and the preview reserved nothing"
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.code,
        0,
        "clean (the preview still says the block the VPC took):\n{}",
        plan.all()
    );

    // operating regions, description and tags change in place
    let vars = format!(
        "{vars}regions = [\"us-east-1\", \"us-west-2\"]\ndescription = \"shared vpcs\"\nteam = \"edge\"\n"
    );
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    for addr in ["aws_vpc_ipam.this", "aws_vpc_ipam_pool.this"] {
        assert_eq!(changed.get(addr), Some(&update), "{addr}: {changed:?}");
    }
    assert_eq!(changed.len(), 2, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let s = rt().block_on(seen(&name));
    assert_eq!(
        s.ipams,
        vec![(
            name.clone(),
            cidrs(&["us-east-1", "us-west-2"]),
            "edge".into()
        )]
    );
    assert_eq!(
        s.pools,
        vec![(pool.clone(), "shared vpcs".into(), "edge".into())]
    );
    assert_eq!(
        id_of(&ws, "aws_vpc_ipam_pool.this"),
        pool,
        "changed in place"
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // another spare CIDR is another pool CIDR (its Provision answer lost: adopted); another
    // netmask is another preview and another VPC, whose old block goes back to the pool
    let vars = format!("{vars}spare_cidr = \"10.96.0.0/16\"\nnetmask = 25\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let replace = vec!["delete".to_string(), "create".to_string()];
    for addr in [
        "aws_vpc_ipam_pool_cidr.spare",
        "aws_vpc_ipam_preview_next_cidr.this",
        "aws_vpc.this",
    ] {
        assert_eq!(changed.get(addr), Some(&replace), "{addr}: {changed:?}");
    }
    assert_eq!(changed.len(), 3, "{changed:?}");
    apply_losing_one_answer(
        &ws,
        Match {
            action: Some("ProvisionIpamPoolCidr".into()),
            ..Match::default()
        },
    );
    let s = rt().block_on(seen(&name));
    assert_eq!(
        s.cidrs,
        cidrs(&["10.90.0.0/16", "10.96.0.0/16"]),
        "the old spare deprovisioned, the new one provisioned once"
    );
    let new_vpc = id_of(&ws, "aws_vpc.this");
    assert_ne!(new_vpc, vpc);
    let preview = output(&ws, "preview");
    assert_eq!(preview, "10.90.0.0/25", "the old /24 was released first");
    assert_eq!(vpc_cidr(&new_vpc), preview);
    assert_eq!(
        s.allocations,
        [(new_vpc, preview)].into_iter().collect(),
        "the deleted VPC's block was released"
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_in_dependency_order(&ws, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let s = rt().block_on(seen(&name));
    assert!(s.ipams.is_empty() && s.pools.is_empty(), "{s:?}");
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}

const NO_ORDER: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "provision" {
  type    = bool
  default = true
}

resource "aws_vpc_ipam" "this" {
  operating_regions {
    region_name = "us-east-1"
  }
  tags = { Name = var.name }
}

resource "aws_vpc_ipam_pool" "this" {
  address_family                    = "ipv4"
  ipam_scope_id                     = aws_vpc_ipam.this.private_default_scope_id
  locale                            = "us-east-1"
  allocation_default_netmask_length = 20
}

resource "aws_vpc_ipam_pool_cidr" "this" {
  count        = var.provision ? 1 : 0
  ipam_pool_id = aws_vpc_ipam_pool.this.id
  cidr         = "10.77.0.0/16"
}

# no depends_on the pool's CIDR (terraform-aws-vpc's ipam example has one such VPC): its
# CreateVpc meets a pool whose CIDR is still being provisioned
resource "aws_vpc" "this" {
  ipv4_ipam_pool_id = aws_vpc_ipam_pool.this.id
  tags              = { Name = var.name }
}
"#;

/// A VPC created in the same run as its pool's CIDR, with no dependency between the two,
/// waits until the pool has room (Terraform's CreateVpc fails: "The allocation size is too
/// big for the pool."); a pool that never gets a CIDR fails the VPC, naming it and saying
/// what to do, after a short grace.
#[test]
fn a_vpc_waits_for_its_pool_to_have_room() {
    let ws = Workspace::from_files(&[("main.tf", NO_ORDER)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let vpc = id_of(&ws, "aws_vpc.this");
    assert_eq!(vpc_cidr(&vpc), "10.77.0.0/20", "the pool's default netmask");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());
    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());

    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\nprovision = false\n"),
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.all());
    let out = apply.all();
    assert!(
        out.contains("aws_vpc.this") && out.contains("has no free block for this VPC"),
        "{out}"
    );
    assert!(
        out.contains("aws_vpc_ipam_pool_cidr"),
        "says what to do: {out}"
    );
    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let s = rt().block_on(seen(&name));
    assert!(s.ipams.is_empty() && s.pools.is_empty(), "{s:?}");
}
