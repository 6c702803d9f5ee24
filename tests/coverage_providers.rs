//! Two `aws` provider configurations in one stack, as multi-region configurations write
//! them (terraform-aws-eks's `eks-hybrid-nodes` example: `provider "aws" { alias =
//! "remote" region = ... }`): resources, a data source and a module call
//! (`providers = { aws = aws.west }`) on the aliased one. Applied with the
//! CreateInternetGateway answer lost in the aliased region (adopted there, not
//! duplicated), checked with independent EC2 clients in both regions (each configuration's
//! `default_tags`), the state's record of each object's configuration, a re-plan clean in
//! one batched read per type and region, a change of the alias's `default_tags` updating
//! only its objects, import into a fresh state, the error when the alias block is
//! removed while its objects remain, and destroy in both regions.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, Tag};

use crate::common::proxy::Match;
use crate::common::{rt, sdk_config, Workspace};
use crate::coverage_ec2_more::{actions, id_of};
use crate::faults::{apply_losing_one_answer, direct};

const MAIN: &str = r#"provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Site = "home" }
  }
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
  default_tags {
    tags = { Site = var.dr_site }
  }
}

variable "name" {
  type = string
}

variable "dr_site" {
  type    = string
  default = "dr"
}

resource "aws_vpc" "home" {
  cidr_block = "10.81.0.0/16"
  tags       = { Name = "${var.name}-home" }
}

resource "aws_vpc" "dr" {
  provider   = aws.west
  cidr_block = "10.82.0.0/16"
  tags       = { Name = "${var.name}-dr" }
}

data "aws_region" "dr" {
  provider = aws.west
}

data "aws_availability_zones" "dr" {
  provider = aws.west
  state    = "available"
}

module "net" {
  source    = "./net"
  providers = { aws = aws.west }

  name   = var.name
  vpc_id = aws_vpc.dr.id
  az     = data.aws_availability_zones.dr.names[0]
}

output "dr_region" {
  value = data.aws_region.dr.name
}

output "dr_az" {
  value = module.net.az
}
"#;

const NET: &str = r#"variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "az" {
  type = string
}

resource "aws_subnet" "a" {
  vpc_id            = var.vpc_id
  cidr_block        = "10.82.1.0/24"
  availability_zone = var.az
  tags              = { Name = "${var.name}-dr-a" }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = var.vpc_id
  tags   = { Name = "${var.name}-dr" }
}

output "az" {
  value = aws_subnet.a.availability_zone
}
"#;

fn write_stack(ws: &Workspace) {
    std::fs::create_dir_all(ws.stack_dir().join("net")).unwrap();
    ws.write("net/main.tf", NET);
}

