//! What terraform-aws-vpc builds for flow logs (a CloudWatch Logs group, an IAM role that
//! vpc-flow-logs.amazonaws.com assumes, with a policy to write into the group, and the
//! VPC's `aws_flow_log`) and what terraform-aws-eks builds for control-plane logs (the
//! `/aws/eks/NAME/cluster` group the cluster depends on, `enabled_cluster_log_types`).
//! Each stack is checked with independent CloudWatch Logs, EC2 and EKS clients: created
//! with create answers lost (adopted, not duplicated), re-planned clean, changed in place,
//! replaced, imported into a fresh state, destroyed leaving nothing.

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Match, Rule};
use crate::common::{changes, ec2, eks, rt, sdk_config, Workspace};
use crate::coverage_ec2_more::{import_into_copy, managed};
use crate::faults::{direct, proxy, through};

pub(crate) const FLOWS: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "retention" {
  type    = number
  default = 7
}

variable "owner" {
  type    = string
  default = "platform"
}

variable "group" {
  type    = string
  default = "a"
}

resource "aws_vpc" "this" {
  cidr_block = "10.75.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_cloudwatch_log_group" "flow" {
  name              = "/aws/vpc-flow-log/${var.name}-${var.group}"
  retention_in_days = var.retention
  tags              = { owner = var.owner }
}

# kept on destroy, named by prefix
resource "aws_cloudwatch_log_group" "kept" {
  name_prefix  = "/infra-test/${var.name}-"
  kms_key_id   = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  skip_destroy = true
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "flow" {
  name               = "${var.name}-flow"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "write" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "flow" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow.id
  policy = data.aws_iam_policy_document.write.json
}

resource "aws_flow_log" "vpc" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow.arn
  iam_role_arn             = aws_iam_role.flow.arn
  max_aggregation_interval = 60
  tags                     = { owner = var.owner }
}
"#;

fn logs() -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&sdk_config())
}

/// What an independent CloudWatch Logs client sees of the groups whose names start with
/// `prefix`: name -> (retention days, KMS key set, tags).
type Groups = BTreeMap<String, (Option<i32>, bool, BTreeMap<String, String>)>;

async fn groups(prefix: &str) -> Groups {
    let c = logs();
    let out = c
        .describe_log_groups()
        .log_group_name_prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut seen = BTreeMap::new();
    for g in out.log_groups() {
        let name = g.log_group_name().unwrap().to_string();
        let arn = g.arn().unwrap().trim_end_matches(":*").to_string();
        let tags = c
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap()
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("infra:"))
            .collect();
        seen.insert(
            name,
            (g.retention_in_days(), g.kms_key_id().is_some(), tags),
        );
    }
    seen
}

/// What an independent EC2 client sees of the VPC's flow logs: (id, log group or
/// destination, IAM role, traffic type, interval, owner tag).
type Flows = Vec<(String, String, String, String, i32, String)>;

