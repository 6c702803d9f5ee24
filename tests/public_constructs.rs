//! The constructs terraform-aws-modules/terraform-aws-vpc relies on, in our own stacks,
//! against the emulator and checked with independent clients (issue 12): a dual-stack VPC
//! (Amazon-provided IPv6 block, Network Address Usage metrics, an IPv6 block added in
//! place), subnets with IPv6 blocks and launch options, IPv6 routes to egress-only and
//! internet gateways in `aws_route`, inline `route` blocks and the default route table,
//! `name_prefix` names, a role's permissions boundary, and outputs that are null. Each:
//! create, a clean re-plan, an update in place, import by Terraform's id, destroy.

use aws_sdk_ec2::types::{Filter, VpcAttributeName};

use crate::common::{ec2, rt, sdk_config, Workspace};

const NETWORK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "later_ipv6" {
  type    = bool
  default = false
}

variable "peering" {
  type    = string
  default = null
}

data "aws_availability_zones" "here" {}

resource "aws_vpc" "dual" {
  cidr_block                           = "10.61.0.0/16"
  assign_generated_ipv6_cidr_block     = true
  enable_network_address_usage_metrics = true
  tags                                 = { Name = var.name }
}

# no IPv6 block at first; one is associated in place later
resource "aws_vpc" "later" {
  cidr_block                       = "10.62.0.0/16"
  assign_generated_ipv6_cidr_block = var.later_ipv6
  tags                             = { Name = "${var.name}-later" }
}

resource "aws_subnet" "dual" {
  vpc_id                                         = aws_vpc.dual.id
  cidr_block                                     = "10.61.1.0/24"
  availability_zone_id                           = data.aws_availability_zones.here.zone_ids[0]
  ipv6_cidr_block                                = cidrsubnet(aws_vpc.dual.ipv6_cidr_block, 8, 1)
  assign_ipv6_address_on_creation                = true
  enable_dns64                                   = true
  enable_resource_name_dns_a_record_on_launch    = true
  enable_resource_name_dns_aaaa_record_on_launch = true
  private_dns_hostname_type_on_launch            = "resource-name"
  tags                                           = { Name = "${var.name}-dual" }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.dual.id
}

resource "aws_egress_only_internet_gateway" "eigw" {
  vpc_id = aws_vpc.dual.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.dual.id
  route {
    ipv6_cidr_block        = "::/0"
    egress_only_gateway_id = aws_egress_only_internet_gateway.eigw.id
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.dual.id
}

resource "aws_route" "public_v4" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.gw.id
}

resource "aws_route" "public_v6" {
  route_table_id              = aws_route_table.public.id
  destination_ipv6_cidr_block = "::/0"
  gateway_id                  = aws_internet_gateway.gw.id
}

resource "aws_default_route_table" "default" {
  default_route_table_id = aws_vpc.dual.default_route_table_id
  route {
    ipv6_cidr_block        = "::/0"
    egress_only_gateway_id = aws_egress_only_internet_gateway.eigw.id
  }
  tags = { Name = "${var.name}-default" }
}

resource "aws_security_group" "prefixed" {
  name_prefix = "${var.name}-sg-"
  vpc_id      = aws_vpc.dual.id
}

output "ipv6_block" {
  value = aws_vpc.dual.ipv6_cidr_block
}

# null, before and after: never a change
output "peering" {
  value = var.peering
}

output "no_nat" {
  value = try(aws_vpc.dual.tags["NoSuchTag"], null)
}
"#;

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

struct Cloud {
    vpc_ipv6: Vec<(String, String)>,
    nau: Option<bool>,
    later_ipv6: usize,
    subnet_ipv6: Option<String>,
    subnet_assign: Option<bool>,
    subnet_a_record: Option<bool>,
    /// (table Name or kind, destination, target) of every non-local route
    routes: Vec<(String, String, String)>,
    sg_names: Vec<String>,
}

