//! Route53 beyond zones and plain records: a private zone associated with a second VPC
//! (`aws_route53_zone_association`), a reusable delegation set and a zone that uses it,
//! and alias records. Checked with an independent Route53 client.

use crate::common::proxy::{Fault, FaultConfig, Match, Rule};
use crate::common::{rt, sdk_config, Workspace};
use crate::faults::{direct, proxy, through};

pub(crate) const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "alias_target" {
  type    = string
  default = "www"
}

resource "aws_vpc" "this" {
  for_each   = { a = "10.61.0.0/16", b = "10.62.0.0/16" }
  cidr_block = each.value
  tags       = { Name = "${var.name}-${each.key}" }
}

resource "aws_route53_zone" "private" {
  name = "${var.name}.internal"
  vpc {
    vpc_id = aws_vpc.this["a"].id
  }
  # the association below adds a VPC the zone's own blocks do not name
  lifecycle {
    ignore_changes = [vpc]
  }
}

resource "aws_route53_zone_association" "b" {
  zone_id = aws_route53_zone.private.zone_id
  vpc_id  = aws_vpc.this["b"].id
}

resource "aws_route53_delegation_set" "this" {
  reference_name = var.name
}

resource "aws_route53_zone" "public" {
  name              = "${var.name}.example.com"
  delegation_set_id = aws_route53_delegation_set.this.id
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.public.zone_id
  name    = "www.${var.name}.example.com"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1"]
}

resource "aws_route53_record" "api" {
  zone_id = aws_route53_zone.public.zone_id
  name    = "api.${var.name}.example.com"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.2"]
}

resource "aws_route53_record" "apex" {
  zone_id = aws_route53_zone.public.zone_id
  name    = "${var.name}.example.com"
  type    = "A"
  alias {
    name                   = var.alias_target == "www" ? aws_route53_record.www.fqdn : aws_route53_record.api.fqdn
    zone_id                = aws_route53_zone.public.zone_id
    evaluate_target_health = false
  }
}

output "name_servers" {
  value = aws_route53_delegation_set.this.name_servers
}
"#;

/// (VPC ids of the private zone, delegation set id of the public zone, its name servers,
/// the apex alias target) as an independent client sees them.
async fn seen(name: &str) -> (Vec<String>, Option<String>, Vec<String>, Option<String>) {
    let r53 = aws_sdk_route53::Client::new(&sdk_config());
    let zones = r53.list_hosted_zones().send().await.unwrap();
    let find = |n: String| {
        zones
            .hosted_zones()
            .iter()
            .find(|z| z.name() == n)
            .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
    };
    let mut vpcs = Vec::new();
    if let Some(id) = find(format!("{name}.internal.")) {
        let z = r53.get_hosted_zone().id(&id).send().await.unwrap();
        vpcs = z
            .vpcs()
            .iter()
            .filter_map(|v| v.vpc_id().map(str::to_string))
            .collect();
        vpcs.sort();
    }
    let (mut set, mut ns, mut alias) = (None, Vec::new(), None);
    if let Some(id) = find(format!("{name}.example.com.")) {
        let z = r53.get_hosted_zone().id(&id).send().await.unwrap();
        if let Some(d) = z.delegation_set() {
            set = d
                .id()
                .map(|s| s.trim_start_matches("/delegationset/").to_string());
            ns = d.name_servers().to_vec();
        }
        let records = r53
            .list_resource_record_sets()
            .hosted_zone_id(&id)
            .send()
            .await
            .unwrap();
        alias = records
            .resource_record_sets()
            .iter()
            .find(|r| r.name() == format!("{name}.example.com.") && r.r#type().as_str() == "A")
            .and_then(|r| r.alias_target())
            .map(|a| a.dns_name().trim_end_matches('.').to_string());
    }
    (vpcs, set, ns, alias)
}

async fn vpc_ids(name: &str) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(&sdk_config());
    let mut ids = Vec::new();
    for k in ["a", "b"] {
        let out = ec2
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:Name")
                    .values(format!("{name}-{k}"))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ids.extend(
            out.vpcs()
                .iter()
                .filter_map(|v| v.vpc_id().map(str::to_string)),
        );
    }
    ids.sort();
    ids
}