async fn flows(vpc: &str) -> Flows {
    let out = ec2()
        .await
        .describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.flow_logs()
        .iter()
        .map(|f| {
            (
                f.flow_log_id().unwrap().to_string(),
                f.log_destination()
                    .or(f.log_group_name())
                    .unwrap_or_default()
                    .to_string(),
                f.deliver_logs_permission_arn()
                    .unwrap_or_default()
                    .to_string(),
                f.traffic_type().unwrap().as_str().to_string(),
                f.max_aggregation_interval().unwrap_or(0),
                f.tags()
                    .iter()
                    .find(|t| t.key() == Some("owner"))
                    .and_then(|t| t.value())
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn actions(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    changes(&ws.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect()
}

fn state_id(ws: &Workspace, addr: &str) -> String {
    managed(ws)
        .into_iter()
        .find(|(a, _)| a == addr)
        .map(|(_, id)| id)
        .unwrap_or_else(|| panic!("{addr} in the state"))
}

fn owner(v: &str) -> BTreeMap<String, String> {
    [("owner".to_string(), v.to_string())].into()
}

#[test]
fn vpc_flow_log_into_a_log_group_changes_replaces_imports_and_destroys() {
    let ws = Workspace::from_files(&[("main.tf", FLOWS)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    // both creates' answers are lost once: CreateLogGroup is the only call with the
    // group's `infra:address` tag in a JSON body; CreateFlowLogs is an EC2 action
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            Rule {
                when: Match {
                    body_contains: Some(
                        "\"infra:address\":\"aws_cloudwatch_log_group.flow\"".to_string(),
                    ),
                    ..Match::default()
                },
                fault: Fault::LoseResponse,
                times: Some(1),
            },
            Rule::action("CreateFlowLogs", Fault::LoseResponse, Some(1)),
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
    let flow_group = format!("/aws/vpc-flow-log/{name}-a");
    assert_eq!(
        rt().block_on(groups(&format!("/aws/vpc-flow-log/{name}-"))),
        Groups::from([(flow_group.clone(), (Some(7), false, owner("platform")))]),
        "one group, adopted and finished (retention, tags)"
    );
    let kept = rt().block_on(groups(&format!("/infra-test/{name}-")));
    assert_eq!(kept.len(), 1, "{kept:?}");
    let (kept_name, (kept_retention, kept_kms, _)) = kept.iter().next().unwrap();
    assert_eq!((*kept_retention, *kept_kms), (None, true));
    let vpc = state_id(&ws, "aws_vpc.this");
    let seen = rt().block_on(flows(&vpc));
    assert_eq!(seen.len(), 1, "one flow log, adopted: {seen:?}");
    let (flow_id, dest, seen_role, traffic, interval, tag) = seen[0].clone();
    assert!(
        dest.ends_with(&format!("log-group:{flow_group}")) || dest == flow_group,
        "{dest}"
    );
    assert!(
        seen_role.ends_with(&format!(":role/{name}-flow")),
        "{seen_role}"
    );
    assert_eq!(
        (traffic.as_str(), interval, tag.as_str()),
        ("ALL", 60, "platform")
    );
    assert_eq!(state_id(&ws, "aws_flow_log.vpc"), flow_id);
    assert_eq!(state_id(&ws, "aws_cloudwatch_log_group.flow"), flow_group);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // a longer retention and another owner: in place, on both
    let vars2 = format!("{vars}retention = 14\nowner = \"apps\"\n");
    ws.write("test.auto.tfvars", &vars2);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    assert_eq!(
        changed.get("aws_cloudwatch_log_group.flow"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_flow_log.vpc"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 2, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        rt().block_on(groups(&flow_group))[&flow_group],
        (Some(14), false, owner("apps"))
    );
    let seen = rt().block_on(flows(&vpc));
    assert_eq!(
        (seen.len(), seen[0].0.as_str(), seen[0].5.as_str()),
        (1, flow_id.as_str(), "apps")
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // 0: never expire (DeleteRetentionPolicy)
    let vars3 = format!("{vars}retention = 0\nowner = \"apps\"\n");
    ws.write("test.auto.tfvars", &vars3);
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        rt().block_on(groups(&flow_group))[&flow_group],
        (None, false, owner("apps"))
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // another name is another group, and so another flow log (its destination forces new)
    let vars4 = format!("{vars3}group = \"b\"\n");
    ws.write("test.auto.tfvars", &vars4);
    let changed = actions(&ws);
    let replace = vec!["delete".to_string(), "create".to_string()];
    assert_eq!(
        changed.get("aws_cloudwatch_log_group.flow"),
        Some(&replace),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_flow_log.vpc"),
        Some(&replace),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let group_b = format!("/aws/vpc-flow-log/{name}-b");
    assert_eq!(
        rt().block_on(groups(&format!("/aws/vpc-flow-log/{name}-"))),
        Groups::from([(group_b.clone(), (None, false, owner("apps")))])
    );
    let seen = rt().block_on(flows(&vpc));
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_ne!(seen[0].0, flow_id);
    assert!(seen[0].1.ends_with(&group_b), "{seen:?}");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // every object by Terraform's import id (a group's name, a flow log's id)
    import_into_copy(&ws, FLOWS, &vars4);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(flows(&vpc)).is_empty());
    assert!(rt()
        .block_on(groups(&format!("/aws/vpc-flow-log/{name}-")))
        .is_empty());
    // skip_destroy: the group stays, as in Terraform
    let kept_after = rt().block_on(groups(&format!("/infra-test/{name}-")));
    assert_eq!(kept_after.len(), 1, "{kept_after:?}");
    rt().block_on(async {
        logs()
            .delete_log_group()
            .log_group_name(kept_name)
            .send()
            .await
            .unwrap()
    });
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}

pub(crate) const CLUSTER_LOGS: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "create_log_group" {
  type    = bool
  default = true
}

variable "retention" {
  type    = number
  default = 90
}

variable "log_kms_key" {
  type    = string
  default = null
}

variable "log_class" {
  type    = string
  default = null
}

variable "log_types" {
  type    = list(string)
  default = ["api", "audit", "authenticator"]
}

resource "aws_vpc" "this" {
  cidr_block = "10.76.0.0/16"
}

resource "aws_subnet" "this" {
  for_each          = { a = "10.76.1.0/24", b = "10.76.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${var.name}-cluster"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_cloudwatch_log_group" "this" {
  count             = var.create_log_group ? 1 : 0
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = var.retention
  kms_key_id        = var.log_kms_key
  log_group_class   = var.log_class
  tags              = merge({ team = "platform" }, { Name = "/aws/eks/${var.name}/cluster" })
}

resource "aws_eks_cluster" "this" {
  name                      = var.name
  role_arn                  = aws_iam_role.cluster.arn
  version                   = "1.30"
  enabled_cluster_log_types = var.log_types
  vpc_config {
    subnet_ids = [for s in aws_subnet.this : s.id]
  }
  # the group first, or EKS makes one without retention
  depends_on = [aws_cloudwatch_log_group.this]
}
"#;

#[test]
fn eks_cluster_log_group_is_made_first_and_replans_clean() {
    let ws = Workspace::from_files(&[("main.tf", CLUSTER_LOGS)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "changes to make:\n{}", plan.all());
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    // the group was created before the cluster
    let out = apply.all();
    let group_done = out
        .find("aws_cloudwatch_log_group.this[0]: Creation complete")
        .unwrap_or_else(|| panic!("{out}"));
    let cluster_started = out
        .find("aws_eks_cluster.this: Creating")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(group_done < cluster_started, "{out}");
    let group = format!("/aws/eks/{name}/cluster");
    let tags: BTreeMap<String, String> = [
        ("Name".to_string(), group.clone()),
        ("team".to_string(), "platform".to_string()),
    ]
    .into();
    assert_eq!(
        rt().block_on(groups(&group)),
        Groups::from([(group.clone(), (Some(90), false, tags))])
    );
    let logging = rt().block_on(async {
        let c = eks()
            .await
            .describe_cluster()
            .name(&name)
            .send()
            .await
            .unwrap();
        let mut on: Vec<String> = c
            .cluster()
            .and_then(|c| c.logging())
            .map(|l| {
                l.cluster_logging()
                    .iter()
                    .filter(|s| s.enabled() == Some(true))
                    .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        on.sort();
        on
    });
    assert_eq!(logging, ["api", "audit", "authenticator"]);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // a shorter retention changes the group in place and leaves the cluster alone
    ws.write("test.auto.tfvars", &format!("{vars}retention = 30\n"));
    let changed = actions(&ws);
    assert_eq!(
        changed,
        BTreeMap::from([(
            "aws_cloudwatch_log_group.this[0]".to_string(),
            vec!["update".to_string()]
        )]),
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(rt().block_on(groups(&group))[&group].0, Some(30));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(groups(&group)).is_empty());
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
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}