fn cloud(stack: &str) -> Cloud {
    rt().block_on(async {
        let c = ec2().await;
        let vpcs = c
            .describe_vpcs()
            .filters(filter("tag:infra:stack", stack))
            .send()
            .await
            .unwrap();
        let mut out = Cloud {
            vpc_ipv6: vec![],
            nau: None,
            later_ipv6: 0,
            subnet_ipv6: None,
            subnet_assign: None,
            subnet_a_record: None,
            routes: vec![],
            sg_names: vec![],
        };
        for v in vpcs.vpcs() {
            let name = v
                .tags()
                .iter()
                .find(|t| t.key() == Some("Name"))
                .and_then(|t| t.value())
                .unwrap_or_default()
                .to_string();
            let blocks: Vec<_> = v
                .ipv6_cidr_block_association_set()
                .iter()
                .filter(|a| {
                    a.ipv6_cidr_block_state()
                        .and_then(|s| s.state())
                        .map(|s| s.as_str())
                        == Some("associated")
                })
                .collect();
            if name.ends_with("-later") {
                out.later_ipv6 = blocks.len();
                continue;
            }
            for a in blocks {
                out.vpc_ipv6.push((
                    a.ipv6_cidr_block().unwrap_or_default().to_string(),
                    a.ipv6_pool().unwrap_or_default().to_string(),
                ));
            }
            let id = v.vpc_id().unwrap();
            out.nau = c
                .describe_vpc_attribute()
                .vpc_id(id)
                .attribute(VpcAttributeName::EnableNetworkAddressUsageMetrics)
                .send()
                .await
                .unwrap()
                .enable_network_address_usage_metrics()
                .and_then(|b| b.value());
            let tables = c
                .describe_route_tables()
                .filters(filter("vpc-id", id))
                .send()
                .await
                .unwrap();
            for t in tables.route_tables() {
                let kind = if t.associations().iter().any(|a| a.main() == Some(true)) {
                    "default".to_string()
                } else {
                    t.route_table_id().unwrap().to_string()
                };
                for r in t.routes() {
                    if r.gateway_id() == Some("local") {
                        continue;
                    }
                    let dest = r
                        .destination_cidr_block()
                        .or(r.destination_ipv6_cidr_block())
                        .unwrap_or_default();
                    let target = r
                        .egress_only_internet_gateway_id()
                        .or(r.gateway_id())
                        .unwrap_or_default();
                    out.routes
                        .push((kind.clone(), dest.to_string(), target.to_string()));
                }
            }
            let groups = c
                .describe_security_groups()
                .filters(filter("vpc-id", id))
                .send()
                .await
                .unwrap();
            out.sg_names = groups
                .security_groups()
                .iter()
                .filter_map(|g| g.group_name())
                .filter(|n| *n != "default")
                .map(str::to_string)
                .collect();
        }
        let subnets = c
            .describe_subnets()
            .filters(filter("tag:infra:stack", stack))
            .send()
            .await
            .unwrap();
        if let Some(s) = subnets.subnets().first() {
            out.subnet_ipv6 = s
                .ipv6_cidr_block_association_set()
                .first()
                .and_then(|a| a.ipv6_cidr_block())
                .map(str::to_string);
            out.subnet_assign = s.assign_ipv6_address_on_creation();
            out.subnet_a_record = s
                .private_dns_name_options_on_launch()
                .and_then(|o| o.enable_resource_name_dns_a_record());
        }
        out
    })
}

fn kinds(routes: &[(String, String, String)], prefix: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = routes
        .iter()
        .map(|(k, d, t)| {
            let kind = if k == "default" { "default" } else { "table" };
            (
                format!("{kind} {d}"),
                t.split('-').next().unwrap_or("").to_string(),
            )
        })
        .filter(|(k, _)| k.starts_with(prefix))
        .collect();
    v.sort();
    v
}

