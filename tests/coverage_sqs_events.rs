//! What terraform-aws-eks's `karpenter` sub-module builds for spot interruption handling
//! (an SQS queue with SSE, a queue policy from `aws_iam_policy_document` that lets
//! EventBridge send to it, EventBridge rules by `name_prefix` with `jsonencode` patterns,
//! one target per rule with a fixed `target_id`), written anew with the same constructs,
//! plus what the module leaves out: a dead-letter queue by `name_prefix` with a redrive
//! policy, a scheduled rule with a state, and a target with a computed id, input, retry
//! policy and dead-letter config. Checked with independent SQS and EventBridge clients:
//! created with create answers lost (adopted, not duplicated), re-planned clean, changed in
//! place, replaced, imported into a fresh state by Terraform's import ids, destroyed
//! leaving nothing.

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Match, Rule};
use crate::common::{rt, sdk_config, Workspace};
use crate::coverage_ec2_more::{actions, id_of, managed};
use crate::faults::{direct, proxy, through};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { team = "platform" }
  }
}

variable "name" {
  type = string
}

variable "queue" {
  type    = string
  default = "a"
}

variable "visibility" {
  type    = number
  default = 30
}

variable "owner" {
  type    = string
  default = "platform"
}

variable "schedule" {
  type    = string
  default = "a"
}

variable "state" {
  type    = string
  default = "ENABLED"
}

variable "input" {
  type    = string
  default = "{\"kind\":\"scheduled\"}"
}

locals {
  events = {
    health_event = {
      name        = "HealthEvent"
      description = "interruption - AWS health event"
      event_pattern = {
        source      = ["aws.health"]
        detail-type = ["AWS Health Event"]
      }
    }
    spot_interrupt = {
      name        = "SpotInterrupt"
      description = "interruption - EC2 spot instance interruption warning"
      event_pattern = {
        source      = ["aws.ec2"]
        detail-type = ["EC2 Spot Instance Interruption Warning"]
      }
    }
  }
}

resource "aws_sqs_queue" "dlq" {
  name_prefix          = "${var.name}-dlq-"
  redrive_allow_policy = jsonencode({ redrivePermission = "allowAll" })
  tags                 = { owner = var.owner }
}

resource "aws_sqs_queue" "this" {
  name                              = "${var.name}-${var.queue}"
  message_retention_seconds         = 300
  visibility_timeout_seconds        = var.visibility
  sqs_managed_sse_enabled           = true ? true : null
  kms_master_key_id                 = null
  kms_data_key_reuse_period_seconds = null
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 4
  })
  tags = { owner = var.owner }
}

data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "SqsWrite"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.this.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "sqs.amazonaws.com"]
    }
  }
  statement {
    sid       = "DenyHTTP"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.this.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.url
  policy    = data.aws_iam_policy_document.queue.json
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.events

  name_prefix   = "${var.name}-${each.value.name}-"
  description   = each.value.description
  event_pattern = jsonencode(each.value.event_pattern)
  tags          = merge({ ClusterName = var.name }, { owner = var.owner })
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.events

  rule      = aws_cloudwatch_event_rule.this[each.key].name
  target_id = "KarpenterInterruptionQueueTarget"
  arn       = aws_sqs_queue.this.arn
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.name}-schedule-${var.schedule}"
  description         = "every five minutes"
  schedule_expression = "rate(5 minutes)"
  state               = var.state
}

resource "aws_cloudwatch_event_target" "schedule" {
  rule  = aws_cloudwatch_event_rule.schedule.name
  arn   = aws_sqs_queue.this.arn
  input = var.input
  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 3600
  }
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}
"#;

fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sdk_config())
}

fn events() -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(&sdk_config())
}

/// One queue as an independent client sees it.
#[derive(Debug, Clone, PartialEq)]
struct Queue {
    attrs: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
}

/// The queues whose names start with `prefix`, by name.
async fn queues(prefix: &str) -> BTreeMap<String, Queue> {
    let c = sqs();
    let out = c
        .list_queues()
        .queue_name_prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut seen = BTreeMap::new();
    for url in out.queue_urls() {
        let attrs = c
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_string(), v))
            .collect();
        let tags = c
            .list_queue_tags()
            .queue_url(url)
            .send()
            .await
            .unwrap()
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("infra:"))
            .collect();
        let name = url.rsplit('/').next().unwrap().to_string();
        seen.insert(name, Queue { attrs, tags });
    }
    seen
}

