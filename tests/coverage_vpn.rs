//! What terraform-aws-vpc's `complete` example builds for site-to-site VPN and its v6
//! endpoint arguments: customer gateways (a 2-byte ASN with a device name, and a 4-byte
//! `bgp_asn_extended`), a virtual private gateway attached through its `vpc_id` (moved to
//! another VPC in place), a second gateway attached by `aws_vpn_gateway_attachment`, and an
//! interface endpoint with `dns_options` and `ip_address_type`. Applied with a create answer
//! lost (adopted, not duplicated), checked with an independent EC2 client, re-planned
//! clean, updated in place, replaced, imported into a fresh state by Terraform's import
//! ids, and destroyed leaving nothing.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Tag;

use crate::common::proxy::{Fault, FaultConfig, Rule};
use crate::common::{ec2, rt, Workspace};
use crate::coverage_ec2_more::{actions, id_of, import_into_copy};
use crate::faults::{direct, proxy, through};

const VPN: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "main_vpc" {
  type    = string
  default = "a"
}

variable "team" {
  type    = string
  default = "net"
}

variable "office_ip" {
  type    = string
  default = "1.2.3.4"
}

resource "aws_vpc" "this" {
  for_each             = { a = "10.81.0.0/16", b = "10.82.0.0/16", c = "10.83.0.0/16" }
  cidr_block           = each.value
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "${var.name}-${each.key}" }
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.this["a"].id
  cidr_block        = "10.81.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_customer_gateway" "this" {
  for_each = {
    office = { bgp_asn = 65112, ip_address = var.office_ip, device_name = "edge-1" }
    dc     = { bgp_asn_extended = 2147483648, ip_address = "5.6.7.8" }
  }
  bgp_asn          = lookup(each.value, "bgp_asn", null)
  bgp_asn_extended = lookup(each.value, "bgp_asn_extended", null)
  ip_address       = each.value["ip_address"]
  device_name      = lookup(each.value, "device_name", null)
  type             = "ipsec.1"
  tags             = { Name = "${var.name}-${each.key}", team = var.team }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpn_gateway" "main" {
  vpc_id          = aws_vpc.this[var.main_vpc].id
  amazon_side_asn = "64512"
  tags            = { Name = var.name, team = var.team }
}

resource "aws_vpn_gateway" "spare" {
  tags = { Name = "${var.name}-spare" }
}

resource "aws_vpn_gateway_attachment" "spare" {
  vpc_id         = aws_vpc.this["c"].id
  vpn_gateway_id = aws_vpn_gateway.spare.id
}

resource "aws_vpc_endpoint" "ecs" {
  vpc_id              = aws_vpc.this["a"].id
  service_name        = "com.amazonaws.us-east-1.ecs"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [aws_subnet.private.id]
  private_dns_enabled = true
  ip_address_type     = "ipv4"
  dns_options {
    dns_record_ip_type = "ipv4"
  }
  tags = { Name = "${var.name}-ecs" }
}
"#;

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// An independent EC2 client's view: the stack's live customer gateways (address -> (ip,
/// ASN, team tag)) and VPN gateways (address -> (attached VPC, ASN, team tag)). Tags are
/// checked here: the emulator ignores tag filters on DescribeCustomerGateways.
type Seen = (
    BTreeMap<String, (String, String, String)>,
    BTreeMap<String, (String, i64, String)>,
);

async fn seen(stack: &str) -> Seen {
    let c = ec2().await;
    let ours = |tags: &[Tag]| tag(tags, "infra:stack") == Some(stack);
    let cgws = c.describe_customer_gateways().send().await.unwrap();
    let customers = cgws
        .customer_gateways()
        .iter()
        .filter(|g| ours(g.tags()) && g.state() != Some("deleted"))
        .map(|g| {
            (
                tag(g.tags(), "infra:address").unwrap().to_string(),
                (
                    g.ip_address().unwrap_or_default().to_string(),
                    g.bgp_asn().unwrap_or_default().to_string(),
                    tag(g.tags(), "team").unwrap_or_default().to_string(),
                ),
            )
        })
        .collect();
    let vgws = c.describe_vpn_gateways().send().await.unwrap();
    let gateways = vgws
        .vpn_gateways()
        .iter()
        .filter(|g| ours(g.tags()) && g.state().map(|s| s.as_str()) != Some("deleted"))
        .map(|g| {
            let vpc = g
                .vpc_attachments()
                .iter()
                .find(|a| a.state().map(|s| s.as_str()) == Some("attached"))
                .and_then(|a| a.vpc_id())
                .unwrap_or_default()
                .to_string();
            (
                tag(g.tags(), "infra:address").unwrap().to_string(),
                (
                    vpc,
                    g.amazon_side_asn().unwrap_or_default(),
                    tag(g.tags(), "team").unwrap_or_default().to_string(),
                ),
            )
        })
        .collect();
    (customers, gateways)
}