#[test]
fn dual_stack_network_ipv6_routes_and_prefixed_names() {
    let ws = Workspace::from_files(&[("main.tf", NETWORK)], true);
    let stack = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{stack}\"\n"));
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());

    let c = cloud(&stack);
    assert_eq!(c.vpc_ipv6.len(), 1, "one IPv6 block: {:?}", c.vpc_ipv6);
    let (block, pool) = &c.vpc_ipv6[0];
    assert_eq!(pool, "Amazon");
    assert!(block.ends_with("/56"), "{block}");
    assert_eq!(c.nau, Some(true), "Network Address Usage metrics on");
    assert_eq!(c.later_ipv6, 0, "the second VPC has no IPv6 block yet");
    // the subnet's block is the /64 the stack computed from the VPC's block
    let sub = c.subnet_ipv6.clone().expect("the subnet has an IPv6 block");
    assert!(sub.ends_with("/64"), "{sub}");
    let out = ws.run(&["output", "ipv6_block"]);
    assert!(out.stdout.contains(block.as_str()), "{}", out.all());
    assert_eq!(c.subnet_assign, Some(true));
    assert_eq!(c.subnet_a_record, Some(true));
    // routes: ::/0 to the egress-only gateway (inline and in the default table), ::/0 and
    // 0.0.0.0/0 to the internet gateway through aws_route
    let mut all = kinds(&c.routes, "");
    all.dedup();
    assert_eq!(
        all,
        vec![
            ("default ::/0".to_string(), "eigw".to_string()),
            ("table 0.0.0.0/0".to_string(), "igw".to_string()),
            ("table ::/0".to_string(), "eigw".to_string()),
            ("table ::/0".to_string(), "igw".to_string()),
        ],
        "{:?}",
        c.routes
    );
    assert_eq!(c.sg_names.len(), 1, "{:?}", c.sg_names);
    let sg = &c.sg_names[0];
    let prefix = format!("{stack}-sg-");
    assert!(sg.starts_with(&prefix), "{sg}");
    assert_eq!(sg.len(), prefix.len() + 26, "prefix + 26 characters: {sg}");

    // clean re-plan: nothing the cloud reports differs from the configuration, and null
    // outputs are no change
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());

    // in place: the IPv6 route's target, the subnet flag, the metrics, a new IPv6 block
    ws.edit(
        "main.tf",
        "  destination_ipv6_cidr_block = \"::/0\"\n  gateway_id                  = aws_internet_gateway.gw.id",
        "  destination_ipv6_cidr_block = \"::/0\"\n  egress_only_gateway_id      = aws_egress_only_internet_gateway.eigw.id",
    );
    ws.edit(
        "main.tf",
        "  assign_ipv6_address_on_creation                = true",
        "  assign_ipv6_address_on_creation                = false",
    );
    ws.edit(
        "main.tf",
        "enable_network_address_usage_metrics = true",
        "enable_network_address_usage_metrics = false",
    );
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{stack}\"\nlater_ipv6 = true\n"),
    );
    let plan = ws.plan_json(&[]);
    let acts = crate::common::changes(&plan);
    assert!(
        acts.iter().all(|(_, a)| a == &["update"]),
        "only updates in place: {acts:?}"
    );
    assert_eq!(acts.len(), 4, "{acts:?}");
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    let c = cloud(&stack);
    assert_eq!(c.nau, Some(false));
    assert_eq!(c.subnet_assign, Some(false));
    assert_eq!(c.later_ipv6, 1, "an IPv6 block associated in place");
    assert_eq!(
        kinds(&c.routes, "table ::/0"),
        vec![
            ("table ::/0".to_string(), "eigw".to_string()),
            ("table ::/0".to_string(), "eigw".to_string()),
        ],
        "{:?}",
        c.routes
    );
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());

    // import an IPv6 route by Terraform's id into a second state
    let shown = ws.run(&["state", "show", "aws_route.public_v6", "--json"]);
    assert_eq!(shown.code, 0, "{}", shown.all());
    let v: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    assert!(id.ends_with("_::/0"), "{id}");
    let other = Workspace::from_files(&[("main.tf", NETWORK)], true);
    other.write("test.auto.tfvars", &format!("name = \"{stack}\"\n"));
    let imp = other.run(&["import", "aws_route.public_v6", &id]);
    assert_eq!(imp.code, 0, "{}", imp.all());
    let shown = other.run(&["state", "show", "aws_route.public_v6", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let a = &v["attributes"];
    assert_eq!(a["destination_ipv6_cidr_block"], "::/0", "{v}");
    assert!(
        a["egress_only_gateway_id"]
            .as_str()
            .unwrap_or("")
            .starts_with("eigw-"),
        "{v}"
    );
    assert_eq!(a["gateway_id"], serde_json::Value::Null, "{v}");

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    let c = cloud(&stack);
    assert!(
        c.vpc_ipv6.is_empty() && c.sg_names.is_empty(),
        "nothing left"
    );
}

const IAM: &str = r#"
provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "bounded" {
  type    = bool
  default = true
}

resource "aws_iam_policy" "boundary" {
  name_prefix = "${var.name}-b-"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "logs:*", Resource = "*" }]
  })
}

resource "aws_iam_role" "flow" {
  name_prefix           = "${var.name}-r-"
  force_detach_policies = true
  permissions_boundary  = var.bounded ? aws_iam_policy.boundary.arn : null
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "inline" {
  name_prefix = "inline-"
  role        = aws_iam_role.flow.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }]
  })
}

output "role" {
  value = aws_iam_role.flow.name
}
"#;

