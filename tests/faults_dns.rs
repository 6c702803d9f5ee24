//! API faults on Route53 records and health checks (which dev does not have): the same
//! fault proxy as tests/faults.rs, over a zone with a health check and failover and plain
//! records, as prod's DNS module has. Figures go to the `faults_env` report group.

use std::time::Instant;

use serde_json::json;

use crate::common::proxy::{Fault, FaultConfig, Match, Rule};
use crate::common::{rt, sdk_config, Workspace};
use crate::faults::{direct, proxy, through};
use crate::faults_env::{assert_plan_clean, record, zones_named};

/// A zone with a health check and failover and plain records, as prod's DNS module has
/// (dev has neither records nor health checks).
const DNS_STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

resource "aws_route53_zone" "this" {
  name = "${var.name}.example.com"
}

resource "aws_route53_health_check" "primary" {
  type              = "HTTPS"
  ip_address        = "192.0.2.10"
  port              = 443
  resource_path     = "/healthz-${var.name}"
  failure_threshold = 3
  request_interval  = 30
  tags              = { Name = "${var.name}-primary" }
}

resource "aws_route53_record" "apex_primary" {
  zone_id         = aws_route53_zone.this.zone_id
  name            = "${var.name}.example.com"
  type            = "A"
  ttl             = 60
  records         = ["192.0.2.10"]
  set_identifier  = "primary"
  health_check_id = aws_route53_health_check.primary.id

  failover_routing_policy {
    type = "PRIMARY"
  }
}

resource "aws_route53_record" "apex_secondary" {
  zone_id        = aws_route53_zone.this.zone_id
  name           = "${var.name}.example.com"
  type           = "A"
  ttl            = 60
  records        = ["192.0.2.20"]
  set_identifier = "secondary"

  failover_routing_policy {
    type = "SECONDARY"
  }
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.this.zone_id
  name    = "www.${var.name}.example.com"
  type    = "CNAME"
  ttl     = 300
  records = ["${var.name}.example.com"]
}
"#;

/// What the DNS stack made, found by an independent client: zones called `<name>.example.com`
/// (id, tagged for the stack), health checks with its resource path (id, tagged), and the
/// `name type set_identifier` of every record of the zones that is not SOA/NS.
async fn dns_cloud(stack: &str) -> (Vec<(String, bool)>, Vec<(String, bool)>, Vec<String>) {
    use aws_sdk_route53::types::TagResourceType;
    let r53 = aws_sdk_route53::Client::new(&sdk_config());
    let ours = |tags: Option<&aws_sdk_route53::types::ResourceTagSet>| {
        tags.is_some_and(|s| {
            s.tags()
                .iter()
                .any(|t| t.key() == Some("infra:stack") && t.value() == Some(stack))
        })
    };
    let mut zones = Vec::new();
    let mut records = Vec::new();
    for id in zones_named(&r53, &format!("{stack}.example.com")).await {
        let t = r53
            .list_tags_for_resource()
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(&id)
            .send()
            .await
            .unwrap();
        zones.push((id.clone(), ours(t.resource_tag_set())));
        let sets = r53
            .list_resource_record_sets()
            .hosted_zone_id(&id)
            .send()
            .await
            .unwrap();
        for s in sets.resource_record_sets() {
            let ty = s.r#type().as_str();
            if ty != "SOA" && ty != "NS" {
                let set = s.set_identifier().unwrap_or("-");
                records.push(format!("{} {ty} {set}", s.name().trim_end_matches('.')));
            }
        }
    }
    records.sort();
    let path = format!("/healthz-{stack}");
    let mut checks = Vec::new();
    let all = r53.list_health_checks().send().await.unwrap();
    for h in all.health_checks() {
        if h.health_check_config().and_then(|c| c.resource_path()) == Some(path.as_str()) {
            let t = r53
                .list_tags_for_resource()
                .resource_type(TagResourceType::Healthcheck)
                .resource_id(h.id())
                .send()
                .await
                .unwrap();
            checks.push((h.id().to_string(), ours(t.resource_tag_set())));
        }
    }
    (zones, checks, records)
}