async fn ec2_in(region: &str) -> aws_sdk_ec2::Client {
    let conf = aws_sdk_ec2::config::Builder::from(&sdk_config())
        .region(aws_sdk_ec2::config::Region::new(region.to_string()))
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

fn tags(t: &[Tag]) -> BTreeMap<String, String> {
    t.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

/// What an independent client sees of the stack in `region`: `infra:address` → (id,
/// `Site` tag), for VPCs, subnets and internet gateways.
async fn seen(stack: &str, region: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let c = ec2_in(region).await;
    let ours = Filter::builder()
        .name("tag:infra:stack")
        .values(stack)
        .build();
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut add = |t: &[Tag], id: &str| {
        let t = tags(t);
        // the emulator may ignore the filter: keep to this stack on the client
        if t.get("infra:stack").map(String::as_str) != Some(stack) {
            return;
        }
        out.entry(t["infra:address"].clone())
            .or_default()
            .push((id.to_string(), t.get("Site").cloned().unwrap_or_default()));
    };
    let vpcs = c
        .describe_vpcs()
        .filters(ours.clone())
        .send()
        .await
        .unwrap();
    for v in vpcs.vpcs() {
        add(v.tags(), v.vpc_id().unwrap_or_default());
    }
    let subnets = c
        .describe_subnets()
        .filters(ours.clone())
        .send()
        .await
        .unwrap();
    for s in subnets.subnets() {
        add(s.tags(), s.subnet_id().unwrap_or_default());
    }
    let gws = c
        .describe_internet_gateways()
        .filters(ours)
        .send()
        .await
        .unwrap();
    for g in gws.internet_gateways() {
        add(g.tags(), g.internet_gateway_id().unwrap_or_default());
    }
    out
}

fn providers_in_state(ws: &Workspace) -> BTreeMap<String, String> {
    rt().block_on(async {
        let store = ws.store().await;
        let rows = store.resources(&ws.stack_name).await.unwrap();
        store.close().await;
        rows.into_iter()
            .filter(|r| r.mode == "managed")
            .map(|r| (r.address, r.provider))
            .collect()
    })
}

const WEST: [&str; 3] = [
    "aws_vpc.dr",
    "module.net.aws_internet_gateway.gw",
    "module.net.aws_subnet.a",
];

#[test]
fn aliased_provider_configurations_in_two_regions() {
    let ws = Workspace::from_files(&[("main.tf", MAIN)], true);
    write_stack(&ws);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let apply = apply_losing_one_answer(
        &ws,
        Match {
            action: Some("CreateInternetGateway".into()),
            ..Match::default()
        },
    );
    assert!(
        apply.stdout.contains("dr_region = \"us-west-2\""),
        "{}",
        apply.all()
    );
    assert!(
        apply.stdout.contains("dr_az     = \"us-west-2"),
        "{}",
        apply.all()
    );

    // each object in its configuration's region, with that configuration's default_tags,
    // and the gateway whose answer was lost adopted, not made twice
    let west = rt().block_on(seen(&name, "us-west-2"));
    let home = rt().block_on(seen(&name, "us-east-1"));
    let one = |addr: &str, site: &str| vec![(id_of(&ws, addr), site.to_string())];
    for addr in WEST {
        assert_eq!(west.get(addr), Some(&one(addr, "dr")), "{west:?}");
    }
    assert_eq!(west.len(), 3, "{west:?}");
    assert_eq!(home.get("aws_vpc.home"), Some(&one("aws_vpc.home", "home")));
    assert_eq!(home.len(), 1, "nothing of the alias in us-east-1: {home:?}");

    // the state records each object's configuration
    let recorded = providers_in_state(&ws);
    assert_eq!(recorded["aws_vpc.home"], "");
    for addr in WEST {
        assert_eq!(recorded[addr], "west", "{recorded:?}");
    }

    // clean, reading each type once per region
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());
    assert!(plan.stdout.contains("ec2:DescribeVpcs 2"), "{}", plan.all());
    assert!(
        plan.stdout.contains("ec2:DescribeSubnets 1"),
        "{}",
        plan.all()
    );

    // the alias's default_tags change only its objects, in place
    let changed_vars = format!("{vars}dr_site = \"dr-2\"\n");
    ws.write("test.auto.tfvars", &changed_vars);
    let changed = actions(&ws);
    let update = Some(vec!["update".to_string()]);
    for addr in WEST {
        assert_eq!(changed.get(addr).cloned(), update, "{changed:?}");
    }
    assert_eq!(changed.len(), 3, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let west = rt().block_on(seen(&name, "us-west-2"));
    assert_eq!(west["aws_vpc.dr"][0].1, "dr-2", "{west:?}");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // imported by id into a fresh state: each import looks in its configuration's region
    let copy = Workspace::from_files(&[("main.tf", MAIN)], true);
    write_stack(&copy);
    copy.write("test.auto.tfvars", &changed_vars);
    for addr in WEST.iter().chain(&["aws_vpc.home"]) {
        let id = id_of(&ws, addr);
        let r = copy.run(&["import", addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    assert_eq!(providers_in_state(&copy), providers_in_state(&ws));
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());

    // the alias block removed while its objects remain: an error naming them, nothing done
    let without = MAIN
        .replace(
            "provider \"aws\" {\n  alias  = \"west\"\n  region = \"us-west-2\"\n  default_tags {\n    tags = { Site = var.dr_site }\n  }\n}\n",
            "",
        )
        .replace("  provider   = aws.west\n", "")
        .replace("  provider = aws.west\n", "")
        .replace("  providers = { aws = aws.west }\n", "");
    assert!(!without.contains("aws.west"), "{without}");
    ws.write("main.tf", &without);
    let plan = direct(&ws, &["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.stderr.contains("alias = \"west\"") && plan.stderr.contains("aws_vpc.dr"),
        "{}",
        plan.all()
    );
    ws.write("main.tf", MAIN);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    for region in ["us-east-1", "us-west-2"] {
        let left = rt().block_on(seen(&name, region));
        assert!(left.is_empty(), "left in {region}: {left:?}");
    }
}

/// The AWS provider v6's per-resource `region`, as terraform-aws-vpc v6 passes it to
/// every resource (`region = var.region`): no aliased block, the default configuration's
/// `default_tags`, each object sent to its own region.
const REGIONAL: &str = r#"provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Site = "home" }
  }
}

variable "name" {
  type = string
}

variable "away" {
  type    = string
  default = "us-west-2"
}

resource "aws_vpc" "home" {
  cidr_block = "10.83.0.0/16"
  tags       = { Name = "${var.name}-home" }
}

resource "aws_vpc" "away" {
  region     = var.away
  cidr_block = "10.84.0.0/16"
  tags       = { Name = "${var.name}-away" }
}

data "aws_region" "away" {
  region = var.away
}

data "aws_availability_zones" "away" {
  region = var.away
  state  = "available"
}

resource "aws_subnet" "away" {
  region            = var.away
  vpc_id            = aws_vpc.away.id
  cidr_block        = "10.84.1.0/24"
  availability_zone = data.aws_availability_zones.away.names[0]
  tags              = { Name = "${var.name}-away" }
}

resource "aws_internet_gateway" "away" {
  region = var.away
  vpc_id = aws_vpc.away.id
  tags   = { Name = "${var.name}-away" }
}

output "away_region" {
  value = data.aws_region.away.name
}

output "away_az" {
  value = aws_subnet.away.availability_zone
}
"#;

const AWAY: [&str; 3] = [
    "aws_internet_gateway.away",
    "aws_subnet.away",
    "aws_vpc.away",
];

#[test]
fn a_per_resource_region_sends_each_object_to_its_region() {
    let ws = Workspace::from_files(&[("main.tf", REGIONAL)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let apply = apply_losing_one_answer(
        &ws,
        Match {
            action: Some("CreateInternetGateway".into()),
            ..Match::default()
        },
    );
    assert!(
        apply.stdout.contains("away_region = \"us-west-2\""),
        "{}",
        apply.all()
    );
    assert!(
        apply.stdout.contains("away_az     = \"us-west-2"),
        "{}",
        apply.all()
    );

    // each object in its own region with the configuration's default_tags, the gateway
    // whose answer was lost adopted there, not made twice
    let away = rt().block_on(seen(&name, "us-west-2"));
    let home = rt().block_on(seen(&name, "us-east-1"));
    let one = |ws: &Workspace, addr: &str| vec![(id_of(ws, addr), "home".to_string())];
    for addr in AWAY {
        assert_eq!(away.get(addr), Some(&one(&ws, addr)), "{away:?}");
    }
    assert_eq!(away.len(), 3, "{away:?}");
    assert_eq!(home.get("aws_vpc.home"), Some(&one(&ws, "aws_vpc.home")));
    assert_eq!(home.len(), 1, "nothing of us-west-2 in us-east-1: {home:?}");
    let recorded = providers_in_state(&ws);
    assert_eq!(recorded["aws_vpc.home"], "");
    for addr in AWAY {
        assert_eq!(recorded[addr], "@us-west-2", "{recorded:?}");
    }

    // clean, reading each type once per region
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());
    assert!(plan.stdout.contains("ec2:DescribeVpcs 2"), "{}", plan.all());
    assert!(
        plan.stdout.contains("ec2:DescribeSubnets 1"),
        "{}",
        plan.all()
    );

    // another region: each object replaced, the old one deleted where it was
    let moved_vars = format!("{vars}away = \"us-east-2\"\n");
    ws.write("test.auto.tfvars", &moved_vars);
    let changed = actions(&ws);
    for addr in AWAY {
        assert_eq!(
            changed.get(addr).cloned(),
            Some(vec!["delete".to_string(), "create".to_string()]),
            "{changed:?}"
        );
    }
    assert_eq!(changed.len(), 3, "{changed:?}");
    let plan = direct(&ws, &["plan"]);
    assert!(
        plan.stdout.contains(
            "aws_vpc.away must be replaced (it moves from region us-west-2 to us-east-2)"
        ) || plan
            .stdout
            .contains("it moves from region us-west-2 to us-east-2"),
        "{}",
        plan.all()
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply.stdout.contains("away_az     = \"us-east-2"),
        "{}",
        apply.all()
    );
    let west = rt().block_on(seen(&name, "us-west-2"));
    assert!(west.is_empty(), "left in us-west-2: {west:?}");
    let east2 = rt().block_on(seen(&name, "us-east-2"));
    for addr in AWAY {
        assert_eq!(east2.get(addr), Some(&one(&ws, addr)), "{east2:?}");
    }
    assert_eq!(providers_in_state(&ws)["aws_vpc.away"], "@us-east-2");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after the move:\n{}", plan.all());

    // imported into a fresh state: each import looks in the resource's region
    let copy = Workspace::from_files(&[("main.tf", REGIONAL)], true);
    copy.write("test.auto.tfvars", &moved_vars);
    for addr in AWAY.iter().chain(&["aws_vpc.home"]) {
        let id = id_of(&ws, addr);
        let r = copy.run(&["import", addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    assert_eq!(providers_in_state(&copy), providers_in_state(&ws));
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());

    // a region known only after apply cannot be planned
    ws.write(
        "extra.tf",
        "resource \"terraform_data\" \"where\" {\n  input = \"us-east-2\"\n}\nresource \"aws_vpc\" \"late\" {\n  region     = terraform_data.where.output\n  cidr_block = \"10.85.0.0/16\"\n}\n",
    );
    let plan = direct(&ws, &["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.stderr
            .contains("aws_vpc.late: its `region` is not known until apply"),
        "{}",
        plan.all()
    );
    std::fs::remove_file(ws.stack_dir().join("extra.tf")).unwrap();

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    for region in ["us-east-1", "us-west-2", "us-east-2"] {
        let left = rt().block_on(seen(&name, region));
        assert!(left.is_empty(), "left in {region}: {left:?}");
    }
}

/// A legacy module that configures its own provider, as modules written before Terraform
/// 0.13 do: its resources go to its region with its `default_tags`.
const LEGACY_ROOT: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

resource "aws_vpc" "home" {
  cidr_block = "10.87.0.0/16"
  tags       = { Name = "${var.name}-home" }
}

module "legacy" {
  source = "./legacy"
  name   = var.name
  region = "us-west-2"
}
"#;

const LEGACY: &str = r#"variable "name" {
  type = string
}

variable "region" {
  type = string
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { Site = "legacy-${var.region}" }
  }
}

resource "aws_vpc" "this" {
  cidr_block = "10.88.0.0/16"
  tags       = { Name = "${var.name}-legacy" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
}
"#;

#[test]
fn a_provider_block_inside_a_module_sends_its_resources_to_its_region() {
    let ws = Workspace::from_files(&[("main.tf", LEGACY_ROOT)], true);
    std::fs::create_dir_all(ws.stack_dir().join("legacy")).unwrap();
    ws.write("legacy/main.tf", LEGACY);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        !apply.all().contains("is ignored"),
        "no warning that the block is ignored:\n{}",
        apply.all()
    );

    let west = rt().block_on(seen(&name, "us-west-2"));
    let home = rt().block_on(seen(&name, "us-east-1"));
    for addr in [
        "module.legacy.aws_vpc.this",
        "module.legacy.aws_internet_gateway.this",
    ] {
        assert_eq!(
            west.get(addr),
            Some(&vec![(id_of(&ws, addr), "legacy-us-west-2".to_string())]),
            "{west:?}"
        );
    }
    assert_eq!(west.len(), 2, "{west:?}");
    assert_eq!(home.len(), 1, "{home:?}");
    assert!(home.contains_key("aws_vpc.home"), "{home:?}");
    let recorded = providers_in_state(&ws);
    assert_eq!(recorded["module.legacy.aws_vpc.this"], "module.legacy");
    assert_eq!(recorded["aws_vpc.home"], "");

    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // the module (and its provider block) removed while the state holds its objects
    ws.write(
        "main.tf",
        &LEGACY_ROOT[..LEGACY_ROOT.find("module \"legacy\"").unwrap()],
    );
    let plan = direct(&ws, &["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.stderr
            .contains("under the `provider \"aws\"` block of module.legacy, which the configuration no longer has"),
        "{}",
        plan.all()
    );
    ws.write("main.tf", LEGACY_ROOT);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    for region in ["us-east-1", "us-west-2"] {
        let left = rt().block_on(seen(&name, region));
        assert!(left.is_empty(), "left in {region}: {left:?}");
    }
}