#[test]
fn name_prefix_and_permissions_boundary_on_iam() {
    let ws = Workspace::from_files(&[("main.tf", IAM)], true);
    // role names are at most 64 characters: prefix + 26
    let name = format!("p{:08x}", rand::random::<u32>());
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    let role = ws.run(&["output", "role"]);
    let role = role.stdout.trim().trim_matches('"').to_string();
    let prefix = format!("{name}-r-");
    assert!(role.starts_with(&prefix), "{role}");
    assert_eq!(role.len(), prefix.len() + 26, "{role}");

    let iam = aws_sdk_iam::Client::new(&sdk_config());
    let (boundary, inline) = rt().block_on(async {
        let got = iam.get_role().role_name(&role).send().await.unwrap();
        let boundary = got
            .role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string);
        let inline = iam
            .list_role_policies()
            .role_name(&role)
            .send()
            .await
            .unwrap()
            .policy_names()
            .to_vec();
        (boundary, inline)
    });
    let boundary = boundary.expect("the role has a permissions boundary");
    assert!(
        boundary.contains(&format!("policy/{name}-b-")),
        "{boundary}"
    );
    assert_eq!(inline.len(), 1, "{inline:?}");
    assert!(
        inline[0].starts_with("inline-") && inline[0].len() == 7 + 26,
        "{inline:?}"
    );

    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());

    // the boundary goes in place (DeleteRolePermissionsBoundary), the names stay
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\nbounded = false\n"),
    );
    let plan = ws.plan_json(&[]);
    assert_eq!(
        crate::common::changes(&plan),
        vec![("aws_iam_role.flow".to_string(), vec!["update".to_string()])]
    );
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    let boundary = rt().block_on(async {
        iam.get_role()
            .role_name(&role)
            .send()
            .await
            .unwrap()
            .role()
            .and_then(|r| r.permissions_boundary())
            .map(|b| b.permissions_boundary_arn().unwrap_or_default().to_string())
    });
    assert_eq!(boundary, None, "the boundary is gone");
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    let gone = rt().block_on(async { iam.get_role().role_name(&role).send().await.is_err() });
    assert!(gone, "the role is deleted");
}

/// `scripts/public-examples` on a module checkout of our own: an example that runs through
/// every step, and one that fails validation, reported with its first error.
#[test]
fn public_examples_script_reports_each_step() {
    let dir = tempfile::tempdir().unwrap();
    let checkout = dir.path().join("module");
    let ok = crate::common::unique("ok");
    std::fs::create_dir_all(checkout.join("examples").join(&ok)).unwrap();
    std::fs::create_dir_all(checkout.join("examples/broken")).unwrap();
    std::fs::write(
        checkout.join("main.tf"),
        "variable \"cidr\" {\n  type = string\n}\n\nresource \"aws_vpc\" \"this\" {\n  cidr_block                       = var.cidr\n  assign_generated_ipv6_cidr_block = true\n}\n\noutput \"vpc_id\" {\n  value = aws_vpc.this.id\n}\n\noutput \"nothing\" {\n  value = null\n}\n",
    )
    .unwrap();
    std::fs::write(
        checkout.join("examples").join(&ok).join("main.tf"),
        "provider \"aws\" {\n  region = \"us-east-1\"\n}\n\nmodule \"vpc\" {\n  source = \"../../\"\n  cidr   = \"10.63.0.0/16\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        checkout.join("examples/broken/main.tf"),
        "resource \"aws_no_such_thing\" \"x\" {}\n",
    )
    .unwrap();
    let table = dir.path().join("table.md");
    let mut c = std::process::Command::new(crate::common::root().join("scripts/public-examples"));
    c.arg("--write").arg(&table).arg(&checkout);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    for (k, v) in crate::common::emulator_env() {
        c.env(k, v);
    }
    c.env("INFRA", env!("CARGO_BIN_EXE_infra"))
        .env("MODULE_COMMIT", "test")
        .env("STEP_TIMEOUT", "300");
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one example fails: {stdout}\n{stderr}"
    );
    let written = std::fs::read_to_string(&table).unwrap();
    assert_eq!(
        written.trim(),
        stdout.trim(),
        "--write writes the printed table"
    );
    assert!(written.contains("at test"), "{written}");
    assert!(
        written.contains(&format!(
            "| {ok} | pass (0) | pass | pass | pass | pass |  |"
        )),
        "{written}\n{stderr}"
    );
    let broken = written
        .lines()
        .find(|l| l.starts_with("| broken |"))
        .unwrap_or_else(|| panic!("{written}"));
    assert!(
        broken.starts_with("| broken | FAIL (1) | skip | skip | skip | skip | validate: error: unknown resource type `aws_no_such_thing`"),
        "{broken}"
    );
}