/// The first answer of CreateHostedZone, CreateHealthCheck and ChangeResourceRecordSets
/// is lost after Route53 acted: the run completes, exactly one zone and one health check
/// exist, both tagged for the stack, each record exists once, and neither create is sent
/// twice.
#[test]
fn dns_lost_create_answers_are_adopted_never_duplicated() {
    let ws = Workspace::from_files(&[("main.tf", DNS_STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let lose_first = |path: &str, body: &str| Rule {
        when: Match {
            path_prefix: Some(path.into()),
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
            lose_first("/2013-04-01/hostedzone", "CallerReference"),
            lose_first("/2013-04-01/healthcheck", "CallerReference"),
            lose_first("/2013-04-01/hostedzone/", "ChangeBatch"),
        ],
    });
    let started = Instant::now();
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    let apply_secs = started.elapsed().as_secs_f64();
    let stats = p.stats();
    assert_eq!(
        stats.injected.get("lost_response").copied(),
        Some(3),
        "every rule fired: {stats:?}"
    );
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (zones, checks, records) = rt().block_on(dns_cloud(&name));
    assert_eq!(zones.len(), 1, "one zone: {zones:?}");
    assert_eq!(checks.len(), 1, "one health check: {checks:?}");
    assert!(
        zones.iter().chain(&checks).all(|(_, tagged)| *tagged),
        "tagged for the stack: {zones:?} {checks:?}"
    );
    let apex = format!("{name}.example.com");
    let mut want = vec![
        format!("{apex} A primary"),
        format!("{apex} A secondary"),
        format!("www.{apex} CNAME -"),
    ];
    want.sort();
    assert_eq!(records, want, "each record once");
    let sent = |op: &str| stats.by_operation.get(op).copied().unwrap_or(0);
    let zone_creates = sent("route53:POST /2013-04-01/hostedzone");
    let check_creates = sent("route53:POST /2013-04-01/healthcheck");
    let record_batches: usize = stats
        .by_operation
        .iter()
        .filter(|(k, _)| k.ends_with("/rrset/") || k.ends_with("/rrset"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!((zone_creates, check_creates), (1, 1), "{stats:?}");
    assert_plan_clean(&ws);
    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let (zones_left, checks_left, _) = rt().block_on(dns_cloud(&name));
    assert!(
        zones_left.is_empty() && checks_left.is_empty(),
        "left after destroy: {zones_left:?} {checks_left:?}"
    );
    record(
        "lost_dns_answers",
        json!({
            "lost_answers": 3,
            "operations": ["CreateHostedZone", "CreateHealthCheck", "ChangeResourceRecordSets"],
            "requests_seen": stats.requests,
            "create_hosted_zone_sent": zone_creates,
            "create_health_check_sent": check_creates,
            "change_resource_record_sets_sent": record_batches,
            "apply_exit": apply.code,
            "apply_seconds": apply_secs,
            "zones": zones.len(),
            "health_checks": checks.len(),
            "records": records.len(),
            "outcome": "zone and health check adopted, record batch completed; one of each; plan clean; nothing left",
        }),
    );
}

/// 20% of all requests fail (a seeded mix of every transient kind) while the DNS stack is
/// applied and destroyed: both exit 0, one zone and one health check exist, tagged for
/// the stack, each record once, a fault-free plan is clean, and nothing is left.
#[test]
fn dns_applies_and_destroys_at_a_20_percent_fault_rate() {
    const RATE: f64 = 0.2;
    let seed = crate::faults::seed();
    eprintln!("fault seed: {seed} (rerun with INFRA_FAULT_SEED={seed})");
    let ws = Workspace::from_files(&[("main.tf", DNS_STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let p = proxy(FaultConfig {
        seed,
        rate: RATE,
        rules: Vec::new(),
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    let after_apply = p.stats();
    assert_eq!(apply.code, 0, "seed {seed}:\n{}", apply.all());
    let (zones, checks, records) = rt().block_on(dns_cloud(&name));
    assert_eq!((zones.len(), checks.len()), (1, 1), "{zones:?} {checks:?}");
    assert!(
        zones.iter().chain(&checks).all(|(_, tagged)| *tagged),
        "tagged for the stack: {zones:?} {checks:?}"
    );
    assert_eq!(records.len(), 3, "each record once: {records:?}");
    assert_plan_clean(&ws);
    let destroy = through(&ws, &p, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "seed {seed}:\n{}", destroy.all());
    let (zones_left, checks_left, _) = rt().block_on(dns_cloud(&name));
    assert!(
        zones_left.is_empty() && checks_left.is_empty(),
        "left after destroy: {zones_left:?} {checks_left:?}"
    );
    let total = p.stats();
    record(
        "dns_random_mix",
        json!({
            "seed": seed,
            "fault_rate": RATE,
            "apply": crate::faults::stats_json(&after_apply),
            "apply_and_destroy": crate::faults::stats_json(&total),
            "apply_exit": apply.code,
            "destroy_exit": destroy.code,
            "outcome": "apply and destroy exit 0; one zone, one health check, each record once; plan clean; nothing left",
        }),
    );
}