/// Create with the answers of AssociateVPCWithHostedZone and CreateReusableDelegationSet
/// lost after Route53 acted (each is adopted: by zone and VPC, by CallerReference), a clean
/// re-plan, an alias retargeted in place, and destroy, checked by an independent client.
#[test]
fn zone_association_delegation_set_and_alias_records() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let lose = |body: &str| Rule {
        when: Match {
            body_contains: Some(body.into()),
            ..Match::default()
        },
        fault: Fault::LoseResponse,
        times: Some(1),
    };
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            lose("<AssociateVPCWithHostedZoneRequest"),
            lose("<CreateReusableDelegationSetRequest"),
        ],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let stats = p.stats();
    assert_eq!(stats.injected.get("lost_response"), Some(&2), "{stats:?}");

    let (vpcs, set, ns, alias) = rt().block_on(seen(&name));
    assert_eq!(
        vpcs,
        rt().block_on(vpc_ids(&name)),
        "both VPCs are associated"
    );
    let state_ns = direct(&ws, &["output", "--json"]);
    let outputs: serde_json::Value = serde_json::from_str(&state_ns.stdout).unwrap();
    let out_ns = outputs["name_servers"]
        .get("value")
        .unwrap_or(&outputs["name_servers"])
        .clone();
    assert!(
        set.is_some(),
        "the public zone uses a reusable delegation set"
    );
    assert_eq!(out_ns, serde_json::json!(ns), "its name servers");
    assert_eq!(alias, Some(format!("www.{name}.example.com")));
    // exactly one delegation set: the zone's, and none other with our reference (the
    // emulator rewrites the CallerReference of a set once a zone uses it)
    let sets = rt().block_on(async {
        let r53 = aws_sdk_route53::Client::new(&sdk_config());
        let out = r53.list_reusable_delegation_sets().send().await.unwrap();
        out.delegation_sets()
            .iter()
            .filter(|d| {
                d.caller_reference()
                    .is_some_and(|c| c.starts_with(&format!("{name}-")))
                    || d.id().map(|i| i.trim_start_matches("/delegationset/")) == set.as_deref()
            })
            .count()
    });
    assert_eq!(sets, 1, "no duplicate delegation set");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // an alias changes target in place
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\nalias_target = \"api\"\n"),
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        rt().block_on(seen(&name)).3,
        Some(format!("api.{name}.example.com"))
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let (vpcs, set, _, _) = rt().block_on(seen(&name));
    assert!(vpcs.is_empty() && set.is_none(), "zones gone");
    assert!(rt().block_on(vpc_ids(&name)).is_empty(), "VPCs gone");
}

/// The API calls of one operation, as `infra` prints them: `API calls: N (svc:Op k, ...)`.
pub(crate) fn calls_of(out: &str, op: &str) -> u64 {
    out.lines()
        .filter_map(|l| l.split_once("API calls:"))
        .flat_map(|(_, rest)| {
            rest.split(['(', ',', ')'])
                .map(str::trim)
                .collect::<Vec<_>>()
        })
        .filter_map(|part| part.strip_prefix(op)?.trim().parse::<u64>().ok())
        .sum()
}

/// A destroy of many records builds each DELETE from the state: no zone scan per record,
/// and the deletes go out in batches. Checked with an independent client: nothing left.
#[test]
fn destroying_records_reads_no_zone_per_record() {
    let stack = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

resource "aws_route53_zone" "z" {
  name = "${var.name}.example.com"
}

resource "aws_route53_record" "a" {
  count   = 12
  zone_id = aws_route53_zone.z.zone_id
  name    = "host-${count.index}"
  type    = "A"
  ttl     = 60
  records = ["10.0.0.${count.index + 1}"]
}

resource "aws_route53_record" "txt" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "meta"
  type    = "TXT"
  ttl     = 300
  records = ["owner=infra", "v=1"]
}

resource "aws_route53_record" "alias" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  alias {
    name                   = "host-0.${var.name}.example.com"
    zone_id                = aws_route53_zone.z.zone_id
    evaluate_target_health = false
  }
}

output "zone" {
  value = aws_route53_zone.z.zone_id
}
"#;
    let ws = Workspace::from_files(&[("main.tf", stack)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    let clean = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.all());

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    // the refresh before the destroy scans the zone once; the 14 deletes scan nothing
    // (each scanned the zone before: 15 calls)
    assert_eq!(
        calls_of(&d.stdout, "route53:ListResourceRecordSets"),
        1,
        "a DELETE is built from the state, not from a zone scan:\n{}",
        d.all()
    );
    let changes = calls_of(&d.stdout, "route53:ChangeResourceRecordSets");
    assert!(
        (1..=4).contains(&changes),
        "14 deletes go out in a few batches, not one call each: {changes}\n{}",
        d.all()
    );

    // independently: the zone is gone
    let left = rt().block_on(async {
        let c = aws_sdk_route53::Client::new(&sdk_config());
        c.list_hosted_zones_by_name()
            .dns_name(format!("{name}.example.com"))
            .send()
            .await
            .unwrap()
            .hosted_zones()
            .iter()
            .filter(|z| z.name().trim_end_matches('.') == format!("{name}.example.com"))
            .count()
    });
    assert_eq!(left, 0, "the zone was deleted");
}