#[test]
fn vpn_gateways_customer_gateways_and_endpoint_options() {
    let ws = Workspace::from_files(&[("main.tf", VPN)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            Rule::action("CreateCustomerGateway", Fault::LoseResponse, Some(1)),
            Rule::action("CreateVpnGateway", Fault::LoseResponse, Some(1)),
        ],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        p.stats().injected.get("lost_response"),
        Some(&2),
        "{:?}",
        p.stats()
    );
    let vpc = |k: &str| id_of(&ws, &format!("aws_vpc.this[\"{k}\"]"));
    let (customers, gateways) = rt().block_on(seen(&name));
    let office = "aws_customer_gateway.this[\"office\"]".to_string();
    let dc = "aws_customer_gateway.this[\"dc\"]".to_string();
    assert_eq!(customers.len(), 2, "one gateway per address: {customers:?}");
    assert_eq!(
        customers[&office],
        ("1.2.3.4".into(), "65112".into(), "net".into())
    );
    assert_eq!(customers[&dc].0, "5.6.7.8");
    assert_eq!(gateways.len(), 2, "one gateway per address: {gateways:?}");
    assert_eq!(
        gateways["aws_vpn_gateway.main"],
        (vpc("a"), 64512, "net".into())
    );
    assert_eq!(gateways["aws_vpn_gateway.spare"].0, vpc("c"));
    let attachment = id_of(&ws, "aws_vpn_gateway_attachment.spare");
    assert!(
        attachment.starts_with("vpn-attachment-"),
        "Terraform's id: {attachment}"
    );
    // the endpoint's options, as an independent client sees them, and its subnet
    // configuration read from its network interface
    let endpoint = id_of(&ws, "aws_vpc_endpoint.ecs");
    let e = rt().block_on(async {
        ec2()
            .await
            .describe_vpc_endpoints()
            .vpc_endpoint_ids(&endpoint)
            .send()
            .await
            .unwrap()
            .vpc_endpoints()[0]
            .clone()
    });
    assert_eq!(
        e.dns_options()
            .and_then(|d| d.dns_record_ip_type())
            .map(|t| t.as_str()),
        Some("ipv4")
    );
    let show = ws.run(&["state", "show", "aws_vpc_endpoint.ecs", "--json"]);
    assert_eq!(show.code, 0, "{}", show.all());
    let v: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    let subnet = id_of(&ws, "aws_subnet.private");
    assert_eq!(
        v["attributes"]["subnet_configuration"][0]["subnet_id"].as_str(),
        Some(subnet.as_str()),
        "{v}"
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // the main gateway moves to VPC b (detach, attach: in place); tags change in place
    let vars = format!("{vars}main_vpc = \"b\"\nteam = \"edge\"\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    for addr in ["aws_vpn_gateway.main", office.as_str(), dc.as_str()] {
        assert_eq!(changed.get(addr), Some(&update), "{addr}: {changed:?}");
    }
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (customers, gateways) = rt().block_on(seen(&name));
    assert_eq!(
        gateways["aws_vpn_gateway.main"],
        (vpc("b"), 64512, "edge".into())
    );
    assert_eq!(customers[&office].2, "edge");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // another address is another customer gateway (created before the old one goes)
    let old_office = id_of(&ws, &office);
    let vars = format!("{vars}office_ip = \"9.9.9.9\"\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    assert_eq!(
        changed.get(&office),
        Some(&vec!["create".to_string(), "delete".to_string()]),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 1, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (customers, _) = rt().block_on(seen(&name));
    assert_eq!(customers[&office].0, "9.9.9.9");
    assert_ne!(id_of(&ws, &office), old_office);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_into_copy(&ws, VPN, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let (customers, gateways) = rt().block_on(seen(&name));
    assert!(customers.is_empty(), "{customers:?}");
    assert!(gateways.is_empty(), "{gateways:?}");
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}