/// One rule as an independent client sees it: (state, description, pattern, schedule,
/// user tags, targets by id: (arn, input, retry attempts, dead-letter ARN)).
#[derive(Debug, Clone, PartialEq)]
struct EventRule {
    state: String,
    description: String,
    pattern: Option<serde_json::Value>,
    schedule: Option<String>,
    tags: BTreeMap<String, String>,
    targets: BTreeMap<String, SeenTarget>,
}

/// A target: (ARN, input, retry attempts, dead-letter ARN).
type SeenTarget = (String, Option<String>, Option<i32>, Option<String>);

/// The rules of the default bus whose names start with `prefix`, by name.
async fn rules(prefix: &str) -> BTreeMap<String, EventRule> {
    let c = events();
    let out = c.list_rules().name_prefix(prefix).send().await.unwrap();
    let mut seen = BTreeMap::new();
    for r in out.rules() {
        let name = r.name().unwrap().to_string();
        let tags = c
            .list_tags_for_resource()
            .resource_arn(r.arn().unwrap())
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .filter(|t| !t.key().starts_with("infra:"))
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let targets = c
            .list_targets_by_rule()
            .rule(&name)
            .send()
            .await
            .unwrap()
            .targets()
            .iter()
            .map(|t| {
                (
                    t.id().to_string(),
                    (
                        t.arn().to_string(),
                        t.input().map(str::to_string),
                        t.retry_policy().and_then(|p| p.maximum_retry_attempts()),
                        t.dead_letter_config()
                            .and_then(|d| d.arn())
                            .map(str::to_string),
                    ),
                )
            })
            .collect();
        seen.insert(
            name,
            EventRule {
                state: r
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                description: r.description().unwrap_or_default().to_string(),
                pattern: r.event_pattern().map(|p| serde_json::from_str(p).unwrap()),
                schedule: r.schedule_expression().map(str::to_string),
                tags,
                targets,
            },
        );
    }
    seen
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An attribute of `addr` in `ws`'s state.
fn attribute(ws: &Workspace, addr: &str, key: &str) -> String {
    let show = ws.run(&["state", "show", addr, "--json"]);
    assert_eq!(show.code, 0, "{}", show.all());
    let shown: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    shown["attributes"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{addr}.{key} in {shown}"))
        .to_string()
}

/// Terraform's import id of each managed object: the id, but `RULE/TARGETID` for targets.
fn import_ids(ws: &Workspace) -> Vec<(String, String)> {
    managed(ws)
        .into_iter()
        .map(|(addr, id)| {
            if addr.starts_with("aws_cloudwatch_event_target.") {
                let rule = attribute(ws, &addr, "rule");
                let target = attribute(ws, &addr, "target_id");
                (addr, format!("{rule}/{target}"))
            } else {
                (addr, id)
            }
        })
        .collect()
}

#[test]
fn interruption_queue_and_rules_adopt_change_replace_import_and_destroy() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    // the answers of the creates of the queue and of the scheduled rule are always lost (the
    // only calls carrying their `infra:address` tags): every retry lands on what the first
    // made, and the create ends by adopting it by name and tags; one PutTargets answer is
    // lost too (an upsert, sent again)
    let lose = |body: &str, times| Rule {
        when: Match {
            body_contains: Some(body.to_string()),
            ..Match::default()
        },
        fault: Fault::LoseResponse,
        times,
    };
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            lose("\"aws_sqs_queue.this\"", None),
            lose("\"aws_cloudwatch_event_rule.schedule\"", None),
            lose("\"RetryPolicy\"", Some(1)),
        ],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    // every attempt of CreateQueue and of the schedule's PutRule lost its answer (the
    // caller's 8), and one PutTargets: what exists was adopted, not made by an answered call
    let by_op = p.stats().injected_by_operation;
    assert_eq!(
        by_op.get("sqs:POST / lost_response"),
        Some(&8),
        "{:?}",
        p.stats()
    );
    assert_eq!(
        by_op.get("events:POST / lost_response"),
        Some(&9),
        "{:?}",
        p.stats()
    );
    drop(p);

    let queue_a = format!("{name}-a");
    let seen = rt().block_on(queues(&name));
    assert_eq!(
        seen.len(),
        2,
        "the queue and its dead-letter queue: {seen:?}"
    );
    let q = &seen[&queue_a];
    assert_eq!(q.attrs["MessageRetentionPeriod"], "300");
    assert_eq!(q.attrs["VisibilityTimeout"], "30");
    assert_eq!(
        q.attrs["MaximumMessageSize"], "262144",
        "Terraform's default"
    );
    assert_eq!(q.attrs["SqsManagedSseEnabled"], "true");
    assert_eq!(q.tags, tags(&[("owner", "platform"), ("team", "platform")]));
    let policy: serde_json::Value = serde_json::from_str(&q.attrs["Policy"]).unwrap();
    assert_eq!(policy["Statement"].as_array().unwrap().len(), 2, "{policy}");
    let (dlq_name, dlq) = seen.iter().find(|(n, _)| **n != queue_a).unwrap();
    assert!(dlq_name.starts_with(&format!("{name}-dlq-")), "{dlq_name}");
    let redrive: serde_json::Value = serde_json::from_str(&q.attrs["RedrivePolicy"]).unwrap();
    assert_eq!(
        redrive["deadLetterTargetArn"],
        dlq.attrs["QueueArn"].as_str()
    );
    let queue_arn = q.attrs["QueueArn"].clone();
    let dlq_arn = dlq.attrs["QueueArn"].clone();

    let seen = rt().block_on(rules(&name));
    assert_eq!(seen.len(), 3, "{seen:?}");
    let schedule_a = format!("{name}-schedule-a");
    let s = &seen[&schedule_a];
    assert_eq!(
        (s.state.as_str(), s.schedule.as_deref()),
        ("ENABLED", Some("rate(5 minutes)"))
    );
    assert_eq!(s.tags, tags(&[("team", "platform")]));
    assert_eq!(s.targets.len(), 1, "one target, not two: {s:?}");
    let (target_id, target) = s.targets.iter().next().unwrap();
    assert!(target_id.starts_with("terraform-"), "computed: {target_id}");
    assert_eq!(
        target,
        &(
            queue_arn.clone(),
            Some("{\"kind\":\"scheduled\"}".to_string()),
            Some(2),
            Some(dlq_arn.clone())
        )
    );
    for (prefix, source) in [("HealthEvent", "aws.health"), ("SpotInterrupt", "aws.ec2")] {
        let (rule, r) = seen
            .iter()
            .find(|(n, _)| n.starts_with(&format!("{name}-{prefix}-")))
            .unwrap_or_else(|| panic!("{prefix}: {seen:?}"));
        assert_eq!(r.pattern.as_ref().unwrap()["source"][0], source, "{rule}");
        assert_eq!(
            r.tags,
            tags(&[
                ("ClusterName", &name),
                ("owner", "platform"),
                ("team", "platform")
            ])
        );
        assert_eq!(
            r.targets.keys().collect::<Vec<_>>(),
            ["KarpenterInterruptionQueueTarget"]
        );
        assert_eq!(r.targets["KarpenterInterruptionQueueTarget"].0, queue_arn);
    }
    // Terraform's ids
    let queue_url = id_of(&ws, "aws_sqs_queue.this");
    assert!(queue_url.ends_with(&format!("/{queue_a}")), "{queue_url}");
    assert_eq!(id_of(&ws, "aws_sqs_queue_policy.this"), queue_url);
    assert_eq!(id_of(&ws, "aws_cloudwatch_event_rule.schedule"), schedule_a);
    assert_eq!(
        id_of(&ws, "aws_cloudwatch_event_target.schedule"),
        format!("{schedule_a}-{target_id}")
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // in place: the queue's visibility and tags, the rules' tags, the schedule's state, the
    // target's input
    let vars2 = format!(
        "{vars}visibility = 60\nowner = \"apps\"\nstate = \"DISABLED\"\ninput = \"{{\\\"kind\\\":\\\"other\\\"}}\"\n"
    );
    ws.write("test.auto.tfvars", &vars2);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    for addr in [
        "aws_sqs_queue.this",
        "aws_sqs_queue.dlq",
        "aws_cloudwatch_event_rule.schedule",
        "aws_cloudwatch_event_rule.this[\"spot_interrupt\"]",
        "aws_cloudwatch_event_target.schedule",
    ] {
        assert_eq!(changed.get(addr), Some(&update), "{addr}: {changed:?}");
    }
    assert!(
        changed.values().all(|a| *a == update || a[0] == "no-op"),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(queues(&name));
    assert_eq!(seen[&queue_a].attrs["VisibilityTimeout"], "60");
    assert_eq!(
        seen[&queue_a].attrs["QueueArn"], queue_arn,
        "the same queue"
    );
    assert_eq!(
        seen[&queue_a].tags,
        tags(&[("owner", "apps"), ("team", "platform")])
    );
    assert_eq!(seen[dlq_name].tags["owner"], "apps");
    let seen = rt().block_on(rules(&name));
    assert_eq!(seen[&schedule_a].state, "DISABLED");
    assert_eq!(
        seen[&schedule_a].targets[target_id].1.as_deref(),
        Some("{\"kind\":\"other\"}")
    );
    assert!(seen
        .values()
        .filter(|r| r.schedule.is_none())
        .all(|r| r.tags["owner"] == "apps"));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // another queue name is a new queue (and a new policy on it; the targets follow in
    // place); another schedule name is a new rule and so a new target
    let vars3 = format!("{vars2}queue = \"b\"\nschedule = \"b\"\n");
    ws.write("test.auto.tfvars", &vars3);
    let changed = actions(&ws);
    let replace = vec!["delete".to_string(), "create".to_string()];
    for addr in [
        "aws_sqs_queue.this",
        "aws_sqs_queue_policy.this",
        "aws_cloudwatch_event_rule.schedule",
        "aws_cloudwatch_event_target.schedule",
    ] {
        assert_eq!(changed.get(addr), Some(&replace), "{addr}: {changed:?}");
    }
    assert_eq!(
        changed.get("aws_cloudwatch_event_target.this[\"health_event\"]"),
        Some(&update),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let queue_b = format!("{name}-b");
    let seen = rt().block_on(queues(&name));
    assert_eq!(
        seen.keys()
            .filter(|n| !n.contains("-dlq-"))
            .collect::<Vec<_>>(),
        [&queue_b],
        "{seen:?}"
    );
    let arn_b = seen[&queue_b].attrs["QueueArn"].clone();
    assert!(seen[&queue_b].attrs["Policy"].contains(&arn_b));
    let seen = rt().block_on(rules(&name));
    let schedule_b = format!("{name}-schedule-b");
    assert!(!seen.contains_key(&schedule_a), "{seen:?}");
    assert_eq!(seen[&schedule_b].state, "DISABLED");
    assert!(seen
        .values()
        .all(|r| r.targets.len() == 1 && r.targets.values().all(|t| t.0 == arn_b)));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // every object by Terraform's import id, into a fresh state: the plan is clean
    let copy = Workspace::from_files(&[("main.tf", STACK)], true);
    copy.write("test.auto.tfvars", &vars3);
    // a target's resource id is not its import id: the error names the forms is not an import id: the error names both forms
    let bad = copy.run(&[
        "import",
        "aws_cloudwatch_event_target.schedule",
        "not-an-import-id",
    ]);
    assert_ne!(bad.code, 0, "{}", bad.all());
    assert!(bad.all().contains("RULE/TARGETID"), "{}", bad.all());
    for (addr, id) in import_ids(&ws) {
        let r = copy.run(&["import", &addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    assert_eq!(managed(&copy), managed(&ws), "the same ids");
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(queues(&name)).is_empty());
    assert!(rt().block_on(rules(&name)).is_empty());
}

/// Killed with SIGKILL at some moment of its apply, a rerun adopts what the killed run
/// made (intents reconciled by name and tags, or rule and target id) instead of making it
/// again: one queue per name, one rule per address, one target per rule, and a clean plan.
#[test]
fn killed_apply_then_rerun_leaves_exactly_one_of_each() {
    use crate::torture::{kill_at, Moment};
    use std::time::Duration;
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    // after the first object is created, a few milliseconds into the rest
    let nth = 1 + (std::process::id() as usize % 4);
    let then = Duration::from_millis(u64::from(std::process::id() % 40));
    let args = ["apply".to_string(), "--auto-approve".to_string()];
    let (killed, lines) = kill_at(&ws, &args, Moment::Line { nth, then });
    let rerun = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(
        rerun.code,
        0,
        "rerun after a kill after {lines} progress lines (killed: {killed}):\n{}",
        rerun.all()
    );
    let seen = rt().block_on(queues(&name));
    assert_eq!(seen.len(), 2, "{seen:?}");
    let seen = rt().block_on(rules(&name));
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen.values().all(|r| r.targets.len() == 1),
        "one target per rule: {seen:?}"
    );
    let before = managed(&ws);
    assert_eq!(before.len(), 9, "every object in the state");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // the state lost: a rebuild finds every object by its tags or keys (queues and rules
    // made from a prefix among those of the prefix), and the plan is clean again
    ws.remove_state();
    let rebuild = direct(&ws, &["state", "rebuild"]);
    assert_eq!(rebuild.code, 0, "{}", rebuild.all());
    assert_eq!(managed(&ws), before, "{}", rebuild.all());
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after the rebuild:\n{}", plan.all());
    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(queues(&name)).is_empty());
    assert!(rt().block_on(rules(&name)).is_empty());
}
